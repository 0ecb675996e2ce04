"""What the demo plants for buyer types: products with launch dates, key persons and objections (pure NumPy).

The generator (:mod:`kokyaku.demo.generator`) calls these per chunk, each from its own seeded stream
(``SeedSequence([seed, 4 / 5 / 6, chunk])``), so the columns drawn before they existed (accounts,
deals' amounts, dates and outcomes, activities) stay exactly what they were. Every number here is
documented in ``docs/demo-data.md``; ``tests/demo`` checks that each behaviour is in the data, and
``tests/domain/test_buyer_types_demo.py`` that the buyer-type suggestion finds it.

Buyer types are the generator's codes: 0 visionary, 1 pragmatist, 2 conservative, 3 skeptic, 4 unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

Array = npt.NDArray[Any]
IntArray = npt.NDArray[np.intp]
DAY = np.timedelta64(1, "D")

# -- products -------------------------------------------------------------------------------------
# The catalogue: the six products sold before the window (launched years before it) and three launched
# during it, at these shares of the window. A product is new (fresh) for FRESH_DAYS after its launch.
ESTABLISHED_PRODUCTS = (
    "Sales analytics suite", "Production scheduler", "IoT sensor kit", "Support plan", "Cloud ERP", "Training",
)  # fmt: skip
ESTABLISHED_YEARS_BEFORE = (6, 9, 4, 12, 5, 12)  # launched this many years before the window opens
NEW_PRODUCTS = ("AI demand forecast", "Mobile field app", "Carbon reporting")
NEW_PRODUCT_LAUNCH = (0.2, 0.5, 0.8)  # share of the window at which each is launched
PRODUCTS = ESTABLISHED_PRODUCTS + NEW_PRODUCTS
FRESH_DAYS = 365
# Risk-reducing services (保守・教育): what conservatives buy again and again.
SERVICE_PRODUCTS = ("Support plan", "Training")
SERVICE_WEIGHT = (0.6, 0.4)
# Everything else, by weight; a new product joins this pool once it is no longer new.
OTHER_WEIGHT = {"Sales analytics suite": 0.20, "Production scheduler": 0.15, "IoT sensor kit": 0.15, "Cloud ERP": 0.15}
MATURE_NEW_WEIGHT = 0.15
# P(a deal is for a product that is new on the day it opens | one is), by buyer type:
# visionaries buy new things early; conservatives wait until a thing is no longer new.
FRESH_SHARE = (0.70, 0.10, 0.0, 0.05, 0.10)
# P(a deal is for a service), by buyer type, for add-on and renewal deals; new business rarely is.
SERVICE_SHARE = (0.15, 0.30, 0.85, 0.30, 0.30)
SERVICE_SHARE_NEW = 0.05

# -- key persons (キーマン) ---------------------------------------------------------------------------
ROLES = ("decision_maker", "user_department", "it", "purchasing", "finance", "other")
# Known key persons per account = 1 + Poisson(extra): pragmatists are won through several.
KEY_PERSONS_EXTRA = (0.5, 3.0, 0.4, 0.3, 0.3)
# ... except this share of pragmatists, whose map the rep has not drawn yet: one person known.
UNDERMAPPED_SHARE = 0.15
FIRST_IS_DECISION_MAKER = 0.7  # the first person a rep records is the decision maker this often
ROLE_SHARE = (0.05, 0.35, 0.20, 0.15, 0.15, 0.10)  # the others' roles
ROLE_INFLUENCE = (5, 3, 3, 3, 4, 2)  # minus 0-1 at random, at least 1
STANCES = ("supporter", "neutral", "opponent")
STANCE_SHARE = (
    (0.60, 0.30, 0.10),
    (0.35, 0.45, 0.20),
    (0.50, 0.40, 0.10),
    (0.15, 0.40, 0.45),
    (0.30, 0.50, 0.20),
)
LAST_CONTACT_MEAN_DAYS = 60  # days before the account's last active day, exponential
DEPARTMENTS = (
    ("Management", "Executive Office"),
    ("Sales", "Production", "Logistics", "Customer Service"),
    ("Information Systems",),
    ("Purchasing",),
    ("Finance", "Accounting"),
    ("General Affairs", "Legal", "Planning"),
)
TITLES = (
    ("President", "Director", "General Manager"),
    ("Manager", "Section Chief", "Team Leader", "Staff"),
    ("IT Manager", "Systems Engineer"),
    ("Purchasing Manager", "Buyer"),
    ("CFO", "Accounting Manager"),
    ("Manager", "Staff"),
)
BENEFITS = (  # what each role wants (the article: every key person wants a different benefit)
    ("全社の売上拡大につながること", "経営判断に使える数字が出ること", "中期計画に沿っていること"),
    ("現場の作業時間が減ること", "入力の手間が少ないこと", "すぐに使いこなせること"),
    ("安定して動くこと", "既存システムと連携できること", "セキュリティ要件を満たすこと"),
    ("価格が相場に見合うこと", "契約条件が明確なこと", "複数社を比較できること"),
    ("投資回収の見通しが立つこと", "費用が予算内に収まること", "効果を数字で測れること"),
    ("導入後の支援が手厚いこと", "社内の合意が取りやすいこと"),
)

# -- objections (懐疑客の声) ------------------------------------------------------------------------
TAGS = ("price", "roi", "effect", "features", "integration", "adoption", "risk", "timing")
# Objections per deal (Poisson), by buyer type: skeptics doubt the product's effect or value.
OBJECTIONS_PER_DEAL = (0.3, 0.4, 0.15, 1.6, 0.3)
TAG_SHARE = (  # the leading tag, by buyer type
    (0.05, 0.05, 0.05, 0.35, 0.25, 0.05, 0.05, 0.15),
    (0.20, 0.30, 0.05, 0.15, 0.10, 0.05, 0.05, 0.10),
    (0.15, 0.05, 0.05, 0.05, 0.10, 0.15, 0.35, 0.10),
    (0.10, 0.20, 0.40, 0.05, 0.00, 0.20, 0.05, 0.00),
    (0.15, 0.15, 0.10, 0.15, 0.10, 0.10, 0.10, 0.15),
)
SECOND_TAG_SHARE = 0.3  # an objection carries a second, different tag this often
# A lost deal's objections lead with the tag of its lost reason this often: objections precede losses.
LOSS_LINK_SHARE = 0.6
REASON_TAG = {
    "price": "price",
    "features": "features",
    "competitor": "roi",
    "timing": "timing",
    "no_need": "effect",
    "rejected": "risk",
}
SAID = {
    "price": ("他社より高い", "予算を超えている", "値引きがないと検討できない"),
    "roi": ("費用対効果が見合わない", "投資回収の見通しが立たない", "他社の方が安く同じことができる"),
    "effect": ("導入効果の根拠を示してほしい", "本当に効果が出るのか疑問", "効果が数字で見えない"),
    "features": ("必要な帳票が出せない", "英語対応が必須", "機能が多すぎて使わない"),
    "integration": ("既存システムと連携できない", "データ移行が不安", "APIの仕様が足りない"),
    "adoption": ("本当に現場が使うのか疑問", "入力の手間が増える", "前に似たツールで失敗した"),
    "risk": ("導入で業務が止まらないか心配", "サポート体制が不安", "実績のある会社か分からない"),
    "timing": ("今期は予算がない", "組織変更が落ち着いてから", "来期に再検討したい"),
}
ANSWERS = {
    "price": ("分割払いを提案して合意", "段階導入で初期費用を抑えた"),
    "roi": ("同業他社の回収事例を示した", "試算表を一緒に作った"),
    "effect": ("無償トライアルで効果を測定した", "導入事例の数字を共有した"),
    "features": ("次期リリースの予定を示した", "帳票をカスタマイズで対応した"),
    "integration": ("連携テストを先に実施した", "移行支援をパッケージにした"),
    "adoption": ("現場向けの説明会を開いた", "操作研修を無償で実施した"),
    "risk": ("保守契約と稼働保証を付けた", "並行稼働の期間を設けた"),
    "timing": ("来期予算の稟議資料を一緒に作った", "契約開始日を後ろ倒しにした"),
}
# An answer that worked is recorded this often, by the deal's status (won, lost, open).
ANSWER_SHARE = {"won": 0.8, "lost": 0.15, "open": 0.4}


def pick_rows(rng: np.random.Generator, rows: IntArray, table: Array) -> IntArray:
    """Draw one category per element from its own row of a probability table (vectorised)."""
    cum = np.cumsum(np.asarray(table, dtype=float), axis=1)
    cum /= cum[:, -1:]
    picked: IntArray = (rng.random(len(rows))[:, None] > cum[rows]).sum(axis=1).astype(np.intp)
    return picked


def _one_of(rng: np.random.Generator, options: tuple[tuple[str, ...], ...], group: IntArray) -> Array:
    """Pick one text per element from the tuple of its group (uniformly)."""
    sizes = np.array([len(o) for o in options])
    flat = np.array([s for o in options for s in o], dtype=object)
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pick = (rng.random(len(group)) * sizes[group]).astype(np.intp)
    out: Array = flat[offset[group] + pick]
    return out


def launch_dates(start: np.datetime64, window_days: int) -> npt.NDArray[np.datetime64]:
    """Return each product's launch day (aligned with :data:`PRODUCTS`) for a window opening on ``start``."""
    established = [start - round(y * 365.25) * DAY for y in ESTABLISHED_YEARS_BEFORE]
    new = [start + int(f * window_days) * DAY for f in NEW_PRODUCT_LAUNCH]
    return np.array(established + new, dtype="datetime64[D]")


