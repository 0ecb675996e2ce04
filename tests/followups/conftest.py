"""A small book for the follow-up queue: dormant, covered, released and active accounts in one team."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kokyaku.assignment.models import AccountRelease
from kokyaku.crm.models import Account, Deal, Rep

FIRST = date(2026, 6, 30)
SECOND = date(2026, 7, 31)


def won(account: Account, owner: Rep | None, closed_on: date, ref: str, amount: int = 100_000) -> Deal:
    return Deal.objects.create(
        external_id=ref, account=account, owner=owner, amount=Decimal(amount), status=Deal.Status.WON,
        opened_on=closed_on, closed_on=closed_on,
    )  # fmt: skip


@pytest.fixture
def book(strong_rep: Rep, developing_rep: Rep) -> dict[str, Account]:
    """quiet: Suzuki's, dormant; kept: Tanaka's (strong), dormant; released: Tanaka's, dormant, and Tanaka released it
    (an AccountRelease, kokyaku/assignment): it stays Tanaka's until a plan moves it; busy: active."""
    accounts = {
        "quiet": Account.objects.create(external_id="Q", name="Quiet Co", owner=developing_rep),
        "kept": Account.objects.create(external_id="K", name="Kept Co", owner=strong_rep),
        "released": Account.objects.create(external_id="R", name="Released Co", owner=strong_rep),
        "busy": Account.objects.create(external_id="B", name="Busy Co", owner=developing_rep),
    }
    won(accounts["quiet"], developing_rep, date(2024, 5, 1), "D-Q")
    won(accounts["kept"], strong_rep, date(2024, 5, 1), "D-K")
    won(accounts["released"], developing_rep, date(2023, 5, 1), "D-R0")
    won(accounts["released"], strong_rep, date(2024, 5, 1), "D-R1")
    AccountRelease.objects.create(account=accounts["released"], rep=strong_rep, reason="no budget for three years")
    won(accounts["busy"], developing_rep, date(2026, 6, 1), "D-B")
    return accounts
