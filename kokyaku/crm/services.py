"""Writes to CRM records, with the permission checks every caller (UI, API, CLI) shares.

Each function takes the acting user, checks what that user may do (``kokyaku.users.roles``),
validates, and writes inside one transaction. They raise
``django.core.exceptions.PermissionDenied`` when the user may not make the change and
``django.core.exceptions.ValidationError`` (a message naming the field and value) for bad input;
nothing is written in either case.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kokyaku.crm.models import Account, Activity, CompanySettings, Deal, LostReason, Rep, Target
from kokyaku.lib.currency import ISO_4217
from kokyaku.users.roles import can_edit_account, is_manager

AnyUser = User | AbstractBaseUser | AnonymousUser

# What a rep may change on an account they own; managers may also change ``owner``.
ACCOUNT_EDITABLE_FIELDS = frozenset({"name", "industry", "region", "employees", "annual_revenue", "buyer_type"})
# What a rep may change on a deal they own; managers may also change ``owner``.
DEAL_EDITABLE_FIELDS = frozenset(
    {
        "name", "product", "amount", "currency", "stage", "status", "probability", "closed_on", "expected_close_on",
        "lost_reason", "lost_note",
    }
)  # fmt: skip


def _actor_rep(user: AnyUser) -> Rep | None:
    """Return the rep linked to a login, or None."""
    rep = getattr(user, "rep", None)
    return rep if isinstance(rep, Rep) else None


def _require_perm(user: AnyUser, perm: str) -> None:
    if not (isinstance(user, User) and user.is_active and user.has_perm(perm)):
        raise PermissionDenied("Your role does not allow this change.")


def _check_unknown(changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")


def _rep_for_owner(rep_id: int | None) -> Rep | None:
    if rep_id is None:
        return None
    rep = Rep.objects.filter(pk=rep_id).first()
    if rep is None:
        raise ValidationError(f"owner: rep {rep_id} does not exist.")
    if not rep.active:
        raise ValidationError(f"owner: rep {rep_id} ({rep.name}) is not active.")
    return rep


def _clean_and_save(obj: Account | Deal | Activity, changed: list[str]) -> None:
    """Validate only the changed fields (types, choices, lengths, ranges), then save just those."""
    fields = {f.name for f in obj._meta.concrete_fields}
    try:
        obj.full_clean(exclude=list(fields - set(changed)), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())) from None
    update = [*changed, "updated_at"] if isinstance(obj, Account) else changed
    obj.save(update_fields=update)


@transaction.atomic
def account_update(*, actor: AnyUser, account: Account, changes: Mapping[str, Any]) -> Account:
    """Apply ``changes`` (field name -> new value) to an account the actor may edit.

    A rep changes only their own accounts, and only the fields in ``ACCOUNT_EDITABLE_FIELDS``;
    ``owner`` (a rep id, or None for unassigned) changes only by a manager. Setting a field to
    the value it already has is not a change and needs no extra right.
    """
    _check_unknown(changes, ACCOUNT_EDITABLE_FIELDS | {"owner"})
    _require_perm(actor, "crm.change_account")
    if not can_edit_account(actor, account):
        raise PermissionDenied("You can only edit accounts you own.")
    changed: list[str] = []
    if "owner" in changes and changes["owner"] != account.owner_id:
        if not is_manager(actor):
            raise PermissionDenied("Only a manager can change an account's owner.")
        account.owner = _rep_for_owner(changes["owner"])
        changed.append("owner")
    for field in ACCOUNT_EDITABLE_FIELDS & set(changes):
        if getattr(account, field) != changes[field]:
            setattr(account, field, changes[field])
            changed.append(field)
    if changed:
        _clean_and_save(account, changed)
    return account


@transaction.atomic
def activity_create(
    *,
    actor: AnyUser,
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
    _require_perm(actor, "crm.add_activity")
    own = _actor_rep(actor)
    if is_manager(actor):
        rep = rep or own
        if rep is None:
            raise ValidationError("rep: say which rep made this activity (your login is not linked to a rep).")
    else:
        if own is None:
            raise PermissionDenied("Your login is not linked to a rep, so you cannot log activities.")
        if rep is not None and rep.pk != own.pk:
            raise PermissionDenied("You can only log your own activities.")
        if not can_edit_account(actor, account):
            raise PermissionDenied("You can only log activities on accounts you own.")
        rep = own
    if deal is not None and deal.account_id != account.pk:
        raise ValidationError(f"deal: deal {deal.pk} belongs to another account, not account {account.pk}.")
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    activity = Activity(
        account=account, rep=rep, deal=deal, kind=kind, occurred_at=occurred_at, minutes=minutes, note=note
    )  # fmt: skip
    try:
        activity.full_clean(exclude=["external_id"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())) from None
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
    raise ValidationError(f"{field}: {value!r} is not a date (use YYYY-MM-DD).")


def _can_edit_deal(user: AnyUser, deal: Deal) -> bool:
    if is_manager(user):
        return True
    own = _actor_rep(user)
    return own is not None and deal.owner_id == own.pk


@transaction.atomic
def deal_update(*, actor: AnyUser, deal: Deal, changes: Mapping[str, Any]) -> Deal:
    """Apply ``changes`` (field name -> new value) to a deal the actor may edit.

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
    _require_perm(actor, "crm.change_deal")
    if not _can_edit_deal(actor, deal):
        raise PermissionDenied("You can only edit deals you own.")
    changed: set[str] = set()

    def put(field: str, value: Any) -> None:
        if getattr(deal, field) != value:
            setattr(deal, field, value)
            changed.add(field)

    if "owner" in changes and changes["owner"] != deal.owner_id:
        if not is_manager(actor):
            raise PermissionDenied("Only a manager can change a deal's owner.")
        deal.owner = _rep_for_owner(changes["owner"])
        changed.add("owner")
    if "currency" in changes:
        code = str(changes["currency"] or "").strip().upper()
        if code not in ISO_4217:
            raise ValidationError(f"currency: use an ISO 4217 code such as JPY or USD, not {changes['currency']!r}.")
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
                raise ValidationError(f"lost_reason: unknown code {code!r}; use one of {codes}.")
        if deal.lost_reason_id != (reason.pk if reason else None):
            deal.lost_reason = reason
            changed.add("lost_reason")

    if "expected_close_on" in changed:
        expected = deal.expected_close_on = _as_date("expected_close_on", deal.expected_close_on)
        if deal.status != Deal.Status.OPEN:
            raise ValidationError(
                f"expected_close_on: a {deal.status} deal has closed, so its expected close date is kept as it was; "
                "set closed_on for the day it closed, or reopen the deal (status open) to change it."
            )
        if expected is not None and expected < deal.opened_on:
            raise ValidationError(f"expected_close_on: {expected} is before the deal was opened ({deal.opened_on}).")
    if deal.status == Deal.Status.OPEN:
        if "closed_on" in changes and changes["closed_on"] is not None:
            raise ValidationError(
                "closed_on: an open deal has no closed date; set status to won or lost. "
                "When it should close goes in expected_close_on."
            )
        put("closed_on", None)
        if "lost_reason" in changes and changes["lost_reason"] is not None:
            raise ValidationError("lost_reason: only a lost deal has a lost reason.")
        put("lost_reason", None)
    else:
        if deal.closed_on is None:
            put("closed_on", timezone.localdate())
        if deal.status == Deal.Status.WON:
            if "lost_reason" in changes and changes["lost_reason"] is not None:
                raise ValidationError("lost_reason: only a lost deal has a lost reason.")
            put("lost_reason", None)
    closed_on: date | None = deal.closed_on
    if closed_on is not None and closed_on < deal.opened_on:
        raise ValidationError(f"closed_on: {closed_on} is before the deal was opened ({deal.opened_on}).")
    if changed:
        _clean_and_save(deal, sorted(changed))
    return deal


