"""kokyaku.lib.bulk on the database the suite runs on (SQLite, and PostgreSQL in its pass): values round-trip,
indexes and constraints set aside come back as they were, and what they guard is checked when they do."""

# ruff: noqa: S608  - SQL over the test's own scratch table name
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kokyaku.crm.models import Account, Activity, Deal, Rep
from kokyaku.lib import bulk
from kokyaku.portfolio.models import Criteria

pytestmark = pytest.mark.django_db

SCRATCH = "kk_bulk_scratch"


@pytest.fixture
def scratch() -> str:
    """A table with a secondary index, a unique index and a foreign key, dropped with the test's transaction."""
    serial = "bigserial" if connection.vendor == "postgresql" else "integer"
    bulk.execute(
        f"CREATE TABLE {SCRATCH} (id {serial} PRIMARY KEY, code text, amount numeric(18,2),"
        " account_id bigint REFERENCES crm_account (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    bulk.execute(f"CREATE UNIQUE INDEX {SCRATCH}_code ON {SCRATCH} (code)")
    bulk.execute(f"CREATE INDEX {SCRATCH}_amount ON {SCRATCH} (amount)")
    return SCRATCH


COLUMNS: list[tuple[str, bulk.Kind]] = [("code", "text"), ("amount", "money"), ("account_id", "id")]


def _rows(codes: list[str], account: int | None = None) -> pd.DataFrame:
    return pd.DataFrame({"code": codes, "amount": [float(i) for i in range(len(codes))], "account_id": account})


def test_every_kind_of_value_goes_in_and_comes_back_as_written(strong_account: Account, strong_rep: Rep) -> None:
    deals = pd.DataFrame(
        {
            "external_id": ["T1", "T2"],
            "account": [strong_account.pk, strong_account.pk],
            "name": ["tab\there, back\\slash", 'new\nline, "quote", 東京\r'],
            "amount": [1234.5, np.nan],
            "product": "",
            "currency": "JPY",
            "stage": "",
            "status": ["won", "open"],
            "probability": [np.nan, 40.0],
            "opened_on": np.array(["2024-01-05", "2024-02-29"], dtype="datetime64[D]"),
            "closed_on": np.array(["2024-03-01", "NaT"], dtype="datetime64[D]"),
            "lost_note": ["", "\\N"],  # an empty text stays empty (not NULL); a text that looks like COPY's NULL stays text
        }
    )
    deals.columns = [c for c, _kind in bulk.model_columns(Deal, deals.columns)]
    assert bulk.write("crm_deal", bulk.model_columns(Deal, deals.columns), deals) == 2
    got = {d.external_id: d for d in Deal.objects.filter(external_id__in=["T1", "T2"])}
    assert (got["T1"].name, got["T2"].name) == ("tab\there, back\\slash", 'new\nline, "quote", 東京\r')
    assert (got["T1"].amount, got["T2"].amount) == (Decimal("1234.50"), None)
    assert (got["T1"].probability, got["T2"].probability) == (None, 40)
    assert (got["T1"].opened_on, got["T1"].closed_on, got["T2"].closed_on) == (date(2024, 1, 5), date(2024, 3, 1), None)
    assert (got["T1"].lost_note, got["T2"].lost_note) == ("", "\\N")
    activities = pd.DataFrame(
        {
            "account_id": [strong_account.pk],
            "rep_id": [strong_rep.pk],
            "kind": ["call"],
            "occurred_at": [np.datetime64("2024-05-01T01:02:03")],  # UTC
            "minutes": [15],
            "note": [""],
        }
    )
    bulk.write("crm_activity", bulk.model_columns(Activity, activities.columns), activities)
    activity = Activity.objects.get(account=strong_account)
    assert (activity.occurred_at, activity.minutes) == (datetime(2024, 5, 1, 1, 2, 3, tzinfo=UTC), 15)
    reps = pd.DataFrame({"name": ["On", "Off"], "email": "", "tier": "strong", "capacity": 5, "active": [True, False]})
    bulk.write("crm_rep", bulk.model_columns(Rep, reps.columns), reps)
    assert dict(Rep.objects.filter(name__in=["On", "Off"]).values_list("name", "active")) == {"On": True, "Off": False}


def test_a_field_with_no_bulk_format_is_refused() -> None:
    assert bulk.model_columns(Account, ["owner", "created_at", "employees"]) == [
        ("owner_id", "id"), ("created_at", "ts"), ("employees", "int"),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="no bulk format for JSONField"):
        bulk.model_columns(Criteria, ["stage_probabilities"])


def test_read_frame_gives_the_rows_and_an_empty_frame_keeps_its_columns(strong_account: Account) -> None:
    frame = bulk.read_frame("SELECT external_id, employees FROM crm_account WHERE id = %s", [strong_account.pk], ["id", "n"])
    assert list(frame.columns) == ["id", "n"]
    assert frame["id"].tolist() == ["ACC-1"]
    assert frame["n"].isna().tolist() == [True]
    empty = bulk.read_frame("SELECT external_id FROM crm_account WHERE id < 0", [], ["id"])
    assert (list(empty.columns), len(empty)) == (["id"], 0)


def test_each_chunk_written_is_in_the_query_log(scratch: str) -> None:
    with CaptureQueriesContext(connection) as queries:
        bulk.write(scratch, COLUMNS, _rows([f"C{i}" for i in range(25)]), chunk_rows=10)
    assert len(queries.captured_queries) == 3
    assert bulk.fetch(f"SELECT COUNT(*), MIN(code), MAX(amount) FROM {scratch}") == [(25, "C0", Decimal("24.00"))]


def test_set_aside_drops_every_secondary_index_unique_and_foreign_key_and_restore_puts_the_same_back() -> None:
    before = bulk.droppable("crm_deal")
    assert len(before.indexes) >= 5
    if connection.vendor == "postgresql":
        assert [name for name, _sql in before.uniques] == ["crm_deal_external_id_key"]
        assert len(before.foreign_keys) == 3  # account, owner, lost reason
    else:  # SQLite writes them into the table: they stay (and check row by row)
        assert before.uniques == before.foreign_keys == ()
    rebuilds = bulk.set_aside(["crm_deal"])
    assert bulk.droppable("crm_deal") == bulk.Droppable((), (), ())
    bulk.restore(rebuilds)
    assert bulk.droppable("crm_deal") == before


def _load_while_set_aside(table: str, rows: pd.DataFrame) -> None:
    with transaction.atomic():
        rebuilds = bulk.set_aside([table])
        bulk.write(table, COLUMNS, rows)
        bulk.restore(rebuilds)


def test_a_duplicate_key_written_while_set_aside_fails_the_restore_and_names_the_index(scratch: str) -> None:
    indexes = bulk.droppable(scratch)
    assert [name for name, _sql in indexes.indexes] == [f"{scratch}_amount", f"{scratch}_code"]
    with pytest.raises(bulk.DuplicateKeys) as caught:
        _load_while_set_aside(scratch, _rows(["A", "B", "A"]))
    assert caught.value.name == f"{scratch}_code"
    assert isinstance(caught.value, IntegrityError)
    assert bulk.droppable(scratch) == indexes  # rolled back with the load
    assert bulk.fetch(f"SELECT COUNT(*) FROM {scratch}") == [(0,)]


def test_a_load_without_duplicates_keeps_its_rows_and_the_unique_index_guards_again(scratch: str) -> None:
    _load_while_set_aside(scratch, _rows(["A", "B", "C"]))
    assert bulk.fetch(f"SELECT code FROM {scratch} ORDER BY code") == [("A",), ("B",), ("C",)]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.execute(f"INSERT INTO {scratch} (code) VALUES ('B')")


@pytest.mark.postgres
def test_postgres_sets_the_unique_constraint_aside_and_finds_the_duplicate_when_it_comes_back(strong_account: Account) -> None:
    rows = pd.DataFrame(
        {"external_id": ["X", "X"], "account_id": strong_account.pk, "status": "open", "opened_on": date(2024, 1, 1)}
    )
    with pytest.raises(bulk.DuplicateKeys, match="crm_deal_external_id_key"), transaction.atomic():
        _write_deals_set_aside(rows)


@pytest.mark.postgres
def test_postgres_finds_a_row_of_no_account_when_the_foreign_key_comes_back() -> None:
    rows = pd.DataFrame({"external_id": ["X"], "account_id": 999_999, "status": "open", "opened_on": date(2024, 1, 1)})
    with pytest.raises(IntegrityError, match="crm_deal_account_id") as caught, transaction.atomic():
        _write_deals_set_aside(rows)
    assert not isinstance(caught.value, bulk.DuplicateKeys)


def _write_deals_set_aside(rows: pd.DataFrame) -> None:
    rebuilds = bulk.set_aside(["crm_deal"])
    rows = rows.assign(name="", product="", currency="JPY", stage="", lost_note="")
    bulk.write("crm_deal", bulk.model_columns(Deal, rows.columns), rows)
    bulk.restore(rebuilds)


def test_sqlite_keeps_the_unique_constraints_written_in_its_tables(strong_account: Account) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL sets them aside (the test above)")
    rows = pd.DataFrame(
        {"external_id": ["X", "X"], "account_id": strong_account.pk, "status": "open", "opened_on": date(2024, 1, 1)}
    )
    with pytest.raises(IntegrityError, match=r"UNIQUE constraint failed: crm_deal\.external_id"), transaction.atomic():
        _write_deals_set_aside(rows)


def test_the_background_writer_writes_every_batch_in_order_and_reports_a_failure(scratch: str) -> None:
    for start in range(0, 30, 10):
        _write_in_background(scratch, _rows([f"C{i:02d}" for i in range(start, start + 10)]))
    assert bulk.fetch(f"SELECT COUNT(*), MIN(code), MAX(code) FROM {scratch}") == [(30, "C00", "C29")]
    with pytest.raises(DatabaseError, match="kk_no_such_table"):  # as Django's error, not the driver's
        _write_in_background("kk_no_such_table", _rows(["A"]))


def _write_in_background(table: str, rows: pd.DataFrame) -> None:
    writer = bulk.BackgroundWriter()
    try:
        writer.submit(bulk.format_rows(table, COLUMNS, rows))
        writer.wait()
    finally:
        writer.close()
