"""The demo in Japanese by default (`kokyaku demo`), English with --locale en: the same portfolio, other words."""

from __future__ import annotations

from datetime import date
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from kokyaku.crm.models import Account, Deal, Rep, Team
from kokyaku.demo.generator import DemoGenerator, DemoSpec
from kokyaku.demo.vocabulary import EN, JA
from kokyaku.domain.errors import DomainError
from kokyaku.domain.portfolio import DEFAULT_STAGE_PROBABILITIES

AS_OF = date(2026, 11, 20)


def _draw(locale: str) -> tuple[DemoGenerator, list]:  # type: ignore[type-arg]
    gen = DemoGenerator(DemoSpec(accounts=300, seed=5, as_of=AS_OF, locale=locale))
    return gen, list(gen.chunks())


def test_both_languages_draw_the_same_portfolio_in_other_words() -> None:
    (ja, ja_chunks), (en, en_chunks) = _draw("ja"), _draw("en")
    for a, b in zip(ja_chunks, en_chunks, strict=True):
        for key in ("amount", "status", "opened_on", "account", "owner"):
            np.testing.assert_array_equal(a.deals[key], b.deals[key])
        words = {
            **dict(zip(EN.open_stages, JA.open_stages, strict=True)),
            EN.won_stage: JA.won_stage,
            EN.lost_stage: JA.lost_stage,
        }
        assert [words[x] for x in b.deals["stage"]] == list(a.deals["stage"])  # one stage for one stage
        assert any(n.startswith("株式会社") or n.endswith("株式会社") for n in a.accounts["name"])
        assert all(n.isascii() for n in b.accounts["name"])
    assert list(ja.reps()["email"]) == list(en.reps()["email"])  # addresses stay romanised
    assert all(" " in n and not n.isascii() for n in ja.reps()["name"])  # 佐藤 健
    assert ja.teams()[0] == "東京"


def test_japanese_stages_have_the_english_stages_probabilities() -> None:
    for en, ja in zip(EN.open_stages, JA.open_stages, strict=True):
        assert DEFAULT_STAGE_PROBABILITIES[ja] == DEFAULT_STAGE_PROBABILITIES[en]


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(DomainError, match="locale must be one of ja, en"):
        DemoSpec(locale="fr")


@pytest.mark.django_db
def test_the_demo_command_writes_japanese_unless_told_english() -> None:
    call_command("demo", "--accounts", "60", "--snapshots", "0", "--as-of", "2026-11-20", stdout=StringIO())
    assert Team.objects.filter(name="東京").exists()
    assert not Rep.objects.filter(name__regex=r"^[A-Za-z ]+$").exists()
    assert Account.objects.filter(name__contains="株式会社").exists()
    assert set(Deal.objects.exclude(status="open").values_list("stage", flat=True)) <= {"受注", "失注"}
    english = ("--accounts", "60", "--snapshots", "0", "--as-of", "2026-11-20", "--force", "--locale", "en")
    call_command("demo", *english, stdout=StringIO())
    assert Deal.objects.filter(stage="Closed won").exists()