@transaction.atomic
def company_settings_update(
    *, actor: AnyUser, currency: str, fiscal_year_start_month: int, dormancy_days: int
) -> CompanySettings:
    """Change the company-wide settings; managers only.

    ``currency`` is a three-letter ISO 4217 code (stored upper-case); the fiscal year may start
    in any month 1..12; the dormancy period is at least one day. Raises ValidationError keyed by
    field, with nothing saved, when any value is out of range.
    """
    _require_perm(actor, "crm.change_companysettings")
    code = currency.strip().upper()
    errors: dict[str, str] = {}
    if code not in ISO_4217:
        errors["currency"] = f"use an ISO 4217 currency code such as JPY or USD, not {currency!r}."
    if not 1 <= fiscal_year_start_month <= 12:
        errors["fiscal_year_start_month"] = f"a month is 1..12, not {fiscal_year_start_month}."
    if dormancy_days < 1:
        errors["dormancy_days"] = f"the dormancy period is at least 1 day, not {dormancy_days}."
    if errors:
        raise ValidationError(errors)
    company = CompanySettings.objects.select_for_update().filter(pk=1).first() or CompanySettings.load()
    company.currency = code
    company.fiscal_year_start_month = fiscal_year_start_month
    company.dormancy_days = dormancy_days
    company.save(update_fields=["currency", "fiscal_year_start_month", "dormancy_days"])
    return company


