"""Loading the demo: counts, atomicity, refusal of a database with data, the logins, and PostgreSQL's COPY path."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Max
from django.test import Client

from kokyaku.buyers.models import KeyPerson
from kokyaku.crm.models import Account, Activity, Deal, Rep, Target, Team
from kokyaku.demo import services
from kokyaku.demo.generator import DemoSpec
from kokyaku.demo.services import DEMO_PASSWORD, DemoDatabaseNotEmpty, DemoError, demo_load
from kokyaku.users.roles import is_manager
from tests.demo.conftest import AS_OF, draw

pytestmark = pytest.mark.django_db


def _expected(accounts: int, seed: int) -> tuple[int, int, int]:
    p = draw(DemoSpec(accounts=accounts, seed=seed, as_of=AS_OF))
    return len(p.accounts["index"]), len(p.deals["index"]), len(p.activities["account"])


def test_it_writes_what_the_generator_draws() -> None:
    result = demo_load(actor=None, accounts=200, seed=3, as_of=AS_OF)
    accounts, deals, activities = _expected(200, 3)
    assert (result.accounts, result.deals, result.activities) == (accounts, deals, activities)
    assert Account.objects.count() == accounts
    assert Deal.objects.count() == deals
    assert Activity.objects.count() == activities
    assert Rep.objects.count() == result.reps == 30
    assert Team.objects.count() == result.teams == 3
    assert Target.objects.count() == result.targets == 30 * 12


def test_values_round_trip_exactly() -> None:
    demo_load(actor=None, accounts=200, seed=3, as_of=AS_OF)
    p = draw(DemoSpec(accounts=200, seed=3, as_of=AS_OF))
    first_deal = Deal.objects.order_by("pk").first()
    assert first_deal is not None
    assert first_deal.amount == Decimal(int(p.deals["amount"][0]))
    assert first_deal.opened_on == p.deals["opened_on"][0].astype(object)
    assert first_deal.account.name == p.accounts["name"][p.deals["account"][0]]
    activity = Activity.objects.order_by("pk").first()
    assert activity is not None
    stamp = p.activities["occurred_at"][0].astype(object).replace(tzinfo=UTC)
    assert activity.occurred_at == stamp
    # Date filters work on the stored values (SQLite compares them as text).
    cutoff = datetime(2026, 1, 1, tzinfo=UTC)
    expected = int((p.activities["occurred_at"] >= np.datetime64("2026-01-01T00:00:00")).sum())
    assert Activity.objects.filter(occurred_at__gte=cutoff).count() == expected


def test_lost_deals_point_at_the_companys_lost_reasons() -> None:
    demo_load(actor=None, accounts=200, seed=3, as_of=AS_OF)
    lost = Deal.objects.filter(status=Deal.Status.LOST)
    assert lost.exists()
    assert not lost.filter(lost_reason__isnull=True).exists()
    assert not Deal.objects.exclude(status=Deal.Status.LOST).filter(lost_reason__isnull=False).exists()


def test_the_number_of_queries_does_not_grow_with_the_portfolio(django_assert_max_num_queries) -> None:
    # Four logins with their roles take most of these (crm.services.login_create: a savepoint around
    # each login and its link to a rep); each chunk adds five writes (a COPY or an executemany,
    # counted on both databases: accounts, deals, activities, key persons, objections), the product
    # catalogue two queries, and PostgreSQL locks tables and resets eight sequences.
    with django_assert_max_num_queries(123):
        demo_load(actor=None, accounts=1000, seed=1, as_of=AS_OF, chunk_size=250)
    assert Account.objects.count() == 1000


def test_it_refuses_a_database_that_holds_accounts(strong_account: Account) -> None:
    deals_before = Deal.objects.count()
    with pytest.raises(DemoDatabaseNotEmpty, match="already holds 1 account; pass --force"):
        demo_load(actor=None, accounts=200, seed=1, as_of=AS_OF)
    assert Account.objects.count() == 1
    assert Deal.objects.count() == deals_before


def test_force_adds_the_demo_beside_existing_data_and_leaves_existing_logins_alone(
    strong_account: Account, admin_user: User
) -> None:
    result = demo_load(actor=None, accounts=200, seed=1, as_of=AS_OF, force=True)
    assert Account.objects.count() == 201
    assert Account.objects.get(pk=strong_account.pk).name == "Fuji Seiki"
    # The fixture's team is called Tokyo: the demo's own Tokyo team gets another name.
    assert set(Team.objects.filter(name__startswith="Tokyo").values_list("name", flat=True)) == {"Tokyo", "Tokyo (2)"}
    created = {login.username: login.created for login in result.logins}
    assert created == {"manager": True, "rep": True, "rep2": True, "admin": False}
    assert not Client().login(username="admin", password=DEMO_PASSWORD)


def test_the_demo_logins_work_and_are_linked_to_reps_of_the_right_tier() -> None:
    demo_load(actor=None, accounts=200, seed=3, as_of=AS_OF)
    for username in ("manager", "rep", "rep2", "admin"):
        assert Client().login(username=username, password=DEMO_PASSWORD), username
    assert is_manager(User.objects.get(username="manager"))
    assert not is_manager(User.objects.get(username="rep"))
    assert Rep.objects.get(user__username="rep").tier == Rep.Tier.STRONG
    assert Rep.objects.get(user__username="rep2").tier == Rep.Tier.DEVELOPING
    assert Rep.objects.get(user__username="rep").accounts.exists()
    assert User.objects.get(username="admin").is_staff


def test_a_failure_half_way_leaves_nothing_written(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "login_create", broken)
    with pytest.raises(RuntimeError, match="boom"):
        demo_load(actor=None, accounts=200, seed=3, as_of=AS_OF)
    assert not Account.objects.exists()
    assert not Rep.objects.exists()
    assert not Team.objects.exists()


def _sqlite_indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('crm_account', 'crm_deal', 'crm_activity')"
        )
        return {str(r[0]) for r in cursor.fetchall()}


def test_a_big_sqlite_load_builds_its_indexes_once_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only; PostgreSQL's path has its own test")
    before = _sqlite_indexes()
    assert any("crm_deal_status_expected_idx" in sql for sql in before)
    monkeypatch.setattr(services, "BULK_INDEX_THRESHOLD", 100)  # take the drop-and-rebuild path
    seen: list[set[str]] = []
    original = services._write

    def spy(model: type, data: dict[str, object]) -> int:
        seen.append(_sqlite_indexes())
        return original(model, data)

    monkeypatch.setattr(services, "_write", spy)
    result = demo_load(actor=None, accounts=200, seed=3, as_of=AS_OF)
    assert seen[1] == set()  # the accounts, deals and activities went into bare tables
    assert _sqlite_indexes() == before
    assert result.rebuild_seconds > 0
    accounts, deals, activities = _expected(200, 3)
    assert (Account.objects.count(), Deal.objects.count(), Activity.objects.count()) == (accounts, deals, activities)


def test_a_failed_big_sqlite_load_leaves_the_indexes_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    before = _sqlite_indexes()
    monkeypatch.setattr(services, "BULK_INDEX_THRESHOLD", 100)

    original = services._write

    def broken(model: type, data: dict[str, object]) -> int:
        if model is Activity:  # half-way: accounts and deals written, indexes still dropped
            raise RuntimeError("boom")
        return original(model, data)

    monkeypatch.setattr(services, "_write", broken)
    with pytest.raises(RuntimeError, match="boom"):
        demo_load(actor=None, accounts=200, seed=3, as_of=AS_OF)
    assert _sqlite_indexes() == before
    assert not Deal.objects.exists()


def test_bad_input_is_a_demo_error() -> None:
    with pytest.raises(DemoError, match="accounts must be at least 1"):
        demo_load(actor=None, accounts=0, seed=0, as_of=AS_OF)


def _schema(table: str) -> tuple[set[str], set[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = {r[0] for r in cursor.fetchall()}
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass", [table])
        constraints = {r[0] for r in cursor.fetchall()}
    return indexes, constraints


@pytest.mark.postgres
def test_postgres_loads_through_copy_and_restores_indexes_keys_and_sequences(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = ["crm_account", "crm_deal", "crm_activity"]
    before = {t: _schema(t) for t in tables}
    monkeypatch.setattr(services, "BULK_INDEX_THRESHOLD", 100)  # take the drop-and-rebuild path
    copies: list[str] = []
    original = services._write

    def spy(model: type, data: dict[str, object]) -> int:
        copies.append(model.__name__)
        return original(model, data)

    monkeypatch.setattr(services, "_write", spy)
    result = demo_load(actor=None, accounts=200, seed=3, as_of=AS_OF)
    accounts, deals, activities = _expected(200, 3)
    assert (Account.objects.count(), Deal.objects.count(), Activity.objects.count()) == (accounts, deals, activities)
    assert result.activities == activities
    assert copies == ["Rep", "Account", "Deal", "Activity", "KeyPerson", "Objection", "Target"]
    assert {t: _schema(t) for t in tables} == before
    # Sequences were moved past the explicit ids.
    top = Account.objects.aggregate(m=Max("pk"))["m"]
    after = Account.objects.create(external_id="after-demo", name="After")
    assert after.pk > top
    top_person = KeyPerson.objects.aggregate(m=Max("pk"))["m"]
    assert top_person is not None
    assert KeyPerson.objects.create(account=after, name="後").pk > top_person
    assert not Deal.objects.filter(status=Deal.Status.LOST, lost_reason__isnull=True).exists()
    assert Client().login(username="rep", password=DEMO_PASSWORD)


def test_open_deals_are_stored_with_their_expected_close_date_and_no_closed_date() -> None:
    demo_load(actor=None, accounts=200, seed=3, as_of=AS_OF)
    p = draw(DemoSpec(accounts=200, seed=3, as_of=AS_OF))
    is_open = p.deals["status"] == "open"
    stored = dict(Deal.objects.filter(status=Deal.Status.OPEN).values_list("external_id", "expected_close_on"))
    assert len(stored) == int(is_open.sum()) > 0
    assert None not in stored.values()
    assert not Deal.objects.filter(status=Deal.Status.OPEN, closed_on__isnull=False).exists()
    assert not Deal.objects.exclude(status=Deal.Status.OPEN).filter(expected_close_on__isnull=False).exists()
    first_open = int(np.flatnonzero(is_open)[0])
    deal = Deal.objects.order_by("pk")[first_open]
    assert deal.expected_close_on == p.deals["expected_close_on"][first_open].astype(object)


def test_a_rep_may_not_load_the_demo_and_a_manager_may(strong_rep: Rep, manager: User) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="Only managers can load the demo"):
        demo_load(actor=User.objects.get(username="tanaka"), accounts=30, seed=3, as_of=AS_OF)
    assert not Account.objects.exists()
    assert demo_load(actor=manager, accounts=30, seed=3, as_of=AS_OF).accounts == Account.objects.count() == 30
