"""A seeded, synthetic B2B sales portfolio, drawn in chunks with NumPy (no Django here).

The generator plants relationships the analytics are meant to find; ``docs/demo-data.md`` lists
each one with its numbers, and ``tests/demo`` checks that they are really in the data.

Usage::

    gen = DemoGenerator(DemoSpec(accounts=2000, seed=7, as_of=date(2026, 11, 22)))
    teams, reps = gen.teams(), gen.reps()
    for chunk in gen.chunks():   # accounts with their deals and activities, chunk by chunk
        ...
    targets = gen.targets()      # needs every chunk drawn: targets follow each rep's revenue

Rows refer to each other by 0-based index (``account``, ``owner``/``rep``, ``deal``, ``team``);
the loader turns indexes into primary keys. Memory stays flat: only one chunk lives at a time,
plus one running total of won revenue per rep.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from kokyaku.demo import behaviour
from kokyaku.demo import parameters as params
from kokyaku.demo.behaviour import PRODUCTS, pick_rows
from kokyaku.demo.draws import DAY, add_months, fiscal_year_start, pick, weekday, weekday_back
from kokyaku.demo.vocabulary import EN, LOCALES, VOCABULARIES
from kokyaku.domain.errors import DomainError, gettext_noop

OPEN_STAGES, WON_STAGE, LOST_STAGE = EN.open_stages, EN.won_stage, EN.lost_stage  # the English ones, as before

Array = npt.NDArray[Any]  # column arrays of mixed dtypes (ints, objects, datetime64)


@dataclass(frozen=True)
class DemoSpec:
    """What to generate. ``reps`` defaults to 30, or one per 67 accounts for bigger portfolios."""

    accounts: int = 2000
    seed: int = 0
    as_of: date = field(default_factory=date.today)
    fiscal_year_start_month: int = 4
    years: int = 3
    reps: int | None = None
    chunk_size: int = 20_000
    locale: str = "en"  # the words: "ja" (株式会社早坂証券, 佐藤 健, 受注) or "en"; `kokyaku demo` defaults to "ja"

    def __post_init__(self) -> None:
        if self.accounts < 1:
            raise DomainError.of(gettext_noop("accounts must be at least 1; got %(accounts)s"), accounts=self.accounts)
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise DomainError(f"fiscal_year_start_month must be 1..12; got {self.fiscal_year_start_month}")
        if self.years < 1:
            raise DomainError(f"years must be at least 1; got {self.years}")
        if self.reps is not None and self.reps < 3:
            raise DomainError.of(
                gettext_noop("reps must be at least 3 (one strong and one developing rep per team); got %(reps)s"), reps=self.reps
            )
        if self.chunk_size < 1:
            raise DomainError(f"chunk_size must be at least 1; got {self.chunk_size}")
        if self.seed < 0:
            raise DomainError.of(gettext_noop("seed must be a non-negative integer; got %(seed)s"), seed=self.seed)
        if self.locale not in LOCALES:
            raise DomainError(f"locale must be one of {', '.join(LOCALES)}; got {self.locale!r}")

    @property
    def rep_count(self) -> int:
        return self.reps if self.reps is not None else max(30, -(-self.accounts // params.ACCOUNTS_PER_REP))

    @property
    def team_count(self) -> int:
        return max(1, -(-self.rep_count // params.REPS_PER_TEAM))


@dataclass(frozen=True)
class DemoChunk:
    """One slice of accounts with all their deals, activities, key persons and objections, as column arrays.

    ``key_persons`` and ``objections`` refer to accounts, reps and deals by index like the rest; see
    :func:`kokyaku.demo.behaviour.draw_key_persons` and :func:`~kokyaku.demo.behaviour.draw_objections`.
    """

    accounts: dict[str, Array]
    deals: dict[str, Array]
    activities: dict[str, Array]
    key_persons: dict[str, Array]
    objections: dict[str, Array]

    def __len__(self) -> int:
        return len(self.accounts["index"])


class DemoGenerator:
    """Draw a demo portfolio for a :class:`DemoSpec`; the same spec always gives the same data."""

    def __init__(self, spec: DemoSpec) -> None:
        self.spec = spec
        self._as_of = np.datetime64(spec.as_of, "D")
        self._start = np.datetime64(spec.as_of - timedelta(days=365 * spec.years), "D")
        self._reps: dict[str, Array] | None = None
        self._won_last_year: npt.NDArray[np.float64] = np.zeros(spec.rep_count)
        self._chunks_done = 0
        self._deal_count = 0
        window_days = int((self._as_of - self._start) / DAY)
        self._launched = behaviour.launch_dates(self._start, window_days)

    def _rng(self, *stream: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.spec.seed, *stream]))

    def products(self) -> dict[str, Array]:
        """Return the product catalogue: name, launch day, and whether it is a risk-reducing service.

        Six products were launched years before the history opens; three during it (at 20%, 50% and
        80% of the window), and deals for those open only after their launch.
        """
        return {
            "name": np.asarray(PRODUCTS, dtype=object),
            "launched_on": self._launched,
            "service": np.isin(np.asarray(PRODUCTS), behaviour.SERVICE_PRODUCTS),
        }

    # -- teams and reps -----------------------------------------------------------------------

    def teams(self) -> list[str]:
        """Return the team names, one per ten reps (Tokyo, Osaka, Nagoya, ...)."""
        names = []
        for i in range(self.spec.team_count):
            cities = VOCABULARIES[self.spec.locale].team_cities
            city = cities[i % len(cities)]
            names.append(city if i < len(cities) else f"{city} {i // len(cities) + 1}")
        return names

    def reps(self) -> dict[str, Array]:
        """Return the reps: name, email, team, tier, capacity and their activity habit.

        Every team has at least two strong reps and one developing rep (reps 0, 2 and 1 of each team).
        """
        if self._reps is not None:
            return self._reps
        spec, rng = self.spec, self._rng(1)
        n = spec.rep_count
        index = np.arange(n)
        team = index % spec.team_count
        # Each team gets strong and developing reps: the first rep of each team is strong.
        strong = (rng.random(n) < params.STRONG_SHARE) | (index < spec.team_count)
        strong[index[spec.team_count : 2 * spec.team_count]] = False  # the second is developing
        strong[index[2 * spec.team_count : 3 * spec.team_count]] = True  # and the third strong again
        tier = np.where(strong, 0, 1)
        words = VOCABULARIES[spec.locale]
        family = rng.integers(len(words.family_names), size=n)
        given = rng.integers(len(words.given_names), size=n)
        names = np.array(
            [
                words.person_form.format(family=words.family_names[f], given=words.given_names[g])
                for f, g in zip(family, given, strict=True)
            ],
            dtype=object,
        )
        emails = np.array(  # romanised in either language
            [
                f"{EN.given_names[g].lower()}.{EN.family_names[f].lower()}{i + 1}@demo.example.jp"
                for i, (f, g) in enumerate(zip(family, given, strict=True))
            ],
            dtype=object,
        )
        per_rep = spec.accounts / n
        capacity = np.ceil(per_rep * np.where(strong, 1.3, 0.9)).astype(np.int64)
        # Habit: touches per account per year, the same for every account the rep owns.
        touch_rate = params.TOUCHES_PER_ACCOUNT_YEAR * rng.lognormal(0.0, 0.3, size=n)
        self._reps = {
            "index": index,
            "name": names,
            "email": emails,
            "team": team,
            "tier": np.array(params.TIERS, dtype=object)[tier],
            "tier_code": tier,
            "capacity": capacity,
            "touch_rate": touch_rate,
        }
        return self._reps

    # -- accounts, deals, activities ------------------------------------------------------------

    def chunks(self) -> Iterator[DemoChunk]:
        """Yield the portfolio chunk by chunk (``spec.chunk_size`` accounts each)."""
        reps = self.reps()
        self._won_last_year[:] = 0.0
        self._deal_count = 0
        self._chunks_done = 0
        size = self.spec.chunk_size
        for k, start in enumerate(range(0, self.spec.accounts, size)):
            n = min(size, self.spec.accounts - start)
            yield self._chunk(k, start, n, reps)
            self._chunks_done = k + 1

    def _chunk(self, k: int, first: int, n: int, reps: dict[str, Array]) -> DemoChunk:
        rng = self._rng(2, k)
        spec = self.spec
        window_days = int((self._as_of - self._start) / DAY)

        # Accounts ------------------------------------------------------------------------------
        index = np.arange(first, first + n)
        btype = pick(rng, n, params.BUYER_TYPE_SHARE)
        industry = pick(rng, n, params.INDUSTRY_SHARE)
        region = pick(rng, n, params.REGION_SHARE)
        owner = rng.integers(spec.rep_count, size=n)  # today's habit: equal shares, blind to type
        employees = np.clip(
            np.round(np.asarray(params.INDUSTRY_EMPLOYEES)[industry] * rng.lognormal(0.0, 1.1, size=n)), 5, 200_000
        ).astype(np.int64)
        revenue = (
            np.round(employees * np.asarray(params.INDUSTRY_REVENUE_PER_EMPLOYEE)[industry] * rng.lognormal(0.0, 0.4, size=n), -6)
        ).astype(np.int64)
        revenue = np.maximum(revenue, 10_000_000)
        key = rng.random(n) < np.asarray(params.KEY_SHARE)[btype]
        affinity = rng.normal(0.0, 0.5, size=n)  # the account's own lean, unexplained by its features
        is_new = rng.random(n) < np.asarray(params.NEW_SHARE)[btype]
        since_offset = np.where(is_new, rng.integers(0, max(window_days - 30, 1), size=n), 0)
        since = self._start + since_offset * DAY
        lapsed = rng.random(n) < np.asarray(params.LAPSE_SHARE)[btype]
        # A lapsing customer stops at least 400 days before as_of, having bought for 120+ days.
        latest_lapse = window_days - 400
        lapsed &= since_offset + 120 < latest_lapse
        lapse_offset = np.where(lapsed, rng.integers(0, max(latest_lapse, 1), size=n), window_days)
        lapse_offset = np.where(lapsed, np.maximum(lapse_offset, since_offset + 120), lapse_offset)
        end = self._start + lapse_offset * DAY  # last day the account buys or is touched
        active_days = (end - since) / DAY

        words = VOCABULARIES[self.spec.locale]
        root = rng.integers(len(words.name_roots), size=n)
        ending = rng.integers(len(words.name_endings), size=n)
        stem = rng.integers(len(words.industry_stems[0]), size=n)
        suffix = pick(rng, n, params.COMPANY_SUFFIX_SHARE)
        name = np.array(
            [
                words.company_forms[x].format(
                    name=f"{words.name_roots[r]}{words.name_endings[e]}{words.stem_separator}{words.industry_stems[i][s]}"
                )
                for r, e, i, s, x in zip(root, ending, industry, stem, suffix, strict=True)
            ],
            dtype=object,
        )
        accounts: dict[str, Array] = {
            "index": index,
            "name": name,
            "industry": np.array(params.INDUSTRIES, dtype=object)[industry],
            "region": np.array(params.REGIONS, dtype=object)[region],
            "employees": employees,
            "annual_revenue": revenue,
            "owner": owner,
            "buyer_type": np.array(params.BUYER_TYPES, dtype=object)[btype],
            # Ground truth, not stored: useful to tests and docs.
            "since": since,
            "lapsed": lapsed,
            "key": key,
        }

        # Deals ---------------------------------------------------------------------------------
        rate = np.asarray(params.DEALS_PER_YEAR)[btype] * active_days / 365.0
        counts = rng.poisson(rate)
        counts = np.where(lapsed, np.maximum(counts, 1), counts)
        d_acc = np.repeat(np.arange(n), counts)
        m = len(d_acc)
        d_type = btype[d_acc]
        d_industry = industry[d_acc]
        d_owner = owner[d_acc]
        d_tier = reps["tier_code"][d_owner]
        opened = since[d_acc] + (rng.random(m) * active_days[d_acc]).astype(np.int64) * DAY
        opened = weekday(opened)
        opened = np.minimum(np.maximum(opened, since[d_acc]), end[d_acc])
        # Sort each account's deals by date so the first one can be the opening "new" deal.
        order = np.lexsort((opened, d_acc))
        d_acc, d_type, d_industry, d_owner, d_tier = (a[order] for a in (d_acc, d_type, d_industry, d_owner, d_tier))
        opened = opened[order]
        first_deal = np.ones(m, dtype=bool)
        first_deal[1:] = d_acc[1:] != d_acc[:-1]

        kind = pick_rows(rng, d_type, np.asarray(params.KIND_SHARE))
        kind[first_deal & is_new[d_acc]] = 0  # a new account's first deal is new business
        median = (
            np.asarray(params.DEAL_MEDIAN_JPY)[d_type]
            * np.asarray(params.INDUSTRY_AMOUNT)[d_industry]
            * (employees[d_acc] / 300.0) ** 0.25
            * np.asarray(params.KIND_AMOUNT)[kind]
            * np.where(key[d_acc], params.KEY_AMOUNT, 1.0)
        )
        amount = np.maximum(np.round(median * rng.lognormal(0.0, 0.6, size=m), -4), 50_000).astype(np.int64)

        logit = (
            params.BASE_LOGIT
            + np.asarray(params.BUYER_LOGIT)[d_type]
            + np.asarray(params.INDUSTRY_LOGIT)[d_industry]
            + np.asarray(params.TIER_LOGIT)[d_tier]
            + np.asarray(params.KIND_LOGIT)[kind]
            + params.SIZE_LOGIT_PER_DECADE * np.log10(amount / params.SIZE_PIVOT_JPY)
            + np.where(key[d_acc], params.KEY_LOGIT, 0.0)
            + affinity[d_acc]
        )
        p_win = 1.0 / (1.0 + np.exp(-logit))
        won = rng.random(m) < p_win
        # A lapsed customer did buy before going quiet: its first deal is a win.
        won |= first_deal & lapsed[d_acc]

        median_cycle = np.asarray(params.CYCLE_MEDIAN_DAYS, dtype=float)[d_type]
        # Gamma with shape 2.5, whose median is 2.17 times its scale.
        cycle = np.maximum(1, np.round(rng.gamma(2.5, median_cycle / 2.17, size=m))).astype(np.int64)
        closed = weekday(opened + cycle * DAY)
        closed = np.where(lapsed[d_acc], np.minimum(closed, end[d_acc]), closed)
        closed = np.maximum(closed, opened)
        is_open = closed > self._as_of
        status = np.where(is_open, "open", np.where(won, "won", "lost")).astype(object)

        progress = np.clip((self._as_of - opened) / DAY / cycle, 0.0, 0.999)
        words = VOCABULARIES[self.spec.locale]
        stages = words.open_stages
        stage_open = np.asarray(stages, dtype=object)[(progress * len(stages)).astype(np.intp)]
        stage = np.where(is_open, stage_open, np.where(won, words.won_stage, words.lost_stage)).astype(object)
        entered = is_open & (rng.random(m) < params.PROBABILITY_ENTERED_SHARE)
        guess = p_win * 100 + np.asarray(params.PROBABILITY_BIAS)[d_tier] + rng.normal(0, 10, size=m)
        probability = np.where(entered, np.clip(np.round(guess, -1), 10, 90), -1).astype(np.int64)

        expected_close = self._expected_close(k, opened, closed, cycle, d_tier)

        lost = status == "lost"
        reason = pick_rows(rng, d_type, np.asarray(params.LOST_REASON_SHARE))
        reason_code = np.where(lost, np.asarray(params.LOST_REASONS, dtype=object)[reason], "").astype(object)
        note_pick = rng.integers(0, 1 << 30, size=m)
        has_note = lost & (rng.random(m) < params.LOST_NOTE_SHARE)
        skeptic_note = d_type == 3
        lost_note = np.array(
            [
                (
                    params.SKEPTIC_NOTES[p % len(params.SKEPTIC_NOTES)]
                    if s
                    else params.LOST_NOTES[c][p % len(params.LOST_NOTES[c])]
                )
                if h
                else ""
                for h, s, c, p in zip(has_note, skeptic_note, reason_code, note_pick, strict=True)
            ],
            dtype=object,
        )
        pick(rng, m, params.LEGACY_PRODUCT_SHARE)  # not used: see params.LEGACY_PRODUCT_SHARE
        product = behaviour.draw_products(self._rng(4, k), btype=d_type, kind=kind, opened=opened, launched=self._launched)
        deal_names = np.array([f"{p} ({k})" for p in PRODUCTS for k in params.DEAL_KINDS], dtype=object)
        deal_index = np.arange(self._deal_count, self._deal_count + m)
        self._deal_count += m
        deals: dict[str, Array] = {
            "index": deal_index,
            "account": index[d_acc],
            "owner": d_owner,
            "name": deal_names[product * len(params.DEAL_KINDS) + kind],
            "product": np.asarray(PRODUCTS, dtype=object)[product],
            "amount": amount,
            "stage": stage,
            "status": status,
            "probability": probability,  # -1: not entered
            "opened_on": opened,
            "closed_on": np.where(is_open, np.datetime64("NaT", "D"), closed),
            "expected_close_on": np.where(is_open, expected_close, np.datetime64("NaT", "D")),
            "lost_reason": reason_code,  # "" unless lost
            "lost_note": lost_note,
            # Ground truth, not stored.
            "true_close": closed,  # when an open deal will really close
            "kind": np.asarray(params.DEAL_KINDS, dtype=object)[kind],
            "p_win": p_win,
        }
        won_recent = (status == "won") & (closed > self._as_of - 365 * DAY)
        self._won_last_year += np.bincount(d_owner[won_recent], weights=amount[won_recent], minlength=spec.rep_count)

        # Activities ------------------------------------------------------------------------------
        # (1) relationship touches, evenly spread over every account a rep owns (habit);
        touches = rng.poisson(reps["touch_rate"][owner] * active_days / 365.0)
        t_acc = np.repeat(np.arange(n), touches)
        t_day = since[t_acc] + (rng.random(len(t_acc)) * active_days[t_acc]).astype(np.int64) * DAY
        t_kind = pick(rng, len(t_acc), params.ACTIVITY_SHARE)
        # (2) deal work between a deal's opening and its close (or today); visionaries demand more.
        per_deal = 1 + rng.poisson(np.asarray(params.DEAL_TOUCHES)[d_type])
        a_deal = np.repeat(np.arange(m), per_deal)
        span = (np.minimum(closed, self._as_of) - opened)[a_deal] / DAY
        a_day = opened[a_deal] + (rng.random(len(a_deal)) * (span + 1)).astype(np.int64) * DAY
        a_kind = pick(rng, len(a_deal), params.DEAL_ACTIVITY_SHARE)

        act_acc = np.concatenate([t_acc, d_acc[a_deal]])
        act_deal = np.concatenate([np.full(len(t_acc), -1), deal_index[a_deal]])
        act_kind = np.concatenate([t_kind, a_kind])
        act_day = np.minimum(weekday(np.concatenate([t_day, a_day])), self._as_of - DAY)  # nothing later than yesterday
        # Office hours in Japan (09:00-18:00 JST) are 00:00-09:00 UTC.
        seconds = rng.integers(0, 9 * 3600 // 300, size=len(act_acc)) * 300
        occurred = act_day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
        base = np.asarray(params.ACTIVITY_MINUTES, dtype=float)[act_kind]
        minutes = np.maximum(5, np.round(base * rng.lognormal(0.0, 0.35, size=len(act_acc)) / 5) * 5).astype(np.int64)
        activities: dict[str, Array] = {
            "account": index[act_acc],
            "rep": owner[act_acc],
            "deal": act_deal,  # -1: not linked to a deal
            "kind": np.asarray(params.ACTIVITY_KINDS, dtype=object)[act_kind],
            "occurred_at": occurred,  # UTC
            "minutes": minutes,
        }
        yesterday = self._as_of - DAY
        key_persons = behaviour.draw_key_persons(
            self._rng(5, k),
            account=index,
            btype=btype,
            end=np.minimum(end, yesterday),
            since=since,
            family_names=VOCABULARIES[self.spec.locale].family_names,
            given_names=VOCABULARIES[self.spec.locale].given_names,
        )
        objections = behaviour.draw_objections(
            self._rng(6, k),
            deal=deal_index,
            account=index[d_acc],
            owner=d_owner,
            btype=d_type,
            product=deals["product"],
            status=status,
            lost_reason=reason_code,
            opened=opened,
            last_day=np.maximum(np.where(is_open, yesterday, closed - DAY), opened),
        )
        return DemoChunk(accounts=accounts, deals=deals, activities=activities, key_persons=key_persons, objections=objections)

    def _expected_close(
        self,
        k: int,
        opened: npt.NDArray[np.datetime64],
        closed: npt.NDArray[np.datetime64],
        cycle: npt.NDArray[np.int64],
        tier: npt.NDArray[np.intp],
    ) -> npt.NDArray[np.datetime64]:
        """Draw the date each deal's rep expects it to close (only open deals keep it).

        The rep expects the cycle to take ``params.EXPECTED_CYCLE_SHARE`` of its real length; a date that
        has passed is moved (``params.REDATE_SHARE``, or when older than ``params.STALE_MAX_DAYS``) to today plus
        the rep's share of what is really left; ``params.MONTH_END_SHARE`` sit on the month's last weekday.
        Drawn from its own stream (``SeedSequence([seed, 3, chunk])``) so that every other column
        is exactly what it was before expected close dates existed.
        """
        rng = self._rng(3, k)
        m = len(opened)
        share = np.asarray(params.EXPECTED_CYCLE_SHARE)[tier] * np.exp(params.EXPECTED_CYCLE_SIGMA * rng.standard_normal(m))
        expected = opened + np.round(cycle * share).astype(np.int64) * DAY
        passed = expected < self._as_of
        moved = passed & ((rng.random(m) < params.REDATE_SHARE) | (expected < self._as_of - params.STALE_MAX_DAYS * DAY))
        left = np.maximum((closed - self._as_of) / DAY, 0.0)
        guess = np.maximum(np.round(left * share), rng.integers(params.REDATE_MIN_DAYS, params.REDATE_MAX_DAYS + 1, size=m))
        moved_to = self._as_of + guess.astype(np.int64) * DAY
        expected = np.where(moved, moved_to, expected)
        month_end = (expected.astype("datetime64[M]") + 1).astype("datetime64[D]") - DAY
        expected = np.where(rng.random(m) < params.MONTH_END_SHARE, month_end, expected)
        return np.maximum(weekday_back(expected), opened)

    # -- targets ----------------------------------------------------------------------------------

    def targets(self) -> dict[str, Array]:
        """Return monthly targets per rep for the current fiscal year.

        Each rep's target is last year's won revenue grown by 10%, spread over the twelve fiscal
        months with a year-end push (the last fiscal month weighs 1.5, the mid-year month 1.2).
        Needs every chunk drawn first.
        """
        expected = -(-self.spec.accounts // self.spec.chunk_size)
        if self._chunks_done != expected:
            raise DomainError("targets() needs every chunk drawn first: iterate chunks() to the end")
        n = self.spec.rep_count
        fy_start = fiscal_year_start(self.spec.as_of, self.spec.fiscal_year_start_month)
        starts = [add_months(fy_start, i) for i in range(12)]
        ends = [add_months(fy_start, i + 1) - timedelta(days=1) for i in range(12)]
        weight = np.ones(12)
        weight[5], weight[11] = 1.2, 1.5
        weight /= weight.sum()
        yearly = np.maximum(self._won_last_year * params.TARGET_GROWTH, 1_000_000.0)
        amount = np.round(yearly[:, None] * weight[None, :], -4).astype(np.int64)
        return {
            "rep": np.repeat(np.arange(n), 12),
            "period_start": np.tile(np.array(starts, dtype="datetime64[D]"), n),
            "period_end": np.tile(np.array(ends, dtype="datetime64[D]"), n),
            "amount": amount.ravel(),
        }
