"""What the demo plants for buyer types (docs/demo-data.md): products with launch dates, key persons, objections."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import numpy as np

from kokyaku.demo import behaviour as b
from kokyaku.demo.generator import DemoGenerator, DemoSpec
from tests.demo.conftest import AS_OF, Drawn

DAY = np.timedelta64(1, "D")


def _account_type(p: Drawn, account: np.ndarray) -> np.ndarray:
    out: np.ndarray = p.accounts["buyer_type"][account]
    return out


def _per_account(p: Drawn, account: np.ndarray) -> np.ndarray:
    return np.bincount(account, minlength=len(p.accounts["index"]))


def test_the_behaviour_module_imports_no_django() -> None:
    tree = ast.parse(Path(b.__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.split(".")[0] == "django"}


def test_the_columns_drawn_before_products_had_launch_dates_are_unchanged(drawn: Drawn) -> None:
    # Figures printed by the generator as of commit cc4a3c1 (before this change) for the same spec:
    # products, key persons and objections come from streams of their own and must not move them.
    d, act = drawn.deals, drawn.activities
    assert len(d["index"]) == 8253
    assert int(d["amount"].sum()) == 18_006_570_000
    assert int((d["status"] == "won").sum()) == 4579
    assert len(act["account"]) == 38582
    assert int(act["minutes"].sum()) == 2_241_455


# -- products -----------------------------------------------------------------------------------------


def test_three_products_are_launched_during_the_window_and_none_is_sold_before_its_launch(drawn: Drawn) -> None:
    p, d = drawn.products, drawn.deals
    window_start = np.datetime64(date(AS_OF.year - 3, AS_OF.month, AS_OF.day))
    during = (p["launched_on"] > window_start) & (p["launched_on"] < np.datetime64(AS_OF))
    assert sorted(p["name"][during]) == sorted(b.NEW_PRODUCTS)
    assert set(p["name"][p["service"]]) == {"Support plan", "Training"}
    launched = dict(zip(p["name"], p["launched_on"], strict=True))
    launch_of_deal = np.array([launched[x] for x in d["product"]])
    assert (d["opened_on"] >= launch_of_deal).all()
    assert set(d["product"]) == set(p["name"])


def test_visionaries_buy_new_products_early_and_conservatives_wait(drawn: Drawn) -> None:
    p, d = drawn.products, drawn.deals
    launched = dict(zip(p["name"], p["launched_on"], strict=True))
    age = (d["opened_on"] - np.array([launched[x] for x in d["product"]])) / DAY
    early = age < 365
    btype = _account_type(drawn, d["account"])
    share = {t: early[btype == t].mean() for t in ("visionary", "pragmatist", "conservative", "skeptic")}
    assert share["visionary"] > 0.4, share
    assert share["visionary"] > 4 * max(share["pragmatist"], share["skeptic"]), share
    assert share["conservative"] == 0.0
    # Conservatives do buy the new products, once they are no longer new.
    assert (np.isin(d["product"], b.NEW_PRODUCTS) & (btype == "conservative")).sum() > 20


def test_conservatives_add_ons_and_renewals_are_mostly_risk_reducing_services(drawn: Drawn) -> None:
    d = drawn.deals
    btype = _account_type(drawn, d["account"])
    repeat = d["kind"] != "new"
    service = np.isin(d["product"], b.SERVICE_PRODUCTS)
    assert service[repeat & (btype == "conservative")].mean() > 0.75
    for other in ("visionary", "pragmatist", "skeptic"):
        assert service[repeat & (btype == other)].mean() < 0.45
    won = d["status"] == "won"
    per_account = _per_account(drawn, d["account"][won & service])
    types = drawn.accounts["buyer_type"]
    assert np.median(per_account[types == "conservative"]) >= 2
    assert np.median(per_account[types == "pragmatist"]) == 0


# -- key persons ------------------------------------------------------------------------------------


def test_pragmatists_have_several_key_persons_except_the_undermapped_ones(drawn: Drawn) -> None:
    kp, types = drawn.key_persons, drawn.accounts["buyer_type"]
    count = _per_account(drawn, kp["account"])
    assert (count >= 1).all()
    assert count[types == "pragmatist"].mean() > 3.0
    for other in ("visionary", "conservative", "skeptic", "unknown"):
        assert count[types == other].mean() < 1.7
    # About UNDERMAPPED_SHARE (15%) of pragmatists plus the Poisson's zeros (5%) show one person.
    one = (count[types == "pragmatist"] == 1).mean()
    assert 0.12 < one < 0.28, one


def test_key_persons_are_well_formed(drawn: Drawn) -> None:
    kp = drawn.key_persons
    assert set(kp["role"]) == set(b.ROLES)
    assert set(kp["stance"]) == set(b.STANCES)
    assert kp["influence"].min() >= 1
    assert kp["influence"].max() <= 5
    assert (kp["influence"][kp["role"] == "decision_maker"] >= 4).all()
    assert (kp["last_contact"] < np.datetime64(AS_OF)).all()
    assert (kp["last_contact"] >= drawn.accounts["since"][kp["account"]]).all()
    assert all(kp["name"])
    assert all(kp["department"])
    assert all(kp["title"])
    assert all(kp["benefit"])
    # The first person recorded at an account is its decision maker about 70% of the time.
    first = np.ones(len(kp["account"]), dtype=bool)
    first[1:] = kp["account"][1:] != kp["account"][:-1]
    assert 0.6 < (kp["role"][first] == "decision_maker").mean() < 0.8


def test_skeptics_key_persons_oppose_more_often(drawn: Drawn) -> None:
    kp = drawn.key_persons
    btype = _account_type(drawn, kp["account"])
    opponent = kp["stance"] == "opponent"
    assert opponent[btype == "skeptic"].mean() > 2 * opponent[btype == "visionary"].mean()


# -- objections -------------------------------------------------------------------------------------


def test_skeptics_raise_the_most_objections(drawn: Drawn) -> None:
    o, d = drawn.objections, drawn.deals
    btype_deal = _account_type(drawn, d["account"])
    btype = _account_type(drawn, o["account"])
    per_deal = {t: (btype == t).sum() / (btype_deal == t).sum() for t in ("visionary", "pragmatist", "conservative", "skeptic")}
    assert per_deal["skeptic"] > 1.2, per_deal
    assert per_deal["skeptic"] > 3 * max(v for t, v in per_deal.items() if t != "skeptic"), per_deal


def test_objections_belong_to_their_deal_and_precede_its_close(drawn: Drawn) -> None:
    o, d = drawn.objections, drawn.deals
    deal = o["deal"]
    np.testing.assert_array_equal(o["account"], d["account"][deal])
    np.testing.assert_array_equal(o["rep"], d["owner"][deal])
    np.testing.assert_array_equal(o["product"], d["product"][deal])
    assert (o["date"] >= d["opened_on"][deal]).all()
    assert (o["date"] < np.datetime64(AS_OF)).all()
    closed = d["status"][deal] != "open"
    assert (o["date"][closed] <= d["closed_on"][deal][closed]).all()
    tags = [t.split(",") for t in o["tags"]]
    assert {t for ts in tags for t in ts} == set(b.TAGS)
    assert all(len(ts) == len(set(ts)) for ts in tags)
    first = np.array([ts[0] for ts in tags], dtype=object)
    assert all(s in b.SAID[t] for s, t in zip(o["said"], first, strict=True))


def test_lost_deals_objections_lead_with_the_tag_of_their_lost_reason(drawn: Drawn) -> None:
    o, d = drawn.objections, drawn.deals
    first = np.array([t.split(",")[0] for t in o["tags"]], dtype=object)
    reason = d["lost_reason"][o["deal"]]
    linked_tag = np.array([b.REASON_TAG.get(r, "") for r in reason], dtype=object)
    lost = (d["status"][o["deal"]] == "lost") & (linked_tag != "")
    # LOSS_LINK_SHARE (60%) plus the chance that the type's own draw hits the same tag.
    assert (first[lost] == linked_tag[lost]).mean() > 0.6
    won_or_open = d["status"][o["deal"]] != "lost"
    assert (first[won_or_open] == "price").mean() < 0.25


def test_answers_that_worked_are_recorded_more_often_on_won_deals(drawn: Drawn) -> None:
    o, d = drawn.objections, drawn.deals
    status = d["status"][o["deal"]]
    answered = o["answer"] != ""
    assert answered[status == "won"].mean() > 0.7
    assert answered[status == "lost"].mean() < 0.25


def test_key_persons_and_objections_keep_memory_flat() -> None:
    gen = DemoGenerator(DemoSpec(accounts=1200, seed=0, as_of=AS_OF, chunk_size=500))
    sizes = [(len(c.key_persons["account"]), len(c.objections["account"])) for c in gen.chunks()]
    assert len(sizes) == 3
    assert all(kp < 5 * 500 and obj < 5 * 500 for kp, obj in sizes)
