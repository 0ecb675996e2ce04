"""The assignment policy: which accounts the company wants with which tier of rep, and how much.

After the second source article: accounts that sell now (pragmatists, conservatives, zone A) go to
strong reps (主力); accounts the company wants for its future (visionaries, skeptics, prospects with
nothing won yet) and accounts a strong rep released (見切った) go to developing reps (育成中).
Dormant accounts are not handed around: they stay with their owner — a strong owner follows them
up, and those no strong rep covers go to the follow-up queue.

A *term* is one of those rules. Each has a weight a manager edits: placing an account with a rep of
the term's tier earns the weight. The tier an account *wants* is the one whose terms weigh more (none
on a tie). ``continuity`` is earned for keeping the current owner, so a plan moves an account only
when the policy gains more than that. Weights count to 0.01 (the optimiser works in integers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kokyaku.domain.errors import DomainError, gettext_noop

STRONG, DEVELOPING = "strong", "developing"
TIERS: tuple[str, str] = (STRONG, DEVELOPING)

# term -> the tier it wants. The order is the tie-break when two terms of a tier weigh the same.
TERM_TIERS: Mapping[str, str] = {
    "released": DEVELOPING,
    "pragmatist": STRONG,
    "conservative": STRONG,
    "zone_a": STRONG,
    "visionary": DEVELOPING,
    "skeptic": DEVELOPING,
    "prospect": DEVELOPING,
}
TERMS: tuple[str, ...] = tuple(TERM_TIERS)
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "released": 6.0,  # a strong rep gave up: beats any "sells now" term on its own
    "pragmatist": 3.0,
    "conservative": 3.0,
    "zone_a": 2.0,
    "visionary": 3.0,
    "skeptic": 3.0,
    "prospect": 2.0,  # a pragmatist with nothing won yet still goes to a strong rep (3 > 2)
}
DEFAULT_CONTINUITY = 0.5  # below every default gap, so it only breaks ties towards fewer moves
MAX_WEIGHT = 100.0
SCALE = 100  # weights count to 0.01
POLICY_VERSION = 1


def _check_weight(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DomainError.of(
            gettext_noop("policy: weight %(name)s must be a number, got %(value)s"), name=repr(name), value=repr(value)
        )
    w = float(value)
    if not math.isfinite(w) or not (0 <= w <= MAX_WEIGHT):
        raise DomainError.of(
            gettext_noop("policy: weight %(name)s must be between 0 and %(max)s, got %(value)s"),
            name=repr(name),
            max=f"{MAX_WEIGHT:g}",
            value=repr(value),
        )
    if abs(w * SCALE - round(w * SCALE)) > 1e-6:
        raise DomainError.of(
            gettext_noop("policy: weight %(name)s counts to 0.01 at most, got %(value)s"), name=repr(name), value=repr(value)
        )
    return w


@dataclass(frozen=True)
class AssignmentPolicy:
    """The manager's policy: a frozen value, validated on creation, saved as a plain dict.

    ``weights``: term -> weight (terms left out take their default weight; unknown terms are an
    error). ``keep_team`` / ``keep_region``: an account may only go to a rep of its own team /
    region (an account or rep without one is not held by that rule). ``dormant_follow_up``: dormant
    accounts stay with their active owner instead of being assigned away (except those released:
    they go to developing reps), and those whose owner is
    not a strong rep are flagged for the follow-up queue (off: dormant accounts are placed like any).
    """

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    continuity: float = DEFAULT_CONTINUITY
    keep_team: bool = True
    keep_region: bool = False
    dormant_follow_up: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.weights, Mapping):
            raise DomainError(f"policy: weights must be a mapping of term to weight, got {self.weights!r}")
        unknown = sorted(set(map(str, self.weights)) - set(TERMS))
        if unknown:
            raise DomainError.of(
                gettext_noop("policy: unknown term(s) %(unknown)s; the terms are %(terms)s"),
                unknown=tuple(unknown),
                terms=tuple(TERMS),
            )
        merged = {t: _check_weight(t, self.weights.get(t, DEFAULT_WEIGHTS[t])) for t in TERMS}
        object.__setattr__(self, "weights", merged)  # a private copy, in TERMS order
        object.__setattr__(self, "continuity", _check_weight("continuity", self.continuity))
        for flag in ("keep_team", "keep_region", "dormant_follow_up"):
            if not isinstance(getattr(self, flag), bool):
                raise DomainError(f"policy: {flag} must be true or false, got {getattr(self, flag)!r}")

    def weight(self, term: str) -> float:
        return float(self.weights[term])

    def scaled(self, term: str) -> int:
        """Return a term's weight (or "continuity") in integer hundredths, as the optimiser uses it."""
        w = self.continuity if term == "continuity" else self.weights[term]
        return round(w * SCALE)

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as a plain, JSON-ready dict (what a policy version stores)."""
        return {
            "version": POLICY_VERSION,
            "weights": {t: float(self.weights[t]) for t in TERMS},
            "continuity": float(self.continuity),
            "keep_team": self.keep_team,
            "keep_region": self.keep_region,
            "dormant_follow_up": self.dormant_follow_up,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AssignmentPolicy:
        """Rebuild a policy from :meth:`to_dict`'s output; unknown keys or versions are an error."""
        if not isinstance(data, Mapping):
            raise DomainError(f"policy: expected a mapping, got {type(data).__name__}")
        known = {"version", "weights", "continuity", "keep_team", "keep_region", "dormant_follow_up"}
        unknown = sorted(set(map(str, data)) - known)
        if unknown:
            raise DomainError.of(gettext_noop("policy: unknown key(s) %(keys)s"), keys=tuple(unknown))
        version = data.get("version", POLICY_VERSION)
        if version != POLICY_VERSION:
            raise DomainError.of(
                gettext_noop("policy: version %(version)s is not supported (this code reads version %(supported)s)"),
                version=repr(version),
                supported=POLICY_VERSION,
            )
        kwargs = {k: data[k] for k in known - {"version"} if k in data}
        return cls(**kwargs)
