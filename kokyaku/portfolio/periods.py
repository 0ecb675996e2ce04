"""Fiscal periods for targets (予実管理): months, quarters and years of the company's fiscal year.

A period key is ``FY2026`` (the fiscal year that starts in 2026), ``FY2026-H1`` (its first half,
上期; ``H2`` is 下期), ``FY2026-Q2`` (its second quarter) or ``2026-05`` (a calendar month). The start
month comes from CompanySettings. Keys stay ASCII (URLs, the API); pages show :attr:`Period.label`,
which reads "2026年度 第2四半期" or "2026年度 上期" in Japanese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from kokyaku.lib.dates import EARLIEST, LATEST

_FY = re.compile(r"^FY(\d{4})$")
_FQ = re.compile(r"^FY(\d{4})-Q([1-4])$")
_FH = re.compile(r"^FY(\d{4})-H([12])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    key: str
    kind: str  # "year", "half", "quarter" or "month"
    start: date
    end: date  # inclusive

    def __str__(self) -> str:
        return self.key

    @property
    def label(self) -> str:
        """The period as a reader names it, in the active language: 2026年度 上期, 第3四半期, 2026年5月."""
        if self.kind == "month":
            return _("%(year)s-%(month)02d") % {"year": self.start.year, "month": self.start.month}
        year = int(self.key[2:6])
        if self.kind == "year":
            return _("FY%(year)s") % {"year": year}
        if self.kind == "half":
            first = self.key.endswith("H1")
            return (_("FY%(year)s first half") if first else _("FY%(year)s second half")) % {"year": year}
        return _("FY%(year)s Q%(quarter)s") % {"year": year, "quarter": self.key[-1]}


def _add_months(d: date, months: int) -> date:
    total = d.year * 12 + (d.month - 1) + months
    return date(total // 12, total % 12 + 1, 1)


def fiscal_year_of(day: date, start_month: int) -> int:
    """Return the fiscal year (by the calendar year it starts in) that contains ``day``."""
    return day.year if day.month >= start_month else day.year - 1


def period_parse(key: str, *, start_month: int) -> Period:
    """Return the period a key names; raise ValueError with the accepted forms otherwise.

    A period outside the dates Kokyaku works with (:mod:`kokyaku.lib.dates`; ``0001-01`` made the
    targets page fail computing the year before) is refused the same way.
    """
    period = _parse(key, start_month=start_month)
    if period.start < EARLIEST or period.end > LATEST:
        raise ValueError(f"period {key!r}: outside the dates Kokyaku works with ({EARLIEST} to {LATEST})")
    return period


def _parse(key: str, *, start_month: int) -> Period:
    key = (key or "").strip()
    if m := _FY.match(key):
        start = date(int(m[1]), start_month, 1)
        return Period(key, "year", start, _add_months(start, 12) - timedelta(days=1))
    if m := _FH.match(key):
        start = _add_months(date(int(m[1]), start_month, 1), 6 * (int(m[2]) - 1))
        return Period(key, "half", start, _add_months(start, 6) - timedelta(days=1))
    if m := _FQ.match(key):
        start = _add_months(date(int(m[1]), start_month, 1), 3 * (int(m[2]) - 1))
        return Period(key, "quarter", start, _add_months(start, 3) - timedelta(days=1))
    if (m := _MONTH.match(key)) and 1 <= int(m[2]) <= 12:
        start = date(int(m[1]), int(m[2]), 1)
        return Period(key, "month", start, _add_months(start, 1) - timedelta(days=1))
    raise ValueError(
        f"period {key!r}: use FY2026 (a fiscal year), FY2026-H1 (its first half), FY2026-Q1 (a fiscal quarter) "
        "or 2026-04 (a month)"
    )


def period_of(day: date, *, kind: str, start_month: int) -> Period:
    """Return the month, fiscal quarter, half or fiscal year containing ``day``."""
    fy = fiscal_year_of(day, start_month)
    if kind == "year":
        return period_parse(f"FY{fy}", start_month=start_month)
    if kind == "half":
        months = (day.year * 12 + day.month - 1) - (fy * 12 + start_month - 1)
        return period_parse(f"FY{fy}-H{months // 6 + 1}", start_month=start_month)
    if kind == "quarter":
        months = (day.year * 12 + day.month - 1) - (fy * 12 + start_month - 1)
        return period_parse(f"FY{fy}-Q{months // 3 + 1}", start_month=start_month)
    return period_parse(f"{day.year}-{day.month:02d}", start_month=start_month)


def fiscal_periods(fiscal_year: int, *, start_month: int) -> list[Period]:
    """Return the year, its two halves (上期, 下期), its four quarters and its twelve months, in that order."""
    start = date(fiscal_year, start_month, 1)
    out = [period_parse(f"FY{fiscal_year}", start_month=start_month)]
    out += [period_parse(f"FY{fiscal_year}-H{h}", start_month=start_month) for h in (1, 2)]
    out += [period_parse(f"FY{fiscal_year}-Q{q}", start_month=start_month) for q in range(1, 5)]
    for i in range(12):
        m = _add_months(start, i)
        out.append(period_parse(f"{m.year}-{m.month:02d}", start_month=start_month))
    return out
