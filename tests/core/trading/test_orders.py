"""Trigger evaluation against hand-computed ladders, stops, trailing peaks and time exits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import UserInputError
from core.trading.orders import (
    EXIT_GROUP,
    AmountBasis,
    DcaIn,
    DcaOut,
    Leg,
    LegKind,
    OrderTemplate,
    Price,
    TakeProfit,
    evaluate,
    legs_of,
)
from core.trading.trade_types import Side

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ENTRY = Price(1_000_000_000, 1_000_000)  # 1 SOL for 1,000,000 raw units: 1,000 lamports/unit
HELD = 1_000_000


def at(ratio: str) -> Price:
    """The entry price times ``ratio`` (exact)."""
    r = Fraction(ratio)
    return Price(ENTRY.lamports * r.numerator, ENTRY.tokens_raw * r.denominator)


def legs(template: OrderTemplate, now: datetime = T0) -> list[Leg]:
    return [
        Leg(
            id=i,
            kind=spec.kind,
            side=spec.side,
            ref=ENTRY,
            threshold_bps=spec.threshold_bps,
            amount_basis=spec.amount_basis,
            amount=spec.amount,
            base_tokens_raw=HELD,
            activation_bps=spec.activation_bps,
            due_at=spec.due_at,
            oco_group=spec.oco_group,
        )
        for i, spec in enumerate(legs_of(template, now), start=1)
    ]


LADDER = OrderTemplate(take_profits=(TakeProfit(5_000, 3_000), TakeProfit(10_000, 3_000)))


def test_take_profit_ladder_fires_exactly_at_plus_50_and_plus_100_percent() -> None:
    ladder = legs(LADDER)
    assert evaluate(ladder, HELD, at("1.4999"), T0).trigger is None
    first = evaluate(ladder, HELD, at("1.5"), T0).trigger
    assert first is not None and first.leg.threshold_bps == 5_000
    assert first.amount_raw == 300_000  # 30 % of the 1,000,000 held when attached

    rest = [leg for leg in ladder if leg.id != first.leg.id]  # TP1 done: 700,000 left
    assert evaluate(rest, 700_000, at("1.9999"), T0).trigger is None
    second = evaluate(rest, 700_000, at("2"), T0).trigger
    assert second is not None and second.leg.threshold_bps == 10_000
    assert second.amount_raw == 300_000  # 30 % of the initial holding, not of what is left


def test_a_jump_past_two_rungs_fires_the_lower_rung_first() -> None:
    trigger = evaluate(legs(LADDER), HELD, at("3"), T0).trigger
    assert trigger is not None and trigger.leg.threshold_bps == 5_000


def test_a_take_profit_never_sells_more_than_is_held() -> None:
    template = OrderTemplate(take_profits=(TakeProfit(5_000, 8_000),))
    trigger = evaluate(legs(template), 250_000, at("1.5"), T0).trigger
    assert trigger is not None and trigger.amount_raw == 250_000


def test_stop_loss_fires_at_exactly_minus_30_percent_and_sells_everything_held() -> None:
    stop = legs(OrderTemplate(stop_loss_bps=3_000))
    assert evaluate(stop, 700_000, at("0.7001"), T0).trigger is None
    trigger = evaluate(stop, 700_000, at("0.7"), T0).trigger
    assert trigger is not None and trigger.leg.kind is LegKind.STOP_LOSS
    assert trigger.amount_raw == 700_000
    assert trigger.leg.oco_group == EXIT_GROUP


def test_trailing_stop_tracks_the_peak_and_fires_20_percent_below_it() -> None:
    (trail,) = legs(OrderTemplate(trailing_bps=2_000))
    first = evaluate([trail], HELD, at("1.3"), T0)
    assert first.trigger is None and first.peaks == {trail.id: at("1.3")}
    trail = replace(trail, peak=first.peaks[trail.id])
    later = evaluate([trail], HELD, at("1.1"), T0)  # 1.1 / 1.3 = 0.846: above 0.8
    assert later.trigger is None and later.peaks == {}  # the peak stays 1.3
    assert evaluate([trail], HELD, at("1.0401"), T0).trigger is None
    trigger = evaluate([trail], HELD, at("1.04"), T0).trigger  # 1.04 = 1.3 * 0.8
    assert trigger is not None and trigger.amount_raw == HELD


def test_trailing_stop_with_activation_waits_for_the_gain_before_trailing() -> None:
    (trail,) = legs(OrderTemplate(trailing_bps=2_000, trailing_activation_bps=2_000))
    trail = replace(trail, peak=at("1.1"))  # peaked at +10 %: not active (needs +20 %)
    assert evaluate([trail], HELD, at("0.85"), T0).trigger is None
    trail = replace(trail, peak=at("1.2"))
    trigger = evaluate([trail], HELD, at("0.96"), T0).trigger  # 1.2 * 0.8
    assert trigger is not None and trigger.leg.kind is LegKind.TRAILING_STOP


def test_time_exit_fires_once_due_even_without_a_price() -> None:
    exit_legs = legs(OrderTemplate(time_exit_s=3_600))
    assert evaluate(exit_legs, HELD, None, T0 + timedelta(seconds=3_599)).trigger is None
    trigger = evaluate(exit_legs, HELD, None, T0 + timedelta(seconds=3_600)).trigger
    assert trigger is not None and trigger.leg.kind is LegKind.TIME_EXIT
    assert trigger.amount_raw == HELD and trigger.price is None


def test_without_a_price_only_time_orders_can_fire() -> None:
    both = legs(OrderTemplate(stop_loss_bps=1_000, take_profits=(TakeProfit(100, 5_000),)))
    assert evaluate(both, HELD, None, T0 + timedelta(days=30)).trigger is None


def test_dca_in_buys_lamports_on_the_dip_and_dca_out_sells_a_slice_when_due() -> None:
    template = OrderTemplate(dca_in=(DcaIn(2_500, 200_000_000),), dca_out=(DcaOut(600, 2_000),))
    dca = legs(template)
    assert evaluate(dca, HELD, at("0.76"), T0).trigger is None
    buy = evaluate(dca, HELD, at("0.75"), T0).trigger
    assert buy is not None and buy.leg.side is Side.BUY and buy.amount_raw == 200_000_000
    sell = evaluate(dca, HELD, at("1"), T0 + timedelta(seconds=600)).trigger
    assert sell is not None and sell.leg.kind is LegKind.DCA_OUT and sell.amount_raw == 200_000


def test_a_full_exit_outranks_a_take_profit_firing_at_the_same_time() -> None:
    both = legs(OrderTemplate(take_profits=(TakeProfit(5_000, 3_000),), trailing_bps=2_000))
    both = [
        replace(leg, peak=at("2")) if leg.kind is LegKind.TRAILING_STOP else leg for leg in both
    ]
    trigger = evaluate(both, HELD, at("1.55"), T0).trigger  # +55 % but 22.5 % below the peak
    assert trigger is not None and trigger.leg.kind is LegKind.TRAILING_STOP


def test_a_sell_with_nothing_held_does_not_fire() -> None:
    assert evaluate(legs(OrderTemplate(stop_loss_bps=1_000)), 0, at("0.5"), T0).trigger is None


def test_full_exits_share_the_oco_group_and_take_profits_do_not() -> None:
    template = OrderTemplate(
        take_profits=(TakeProfit(5_000, 3_000),),
        stop_loss_bps=3_000,
        trailing_bps=2_000,
        time_exit_s=86_400,
    )
    groups = {spec.kind: spec.oco_group for spec in legs_of(template, T0)}
    assert groups == {
        LegKind.TAKE_PROFIT: None,
        LegKind.STOP_LOSS: EXIT_GROUP,
        LegKind.TRAILING_STOP: EXIT_GROUP,
        LegKind.TIME_EXIT: EXIT_GROUP,
    }


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            lambda: OrderTemplate(
                take_profits=(TakeProfit(5_000, 6_000), TakeProfit(9_000, 5_000))
            ),
            "110 %",
        ),
        (lambda: OrderTemplate(stop_loss_bps=10_000), "stop loss"),
        (lambda: OrderTemplate(trailing_activation_bps=100), "needs a trailing stop"),
        (lambda: OrderTemplate(), "no order"),
        (lambda: OrderTemplate(take_profits=(TakeProfit(0, 1_000),)), "take profit gain"),
    ],
)
def test_invalid_templates_say_what_is_wrong(template: object, message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        template()  # type: ignore[operator]


def test_a_template_survives_its_dict_form() -> None:
    template = OrderTemplate(
        take_profits=(TakeProfit(5_000, 3_000), TakeProfit(10_000, 3_000)),
        stop_loss_bps=3_000,
        trailing_bps=2_000,
        trailing_activation_bps=1_000,
        time_exit_s=86_400,
        dca_in=(DcaIn(2_000, 100_000_000),),
        dca_out=(DcaOut(3_600, 1_000),),
    )
    assert OrderTemplate.from_dict(template.to_dict()) == template


@given(
    gain_bps=st.integers(1, 100_000),
    sell_bps=st.integers(1, 10_000),
    num=st.integers(1, 10**12),
    den=st.integers(1, 10**12),
    held=st.integers(0, 10**15),
)
def test_a_take_profit_fires_exactly_when_the_exact_ratio_reaches_its_level(
    gain_bps: int, sell_bps: int, num: int, den: int, held: int
) -> None:
    leg = Leg(1, LegKind.TAKE_PROFIT, Side.SELL, ENTRY, gain_bps, AmountBasis.BASE, sell_bps, HELD)
    price = Price(num, den)
    trigger = evaluate([leg], held, price, T0).trigger
    ratio = Fraction(num, den) / Fraction(ENTRY.lamports, ENTRY.tokens_raw)
    amount = min(held, HELD * sell_bps // 10_000)
    assert (trigger is not None) == (ratio >= 1 + Fraction(gain_bps, 10_000) and amount > 0)
    if trigger is not None:
        assert 0 < trigger.amount_raw <= held


@given(
    trail_bps=st.integers(1, 9_999),
    prices=st.lists(st.integers(1, 10**6), min_size=1, max_size=30),
)
def test_a_trailing_stop_fires_only_below_the_highest_price_seen(
    trail_bps: int, prices: list[int]
) -> None:
    leg = Leg(
        1, LegKind.TRAILING_STOP, Side.SELL, ENTRY, trail_bps, AmountBasis.HELD, 10_000, HELD
    )
    peak = Fraction(ENTRY.lamports, ENTRY.tokens_raw)
    for lamports_per_1000 in prices:
        price = Price(lamports_per_1000, 1)
        evaluation = evaluate([leg], HELD, price, T0)
        value = Fraction(lamports_per_1000)
        peak = max(peak, value)
        expected = value <= peak * (1 - Fraction(trail_bps, 10_000))
        assert (evaluation.trigger is not None) == expected
        if leg.id in evaluation.peaks:
            leg = replace(leg, peak=evaluation.peaks[leg.id])
        if expected:
            break
