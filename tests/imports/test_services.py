"""Import services: idempotent upserts, what gets created, skip-invalid, dry runs, file formats."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from kokyaku.crm.models import Account, Activity, Deal, Rep, Team
from kokyaku.imports import load
from kokyaku.imports.errors import ImportInvalid
from kokyaku.imports.services import import_run
from kokyaku.lib import bulk
from tests.imports.conftest import DEALS_HEADER, db_state, deals_csv, write

pytestmark = pytest.mark.usefixtures("seeded")

ACCOUNTS = (
    "external_id,name,industry,employees,annual_revenue,owner\n"
    'A1,Fuji Seiki,manufacturing,120,"1,200.50",Tanaka\n'
    "A2,Aoba Labs,it,,,\n"
)


def test_a_second_import_of_the_same_file_changes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "deals.csv", deals_csv(300))
    first = import_run(actor=None, kind="deals", path=path)
    assert (first.created, first.updated, first.unchanged) == (300, 0, 0)
    state = db_state()
    second = import_run(actor=None, kind="deals", path=path)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 300)
    assert db_state() == state


def test_an_edited_file_updates_only_the_changed_rows(tmp_path: Path) -> None:
    import_run(actor=None, kind="deals", path=write(tmp_path, "v1.csv", deals_csv(20)))
    edited = deals_csv(20).replace("D3,A3,Tanaka,Deal 3,1003,", "D3,A3,Tanaka,Deal 3,999,") + (
        "D20,A1,Tanaka,New,5,Open,open,2024-03-01,\n"
    )
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "v2.csv", edited))
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 19)
    assert Deal.objects.get(external_id="D3").amount == Decimal("999")


def test_unmapped_fields_keep_their_values_on_update(tmp_path: Path) -> None:
    Deal.objects.filter(external_id="SEED-D").update(name="Kept name", probability=40)
    text = "external_id,account,status,opened_on,amount\nSEED-D,A0,won,2024-01-01,77\n"
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "partial.csv", text))
    assert summary.updated == 1
    deal = Deal.objects.get(external_id="SEED-D")
    assert (deal.name, deal.probability, deal.amount) == ("Kept name", 40, Decimal("77"))


def test_a_won_deal_without_a_close_date_is_refused_with_its_row(tmp_path: Path) -> None:
    text = DEALS_HEADER + "D1,A0,Tanaka,x,10,Won,won,2024-01-01,2024-02-01\nD2,A0,Tanaka,y,5,Lost,lost,2024-01-01,\n"
    before = db_state()
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", text))
    assert [str(p) for p in caught.value.problems] == [
        "d.csv: row 3, column 'closed_on': a won or lost deal needs the date it closed"
    ]
    assert db_state() == before


def test_a_file_without_close_dates_keeps_a_closed_deals_date_and_a_reopened_deal_loses_it(tmp_path: Path) -> None:
    header = "external_id,account,status,opened_on\n"
    assert (
        import_run(actor=None, kind="deals", path=write(tmp_path, "a.csv", header + "SEED-D,A0,won,2024-01-01\n")).unchanged == 1
    )
    assert str(Deal.objects.get(external_id="SEED-D").closed_on) == "2024-02-01"
    assert (
        import_run(actor=None, kind="deals", path=write(tmp_path, "b.csv", header + "SEED-D,A0,open,2024-01-01\n")).updated == 1
    )
    assert Deal.objects.get(external_id="SEED-D").closed_on is None
    # closed again, but the file says nothing of when and the deal has no date left: refused, by row
    with pytest.raises(ImportInvalid) as caught:
        import_run(
            actor=None, kind="deals", path=write(tmp_path, "c.csv", header + "SEED-D,A0,won,2024-01-01\nNEW,A0,lost,2024-01-01\n")
        )
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "closed_on"), (3, "closed_on")]
    assert Deal.objects.get(external_id="SEED-D").status == "open"


def test_deals_create_missing_accounts_and_reps_and_say_so(tmp_path: Path) -> None:
    text = (
        DEALS_HEADER
        + "D1,NEW-1,Kimura,x,10,Won,won,2024-01-01,2024-02-01\nD2,Existing Co,Tanaka,y,5,Won,won,2024-01-01,2024-02-01\n"
    )
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", text))
    assert (summary.accounts_created, summary.reps_created) == (1, 1)
    assert Account.objects.get(external_id="NEW-1").name == "NEW-1"
    assert Rep.objects.get(external_id="Kimura").name == "Kimura"
    # "Existing Co" is found by name, "Tanaka" by name too
    assert Deal.objects.get(external_id="D2").account.external_id == "A0"
    owner = Deal.objects.get(external_id="D2").owner
    assert owner is not None
    assert owner.external_id == "R1"


def test_activities_report_a_missing_account_instead_of_creating_it(tmp_path: Path) -> None:
    text = "external_id,account,rep,kind,occurred_at,minutes\nX1,A0,R1,visit,2024-05-01 10:00,30\nX2,NOPE,R1,call,2024-05-01,5\n"
    before = db_state()
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="activities", path=write(tmp_path, "acts.csv", text))
    assert [(p.row, p.column, p.value, p.reason) for p in caught.value.problems] == [
        (3, "account", "NOPE", "no account with this external id or name")
    ]
    assert db_state() == before
    assert Account.objects.filter(external_id="NOPE").count() == 0


def test_activity_times_without_an_offset_are_read_in_the_company_timezone(tmp_path: Path) -> None:
    text = "external_id,account,kind,occurred_at\nX1,A0,visit,2024-05-01 10:00\n"
    import_run(actor=None, kind="activities", path=write(tmp_path, "acts.csv", text))
    occurred = Activity.objects.get(external_id="X1").occurred_at
    assert occurred.isoformat() == "2024-05-01T01:00:00+00:00"  # 10:00 in Tokyo


def test_skip_invalid_writes_good_rows_and_rejects_the_rest_with_reasons(tmp_path: Path) -> None:
    text = (
        DEALS_HEADER
        + "D1,A1,Tanaka,x,10,Won,won,2024-01-01,2024-02-01\n"
        + "D2,A1,Tanaka,y,-3,Won,won,2024-01-01,2024-02-01\n"
        + "D3,A1,Tanaka,z,1,Won,won,soon,\n"
    )
    rejects = tmp_path / "rejects.csv"
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", text), skip_invalid=True, rejects_path=rejects)
    assert (summary.created, summary.rejected) == (1, 2)
    assert Deal.objects.filter(external_id__in=["D1", "D2", "D3"]).count() == 1
    with rejects.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["external_id"], r["row"], r["column"], r["reason"]) for r in rows] == [
        ("D2", "3", "amount", "negative value not allowed"),
        ("D3", "4", "opened_on", "not a date (expected ISO 8601, e.g. 2026-04-01)"),
    ]


def test_skip_invalid_leaves_out_every_row_of_a_duplicated_id(tmp_path: Path) -> None:
    text = (
        DEALS_HEADER
        + "D1,A1,Tanaka,x,10,Won,won,2024-01-01,2024-02-01\n"
        + "D1,A1,Tanaka,y,3,Won,won,2024-01-01,2024-02-01\n"
        + "D2,A1,Tanaka,z,1,Won,won,2024-01-01,2024-02-01\n"
    )
    summary = import_run(
        actor=None, kind="deals", path=write(tmp_path, "d.csv", text), skip_invalid=True, rejects_path=tmp_path / "r.csv"
    )
    assert (summary.created, summary.rejected) == (1, 2)
    assert not Deal.objects.filter(external_id="D1").exists()


def test_a_dry_run_counts_like_the_real_thing_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", deals_csv(40))
    before = db_state()
    dry = import_run(actor=None, kind="deals", path=path, dry_run=True)
    assert db_state() == before
    real = import_run(actor=None, kind="deals", path=path)
    assert (dry.created, dry.updated, dry.unchanged, dry.accounts_created) == (real.created, real.updated, real.unchanged, 39)
    assert dry.dry_run
    assert not real.dry_run


def test_accounts_parse_thousands_and_create_their_owner_rep_when_missing(tmp_path: Path) -> None:
    summary = import_run(actor=None, kind="accounts", path=write(tmp_path, "a.csv", ACCOUNTS))
    assert summary.created == 2
    fuji = Account.objects.get(external_id="A1")
    assert (fuji.annual_revenue, fuji.employees, fuji.owner and fuji.owner.external_id) == (Decimal("1200.50"), 120, "R1")
    assert Account.objects.get(external_id="A2").buyer_type == "unknown"


def test_reps_create_their_team_by_name(tmp_path: Path) -> None:
    text = "external_id,name,team,tier,active\nR2,Kimura,Nagoya,strong,yes\nR3,Mori,Osaka,,no\n"
    summary = import_run(actor=None, kind="reps", path=write(tmp_path, "r.csv", text))
    assert (summary.created, summary.teams_created) == (2, 1)
    kimura, mori = Rep.objects.get(external_id="R2"), Rep.objects.get(external_id="R3")
    assert (kimura.team and kimura.team.name, kimura.tier, kimura.active) == ("Nagoya", "strong", True)
    assert (mori.team_id, mori.tier, mori.active) == (Team.objects.get(name="Osaka").pk, "developing", False)


@pytest.mark.parametrize(
    ("name", "encoding", "separator"),
    [
        ("bom.csv", "utf-8-sig", ","),
        ("sjis.csv", "cp932", ","),
        ("semicolon.csv", "utf-8", ";"),
        ("tabs.tsv", "utf-8", "\t"),
        ("packed.csv.gz", "utf-8", ","),
        ("sjis-semicolon.csv.gz", "cp932", ";"),
    ],
)
def test_excel_encodings_delimiters_and_gzip_are_detected(tmp_path: Path, name: str, encoding: str, separator: str) -> None:
    text = ACCOUNTS.replace('"1,200.50"', "1200.50").replace(",", separator).replace("Fuji Seiki", "富士精機")
    summary = import_run(actor=None, kind="accounts", path=write(tmp_path, name, text, encoding=encoding))
    assert summary.created == 2
    assert Account.objects.get(external_id="A1").name == "富士精機"


def test_an_xlsx_sheet_imports_like_a_csv(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["external_id", "account", "status", "opened_on", "amount", "closed_on"])
    from datetime import datetime

    sheet.append(["D1", "A0", "won", datetime(2024, 4, 1), 1500.0, datetime(2024, 5, 1)])
    sheet.append([17850.0, "A0", "open", "2024-04-02", None, None])  # a numeric id Excel keeps as a float
    book.save(tmp_path / "deals.xlsx")
    summary = import_run(actor=None, kind="deals", path=tmp_path / "deals.xlsx")
    assert summary.created == 2
    assert str(Deal.objects.get(external_id="D1").opened_on) == "2024-04-01"
    assert Deal.objects.filter(external_id="17850").exists()


def test_the_import_runs_a_bounded_number_of_queries_whatever_the_row_count(
    tmp_path: Path, django_assert_max_num_queries: object
) -> None:
    path = write(tmp_path, "d.csv", deals_csv(3_000))
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        summary = import_run(actor=None, kind="deals", path=path, chunk_rows=1_000)
    assert summary.created == 3_000


def test_a_bulk_load_leaves_every_index_and_constraint_as_it_found_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "BULK_ROWS", 10)  # 50 new rows into a table of 1: the set-aside path
    before = bulk.droppable("crm_deal")
    assert len(before.indexes) >= 5
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "bulk.csv", deals_csv(50)))
    assert summary.created == 50
    assert "rebuild indexes, constraints" in summary.timings
    assert bulk.droppable("crm_deal") == before
    assert Deal.objects.filter(external_id__startswith="D").count() == 50
    # what the constraints stand for works again: a second D1 is refused, and so is a deal of no account
    a0 = Account.objects.get(external_id="A0")
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.create(external_id="D1", account=a0, status="open", opened_on="2024-01-01")
    with transaction.atomic():
        Deal.objects.create(external_id="ORPHAN", account_id=999_999, status="open", opened_on="2024-01-01")
        with pytest.raises(IntegrityError):
            connection.check_constraints(table_names=["crm_deal"])  # the deferred foreign key check, now
        transaction.set_rollback(True)


def test_times_with_an_offset_keep_their_instant_and_dates_are_taken_in_local_time(tmp_path: Path) -> None:
    acts = "external_id,account,kind,occurred_at\nX1,A0,call,2024-05-01T01:00:00Z\nX2,A0,call,2024-05-01 10:00:00+09:00\n"
    import_run(actor=None, kind="activities", path=write(tmp_path, "acts.csv", acts))
    times = {a.external_id: a.occurred_at.isoformat() for a in Activity.objects.filter(external_id__in=["X1", "X2"])}
    assert times == {"X1": "2024-05-01T01:00:00+00:00", "X2": "2024-05-01T01:00:00+00:00"}
    # Salesforce's CreatedDate: 20:00 UTC on 5 January is 6 January in Tokyo
    deals = "external_id,account,status,opened_on\nSF1,A0,open,2024-01-05T20:00:00.000Z\n"
    import_run(actor=None, kind="deals", path=write(tmp_path, "sf.csv", deals))
    assert str(Deal.objects.get(external_id="SF1").opened_on) == "2024-01-06"


def test_an_open_deals_close_date_is_its_expected_close_date_never_its_closed_date(tmp_path: Path) -> None:
    text = (
        "external_id,account,status,opened_on,closed_on,expected_close_on\n"
        "W1,A0,won,2024-01-01,2024-02-01,2024-01-20\n"  # a closed deal keeps the forecast it had
        "O1,A0,open,2024-01-01,2024-06-30,\n"  # generic files from older exports: the date moves
        "O2,A0,open,2024-01-01,2024-06-30,2024-07-31\n"  # both given: the expected date wins
        "O3,A0,open,2024-01-01,,\n"
    )
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", text))
    assert summary.created == 4
    dates = {
        d.external_id: (d.closed_on, d.expected_close_on) for d in Deal.objects.filter(external_id__in=["W1", "O1", "O2", "O3"])
    }
    assert {k: tuple(str(x) if x else None for x in v) for k, v in dates.items()} == {
        "W1": ("2024-02-01", "2024-01-20"),
        "O1": (None, "2024-06-30"),
        "O2": (None, "2024-07-31"),
        "O3": (None, None),
    }
    assert "1 open deal: the date in closed_on is stored as the expected close date" in summary.notes
    again = import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", text))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_salesforce_close_date_goes_by_is_closed_and_a_closed_deal_keeps_its_forecast(tmp_path: Path) -> None:
    header = "Id,AccountId,StageName,IsClosed,IsWon,CreatedDate,CloseDate,Amount\n"
    open_file = header + "006A,A0,Negotiation,false,false,2024-01-05T01:00:00.000Z,2024-09-30,100\n"
    first = import_run(actor=None, kind="deals", path=write(tmp_path, "opp1.csv", open_file), mapping="salesforce")
    assert first.created == 1
    deal = Deal.objects.get(external_id="006A")
    assert (deal.status, deal.closed_on, str(deal.expected_close_on)) == ("open", None, "2024-09-30")
    won_file = header + "006A,A0,Closed Won,true,true,2024-01-05T01:00:00.000Z,2024-10-15,120\n"
    second = import_run(actor=None, kind="deals", path=write(tmp_path, "opp2.csv", won_file), mapping="salesforce")
    assert (second.created, second.updated) == (0, 1)
    deal.refresh_from_db()
    assert (deal.status, str(deal.closed_on), str(deal.expected_close_on)) == ("won", "2024-10-15", "2024-09-30")
    third = import_run(actor=None, kind="deals", path=write(tmp_path, "opp2.csv", won_file), mapping="salesforce")
    assert third.unchanged == 1


def test_hubspot_close_date_of_an_open_stage_is_the_expected_close_date(tmp_path: Path) -> None:
    text = (
        "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Associated Company IDs\n"
        "H1,Big one,Contract Sent,500,2024-12-01,2024-01-02,A0\n"
        "H2,Done,Closed Won,300,2024-03-01,2024-01-02,A0\n"
    )
    import_run(actor=None, kind="deals", path=write(tmp_path, "hs.csv", text), mapping="hubspot")
    got = {
        d.external_id: (d.status, str(d.closed_on), str(d.expected_close_on))
        for d in Deal.objects.filter(external_id__in=["H1", "H2"])
    }
    assert got == {"H1": ("open", "None", "2024-12-01"), "H2": ("won", "2024-03-01", "None")}


def test_the_sqlite_page_cache_is_raised_for_the_import_only(tmp_path: Path) -> None:

    if connection.vendor != "sqlite":
        pytest.skip("a SQLite connection setting")

    def sizes() -> list[int]:
        with connection.cursor() as cur:
            return [cur.execute(f"PRAGMA {db}.cache_size").fetchone()[0] for db in ("main", "temp")]

    before = sizes()
    import_run(actor=None, kind="deals", path=write(tmp_path, "d.csv", deals_csv(20)))
    assert sizes() == before


def test_a_row_with_fewer_fields_than_the_header_reads_the_missing_ones_as_empty(tmp_path: Path) -> None:
    text = "external_id,account,status,opened_on,closed_on,name\nS1,A0,won,2024-01-01,2024-02-01\nS2,A0,open,2024-01-01\n"
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "short.csv", text))
    assert summary.created == 2
    s2 = Deal.objects.get(external_id="S2")
    assert (s2.closed_on, s2.name) == (None, "")


def test_only_a_manager_or_the_command_line_may_import(tmp_path: Path, strong_rep: Rep, manager: User) -> None:
    path = write(tmp_path, "d.csv", deals_csv(3))
    before = db_state()
    with pytest.raises(PermissionDenied, match="Only managers can import data"):
        import_run(actor=User.objects.get(username="tanaka"), kind="deals", path=path)
    assert db_state() == before
    assert import_run(actor=manager, kind="deals", path=path).created == 3
    assert import_run(actor=None, kind="deals", path=path).unchanged == 3
