"""How far the suggestions agree with the types reps recorded: the shape ``kokyaku buyer-types suggest --json`` writes."""

from __future__ import annotations

from typing import TypedDict

import numpy as np
import numpy.typing as npt
import pandas as pd

from kokyaku.domain.buyer_types.checklist import ALL_TYPES, BUYER_TYPES, UNKNOWN
from kokyaku.domain.errors import DomainError


class AgreementReport(TypedDict):
    accounts: int
    suggested: int
    agreement: float | None
    confusion: dict[str, dict[str, int]]


def agreement_report(recorded: npt.ArrayLike, suggested: npt.ArrayLike) -> AgreementReport:
    """Compare suggested types with recorded ones, account by account.

    ``accounts`` counts every account; ``suggested`` those given a type (not "unknown");
    ``agreement`` is the share of accounts with both a recorded and a suggested type whose two
    types match (None when there is none); ``confusion[recorded][suggested]`` counts accounts for
    every pair of the five values, "unknown" included, zeros too.
    """
    r = np.asarray(recorded, dtype=object)
    s = np.asarray(suggested, dtype=object)
    if r.shape != s.shape or r.ndim != 1:
        raise DomainError(f"agreement: recorded and suggested must be two lists of one length, got {r.shape} and {s.shape}")
    for name, values in (("recorded", r), ("suggested", s)):
        bad = set(map(str, pd.unique(values))) - set(ALL_TYPES)
        if bad:
            raise DomainError(f"agreement: unknown {name} type(s) {sorted(bad)}")
    codes = {t: i for i, t in enumerate(ALL_TYPES)}
    ri = pd.Series(r).map(codes).to_numpy(dtype=np.intp)
    si = pd.Series(s).map(codes).to_numpy(dtype=np.intp)
    k = len(ALL_TYPES)
    matrix = np.bincount(ri * k + si, minlength=k * k).reshape(k, k)
    both = (r != UNKNOWN) & (s != UNKNOWN)
    typed = len(BUYER_TYPES)
    agree = int(np.trace(matrix[:typed, :typed]))
    return {
        "accounts": len(r),
        "suggested": int((s != UNKNOWN).sum()),
        "agreement": agree / int(both.sum()) if both.any() else None,
        "confusion": {a: {b: int(matrix[i, j]) for j, b in enumerate(ALL_TYPES)} for i, a in enumerate(ALL_TYPES)},
    }
