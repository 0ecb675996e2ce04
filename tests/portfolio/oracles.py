"""Test oracles: the team figures of a snapshot computed the plain way, from every row, in Python.

The selectors aggregate in the database (one pass, cell codes, every k-th id); these read all the
rows of a snapshot and count them one by one, so a test can compare the two on any data.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from kokyaku.portfolio.models import Snapshot, SnapshotRow

FIELDS = ("account_id", "owner_id", "price_band", "probability_band", "zone", "expected_value", "near_boundary", "lifecycle")


def rows(snapshot: Snapshot, *, owner_id: int | None = None) -> list[dict[str, Any]]:
    qs = SnapshotRow.objects.filter(snapshot=snapshot)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return list(qs.order_by("account_id").values(*FIELDS))


def matrix(snapshot: Snapshot, *, owner_id: int | None = None) -> dict[str, Any]:
    """Accounts and expected value per (price band, probability band) cell, per zone, unzoned and in all."""
    cells: Counter[tuple[str, str]] = Counter()
    ev: defaultdict[tuple[str, str], float] = defaultdict(float)
    zones: Counter[str] = Counter()
    zone_ev: defaultdict[str, float] = defaultdict(float)
    all_rows = rows(snapshot, owner_id=owner_id)
    for r in all_rows:
        if r["zone"]:
            cells[(r["price_band"], r["probability_band"])] += 1
            ev[(r["price_band"], r["probability_band"])] += float(r["expected_value"] or 0)
            zones[r["zone"]] += 1
            zone_ev[r["zone"]] += float(r["expected_value"] or 0)
    unzoned = sum(1 for r in all_rows if not r["zone"])
    return {"cells": cells, "ev": ev, "zones": zones, "zone_ev": zone_ev, "unzoned": unzoned, "total": len(all_rows)}


def scatter_ids(snapshot: Snapshot, *, max_points: int) -> tuple[list[int], bool]:
    """Every k-th account id of the zoned accounts, k keeping about ``max_points``; and whether it is a sample."""
    zoned = [r["account_id"] for r in rows(snapshot) if r["zone"]]
    step = max(1, math.ceil(len(zoned) / max_points))
    return [a for a in zoned if a % step == 0][: max_points * 2], step > 1


def breakdown(snapshot: Snapshot) -> dict[int | None, dict[str, Any]]:
    """Per owner id: accounts, per zone, unzoned, near a boundary, dormant, expected value (all, zone A)."""
    out: dict[int | None, dict[str, Any]] = {}
    for r in rows(snapshot):
        o = out.setdefault(
            r["owner_id"],
            {"accounts": 0, "zones": {"A": 0, "B": 0, "C": 0}, "unzoned": 0, "near": 0, "dormant": 0, "ev": 0.0, "ev_a": 0.0},
        )
        o["accounts"] += 1
        if r["zone"]:
            o["zones"][r["zone"]] += 1
        else:
            o["unzoned"] += 1
        o["near"] += bool(r["near_boundary"])
        o["dormant"] += r["lifecycle"] == "dormant"
        o["ev"] += float(r["expected_value"] or 0)
        o["ev_a"] += float(r["expected_value"] or 0) if r["zone"] == "A" else 0.0
    return out
