"""Plain records handed from ingestion to storage on the hot path (no ORM objects per event).

Money is integer lamports / raw token units. Times are unix seconds (int) as the chain gives them.
The storage writer maps each record type to one table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from core.programs import Program

_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One decoded buy or sell. Reserves are the curve's / pool's *after* the trade."""

    signature: str
    event_index: int  # position of the event in its transaction; (signature, event_index) unique
    slot: int
    block_time: int | None
    program: Program
    mint: str
    trader: str
    is_buy: bool
    sol_lamports: int  # SOL paid (buy) or received (sell), as in the event
    token_amount_raw: int
    price_sol: float  # SOL per whole token after the trade (statistics / display only)
    virtual_sol_reserves: int | None = None
    virtual_token_reserves: int | None = None
    real_sol_reserves: int | None = None
    real_token_reserves: int | None = None
    pool: str | None = None  # AMM pool, None while on the bonding curve


def _fast_constructor(cls: type[_R]) -> Callable[..., _R]:
    """A constructor of the frozen slots dataclass ``cls``: same arguments, an equal ``cls``.

    A frozen dataclass's ``__init__`` stores each field through ``object.__setattr__`` (about
    0.1 us a field, 1.5 us for a ``TradeRecord``). This one fills an unfrozen twin (the same
    fields, hence the same slots and memory layout) with plain stores, then makes it a ``cls``
    (``__class__`` assignment, allowed between identical layouts): about 3x faster. The result
    is a ``cls`` in every respect: frozen, same equality and hash.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if not all(f.init and f.default_factory is dataclasses.MISSING for f in fields):
        raise TypeError(f"{cls.__name__}: only plain fields are supported")
    twin = dataclasses.make_dataclass(
        f"_{cls.__name__}Twin",
        [
            (f.name, f.type)
            if f.default is dataclasses.MISSING
            else (f.name, f.type, dataclasses.field(default=f.default))
            for f in fields
        ],
        slots=True,
    )
    set_class = object.__setattr__

    def construct(*args: Any) -> _R:
        obj = twin(*args)
        set_class(obj, "__class__", cls)
        return obj

    construct.__doc__ = f"``{cls.__name__}(*args)`` (positional arguments only), faster."
    return construct


new_trade_record: Callable[..., TradeRecord] = _fast_constructor(TradeRecord)
"""``TradeRecord(*args)`` for the ingestion hot path: positional arguments in field order."""


@dataclass(frozen=True, slots=True)
class MintRecord:
    """A token launch (Pump.fun CreateEvent)."""

    mint: str
    name: str
    symbol: str
    uri: str
    creator: str
    bonding_curve: str
    created_at: int  # unix s
    slot: int
    signature: str
    decimals: int = 6
    supply_raw: int | None = None
    token_program: str | None = None


@dataclass(frozen=True, slots=True)
class CurveCompleteRecord:
    """A bonding curve reached 100 % (Pump.fun CompleteEvent)."""

    mint: str
    bonding_curve: str
    completed_at: int
    slot: int
    signature: str


@dataclass(frozen=True, slots=True)
class PoolRecord:
    """An AMM pool (PumpSwap CreatePoolEvent, or resolved from chain)."""

    pool: str
    program: Program
    base_mint: str
    quote_mint: str
    created_at: int | None
    slot: int | None
    signature: str | None
    creator: str | None = None
    lp_mint: str | None = None
    base_reserve_raw: int | None = None
    quote_reserve_raw: int | None = None


@dataclass(frozen=True, slots=True)
class TickRecord:
    """One closed OHLCV candle of a mint: ``interval_s`` (1 or 60) from ``bucket_start``."""

    mint: str
    interval_s: int
    bucket_start: int  # unix s, multiple of interval_s
    open_price_sol: float
    high_price_sol: float
    low_price_sol: float
    close_price_sol: float
    volume_lamports: int
    buys: int
    sells: int
    net_flow_lamports: int  # SOL bought minus SOL sold


Record = TradeRecord | MintRecord | CurveCompleteRecord | PoolRecord | TickRecord
