"""The download of every portfolio table on the small seeded demo: what the page shows is what the file holds."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from kokyaku.crm.models import Account
from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.periods import period_parse
from kokyaku.portfolio.selectors import effort_return, rep_breakdown, targets_view, zone_moves
from tests.portfolio.pages_demo import NOW, Demo, demo_client

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager(demo: Demo) -> Client:
    return demo_client("manager")


def _get(client: Client, url: str, lang: str = "en", **params: str) -> Any:
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, response.content[:2000]
    return response


def _xlsx(response: Any) -> Any:
    assert response["Content-Type"] == XLSX
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _csv(response: Any, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode(encoding))))


def test_the_accounts_download_holds_the_filtered_rows_in_japanese(manager: Client, demo: Demo) -> None:
    response = _get(manager, reverse("portfolio:export_accounts"), "ja", zone="A", fmt="xlsx", snapshot=str(demo.after.pk))
    assert response["Content-Disposition"] == f'attachment; filename="kokyaku-accounts-{demo.after.as_of}.xlsx"'
    wb = _xlsx(response)
    sheet = wb["取引先"]
    header = [c.value for c in sheet[2]]
    assert header[:6] == ["取引先コード", "取引先", "担当者", "ゾーン", "取引単価", "受注確率"]
    body = list(sheet.iter_rows(min_row=3))
    expected = set(SnapshotRow.objects.filter(snapshot=demo.after, zone="A").values_list("account__external_id", flat=True))
    assert {r[0].value for r in body} == expected
    assert len(body) == len(expected) > 0
    assert {r[3].value for r in body} == {"A"}
    owners = [r[2].value for r in body]
    assert owners == sorted(owners, key=lambda o: (o == "（担当者なし）", o))  # by rep
    ev = header.index("期待値")
    assert body[0][ev].number_format == '"¥"#,##0;-"¥"#,##0'
    assert body[0][header.index("受注確率")].number_format == "0.0%"
    # filtered, and more than one rep: one sheet per rep after the summaries
    reps = set(owners)
    assert set(wb.sheetnames[4:]) == reps
    assert sum(wb[r].max_row - 2 for r in reps) == len(body)


def test_the_accounts_csv_in_cp932_and_with_a_search(manager: Client, demo: Demo) -> None:
    name = Account.objects.filter(snapshot_rows__snapshot=demo.after).order_by("id").values_list("name", flat=True).first()
    assert name
    response = _get(manager, reverse("portfolio:export_accounts"), "ja", q=name, fmt="csv", encoding="cp932")
    assert response["Content-Type"] == "text/csv; charset=shift_jis"
    raw = b"".join(response.streaming_content)
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("cp932"))))
    assert rows[0][1] == "取引先"
    assert all(name in r[1] for r in rows[1:])
    assert len(rows) >= 2


def test_a_name_shift_jis_cannot_hold_goes_back_to_the_page_saying_which_row(manager: Client, demo: Demo) -> None:
    account = Account.objects.filter(owner=demo.rep).order_by("id").first()
    assert account
    Account.objects.filter(pk=account.pk).update(name="Café 🍣")
    response = manager.get(reverse("portfolio:export_accounts"), {"q": "Café", "fmt": "csv", "encoding": "cp932"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portfolio:accounts") + "?q=Caf%C3%A9"
    page = manager.get(response["Location"]).content.decode()
    assert f"row 2 ({account.external_id}), column &#x27;Account&#x27;: &#x27;é&#x27; cannot be written in cp932" in page


def test_my_portfolio_download_is_only_my_accounts(demo: Demo) -> None:
    rep = demo_client("rep")
    rows = _csv(_get(rep, reverse("portfolio:export_mine"), fmt="csv"))
    mine = set(SnapshotRow.objects.filter(snapshot=demo.after, owner=demo.rep).values_list("account__external_id", flat=True))
    assert {r[0] for r in rows[1:]} == mine
    assert {r[2] for r in rows[1:]} == {demo.rep.name}
    wb = _xlsx(_get(rep, reverse("portfolio:export_mine"), fmt="xlsx"))
    assert wb.sheetnames == ["My portfolio", "Matrix", "Zones"]  # one rep: no per-rep sheets, no team breakdown


def test_the_team_download_is_every_reps_breakdown(manager: Client, demo: Demo) -> None:
    rows = _csv(_get(manager, reverse("portfolio:export_team"), fmt="csv"))
    assert rows[0][:2] == ["Owner", "Accounts"]
    expected = rep_breakdown(demo.after)
    assert [(r[0], int(r[1])) for r in rows[1:]] == [(b.owner or "(unassigned)", b.accounts) for b in expected]
    wb = _xlsx(_get(manager, reverse("portfolio:export_team"), "ja", fmt="xlsx"))
    assert wb.sheetnames == ["担当者別", "マトリクス", "ゾーン別"]


def test_the_review_download_lists_every_move(manager: Client, demo: Demo) -> None:
    params = {"before": str(demo.before.pk), "after": str(demo.after.pk), "direction": "up", "fmt": "xlsx"}
    wb = _xlsx(_get(manager, reverse("portfolio:export_review"), **params))
    sheet = wb["Review"]
    header = [c.value for c in sheet[2]]
    assert header[4:6] == ["Previous zone", "Direction"]
    moves = zone_moves(demo.after, previous=demo.before, direction="up", per_page=500)
    body = list(sheet.iter_rows(min_row=3, values_only=True))
    assert sorted(r[0] for r in body) == sorted(r.account_external_id for r in moves.rows)
    assert moves.total > 0
    assert {r[5] for r in body} == {"Up"}
    migration = [[c.value for c in row] for row in wb["Migration"].iter_rows(min_row=3)]
    assert migration[0][0] == "A"
    assert all(isinstance(v, int) for v in migration[0][1:])


def test_a_backwards_review_download_goes_back_to_the_page(manager: Client, demo: Demo) -> None:
    response = manager.get(reverse("portfolio:export_review"), {"before": demo.after.pk, "after": demo.before.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portfolio:review"))


def test_the_effort_and_targets_downloads_match_the_selectors(manager: Client, demo: Demo) -> None:
    rows = _csv(_get(manager, reverse("portfolio:export_effort"), start="2026-01-01", end="2026-11-30", fmt="csv"))
    assert rows[0] == ["Rep", "Zone", "Hours", "Share of time", "Won revenue", "Share of revenue", "Revenue per hour"]
    per_rep = effort_return(demo.after, start=date(2026, 1, 1), end=date(2026, 11, 30), per_rep=True)
    assert len(rows) - 1 == len(per_rep) > 0
    assert sum(float(r[2]) for r in rows[1:]) == pytest.approx(sum(r.hours for r in per_rep))
    period = period_parse("FY2026", start_month=4)
    data = targets_view(start=period.start, end=period.end, accounts_per_rep=0)
    wb = _xlsx(_get(manager, reverse("portfolio:export_targets"), period="FY2026", fmt="xlsx"))
    body = list(wb["Targets"].iter_rows(min_row=3))
    assert [r[0].value for r in body] == [r.rep for r in data.reps]
    assert data.reps
    assert [r[1].value for r in body] == pytest.approx([r.target for r in data.reps])
    assert body[0][3].number_format == "0.0%"  # attainment
    assert wb["Team"]["B3"].value == pytest.approx(data.team.target)


def test_every_page_offers_its_download_with_its_filters(manager: Client, demo: Demo) -> None:
    html = manager.get(reverse("portfolio:accounts"), {"zone": "B", "page": "2"}).content.decode()
    assert f'href="{reverse("portfolio:export_accounts")}?zone=B&amp;fmt=xlsx"' in html
    assert f'href="{reverse("portfolio:export_accounts")}?zone=B&amp;fmt=csv&amp;encoding=cp932"' in html
    for page, export in (("team", "export_team"), ("review", "export_review"), ("effort", "export_effort"),
                         ("targets", "export_targets"), ("mine", "export_mine")):  # fmt: skip
        client = demo_client("rep") if page == "mine" else manager
        html = client.get(reverse(f"portfolio:{page}")).content.decode()
        assert f'href="{reverse(f"portfolio:{export}")}?fmt=xlsx"' in html, page


def test_a_bad_format_goes_back_to_the_page(manager: Client, demo: Demo) -> None:
    response = manager.get(reverse("portfolio:export_team"), {"fmt": "pdf"})
    assert response.status_code == 302
    assert response["Location"] == reverse("portfolio:team")


def test_the_accounts_download_streams_in_a_fixed_number_of_queries(manager: Client, demo: Demo) -> None:
    with CaptureQueriesContext(connection) as few:
        _xlsx(_get(manager, reverse("portfolio:export_accounts"), fmt="xlsx"))
    assert SnapshotRow.objects.filter(snapshot=demo.after).count() > 100
    assert len(few) < 30, [q["sql"][:120] for q in few]


def test_the_review_download_of_one_rep(manager: Client, demo: Demo) -> None:
    params = {"before": str(demo.before.pk), "after": str(demo.after.pk), "owner": str(demo.rep.pk), "fmt": "csv"}
    rows = _csv(_get(manager, reverse("portfolio:export_review"), **params))
    moves = zone_moves(demo.after, previous=demo.before, owner_id=demo.rep.pk, per_page=500)
    assert sorted(r[0] for r in rows[1:]) == sorted(r.account_external_id for r in moves.rows)
    assert {r[2] for r in rows[1:]} <= {demo.rep.name}
