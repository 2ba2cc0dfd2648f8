"""TradeExecutor end to end through Jupiter's Swap API V2 Router path (``JUPITER_API=v2``):
``/swap/v2/order`` quote, ``/swap/v2/build`` instructions, our own v0 transaction (our compute
budget, Jupiter's lookup table and blockhash), signed by the keystore wallet, landed for real on
the local chain. The honeypot probe of every buy still goes through Metis v1."""

from __future__ import annotations

import base64
import struct

import pytest
from solders.compute_budget import ID as COMPUTE_BUDGET_ID
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import to_bytes_versioned
from solders.transaction import VersionedTransaction

from core.market.amm import buy_quote, sell_quote
from core.trading.jupiter_build import compute_unit_limit_for
from core.trading.jupiter_build_route import JupiterBuildRoute
from core.trading.priority_fee import compute_budget
from core.trading.trade_types import FailureReason, Side, TradeState, TradeUpdate, UpdateKind
from tests.core.trading.conftest import FEE_BPS, POOL_SOL, POOL_TOKENS, SOL, Desk
from tests.jupiter_server import JUPITER_CU_PRICE
from tests.svm_rpc import TOKEN_PROGRAM

BUY_LAMPORTS = SOL // 2
RECENT_FEES = [2_000, 4_000, 6_000, 8_000]  # the desk bids the 75th percentile: 6000
OUR_BID = 6_000


@pytest.fixture
def v2(desk: Desk) -> Desk:
    """The desk with its executor on the V2 route (the probe stays on v1)."""
    executor = desk.executor(route=JupiterBuildRoute(desk.jupiter, desk.rpc))
    desk.executors[:] = [executor]
    desk.node.prioritization_fees = list(RECENT_FEES)
    return desk


async def _landed_tx(desk: Desk, key: str) -> VersionedTransaction:
    record = await desk.store.get(key)
    assert record is not None and record.signed_tx is not None
    return VersionedTransaction.from_bytes(base64.b64decode(record.signed_tx))


def _competing_buy(desk: Desk, tokens: int) -> None:
    """Someone else takes ``tokens`` from the pool (the price moves against a buyer)."""
    dest = desk.node.create_token_account(Keypair().pubkey(), desk.mint)
    transfer = Instruction(
        TOKEN_PROGRAM,
        bytes([3]) + struct.pack("<Q", tokens),
        [
            AccountMeta(desk.pool.token_vault, False, True),
            AccountMeta(dest, False, True),
            AccountMeta(desk.jup.authority.pubkey(), True, False),
        ],
    )
    desk.node.send([transfer], desk.jup.authority)


async def test_a_v2_buy_lands_with_our_compute_budget_and_jupiters_lookup_table(v2: Desk) -> None:
    desk = v2
    sol_before = desk.sol()
    expected_tokens = buy_quote(BUY_LAMPORTS, POOL_TOKENS, POOL_SOL, FEE_BPS)
    request = desk.request(Side.BUY, BUY_LAMPORTS)

    outcome = await desk.execute(request)

    assert outcome.state is TradeState.CONFIRMED and outcome.executed, outcome.message
    assert desk.tokens() == expected_tokens == outcome.token_delta_raw
    rent = desk.node.svm.minimum_balance_for_rent_exemption(165)  # the new token account
    assert desk.sol() == sol_before - BUY_LAMPORTS - outcome.fee_lamports - rent
    assert outcome.sol_delta_lamports == -(BUY_LAMPORTS + outcome.fee_lamports)
    assert desk.jup.reserves(desk.pool) == (POOL_TOKENS - expected_tokens, POOL_SOL + BUY_LAMPORTS)

    # it went through V2 only: a quote-only /order, one /build for the wallet, no v1 swap
    [order] = desk.jup.calls_to("order")
    assert "taker" not in order["query"] and order["query"]["excludeRouters"]
    [build] = desk.jup.calls_to("build")
    assert build["query"]["taker"] == str(desk.wallet)
    assert desk.wallet_swaps() == []

    tx = await _landed_tx(desk, request.idempotency_key)
    message = tx.message
    assert message.account_keys[0] == desk.wallet and message.header.num_required_signatures == 1
    # our compute budget: our bid as the price (not Jupiter's), the limit from the simulation
    budget = compute_budget(message)
    landed = desk.node._history[str(tx.signatures[0])]
    assert budget.unit_price_micro_lamports == OUR_BID != JUPITER_CU_PRICE
    assert budget.unit_limit == compute_unit_limit_for(landed["meta"]["computeUnitsConsumed"])
    assert budget.unit_limit < 200_000
    keys = list(message.account_keys)
    budget_ixs = [
        ix for ix in message.instructions if keys[ix.program_id_index] == COMPUTE_BUDGET_ID
    ]
    assert len(budget_ixs) == 2  # Jupiter's own SetComputeUnitPrice was dropped
    assert outcome.fee_lamports == 5_000 + budget.priority_fee_lamports
    # the lookup table Jupiter named was used (the pool's vault is not a static key)
    [lookup] = message.address_table_lookups
    assert lookup.account_key == desk.pool.lookup_table
    assert desk.pool.token_vault not in keys
    # the one signature is the wallet's over this message, and the runtime checked it
    assert tx.signatures[0].verify(desk.wallet, to_bytes_versioned(message))
    assert desk.node.svm.get_sigverify()
    *_probe, sim_for_limit, sim_signed = desk.node.calls_of("simulateTransaction")
    assert sim_for_limit[1]["sigVerify"] is False and sim_for_limit[1]["replaceRecentBlockhash"]
    assert sim_signed[1]["sigVerify"] is True
    assert [u.kind for u in desk.updates] == [
        UpdateKind.QUOTED,
        UpdateKind.SIMULATED,
        UpdateKind.SENT,
        UpdateKind.CONFIRMED,
    ]
    assert desk.updates[0].route == "jupiter_v2"


