"""Suggestions from behaviour on the small demo: stored beside the recorded types, never over them."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from kokyaku.buyers import services
from kokyaku.buyers.frames import measurement_day
from kokyaku.buyers.models import TypeDecision, TypeSuggestion
from kokyaku.crm.models import Account
from kokyaku.portfolio.models import Snapshot
from tests.portfolio.pages_demo import Demo

pytestmark = pytest.mark.django_db


def test_suggestions_never_overwrite_and_list_only_what_changed(demo: Demo) -> None:
    recorded = dict(Account.objects.values_list("pk", "buyer_type"))
    first = services.suggestions_compute(actor=None, as_of=date(2026, 6, 30))
    assert first.suggested > 0
    assert dict(Account.objects.values_list("pk", "buyer_type")) == recorded  # never written over
    rows = {s.account_id: s for s in TypeSuggestion.objects.select_related("account")}
    for s in rows.values():
        assert (s.status == TypeSuggestion.Status.AGREES) == (s.buyer_type == s.account.buyer_type)
        assert s.reasons, "every stored suggestion carries its reasons"
    assert first.to_confirm == sum(s.status == TypeSuggestion.Status.OPEN for s in rows.values())

    manager = User.objects.get(username="manager")
    to_dismiss, to_accept = [s for s in rows.values() if s.status == TypeSuggestion.Status.OPEN][:2]
    services.suggestion_decide(actor=manager, suggestion=to_dismiss, accept=False)
    services.suggestion_decide(actor=manager, suggestion=to_accept, accept=True)
    assert Account.objects.get(pk=to_accept.account_id).buyer_type == to_accept.buyer_type
    audit = TypeDecision.objects.get(account_id=to_accept.account_id)
    assert (audit.source, audit.set_by) == ("suggestion", manager)

    second = services.suggestions_compute(actor=None, as_of=date(2026, 6, 30))
    again = {s.account_id: s.status for s in TypeSuggestion.objects.all()}
    assert again[to_dismiss.account_id] == TypeSuggestion.Status.DISMISSED  # not listed again
    assert again[to_accept.account_id] == TypeSuggestion.Status.AGREES
    assert second.to_confirm == first.to_confirm - 2


def test_suggestions_are_dated_like_the_measurement_beside_them(demo: Demo) -> None:
    """Without --as-of, behaviour is read up to the latest snapshot's day (the measurement's "now"), not today:
    a history imported from years ago is not suggested from a year in which nothing happened."""
    latest = Snapshot.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    assert latest is not None
    assert latest != timezone.localdate()
    result = services.suggestions_compute(actor=None)
    assert result.as_of == latest == measurement_day()
    Snapshot.objects.all().delete()
    assert services.suggestions_compute(actor=None).as_of == timezone.localdate()
