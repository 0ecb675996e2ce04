"""A small portfolio whose zones are computed by hand.

Accounts 1..9 each have one open deal of ``i × 100,000`` yen at ``i × 10`` % (the rep's
estimate). Terciles over 9 values cut at 366,667 / 633,333 yen and 36.7 % / 63.3 %, so accounts
1-3 are zone C, 4-6 zone B and 7-9 zone A; with the default 10 % margin, accounts 4 and 6 are
near a boundary. Odd accounts belong to Tanaka (strong), even ones to Suzuki (developing).
Account 10 has no deals: unpriced, no probability, unzoned, a prospect, and no owner.
Account 9's name starts with "=" to check formula neutralisation in exports.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kokyaku.crm.models import Account, Deal, Rep

AS_OF = date(2026, 6, 30)
FORMULA_NAME = '=HYPERLINK("http://evil")'


@pytest.fixture
def portfolio(strong_rep: Rep, developing_rep: Rep) -> dict[int, Account]:
    accounts: dict[int, Account] = {}
    for i in range(1, 10):
        owner = strong_rep if i % 2 else developing_rep
        name = FORMULA_NAME if i == 9 else f"株式会社テスト{i}"
        accounts[i] = Account.objects.create(external_id=f"ACC-{i:03d}", name=name, owner=owner)
    accounts[10] = Account.objects.create(external_id="ACC-010", name="Prospect Ltd", owner=None)
    Deal.objects.bulk_create(
        Deal(
            external_id=f"D-{i:03d}",
            account=accounts[i],
            owner=accounts[i].owner,
            amount=Decimal(i * 100_000),
            probability=i * 10,
            status=Deal.Status.OPEN,
            opened_on=date(2026, 5, 1),
            expected_close_on=date(2026, 7, 15),
        )
        for i in range(1, 10)
    )
    return accounts
