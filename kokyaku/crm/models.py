"""Persistence for the records a sales team keeps in its CRM.

Money is always ``Decimal`` in the database (``money_field`` below); analytics convert to floats in
the domain core, never on the way in.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


def money_field(verbose_name: StrOrPromise, *, null: bool = False) -> models.DecimalField:  # type: ignore[type-arg]
    """Return the one money column type: 18 digits, 2 decimals, never a float."""
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=2, null=null, blank=null)


def external_id_unique(table: str) -> models.UniqueConstraint:
    """The one-record-per-external-id rule, as a constraint rather than ``unique=True``.

    On PostgreSQL ``unique=True`` on a CharField also builds a ``varchar_pattern_ops`` index for
    ``LIKE 'x%'``, which no query here makes (searches are ``icontains``): for deals that was 30 MB
    and 0.23 s of every million-row import. The name is PostgreSQL's own for the old constraint, so
    the migration only drops the spare index.
    """
    return models.UniqueConstraint(fields=["external_id"], name=f"{table}_external_id_key")


class CompanySettings(models.Model):
    """The company-wide settings; a single row (pk=1), read with :meth:`load`."""

    currency = models.CharField(_("currency"), max_length=3, default="JPY")
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1 = January ... 12 = December. Most Japanese listed companies start in April."),
    )
    dormancy_days = models.PositiveIntegerField(
        _("dormancy period (days)"),
        default=365,
        validators=[MinValueValidator(1)],
        help_text=_("A customer with no purchase for this long and nothing open is dormant."),
    )

    class Meta:
        verbose_name = _("company settings")
        verbose_name_plural = _("company settings")

    def __str__(self) -> str:
        return str(_("Company settings"))

    @classmethod
    def load(cls) -> CompanySettings:
        """Return the settings row, creating it with defaults on first use."""
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class ConversionRate(models.Model):
    """How many units of the company currency one unit of ``currency`` is worth (USD 151.30 for a JPY company).

    Set by a manager (Company settings, ``kokyaku company --rate USD=151.3``); every sum of amounts
    converts a deal in this currency with it (``crm.selectors.conversion_rates``). One rate per
    currency, never the company currency itself (:func:`kokyaku.crm.services.conversion_rate_set`).
    """

    currency = models.CharField(_("currency"), max_length=3)  # unique: Meta.constraints
    rate = models.DecimalField(
        _("rate"),
        max_digits=20,
        decimal_places=8,
        help_text=_("Units of the company currency one unit of this currency is worth."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency"], name="conversion_rate_currency_unique"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="conversion_rate_positive"),
        ]
        verbose_name = _("conversion rate")
        verbose_name_plural = _("conversion rates")

    def __str__(self) -> str:
        return f"{self.currency} {self.rate}"


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Rep(models.Model):
    """A salesperson. ``tier`` is about where a rep is in their growth, never a judgement."""

    class Tier(models.TextChoices):
        STRONG = "strong", _("Strong")
        DEVELOPING = "developing", _("Developing")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rep",
    )
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)  # unique: Meta.constraints
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="reps", db_index=False
    )  # the composite index led by this column serves it
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.DEVELOPING)
    capacity = models.PositiveIntegerField(_("capacity (accounts)"), default=80)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("rep")
        verbose_name_plural = _("reps")
        indexes = [models.Index(fields=["team", "tier"])]
        constraints = [external_id_unique("crm_rep")]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """A customer company or prospect."""

    class BuyerType(models.TextChoices):
        VISIONARY = "visionary", _("Visionary")
        PRAGMATIST = "pragmatist", _("Pragmatist")
        CONSERVATIVE = "conservative", _("Conservative")
        SKEPTIC = "skeptic", _("Skeptic")
        UNKNOWN = "unknown", _("Unknown")

    external_id = models.CharField(_("external id"), max_length=100)  # unique: Meta.constraints
    name = models.CharField(_("name"), max_length=300)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = money_field(_("annual revenue"), null=True)
    owner = models.ForeignKey(
        Rep,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
        db_index=False,  # (owner, name) below serves it
    )
    buyer_type = models.CharField(_("buyer type"), max_length=16, choices=BuyerType.choices, default=BuyerType.UNKNOWN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Optimistic locking: every write bumps it; an edit carrying an older one is refused (services.EditConflict).
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [
            models.Index(fields=["owner", "name"]),
            models.Index(fields=["buyer_type"]),
            models.Index(fields=["industry"]),
            models.Index(fields=["name"]),
            # The accounts created since a snapshot (the accounts tables list them): a range, not a scan.
            models.Index(fields=["created_at"], name="account_created_at"),
        ]
        # PostgreSQL also has trigram indexes on UPPER(name) and UPPER(external_id) (migration 0010), which
        # serve the accounts search (``icontains``); SQLite has none and scans.
        constraints = [external_id_unique("crm_account")]

    def __str__(self) -> str:
        return self.name


class LostReason(models.Model):
    """Why a deal was lost; the list is the company's to edit."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label_ja = models.CharField(_("label (Japanese)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")

    def __str__(self) -> str:
        return f"{self.label_ja} / {self.label_en}"

    def label(self, language: str | None) -> str:
        """Return the label in the given language code, English for anything but Japanese."""
        return self.label_ja if (language or "").startswith("ja") else self.label_en


