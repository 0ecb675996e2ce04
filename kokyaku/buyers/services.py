"""Every write of the buyers app: checklist, buyer type (with its audit), suggestions, key persons, objections.

Each is ``<entity>_<action>(*, actor, ...)``, checked against ``crm/permissions.py`` and atomic;
``actor=None`` is the system (the command line, the demo). A suggestion never overwrites the type a
rep chose: it is stored beside it and listed for the owner to confirm or dismiss.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kokyaku.buyers.frames import behaviour_frames, measurement_day
from kokyaku.buyers.models import ChecklistTick, KeyPerson, Objection, TypeDecision, TypeSuggestion
from kokyaku.crm.models import Account, Deal
from kokyaku.crm.permissions import check, rep_of
from kokyaku.domain.buyer_types import (
    ALL_TYPES,
    TRAIT_CODES,
    UNKNOWN,
    ChecklistScore,
    Suggestion,
    agreement_report,
    cross_fit_suggest,
    evaluate_suggestions,
    score_checklist,
    suggest_buyer_types,
)
from kokyaku.domain.buyer_types.report import AgreementReport
from kokyaku.domain.errors import DomainError
from kokyaku.lib import bulk
from kokyaku.lib.refusals import domain_text
from kokyaku.users.roles import is_manager

log = logging.getLogger(__name__)
Actor = User | AbstractBaseUser | AnonymousUser | None


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


# -- the checklist and the type -------------------------------------------------------------------


def checklist_save(*, actor: Actor, account: Account, traits: Iterable[str]) -> ChecklistScore:
    """Replace the account's ticked traits; return their score (the type and confidence the rep then confirms)."""
    check(actor, "buyer_type_update", owner_id=account.owner_id)
    codes = sorted(set(traits))
    bad = [c for c in codes if c not in TRAIT_CODES]
    if bad:
        raise ValidationError(_("Unknown checklist trait: %(codes)s") % {"codes": ", ".join(bad)})
    with transaction.atomic():
        kept = set(ChecklistTick.objects.filter(account=account, trait__in=codes).values_list("trait", flat=True))
        ChecklistTick.objects.filter(account=account).exclude(trait__in=codes).delete()
        ChecklistTick.objects.bulk_create(
            [ChecklistTick(account=account, trait=c, ticked_by=_user(actor)) for c in codes if c not in kept]
        )
    return checklist_score(codes)


def checklist_score(codes: Iterable[str]) -> ChecklistScore:
    """Score one account's ticked trait codes (one row of the domain's matrix)."""
    ticked = set(codes)
    return score_checklist(np.array([[c in ticked for c in TRAIT_CODES]]))


def buyer_type_set(
    *, actor: Actor, account: Account, buyer_type: str, source: str, confidence: float | None = None
) -> TypeDecision:
    """Set the account's buyer type and record who set it, how (checklist / suggestion / by hand) and when."""
    check(actor, "buyer_type_update", owner_id=account.owner_id)
    if buyer_type not in ALL_TYPES:
        raise ValidationError(_("Unknown buyer type: %(value)s") % {"value": buyer_type})
    if source not in TypeDecision.Source.values:
        raise ValidationError(_("Unknown source: %(value)s") % {"value": source})
    with transaction.atomic():
        previous = Account.objects.select_for_update().values_list("buyer_type", flat=True).get(pk=account.pk)
        Account.objects.filter(pk=account.pk).update(buyer_type=buyer_type, updated_at=timezone.now(), version=F("version") + 1)
        account.buyer_type = buyer_type
        decision = TypeDecision.objects.create(
            account=account, buyer_type=buyer_type, previous=previous, source=source, confidence=confidence,
            set_by=_user(actor),
        )  # fmt: skip
        TypeSuggestion.objects.filter(account=account, buyer_type=buyer_type).exclude(
            status=TypeSuggestion.Status.ACCEPTED
        ).update(status=TypeSuggestion.Status.AGREES)
    return decision


def suggestion_decide(*, actor: Actor, suggestion: TypeSuggestion, accept: bool) -> TypeSuggestion:
    """The owner accepts a suggestion (it becomes the account's type) or dismisses it (it is not listed again)."""
    account = suggestion.account
    check(actor, "buyer_type_update", owner_id=account.owner_id)
    with transaction.atomic():
        if accept:
            buyer_type_set(
                actor=actor, account=account, buyer_type=suggestion.buyer_type,
                source=TypeDecision.Source.SUGGESTION, confidence=suggestion.score,
            )  # fmt: skip
        suggestion.status = TypeSuggestion.Status.ACCEPTED if accept else TypeSuggestion.Status.DISMISSED
        suggestion.decided_by = _user(actor)
        suggestion.decided_at = timezone.now()
        suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    return suggestion


