"""The CRM write services on their own (the API and the UI both call them): rights, validation, no half-writes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from kokyaku.crm.models import Account, Activity, Change, Deal, Rep
from kokyaku.crm.services import account_update, activity_create, deal_update
from kokyaku.users.roles import Role
from kokyaku.users.services import user_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def login(username: str) -> User:
    return User.objects.get(username=username)


def test_an_unknown_field_is_a_programming_error(strong_account: Account) -> None:
    with pytest.raises(ValueError, match="unknown fields: external_id"):
        account_update(actor=login("tanaka"), account=strong_account, changes={"external_id": "X"})


def test_a_login_without_a_role_cannot_edit_even_its_own_reps_account(strong_rep: Rep, strong_account: Account) -> None:
    nobody = User.objects.create_user(username="nobody", password=PASSWORD)
    Rep.objects.filter(pk=strong_rep.pk).update(user=nobody)
    with pytest.raises(PermissionDenied):
        account_update(actor=nobody, account=strong_account, changes={"region": "Kanto"})


def test_sending_the_current_values_writes_nothing(strong_account: Account) -> None:
    before = Account.objects.get(pk=strong_account.pk).updated_at
    account_update(actor=login("tanaka"), account=strong_account, changes={"name": "Fuji Seiki", "industry": "manufacturing"})
    assert Account.objects.get(pk=strong_account.pk).updated_at == before


def test_an_account_update_saves_only_the_changed_fields(strong_account: Account) -> None:
    stale = Account.objects.get(pk=strong_account.pk)
    Account.objects.filter(pk=strong_account.pk).update(region="Tohoku")  # someone else's change meanwhile
    account_update(actor=login("tanaka"), account=stale, changes={"employees": 90})
    fresh = Account.objects.get(pk=strong_account.pk)
    assert (fresh.employees, fresh.region) == (90, "Tohoku")


def test_an_account_update_runs_a_bounded_number_of_queries(strong_account: Account, django_assert_max_num_queries) -> None:
    actor = login("tanaka")
    # 6 before the change history; its rows are one INSERT, however many fields changed; one more locks the
    # row and reads its version (kokyaku.crm.conflicts.claim: no lost update).
    with django_assert_max_num_queries(8):
        account_update(actor=actor, account=strong_account, changes={"region": "Kanto", "annual_revenue": Decimal("10.00")})
    fresh = Account.objects.get(pk=strong_account.pk)
    assert (fresh.region, fresh.annual_revenue) == ("Kanto", Decimal("10.00"))
    assert sorted(Change.objects.values_list("field", "new", "actor")) == [
        ("annual_revenue", "10", actor.pk),
        ("region", "Kanto", actor.pk),
    ]


def test_an_invalid_value_names_the_field_and_writes_nothing(strong_account: Account) -> None:
    with pytest.raises(ValidationError, match="buyer_type:"):
        account_update(actor=login("tanaka"), account=strong_account, changes={"buyer_type": "whale", "region": "Kanto"})
    assert Account.objects.get(pk=strong_account.pk).region == ""


def test_a_manager_without_a_rep_must_say_whose_activity_it_is(strong_account: Account) -> None:
    boss = user_create(username="boss", password=PASSWORD, role=Role.MANAGER)
    with pytest.raises(ValidationError, match="rep: say which rep"):
        activity_create(actor=boss, account=strong_account, kind="visit", occurred_at=datetime(2026, 6, 1, tzinfo=TOKYO))
    assert not Activity.objects.exists()


def test_a_rep_login_without_a_rep_cannot_log_activities(strong_account: Account) -> None:
    loose = user_create(username="loose", password=PASSWORD, role=Role.REP)
    with pytest.raises(PermissionDenied, match="not linked to a rep"):
        activity_create(actor=loose, account=strong_account, kind="call", occurred_at=datetime(2026, 6, 1, tzinfo=TOKYO))


def test_a_naive_activity_time_is_local_time(strong_account: Account) -> None:
    activity = activity_create(actor=login("tanaka"), account=strong_account, kind="call", occurred_at=datetime(2026, 6, 1, 9, 0))
    assert activity.occurred_at == datetime(2026, 6, 1, 9, 0, tzinfo=TOKYO)


def test_a_manager_logs_for_another_rep(strong_account: Account, developing_rep: Rep, manager: User) -> None:
    activity = activity_create(
        actor=manager, account=strong_account, kind="meeting", occurred_at=datetime(2026, 6, 1, tzinfo=TOKYO), rep=developing_rep
    )
    assert activity.rep_id == developing_rep.pk


@time_machine.travel(datetime(2026, 6, 1, 12, 0, tzinfo=TOKYO), tick=False)
def test_a_manager_closes_a_reps_deal_as_won_today(developing_account: Account, developing_rep: Rep, manager: User) -> None:
    deal = Deal.objects.create(
        external_id="D-9", account=developing_account, owner=developing_rep, amount=Decimal(5), opened_on=date(2026, 5, 1)
    )
    deal_update(actor=manager, deal=deal, changes={"status": "won"})
    deal.refresh_from_db()
    assert (deal.status, deal.closed_on) == ("won", date(2026, 6, 1))


def test_a_rep_cannot_change_an_unowned_deal(developing_account: Account) -> None:
    deal = Deal.objects.create(external_id="D-8", account=developing_account, owner=None, opened_on=date(2026, 5, 1))
    with pytest.raises(PermissionDenied, match="deals you own"):
        deal_update(actor=login("suzuki"), deal=deal, changes={"stage": "won it"})


def test_a_deals_currency_must_be_iso_4217_and_is_stored_upper_case(developing_account: Account, developing_rep: Rep) -> None:
    deal = Deal.objects.create(external_id="D-C", account=developing_account, owner=developing_rep, opened_on=date(2026, 5, 1))
    with pytest.raises(ValidationError, match="currency: use an ISO 4217 code such as JPY or USD, not 'yen'"):
        deal_update(actor=login("suzuki"), deal=deal, changes={"currency": "yen"})
    deal.refresh_from_db()
    assert deal.currency == "JPY"
    deal_update(actor=login("suzuki"), deal=deal, changes={"currency": "usd"})
    deal.refresh_from_db()
    assert deal.currency == "USD"


# -- expected close dates ----------------------------------------------------------------------------


@pytest.fixture
def open_deal(developing_account: Account, developing_rep: Rep) -> Deal:
    return Deal.objects.create(
        external_id="D-E", account=developing_account, owner=developing_rep, amount=Decimal(100), opened_on=date(2026, 5, 1)
    )


def test_a_rep_gives_an_open_deal_an_expected_close_date_even_one_already_past(open_deal: Deal) -> None:
    deal_update(actor=login("suzuki"), deal=open_deal, changes={"expected_close_on": date(2026, 9, 30)})
    open_deal.refresh_from_db()
    assert (open_deal.expected_close_on, open_deal.closed_on) == (date(2026, 9, 30), None)
    deal_update(actor=login("suzuki"), deal=open_deal, changes={"expected_close_on": "2026-05-02"})  # slipped: allowed
    open_deal.refresh_from_db()
    assert open_deal.expected_close_on == date(2026, 5, 2)
    deal_update(actor=login("suzuki"), deal=open_deal, changes={"expected_close_on": None})
    open_deal.refresh_from_db()
    assert open_deal.expected_close_on is None


def test_another_rep_cannot_move_an_expected_close_date(open_deal: Deal, strong_rep: Rep) -> None:
    with pytest.raises(PermissionDenied, match="deals you own"):
        deal_update(actor=login("tanaka"), deal=open_deal, changes={"expected_close_on": date(2026, 9, 30)})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (date(2026, 4, 30), r"expected_close_on: 2026-04-30 is before the deal was opened \(2026-05-01\)"),
        ("next month", r"expected_close_on: 'next month' is not a date"),
    ],
)
def test_a_bad_expected_close_date_is_refused_and_nothing_written(open_deal: Deal, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        deal_update(actor=login("suzuki"), deal=open_deal, changes={"expected_close_on": value, "stage": "Proposal"})
    open_deal.refresh_from_db()
    assert (open_deal.expected_close_on, open_deal.stage) == (None, "")


@time_machine.travel(datetime(2026, 6, 1, 12, 0, tzinfo=TOKYO), tick=False)
def test_closing_a_deal_keeps_its_expected_date_as_the_forecast_it_was(open_deal: Deal) -> None:
    deal_update(actor=login("suzuki"), deal=open_deal, changes={"expected_close_on": date(2026, 5, 29)})
    deal_update(actor=login("suzuki"), deal=open_deal, changes={"status": "won"})
    open_deal.refresh_from_db()
    assert (open_deal.status, open_deal.closed_on, open_deal.expected_close_on) == ("won", date(2026, 6, 1), date(2026, 5, 29))
    # Sending the same value again (a client that PATCHes every field) is no change, so it is fine.
    deal_update(actor=login("suzuki"), deal=open_deal, changes={"expected_close_on": date(2026, 5, 29), "stage": "Won"})
    # Reopening offers the old date again, to be corrected.
    deal_update(actor=login("suzuki"), deal=open_deal, changes={"status": "open", "expected_close_on": date(2026, 7, 31)})
    open_deal.refresh_from_db()
    assert (open_deal.status, open_deal.closed_on, open_deal.expected_close_on) == ("open", None, date(2026, 7, 31))


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "won", "expected_close_on": date(2026, 7, 31)},  # closing it and moving the forecast at once
        {"status": "lost", "closed_on": date(2026, 5, 20), "expected_close_on": date(2026, 5, 20)},
    ],
)
def test_an_expected_close_date_cannot_change_on_a_closed_deal(open_deal: Deal, changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match=r"expected_close_on: a (won|lost) deal has closed"):
        deal_update(actor=login("suzuki"), deal=open_deal, changes=changes)
    open_deal.refresh_from_db()
    assert (open_deal.status, open_deal.closed_on, open_deal.expected_close_on) == ("open", None, None)
    won = Deal.objects.create(
        external_id="D-W", account=open_deal.account, owner=open_deal.owner, status=Deal.Status.WON,
        opened_on=date(2026, 5, 1), closed_on=date(2026, 5, 20),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="expected_close_on: a won deal has closed"):
        deal_update(actor=login("suzuki"), deal=won, changes={"expected_close_on": date(2026, 6, 30)})


def test_an_open_deal_still_refuses_a_closed_date_and_points_to_the_expected_one(open_deal: Deal) -> None:
    with pytest.raises(ValidationError, match=r"closed_on: an open deal has no closed date.*expected_close_on"):
        deal_update(actor=login("suzuki"), deal=open_deal, changes={"closed_on": date(2026, 6, 30)})


def test_the_model_refuses_a_closed_date_that_does_not_fit_the_status(open_deal: Deal) -> None:
    open_deal.closed_on = date(2026, 6, 30)
    with pytest.raises(ValidationError, match="expected close date"):
        open_deal.full_clean()
    open_deal.status, open_deal.closed_on = Deal.Status.WON, None
    with pytest.raises(ValidationError, match="needs the date it closed"):
        open_deal.full_clean()
    open_deal.closed_on = date(2026, 6, 30)
    open_deal.full_clean()
