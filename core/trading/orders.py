"""Exit and scaling orders of a position, and when they fire. Pure: data and a clock in, data out.

A user attaches an ``OrderTemplate`` to an open position (``legs_of``); each part becomes one
stored order ("leg"), priced against the position's average entry price at that moment (its
``ref``, a ``Price``):

- take profit ``+gain % -> sell x %``: fires when the price is at least ``ref * (1 + gain)``;
  sells ``x %`` of the tokens held when the template was attached (``base``), at most what is
  held now. Several make a ladder (``+50 % sell 30 %, +100 % sell 30 %``).
- stop loss ``-loss %``: fires when the price is at most ``ref * (1 - loss)``; sells everything.
- trailing stop ``trail %`` (optionally only once the price reached ``+activation %``): tracks the
  highest price seen since it was attached (``peak``, starting at ``ref``) and fires when the
  price falls ``trail %`` below that peak; sells everything.
- time exit ``after s``: fires once ``due_at`` has passed; sells everything.
- DCA in ``-drop % -> buy q lamports``: buys more when the price is ``drop %`` below ``ref``.
- DCA out ``after s -> sell x %``: sells ``x %`` of ``base`` once ``due_at`` has passed.

OCO: the full exits (stop loss, trailing stop, time exit) share the group ``exit``: when one
fires, the others are cancelled in the same transaction that claims it. Any leg still armed when
the position closes is cancelled too. At most one leg of a position is in flight at a time, so
two sells never race for the same tokens, and ``evaluate`` picks one leg per position and pass:
full exits first (stop loss, trailing, time), then the lowest take profit, DCA out, DCA in.

Prices are exact fractions (``lamports`` for ``tokens_raw`` raw units); thresholds are basis
points (1 bps = 0.01 %); comparisons are integer cross-multiplications, so a hand-computed
ladder fires exactly where it says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.errors import Text, UserInputError
from core.trading.trade_types import Side

BPS = 10_000
EXIT_GROUP = "exit"
MAX_GAIN_BPS = 1_000_000  # +10,000 %
MAX_LEGS = 20


class LegKind(StrEnum):
    TAKE_PROFIT = "take_profit"
    STOP_LOSS = "stop_loss"
    TRAILING_STOP = "trailing_stop"
    TIME_EXIT = "time_exit"
    DCA_IN = "dca_in"
    DCA_OUT = "dca_out"


class OrderState(StrEnum):
    """armed -> triggered (claimed by a worker) -> sent -> done | failed; armed -> cancelled.

    ``triggered`` / ``sent`` -> ``armed`` again (next attempt) when the sell did not execute
    for a reason worth retrying (no route, slippage, the blockhash expired ...)."""

    ARMED = "armed"
    TRIGGERED = "triggered"
    SENT = "sent"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in (OrderState.DONE, OrderState.CANCELLED, OrderState.FAILED)

    @property
    def in_flight(self) -> bool:
        return self in (OrderState.TRIGGERED, OrderState.SENT)


class AmountBasis(StrEnum):
    BASE = "base"  # amount = bps of the tokens held at attach time (capped at what is held)
    HELD = "held"  # amount = bps of the tokens held when it fires
    LAMPORTS = "lamports"  # amount = lamports to spend (a buy)


_PRIORITY = {
    LegKind.STOP_LOSS: 0,
    LegKind.TRAILING_STOP: 1,
    LegKind.TIME_EXIT: 2,
    LegKind.TAKE_PROFIT: 3,
    LegKind.DCA_OUT: 4,
    LegKind.DCA_IN: 5,
}


@dataclass(frozen=True, slots=True)
class Price:
    """``lamports`` for ``tokens_raw`` raw units of the token (an exact fraction)."""

    lamports: int
    tokens_raw: int

    def __post_init__(self) -> None:
        if self.lamports <= 0 or self.tokens_raw <= 0:
            raise ValueError(
                f"a price needs positive amounts, got {self.lamports}/{self.tokens_raw}"
            )

    def value_lamports(self, tokens_raw: int) -> int:
        """What ``tokens_raw`` are worth at this price (floored)."""
        return tokens_raw * self.lamports // self.tokens_raw

    def ratio_bps(self, ref: Price) -> int:
        """This price relative to ``ref`` in bps (15_000 = 1.5x), floored; display and logs."""
        return self.lamports * ref.tokens_raw * BPS // (ref.lamports * self.tokens_raw)

    def at_least(self, ref: Price, bps_above: int) -> bool:
        """self >= ref * (1 + bps_above / 10_000)."""
        return self.lamports * ref.tokens_raw * BPS >= ref.lamports * self.tokens_raw * (
            BPS + bps_above
        )

    def at_most(self, ref: Price, bps_below: int) -> bool:
        """self <= ref * (1 - bps_below / 10_000)."""
        return self.lamports * ref.tokens_raw * BPS <= ref.lamports * self.tokens_raw * (
            BPS - bps_below
        )

    def above(self, other: Price) -> bool:
        return self.lamports * other.tokens_raw > other.lamports * self.tokens_raw

    def sol_per_token(self, decimals: int) -> float:
        """SOL per whole token (display only)."""
        return (self.lamports / 1e9) / (self.tokens_raw / 10**decimals)


# ---- templates ---------------------------------------------------------------------------------


def _bps(name: Text, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UserInputError(
            "{name} must be a whole number of basis points from {low} to {high} "
            "(100 bps = 1 %), got {value}",
            name=name,
            low=low,
            high=high,
            value=repr(value),
        )
    return value


def _positive(name: Text, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise UserInputError(
            "{name} must be a positive whole number, got {value}", name=name, value=repr(value)
        )
    return value


@dataclass(frozen=True, slots=True)
class TakeProfit:
    gain_bps: int  # +5_000 = +50 % over the entry price
    sell_bps: int  # 3_000 = sell 30 % of the tokens held when attached

    def __post_init__(self) -> None:
        _bps(Text("take profit gain"), self.gain_bps, 1, MAX_GAIN_BPS)
        _bps(Text("take profit sell share"), self.sell_bps, 1, BPS)


@dataclass(frozen=True, slots=True)
class DcaIn:
    drop_bps: int  # buy when the price is this far below the entry
    buy_lamports: int

    def __post_init__(self) -> None:
        _bps(Text("DCA-in drop"), self.drop_bps, 1, BPS - 1)
        _positive(Text("DCA-in amount (lamports)"), self.buy_lamports)


@dataclass(frozen=True, slots=True)
class DcaOut:
    after_s: int  # sell this long after the template was attached
    sell_bps: int

    def __post_init__(self) -> None:
        _positive(Text("DCA-out delay (seconds)"), self.after_s)
        _bps(Text("DCA-out sell share"), self.sell_bps, 1, BPS)


@dataclass(frozen=True, slots=True)
class OrderTemplate:
    """A TP/SL template. Validated on construction (``UserInputError`` names the field)."""

    take_profits: tuple[TakeProfit, ...] = ()
    stop_loss_bps: int | None = None  # 3_000 = sell everything at -30 %
    trailing_bps: int | None = None  # 2_000 = sell everything 20 % below the peak
    trailing_activation_bps: int | None = None  # trail only once the price reached +x %
    time_exit_s: int | None = None  # sell everything this long after attaching
    dca_in: tuple[DcaIn, ...] = ()
    dca_out: tuple[DcaOut, ...] = ()

    def __post_init__(self) -> None:
        if self.stop_loss_bps is not None:
            _bps(Text("stop loss"), self.stop_loss_bps, 1, BPS - 1)
        if self.trailing_bps is not None:
            _bps(Text("trailing stop"), self.trailing_bps, 1, BPS - 1)
        if self.trailing_activation_bps is not None:
            if self.trailing_bps is None:
                raise UserInputError("trailing activation needs a trailing stop")
            _bps(Text("trailing activation"), self.trailing_activation_bps, 0, MAX_GAIN_BPS)
        if self.time_exit_s is not None:
            _positive(Text("time exit (seconds)"), self.time_exit_s)
        gains = [tp.gain_bps for tp in self.take_profits]
        if len(set(gains)) != len(gains):
            raise UserInputError("two take profits at the same gain: merge them")
        scaled = sum(tp.sell_bps for tp in self.take_profits) + sum(
            d.sell_bps for d in self.dca_out
        )
        if scaled > BPS:
            raise UserInputError(
                "take profits and DCA-out sell {pct} % of the position in total; at most 100 %",
                pct=f"{scaled / 100:g}",
            )
        count = (
            len(self.take_profits)
            + len(self.dca_in)
            + len(self.dca_out)
            + sum(x is not None for x in (self.stop_loss_bps, self.trailing_bps, self.time_exit_s))
        )
        if count == 0:
            raise UserInputError("the template has no order: add a take profit or a stop")
        if count > MAX_LEGS:
            raise UserInputError(
                "at most {max} orders per position, got {count}", max=MAX_LEGS, count=count
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "take_profits": [[tp.gain_bps, tp.sell_bps] for tp in self.take_profits],
            "stop_loss_bps": self.stop_loss_bps,
            "trailing_bps": self.trailing_bps,
            "trailing_activation_bps": self.trailing_activation_bps,
            "time_exit_s": self.time_exit_s,
            "dca_in": [[d.drop_bps, d.buy_lamports] for d in self.dca_in],
            "dca_out": [[d.after_s, d.sell_bps] for d in self.dca_out],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OrderTemplate:
        """The template of ``to_dict``; a malformed one is a ``UserInputError``."""
        try:
            return cls(
                take_profits=tuple(TakeProfit(g, s) for g, s in data.get("take_profits") or ()),
                stop_loss_bps=data.get("stop_loss_bps"),
                trailing_bps=data.get("trailing_bps"),
                trailing_activation_bps=data.get("trailing_activation_bps"),
                time_exit_s=data.get("time_exit_s"),
                dca_in=tuple(DcaIn(d, q) for d, q in data.get("dca_in") or ()),
                dca_out=tuple(DcaOut(a, s) for a, s in data.get("dca_out") or ()),
            )
        except (TypeError, ValueError) as exc:
            raise UserInputError("malformed order template: {error}", error=str(exc)) from None


@dataclass(frozen=True, slots=True)
class LegSpec:
    """One order to store for a position (see ``legs_of``)."""

    kind: LegKind
    side: Side
    threshold_bps: int
    amount_basis: AmountBasis
    amount: int
    activation_bps: int | None = None
    due_at: datetime | None = None
    oco_group: str | None = None


def legs_of(template: OrderTemplate, now: datetime) -> list[LegSpec]:
    """The orders a template makes, attached at ``now``."""
    sell, held = Side.SELL, AmountBasis.HELD
    legs = [
        LegSpec(LegKind.TAKE_PROFIT, sell, tp.gain_bps, AmountBasis.BASE, tp.sell_bps)
        for tp in sorted(template.take_profits, key=lambda tp: tp.gain_bps)
    ]
    if template.stop_loss_bps is not None:
        legs.append(
            LegSpec(
                LegKind.STOP_LOSS, sell, template.stop_loss_bps, held, BPS, oco_group=EXIT_GROUP
            )
        )
    if template.trailing_bps is not None:
        legs.append(
            LegSpec(
                LegKind.TRAILING_STOP,
                sell,
                template.trailing_bps,
                held,
                BPS,
                activation_bps=template.trailing_activation_bps,
                oco_group=EXIT_GROUP,
            )
        )
    if template.time_exit_s is not None:
        legs.append(
            LegSpec(
                LegKind.TIME_EXIT,
                sell,
                0,
                held,
                BPS,
                due_at=now + timedelta(seconds=template.time_exit_s),
                oco_group=EXIT_GROUP,
            )
        )
    legs += [
        LegSpec(
            LegKind.DCA_OUT,
            sell,
            0,
            AmountBasis.BASE,
            d.sell_bps,
            due_at=now + timedelta(seconds=d.after_s),
        )
        for d in sorted(template.dca_out, key=lambda d: d.after_s)
    ]
    legs += [
        LegSpec(LegKind.DCA_IN, Side.BUY, d.drop_bps, AmountBasis.LAMPORTS, d.buy_lamports)
        for d in sorted(template.dca_in, key=lambda d: d.drop_bps)
    ]
    return legs


# ---- evaluation --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leg:
    """An armed order as the evaluation sees it."""

    id: int
    kind: LegKind
    side: Side
    ref: Price  # the position's average entry price when attached
    threshold_bps: int
    amount_basis: AmountBasis
    amount: int
    base_tokens_raw: int  # tokens held when attached
    activation_bps: int | None = None
    due_at: datetime | None = None
    peak: Price | None = None  # trailing stop: the highest price seen (None: ref)
    oco_group: str | None = None


@dataclass(frozen=True, slots=True)
class Trigger:
    leg: Leg
    amount_raw: int  # raw tokens to sell, or lamports to buy
    price: Price | None
    why: str  # e.g. "price 1.5234x entry >= 1.5x (take profit +50 %)"


@dataclass(frozen=True, slots=True)
class Evaluation:
    trigger: Trigger | None
    peaks: Mapping[int, Price] = field(default_factory=dict)  # trailing legs whose peak rose


def amount_of(leg: Leg, held_tokens_raw: int) -> int:
    if leg.amount_basis is AmountBasis.LAMPORTS:
        return leg.amount
    if leg.amount_basis is AmountBasis.HELD:
        return held_tokens_raw * leg.amount // BPS
    return min(held_tokens_raw, leg.base_tokens_raw * leg.amount // BPS)


def _x(bps: int) -> str:
    return f"{bps / BPS:g}x"


def _fires(leg: Leg, price: Price | None, peak: Price | None, now: datetime) -> str | None:
    """Why ``leg`` fires now, or None."""
    kind = leg.kind
    if kind in (LegKind.TIME_EXIT, LegKind.DCA_OUT):
        if leg.due_at is not None and now >= leg.due_at:
            return f"{kind.value.replace('_', ' ')} due at {leg.due_at.isoformat()}"
        return None
    if price is None:
        return None
    ratio = _x(price.ratio_bps(leg.ref))
    if kind is LegKind.TAKE_PROFIT and price.at_least(leg.ref, leg.threshold_bps):
        return f"price {ratio} entry >= {_x(BPS + leg.threshold_bps)} (take profit)"
    if kind is LegKind.STOP_LOSS and price.at_most(leg.ref, leg.threshold_bps):
        return f"price {ratio} entry <= {_x(BPS - leg.threshold_bps)} (stop loss)"
    if kind is LegKind.DCA_IN and price.at_most(leg.ref, leg.threshold_bps):
        return f"price {ratio} entry <= {_x(BPS - leg.threshold_bps)} (DCA in)"
    if kind is LegKind.TRAILING_STOP:
        top = peak or leg.ref
        if leg.activation_bps is not None and not top.at_least(leg.ref, leg.activation_bps):
            return None
        if price.at_most(top, leg.threshold_bps):
            return (
                f"price {_x(price.ratio_bps(top))} of the peak ({_x(top.ratio_bps(leg.ref))} "
                f"entry) <= {_x(BPS - leg.threshold_bps)} (trailing stop)"
            )
    return None


def _rank(leg: Leg) -> tuple[int, int, float, int]:
    due = leg.due_at.timestamp() if leg.due_at is not None else 0.0
    return (_PRIORITY[leg.kind], leg.threshold_bps, due, leg.id)


def evaluate(
    legs: Sequence[Leg], held_tokens_raw: int, price: Price | None, now: datetime
) -> Evaluation:
    """The armed ``legs`` of one position at ``price`` (None: unknown; only time legs can fire)
    and ``now``: which one leg fires (the highest priority, see the module docstring) and the
    trailing peaks that rose. A sell that would sell nothing does not fire."""
    peaks: dict[int, Price] = {}
    candidates: list[tuple[tuple[int, int, float, int], Trigger]] = []
    for leg in legs:
        peak = leg.peak
        if (
            leg.kind is LegKind.TRAILING_STOP
            and price is not None
            and price.above(peak or leg.ref)
        ):
            peak = price
            peaks[leg.id] = price
        why = _fires(leg, price, peak, now)
        if why is None:
            continue
        amount = amount_of(leg, held_tokens_raw)
        if amount <= 0:
            continue
        candidates.append((_rank(leg), Trigger(leg, amount, price, why)))
    if not candidates:
        return Evaluation(None, peaks)
    return Evaluation(min(candidates, key=lambda c: c[0])[1], peaks)


def trade_key(order_id: int, attempt: int) -> str:
    """The idempotency key of an order's trade: one per order and attempt, so any number of
    executions of a triggered order make at most one trade."""
    return f"order-{order_id}-{attempt}"
