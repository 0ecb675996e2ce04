"""Issue 15, the load test: the accounts list, its search and the API's rows cost no scan of the snapshot per request.

`make load` (50 users on the 100,000-account demo) saturated two cores at 13 requests/s: each accounts
page counted every row of the snapshot, sorted them all for one page of 50, and a search matched every
account's name and joined every row (300 ms in three PostgreSQL processes). Now the unfiltered team's
count comes from the grid stored with the snapshot, a filtered count is counted once per snapshot and
kept in the cache (a snapshot's rows never change), the default order reads its page from an index,
and on PostgreSQL the search starts from trigram indexes on the accounts' names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kokyaku.crm.models import Account
from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.selectors import portfolio_table
from tests.portfolio.pages_demo import NOW, Demo, demo_client

pytestmark = pytest.mark.django_db

POSTGRES_ONLY = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only; runs in the postgres:// pass")


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _counts(queries: CaptureQueriesContext) -> list[str]:
    """The COUNTs over a snapshot's rows (not the accounts added since, which counts accounts)."""
    return [q["sql"] for q in queries.captured_queries if 'COUNT(*) AS "__count" FROM "portfolio_snapshotrow"' in q["sql"]]


def _by_value(rows: list[SnapshotRow]) -> list[int]:
    """Account ids in the default order, computed in Python: expected value descending, empty last, then account id."""
    valued = sorted((r for r in rows if r.expected_value is not None), key=lambda r: (-r.expected_value, r.account_id))
    return [r.account_id for r in valued] + sorted(r.account_id for r in rows if r.expected_value is None)


def test_the_accounts_page_counts_the_whole_team_without_reading_the_rows(demo: Demo) -> None:
    client = demo_client("manager")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/portfolio/accounts/").content.decode()
    total = SnapshotRow.objects.filter(snapshot=demo.after).count()
    assert f"{total} accounts" in html
    assert _counts(queries) == []  # the grid stored with the snapshot holds the total


def test_a_filtered_count_is_counted_once_per_snapshot(demo: Demo) -> None:
    expected = SnapshotRow.objects.filter(snapshot=demo.after, zone="A").count()
    assert expected > 0
    with CaptureQueriesContext(connection) as first:
        assert portfolio_table(demo.after, zone="A", per_page=5).total == expected
    with CaptureQueriesContext(connection) as again:
        page = portfolio_table(demo.after, zone="A", per_page=5, page=2)
    assert len(_counts(first)) == 1
    assert _counts(again) == []
    assert (page.total, len(page.rows)) == (expected, 5)
    # Another snapshot, other filters, the unzoned rows: each its own count, each right.
    before = SnapshotRow.objects.filter(snapshot=demo.before, zone="A").count()
    assert portfolio_table(demo.before, zone="A").total == before
    assert portfolio_table(demo.after, zone="").total == SnapshotRow.objects.filter(snapshot=demo.after, zone="").count()
    owner = demo.rep.pk
    assert (
        portfolio_table(demo.after, owner_id=owner, zone="A").total
        == SnapshotRow.objects.filter(snapshot=demo.after, owner_id=owner, zone="A").count()
    )


def test_a_search_is_always_counted_afresh(demo: Demo) -> None:
    """Account names change (a rename, an import); a search's count is never taken from the cache."""
    account = Account.objects.filter(snapshot_rows__snapshot=demo.after).order_by("id").first()
    assert account is not None
    assert portfolio_table(demo.after, search="ZZ-RENAMED").total == 0
    Account.objects.filter(pk=account.pk).update(name="ZZ-RENAMED 商事")
    found = portfolio_table(demo.after, search="zz-renamed")
    assert (found.total, [r.account_id for r in found.rows]) == (1, [account.pk])


@pytest.mark.parametrize("filters", [{}, {"zone": "B"}, {"near_boundary": True}])
def test_the_default_order_pages_through_every_row_once_in_value_order(demo: Demo, filters: dict[str, object]) -> None:
    rows = list(SnapshotRow.objects.filter(snapshot=demo.after, **filters))
    SnapshotRow.objects.filter(pk=rows[0].pk).update(expected_value=None)  # an empty value sorts last
    rows = list(SnapshotRow.objects.filter(snapshot=demo.after, **filters))
    seen: list[int] = []
    for number in range(1, 100):
        page = portfolio_table(demo.after, per_page=7, page=number, **filters)  # type: ignore[arg-type]
        seen += [r.account_id for r in page.rows]
        if not page.has_next:
            break
    assert seen == _by_value(rows)


def _plan(sql: str, params: Any = None, *, off: tuple[str, ...] = ("enable_seqscan",)) -> str:
    """EXPLAIN with the ``off`` plan kinds priced out: shows whether an index *can* answer (the demo is too small to need one)."""
    with connection.cursor() as cursor:
        for setting in off:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
        for setting in off:
            cursor.execute(f"RESET {setting}")
    return plan


@POSTGRES_ONLY
def test_on_postgresql_the_search_is_answered_from_the_trigram_indexes(demo: Demo) -> None:
    qs = Account.objects.filter(name__icontains="精機") | Account.objects.filter(external_id__icontains="精機")
    sql, params = qs.order_by().values("id").query.sql_with_params()
    plan = _plan(sql, params, off=("enable_seqscan", "enable_indexscan"))  # left: a bitmap scan on a matching index
    assert "account_name_trgm" in plan, plan
    assert "account_external_id_trgm" in plan, plan


@POSTGRES_ONLY
def test_on_postgresql_the_default_order_and_the_new_accounts_read_their_indexes(demo: Demo) -> None:
    client: Client = demo_client("manager")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/portfolio/accounts/?page=2").status_code == 200
    plans = [
        _plan(q["sql"], off=("enable_seqscan", "enable_sort"))
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert any("snaprow_value" in p for p in plans), plans
    assert any("account_created_at" in p for p in plans), plans
