"""A small seeded demo with two snapshots, shared by the page, API and browser tests of the portfolio.

120 accounts, 30 reps; snapshots as of 2026-08-31 and 2026-11-20 (the demo's as-of day), so the
review pages have moves. Logins: ``manager``, ``rep`` (strong), ``rep2`` (developing), ``admin``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.test import Client

from kokyaku.crm.models import Account, Rep
from kokyaku.demo.services import demo_load
from kokyaku.portfolio.models import Snapshot
from kokyaku.portfolio.services import snapshot_create

AS_OF = date(2026, 11, 20)
BEFORE = date(2026, 8, 31)
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
PASSWORD = "kokyaku-demo"


@dataclass(frozen=True)
class Demo:
    before: Snapshot
    after: Snapshot
    rep: Rep  # the "rep" login's rep
    rep2: Rep  # the "rep2" login's rep
    rep_account: Account  # an account "rep" owns
    rep2_account: Account  # an account "rep2" owns


def load_demo(accounts: int = 120) -> Demo:
    demo_load(actor=None, accounts=accounts, seed=3, as_of=AS_OF)
    before = snapshot_create(actor=None, as_of=BEFORE)
    after = snapshot_create(actor=None, as_of=AS_OF)
    rep = Rep.objects.get(user__username="rep")
    rep2 = Rep.objects.get(user__username="rep2")
    return Demo(
        before=before,
        after=after,
        rep=rep,
        rep2=rep2,
        rep_account=Account.objects.filter(owner=rep).order_by("id").first() or Account.objects.none().get(),
        rep2_account=Account.objects.filter(owner=rep2).order_by("id").first() or Account.objects.none().get(),
    )


def demo_client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client