class Deal(models.Model):
    """An opportunity with an account: open, won or lost."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    external_id = models.CharField(_("external id"), max_length=100)  # unique: Meta.constraints
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="deals", db_index=False
    )  # the composite index led by this column serves it
    owner = models.ForeignKey(
        Rep, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL, related_name="deals", db_index=False
    )  # the composite index led by this column serves it
    name = models.CharField(_("name"), max_length=300, blank=True)
    product = models.CharField(_("product"), max_length=200, blank=True)
    amount = money_field(_("amount"), null=True)
    currency = models.CharField(_("currency"), max_length=3, default="JPY")
    stage = models.CharField(_("stage"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("What the rep expects, 0-100. Left empty when unknown."),
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(
        _("closed on"), null=True, blank=True, help_text=_("When a won or lost deal closed. Empty while the deal is open.")
    )
    expected_close_on = models.DateField(
        _("expected close date"),
        null=True,
        blank=True,
        help_text=_(
            "When the rep expects an open deal to close: it puts the deal in that period's pipeline and ヨミ. "
            "Kept after the deal closes, as the forecast it was."
        ),
    )
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,  # the partial index below serves it
    )
    lost_note = models.TextField(_("what the customer said"), blank=True)
    # Optimistic locking, as on Account: every write bumps it.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)

    class Meta:
        ordering = ["-opened_on", "id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(fields=["account", "status", "closed_on"]),
            models.Index(fields=["owner", "status", "closed_on"]),
            # Covering: the won-revenue sums read only the index, never the table. The home page's
            # fiscal-year SUM (status, closed_on, currency, amount: 533-751 ms -> 122-153 ms on PostgreSQL
            # at 1M accounts) and, with owner last, the targets page's won per rep (~600 ms -> ~28 ms).
            models.Index(fields=["status", "closed_on", "currency", "amount", "owner"], name="crm_deal_status_closed_cover"),
            # The pipeline and ヨミ: open deals expected to close in a period.
            models.Index(fields=["status", "expected_close_on"], name="crm_deal_status_expected_idx"),
            # The targets page and home's 予実: a period's open deals summed per owner, read from the
            # index alone on PostgreSQL (the plain index above fetched 70,000 deals from the table at
            # a million accounts: 1.3 s under load). Partial: only open deals, a tenth of the table.
            # With the currency, which the sums read to convert (or leave out) other currencies' amounts.
            models.Index(
                fields=["expected_close_on"],
                include=["owner", "amount", "currency", "probability", "stage"],
                condition=models.Q(status="open"),
                name="crm_deal_open_expected_cover",
            ),
            models.Index(fields=["opened_on"]),
            # Most deals have no lost reason: indexing only those that do keeps the index a few pages,
            # and still serves the reason's PROTECT check and the admin's filter (lost_reason = X).
            models.Index(fields=["lost_reason"], condition=models.Q(lost_reason__isnull=False), name="crm_deal_lost_reason_idx"),
        ]
        constraints = [
            external_id_unique("crm_deal"),
            # An open deal has no closed date (its date is expected_close_on); a won or lost one has one.
            models.CheckConstraint(
                condition=models.Q(status="open", closed_on__isnull=True)
                | models.Q(status__in=["won", "lost"], closed_on__isnull=False),
                name="deal_closed_on_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0) | models.Q(amount__isnull=True), name="deal_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(probability__lte=100) | models.Q(probability__isnull=True), name="deal_probability_le_100"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.external_id

    def clean(self) -> None:
        """Refuse a closed deal without a closed date, and an open deal with one (its date is ``expected_close_on``)."""
        super().clean()
        if self.status == self.Status.OPEN and self.closed_on is not None:
            raise ValidationError(
                {"closed_on": _("An open deal has no closed date; put when it should close in the expected close date.")}
            )
        if self.status in (self.Status.WON, self.Status.LOST) and self.closed_on is None:
            raise ValidationError({"closed_on": _("A won or lost deal needs the date it closed.")})


class Activity(models.Model):
    """A touch with an account: a visit, call, mail, meeting or proposal, with the minutes it took."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Call")
        EMAIL = "email", _("Email")
        MEETING = "meeting", _("Meeting")
        PROPOSAL = "proposal", _("Proposal")

    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)  # unique: Meta.constraints
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="activities", db_index=False
    )  # the composite index led by this column serves it
    rep = models.ForeignKey(
        Rep, verbose_name=_("rep"), null=True, blank=True, on_delete=models.SET_NULL, related_name="activities", db_index=False
    )  # the composite index led by this column serves it
    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    minutes = models.PositiveIntegerField(_("minutes spent"), default=0)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-occurred_at", "id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["account", "occurred_at"]),
            models.Index(fields=["rep", "occurred_at"]),
            models.Index(fields=["occurred_at"]),
        ]
        constraints = [external_id_unique("crm_activity")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class Target(models.Model):
    """A rep's revenue target (営業目標) for a period."""

    rep = models.ForeignKey(Rep, verbose_name=_("rep"), on_delete=models.CASCADE, related_name="targets")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    amount = money_field(_("amount"))

    class Meta:
        ordering = ["rep", "period_start"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["rep", "period_start", "period_end"], name="target_unique_period"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="target_period_ordered"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="target_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.rep} {self.period_start}..{self.period_end}"


class AccountChurn(models.Model):
    """A customer's recorded departure (離反): it said it is leaving. Recorded, never inferred.

    The snapshot's lifecycle calls an account "churned" from ``churned_on`` on, unless it bought
    again after that day (the record then stays as history). A withdrawn record (entered by
    mistake, or the customer changed its mind before leaving) no longer counts but is kept.
    """

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="churns")
    churned_on = models.DateField(_("left on"))
    reason = models.CharField(_("reason"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-churned_on", "-id"]
        verbose_name = _("departure")
        verbose_name_plural = _("departures")

    def __str__(self) -> str:
        return f"{self.account_id} {self.churned_on:%Y-%m-%d}"


class Change(models.Model):
    """One field of an account or a deal changed through the services: who changed it, when, from what to what.

    Written in bulk by ``account_update`` and ``deal_update`` (one row per changed field); the
    values are kept as text (an owner or a lost reason by its id, which the history shows by name).
    """

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="changes", db_index=False
    )  # (account, at) below serves it
    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), null=True, blank=True, on_delete=models.CASCADE, related_name="changes"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("changed at"), db_index=True)
    field = models.CharField(_("field"), max_length=40)
    old = models.TextField(_("before"), blank=True)
    new = models.TextField(_("after"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [models.Index(fields=["account", "at"])]

    def __str__(self) -> str:
        return f"{self.field}: {self.old} -> {self.new}"