def draw_products(
    rng: np.random.Generator,
    *,
    btype: IntArray,
    kind: IntArray,
    opened: npt.NDArray[np.datetime64],
    launched: npt.NDArray[np.datetime64],
) -> IntArray:
    """Pick each deal's product (index into :data:`PRODUCTS`) from its buyer type, kind and day.

    A product launched within ``FRESH_DAYS`` before the deal opened is new: the deal is for one
    such product with ``FRESH_SHARE[type]``; else for a service with ``SERVICE_SHARE[type]`` (add-on
    and renewal, ``kind`` 1 and 2) or ``SERVICE_SHARE_NEW`` (new business); else for one of the
    others, a new product among them once it is a year old. Nothing is sold before its launch.
    """
    m, p = len(btype), len(PRODUCTS)
    age = (opened[:, None] - launched[None, :]) / DAY  # (m, p) days since each launch
    fresh = (age >= 0) & (age < FRESH_DAYS)
    is_new = np.isin(np.array(PRODUCTS), NEW_PRODUCTS)
    any_fresh = fresh.any(axis=1)
    p_fresh = np.where(any_fresh, np.asarray(FRESH_SHARE)[btype], 0.0)
    p_service = (1 - p_fresh) * np.where(kind == 0, SERVICE_SHARE_NEW, np.asarray(SERVICE_SHARE)[btype])
    u = rng.random(m)
    category = np.where(u < p_fresh, 0, np.where(u < p_fresh + p_service, 1, 2))

    weight = np.zeros((m, p))
    weight[category == 0] = fresh[category == 0]
    service = np.array([PRODUCTS.index(s) for s in SERVICE_PRODUCTS])
    weight[np.ix_(category == 1, service)] = SERVICE_WEIGHT
    other = category == 2
    for name, w in OTHER_WEIGHT.items():
        weight[other, PRODUCTS.index(name)] = w
    mature = other[:, None] & is_new[None, :] & (age >= FRESH_DAYS)
    weight[mature] = MATURE_NEW_WEIGHT
    cum = np.cumsum(weight, axis=1)
    picked: IntArray = (rng.random(m)[:, None] * cum[:, -1:] >= cum).sum(axis=1).astype(np.intp)
    return picked


