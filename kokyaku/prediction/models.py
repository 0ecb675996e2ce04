"""Stored models: one version per training run, both models with the report that decided whether they serve."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kokyaku.crm.models import Deal


class ModelVersion(models.Model):
    """The deal model and the repeat-purchase model fitted on the data dated up to ``as_of``.

    ``report`` is the domain's ``evaluate()`` (each model against every baseline on a time split);
    the payloads are ``kokyaku.domain.prediction.persist.to_bytes`` (skops with trusted types / JSON:
    loading runs no code from them). A snapshot as of a date uses the newest version whose
    ``as_of`` is on or before it, never one that saw later data.
    """

    as_of = models.DateField(_("trained on data up to"))
    data_from = models.DateField(_("oldest deal"), null=True, blank=True)
    data_to = models.DateField(_("newest deal"), null=True, blank=True)
    closed_deals = models.PositiveIntegerField(_("closed deals"), default=0)
    customers = models.PositiveIntegerField(_("customers with purchases"), default=0)
    deal_serving = models.CharField(_("deal model serves"), max_length=16, default="base_rate")
    deal_reason = models.CharField(_("why"), max_length=40, blank=True)
    repeat_serving = models.CharField(_("repeat model serves"), max_length=16, default="history")
    repeat_reason = models.CharField(_("why"), max_length=40, blank=True)
    report = models.JSONField(_("evaluation report"), default=dict)
    deal_payload = models.BinaryField(_("deal model"), null=True, blank=True)
    repeat_payload = models.BinaryField(_("repeat-purchase model"), null=True, blank=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("trained by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    trained_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    seconds = models.FloatField(_("trained in (s)"), default=0.0)

    class Meta:
        ordering = ["-as_of", "-trained_at", "-id"]
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        indexes = [models.Index(fields=["as_of"])]

    def __str__(self) -> str:
        return f"model version #{self.pk} (data up to {self.as_of})"

    def meta(self) -> dict[str, Any]:
        """What the stored payloads carry in their header."""
        return {
            "version": self.pk,
            "as_of": self.as_of.isoformat(),
            "data_from": self.data_from.isoformat() if self.data_from else None,
            "data_to": self.data_to.isoformat() if self.data_to else None,
        }


class DealPrediction(models.Model):
    """An open deal's probability from a model version, with the three features that moved it most."""

    version = models.ForeignKey(
        ModelVersion, verbose_name=_("model version"), on_delete=models.CASCADE, related_name="predictions"
    )
    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="predictions")
    probability = models.FloatField(_("probability"))
    # [{"feature": code, "value": raw value, "effect": signed probability points}, ...] at most three
    reasons = models.JSONField(_("reasons"), default=list)

    class Meta:
        verbose_name = _("deal prediction")
        verbose_name_plural = _("deal predictions")
        constraints = [models.UniqueConstraint(fields=["version", "deal"], name="prediction_one_per_deal_and_version")]

    def __str__(self) -> str:
        return f"deal {self.deal_id}: {self.probability:.2f}"