# -- suggestions for every account ----------------------------------------------------------------


@dataclass(frozen=True)
class SuggestResult:
    """What a run of :func:`suggestions_compute` did, and how its suggestions agree with the recorded types."""

    as_of: date
    method: str  # "rules" or "learned"
    accounts: int
    suggested: int
    to_confirm: int  # suggestions listed for their owner (new, or changed since the last run)
    report: AgreementReport
    note: str = ""  # why the learned model was not used, if it was not


def _suggest(features: Any, recorded: np.ndarray) -> tuple[Suggestion, str]:
    """The learned suggestion (cross-fitted: never from its own type) when it beats the rules held out; else the rules."""
    try:
        evaluation = evaluate_suggestions(features, recorded)
    except (DomainError, ValueError) as exc:  # ValueError: scikit-learn's split, a type with a single recorded account
        return suggest_buyer_types(features), domain_text(exc)
    if evaluation.method != "learned":
        return suggest_buyer_types(features), _("the learned model did not beat the rules on held-out accounts")
    try:
        return cross_fit_suggest(features, recorded), ""
    except DomainError as exc:
        return suggest_buyer_types(features), domain_text(exc)


def _reasons(suggestion: Suggestion, positions: np.ndarray) -> list[list[dict[str, object]]]:
    return [
        [{"code": r.code, "feature": r.feature, "value": round(r.value, 3), "weight": round(r.weight, 3)} for r in rs]
        for rs in suggestion.reasons(positions)
    ]


def suggestions_compute(*, actor: Actor, as_of: date | None = None) -> SuggestResult:
    """Suggest a type for every account from its behaviour alone and store the suggestions (never the types).

    A suggestion that agrees with the recorded type is stored as agreeing; one the owner already
    accepted or dismissed keeps that status while it suggests the same type; a new or changed one
    is listed for the owner to confirm. Accounts suggested "unknown" keep no suggestion. Behaviour is
    dated up to ``as_of``, by default the day the measurement takes as "now" (the latest snapshot's).
    """
    check(actor, "buyer_suggestions_compute")
    as_of = as_of or measurement_day()  # the day the measurement shown beside the suggestions takes as "now"
    frames = behaviour_frames()
    features = frames.features(as_of)
    recorded = frames.accounts["buyer_type"].to_numpy(dtype=object)
    suggestion, note = _suggest(features, recorded)
    report = agreement_report(recorded, suggestion.buyer_type)
    ids = frames.accounts["account_id"].to_numpy()
    typed = np.flatnonzero(suggestion.buyer_type != UNKNOWN)
    reasons = _reasons(suggestion, typed)
    now = np.datetime64(timezone.now().replace(tzinfo=None), "us")  # UTC (USE_TZ)
    account_ids = ids[typed].astype(np.int64)
    suggested = suggestion.buyer_type[typed].astype(object)
    with transaction.atomic():
        before = pd.DataFrame(
            list(TypeSuggestion.objects.values_list("account_id", "buyer_type", "status")),
            columns=["account_id", "type", "status"],
        ).set_index("account_id")
        old = before.reindex(account_ids)
        kept = (old["type"].to_numpy(dtype=object) == suggested) & old["status"].isin(
            [TypeSuggestion.Status.ACCEPTED, TypeSuggestion.Status.DISMISSED]
        ).to_numpy()
        status = np.where(
            suggested == recorded[typed], TypeSuggestion.Status.AGREES,
            np.where(kept, old["status"].to_numpy(dtype=object), TypeSuggestion.Status.OPEN),
        ).astype(object)  # fmt: skip
        frame = pd.DataFrame(
            {
                "account_id": account_ids, "buyer_type": suggested, "score": suggestion.score[typed].astype(float),
                "method": suggestion.method, "reasons": [json.dumps(r) for r in reasons], "status": status,
                "computed_at": now,
            }
        )  # fmt: skip
        columns = [*bulk.model_columns(TypeSuggestion, ["account", "buyer_type", "score", "method"]), ("reasons", "text")]
        columns += bulk.model_columns(TypeSuggestion, ["status", "computed_at"])
        TypeSuggestion.objects.all().delete()
        bulk.write(TypeSuggestion._meta.db_table, columns, frame)
    to_confirm = int((status == TypeSuggestion.Status.OPEN).sum())
    return SuggestResult(
        as_of=as_of, method=suggestion.method, accounts=len(ids), suggested=len(frame), to_confirm=to_confirm,
        report=report, note=note,
    )  # fmt: skip