def draw_key_persons(
    rng: np.random.Generator,
    *,
    account: IntArray,
    btype: IntArray,
    end: npt.NDArray[np.datetime64],
    since: npt.NDArray[np.datetime64],
    family_names: tuple[str, ...],
    given_names: tuple[str, ...],
) -> dict[str, Array]:
    """Draw the key persons known at each account (``account`` holds the accounts' global indexes).

    ``end`` is each account's last active day (yesterday for active ones): the last contact falls
    before it and not before ``since``.
    """
    n = len(account)
    count = 1 + rng.poisson(np.asarray(KEY_PERSONS_EXTRA)[btype])
    undermapped = (btype == 1) & (rng.random(n) < UNDERMAPPED_SHARE)
    count = np.where(undermapped, 1, count)
    k_acc = np.repeat(np.arange(n), count)
    q = len(k_acc)
    first = np.ones(q, dtype=bool)
    first[1:] = k_acc[1:] != k_acc[:-1]
    role = pick_rows(rng, np.zeros(q, dtype=np.intp), np.asarray([ROLE_SHARE]))
    first_dm = first & (rng.random(q) < FIRST_IS_DECISION_MAKER)
    role = np.where(first_dm, 0, np.where(first & (role == 0), 1, role))  # a first non-DM is a user
    influence = np.maximum(np.asarray(ROLE_INFLUENCE)[role] - rng.integers(0, 2, size=q), 1)
    stance = pick_rows(rng, btype[k_acc], np.asarray(STANCE_SHARE))
    back = np.round(rng.exponential(LAST_CONTACT_MEAN_DAYS, size=q)).astype(np.int64)
    last_contact = np.maximum(end[k_acc] - back * DAY, since[k_acc])
    family = rng.integers(len(family_names), size=q)
    given = rng.integers(len(given_names), size=q)
    names = np.array([f"{family_names[f]} {given_names[g]}" for f, g in zip(family, given, strict=True)], dtype=object)
    return {
        "account": account[k_acc],
        "name": names,
        "department": _one_of(rng, DEPARTMENTS, role),
        "title": _one_of(rng, TITLES, role),
        "role": np.asarray(ROLES, dtype=object)[role],
        "benefit": _one_of(rng, BENEFITS, role),
        "influence": influence.astype(np.int64),
        "stance": np.asarray(STANCES, dtype=object)[stance],
        "last_contact": last_contact.astype("datetime64[D]"),
    }


