"""Buyer types, key persons (キーマン) and the objection log (懐疑客の声): what reps record per account.

The current type stays ``crm.Account.buyer_type``; :class:`TypeDecision` keeps who set it, how and when.
The pure analysis (checklist scoring, suggestions, gaps, tags before losses) is
``kokyaku.domain.buyer_types``; see docs/buyer-types.md.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kokyaku.crm.models import Account, Deal, Rep, external_id_unique
from kokyaku.domain.buyer_types import TRAITS


class Role(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    USER_DEPARTMENT = "user_department", _("User department")
    IT = "it", _("IT")
    PURCHASING = "purchasing", _("Purchasing")
    FINANCE = "finance", _("Finance")
    OTHER = "other", _("Other")


class Stance(models.TextChoices):
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    OPPONENT = "opponent", _("Opponent")


class Product(models.Model):
    """The product catalogue the behaviour suggestion reads: when each product was launched, and whether it is a service."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    launched_on = models.DateField(_("launched on"), null=True, blank=True)
    service = models.BooleanField(_("risk-reducing service (maintenance, training)"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class ChecklistTick(models.Model):
    """One ticked trait of the buyer-type checklist of an account."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="checklist_ticks")
    trait = models.CharField(_("trait"), max_length=32, choices=[(t.code, t.code) for t in TRAITS])
    ticked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ticked by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticked_at = models.DateTimeField(_("ticked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("checklist tick")
        verbose_name_plural = _("checklist ticks")
        constraints = [models.UniqueConstraint(fields=["account", "trait"], name="buyers_tick_unique")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.trait}"


class TypeDecision(models.Model):
    """One setting of an account's buyer type: the audit of who set it, how, and when (newest is current)."""

    class Source(models.TextChoices):
        CHECKLIST = "checklist", _("Checklist confirmed")
        SUGGESTION = "suggestion", _("Suggestion accepted")
        OVERRIDE = "override", _("Set by hand")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="type_decisions")
    buyer_type = models.CharField(_("buyer type"), max_length=16, choices=Account.BuyerType.choices)
    previous = models.CharField(_("previous type"), max_length=16, choices=Account.BuyerType.choices)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"), auto_now_add=True)

    class Meta:
        ordering = ["-set_at", "-id"]
        verbose_name = _("buyer-type decision")
        verbose_name_plural = _("buyer-type decisions")
        indexes = [models.Index(fields=["account", "-set_at"], name="buyers_decision_account")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.previous} -> {self.buyer_type}"


class TypeSuggestion(models.Model):
    """The latest behaviour suggestion for an account, and what its owner did with it."""

    class Status(models.TextChoices):
        OPEN = "open", _("To confirm")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")
        AGREES = "agrees", _("Agrees with the recorded type")

    account = models.OneToOneField(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="type_suggestion")
    buyer_type = models.CharField(_("suggested type"), max_length=16, choices=Account.BuyerType.choices)
    score = models.FloatField(_("score"), default=0.0)
    method = models.CharField(_("method"), max_length=8, default="rules")
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    computed_at = models.DateTimeField(_("computed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("buyer-type suggestion")
        verbose_name_plural = _("buyer-type suggestions")
        indexes = [models.Index(fields=["status"], name="buyers_suggestion_status")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.buyer_type} ({self.status})"


class KeyPerson(models.Model):
    """A key person (キーマン) at an account: who they are, their part in the purchase, and the benefit they want."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="key_persons")
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)  # unique: Meta.constraints
    name = models.CharField(_("name"), max_length=200)
    department = models.CharField(_("department"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    role = models.CharField(_("role in the purchase"), max_length=16, choices=Role.choices, default=Role.OTHER)
    benefit = models.CharField(_("benefit wanted"), max_length=300, blank=True)
    influence = models.PositiveSmallIntegerField(
        _("influence (1-5)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    stance = models.CharField(_("stance"), max_length=10, choices=Stance.choices, default=Stance.NEUTRAL)
    last_contact = models.DateField(_("last contact"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["account", "-influence", "name"]
        verbose_name = _("key person")
        verbose_name_plural = _("key persons")
        # the contacts import upserts on it (kokyaku/imports); persons added by hand have none (NULL)
        constraints = [external_id_unique("buyers_keyperson")]

    def __str__(self) -> str:
        return self.name


class Objection(models.Model):
    """An objection a customer raised (懐疑客の声), shared with the whole team, and the answer that worked ("": none)."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="objections")
    rep = models.ForeignKey(Rep, verbose_name=_("rep"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL, related_name="objections"
    )
    date = models.DateField(_("date"))
    product = models.CharField(_("product"), max_length=200, blank=True)
    tags = models.CharField(_("category tags"), max_length=200, blank=True)  # comma-separated, e.g. "price,roi"
    said = models.TextField(_("what the customer said"))
    answer = models.TextField(_("the answer that worked"), blank=True)
    from_lost_note = models.BooleanField(_("from a lost deal's note"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        indexes = [models.Index(fields=["date"], name="buyers_objection_date"), models.Index(fields=["account", "date"])]

    def __str__(self) -> str:
        return self.said[:60]

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (s.strip() for s in self.tags.split(",")) if t]
