"""The follow-up queue (フォロー) and the reactivations it is measured by.

A follow-up is created by a snapshot for an account that became dormant or at risk and is not
covered by a strong rep (the rule: :mod:`kokyaku.domain.followups.rule`). At most one is open per
account. It ends done (with an outcome), cancelled, or closed by a reactivation: the account
bought again, found by the next snapshot.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kokyaku.crm.models import Account, Rep, money_field
from kokyaku.portfolio.models import Snapshot


class FollowUp(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Reason(models.TextChoices):
        AT_RISK = "at_risk", _("At risk")
        DORMANT = "dormant", _("Dormant")

    class Rule(models.TextChoices):
        OWNER = "owner", _("Owner")
        RELEASED = "released", _("Released by a strong rep")
        NO_OWNER = "no_owner", _("No active owner")
        UNASSIGNED = "unassigned", _("No developing rep available")
        PLAN = "plan", _("Moved by an assignment plan")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        MEETING = "meeting", _("Meeting set")
        DEAL = "deal", _("New deal opened")
        CONTACTED = "contacted", _("Contacted, no need now")
        NO_REPLY = "no_reply", _("No reply")
        LEAVING = "leaving", _("Customer is leaving")
        REACTIVATED = "reactivated", _("Bought again")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="follow_ups", db_index=False
    )  # the (account, status) index serves it
    assignee = models.ForeignKey(
        Rep,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        db_index=False,
    )  # the (assignee, status, due_on) index serves it
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    rule = models.CharField(_("assigned by"), max_length=10, choices=Rule.choices, default=Rule.OWNER)
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True, default="")
    note = models.TextField(_("note"), blank=True)
    snapshot = models.ForeignKey(
        Snapshot, verbose_name=_("created by snapshot"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reactivated_on = models.DateField(_("bought again on"), null=True, blank=True)  # set when a reactivation closed it

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(fields=["assignee", "status", "due_on"], name="followup_assignee_status_due"),
            models.Index(fields=["account", "status"], name="followup_account_status"),
            # The manager's home picks the ten most overdue assignees from the open follow-ups alone.
            models.Index(fields=["assignee", "due_on"], condition=models.Q(status="open"), name="followup_open_assignee_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=models.Q(status="open"), name="followup_one_open_per_account"),
        ]

    def __str__(self) -> str:
        return f"follow-up {self.pk} ({self.account_id}, {self.status})"


class Reactivation(models.Model):
    """A dormant (or at-risk) account at one snapshot that bought again before the next (復活)."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="+")
    snapshot = models.ForeignKey(Snapshot, verbose_name=_("found by snapshot"), on_delete=models.CASCADE, related_name="+")
    previous = models.CharField(_("lifecycle before"), max_length=10)
    reactivated_on = models.DateField(_("bought again on"))
    revenue = money_field(_("revenue"), null=True)

    class Meta:
        ordering = ["-reactivated_on", "id"]
        verbose_name = _("reactivation")
        verbose_name_plural = _("reactivations")
        indexes = [models.Index(fields=["reactivated_on"])]
        constraints = [models.UniqueConstraint(fields=["snapshot", "account"], name="reactivation_unique_account")]

    def __str__(self) -> str:
        return f"{self.account_id} bought again on {self.reactivated_on:%Y-%m-%d}"


class QueueState(models.Model):
    """The accounts dormant and at risk at the snapshot that last moved the queue: what the next snapshot compares with.

    Kept so the next run need not read the previous snapshot's rows back (1.7 s of its 2.9 s at
    200,000 accounts under load): the ids as little-endian int64, sorted. Only the latest is kept;
    without one (a snapshot from before this table, or the latest deleted) the run reads the rows.
    """

    snapshot = models.OneToOneField(
        Snapshot, verbose_name=_("snapshot"), primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    dormant = models.BinaryField(_("dormant account ids"))
    at_risk = models.BinaryField(_("at-risk account ids"))

    class Meta:
        verbose_name = _("follow-up queue state")
        verbose_name_plural = _("follow-up queue states")

    def __str__(self) -> str:
        return f"queue state of snapshot {self.snapshot_id}"
