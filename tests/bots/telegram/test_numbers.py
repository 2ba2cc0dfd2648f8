"""Compact numbers, SOL, prices, percentages, relative times and addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bots.telegram.formatters.numbers import (
    age,
    ago,
    code_address,
    compact,
    percent,
    price,
    short_address,
    sol,
    sol_from_lamports,
    usd,
    visible_length,
)
from bots.telegram.i18n import translator
from tests.bots.telegram.data import MINT, NOW

EN, FR = translator("en"), translator("fr")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (0.25, "0.25"),
        (12.5, "12.5"),
        (950, "950"),
        (999.4, "999"),
        (999.7, "1k"),
        (1000, "1k"),
        (18_500, "18.5k"),
        (41_200, "41.2k"),
        (251_000, "251k"),
        (999_400, "999k"),
        (999_960, "1M"),
        (3_100_000, "3.1M"),
        (12_080_000, "12.1M"),
        (2_500_000_000, "2.5B"),
        (-41_200, "-41.2k"),
        (float("inf"), "∞"),
    ],
)
def test_compact(value: float, text: str) -> None:
    assert compact(value) == text


@pytest.mark.parametrize(
    ("amount", "text", "signed"),
    [
        (9.8, "9.8 SOL", "+9.8 SOL"),
        (10, "10.0 SOL", "+10.0 SOL"),
        (312, "312 SOL", "+312 SOL"),
        (99.96, "100 SOL", "+100 SOL"),
        (12_400, "12.4k SOL", "+12.4k SOL"),
        (0.05, "0.05 SOL", "+0.05 SOL"),
        (0.0006, "0.0006 SOL", "+0.0006 SOL"),
        (0, "0.0 SOL", "0.0 SOL"),
        (-2.5, "-2.5 SOL", "-2.5 SOL"),
    ],
)
def test_sol(amount: float, text: str, signed: str) -> None:
    assert sol(amount) == text
    assert sol(amount, signed=True) == signed


def test_sol_from_lamports_and_usd() -> None:
    assert sol_from_lamports(9_800_000_000) == "9.8 SOL"
    assert sol_from_lamports(-84_000_000_000, signed=True) == "-84.0 SOL"
    assert usd(41_200) == "41.2k USD"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0000412, "0.0000412"),
        (0.0000398, "0.0000398"),
        (0.00000999, "0.00000999"),
        (9.999e-6, "0.00001"),
        (0.1234, "0.123"),
        (1.5, "1.5"),
        (0, "0"),
        (2500, "2.5k"),
    ],
)
def test_price_never_uses_scientific_notation(value: float, text: str) -> None:
    assert price(value) == text


def test_percent() -> None:
    assert percent(18.2) == "+18%"
    assert percent(-5) == "-5%"
    assert percent(0.2) == "0%"
    assert percent(62.4, signed=False) == "62%"
    assert percent(2.14, decimals=1) == "+2.1%"


@pytest.mark.parametrize(
    ("seconds", "en", "fr"),
    [
        (0, "just now", "à l'instant"),
        (4, "just now", "à l'instant"),
        (35, "35s ago", "il y a 35 s"),
        (120, "2m ago", "il y a 2 min"),
        (3599, "59m ago", "il y a 59 min"),
        (7200, "2h ago", "il y a 2 h"),
        (3 * 86_400, "3d ago", "il y a 3 j"),
        (-60, "just now", "à l'instant"),  # clock skew: never "in the future"
    ],
)
def test_relative_times(seconds: int, en: str, fr: str) -> None:
    then = NOW - timedelta(seconds=seconds)
    assert ago(then, NOW, EN) == en
    assert ago(then, NOW, FR) == fr
    assert ago(then.timestamp(), NOW.timestamp(), EN) == en  # unix seconds work too


def test_token_age() -> None:
    assert age(NOW - timedelta(minutes=4, seconds=50), NOW, EN) == "4m old"
    assert age(NOW - timedelta(minutes=4), NOW, FR) == "créé il y a 4 min"
    assert age(NOW, NOW, EN) == "new"


def test_addresses() -> None:
    assert short_address(MINT) == "7xKX…pump"
    assert short_address("abc") == "abc"
    assert code_address(MINT) == "<code>7xKX…pump</code>"
    assert code_address("<x>", short=False) == "<code>&lt;x&gt;</code>"


def test_visible_length_counts_entities_once_and_emoji_twice() -> None:
    assert visible_length("<b>a&amp;b</b>") == 3
    assert visible_length("🟢") == 2
