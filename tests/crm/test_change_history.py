"""The change history: account_update and deal_update record who changed which field from what to what."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import translation

from kokyaku.crm.models import Account, Change, Deal, LostReason, Rep
from kokyaku.crm.selectors import account_history, last_change_at
from kokyaku.crm.services import account_update, deal_update

pytestmark = pytest.mark.django_db


def test_an_account_change_is_recorded_per_field_with_who_and_labels(
    strong_account: Account, developing_rep: Rep, manager: User
) -> None:
    account_update(actor=manager, account=strong_account, changes={"owner": developing_rep.pk, "buyer_type": "pragmatist"})
    with translation.override("ja"):
        history = account_history(account_id=strong_account.pk)
        pragmatist, buyer_type = str(Account.BuyerType.PRAGMATIST.label), str(Account._meta.get_field("buyer_type").verbose_name)
    by_field = {c.field: c for c in history}
    assert set(by_field) == {"owner", "buyer_type"}
    assert (by_field["owner"].old, by_field["owner"].new) == ("Tanaka Hiroshi", "Suzuki Yui")
    assert by_field["owner"].who == "Sato Kenji"  # the manager's rep name
    assert (by_field["buyer_type"].label, by_field["buyer_type"].new) == (buyer_type, pragmatist)
    assert pragmatist != "Pragmatist"  # the labels are in Japanese
    assert last_change_at() == history[0].at


def test_a_deal_change_names_the_deal_and_keeps_amounts_plain(strong_account: Account) -> None:
    deal = Deal.objects.get(account=strong_account)
    reason = LostReason.objects.filter(active=True).first()
    assert reason is not None
    deal_update(actor=None, deal=deal, changes={"status": "lost", "lost_reason": reason.code, "amount": Decimal("1500000.00")})
    history = {c.field: c for c in account_history(account_id=strong_account.pk)}
    assert set(history) == {"status", "lost_reason", "amount"}
    assert (history["amount"].old, history["amount"].new) == ("1200000", "1500000")
    assert history["lost_reason"].new == reason.label_en
    assert history["status"].deal == "Line upgrade"
    assert history["status"].who == ""  # the system (actor None)


def test_no_change_and_a_refused_change_record_nothing(strong_account: Account, manager: User) -> None:
    account_update(actor=manager, account=strong_account, changes={"name": strong_account.name})
    with pytest.raises(ValidationError):
        account_update(actor=manager, account=strong_account, changes={"buyer_type": "whale", "region": "Kanto"})
    assert not Change.objects.exists()
    assert last_change_at() is None


def test_the_history_reads_in_a_fixed_number_of_queries(
    strong_account: Account, manager: User, django_assert_num_queries
) -> None:
    deal = Deal.objects.get(account=strong_account)
    for amount in range(1, 30):
        deal_update(actor=manager, deal=deal, changes={"amount": Decimal(amount)})
        account_update(actor=manager, account=strong_account, changes={"employees": amount})
    with django_assert_num_queries(1):
        assert len(account_history(account_id=strong_account.pk, limit=40)) == 40


def test_the_account_page_groups_the_digits_of_changed_numbers(client, strong_account: Account, manager: User) -> None:
    """The history showed "1890 → 1940" employees and "1200000 → 1500000" amounts; the values stay plain
    in the selector (as stored) and the page groups their digits. 変更後, not 経過 ("elapsed"), in Japanese."""
    account_update(actor=manager, account=strong_account, changes={"employees": 1890})
    account_update(actor=manager, account=strong_account, changes={"employees": 1940, "name": "Acme 2000"})
    deal_update(actor=manager, deal=Deal.objects.get(account=strong_account), changes={"amount": Decimal("1500000.50")})
    by_field = {c.field: c for c in account_history(account_id=strong_account.pk)}
    assert (by_field["employees"].number, by_field["amount"].number, by_field["name"].number) == (True, True, False)
    client.force_login(manager)
    html = client.get(f"/portfolio/accounts/{strong_account.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    history = html[html.index('data-testid="change-history"') :]
    assert "<td>1,890</td><td>1,940</td>" in history
    assert "<td>1,200,000</td><td>1,500,000.50</td>" in history
    assert "<td>Acme 2000</td>" in history  # a name with digits is left as typed
    assert "変更後" in history
    assert "経過" not in history