# -- key persons ----------------------------------------------------------------------------------

KEY_PERSON_FIELDS = ("name", "department", "title", "role", "benefit", "influence", "stance", "last_contact", "notes")


def key_person_save(*, actor: Actor, account: Account, values: Mapping[str, Any], person: KeyPerson | None = None) -> KeyPerson:
    """Add a key person to the account, or change one (``person``); invalid values raise ValidationError."""
    check(actor, "key_person_update", owner_id=account.owner_id)
    if person is not None and person.account_id != account.pk:
        raise ValidationError(_("This key person belongs to another account."))
    person = person or KeyPerson(account=account)
    unknown = set(values) - set(KEY_PERSON_FIELDS) - {"external_id"}
    if unknown:
        raise ValidationError(_("Unknown key-person field: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for name, value in values.items():
        field = KeyPerson._meta.get_field(name)
        if value is None and isinstance(field, models.CharField | models.TextField) and field.blank and not field.null:
            value = ""  # null clears an optional text (the column holds "", not NULL: it was a 500, issue 15)
        setattr(person, name, value)
    person.full_clean(exclude=["account"])
    with transaction.atomic():
        person.save()
    return person


def key_person_delete(*, actor: Actor, person: KeyPerson) -> None:
    check(actor, "key_person_update", owner_id=person.account.owner_id)
    person.delete()


# -- objections -----------------------------------------------------------------------------------

OBJECTION_FIELDS = ("date", "product", "tags", "said", "answer", "deal")


def normalise_tags(tags: str | Iterable[str]) -> str:
    """Comma-separated, lower-case, stripped, each once, in the order given: " Price, ROI,price" -> "price,roi"."""
    parts = tags.split(",") if isinstance(tags, str) else list(tags)
    out: list[str] = []
    for p in (str(t).strip().lower() for t in parts):
        if p and p not in out:
            out.append(p)
    return ",".join(out)


def objection_save(*, actor: Actor, account: Account, values: Mapping[str, Any], objection: Objection | None = None) -> Objection:
    """Log an objection on the account (or change one): what the customer said and the answer that worked."""
    check(actor, "objection_update", owner_id=account.owner_id)
    if objection is not None and objection.account_id != account.pk:
        raise ValidationError(_("This objection belongs to another account."))
    unknown = set(values) - set(OBJECTION_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown objection field: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    deal = values.get("deal")
    if isinstance(deal, Deal) and deal.account_id != account.pk:
        raise ValidationError(_("The deal belongs to another account."))
    if objection is None:
        objection = Objection(account=account, rep=rep_of(actor) or account.owner, created_by=_user(actor))
    for name, value in values.items():
        setattr(objection, name, normalise_tags(value) if name == "tags" else value)
    objection.full_clean(exclude=["account", "rep", "deal", "created_by"])
    with transaction.atomic():
        objection.save()
    return objection


def objection_delete(*, actor: Actor, objection: Objection) -> None:
    check(actor, "objection_update", owner_id=objection.account.owner_id)
    objection.delete()


def objections_from_lost_notes(*, actor: Actor) -> int:
    """Turn lost deals' notes (what the customer said) into objection entries; each deal once. Return how many.

    A manager (or the system) converts every account's; a rep the accounts they own. The tag is the
    deal's lost-reason code; the date its close date; no answer (nothing worked: the deal was lost).
    """
    deals = Deal.objects.filter(status=Deal.Status.LOST).exclude(lost_note="").exclude(objections__from_lost_note=True)
    if actor is not None and not is_manager(actor):
        rep = rep_of(actor)
        check(actor, "objection_update", owner_id=rep.pk if rep else -1)  # a login without a rep is refused
        deals = deals.filter(account__owner=rep)
    rows = [
        Objection(
            account_id=a,
            rep_id=owner,
            deal_id=d,
            date=closed or opened,
            product=product,
            tags=normalise_tags(code or ""),
            said=note,
            answer="",
            from_lost_note=True,
            created_by=_user(actor),
        )
        for d, a, owner, closed, opened, product, code, note in deals.values_list(
            "pk", "account_id", "owner_id", "closed_on", "opened_on", "product", "lost_reason__code", "lost_note"
        )
    ]
    with transaction.atomic():
        Objection.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
