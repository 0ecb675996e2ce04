"""PostgreSQL's first load into an empty table goes straight in (no staging); what staging would catch still is.

On SQLite the same tests run through the staging path, and must hold all the same.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.db import connection

from kokyaku.crm.models import Account, Deal, Rep
from kokyaku.imports.errors import ImportInvalid
from kokyaku.imports.services import import_run
from kokyaku.lib import bulk
from tests.imports.conftest import DEALS_HEADER, db_state, deals_csv, write


def _set_aside_state() -> bulk.Droppable:
    return bulk.droppable("crm_deal")


def test_a_first_load_goes_straight_in_and_puts_indexes_and_constraints_back(db: None, tmp_path: Path) -> None:
    before = _set_aside_state()
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", deals_csv(2_500)), chunk_rows=1_000)
    assert (summary.created, summary.updated, summary.unchanged) == (2_500, 0, 0)
    if connection.vendor == "postgresql":
        assert "read, check, load" in summary.timings  # the direct path, not staging
    assert Deal.objects.count() == 2_500
    assert Account.objects.count() == 50
    assert _set_aside_state() == before
    again = import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", deals_csv(2_500)), chunk_rows=1_000)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2_500)
    assert "read, check, stage" in again.timings


def test_duplicate_ids_in_a_first_load_are_named_row_by_row_and_nothing_is_written(db: None, tmp_path: Path) -> None:
    text = deals_csv(2_500) + "D7,A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\n"
    before, indexes = db_state(), _set_aside_state()
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "dupes.csv", text), chunk_rows=1_000)
    assert [(p.row, p.value) for p in caught.value.problems] == [(9, "D7"), (2_502, "D7")]
    assert "2 rows have it (first on row 9)" in caught.value.problems[0].reason
    assert db_state() == before
    assert _set_aside_state() == indexes


def test_skip_invalid_in_a_first_load_rejects_every_row_of_a_duplicate(db: None, tmp_path: Path) -> None:
    text = DEALS_HEADER + "".join(f"D{i},A1,Tanaka,x,100,Won,won,2024-01-01,2024-02-01\n" for i in (1, 2, 1, 3))
    rejects = tmp_path / "rejects.csv"
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", text), skip_invalid=True, rejects_path=rejects)
    assert (summary.created, summary.rejected) == (2, 2)
    assert sorted(Deal.objects.values_list("external_id", flat=True)) == ["D2", "D3"]
    assert Account.objects.count() == 1  # the first pass's account was rolled back, the second made it once
    rows = list(csv.reader(rejects.open(encoding="utf-8-sig")))
    assert [r[-3] for r in rows[1:]] == ["2", "4"]  # each rejected row once: the first pass's file was replaced
    if connection.vendor == "postgresql":
        assert any(k.startswith("first pass, rolled back (duplicate external ids)") for k in summary.timings)


def test_a_bad_value_in_a_first_load_leaves_the_empty_table_empty(db: None, tmp_path: Path) -> None:
    indexes = _set_aside_state()
    with pytest.raises(ImportInvalid):
        import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", deals_csv(3_000, bad_row=2_999)), chunk_rows=1_000)
    assert Deal.objects.count() == 0
    assert Account.objects.count() == 0
    assert Rep.objects.count() == 0
    assert _set_aside_state() == indexes


def test_a_dry_run_of_a_first_load_counts_and_writes_nothing(db: None, tmp_path: Path) -> None:
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", deals_csv(200)), dry_run=True)
    assert summary.created == 200
    assert Deal.objects.count() == 0
    assert Account.objects.count() == 0


def test_a_bad_byte_late_in_a_first_load_leaves_the_table_empty_and_its_indexes_in_place(db: None, tmp_path: Path) -> None:
    from kokyaku.imports.errors import ImportFileError

    data = deals_csv(8_000).encode() + "D8000,A1,Tanaka,東京,1,Won,won,2024-01-01,2024-02-01\n".encode("cp932")
    indexes = _set_aside_state()
    with pytest.raises(ImportFileError, match="line 8002 is not valid utf-8"):
        import_run(actor=None, kind="deals", path=write(tmp_path, "late.csv", data), chunk_rows=1_000)
    assert (Deal.objects.count(), Account.objects.count(), Rep.objects.count()) == (0, 0, 0)
    assert _set_aside_state() == indexes
