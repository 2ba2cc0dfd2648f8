"""The live feed: one short line per notable event (new mint, big trade, curve complete, pool).

Pure: records in, ``FeedItem`` out; rendering to text is a separate function so a bot can render
the same items its own way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from core.market import curve
from core.programs import LAMPORTS_PER_SOL
from core.storage.records import CurveCompleteRecord, MintRecord, PoolRecord, Record, TradeRecord


class FeedKind(StrEnum):
    NEW_MINT = "new_mint"
    BIG_TRADE = "big_trade"
    CURVE_COMPLETE = "curve_complete"
    NEW_POOL = "new_pool"


@dataclass(frozen=True, slots=True)
class FeedItem:
    kind: FeedKind
    at: int  # unix s
    mint: str
    text: str  # the human part, without time and kind
    market_cap_sol: float | None = None  # after the event, when the curve reserves give it


def short(address: str) -> str:
    return f"{address[:4]}…{address[-4:]}" if len(address) > 10 else address


def sol(lamports: int) -> str:
    return f"{lamports / LAMPORTS_PER_SOL:,.2f} SOL"


def feed_items(records: list[Record], *, big_trade_lamports: int) -> list[FeedItem]:
    items: list[FeedItem] = []
    for rec in records:
        if isinstance(rec, TradeRecord):
            if rec.sol_lamports >= big_trade_lamports:
                side = "BUY " if rec.is_buy else "SELL"
                items.append(
                    FeedItem(
                        FeedKind.BIG_TRADE,
                        rec.block_time or 0,
                        rec.mint,
                        f"{side} {sol(rec.sol_lamports)} of {short(rec.mint)} "
                        f"by {short(rec.trader)} @ {rec.price_sol:.10f} SOL",
                        _curve_market_cap_sol(rec),
                    )
                )
        elif isinstance(rec, MintRecord):
            items.append(
                FeedItem(
                    FeedKind.NEW_MINT,
                    rec.created_at,
                    rec.mint,
                    f"{rec.symbol} ({rec.name}) {short(rec.mint)} by {short(rec.creator)}",
                )
            )
        elif isinstance(rec, CurveCompleteRecord):
            items.append(
                FeedItem(FeedKind.CURVE_COMPLETE, rec.completed_at, rec.mint, short(rec.mint))
            )
        elif isinstance(rec, PoolRecord):
            items.append(
                FeedItem(
                    FeedKind.NEW_POOL,
                    rec.created_at or 0,
                    rec.base_mint,
                    f"{short(rec.base_mint)} pool {short(rec.pool)} ({rec.program.value})",
                )
            )
    return items


def _curve_market_cap_sol(rec: TradeRecord) -> float | None:
    vsol, vtok = rec.virtual_sol_reserves, rec.virtual_token_reserves
    if vsol and vtok and vsol > 0 and vtok > 0:
        return curve.market_cap_sol(vsol, vtok)
    return None


def compact_usd(value: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= div:
            return f"{value / div:.1f}{suffix} USD"
    return f"{value:.0f} USD"


_LABEL = {
    FeedKind.NEW_MINT: "NEW  ",
    FeedKind.BIG_TRADE: "TRADE",
    FeedKind.CURVE_COMPLETE: "DONE ",
    FeedKind.NEW_POOL: "POOL ",
}


def render_line(item: FeedItem, sol_usd: float | None = None) -> str:
    clock = time.strftime("%H:%M:%S", time.gmtime(item.at)) if item.at else "--:--:--"
    line = f"{clock} {_LABEL[item.kind]} {item.text}"
    if item.market_cap_sol is not None and sol_usd:
        line += f" · MC {compact_usd(item.market_cap_sol * sol_usd)}"
    return line
