"""The import history: one row per import that was meant to write (dry runs are not kept).

A nightly sync through the API, a manager's upload and a run of ``kokyaku import`` all leave a line
here, imported or refused, so that "did last night's sync run, and what did it change?" has an
answer on the import page and at ``GET /api/imports``.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kokyaku.imports.errors import Problem, message_from_json


def rejects_dir() -> Path:
    """Where web and API imports keep their rejected rows: KOKYAKU_DATA_DIR/rejects/."""
    return Path(settings.DATA_DIR) / "rejects"


class ImportRun(models.Model):
    class Source(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        CLI = "cli", _("Command line")
        SCHEDULE = "schedule", _("Scheduled")

    class Outcome(models.TextChoices):
        IMPORTED = "imported", _("Imported")
        REFUSED = "refused", _("Refused: rows with problems")
        UNUSABLE = "unusable", _("Refused: file or mapping unusable")

    started_at = models.DateTimeField(_("started at"))
    seconds = models.FloatField(_("seconds"), default=0.0)
    kind = models.CharField(_("kind"), max_length=16)
    file_name = models.CharField(_("file"), max_length=255)
    mapping = models.CharField(_("mapping"), max_length=255)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)
    # the first problems, the file error and the notes, as translatable message data (errors.message_json)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # the refused and skipped rows with their reasons, a CSV under KOKYAKU_DATA_DIR/rejects/ (web and API imports
    # with skip_invalid; the command line writes its own --rejects file)
    rejects_file = models.CharField(_("rejected rows file"), max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        indexes = [models.Index(fields=["-started_at", "-id"], name="imports_run_recent_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def problems(self) -> list[Problem]:
        """The first problems, their reasons translatable again."""
        return [Problem(**{**p, "reason": message_from_json(p["reason"])}) for p in self.details.get("problems", [])]

    @property
    def error(self) -> str:
        """Why the file or mapping could not be used ('' otherwise), translatable again."""
        return message_from_json(self.details["error"]) if "error" in self.details else ""

    @property
    def rejects_path(self) -> Path | None:
        """The stored rejects CSV, if this run kept one and it is still there."""
        if not self.rejects_file:
            return None
        path = rejects_dir() / self.rejects_file
        return path if path.is_file() else None

    @property
    def notes(self) -> list[str]:
        """What the import noted (its summary's notes), translatable again."""
        return [message_from_json(n) for n in self.details.get("notes", [])]


class SavedMapping(models.Model):
    """A mapping a manager saved from the review page, to pick again next time (web, API ``mapping=``, CLI ``--mapping``)."""

    kind = models.CharField(_("kind"), max_length=16)
    name = models.CharField(_("name"), max_length=60)  # a lowercase slug, so that it works as --mapping NAME too
    text = models.TextField(_("mapping (TOML)"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saved by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="imports_saved_mapping_kind_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class NameMerge(models.Model):
    """One merge of duplicate accounts or reps (one name written several ways) into the record kept: the audit line.

    The merged records are gone; their ids, external ids and names stay here, with how many rows of
    each table moved to the kept record and how many were dropped (the kept record already had one).
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("Accounts")
        REP = "rep", _("Reps")

    at = models.DateTimeField(_("merged at"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    kept_id = models.PositiveBigIntegerField(_("kept record"))
    kept_name = models.CharField(_("kept name"), max_length=300)
    merged = models.JSONField(_("merged records"), default=list)  # [{"id", "external_id", "name"}]
    moved = models.JSONField(_("rows moved"), default=dict)  # {"crm.Deal.account": 3, ...}
    dropped = models.JSONField(_("rows dropped"), default=dict)  # rows the kept record already had an equivalent of
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("name merge")
        verbose_name_plural = _("name merges")

    def __str__(self) -> str:
        return f"{self.kind} {self.kept_name} <- {len(self.merged)}"


class MergedId(models.Model):
    """The external id of a merged (deleted) account or rep, kept as an alias of the record it was merged into.

    A later import that names the merged record's external id (a deal's account, an account's
    owner, or the row of an accounts / reps import itself) lands on the record kept instead of
    creating the merged one again (:class:`kokyaku.imports.refs.RefMap` loads these with the
    other ids, in one query). When the kept record is merged in turn, its aliases follow it.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=NameMerge.Kind.choices)
    external_id = models.CharField(_("external id"), max_length=100)
    record_id = models.PositiveBigIntegerField(_("kept record"))
    merge = models.ForeignKey(NameMerge, verbose_name=_("merge"), on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        ordering = ["kind", "external_id"]
        verbose_name = _("merged external id")
        verbose_name_plural = _("merged external ids")
        constraints = [models.UniqueConstraint(fields=["kind", "external_id"], name="imports_merged_id_kind_external_id")]
        indexes = [models.Index(fields=["kind", "record_id"], name="imports_merged_id_record_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id} -> {self.record_id}"


class SourceFile(models.Model):
    """A file the scheduled import took from the company's folder or URL (``KOKYAKU_IMPORT_SOURCE``).

    Remembered by name, size and content (SHA-256), so that a folder read again every night imports each
    file once: an unchanged file is passed over, a changed one (or a new name) is new. Written in the
    import's own transaction when it succeeds (the rows and this line land together or not at all),
    and after it when it fails, so a refused file is not retried every night until it changes; its job
    can be retried by hand.
    """

    class Outcome(models.TextChoices):
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed")

    source = models.CharField(_("source"), max_length=1000)
    name = models.CharField(_("file"), max_length=255)
    size = models.PositiveBigIntegerField(_("bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    job = models.ForeignKey("jobs.Job", verbose_name=_("job"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    run = models.ForeignKey(
        ImportRun, verbose_name=_("import"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("scheduled import file")
        verbose_name_plural = _("scheduled import files")
        constraints = [models.UniqueConstraint(fields=["name", "size", "sha256"], name="imports_source_file_once")]

    def __str__(self) -> str:
        return f"{self.name} ({self.size} bytes, {self.outcome})"
