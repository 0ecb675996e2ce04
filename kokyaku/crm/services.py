"""Writes to CRM records, with the permission checks every caller (UI, API, CLI) shares.

Each function takes the acting user (``actor``), checks what that user may do
(:mod:`kokyaku.crm.permissions`), validates, and writes inside one transaction. They raise
``django.core.exceptions.PermissionDenied`` when the user may not make the change and
``django.core.exceptions.ValidationError`` (a message naming the field and value) for bad input;
nothing is written in either case. Messages are translated (the active language: the page's, or
the API request's ``Accept-Language``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.crm.conflicts import claim
from kokyaku.crm.models import (
    Account,
    AccountChurn,
    Activity,
    Change,
    CompanySettings,
    ConversionRate,
    Deal,
    LostReason,
    Rep,
    Target,
)
from kokyaku.crm.permissions import AnyUser, check, rep_of
from kokyaku.lib.currency import ISO_4217
from kokyaku.users.roles import Role, is_manager
from kokyaku.users.services import UserError, user_create

# What a rep may change on an account they own; managers may also change ``owner``.
ACCOUNT_EDITABLE_FIELDS = frozenset({"name", "industry", "region", "employees", "annual_revenue", "buyer_type"})
# What a rep may change on a deal they own; managers may also change ``owner``.
DEAL_EDITABLE_FIELDS = frozenset(
    {
        "name", "product", "amount", "currency", "stage", "status", "probability", "closed_on", "expected_close_on",
        "lost_reason", "lost_note",
    }
)  # fmt: skip


def _check_unknown(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(_("unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})


def _rep_for_owner(rep_id: int | None) -> Rep | None:
    if rep_id is None:
        return None
    rep = Rep.objects.filter(pk=rep_id).first()
    if rep is None:
        raise ValidationError(_("owner: rep %(id)s does not exist.") % {"id": rep_id})
    if not rep.active:
        raise ValidationError(_("owner: rep %(id)s (%(name)s) is not active.") % {"id": rep_id, "name": rep.name})
    return rep


def _field_errors(exc: ValidationError) -> ValidationError:
    """One message naming each bad field: ``amount: Ensure this value is greater than or equal to 0.``."""
    return ValidationError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()))


def _clean_and_save(obj: Account | Deal | Activity, changed: list[str]) -> None:
    """Validate only the changed fields (types, choices, lengths, ranges), then save just those."""
    fields = {f.name for f in obj._meta.concrete_fields}
    for name in changed:  # null for an optional text clears it: the column holds "", not NULL (a 500 before, issue 15)
        field = obj._meta.get_field(name)
        if (
            getattr(obj, name) is None
            and isinstance(field, models.CharField | models.TextField)
            and field.blank
            and not field.null
        ):
            setattr(obj, name, "")
    try:
        obj.full_clean(exclude=list(fields - set(changed)), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise _field_errors(exc) from None
    update = [*changed, "updated_at"] if isinstance(obj, Account) else list(changed)
    if not isinstance(obj, Activity):
        obj.version += 1  # the row is locked (conflicts.claim): no one else bumps it meanwhile
        update.append("version")
    obj.save(update_fields=update)


def _as_text(value: object) -> str:
    """A field's value as the history keeps it: a date in ISO form, an amount without trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


def _values(obj: Account | Deal, fields: frozenset[str]) -> dict[str, str]:
    """The fields' values as text; a rep or lost reason by its id (read without a query; the history names them)."""
    related = {"owner", "lost_reason"}
    return {field: _as_text(getattr(obj, f"{field}_id" if field in related else field)) for field in fields}


def _record_changes(
    *, actor: AnyUser | None, account_id: int, deal_id: int | None, before: dict[str, str], after: dict[str, str]
) -> None:
    """Write one ``Change`` row per field whose value differs, in one INSERT."""
    user = actor if isinstance(actor, User) else None
    at = timezone.now()
    Change.objects.bulk_create(
        Change(account_id=account_id, deal_id=deal_id, actor=user, at=at, field=field, old=before[field], new=after[field])
        for field in sorted(before)
        if before[field] != after[field]
    )


