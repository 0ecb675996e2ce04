"""The database itself keeps the deal rules that every writer (forms, API, imports) also checks."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from kokyaku.crm.models import Account, Deal, Rep

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "closed_on"),
    [("open", date(2026, 3, 1)), ("won", None), ("lost", None)],
    ids=["open deal with a closed date", "won deal without one", "lost deal without one"],
)
def test_a_deal_whose_closed_date_contradicts_its_status_is_refused(strong_rep: Rep, status: str, closed_on: date | None) -> None:
    account = Account.objects.create(external_id="A1", name="Fuji Seiki", owner=strong_rep)
    with pytest.raises(IntegrityError, match="deal_closed_on_matches_status"), transaction.atomic():
        Deal.objects.create(external_id="D1", account=account, status=status, opened_on=date(2026, 1, 5), closed_on=closed_on)
    Deal.objects.create(external_id="D2", account=account, status="won", opened_on=date(2026, 1, 5), closed_on=date(2026, 3, 1))
    Deal.objects.create(external_id="D3", account=account, status="open", opened_on=date(2026, 1, 5))
    assert Deal.objects.count() == 2


def test_external_ids_stay_unique(strong_rep: Rep) -> None:
    account = Account.objects.create(external_id="A1", name="Fuji Seiki", owner=strong_rep)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(external_id="A1", name="Another")
    Deal.objects.create(external_id="D1", account=account, status="open", opened_on=date(2026, 1, 5))
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.create(external_id="D1", account=account, status="open", opened_on=date(2026, 1, 5))
