"""The live feed: one short line per notable event (new mint, big trade, curve complete, pool).

Pure: records in, ``FeedItem`` out; rendering to text is a separate function so a bot can render
the same items its own way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

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


_LABEL = {
    FeedKind.NEW_MINT: "NEW  ",
    FeedKind.BIG_TRADE: "TRADE",
    FeedKind.CURVE_COMPLETE: "DONE ",
    FeedKind.NEW_POOL: "POOL ",
}


def render_line(item: FeedItem) -> str:
    clock = time.strftime("%H:%M:%S", time.gmtime(item.at)) if item.at else "--:--:--"
    return f"{clock} {_LABEL[item.kind]} {item.text}"
