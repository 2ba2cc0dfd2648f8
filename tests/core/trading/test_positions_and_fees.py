"""Order maths: fills from a real mainnet transaction, average cost, priority fee bids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.system_program import TransferParams, transfer

from core.chain.rpc_types import parse_transaction_balances
from core.trading.positions import (
    Holding,
    apply_buy,
    apply_sell,
    avg_price_sol,
    fill_from_balances,
    unrealized_pnl_lamports,
)
from core.trading.priority_fee import FeeBid, compute_budget, percentile
from core.trading.trade_types import FailureReason
from core.trading.tx_errors import JUPITER_PROGRAM_ID, failure_of

CURVE_VAULT_OWNER = "7NzycZkH1E4xQhVLgSFxnDmu7HjY1i6nb7X5sANBLSLK"
MINT = "9Tpa8ewVT3JaZgiSKoTHjcJj6NGRyF4bJT8CyXpxpump"


def test_fill_of_a_real_pump_fun_buy_reads_the_balance_changes(shared_fixtures: Path) -> None:
    raw = json.loads((shared_fixtures / "mainnet/soltxs_pumpfun_buy_rpc.json").read_text())
    tx = parse_transaction_balances(raw.get("result", raw))
    assert tx is not None
    payer = tx.account_keys[0]

    fill = fill_from_balances(tx, payer, MINT)

    # golden values from the fixture's meta: the payer's token account of the mint went from
    # absent to 3254684.009577 tokens, paid for with SOL (the fee, 3005000 lamports, included)
    assert fill.token_delta_raw == 3_254_684_009_577 and fill.decimals == 6
    assert fill.fee_lamports == 3_005_000
    native = tx.post_lamports[0] - tx.pre_lamports[0]
    assert fill.rent_delta_lamports > 0  # the new token account's rent is a deposit, not cost
    assert fill.sol_delta_lamports == native + fill.rent_delta_lamports < 0
    seller = fill_from_balances(tx, CURVE_VAULT_OWNER, MINT)
    assert seller.token_delta_raw == -3_254_684_009_577


def test_a_buy_then_sells_fold_at_average_cost() -> None:
    h = apply_buy(Holding(), 1_000, 10_000)
    h = apply_buy(h, 1_000, 30_000)
    assert avg_price_sol(h, 0) == pytest.approx(40_000 / 2_000 / 1e9)
    h = apply_sell(h, 500, 15_000)
    assert (h.token_amount_raw, h.cost_lamports, h.realized_pnl_lamports) == (1_500, 30_000, 5_000)
    assert unrealized_pnl_lamports(h, 27_000) == -3_000
    h = apply_sell(h, 2_000, 40_000)  # more than held: closes, the excess has no basis
    assert (h.token_amount_raw, h.cost_lamports, h.realized_pnl_lamports) == (0, 0, 15_000)
    assert h.closed


@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(1, 10**15), st.integers(0, 10**12)),
        min_size=1,
        max_size=30,
    )
)
def test_average_cost_conserves_lamports(trades: list[tuple[bool, int, int]]) -> None:
    """Whatever the order: realized == sold - (bought - basis still held); nothing negative."""
    h = Holding()
    for is_buy, tokens, lamports in trades:
        h = apply_buy(h, tokens, lamports) if is_buy else apply_sell(h, tokens, lamports)
        assert h.token_amount_raw >= 0 and h.cost_lamports >= 0
    assert h.realized_pnl_lamports == h.sold_lamports - (h.bought_lamports - h.cost_lamports)


def test_percentile_bid_is_clamped_and_zeros_count() -> None:
    fees = [0] * 60 + [5_000] * 30 + [2_000_000] * 10
    assert percentile(fees, 50) == 0 and percentile(fees, 75) == 5_000
    assert percentile(fees, 100) == 2_000_000 and percentile([], 75) == 0
    bid = FeeBid(percentile=95, min_micro_lamports=1_000, max_micro_lamports=1_000_000)
    assert bid.choose(fees) == 1_000_000
    assert FeeBid(percentile=50).choose(fees) == 1_000


def test_compute_budget_reads_the_limit_price_and_fees_of_a_message() -> None:
    payer = Keypair()
    ixs = [
        set_compute_unit_limit(150_000),
        set_compute_unit_price(20_000),
        transfer(TransferParams(from_pubkey=payer.pubkey(), to_pubkey=payer.pubkey(), lamports=1)),
    ]
    budget = compute_budget(MessageV0.try_compile(payer.pubkey(), ixs, [], Hash.default()))
    assert (budget.unit_limit, budget.unit_price_micro_lamports) == (150_000, 20_000)
    assert budget.priority_fee_lamports == 3_000 and budget.network_fee_lamports == 8_000
    bare = compute_budget(MessageV0.try_compile(payer.pubkey(), ixs[2:], [], Hash.default()))
    assert (bare.unit_limit, bare.priority_fee_lamports) == (200_000, 0)


def test_jupiter_slippage_error_is_named_and_others_are_described() -> None:
    from solders.instruction import Instruction
    from solders.pubkey import Pubkey

    payer = Keypair().pubkey()
    jup = Instruction(Pubkey.from_string(JUPITER_PROGRAM_ID), b"\x00", [])
    message = MessageV0.try_compile(payer, [set_compute_unit_limit(1), jup], [], Hash.default())
    err = {"InstructionError": [1, {"Custom": 6001}]}
    assert failure_of(err, message, landed=True)[0] is FailureReason.SLIPPAGE_EXCEEDED
    reason, text = failure_of({"InstructionError": [1, {"Custom": 6024}]}, message, landed=True)
    assert reason is FailureReason.TRANSACTION_FAILED and "fee was paid" in text
    reason, text = failure_of("InsufficientFundsForRent", message, landed=False)
    assert reason is FailureReason.SIMULATION_FAILED and "nothing was sent" in text
