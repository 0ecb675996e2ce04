"""The buyers services: checklist and confirmation with its audit, suggestions that never overwrite a rep's type,
key persons, objections and the lost-deal notes, on whichever database the run uses."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from kokyaku.buyers import services
from kokyaku.buyers.models import ChecklistTick, KeyPerson, Objection, TypeDecision
from kokyaku.crm.models import Account, Deal, LostReason, Rep

pytestmark = pytest.mark.django_db


def test_checklist_scores_the_ticks_and_leaves_the_type_until_the_rep_confirms(strong_account: Account) -> None:
    owner = User.objects.get(username="tanaka")
    score = services.checklist_save(
        actor=owner, account=strong_account, traits=["p_compares", "p_cost_effectiveness", "v_strategic_fit"]
    )
    assert score.buyer_type[0] == "pragmatist"
    assert score.confidence[0] == pytest.approx(0.4 / (0.4 + 1 / 6))
    assert set(ChecklistTick.objects.filter(account=strong_account).values_list("trait", flat=True)) == {
        "p_compares", "p_cost_effectiveness", "v_strategic_fit",
    }  # fmt: skip
    assert Account.objects.get(pk=strong_account.pk).buyer_type == "unknown"
    services.checklist_save(actor=owner, account=strong_account, traits=["s_doubts_effect", "s_doubts_value"])
    assert ChecklistTick.objects.filter(account=strong_account).count() == 2

    decision = services.buyer_type_set(
        actor=owner, account=strong_account, buyer_type="skeptic", source="checklist", confidence=1.0
    )
    assert Account.objects.get(pk=strong_account.pk).buyer_type == "skeptic"
    assert (decision.previous, decision.set_by, decision.source) == ("unknown", owner, "checklist")
    assert decision.set_at is not None


def test_unknown_codes_are_refused_and_nothing_is_written(strong_account: Account) -> None:
    owner = User.objects.get(username="tanaka")
    with pytest.raises(ValidationError, match="x_nonsense"):
        services.checklist_save(actor=owner, account=strong_account, traits=["p_compares", "x_nonsense"])
    assert not ChecklistTick.objects.exists()
    with pytest.raises(ValidationError, match="wizard"):
        services.buyer_type_set(actor=owner, account=strong_account, buyer_type="wizard", source="override")
    assert not TypeDecision.objects.exists()


def test_another_rep_may_not_set_the_type(strong_account: Account, developing_rep: Rep) -> None:
    with pytest.raises(PermissionDenied):
        services.buyer_type_set(
            actor=User.objects.get(username="suzuki"), account=strong_account, buyer_type="skeptic", source="override"
        )
    assert Account.objects.get(pk=strong_account.pk).buyer_type == "unknown"


def test_key_person_out_of_range_is_refused_whole(strong_account: Account) -> None:
    owner = User.objects.get(username="tanaka")
    with pytest.raises(ValidationError) as err:
        services.key_person_save(actor=owner, account=strong_account, values={"name": "山田 花子", "influence": 7})
    assert "influence" in str(err.value.message_dict)
    assert not KeyPerson.objects.exists()
    p = services.key_person_save(
        actor=owner, account=strong_account, values={"name": "山田 花子", "role": "decision_maker", "influence": 5}
    )
    services.key_person_save(actor=owner, account=strong_account, values={"stance": "supporter"}, person=p)
    assert KeyPerson.objects.get().stance == "supporter"


def test_objection_tags_are_normalised_and_lost_notes_become_entries_once(
    strong_account: Account, developing_account: Account
) -> None:
    owner = User.objects.get(username="tanaka")
    o = services.objection_save(
        actor=owner, account=strong_account, values={"date": date(2026, 5, 1), "said": "高い", "tags": " Price, ROI ,price"}
    )
    assert o.tags == "price,roi"
    assert o.rep is not None
    assert o.rep.user == owner
    price = LostReason.objects.get(code="price")
    for account, ext in ((strong_account, "L-1"), (developing_account, "L-2")):
        Deal.objects.create(
            external_id=ext, account=account, owner=account.owner, status=Deal.Status.LOST, opened_on=date(2026, 1, 5),
            closed_on=date(2026, 2, 1), lost_reason=price, lost_note="他社より高いと言われた",
        )  # fmt: skip
    assert services.objections_from_lost_notes(actor=owner) == 1  # a rep: only their own accounts
    assert services.objections_from_lost_notes(actor=owner) == 0  # each deal once
    assert services.objections_from_lost_notes(actor=None) == 1
    made = Objection.objects.filter(from_lost_note=True)
    assert sorted(made.values_list("tags", "said", "date")) == [("price", "他社より高いと言われた", date(2026, 2, 1))] * 2