def draw_objections(
    rng: np.random.Generator,
    *,
    deal: IntArray,
    account: IntArray,
    owner: IntArray,
    btype: IntArray,
    product: Array,
    status: Array,
    lost_reason: Array,
    opened: npt.NDArray[np.datetime64],
    last_day: npt.NDArray[np.datetime64],
) -> dict[str, Array]:
    """Draw the objections raised on each deal, dated between its opening and ``last_day``.

    ``last_day`` is the day before the deal closed (or the day before as_of for an open deal), never
    before it opened, so a lost deal's objections precede its loss.
    """
    per_deal = rng.poisson(np.asarray(OBJECTIONS_PER_DEAL)[btype])
    o = np.repeat(np.arange(len(deal)), per_deal)
    q = len(o)
    tag = pick_rows(rng, btype[o], np.asarray(TAG_SHARE))
    reason_tag = np.array([TAGS.index(REASON_TAG[r]) if r in REASON_TAG else -1 for r in lost_reason], dtype=np.intp)
    linked = (reason_tag[o] >= 0) & (rng.random(q) < LOSS_LINK_SHARE)
    tag = np.where(linked, reason_tag[o], tag)
    second = (tag + 1 + rng.integers(0, len(TAGS) - 1, size=q)) % len(TAGS)  # never the same as the first
    has_second = rng.random(q) < SECOND_TAG_SHARE
    tag_names = np.asarray(TAGS, dtype=object)
    tags = np.where(has_second, tag_names[tag] + "," + tag_names[second], tag_names[tag]).astype(object)
    span = np.maximum((last_day - opened)[o] / DAY, 0)
    day = opened[o] + (rng.random(q) * (span + 1)).astype(np.int64) * DAY
    said = _one_of(rng, tuple(SAID[t] for t in TAGS), tag)
    answer = _one_of(rng, tuple(ANSWERS[t] for t in TAGS), tag)
    share = np.select(
        [status[o] == "won", status[o] == "lost"], [ANSWER_SHARE["won"], ANSWER_SHARE["lost"]], ANSWER_SHARE["open"]
    )
    answered = rng.random(q) < share
    return {
        "account": account[o],
        "rep": owner[o],
        "deal": deal[o],
        "date": day.astype("datetime64[D]"),
        "product": product[o],
        "tags": tags,  # comma-separated, the leading tag first
        "said": said,
        "answer": np.where(answered, answer, "").astype(object),  # "": nothing worked
    }


def buyer_type_inputs(chunks: Iterable[Any], products: dict[str, Array]) -> dict[str, pd.DataFrame]:
    """Join drawn chunks into the frames ``kokyaku.domain.buyer_types`` reads (what phase 2's loader reads back).

    Returns ``accounts`` (``account_id``, ``buyer_type`` as recorded, ``owner``), ``deals``,
    ``products``, ``key_persons`` and ``objections``, with the domain's column names. For tests,
    docs and benchmarks; the web app reads the same frames from the database.
    """
    parts: dict[str, list[pd.DataFrame]] = {"accounts": [], "deals": [], "key_persons": [], "objections": []}
    for c in chunks:
        a, d = c.accounts, c.deals
        parts["accounts"].append(pd.DataFrame({"account_id": a["index"], "buyer_type": a["buyer_type"], "owner": a["owner"]}))
        parts["deals"].append(
            pd.DataFrame(
                {
                    "account_id": d["account"],
                    "status": d["status"],
                    "product": d["product"],
                    "opened_on": d["opened_on"],
                    "closed_on": d["closed_on"],
                    "lost_reason": d["lost_reason"],
                }
            )
        )
        parts["key_persons"].append(pd.DataFrame(c.key_persons).rename(columns={"account": "account_id"}))
        parts["objections"].append(pd.DataFrame(c.objections).rename(columns={"account": "account_id"}))
    out = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    out["products"] = pd.DataFrame(
        {"product": products["name"], "launched_on": products["launched_on"], "service": products["service"]}
    )
    return out