@transaction.atomic
def lost_reason_create(*, actor: AnyUser, code: str, label_ja: str, label_en: str) -> LostReason:
    """Add a lost reason at the end of the list; managers only. The code is a unique slug."""
    _require_perm(actor, "crm.add_lostreason")
    reason = LostReason(code=code.strip(), label_ja=label_ja.strip(), label_en=label_en.strip())
    last = LostReason.objects.order_by("-position").values_list("position", flat=True).first()
    reason.position = (last or 0) + 1
    reason.full_clean()
    reason.save()
    return reason


@transaction.atomic
def lost_reason_set_active(*, actor: AnyUser, reason: LostReason, active: bool) -> LostReason:
    """Offer or retire a lost reason; managers only. Retired reasons stay on the deals that use them."""
    _require_perm(actor, "crm.change_lostreason")
    if reason.active != active:
        reason.active = active
        reason.save(update_fields=["active"])
    return reason


@transaction.atomic
def target_set(*, actor: AnyUser, rep: Rep, period_start: date, period_end: date, amount: Decimal | None) -> Target | None:
    """Set (or with ``amount`` None, remove) a rep's revenue target for a period; managers only.

    Periods nest without double counting: a target replaces the rep's targets that lie inside
    its period (a quarter's target replaces that quarter's monthly ones), and a period that
    lies inside or overlaps an existing larger target is refused with a message naming it.
    """
    _require_perm(actor, "crm.add_target")
    _require_perm(actor, "crm.change_target")
    if period_end < period_start:
        raise ValidationError(f"period: {period_end} is before {period_start}.")
    if amount is not None and amount < 0:
        raise ValidationError(f"amount: a target cannot be negative, got {amount}.")
    mine = Target.objects.select_for_update().filter(rep=rep)
    overlapping = mine.filter(period_start__lte=period_end, period_end__gte=period_start)
    inside = overlapping.filter(period_start__gte=period_start, period_end__lte=period_end)
    blocker = overlapping.exclude(pk__in=inside.values("pk")).order_by("period_start").first()
    if blocker is not None:
        raise ValidationError(
            f"period: {rep.name} already has a target for {blocker.period_start}..{blocker.period_end}, "
            f"which overlaps {period_start}..{period_end}; change or remove that one first."
        )
    inside.exclude(period_start=period_start, period_end=period_end).delete()
    if amount is None:
        mine.filter(period_start=period_start, period_end=period_end).delete()
        return None
    target, _created = Target.objects.update_or_create(
        rep=rep, period_start=period_start, period_end=period_end, defaults={"amount": amount}
    )
    return target