@transaction.atomic
def account_update(*, actor: AnyUser | None, account: Account, changes: Mapping[str, Any], version: int | None = None) -> Account:
    """Apply ``changes`` (field name -> new value) to an account the actor may edit.

    ``version`` is the account's version the editor started from: when someone saved the account
    since, :class:`kokyaku.crm.conflicts.EditConflict` is raised and nothing is written.

    A rep changes only their own accounts, and only the fields in ``ACCOUNT_EDITABLE_FIELDS``;
    ``owner`` (a rep id, or None for unassigned) changes only by a manager. Setting a field to
    the value it already has is not a change and needs no extra right.
    """
    _check_unknown(changes, ACCOUNT_EDITABLE_FIELDS | {"owner"})
    check(actor, "account_update", owner_id=account.owner_id)
    if claim(account, version):  # read again: changed since the caller read it (the owner too, perhaps)
        check(actor, "account_update", owner_id=account.owner_id)
    kept = ACCOUNT_EDITABLE_FIELDS | {"owner"}
    before = _values(account, kept)
    changed: list[str] = []
    if "owner" in changes and changes["owner"] != account.owner_id:
        check(actor, "account_reassign")
        account.owner = _rep_for_owner(changes["owner"])
        changed.append("owner")
    for field in ACCOUNT_EDITABLE_FIELDS & set(changes):
        if getattr(account, field) != changes[field]:
            setattr(account, field, changes[field])
            changed.append(field)
    if changed:
        _clean_and_save(account, changed)
        _record_changes(actor=actor, account_id=account.pk, deal_id=None, before=before, after=_values(account, kept))
    return account


