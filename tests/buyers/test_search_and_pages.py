"""The objection log's Japanese search (pg_trgm on PostgreSQL, LIKE on SQLite), the pages, the CSV export and the API."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from kokyaku.buyers import selectors, services
from kokyaku.buyers.models import KeyPerson, Objection
from kokyaku.crm.models import Account, Deal, LostReason, Rep
from kokyaku.portfolio.services import snapshot_create
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SAID = ("導入効果の根拠を示してほしい", "他社より高い", "既存システムと連携できない")


@pytest.fixture
def logged(strong_account: Account, developing_account: Account) -> list[Objection]:
    out = []
    for i, (account, said) in enumerate(zip((strong_account, strong_account, developing_account), SAID, strict=True)):
        out.append(
            services.objection_save(
                actor=None,
                account=account,
                values={
                    "date": date(2026, 4, 1 + i),
                    "said": said,
                    "tags": ["effect", "price", "integration"][i],
                    "answer": "無償トライアルで効果を測定した" if i == 0 else "",
                    "product": "Cloud ERP",
                },
            )
        )
    return out


def _said(q: str, **kw: object) -> list[str]:
    return [o.said for o in selectors.objection_search(selectors.ObjectionFilter(q=q, **kw))]  # type: ignore[arg-type]


def test_japanese_search_matches_substrings_without_word_splitting(logged: list[Objection]) -> None:
    assert _said("効果") == [SAID[0]]  # in what was said and in the answer: once
    assert _said("根拠 導入") == [SAID[0]]  # every word, any order
    assert _said("連携") == [SAID[2]]
    assert _said("トライアル") == [SAID[0]]  # the answer is searched too
    assert _said("値引き") == []
    assert _said("", tag="price") == [SAID[1]]
    assert _said("", buyer_type="unknown", start=date(2026, 4, 2)) == [SAID[2], SAID[1]]


def test_postgresql_serves_the_search_from_trigram_indexes(logged: list[Objection]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's; SQLite uses LIKE")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'buyers_objection' AND indexdef LIKE '%gin_trgm_ops%'")
        names = {r[0] for r in cursor.fetchall()}
        assert names == {"buyers_objection_said_trgm", "buyers_objection_answer_trgm", "buyers_objection_tags_trgm"}
        cursor.execute("SELECT similarity('導入効果の根拠', '導入効果')")
        assert cursor.fetchone()[0] > 0  # the extension is there and splits Japanese into trigrams
        # a tiny table: rule out the scans it would rather do, so the plan shows whether the trigram index can serve
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        found = selectors.objection_search(selectors.ObjectionFilter(q="導入効果")).order_by().values("pk")
        sql, params = found.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
        assert "_trgm" in plan, plan


def test_objection_page_in_japanese_and_the_cp932_export(logged: list[Objection], rep_client: Client) -> None:
    account = logged[0].account
    Deal.objects.create(
        external_id="LOST-1", account=account, owner=account.owner, product="Cloud ERP", status=Deal.Status.LOST,
        opened_on=date(2026, 3, 1), closed_on=date(2026, 5, 1), lost_reason=LostReason.objects.get(code="no_need"),
    )  # fmt: skip
    r = rep_client.get("/buyers/objections/", {"q": "効果"}, HTTP_ACCEPT_LANGUAGE="ja")
    page = r.content.decode()
    losses = r.context["losses"]
    assert losses.tags[:2] == ["effect", "price"]  # the lost deal followed both objections on its account
    assert "no_need" in losses.reasons
    assert "no_need" in page.split('data-testid="objection-losses"')[1]
    assert r.status_code == 200
    assert "懐疑客の声" in page
    assert SAID[0] in page
    assert SAID[1] not in page
    csv = rep_client.get("/buyers/objections/", {"format": "csv", "encoding": "cp932", "tag": "price"})
    assert csv.status_code == 200
    lines = csv.content.decode("cp932").splitlines()
    assert lines[0].startswith("date,account")
    assert SAID[1] in lines[1]
    assert len(lines) == 2
    utf8 = rep_client.get("/buyers/objections/", {"format": "csv"})
    assert utf8.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Japanese


def test_account_page_shows_the_map_and_flags_a_pragmatist_without_a_decision_maker(
    strong_account: Account, rep_client: Client
) -> None:
    services.buyer_type_set(actor=None, account=strong_account, buyer_type="pragmatist", source="override")
    services.key_person_save(
        actor=None, account=strong_account, values={"name": "佐々木 一郎", "role": "it", "influence": 4, "stance": "opponent"}
    )
    page = rep_client.get(f"/buyers/accounts/{strong_account.pk}/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "佐々木 一郎" in page
    assert "意思決定者" in page
    assert "キーマン" in page
    assert 'data-testid="key-person-gap"' in page


def test_a_rep_cannot_edit_another_reps_account_through_the_page(developing_account: Account, rep_client: Client) -> None:
    r = rep_client.post(
        f"/buyers/accounts/{developing_account.pk}/key-persons/", {"name": "X", "role": "it", "influence": 3, "stance": "neutral"}
    )
    assert r.status_code == 403
    assert not KeyPerson.objects.exists()
    page = rep_client.get(f"/buyers/accounts/{developing_account.pk}/").content.decode()
    assert 'data-testid="key-person-form"' not in page  # shared for reading, not offered for editing


def test_team_page_shows_the_measurement_and_counts(strong_account: Account, manager_client: Client) -> None:
    page = manager_client.get("/buyers/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'data-testid="measurement"' in page
    assert 'data-testid="counts-by-rep"' in page
    assert "提案の精度" in page


def test_api_checklist_confirm_and_objection_search(strong_account: Account, logged: list[Objection]) -> None:
    client = client_for("tanaka")
    r = client.put(
        f"/api/buyers/accounts/{strong_account.pk}/checklist",
        json.dumps({"traits": ["c_respects_custom", "c_risk_services"], "confirm": True}), content_type="application/json",
    )  # fmt: skip
    body = r.json()
    assert r.status_code == 200
    assert body["buyer_type"] == "conservative"
    assert body["decision"]["set_by"] == "tanaka"
    found = client.get("/api/buyers/objections", {"q": "連携"}).json()["items"]
    assert [o["said"] for o in found] == [SAID[2]]
    bad = client.post(
        "/api/buyers/key-persons",
        json.dumps({"account_id": strong_account.pk, "name": "X", "stance": "hostile"}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert not KeyPerson.objects.exists()


def test_team_page_in_japanese_has_no_english_note_and_groups_thousands(strong_rep: Rep, manager_client: Client) -> None:
    """With no typed account yet (every team's first day) the measurement said, in English on the
    Japanese page, "no recorded account had enough history at the cutoff"; counts showed as 1446."""
    Account.objects.bulk_create(Account(external_id=f"BULK-{i}", name=f"Bulk {i}", owner=strong_rep) for i in range(1234))
    page = manager_client.get("/buyers/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    measurement = page.split('data-testid="measurement"')[1].split("</section>")[0]
    assert "no recorded account" not in measurement
    assert "まだ測れません" in measurement
    by_rep = page.split('data-testid="counts-by-rep"')[1].split("</table>")[0]
    assert ">1,234<" in by_rep
    assert ">1234<" not in by_rep


def test_the_type_totals_count_every_account_not_only_owned_ones(strong_rep: Rep, manager_client: Client) -> None:
    """Imported accounts without an owner (Maven CRM, Online Retail): "Accounts per type" read 0 in every
    type, unclassified included, beside a per-zone table with 4,457 unclassified accounts."""
    Account.objects.create(external_id="OWNED", name="Owned", owner=strong_rep, buyer_type="visionary")
    Account.objects.bulk_create(Account(external_id=f"FREE-{i}", name=f"Free {i}") for i in range(3))
    totals = selectors.team_types().totals
    assert totals == [1, 0, 0, 0, 3]  # visionary, pragmatist, conservative, skeptic, unknown
    page = manager_client.get("/buyers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    stats = page.split('class="stats"')[1].split("</section>")[0]
    assert [int(n) for n in re.findall(r'class="stat-value">([\d,]+)<', stats)] == [1, 0, 0, 0, 3]


def test_per_rep_says_the_accounts_have_no_owner_rep_when_none_is_owned(strong_rep: Rep, manager_client: Client) -> None:
    """After an import without owners (maven_crm's accounts.csv) the per-rep table said "Nothing to count
    yet." beside 1,234 accounts in the totals: it says they have no owner rep, and how to assign them."""
    Account.objects.bulk_create(Account(external_id=f"FREE-{i}", name=f"Free {i}") for i in range(1234))
    assert selectors.team_types().unowned == 1234
    for language, said, how in (
        ("en", "No account has an owner rep yet (1,234 accounts without one)", "assign them to reps (Assignment"),
        ("ja", "担当者が決まっている顧客はまだありません（担当者なし 1,234 件）", "担当割当"),
    ):
        page = manager_client.get("/buyers/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        by_rep = page.split('data-testid="counts-by-rep"')[1].split("</section>")[0]
        assert said in by_rep
        assert how in by_rep
        assert "Nothing to count yet" not in by_rep
        assert "まだ数えるものがありません" not in by_rep


def test_per_rep_notes_the_unowned_accounts_beside_the_owned_ones(strong_rep: Rep, manager_client: Client) -> None:
    Account.objects.create(external_id="OWNED", name="Owned", owner=strong_rep)
    Account.objects.bulk_create(Account(external_id=f"FREE-{i}", name=f"Free {i}") for i in range(2))
    page = manager_client.get("/buyers/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = page.split('data-testid="counts-by-rep"')[1].split("</section>")[0]
    assert strong_rep.name in section
    assert "2 accounts have no owner rep and are in no row above." in section
    ja = manager_client.get("/buyers/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "担当者のいない顧客 2 件は上の表に含まれていません。" in ja.split('data-testid="counts-by-rep"')[1]


def test_the_measurement_is_dated_by_the_latest_snapshot_not_by_today(strong_account: Account, manager_client: Client) -> None:
    """A history imported from years ago (Online Retail ends in 2011) was measured from a year before
    today to today, a year in which nothing happened; it is measured as of the latest snapshot's date."""
    page = manager_client.get("/buyers/").content.decode()
    today = timezone.localdate()
    assert today.isoformat() in page.split('data-testid="measurement"')[1].split("</section>")[0]  # no snapshot yet
    snapshot_create(actor=None, as_of=date(2011, 12, 9))
    measurement = manager_client.get("/buyers/").content.decode().split('data-testid="measurement"')[1].split("</section>")[0]
    assert "2011-12-09" in measurement
    assert "2010-12-09" in measurement  # the cutoff, a year before
    assert today.isoformat() not in measurement
