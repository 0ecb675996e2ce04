"""Money formatting: every ISO 4217 currency with its own decimals and symbol, as Babel (CLDR) writes it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency
from django.template import Context, Template
from django.utils import translation

from kokyaku.lib.currency import ISO_4217
from kokyaku.lib.money import currency_places, format_money, round_money


@pytest.mark.parametrize(
    ("amount", "currency", "language", "shown"),
    [
        (Decimal("1234567"), "JPY", "en", "¥1,234,567"),
        (Decimal("1234567"), "JPY", "ja", "￥1,234,567"),
        (Decimal("1234.5"), "USD", "en", "$1,234.50"),
        (Decimal("1234567"), "VND", "en", "₫1,234,567"),  # was "1,234,567.00 VND"
        (Decimal("1234567"), "CLP", "en", "CLP1,234,567"),
        (Decimal("1234567"), "ISK", "en", "ISK1,234,567"),
        (Decimal("12.345"), "BHD", "en", "BHD12.345"),
        (Decimal("-1500"), "EUR", "en", "-€1,500.00"),
        (None, "JPY", "en", "—"),
    ],
)
def test_amounts_show_their_currencys_symbol_and_decimals(
    amount: Decimal | None, currency: str, language: str, shown: str
) -> None:
    assert format_money(amount, currency, language=language) == shown


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_fast_path_writes_exactly_what_babel_writes_for_every_currency(language: str) -> None:
    for code in sorted(ISO_4217):
        for amount in (Decimal("1234567.5"), Decimal("-1234.565"), Decimal(0), Decimal("0.125")):
            assert format_money(amount, code, language=language) == format_currency(amount, code, locale=language), code


def test_decimals_and_rounding_follow_the_currency() -> None:
    assert [currency_places(c) for c in ("JPY", "KRW", "VND", "USD", "KWD")] == [0, 0, 0, 2, 3]
    assert round_money(1234567.5, "JPY") == Decimal("1234568")
    assert round_money(12.345, "USD") == Decimal("12.34")  # half to even, as a Decimal of the float's text
    assert round_money(None, "USD") is None


def test_the_money_filter_uses_the_pages_language() -> None:
    template = Template("{% load kokyaku %}{{ amount|money:'JPY' }} {{ amount|money:'VND' }}")
    with translation.override("ja"):
        assert template.render(Context({"amount": Decimal(5000)})) == "￥5,000 ₫5,000"
    with translation.override("en"):
        assert template.render(Context({"amount": Decimal(5000)})) == "¥5,000 ₫5,000"
