"""A background job: one heavy operation (a snapshot, an import, a training run) queued, run and recorded."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    """One run of a heavy operation, from the moment it is queued until it is done, failed or cancelled.

    The lock per kind is the partial unique constraint ``one_active_job_per_kind``: at most one
    queued-or-running job of each kind, enforced by the database itself (SQLite and PostgreSQL),
    so two web servers or two workers cannot start two snapshots at once.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    ACTIVE = (State.QUEUED, State.RUNNING)

    kind = models.CharField(max_length=40)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    engine = models.CharField(max_length=10, default="thread", help_text="thread (in the web process) or celery")
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the process running it")
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=40, blank=True, help_text="a step key, translated when shown")
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(state__in=["queued", "running"]), name="one_active_job_per_kind"
            ),
        ]
        indexes = [models.Index(fields=["state", "-created_at"], name="job_state_created")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.ended_at or self.heartbeat_at or self.started_at
        return (end - self.started_at).total_seconds()
