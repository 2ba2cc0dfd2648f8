"""Swap routes: how a trade is quoted and turned into a transaction to sign.

A route is anything with ``quote`` and ``build`` (``SwapRoute``). ``JupiterRoute`` is the
default: Jupiter's quote, then Jupiter's swap transaction (dynamic compute unit limit, our
priority fee). The Pump.fun bonding-curve route lives in ``pump_curve_route``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from solders.transaction import VersionedTransaction

from core.programs import WSOL_MINT
from core.trading.jupiter_client import JupiterClient
from core.trading.jupiter_types import Quote
from core.trading.trade_types import Side


@dataclass(frozen=True, slots=True)
class RouteQuote:
    route: str
    side: Side
    mint: str
    in_amount_raw: int  # lamports (buy) or raw tokens (sell)
    out_amount_raw: int  # expected, before slippage
    min_out_raw: int  # the least the transaction accepts
    price_impact_pct: float
    slippage_bps: int
    labels: tuple[str, ...] = ()
    raw: Any = None  # the route's own quote object (Jupiter's ``Quote``)


@dataclass(frozen=True, slots=True)
class BuiltSwap:
    """A transaction for the wallet to sign (possibly already signed by others, e.g. an RFQ
    maker or a pool in tests) and the last block height its blockhash is valid at."""

    transaction: VersionedTransaction
    last_valid_block_height: int


def jupiter_route_quote(
    route: str, side: Side, mint: str, quote: Quote, slippage_bps: int
) -> RouteQuote:
    """A Jupiter quote (v1 ``/quote`` or v2 ``/order``) as a ``RouteQuote`` of ``route``."""
    return RouteQuote(
        route=route,
        side=side,
        mint=mint,
        in_amount_raw=quote.in_amount_raw,
        out_amount_raw=quote.out_amount_raw,
        min_out_raw=quote.other_amount_threshold_raw,
        price_impact_pct=quote.price_impact_pct,
        slippage_bps=quote.slippage_bps or slippage_bps,
        labels=quote.route_labels,
        raw=quote,
    )


class SwapRoute(Protocol):
    name: str

    async def quote(
        self, side: Side, mint: str, amount_raw: int, *, slippage_bps: int
    ) -> RouteQuote: ...

    async def build(
        self, quote: RouteQuote, wallet: str, *, priority_fee_micro_lamports_per_cu: int
    ) -> BuiltSwap: ...


class JupiterRoute:
    """Jupiter's swap API (see ``jupiter_client`` for the API generation used)."""

    name = "jupiter"

    def __init__(self, client: JupiterClient) -> None:
        self._client = client

    async def quote(
        self, side: Side, mint: str, amount_raw: int, *, slippage_bps: int
    ) -> RouteQuote:
        input_mint, output_mint = (WSOL_MINT, mint) if side is Side.BUY else (mint, WSOL_MINT)
        quote = await self._client.quote(
            input_mint, output_mint, amount_raw, slippage_bps=slippage_bps
        )
        return jupiter_route_quote(self.name, side, mint, quote, slippage_bps)

    async def build(
        self, quote: RouteQuote, wallet: str, *, priority_fee_micro_lamports_per_cu: int
    ) -> BuiltSwap:
        if not isinstance(quote.raw, Quote):
            raise TypeError("JupiterRoute builds only its own quotes")
        swap = await self._client.swap_transaction(
            quote.raw,
            wallet,
            priority_fee_micro_lamports_per_cu=priority_fee_micro_lamports_per_cu,
            dynamic_compute_unit_limit=True,
        )
        return BuiltSwap(swap.transaction(), swap.last_valid_block_height)
