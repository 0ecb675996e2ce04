"""The demo generator: deterministic, well-formed, and carrying the relationships docs/demo-data.md promises."""

from __future__ import annotations

import tracemalloc
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from kokyaku.demo import generator as g
from kokyaku.demo import parameters as params
from kokyaku.demo.generator import DemoGenerator, DemoSpec
from kokyaku.domain.errors import DomainError
from tests.demo.conftest import AS_OF, Drawn, draw


def _win_rate(p: Drawn, mask: np.ndarray) -> float:
    closed = p.deals["status"] != "open"
    return float((p.deals["status"][closed & mask] == "won").mean())


def _deal_accounts(p: Drawn, column: str) -> np.ndarray:
    return p.accounts[column][p.deals["account"]]


# -- determinism and shape ----------------------------------------------------------------------


def test_the_same_seed_gives_the_same_portfolio() -> None:
    spec = DemoSpec(accounts=700, seed=5, as_of=AS_OF, chunk_size=300)
    first, second = draw(spec), draw(spec)
    for part in ("reps", "accounts", "deals", "activities", "targets", "key_persons", "objections", "products"):
        a, b = getattr(first, part), getattr(second, part)
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{part}.{key}")


def test_a_different_seed_gives_a_different_portfolio() -> None:
    one = draw(DemoSpec(accounts=300, seed=1, as_of=AS_OF))
    two = draw(DemoSpec(accounts=300, seed=2, as_of=AS_OF))
    assert list(one.accounts["name"]) != list(two.accounts["name"])


def test_chunks_hold_at_most_chunk_size_accounts_and_number_them_in_order() -> None:
    gen = DemoGenerator(DemoSpec(accounts=1050, seed=0, as_of=AS_OF, chunk_size=500))
    chunks = list(gen.chunks())
    assert [len(c) for c in chunks] == [500, 500, 50]
    np.testing.assert_array_equal(np.concatenate([c.accounts["index"] for c in chunks]), np.arange(1050))
    deal_index = np.concatenate([c.deals["index"] for c in chunks])
    np.testing.assert_array_equal(deal_index, np.arange(len(deal_index)))


def test_memory_stays_flat_as_the_portfolio_grows() -> None:
    def peak(accounts: int) -> int:
        tracemalloc.start()
        for _chunk in DemoGenerator(DemoSpec(accounts=accounts, seed=0, as_of=AS_OF, chunk_size=500)).chunks():
            pass
        _current, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(1000), peak(8000)
    assert large < 1.5 * small, (small, large)


def test_the_defaults_give_30_reps_in_3_teams_each_with_both_tiers() -> None:
    gen = DemoGenerator(DemoSpec(as_of=AS_OF))
    reps = gen.reps()
    assert gen.spec.accounts == 2000
    assert len(reps["index"]) == 30
    assert gen.teams() == ["Tokyo", "Osaka", "Nagoya"]
    for team in range(3):
        tiers = list(reps["tier"][reps["team"] == team])
        assert tiers.count("strong") >= 2
        assert tiers.count("developing") >= 1