@transaction.atomic
def activity_create(
    *,
    actor: AnyUser | None,
    account: Account,
    kind: str,
    occurred_at: datetime,
    minutes: int = 0,
    note: str = "",
    deal: Deal | None = None,
    rep: Rep | None = None,
) -> Activity:
    """Log an activity on an account.

    A rep logs their own activities on their own accounts (``rep`` None or their own rep);
    a manager logs for any rep on any account (``rep`` defaults to the manager's own rep).
    ``deal``, when given, must belong to the account.
    """
    own = rep_of(actor)
    for_anyone = actor is None or is_manager(actor)
    if not for_anyone and own is None and isinstance(actor, User) and actor.has_perm("crm.add_activity"):
        raise PermissionDenied(_("Your login is not linked to a rep, so you cannot log activities."))
    check(actor, "activity_create", owner_id=account.owner_id)
    if for_anyone:
        rep = rep or own
        if rep is None:
            raise ValidationError(_("rep: say which rep made this activity (your login is not linked to a rep)."))
    else:
        if rep is not None and own is not None and rep.pk != own.pk:
            check(actor, "activity_for_another_rep")
        rep = own
    if deal is not None and deal.account_id != account.pk:
        raise ValidationError(
            _("deal: deal %(deal)s belongs to another account, not account %(account)s.")
            % {"deal": deal.pk, "account": account.pk}
        )
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    activity = Activity(
        account=account, rep=rep, deal=deal, kind=kind, occurred_at=occurred_at, minutes=minutes, note=note
    )  # fmt: skip
    try:
        activity.full_clean(exclude=["external_id"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise _field_errors(exc) from None
    activity.save()
    return activity


def _as_date(field: str, value: object) -> date | None:
    """Return ``value`` as a date (an ISO string is parsed), or raise ValidationError naming the field."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(_("%(field)s: %(value)s is not a date (use YYYY-MM-DD).") % {"field": field, "value": repr(value)})


@transaction.atomic
def deal_update(*, actor: AnyUser | None, deal: Deal, changes: Mapping[str, Any], version: int | None = None) -> Deal:
    """Apply ``changes`` (field name -> new value) to a deal the actor may edit.

    ``version``: as for :func:`account_update`, the deal's version the editor started from.

    A rep changes only deals they own; ``owner`` (a rep id) changes only by a manager.
    ``lost_reason`` is a lost-reason code (or None). Status rules: a won or lost deal gets a
    closed date (today unless given); reopening a deal clears its closed date and lost reason;
    only a lost deal has a lost reason.

    ``expected_close_on`` is the date the rep expects an open deal to close (it may lie in the
    past: a deal that slipped). It changes only while the deal is open, and not before the deal
    was opened. Closing a deal keeps it untouched, as the forecast it was (how far deals slip is
    then measurable); reopening one offers it again, to be corrected. Changing it on a won or lost
    deal (or in the same change that closes it) is refused: set ``closed_on`` instead.
    """
    _check_unknown(changes, DEAL_EDITABLE_FIELDS | {"owner"})
    check(actor, "deal_update", owner_id=deal.owner_id)
    if claim(deal, version):  # read again: changed since the caller read it (the owner too, perhaps)
        check(actor, "deal_update", owner_id=deal.owner_id)
    kept = DEAL_EDITABLE_FIELDS | {"owner"}
    before = _values(deal, kept)
    changed: set[str] = set()

    def put(field: str, value: Any) -> None:
        if getattr(deal, field) != value:
            setattr(deal, field, value)
            changed.add(field)

    if "owner" in changes and changes["owner"] != deal.owner_id:
        check(actor, "deal_reassign")
        deal.owner = _rep_for_owner(changes["owner"])
        changed.add("owner")
    if "currency" in changes:
        code = str(changes["currency"] or "").strip().upper()
        if code not in ISO_4217:
            message = _("currency: use an ISO 4217 code such as JPY or USD, not %(value)s.")
            raise ValidationError(message % {"value": repr(changes["currency"])})
        changes = {**changes, "currency": code}
    for field in DEAL_EDITABLE_FIELDS - {"lost_reason"}:
        if field in changes:
            put(field, changes[field])
    if "lost_reason" in changes:
        code = changes["lost_reason"]
        reason = None
        if code is not None:
            reason = LostReason.objects.filter(code=code, active=True).first()
            if reason is None:
                codes = ", ".join(LostReason.objects.filter(active=True).values_list("code", flat=True))
                raise ValidationError(
                    _("lost_reason: unknown code %(code)s; use one of %(codes)s.") % {"code": repr(code), "codes": codes}
                )
        if deal.lost_reason_id != (reason.pk if reason else None):
            deal.lost_reason = reason
            changed.add("lost_reason")

    if "expected_close_on" in changed:
        expected = deal.expected_close_on = _as_date("expected_close_on", deal.expected_close_on)
        if deal.status != Deal.Status.OPEN:
            closed = _(
                "expected_close_on: a %(status)s deal has closed, so its expected close date is kept as it was; "
                "set closed_on for the day it closed, or reopen the deal (status open) to change it."
            )
            raise ValidationError(closed % {"status": deal.status})
        if expected is not None and expected < deal.opened_on:
            early = _("expected_close_on: %(date)s is before the deal was opened (%(opened)s).")
            raise ValidationError(early % {"date": expected, "opened": deal.opened_on})
    if deal.status == Deal.Status.OPEN:
        if "closed_on" in changes and changes["closed_on"] is not None:
            raise ValidationError(
                _(
                    "closed_on: an open deal has no closed date; set status to won or lost. "
                    "When it should close goes in expected_close_on."
                )
            )
        put("closed_on", None)
        if "lost_reason" in changes and changes["lost_reason"] is not None:
            raise ValidationError(_("lost_reason: only a lost deal has a lost reason."))
        put("lost_reason", None)
    else:
        if deal.closed_on is None:
            put("closed_on", timezone.localdate())
        if deal.status == Deal.Status.WON:
            if "lost_reason" in changes and changes["lost_reason"] is not None:
                raise ValidationError(_("lost_reason: only a lost deal has a lost reason."))
            put("lost_reason", None)
    closed_on: date | None = deal.closed_on
    if closed_on is not None and closed_on < deal.opened_on:
        early = _("closed_on: %(date)s is before the deal was opened (%(opened)s).")
        raise ValidationError(early % {"date": closed_on, "opened": deal.opened_on})
    if changed:
        _clean_and_save(deal, sorted(changed))
        _record_changes(actor=actor, account_id=deal.account_id, deal_id=deal.pk, before=before, after=_values(deal, kept))
    return deal


@transaction.atomic
def company_settings_update(
    *, actor: AnyUser | None, currency: str, fiscal_year_start_month: int, dormancy_days: int
) -> CompanySettings:
    """Change the company-wide settings; managers only.

    ``currency`` is a three-letter ISO 4217 code (stored upper-case); the fiscal year may start
    in any month 1..12; the dormancy period is at least one day. Raises ValidationError keyed by
    field, with nothing saved, when any value is out of range.
    """
    check(actor, "company_settings_update")
    code = currency.strip().upper()
    errors: dict[str, str] = {}
    if code not in ISO_4217:
        errors["currency"] = _("use an ISO 4217 currency code such as JPY or USD, not %(value)s.") % {"value": repr(currency)}
    if not 1 <= fiscal_year_start_month <= 12:
        errors["fiscal_year_start_month"] = _("a month is 1..12, not %(value)s.") % {"value": fiscal_year_start_month}
    if dormancy_days < 1:
        errors["dormancy_days"] = _("the dormancy period is at least 1 day, not %(value)s.") % {"value": dormancy_days}
    company = CompanySettings.objects.select_for_update().filter(pk=1).first() or CompanySettings.load()
    if "currency" not in errors and code != company.currency and ConversionRate.objects.exists():
        # The rates are in units of the old currency: kept, they would convert at a wrong rate.
        errors["currency"] = _("the conversion rates are in %(old)s: remove them before changing the company currency.") % {
            "old": company.currency
        }
    if errors:
        raise ValidationError(errors)
    company.currency = code
    company.fiscal_year_start_month = fiscal_year_start_month
    company.dormancy_days = dormancy_days
    company.save(update_fields=["currency", "fiscal_year_start_month", "dormancy_days"])
    return company


def _currency_code(value: str) -> str:
    """An ISO 4217 code from what a person typed (``usd``), or ValidationError keyed ``currency``."""
    code = str(value).strip().upper()
    if code not in ISO_4217:
        raise ValidationError(
            {"currency": _("use an ISO 4217 currency code such as USD or EUR, not %(value)s.") % {"value": repr(value)}}
        )
    return code


@transaction.atomic
def conversion_rate_set(*, actor: AnyUser | None, currency: str, rate: Decimal | str) -> ConversionRate:
    """Set how many units of the company currency one unit of ``currency`` is worth; managers only.

    ``currency`` is an ISO 4217 code other than the company's; ``rate`` is above 0 with at most 8
    decimals (``"151.3"`` or a Decimal). Raises ValidationError keyed ``currency`` or ``rate``, with
    nothing saved. Snapshots computed from now on convert with it; Home, targets and retention at once.
    """
    check(actor, "company_settings_update")
    code = _currency_code(currency)
    company = CompanySettings.load()
    if code == company.currency:
        raise ValidationError({"currency": _("%(code)s is the company currency: its amounts need no rate.") % {"code": code}})
    try:
        value = Decimal(str(rate).strip().replace(",", ""))
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        message = _("a rate is a number above 0 (units of %(company)s for one %(code)s), not %(value)s.")
        raise ValidationError({"rate": message % {"company": company.currency, "code": code, "value": repr(str(rate))}})
    found = ConversionRate.objects.select_for_update().filter(currency=code).first()
    row = found or ConversionRate(currency=code)
    row.rate = value
    try:
        row.full_clean(exclude=["currency"])
    except ValidationError as exc:
        raise ValidationError({"rate": [f"{m}" for m in exc.message_dict.get("rate", exc.messages)]}) from None
    row.save()
    return row


@transaction.atomic
def conversion_rate_clear(*, actor: AnyUser | None, currency: str) -> bool:
    """Remove the rate of ``currency`` (managers only); True if there was one. Its deals are then unconverted."""
    check(actor, "company_settings_update")
    deleted, _rows = ConversionRate.objects.filter(currency=_currency_code(currency)).delete()
    return deleted > 0


@transaction.atomic
def lost_reason_create(*, actor: AnyUser | None, code: str, label_ja: str, label_en: str) -> LostReason:
    """Add a lost reason at the end of the list; managers only. The code is a unique slug."""
    check(actor, "lost_reason_create")
    reason = LostReason(code=code.strip(), label_ja=label_ja.strip(), label_en=label_en.strip())
    last = LostReason.objects.order_by("-position").values_list("position", flat=True).first()
    reason.position = (last or 0) + 1
    reason.full_clean()
    reason.save()
    return reason


@transaction.atomic
def lost_reason_set_active(*, actor: AnyUser | None, reason: LostReason, active: bool) -> LostReason:
    """Offer or retire a lost reason; managers only. Retired reasons stay on the deals that use them."""
    check(actor, "lost_reason_set_active")
    if reason.active != active:
        reason.active = active
        reason.save(update_fields=["active"])
    return reason


@transaction.atomic
def target_set(*, actor: AnyUser | None, rep: Rep, period_start: date, period_end: date, amount: Decimal | None) -> Target | None:
    """Set (or with ``amount`` None, remove) a rep's revenue target for a period; managers only.

    Periods nest without double counting: a target replaces the rep's targets that lie inside
    its period (a quarter's target replaces that quarter's monthly ones), and a period that
    lies inside or overlaps an existing larger target is refused with a message naming it.
    """
    check(actor, "target_set")
    if period_end < period_start:
        raise ValidationError(_("period: %(end)s is before %(start)s.") % {"end": period_end, "start": period_start})
    if amount is not None and amount < 0:
        raise ValidationError(_("amount: a target cannot be negative, got %(amount)s.") % {"amount": amount})
    mine = Target.objects.select_for_update().filter(rep=rep)
    overlapping = mine.filter(period_start__lte=period_end, period_end__gte=period_start)
    inside = overlapping.filter(period_start__gte=period_start, period_end__lte=period_end)
    blocker = overlapping.exclude(pk__in=inside.values("pk")).order_by("period_start").first()
    if blocker is not None:
        overlap = _(
            "period: %(rep)s already has a target for %(start)s..%(end)s, which overlaps %(new_start)s..%(new_end)s; "
            "change or remove that one first."
        )
        raise ValidationError(
            overlap
            % {
                "rep": rep.name,
                "start": blocker.period_start,
                "end": blocker.period_end,
                "new_start": period_start,
                "new_end": period_end,
            }
        )
    inside.exclude(period_start=period_start, period_end=period_end).delete()
    if amount is None:
        mine.filter(period_start=period_start, period_end=period_end).delete()
        return None
    target, _created = Target.objects.update_or_create(
        rep=rep, period_start=period_start, period_end=period_end, defaults={"amount": amount}
    )
    return target


@transaction.atomic
def login_create(
    *, actor: AnyUser | None, username: str, password: str, role: Role, email: str = "", rep_id: int | None = None
) -> User:
    """Create a login with a role, linked to rep ``rep_id`` when given (a rep's own book: My portfolio).

    Admins only; ``actor`` None is the command line (``kokyaku createuser``). Raises UserError
    when the username is taken or the rep does not exist or already has a login; nothing is
    created then.
    """
    check(actor, "login_create")
    user = user_create(username=username, password=password, role=role, email=email)
    if rep_id is not None and not Rep.objects.filter(pk=rep_id, user__isnull=True).update(user=user):
        raise UserError(_("rep %(id)s does not exist or already has a login") % {"id": rep_id})
    return user


@transaction.atomic
def churn_record(*, actor: AnyUser | None, account: Account, churned_on: date, reason: str) -> AccountChurn:
    """Record that a customer said it is leaving (離反), from ``churned_on``, and why.

    The owner (or a manager) records it; the next snapshot calls the account "churned" (never
    inferred from purchases). A date in the future or an empty reason is refused, naming the value.
    """
    check(actor, "churn_record", owner_id=account.owner_id)
    if churned_on > timezone.localdate():
        raise ValidationError(_("left on: %(date)s is in the future.") % {"date": churned_on})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("reason: say why the customer is leaving."))
    if len(reason) > 300:
        raise ValidationError(_("reason: at most 300 characters, got %(n)s.") % {"n": len(reason)})
    by = actor if isinstance(actor, User) else None
    return AccountChurn.objects.create(account=account, churned_on=churned_on, reason=reason, recorded_by=by)


@transaction.atomic
def churn_withdraw(*, actor: AnyUser | None, churn: AccountChurn) -> AccountChurn:
    """Withdraw a recorded departure (kept as history, no longer counted by the next snapshot)."""
    check(actor, "churn_withdraw", owner_id=churn.account.owner_id)
    if churn.withdrawn_at is not None:
        raise ValidationError(_("departure %(id)s was already withdrawn.") % {"id": churn.pk})
    churn.withdrawn_at = timezone.now()
    churn.withdrawn_by = actor if isinstance(actor, User) else None
    churn.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return churn
