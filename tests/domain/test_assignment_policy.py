"""The assignment policy: a frozen, validated value that round-trips through a plain dict."""

from __future__ import annotations

import dataclasses
import json

import pytest

from kokyaku.domain.assignment import DEFAULT_WEIGHTS, TERM_TIERS, TERMS, AssignmentPolicy
from kokyaku.domain.errors import DomainError


def test_the_terms_follow_the_article_strong_reps_take_what_sells_now() -> None:
    assert {t for t, tier in TERM_TIERS.items() if tier == "strong"} == {"pragmatist", "conservative", "zone_a"}
    assert {t for t, tier in TERM_TIERS.items() if tier == "developing"} == {"visionary", "skeptic", "prospect", "released"}


def test_a_policy_round_trips_through_json() -> None:
    policy = AssignmentPolicy(
        weights={"visionary": 4.25}, continuity=1.5, keep_team=False, keep_region=True, dormant_follow_up=False
    )
    data = json.loads(json.dumps(policy.to_dict()))
    assert data["version"] == 1
    assert data["weights"]["visionary"] == 4.25
    assert data["weights"]["pragmatist"] == DEFAULT_WEIGHTS["pragmatist"]
    assert AssignmentPolicy.from_dict(data) == policy


def test_terms_left_out_take_their_default_weight() -> None:
    policy = AssignmentPolicy.from_dict({"weights": {"skeptic": 0}})
    assert policy.weight("skeptic") == 0.0
    assert policy.weight("released") == 6.0
    assert list(policy.weights) == list(TERMS)


def test_the_policy_is_frozen_and_keeps_its_own_copy_of_the_weights() -> None:
    weights = {"visionary": 2.0}
    policy = AssignmentPolicy(weights=weights)
    weights["visionary"] = 9.0
    assert policy.weight("visionary") == 2.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.continuity = 3.0  # type: ignore[misc]


def test_weights_are_used_in_hundredths() -> None:
    assert AssignmentPolicy(weights={"zone_a": 2.35}, continuity=0.05).scaled("zone_a") == 235
    assert AssignmentPolicy(continuity=0.05).scaled("continuity") == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": {"vip": 1}}, "unknown term(s) vip"),
        ({"weights": {"skeptic": -1}}, "weight 'skeptic' must be between 0 and 100"),
        ({"weights": {"skeptic": 101}}, "weight 'skeptic' must be between 0 and 100"),
        ({"weights": {"skeptic": float("nan")}}, "weight 'skeptic' must be between 0 and 100"),
        ({"weights": {"skeptic": "3"}}, "weight 'skeptic' must be a number, got '3'"),
        ({"weights": {"skeptic": True}}, "weight 'skeptic' must be a number, got True"),
        ({"weights": {"skeptic": 1.234}}, "weight 'skeptic' counts to 0.01 at most, got 1.234"),
        ({"continuity": -0.5}, "weight 'continuity' must be between 0 and 100"),
        ({"keep_team": "yes"}, "keep_team must be true or false, got 'yes'"),
        ({"weights": [1, 2]}, "weights must be a mapping"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_value(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
        AssignmentPolicy(**kwargs)  # type: ignore[arg-type]


def test_a_stored_policy_with_an_unknown_key_or_version_is_refused() -> None:
    with pytest.raises(DomainError, match="unknown key"):
        AssignmentPolicy.from_dict({"weights": {}, "colour": "red"})
    with pytest.raises(DomainError, match="version 2 is not supported"):
        AssignmentPolicy.from_dict({"version": 2})
