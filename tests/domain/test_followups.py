"""The follow-up rule, its assignment to developing reps, and reactivations, on portfolios worked out by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from kokyaku.domain.errors import DomainError
from kokyaku.domain.followups import follow_ups_due, reactivations, reactivations_by_month, spread_least_loaded

AS_OF = date(2026, 6, 30)
NAN = float("nan")
SATO, SUZUKI, TANAKA = 10, 20, 21  # team 1: Sato is a strong rep, Suzuki and Tanaka developing
ITO, KATO = 30, 40  # team 2: Ito strong, Kato developing but no longer active
MORI = 50  # a developing rep without a team
OKADA = 60  # team 3: a strong rep alone

REPS = pd.DataFrame(
    [
        (SATO, "strong", 1, True),
        (SUZUKI, "developing", 1, True),
        (TANAKA, "developing", 1, True),
        (ITO, "strong", 2, True),
        (KATO, "developing", 2, False),
        (MORI, "developing", NAN, True),
        (OKADA, "strong", 3, True),
    ],
    columns=["rep_id", "tier", "team_id", "active"],
)


def test_new_dormant_and_at_risk_accounts_get_follow_ups_by_the_companys_rule() -> None:
    accounts = [
        # id, previous, current, owner
        (1, "active", "dormant", SUZUKI),  # a developing owner keeps it
        (2, "active", "at_risk", SATO),  # a strong rep's own account: covered
        (3, "active", "dormant", SATO),  # Sato released it: to team 1's least-loaded developing rep
        (4, "dormant", "dormant", SUZUKI),  # was dormant already: nothing new
        (5, None, "at_risk", None),  # first seen, no owner: the company's developing reps
        (6, "at_risk", "dormant", SUZUKI),  # a follow-up is still open
        (7, "active", "dormant", ITO),  # Ito released it, team 2 has no active developing rep
        (8, "active", "churned", SUZUKI),  # churned: recorded by the rep, no follow-up
        (9, "active", "at_risk", KATO),  # owner inactive: like no owner
        (11, "new", "dormant", OKADA),  # a strong rep's, not released: covered
    ]
    ids, prev, cur, owner = zip(*accounts, strict=True)
    plan = follow_ups_due(
        list(ids),
        previous=list(prev),
        current=list(cur),
        owner_ids=[np.nan if o is None else o for o in owner],
        reps=REPS,
        as_of=AS_OF,
        released=pd.DataFrame({"account_id": [3, 7], "rep_id": [SATO, ITO]}),
        open_follow_ups=[6],
        open_load=pd.Series({SUZUKI: 3, TANAKA: 1}),
    )
    # loads: Suzuki 3 + account 1 = 4, Tanaka 1 -> account 3 (team 1) -> 2; then the company pool in
    # account order: 5 -> Mori (0), 7 -> Mori (1 < 2), 9 -> Tanaka (2 = 2, lower id)
    got = plan.tasks.set_index("account_id")
    assert list(got.index) == [1, 3, 5, 7, 9]
    assert got["assignee_id"].tolist() == [SUZUKI, TANAKA, MORI, MORI, TANAKA]
    assert got["rule"].tolist() == ["owner", "released", "no_owner", "released", "no_owner"]
    assert got["lifecycle"].tolist() == ["dormant", "dormant", "at_risk", "dormant", "at_risk"]
    assert [d.date() for d in got["due_on"]] == [
        date(2026, 7, 14),
        date(2026, 7, 14),
        date(2026, 7, 7),
        date(2026, 7, 14),
        date(2026, 7, 7),
    ]
    assert plan.covered.tolist() == [2, 11]
    assert plan.already_open.tolist() == [6]


def test_with_no_developing_rep_anywhere_the_task_stays_unassigned_not_dropped() -> None:
    reps = REPS.loc[REPS["tier"] == "strong"]
    plan = follow_ups_due(
        [1, 2],
        previous=["active", "active"],
        current=["dormant", "dormant"],
        owner_ids=[SATO, NAN],
        reps=reps,
        as_of=AS_OF,
        released=pd.DataFrame({"account_id": [1], "rep_id": [SATO]}),
        due_days={"dormant": 30, "at_risk": 5},
    )
    assert plan.tasks["account_id"].tolist() == [1, 2]
    assert plan.tasks["assignee_id"].isna().all()
    assert plan.tasks["rule"].tolist() == ["unassigned", "unassigned"]
    assert [d.date() for d in plan.tasks["due_on"]] == [date(2026, 7, 30)] * 2


def test_the_same_input_gives_the_same_plan_whatever_the_row_order() -> None:
    ids = np.arange(1, 41)
    owner = np.full(40, np.nan)
    load = pd.Series({TANAKA: 1})
    a = follow_ups_due(
        ids, previous=["active"] * 40, current=["dormant"] * 40, owner_ids=owner, reps=REPS, as_of=AS_OF, open_load=load
    )
    shuffled = np.random.default_rng(3).permutation(ids)
    b = follow_ups_due(
        shuffled, previous=["active"] * 40, current=["dormant"] * 40, owner_ids=owner, reps=REPS, as_of=AS_OF, open_load=load
    )
    pd.testing.assert_frame_equal(a.tasks, b.tasks)
    assert a.tasks["assignee_id"].tolist()[:4] == [SUZUKI, MORI, SUZUKI, TANAKA]  # Tanaka starts with one open
    # 40 tasks over three developing reps (Tanaka with one open already): 14 / 13 / 13, loads 14 / 14 / 13
    assert a.tasks["assignee_id"].value_counts().sort_index().tolist() == [14, 13, 13]


def greedy(teams: list[int], reps: dict[int, int], load: dict[int, int]) -> list[float]:
    """The rule spelled out: one task at a time to the least-loaded rep of its team, ties to the lower id."""
    out: list[float] = []
    for team in teams:
        mine = sorted(r for r, t in reps.items() if t == team)
        if not mine:
            out.append(NAN)
            continue
        pick = min(mine, key=lambda r: (load.get(r, 0), r))
        load[pick] = load.get(pick, 0) + 1
        out.append(float(pick))
    return out


def test_spreading_in_one_go_matches_handing_out_one_task_at_a_time() -> None:
    rng = np.random.default_rng(7)
    reps = {int(r): int(rng.integers(0, 4)) for r in rng.choice(1000, size=25, replace=False)}
    start = {r: int(rng.integers(0, 9)) for r in reps if rng.random() < 0.7}
    teams = rng.integers(0, 5, size=300)  # team 4 has no rep
    pool = pd.DataFrame({"team_id": list(reps.values())}, index=pd.Index(list(reps.keys()), name="rep_id"))
    load = pd.Series(start, dtype=np.int64)
    got, after = spread_least_loaded(teams.astype(np.int64), pool, load)
    expected_load = dict(start)
    expected = greedy(teams.tolist(), reps, expected_load)
    np.testing.assert_array_equal(got, np.array(expected))
    assert {int(str(k)): int(v) for k, v in after.items() if v} == {k: v for k, v in expected_load.items() if v}


def test_bad_rep_rows_and_misaligned_inputs_are_refused() -> None:
    with pytest.raises(DomainError, match="unknown tier"):
        follow_ups_due([1], previous=["active"], current=["dormant"], owner_ids=[1], reps=REPS.assign(tier="ace"), as_of=AS_OF)
    with pytest.raises(DomainError, match="one value per account"):
        follow_ups_due([1, 2], previous=["active"], current=["dormant"], owner_ids=[1], reps=REPS, as_of=AS_OF)
    with pytest.raises(DomainError, match="missing column"):
        follow_ups_due([1], previous=[""], current=["dormant"], owner_ids=[1], reps=REPS.drop(columns="team_id"), as_of=AS_OF)


def test_dormant_accounts_that_bought_since_the_previous_snapshot_are_reactivations() -> None:
    deals = pd.DataFrame(
        {
            "account_id": [1, 1, 2, 3, 4, 5],
            "status": ["won", "won", "lost", "won", "won", "won"],
            "amount": [100.0, 50.0, 10.0, 70.0, 30.0, 80.0],
            "closed_on": pd.to_datetime(["2026-06-10", "2026-06-20", "2026-06-12", "2026-05-31", "2026-06-05", "2026-06-15"]),
        }
    )
    previous = ["dormant", "dormant", "dormant", "active", "at_risk"]
    got = reactivations([1, 2, 3, 4, 5], previous, deals, since=date(2026, 5, 31), as_of=AS_OF)
    # 1 bought twice (first on 06-10); 2 only lost a deal; 3 bought on the previous snapshot's day; 4 was active
    assert got["account_id"].tolist() == [1]
    assert got["reactivated_on"].dt.date.tolist() == [date(2026, 6, 10)]
    assert got["revenue"].tolist() == [150.0]
    both = reactivations([1, 2, 3, 4, 5], previous, deals, since=date(2026, 5, 31), as_of=AS_OF, states=("dormant", "at_risk"))
    assert both["account_id"].tolist() == [1, 5]
    assert both["previous"].tolist() == ["dormant", "at_risk"]


def test_reactivations_are_counted_per_month() -> None:
    months = reactivations_by_month(pd.to_datetime(["2026-05-03", "2026-06-10", "2026-06-30", "2026-08-01"]))
    assert {str(k): int(v) for k, v in months.items()} == {"2026-05": 1, "2026-06": 2, "2026-08": 1}


def test_reactivations_need_since_before_as_of() -> None:
    with pytest.raises(DomainError, match="must come before"):
        reactivations([1], ["dormant"], pd.DataFrame(), since=AS_OF, as_of=AS_OF)
