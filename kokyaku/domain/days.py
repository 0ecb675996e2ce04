"""Dates as whole day numbers (days since 1970-01-01): what the vectorised date arithmetic works on."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

DAY_NS = 86_400_000_000_000


def day_number(d: date) -> float:
    """The day number of one date."""
    return float(pd.Timestamp(d).value // DAY_NS)


def day_numbers(values: pd.Series | npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Day numbers of datetime64 values as floats, NaN for NaT."""
    stamps = pd.Series(values)
    if not pd.api.types.is_datetime64_dtype(stamps):  # to_datetime walks datetimes one by one: only when needed
        stamps = pd.to_datetime(stamps)
    raw = stamps.to_numpy(dtype="datetime64[ns]").view(np.int64)
    days = np.floor_divide(raw, DAY_NS).astype(float)
    days[stamps.isna().to_numpy()] = np.nan
    return days
