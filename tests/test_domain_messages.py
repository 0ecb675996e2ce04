"""Errors of the pure domain core that users meet are shown in their language; their English stays as it was.

The domain raises ``DomainError.of(gettext_noop(...), **params)`` (no Django there); commands, services
and pages show it through ``kokyaku.lib.refusals.domain_text``. The suite pins KOKYAKU_LANGUAGE=en
(tests/envsetup.py), so the command tests clear it and set LANG as a terminal would.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kokyaku.assignment.services import policy_version_create
from kokyaku.domain.assignment import AssignmentPolicy
from kokyaku.domain.errors import DomainError, Text
from kokyaku.domain.portfolio import AxisRule, CriteriaSpec
from kokyaku.domain.retention.curves import ShiftedBetaGeometric
from kokyaku.lib.refusals import domain_text
from tests.test_cli_language import terminal  # noqa: F401  (the fixture)


def _error(make: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as info:
        make()
    return info.value


def test_the_english_text_is_unchanged_and_japanese_is_shown_in_japanese() -> None:
    cases = [
        (
            lambda: AssignmentPolicy.from_dict({"weights": {"speed": 1}}),
            "policy: unknown term(s) speed; the terms are ",
            "方針: 不明な項目があります: speed（指定できる項目: ",
        ),
        (
            lambda: AssignmentPolicy.from_dict({"continuity": 101}),
            "policy: weight 'continuity' must be between 0 and 100, got 101",
            "方針: 重み 'continuity' は 0 から 100 までで指定してください（指定値: 101）",
        ),
        (
            lambda: CriteriaSpec(price=AxisRule("quantile", 0.6, 0.4)),
            "unit price: the low threshold (0.6) must be below the high one (0.4)",
            "取引単価: 下限（0.6）は上限（0.4）より小さくしてください",  # the axis is translated too
        ),
        (
            lambda: CriteriaSpec(stage_probabilities={"交渉": 120}),
            "stage '交渉': probability must be 0-100 %, got 120",
            "ステージ '交渉': 確率は 0〜100 % で指定してください（指定値: 120）",
        ),
        (
            lambda: ShiftedBetaGeometric().fit([1, 2], [False, False]),
            "sBG: no customer was lost, so no churn rate can be estimated",
            "sBG: 離脱した顧客がいないため、離脱率を推定できません",
        ),
    ]
    for make, english, japanese in cases:
        exc = _error(make)
        assert str(exc).startswith(english)
        with translation.override("en"):
            assert domain_text(exc) == str(exc)
        with translation.override("ja"):
            assert domain_text(exc).startswith(japanese)


def test_a_message_keeps_its_msgid_through_copy_and_pickle() -> None:
    exc = DomainError.of("%(axis)s: found %(n)s", axis=Text("unit price"), n=3)
    assert str(exc) == "unit price: found 3"
    for again in (copy.deepcopy(exc), pickle.loads(pickle.dumps(exc))):  # noqa: S301  (our own bytes)
        assert isinstance(again.text, Text)
        assert again.text.msgid == "%(axis)s: found %(n)s"
        assert str(again) == str(exc)
    plain = DomainError("plain words")
    assert domain_text(plain) == plain.text == "plain words"


@pytest.mark.django_db
def test_a_service_refuses_in_the_readers_language() -> None:
    with translation.override("ja"), pytest.raises(ValidationError) as info:
        policy_version_create(actor=None, policy={"version": 9})
    assert info.value.messages == ["方針: バージョン 9 には対応していません（対応しているバージョン: 1）"]
    with translation.override("en"), pytest.raises(ValidationError) as info:
        policy_version_create(actor=None, policy={"version": 9})
    assert info.value.messages == ["policy: version 9 is not supported (this code reads version 1)"]


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_commands_show_domain_errors_and_notes_in_the_terminals_language(terminal: Callable[[str], None]) -> None:  # noqa: F811
    terminal("ja_JP.UTF-8")
    suggested = _run("buyer_types", "suggest")
    assert "  ルールで提案しました: 評価には、十分な履歴のあるタイプ登録済みの顧客が必要です（該当: 0 件）" in suggested
    assert "時点の購買タイプ（ルール）" in suggested  # the method as the team page names it, not its code
    with pytest.raises(CommandError, match=r"^バックテストを実行できません: 期間は 1 か月以上で指定してください（指定値: 0）$"):
        _run("backtest", "--as-of", "2026-01-01", "--horizon-months", "0")

    terminal("C")
    suggested = _run("buyer_types", "suggest")
    assert "  rules used: evaluation: needs recorded accounts with enough history; found 0" in suggested
    assert " (rules): " in suggested  # English keeps the code
    with pytest.raises(CommandError, match=r"^cannot back-test: the horizon must be at least one month, got 0$"):
        _run("backtest", "--as-of", "2026-01-01", "--horizon-months", "0")
