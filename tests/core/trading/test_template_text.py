"""TP/SL templates typed as text: what each form means, every mistake named with its token,
the presets, and render -> parse giving the same template back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import UserInputError
from core.trading.orders import BPS, DcaIn, DcaOut, LegKind, OrderTemplate, TakeProfit
from core.trading.template_text import (
    PRESET_TEXTS,
    TemplatePart,
    TemplateProblem,
    TemplateTextError,
    describe_template,
    format_duration,
    parse_template,
    preset_name,
    presets,
    render_text,
)

SOL = 10**9
FULL = "tp 50:30 100:30 sl 25 trail 20 from 30 time 24h dcain -20:0.1 dcaout 6h:25"


def test_the_full_syntax_makes_every_kind_of_order() -> None:
    assert parse_template(FULL) == OrderTemplate(
        take_profits=(TakeProfit(5_000, 3_000), TakeProfit(10_000, 3_000)),
        stop_loss_bps=2_500,
        trailing_bps=2_000,
        trailing_activation_bps=3_000,
        time_exit_s=86_400,
        dca_in=(DcaIn(2_000, SOL // 10),),
        dca_out=(DcaOut(6 * 3_600, 2_500),),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TP +50%:30% SL -25%", OrderTemplate((TakeProfit(5_000, 3_000),), stop_loss_bps=2_500)),
        ("tp 12.5:100", OrderTemplate((TakeProfit(1_250, BPS),))),
        ("tp 50:30, 100:30", OrderTemplate((TakeProfit(5_000, 3_000), TakeProfit(10_000, 3_000)))),
        ("trail 15", OrderTemplate(trailing_bps=1_500)),
        ("trail -15% from +0", OrderTemplate(trailing_bps=1_500, trailing_activation_bps=0)),
        ("time 1h30m", OrderTemplate(time_exit_s=5_400)),
        ("time 2d", OrderTemplate(time_exit_s=172_800)),
        (
            "dca in 20:0.5 dca out 90s:10",
            OrderTemplate(dca_in=(DcaIn(2_000, SOL // 2),), dca_out=(DcaOut(90, 1_000),)),
        ),
        (
            "dca_in -10:1 dca-out 30m:50",
            OrderTemplate(dca_in=(DcaIn(1_000, SOL),), dca_out=(DcaOut(1_800, 5_000),)),
        ),
        ("sl 25 tp 50:50", OrderTemplate((TakeProfit(5_000, 5_000),), stop_loss_bps=2_500)),
    ],
)
def test_accepted_forms(text: str, expected: OrderTemplate) -> None:
    assert parse_template(text) == expected


@pytest.mark.parametrize(
    ("text", "problem", "token"),
    [
        ("", TemplateProblem.EMPTY, ""),
        ("x" * 501, TemplateProblem.TOO_LONG, "x" * 20 + "…"),
        ("take 50:30", TemplateProblem.UNKNOWN_WORD, "take"),
        ("tp 50:30 stop 25", TemplateProblem.UNKNOWN_WORD, "stop"),
        ("tp", TemplateProblem.MISSING_VALUE, "tp"),
        ("sl 25 tp", TemplateProblem.MISSING_VALUE, "tp"),
        ("trail 20 from", TemplateProblem.MISSING_VALUE, "from"),
        ("sl 25 sl 30", TemplateProblem.REPEATED, "sl"),
        ("sl 25 30", TemplateProblem.UNKNOWN_WORD, "30"),
        ("tp 50", TemplateProblem.PAIR, "50"),
        ("tp 50:30:20", TemplateProblem.PAIR, "50:30:20"),
        ("tp :30", TemplateProblem.PAIR, ":30"),
        ("tp fifty:30", TemplateProblem.PERCENT, "fifty:30"),
        ("tp 50:12.345", TemplateProblem.PERCENT, "50:12.345"),
        ("sl %", TemplateProblem.PERCENT, "%"),
        ("tp -50:30", TemplateProblem.SIGN, "-50:30"),
        ("tp 50:+30", TemplateProblem.SIGN, "50:+30"),
        ("sl +25", TemplateProblem.SIGN, "+25"),
        ("trail 20 from -5", TemplateProblem.SIGN, "-5"),
        ("dcain +20:0.1", TemplateProblem.SIGN, "+20:0.1"),
        ("time 24", TemplateProblem.DURATION, "24"),
        ("time 0m", TemplateProblem.DURATION, "0m"),
        ("time 366d", TemplateProblem.DURATION, "366d"),
        ("dcaout 6x:25", TemplateProblem.DURATION, "6x:25"),
        ("dcain 20:lots", TemplateProblem.SOL, "20:lots"),
        ("dcain 20:0", TemplateProblem.SOL, "20:0"),
        ("dcain 20:0.0000000001", TemplateProblem.SOL, "20:0.0000000001"),
        ("dcain 20:nan", TemplateProblem.SOL, "20:nan"),
        ("tp 0:30", TemplateProblem.INVALID, "0:30"),
        ("sl 100", TemplateProblem.INVALID, "sl 100"),
        ("tp 60:60 100:50", TemplateProblem.INVALID, "tp 60:60 100:50"),
        ("tp 50:30 50:20", TemplateProblem.INVALID, "tp 50:30 50:20"),
    ],
)
def test_every_mistake_names_the_token_and_what_was_expected(
    text: str, problem: TemplateProblem, token: str
) -> None:
    with pytest.raises(TemplateTextError) as caught:
        parse_template(text)
    error = caught.value
    assert isinstance(error, UserInputError)
    assert (error.problem, error.token) == (problem, token)
    if problem is TemplateProblem.INVALID:
        assert error.detail and str(error).endswith(error.detail)
    else:
        assert str(error).startswith(f'"{token}": expected ')


def test_invalid_templates_say_the_core_rule_that_broke() -> None:
    with pytest.raises(TemplateTextError, match="sell 110 % of the position in total"):
        parse_template("tp 60:60 100:50")
    with pytest.raises(TemplateTextError, match='"0:30": take profit gain must be'):
        parse_template("tp 0:30")


def test_presets_are_defined_once_and_recognised() -> None:
    found = presets()
    assert list(found) == ["safe", "moon", "scalp"]
    assert found["safe"] == parse_template("tp 50:50 100:50 sl 25")
    assert found["moon"] == OrderTemplate(
        (TakeProfit(10_000, 3_000), TakeProfit(30_000, 3_000)), trailing_bps=2_500
    )
    assert parse_template(" Scalp ") == OrderTemplate(
        (TakeProfit(2_500, BPS),), stop_loss_bps=1_500
    )
    for name, text in PRESET_TEXTS.items():
        assert preset_name(parse_template(text)) == name
        assert render_text(found[name]) == text
    assert preset_name(parse_template("tp 50:50")) is None


def test_describe_lists_every_order_as_data() -> None:
    assert describe_template(parse_template(FULL)) == [
        TemplatePart(LegKind.TAKE_PROFIT, trigger_bps=5_000, sell_bps=3_000),
        TemplatePart(LegKind.TAKE_PROFIT, trigger_bps=10_000, sell_bps=3_000),
        TemplatePart(LegKind.STOP_LOSS, trigger_bps=2_500, sell_bps=BPS),
        TemplatePart(LegKind.TRAILING_STOP, trigger_bps=2_000, sell_bps=BPS, activation_bps=3_000),
        TemplatePart(LegKind.TIME_EXIT, sell_bps=BPS, after_s=86_400),
        TemplatePart(LegKind.DCA_IN, trigger_bps=2_000, buy_lamports=SOL // 10),
        TemplatePart(LegKind.DCA_OUT, sell_bps=2_500, after_s=21_600),
    ]


def test_render_writes_the_canonical_text() -> None:
    assert render_text(parse_template(FULL)) == (
        "tp 50:30 100:30 sl 25 trail 20 from 30 time 1d dcain -20:0.1 dcaout 6h:25"
    )
    assert format_duration(5_400) == "1h30m" and format_duration(90_061) == "1d1h1m1s"


# ---- round trip ---------------------------------------------------------------------------------

_durations = st.integers(1, 365 * 86_400)
_shares = st.integers(1, 2_500)  # at most 4 take profits + DCA-out of 25 %: never over 100 %


@st.composite
def templates(draw: st.DrawFn) -> OrderTemplate:
    gains = draw(st.lists(st.integers(1, 1_000_000), max_size=3, unique=True))
    trail = draw(st.none() | st.integers(1, BPS - 1))
    drops = st.tuples(st.integers(1, BPS - 1), st.integers(1, 10**15))
    dca_in = draw(st.lists(drops, max_size=2))
    dca_out = draw(st.lists(st.tuples(_durations, _shares), max_size=1))
    stop = draw(st.none() | st.integers(1, BPS - 1))
    if not gains and trail is None and not dca_in and not dca_out:
        stop = stop or 1  # a template needs one order
    return OrderTemplate(
        take_profits=tuple(TakeProfit(g, draw(_shares)) for g in gains),
        stop_loss_bps=stop,
        trailing_bps=trail,
        trailing_activation_bps=(
            draw(st.none() | st.integers(0, 1_000_000)) if trail is not None else None
        ),
        time_exit_s=draw(st.none() | _durations),
        dca_in=tuple(DcaIn(d, q) for d, q in dca_in),
        dca_out=tuple(DcaOut(a, s) for a, s in dca_out),
    )


@given(templates())
def test_parse_of_render_gives_the_same_template(template: OrderTemplate) -> None:
    assert parse_template(render_text(template)) == template
