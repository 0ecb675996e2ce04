"""The sentence a manager reads when no plan exists: teams by name (none: said in words), numbers as people write them."""

from __future__ import annotations

from django.utils import translation

from kokyaku.assignment.labels import infeasible_message

REASON = {
    "code": "capacity_short",
    "totals": {"accounts": 4457, "capacity": 2800, "shortfall": 1657},
    "details": [{"team": None, "accounts": 4457, "capacity": 2800, "shortfall": 4457}, {"team": "East", "shortfall": 12}],
}


def test_accounts_without_a_team_are_named_and_numbers_grouped() -> None:
    """Online Retail customers have no team: the sentence read 'Short per team: — 4457.'"""
    with translation.override("en"):
        text = infeasible_message(REASON)
    assert text == (
        "Total capacity is too small: 4,457 accounts need an owner, the reps who may take them have room for "
        "2,800 (1,657 short). Short per team: no team 4,457, East 12."
    )
    with translation.override("ja"):
        assert "チームなし 4,457" in infeasible_message(REASON)
