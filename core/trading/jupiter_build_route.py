"""``JupiterBuildRoute``: trades through Jupiter's Swap API V2 Router path, assembled by us.

    quote: GET /swap/v2/order without a taker (a quote; Metis only, as /build routes)
    build: GET /swap/v2/build for the wallet -> our v0 transaction:
           SetComputeUnitLimit (simulated) + SetComputeUnitPrice (our bid) + Jupiter's setup,
           swap, cleanup and other instructions, Jupiter's lookup tables and blockhash

Why this path: ``/build`` returns raw instructions to be sent "via your own RPC", which keeps the
executor's own simulate / send / confirm / rebroadcast and its exactly-once bookkeeping. The
meta-aggregator's ``/execute`` lands transactions itself (and RFQ routes need a market maker's
co-signature), so it is not used.

The floor the user was shown stays the floor: the quote's ``min_out_raw`` is the least the
transaction may accept. ``/build`` quotes again, so when the price moved between the two calls
its floor (its ``otherAmountThreshold``) can be lower; then, if its expected output still
reaches the quote's floor, ``/build`` is asked once more with the slippage that keeps that floor,
otherwise the build fails as ``SLIPPAGE_TOLERANCE_EXCEEDED`` (nothing is signed).

Dynamic compute unit limit, done by us: the transaction is first simulated (no signature check,
``replaceRecentBlockhash``) with the 1.4M-unit maximum; the limit is then ``unitsConsumed`` x
1.15 + 5000 (``jupiter_build.compute_unit_limit_for``). A failing simulation is logged and still
sized from its ``unitsConsumed``: the executor's own simulation of the signed transaction reports
the failure with its reason (slippage, funds...), before anything is sent.
"""

from __future__ import annotations

import base64

import structlog
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from core.chain.rpc_client import RpcClient
from core.programs import WSOL_MINT
from core.trading.jupiter_build import SwapBuild, compose_message, compute_unit_limit_for
from core.trading.jupiter_client import JupiterClient
from core.trading.jupiter_types import JupiterError, Quote
from core.trading.priority_fee import MAX_COMPUTE_UNITS
from core.trading.routes import BuiltSwap, JupiterRoute, RouteQuote, SwapRoute, jupiter_route_quote
from core.trading.trade_types import Side

log = structlog.get_logger(__name__)

SLIPPAGE_CODE = "SLIPPAGE_TOLERANCE_EXCEEDED"  # one of ``tx_errors.SLIPPAGE_CODES``
JUPITER_APIS = ("v1", "v2")


def _unsigned(message: MessageV0) -> VersionedTransaction:
    return VersionedTransaction.populate(
        message, [Signature.default()] * message.header.num_required_signatures
    )


class JupiterBuildRoute:
    """A ``SwapRoute`` over Swap API V2 ``/order`` (quote) and ``/build`` (instructions)."""

    name = "jupiter_v2"

    def __init__(
        self, client: JupiterClient, rpc: RpcClient, *, max_accounts: int | None = None
    ) -> None:
        self._client = client
        self._rpc = rpc
        self._max_accounts = max_accounts

    async def quote(
        self, side: Side, mint: str, amount_raw: int, *, slippage_bps: int
    ) -> RouteQuote:
        input_mint, output_mint = (WSOL_MINT, mint) if side is Side.BUY else (mint, WSOL_MINT)
        quote = await self._client.quote_v2(
            input_mint, output_mint, amount_raw, slippage_bps=slippage_bps
        )
        return jupiter_route_quote(self.name, side, mint, quote, slippage_bps)

    async def build(
        self, quote: RouteQuote, wallet: str, *, priority_fee_micro_lamports_per_cu: int
    ) -> BuiltSwap:
        if not isinstance(quote.raw, Quote):
            raise TypeError("JupiterBuildRoute builds only its own quotes")
        swap = await self._fetch(quote.raw, wallet, quote.slippage_bps)
        floor = quote.min_out_raw
        if swap.other_amount_threshold_raw < floor:
            if swap.out_amount_raw < floor:
                raise JupiterError(
                    f"jupiter build: the price moved past the slippage limit "
                    f"(expected {swap.out_amount_raw} < quoted minimum {floor})",
                    status=200,
                    code=SLIPPAGE_CODE,
                )
            tighter = (swap.out_amount_raw - floor) * 10_000 // swap.out_amount_raw
            log.info("jupiter_build_requote", wanted=floor, got=swap.other_amount_threshold_raw)
            swap = await self._fetch(quote.raw, wallet, tighter)
            if swap.other_amount_threshold_raw < floor:
                raise JupiterError(
                    f"jupiter build: the price moved past the slippage limit "
                    f"(minimum {swap.other_amount_threshold_raw} < quoted minimum {floor})",
                    status=200,
                    code=SLIPPAGE_CODE,
                )
        payer = Pubkey.from_string(wallet)
        price = priority_fee_micro_lamports_per_cu
        probe = compose_message(
            swap,
            payer,
            compute_unit_limit=MAX_COMPUTE_UNITS,
            compute_unit_price_micro_lamports=price,
        )
        simulation = await self._rpc.simulate_transaction(
            base64.b64encode(bytes(_unsigned(probe))).decode(),
            sig_verify=False,
            replace_recent_blockhash=True,
        )
        limit = compute_unit_limit_for(simulation.units_consumed)
        if simulation.err is not None:
            log.info("jupiter_build_simulation_failed", err=str(simulation.err), limit=limit)
        message = compose_message(
            swap, payer, compute_unit_limit=limit, compute_unit_price_micro_lamports=price
        )
        return BuiltSwap(_unsigned(message), swap.last_valid_block_height)

    async def _fetch(self, quote: Quote, wallet: str, slippage_bps: int) -> SwapBuild:
        swap = await self._client.build(
            quote.input_mint,
            quote.output_mint,
            quote.in_amount_raw,
            taker=wallet,
            slippage_bps=slippage_bps,
            max_accounts=self._max_accounts,
        )
        same = (swap.input_mint, swap.output_mint, swap.in_amount_raw) == (
            quote.input_mint,
            quote.output_mint,
            quote.in_amount_raw,
        )
        if not same:
            raise JupiterError(
                "jupiter build: answered another swap than the one quoted "
                f"({swap.input_mint} -> {swap.output_mint}, {swap.in_amount_raw})",
                status=200,
            )
        return swap


def jupiter_route(api: str, client: JupiterClient, rpc: RpcClient) -> SwapRoute:
    """The route for ``JUPITER_API``: ``v2`` (``JupiterBuildRoute``) or ``v1`` (Metis)."""
    if api == "v2":
        return JupiterBuildRoute(client, rpc)
    if api == "v1":
        return JupiterRoute(client)
    raise ValueError(f"JUPITER_API must be one of {JUPITER_APIS}, got {api!r}")
