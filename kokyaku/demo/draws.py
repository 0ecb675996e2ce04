"""Small drawing and calendar helpers of the demo generator (NumPy only)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

DAY = np.timedelta64(1, "D")


def pick(rng: np.random.Generator, n: int, shares: tuple[float, ...] | npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    p = np.asarray(shares, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def weekday(days: npt.NDArray[np.datetime64]) -> npt.NDArray[np.datetime64]:
    """Move Saturdays back to Friday and Sundays on to Monday (1970-01-01 was a Thursday)."""
    dow = (days.astype(np.int64) + 3) % 7  # Monday = 0
    shift = np.where(dow == 5, -1, np.where(dow == 6, 1, 0))
    return days + shift * DAY


def weekday_back(days: npt.NDArray[np.datetime64]) -> npt.NDArray[np.datetime64]:
    """Move Saturdays and Sundays back to Friday (a month-end date stays in its month)."""
    dow = (days.astype(np.int64) + 3) % 7  # Monday = 0
    return days - np.maximum(dow - 4, 0) * DAY


def fiscal_year_start(as_of: date, start_month: int) -> date:
    year = as_of.year if as_of.month >= start_month else as_of.year - 1
    return date(year, start_month, 1)


def add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)