def test_a_big_portfolio_gets_one_rep_per_67_accounts() -> None:
    spec = DemoSpec(accounts=1_000_000, as_of=AS_OF)
    assert spec.rep_count == 14_926
    assert spec.team_count == 1_493


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accounts": 0}, "accounts must be at least 1"),
        ({"fiscal_year_start_month": 13}, "fiscal_year_start_month must be 1..12"),
        ({"reps": 2}, "reps must be at least 3"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_the_spec_rejects_bad_input_with_a_clear_message(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        DemoSpec(as_of=AS_OF, **kwargs)


def test_every_buyer_type_industry_and_region_is_present(drawn: Drawn) -> None:
    assert set(drawn.accounts["buyer_type"]) == set(params.BUYER_TYPES)
    assert set(drawn.accounts["industry"]) == set(params.INDUSTRIES)
    assert set(drawn.accounts["region"]) == set(params.REGIONS)


def test_deals_have_the_fields_their_status_calls_for(drawn: Drawn) -> None:
    d = drawn.deals
    as_of = np.datetime64(AS_OF)
    is_open, lost = d["status"] == "open", d["status"] == "lost"
    assert set(d["stage"][is_open]) <= set(g.OPEN_STAGES)
    assert np.isnat(d["closed_on"][is_open]).all()
    assert (d["closed_on"][~is_open] <= as_of).all()
    assert (d["closed_on"][~is_open] >= d["opened_on"][~is_open]).all()
    assert set(d["lost_reason"][lost]) <= set(params.LOST_REASONS)
    assert set(d["lost_reason"][~lost]) == {""}
    assert set(d["lost_note"][~lost]) == {""}
    assert 0.5 < (d["lost_note"][lost] != "").mean() < 0.9
    entered = d["probability"] >= 0
    assert not entered[~is_open].any()
    assert 0.4 < entered[is_open].mean() < 0.8
    assert ((d["probability"][entered] >= 0) & (d["probability"][entered] <= 100)).all()
    assert (d["amount"] >= 50_000).all()


def test_activities_happen_before_as_of_within_their_deal_and_account(drawn: Drawn) -> None:
    act, d = drawn.activities, drawn.deals
    assert (act["occurred_at"] < np.datetime64(AS_OF).astype("datetime64[s]")).all()
    linked = act["deal"] >= 0
    assert 0.3 < linked.mean() < 0.9
    np.testing.assert_array_equal(d["account"][act["deal"][linked]], act["account"][linked])
    assert (
        act["occurred_at"][linked].astype("datetime64[D]") >= d["opened_on"][act["deal"][linked]] - np.timedelta64(1, "D")
    ).all()
    assert set(act["kind"]) == set(params.ACTIVITY_KINDS)
    assert (act["minutes"] >= 5).all()


def test_targets_cover_each_month_of_the_current_fiscal_year_for_every_rep(drawn: Drawn) -> None:
    t = drawn.targets
    reps = len(drawn.reps["index"])
    assert len(t["rep"]) == 12 * reps
    assert t["period_start"].min() == np.datetime64("2026-04-01")
    assert t["period_end"].max() == np.datetime64("2027-03-31")
    assert (t["amount"] > 0).all()
    # The fiscal year-end month carries the push.
    march = t["period_start"] == np.datetime64("2027-03-01")
    april = t["period_start"] == np.datetime64("2026-04-01")
    assert (t["amount"][march] > t["amount"][april]).all()


def test_the_fiscal_year_follows_the_company_setting() -> None:
    p = draw(DemoSpec(accounts=100, seed=0, as_of=date(2026, 11, 20), fiscal_year_start_month=1))
    assert p.targets["period_start"].min() == np.datetime64("2026-01-01")
    assert p.targets["period_end"].max() == np.datetime64("2026-12-31")


def test_targets_need_every_chunk_drawn_first() -> None:
    gen = DemoGenerator(DemoSpec(accounts=100, as_of=AS_OF, chunk_size=50))
    next(iter(gen.chunks()))
    with pytest.raises(DomainError, match="every chunk"):
        gen.targets()


# -- the planted relationships (docs/demo-data.md) ------------------------------------------------


def test_strong_reps_win_more_often_than_developing_reps_by_a_clear_margin(drawn: Drawn) -> None:
    tier = drawn.reps["tier"][drawn.deals["owner"]]
    strong, developing = _win_rate(drawn, tier == "strong"), _win_rate(drawn, tier == "developing")
    assert strong - developing > 0.10, (strong, developing)


def test_skeptics_win_least_and_conservatives_most(drawn: Drawn) -> None:
    btype = _deal_accounts(drawn, "buyer_type")
    rates = {b: _win_rate(drawn, btype == b) for b in params.BUYER_TYPES}
    assert min(rates, key=rates.__getitem__) == "skeptic", rates
    assert max(rates, key=rates.__getitem__) == "conservative", rates
    assert rates["skeptic"] < 0.35


def test_bigger_deals_win_less_often(drawn: Drawn) -> None:
    amount = drawn.deals["amount"]
    big = amount > np.median(amount)
    assert _win_rate(drawn, ~big) - _win_rate(drawn, big) > 0.08


def test_win_rate_depends_on_industry(drawn: Drawn) -> None:
    industry = _deal_accounts(drawn, "industry")
    assert _win_rate(drawn, industry == "IT") - _win_rate(drawn, industry == "Finance") > 0.08


def test_conservatives_buy_the_most_add_ons_per_account(drawn: Drawn) -> None:
    btype = _deal_accounts(drawn, "buyer_type")
    add_on = drawn.deals["kind"] == "add-on"
    per_account = {b: add_on[btype == b].sum() / (drawn.accounts["buyer_type"] == b).sum() for b in params.BUYER_TYPES}
    assert max(per_account, key=per_account.__getitem__) == "conservative"
    assert per_account["conservative"] > 2 * per_account["pragmatist"]


def test_visionaries_bring_the_biggest_new_deals_and_pragmatists_take_the_longest(drawn: Drawn) -> None:
    d = drawn.deals
    btype = _deal_accounts(drawn, "buyer_type")
    new = d["kind"] == "new"
    medians = {b: np.median(d["amount"][new & (btype == b)]) for b in params.BUYER_TYPES}
    assert max(medians, key=medians.__getitem__) == "visionary"
    closed = d["status"] != "open"
    cycle = (d["closed_on"] - d["opened_on"]).astype("timedelta64[D]").astype(float)
    cycles = {b: np.median(cycle[closed & (btype == b)]) for b in params.BUYER_TYPES}
    assert max(cycles, key=cycles.__getitem__) == "pragmatist"
    assert min(cycles, key=cycles.__getitem__) == "conservative"


def test_lapsed_customers_are_dormant_by_the_rule(drawn: Drawn) -> None:
    a, d = drawn.accounts, drawn.deals
    n = len(a["index"])
    cutoff = np.datetime64(AS_OF - timedelta(days=365))
    won = d["status"] == "won"
    has_won = np.bincount(d["account"][won], minlength=n) > 0
    last_won = np.full(n, np.datetime64("NaT", "D"))
    order = np.argsort(d["closed_on"][won])
    last_won[d["account"][won][order]] = d["closed_on"][won][order]  # the latest write wins
    has_open = np.bincount(d["account"][d["status"] == "open"], minlength=n) > 0
    dormant = has_won & ~has_open & (last_won < cutoff)
    lapsed = a["lapsed"]
    assert lapsed.sum() > 0.03 * n
    assert dormant[lapsed].all()
    assert dormant.sum() >= lapsed.sum()


def test_activity_minutes_are_spread_evenly_whatever_the_account_returns(drawn: Drawn) -> None:
    a, d, act = drawn.accounts, drawn.deals, drawn.activities
    n = len(a["index"])
    won = d["status"] == "won"
    revenue = np.bincount(d["account"][won], weights=d["amount"][won], minlength=n)
    minutes = np.bincount(act["account"], weights=act["minutes"], minlength=n)
    buyers = revenue > 0
    top = buyers & (revenue >= np.quantile(revenue[buyers], 0.9))
    rest = buyers & ~top
    assert revenue[top].mean() > 4 * revenue[rest].mean()
    assert minutes[top].mean() < 1.6 * minutes[rest].mean()


def test_key_accounts_have_high_unit_price_and_high_win_rate(drawn: Drawn) -> None:
    key = _deal_accounts(drawn, "key")
    amount = drawn.deals["amount"]
    assert 0.03 < drawn.accounts["key"].mean() < 0.12
    assert np.median(amount[key]) > 2 * np.median(amount[~key])
    assert _win_rate(drawn, key) - _win_rate(drawn, ~key) > 0.10


def test_developing_reps_enter_more_optimistic_probabilities(drawn: Drawn) -> None:
    d = drawn.deals
    entered = d["probability"] >= 0
    tier = drawn.reps["tier"][d["owner"]]
    gap = d["probability"] - 100 * d["p_win"]
    assert gap[entered & (tier == "developing")].mean() - gap[entered & (tier == "strong")].mean() > 8


def test_skeptics_lost_deals_record_their_objections(drawn: Drawn) -> None:
    d = drawn.deals
    skeptic_lost = (d["status"] == "lost") & (_deal_accounts(drawn, "buyer_type") == "skeptic")
    notes = set(d["lost_note"][skeptic_lost]) - {""}
    assert notes
    assert notes <= set(params.SKEPTIC_NOTES)


def test_open_deals_carry_an_expected_close_date_spread_around_as_of(drawn: Drawn) -> None:
    d = drawn.deals
    as_of = np.datetime64(AS_OF)
    is_open = d["status"] == "open"
    expected = d["expected_close_on"]
    assert not np.isnat(expected[is_open]).any()
    assert np.isnat(expected[~is_open]).all()
    expected = expected[is_open]
    assert (expected >= d["opened_on"][is_open]).all()
    assert (((expected.astype(np.int64) + 3) % 7) < 5).all()  # a weekday
    ahead = (expected - as_of) / np.timedelta64(1, "D")
    # Some have slipped into the past (at most STALE_MAX_DAYS), most lie within six months.
    assert ahead.min() >= -params.STALE_MAX_DAYS - 3
    assert 0.03 < (ahead < 0).mean() < 0.2
    assert 0.85 < (ahead <= 183).mean() < 1
    assert 14 < np.median(ahead) < 90
    # Reps like month ends: far more than the 1 day in 30 chance would give.
    month_end = (expected.astype("datetime64[M]") + 1).astype("datetime64[D]") - expected <= np.timedelta64(3, "D")
    assert month_end.mean() > 0.2


def test_developing_reps_expect_their_deals_to_close_sooner(drawn: Drawn) -> None:
    d = drawn.deals
    is_open = d["status"] == "open"
    tier = drawn.reps["tier"][d["owner"]]
    early = (d["true_close"] - d["expected_close_on"]) / np.timedelta64(1, "D")
    strong, developing = np.median(early[is_open & (tier == "strong")]), np.median(early[is_open & (tier == "developing")])
    assert developing > strong
