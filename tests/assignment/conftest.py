"""A small book for the assignment tests: Tanaka (strong) holds visionaries and skeptics, Suzuki (developing) pragmatists."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User

from kokyaku.crm.models import Account, Rep, Team


@dataclass(frozen=True)
class Book:
    strong: Rep
    developing: Rep
    manager: User


@pytest.fixture
def book(team: Team, strong_rep: Rep, developing_rep: Rep, manager: User) -> Book:
    """Twelve accounts all placed against the policy; the manager's own rep is inactive (no book)."""
    Rep.objects.filter(name="Sato Kenji").update(active=False)
    accounts = []
    for i, buyer in enumerate(["visionary"] * 4 + ["skeptic"] * 2 + ["pragmatist"] * 3 + ["conservative"] * 3):
        owner = strong_rep if buyer in ("visionary", "skeptic") else developing_rep
        accounts.append(Account(external_id=f"B-{i}", name=f"Account {i:02d}", buyer_type=buyer, owner=owner))
    Account.objects.bulk_create(accounts)
    return Book(strong=strong_rep, developing=developing_rep, manager=manager)
