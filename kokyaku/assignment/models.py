"""Assignment: policy versions, released and pinned accounts, plans, their moves, and the audit of each owner change.

Policy versions are immutable like the portfolio criteria: a change is a new row, the newest row is
the current policy. A plan stores what it would move and a fingerprint of the data it was made on;
applying it moves the owners, writes one :class:`OwnerChange` per move (the audit trail) and one
:class:`Handover` per moved account (the new owner's follow-up).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kokyaku.crm.models import Account, Rep
from kokyaku.domain.assignment import AssignmentPolicy


def _default_policy() -> dict[str, Any]:
    return AssignmentPolicy().to_dict()


class PolicyVersion(models.Model):
    """One version of the assignment policy (配分方針). Never edited: save a new version.

    ``policy`` is the domain policy's ``to_dict()``; ``value_capacities`` maps a rep id (as text) to
    the most expected value that rep may carry (reps left out: no limit).
    """

    policy = models.JSONField(_("policy"), default=_default_policy)
    value_capacities = models.JSONField(_("value capacity per rep"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        verbose_name = _("assignment policy version")
        verbose_name_plural = _("assignment policy versions")

    def __str__(self) -> str:
        return f"assignment policy #{self.pk}"

    def to_policy(self) -> AssignmentPolicy:
        """Return the domain value (raises DomainError if the stored dict is invalid)."""
        return AssignmentPolicy.from_dict(self.policy)


class AccountRelease(models.Model):
    """A strong rep gave up on an account (見切った). It stays theirs until a plan moves it.

    Open while neither ``withdrawn_at`` nor ``resolved_at`` is set; the plan that moves the account
    resolves it.
    """

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="releases")
    rep = models.ForeignKey(Rep, verbose_name=_("released by rep"), null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("released at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by_plan = models.ForeignKey(
        "Plan", verbose_name=_("moved by plan"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("released account")
        verbose_name_plural = _("released accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(withdrawn_at__isnull=True, resolved_at__isnull=True),
                name="accountrelease_one_open_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"release of {self.account_id}"


class AccountPin(models.Model):
    """A manager pinned an account to its owner: no plan ever moves it."""

    account = models.OneToOneField(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="pin")
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pinned by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("pinned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pinned account")
        verbose_name_plural = _("pinned accounts")

    def __str__(self) -> str:
        return f"pin of {self.account_id}"


class Plan(models.Model):
    """A computed assignment plan: what it would move, how it scores, beside the baselines.

    ``fingerprint`` hashes everything the plan read (owners, buyer types, reps, pins, releases,
    the snapshot, the policy version): applying refuses when it no longer matches.
    """

    class Status(models.TextChoices):
        OPTIMAL = "optimal", _("Optimal")
        UNPROVEN = "unproven", _("Unproven")
        INFEASIBLE = "infeasible", _("Infeasible")

    policy_version = models.ForeignKey(
        PolicyVersion, verbose_name=_("policy version"), null=True, on_delete=models.PROTECT, related_name="plans"
    )
    snapshot_id_used = models.BigIntegerField(_("portfolio snapshot"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    method = models.CharField(_("method"), max_length=16, blank=True)
    reason = models.JSONField(_("reason"), null=True, blank=True)
    accounts = models.PositiveIntegerField(_("accounts"), default=0)
    move_count = models.PositiveIntegerField(_("moves"), default=0)
    follow_up = models.PositiveIntegerField(
        _("follow-up queue"), default=0, help_text=_("Dormant accounts no strong rep covers after the plan.")
    )
    policy_fit = models.FloatField(_("policy fit"), null=True, blank=True)
    policy_fit_before = models.FloatField(_("policy fit before"), null=True, blank=True)
    gap = models.FloatField(_("gap to the bound"), null=True, blank=True)
    baselines = models.JSONField(_("baselines"), default=dict, blank=True)
    reps = models.JSONField(_("load per rep"), default=list, blank=True)
    solver_seconds = models.FloatField(_("solver seconds"), default=0.0)
    seconds = models.FloatField(_("seconds"), default=0.0)
    fingerprint = models.CharField(_("data fingerprint"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("made by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
        verbose_name = _("assignment plan")
        verbose_name_plural = _("assignment plans")

    def __str__(self) -> str:
        return f"assignment plan #{self.pk}"


class PlanMove(models.Model):
    """One account a plan moves: from whom, to whom, why (a reason code and the deciding term)."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="moves", db_index=False)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    from_rep = models.ForeignKey(
        Rep, verbose_name=_("from"), null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False, db_index=False
    )
    to_rep = models.ForeignKey(
        Rep, verbose_name=_("to"), null=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False, db_index=False
    )
    reason = models.CharField(_("reason"), max_length=24)
    term = models.CharField(_("term"), max_length=24, blank=True)
    excluded = models.BooleanField(_("excluded"), default=False)

    class Meta:
        ordering = ["plan", "id"]
        verbose_name = _("planned move")
        verbose_name_plural = _("planned moves")
        indexes = [
            models.Index(fields=["plan", "to_rep"], name="planmove_plan_to"),
            models.Index(fields=["plan", "from_rep"], name="planmove_plan_from"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_rep_id} -> {self.to_rep_id}"


class OwnerChange(models.Model):
    """The audit trail: one row per owner change an applied plan made (who, when, why, previous owner)."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="changes")
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="owner_changes")
    from_rep = models.ForeignKey(Rep, verbose_name=_("previous owner"), null=True, on_delete=models.SET_NULL, related_name="+")
    to_rep = models.ForeignKey(Rep, verbose_name=_("new owner"), null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=24)
    term = models.CharField(_("term"), max_length=24, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("owner change")
        verbose_name_plural = _("owner changes")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_rep_id} -> {self.to_rep_id}"


class Handover(models.Model):
    """The hand-over follow-up of a moved account, on the new owner's home page until done."""

    change = models.OneToOneField(OwnerChange, verbose_name=_("owner change"), on_delete=models.CASCADE, related_name="handover")
    rep = models.ForeignKey(Rep, verbose_name=_("new owner"), on_delete=models.CASCADE, related_name="handovers", db_index=False)
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        indexes = [models.Index(fields=["rep", "done_at"], name="handover_rep_open")]

    def __str__(self) -> str:
        return f"hand-over of {self.account_id} to {self.rep_id}"
