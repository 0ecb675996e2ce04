"""The follow-up pages and the home panels, through the test client."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from kokyaku.crm.models import Account, Activity, Deal, Rep
from kokyaku.followups.models import FollowUp
from kokyaku.portfolio.services import snapshot_create
from tests.followups.conftest import FIRST

pytestmark = pytest.mark.django_db
TODAY = datetime(2026, 7, 2, 9, 0)


@pytest.fixture
def queued(book: dict[str, Account]) -> dict[str, Account]:
    with time_machine.travel(TODAY, tick=False):
        snapshot_create(actor=None, as_of=FIRST)
    return book


def test_the_rep_sees_and_completes_their_follow_up(queued: dict[str, Account], developing_client: Client) -> None:
    with time_machine.travel(TODAY, tick=False):
        page = developing_client.get("/followups/")
        assert page.status_code == 200
        body = page.content.decode()
        assert "Quiet Co" in body
        assert "Released Co" in body
        task = FollowUp.objects.get(account=queued["quiet"])
        done = developing_client.post(f"/followups/{task.pk}/complete/", {"outcome": "meeting", "note": "call back"})
    assert done.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.outcome, task.note) == ("done", "meeting", "call back")


def test_another_rep_cannot_close_it(queued: dict[str, Account], rep_client: Client) -> None:
    task = FollowUp.objects.get(account=queued["quiet"])
    rep_client.post(f"/followups/{task.pk}/complete/", {"outcome": "meeting"})
    task.refresh_from_db()
    assert task.status == "open"


def test_the_manager_sees_the_queue_per_rep(queued: dict[str, Account], manager_client: Client, developing_rep: Rep) -> None:
    with time_machine.travel(datetime(2026, 7, 20, 9, 0), tick=False):
        body = manager_client.get("/followups/").content.decode()
    assert 'data-testid="queue-by-rep"' in body
    row = body.split(f'data-rep="{developing_rep.pk}"')[1].split("</tr>")[0]
    assert [c.split("<")[0] for c in row.split('class="num">')[1:]] == ["2", "2", "0", "0", "0"]  # open, overdue (due 07-14)


def test_stale_deals_are_coloured_by_level(queued: dict[str, Account], developing_rep: Rep, developing_client: Client) -> None:
    account = queued["busy"]
    fresh = Deal.objects.create(
        external_id="O-1", account=account, owner=developing_rep, name="Fresh", opened_on=date(2026, 6, 28)
    )
    Deal.objects.create(external_id="O-2", account=account, owner=developing_rep, name="Idle", opened_on=date(2026, 3, 1))
    Activity.objects.create(
        account=account, rep=developing_rep, deal=fresh, kind="call", occurred_at=timezone.make_aware(datetime(2026, 6, 29, 10))
    )
    with time_machine.travel(TODAY, tick=False):
        body = developing_client.get("/followups/stale-deals/").content.decode()
        home = developing_client.get("/").content.decode()
    assert 'data-stale-level="90"' in body
    assert "Idle" in body
    assert ">Fresh<" not in body
    assert 'data-testid="home-stale"' in home
    assert "Idle" in home
    assert 'data-testid="home-followups"' in home
    assert "Quiet Co" in home


def test_the_home_zone_a_link_opens_exactly_the_quiet_list(
    queued: dict[str, Account], developing_rep: Rep, developing_client: Client
) -> None:
    with time_machine.travel(TODAY, tick=False):
        home = developing_client.get("/").content.decode()
        link = home.split('data-testid="home-idle-a-list"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
        assert link.startswith("/followups/dormant/?lifecycle=all&zone=A&idle=30&owner=")
        listed = developing_client.get(link).content.decode()
    n = home.split('data-testid="home-idle-a"')[1].split("<h2>")[1].split(" ")[0]
    assert f"{n} account" in listed.split('data-testid="dormant-total">')[1]


def test_the_dormant_list_shows_last_purchase_and_days_since(queued: dict[str, Account], manager_client: Client) -> None:
    with time_machine.travel(TODAY, tick=False):
        body = manager_client.get("/followups/dormant/").content.decode()
    row = body.split(f'data-account="{queued["quiet"].pk}"')[1].split("</tr>")[0]
    assert "2024-05-01" in row
    assert str((date(2026, 7, 2) - date(2024, 5, 1)).days) in row.replace(",", "")
    assert "Busy Co" not in body  # active, not dormant
    filtered = manager_client.get("/followups/dormant/", {"owner": str(queued["quiet"].owner_id)}).content.decode()
    assert "Quiet Co" in filtered
    assert "Released Co" not in filtered


def test_a_deal_idle_for_years_shows_its_days_with_a_thousands_separator(
    queued: dict[str, Account], developing_rep: Rep, developing_client: Client
) -> None:
    """A pipeline imported from an old CRM: "3426 days" beside "2017-07-19" was hard to read."""
    Deal.objects.create(external_id="O-OLD", account=queued["busy"], owner=developing_rep, name="Old", opened_on=date(2017, 1, 1))
    with time_machine.travel(TODAY, tick=False):
        body = developing_client.get("/followups/stale-deals/").content.decode()
    row = body.split('data-deal="')[1:]
    old = next(r for r in row if "Old" in r).split("</tr>")[0]
    idle = (TODAY.date() - date(2017, 1, 1)).days
    assert f"{idle:,} days" in old


def test_the_dormant_list_counts_with_a_thousands_separator(strong_rep: Rep, manager_client: Client) -> None:
    """The Online Retail data: "4338 accounts" over the dormant list, where every other figure reads 4,338."""
    accounts = Account.objects.bulk_create(
        Account(external_id=f"C-{i}", name=f"Customer {i}", owner=strong_rep) for i in range(1_005)
    )
    Deal.objects.bulk_create(
        Deal(external_id=f"INV-{a.pk}", account=a, owner=strong_rep, name="Invoice", amount=100, status=Deal.Status.WON,
             opened_on=date(2011, 5, 1), closed_on=date(2011, 5, 1))
        for a in accounts
    )  # fmt: skip
    with time_machine.travel(TODAY, tick=False):
        snapshot_create(actor=None, as_of=FIRST)
        body = manager_client.get("/followups/dormant/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert body.split('data-testid="dormant-total">')[1].split("<")[0] == "1,005 accounts"


def test_no_template_prints_a_plural_counter_unformatted() -> None:
    """`{% blocktranslate count n=... %}{{ n }} accounts` printed 4338: the counter picks the plural form,
    the number shown goes through |count (`count counter=X with n=X|count`)."""
    import re
    from pathlib import Path

    import kokyaku

    raw = []
    for path in Path(kokyaku.__file__).parent.rglob("templates/**/*.html"):
        text = path.read_text()
        for block in re.finditer(r"\{% blocktranslate count (\w+)=[^%]*%\}(.*?)\{% endblocktranslate %\}", text, re.DOTALL):
            name, body = block.group(1), block.group(2)
            if "{{ " + name + " }}" in body and name not in ("years", "teams"):
                raw.append(f"{path.name}: {block.group(0)[:80]}")
    assert raw == []


def test_the_queue_pages_its_follow_ups(strong_rep: Rep, developing_rep: Rep, manager_client: Client) -> None:
    """4,338 open follow-ups (Online Retail): the page held the first 200, each with a 35-rep select
    (685 KB of HTML, 2 s in Chromium, 30,000 px tall), and no way to see the 201st. Now 50 a page, with pages."""
    accounts = Account.objects.bulk_create(Account(external_id=f"F-{i}", name=f"Quiet {i:03d}") for i in range(120))
    FollowUp.objects.bulk_create(
        FollowUp(account=a, assignee=developing_rep, reason="dormant", due_on=date(2026, 7, 1 + i % 28))
        for i, a in enumerate(accounts)
    )
    with time_machine.travel(TODAY, tick=False):
        first = manager_client.get("/followups/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        last = manager_client.get("/followups/?page=3", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    shown = {*re.findall(r'data-followup="(\d+)"', first)}
    assert len(shown) == 50
    assert "Page 1 of 3" in first
    assert 'href="?status=open&amp;page=2"' in first
    rest = {*re.findall(r'data-followup="(\d+)"', last)}
    assert len(rest) == 20
    assert not shown & rest


def test_the_japanese_queue_calls_strong_reps_what_every_other_page_does(
    queued: dict[str, Account], manager_client: Client
) -> None:
    """Strong reps are 主力 everywhere (policy, assignment, home); the follow-up pages said ベテラン担当者."""
    with time_machine.travel(TODAY, tick=False):
        body = manager_client.get("/followups/?status=all", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "ベテラン" not in body
    assert "主力の担当者が持ち続けない" in body
