"""Key persons (キーマン) and objections (懐疑客の声) analysed for the whole portfolio at once.

- :func:`key_person_gaps` flags the pragmatist accounts whose key persons are not mapped well
  enough to sell to: fewer than two known, or no decision maker (pragmatists are won through
  several key persons, each wanting a different benefit).
- :func:`objection_loss_table` counts which objection tags were raised during the deals later lost
  for which reason.
- :func:`top_objections` ranks the objections of a period by tag or by what the customer said.

Objection tags come as a comma-separated string ("price,roi") or a list per objection.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.errors import DomainError

ROLES: tuple[str, ...] = ("decision_maker", "user_department", "it", "purchasing", "finance", "other")
STANCES: tuple[str, ...] = ("supporter", "neutral", "opponent")
DECISION_MAKER = "decision_maker"


def _need(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DomainError(f"{name}: missing column(s) {', '.join(missing)}")


def key_person_gaps(
    account_ids: npt.ArrayLike,
    buyer_types: npt.ArrayLike,
    key_persons: pd.DataFrame,
    *,
    flag_types: tuple[str, ...] = ("pragmatist",),
    min_persons: int = 2,
) -> pd.DataFrame:
    """Return per account (index: ``account_ids``) its key persons, decision makers and the flags.

    ``key_persons`` has ``account_id`` and ``role`` (one of :data:`ROLES`). ``too_few`` is set for
    accounts of ``flag_types`` with fewer than ``min_persons`` key persons known,
    ``no_decision_maker`` for those without one, ``flagged`` for either.
    """
    _need(key_persons, ("account_id", "role"), "key persons")
    idx = pd.Index(np.asarray(account_ids))
    types = np.asarray(buyer_types, dtype=object)
    if types.shape != (len(idx),):
        raise DomainError(f"key persons: one buyer type per account expected ({len(idx)}), got shape {types.shape}")
    bad = set(map(str, pd.unique(key_persons["role"]))) - set(ROLES)
    if bad:
        raise DomainError(f"key persons: unknown role(s) {sorted(bad)}")
    pos = idx.get_indexer(pd.Index(key_persons["account_id"]))
    found = pos >= 0
    persons = np.bincount(pos[found], minlength=len(idx))
    dm = (key_persons["role"].to_numpy() == DECISION_MAKER) & found
    deciders = np.bincount(pos[dm], minlength=len(idx))
    watched = np.isin(types, np.asarray(flag_types, dtype=object))
    out = pd.DataFrame({"key_persons": persons, "decision_makers": deciders}, index=idx)
    out["too_few"] = watched & (persons < min_persons)
    out["no_decision_maker"] = watched & (deciders == 0)
    out["flagged"] = out["too_few"] | out["no_decision_maker"]
    return out


def explode_tags(objections: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (objection, tag): the objection's columns with ``tag`` and ``objection`` (its row number).

    Tags are stripped and lower-cased; empty tags and repeats within one objection are dropped.
    """
    _need(objections, ("tags",), "objections")
    tags = objections["tags"].map(lambda v: v.split(",") if isinstance(v, str) else list(v) if v is not None else [])
    long = objections.assign(tag=tags.to_numpy(), objection=np.arange(len(objections))).explode("tag")
    long["tag"] = long["tag"].astype("string").str.strip().str.lower()
    long = long.loc[long["tag"].notna() & (long["tag"] != "")]
    return long.drop_duplicates(["objection", "tag"]).reset_index(drop=True)


def objection_loss_table(objections: pd.DataFrame, lost_deals: pd.DataFrame) -> pd.DataFrame:
    """Count, per objection tag (rows) and lost reason (columns), the lost deals that tag preceded.

    ``objections``: ``account_id``, ``date``, ``product``, ``tags``. ``lost_deals``: ``account_id``,
    ``product``, ``opened_on``, ``closed_on``, ``lost_reason`` (a code; empty: "unknown"). An
    objection precedes a lost deal when it was raised on the deal's account between the deal's
    opening and its close, for the deal's product (or with no product on either side). A lost deal
    counts once per tag, however often the tag came up. The last row, "(any)", counts lost deals
    with at least one objection; the last column, "total", sums the row.
    """
    _need(objections, ("account_id", "date", "product", "tags"), "objections")
    _need(lost_deals, ("account_id", "product", "opened_on", "closed_on", "lost_reason"), "lost deals")
    deals = lost_deals.assign(
        deal=np.arange(len(lost_deals)),
        reason=lost_deals["lost_reason"].fillna("").replace("", "unknown").astype(str),
        product=lost_deals["product"].fillna("").astype(str),
    )[["deal", "account_id", "product", "opened_on", "closed_on", "reason"]]
    long = explode_tags(objections)[["account_id", "date", "product", "tag"]]
    long = long.assign(product=long["product"].fillna("").astype(str))
    pairs = long.merge(deals, on="account_id", suffixes=("", "_deal"))
    date_ok = (pd.to_datetime(pairs["date"]) >= pd.to_datetime(pairs["opened_on"])) & (
        pd.to_datetime(pairs["date"]) <= pd.to_datetime(pairs["closed_on"])
    )
    product_ok = (pairs["product"] == pairs["product_deal"]) | (pairs["product"] == "") | (pairs["product_deal"] == "")
    hits = pairs.loc[date_ok & product_ok, ["deal", "tag", "reason"]].drop_duplicates(["deal", "tag"])
    table = pd.crosstab(hits["tag"], hits["reason"]) if len(hits) else pd.DataFrame(dtype=np.int64)
    table.index.name, table.columns.name = "tag", "lost_reason"
    any_row = hits.drop_duplicates("deal")["reason"].value_counts()
    table.loc["(any)"] = any_row.reindex(table.columns).fillna(0).astype(np.int64)
    table["total"] = table.sum(axis=1)
    return table.astype(np.int64)


def top_objections(objections: pd.DataFrame, *, start: date, end: date, by: str = "tag", limit: int = 10) -> pd.DataFrame:
    """Rank the objections dated from ``start`` to ``end`` (inclusive) by how often they came up.

    ``by="tag"`` groups by category tag (an objection with two tags counts under both); ``by="said"``
    by what the customer said, exactly. Columns: ``objections``, ``accounts`` (distinct),
    ``share`` (of the period's objections), ``answered`` (share with an answer that worked; needs
    an ``answer`` column, empty meaning none worked). Most frequent first, ties by name.
    """
    _need(objections, ("account_id", "date", "answer", "tags" if by == "tag" else "said"), "objections")
    if by not in ("tag", "said"):
        raise DomainError(f"top objections: by must be 'tag' or 'said', got {by!r}")
    if start > end:
        raise DomainError(f"top objections: start {start} is after end {end}")
    if limit < 1:
        raise DomainError(f"top objections: limit must be at least 1, got {limit}")
    when = pd.to_datetime(objections["date"])
    period = objections.loc[(when >= pd.Timestamp(start)) & (when <= pd.Timestamp(end))]
    total = len(period)
    rows = explode_tags(period) if by == "tag" else period.assign(said=period["said"].fillna("").astype(str))
    rows = rows.assign(answered=rows["answer"].fillna("").astype(str).str.strip() != "")
    g = rows.groupby(by, sort=False).agg(
        objections=("account_id", "size"), accounts=("account_id", "nunique"), answered=("answered", "mean")
    )
    g["share"] = g["objections"] / total if total else 0.0
    g = g.reset_index().sort_values(["objections", by], ascending=[False, True]).head(limit)
    return g.set_index(by)[["objections", "accounts", "share", "answered"]]