async def test_a_v2_sell_pays_native_sol_and_realizes_pnl(v2: Desk) -> None:
    desk = v2
    bought = await desk.execute(desk.request(Side.BUY, BUY_LAMPORTS))
    assert bought.state is TradeState.CONFIRMED, bought.message
    held = desk.tokens()
    base, sol = desk.jup.reserves(desk.pool)
    sell_tokens = held * 40 // 100
    sol_before = desk.sol()

    sold = await desk.execute(desk.request(Side.SELL, sell_tokens))

    assert sold.state is TradeState.CONFIRMED, sold.message
    proceeds = sell_quote(sell_tokens, base, sol, FEE_BPS) - sold.fee_lamports
    assert desk.sol() - sol_before == proceeds == sold.sol_delta_lamports
    assert desk.tokens() == held - sell_tokens and sold.token_delta_raw == -sell_tokens
    position = await desk.book.get(bought.position_id)  # type: ignore[arg-type]
    assert position is not None and position.holding.token_amount_raw == held - sell_tokens
    assert desk.jup.reserves(desk.pool) == (
        base + sell_tokens,
        sol - (proceeds + sold.fee_lamports),
    )
    assert desk.landed_swaps() == 2 and len(desk.jup.calls_to("build")) == 2


async def test_v2_slippage_exceeded_at_build_fails_clearly_with_zero_executions(
    v2: Desk,
) -> None:
    desk = v2
    desk.jup.before_next_swap(
        lambda: _competing_buy(desk, POOL_TOKENS // 20), user=str(desk.wallet)
    )

    outcome = await desk.execute(desk.request(Side.BUY, BUY_LAMPORTS, slippage_bps=50))

    assert outcome.state is TradeState.FAILED
    assert outcome.reason == FailureReason.SLIPPAGE_EXCEEDED
    assert "slippage" in (outcome.message or "") and "nothing was traded" in outcome.message
    assert desk.node.calls_of("sendTransaction") == [] and desk.tokens() == 0


async def test_a_small_move_before_build_keeps_the_quoted_floor_in_the_transaction(
    v2: Desk,
) -> None:
    desk = v2
    request = desk.request(Side.BUY, BUY_LAMPORTS, slippage_bps=100)
    # a move smaller than the slippage: /build's own floor would be below the quoted one
    desk.jup.before_next_swap(
        lambda: _competing_buy(desk, POOL_TOKENS // 400), user=str(desk.wallet)
    )

    outcome = await desk.execute(request)

    assert outcome.state is TradeState.CONFIRMED, outcome.message
    quoted = desk.updates[0]
    first, second = desk.jup.calls_to("build")  # asked again with a tighter slippage
    assert int(second["query"]["slippageBps"]) < int(first["query"]["slippageBps"]) == 100
    assert quoted.min_out_raw is not None and desk.tokens() >= quoted.min_out_raw


async def test_a_v2_expired_blockhash_is_requoted_once_then_the_new_transaction_lands(
    v2: Desk,
) -> None:
    desk = v2
    desk.node.drop_sends(10_000)  # every send of the first transaction is lost

    def on_update(update: TradeUpdate) -> None:
        desk.updates.append(update)
        if update.kind is UpdateKind.REQUOTED:
            desk.node.clear_failures()

    request = desk.request(Side.BUY, BUY_LAMPORTS)
    outcome = await desk.executors[0].execute(request, on_update)

    assert outcome.state is TradeState.CONFIRMED, outcome.message
    record = await desk.store.get(request.idempotency_key)
    assert record is not None and record.attempts == 2 and len(record.signatures) == 2
    assert record.signature == record.signatures[1] == outcome.signature
    assert len(desk.jup.calls_to("order")) == 2 and len(desk.jup.calls_to("build")) == 2
    statuses = await desk.rpc.get_signature_statuses(list(record.signatures))
    assert statuses[0] is None and statuses[1] is not None
    assert desk.landed_swaps() == 1
    assert desk.tokens() == buy_quote(BUY_LAMPORTS, POOL_TOKENS, POOL_SOL, FEE_BPS)
