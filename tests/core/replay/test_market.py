"""The simulated market is deterministic, decodes cleanly and behaves like a market."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from typing import Any

import pytest

from core.decode import DecodedEvent, DecodeStats, decode_logs
from core.programs import PROGRAM_IDS, Program
from core.replay.ledger import ReplayTx
from core.replay.market import SimulatedMarket

from .conftest import START_SLOT, START_TIME


def _first(seed: int, n: int) -> list[ReplayTx]:
    return list(SimulatedMarket(seed=seed).transactions(START_SLOT, START_TIME, limit=n))


@pytest.fixture(scope="module")
def long_run() -> tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]]:
    """30 000 transactions (about ten simulated minutes) of one market, decoded."""
    market = SimulatedMarket(seed=5)
    txs = list(market.transactions(START_SLOT, START_TIME, limit=30_000))
    decoded = []
    for tx in txs:
        decoded.extend(decode_logs(tx.logs, signature=tx.signature, slot=tx.slot, err=tx.err))
    return market, txs, decoded


def _trades_by_mint(decoded: list[DecodedEvent]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in decoded:
        if event.event == "TradeEvent":
            out[event.fields["mint"]].append(event.fields)
    return out


def test_same_seed_gives_the_same_first_thousand_signatures() -> None:
    first = [tx.signature for tx in _first(42, 1000)]
    again = [tx.signature for tx in _first(42, 1000)]
    other = [tx.signature for tx in _first(43, 1000)]
    assert first == again
    assert len(set(first)) == 1000
    assert not set(first) & set(other)


def test_same_seed_gives_identical_logs() -> None:
    assert [tx.logs for tx in _first(9, 300)] == [tx.logs for tx in _first(9, 300)]


def test_every_successful_transaction_decodes_without_failures(
    long_run: tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]],
) -> None:
    _, txs, _ = long_run
    stats = DecodeStats()
    for tx in txs:
        if tx.err is None:
            assert decode_logs(tx.logs, stats=stats), tx.logs
    assert stats.failed == 0
    assert stats.decoded >= len([tx for tx in txs if tx.err is None])


def test_about_half_a_percent_of_transactions_fail_without_events(
    long_run: tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]],
) -> None:
    _, txs, _ = long_run
    failed = [tx for tx in txs if tx.err is not None]
    assert 0.002 * len(txs) < len(failed) < 0.01 * len(txs)
    for tx in failed:
        assert tx.err["InstructionError"][1]["Custom"] in (6002, 6003, 6004)
        assert "failed: custom program error" in tx.logs[-1]
        assert not any(line.startswith("Program data: ") for line in tx.logs)


def test_market_launches_tokens_completes_curves_and_opens_pools(
    long_run: tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]],
) -> None:
    market, _, decoded = long_run
    kinds = {(e.program, e.event) for e in decoded}
    assert {
        (Program.PUMP, "CreateEvent"),
        (Program.PUMP, "TradeEvent"),
        (Program.PUMP, "CompleteEvent"),
        (Program.PUMP_AMM, "CreatePoolEvent"),
        (Program.PUMP_AMM, "BuyEvent"),
        (Program.PUMP_AMM, "SellEvent"),
    } <= kinds
    completed = {e.fields["mint"] for e in decoded if e.event == "CompleteEvent"}
    pooled = {e.fields["base_mint"] for e in decoded if e.event == "CreatePoolEvent"}
    assert completed == market.completed
    assert pooled <= completed


def test_curve_trades_keep_the_constant_product_and_move_price_with_direction(
    long_run: tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]],
) -> None:
    _, _, decoded = long_run
    checked = 0
    for trades in _trades_by_mint(decoded).values():
        vsol, vtok = 30_000_000_000, 1_073_000_000_000_000
        for t in trades:
            k_before, price_before = vsol * vtok, vsol / vtok
            sol, tok = t["sol_amount"], t["token_amount"]
            if t["is_buy"]:
                assert (t["virtual_sol_reserves"], t["virtual_token_reserves"]) == (
                    vsol + sol,
                    vtok - tok,
                )
            else:
                assert (t["virtual_sol_reserves"], t["virtual_token_reserves"]) == (
                    vsol - sol,
                    vtok + tok,
                )
            vsol, vtok = t["virtual_sol_reserves"], t["virtual_token_reserves"]
            # x*y never shrinks and grows only by floor rounding (< one unit of the other side)
            assert k_before <= vsol * vtok < k_before + vsol + vtok
            assert vsol - t["real_sol_reserves"] == 30_000_000_000
            assert (vsol / vtok > price_before) == t["is_buy"]
            checked += 1
    assert checked > 1000


def test_planted_winners_get_smart_wallet_buys_in_their_first_minute(
    long_run: tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]],
) -> None:
    market, _, decoded = long_run
    created = {
        e.fields["mint"]: e.fields["timestamp"] for e in decoded if e.event == "CreateEvent"
    }
    early_smart: dict[str, set[str]] = defaultdict(set)
    for e in decoded:
        f = e.fields
        if (
            e.event == "TradeEvent"
            and f["is_buy"]
            and f["user"] in market.smart_wallets
            and f["timestamp"] - created[f["mint"]] <= 60
        ):
            early_smart[f["mint"]].add(f["user"])
    winners = {m for m in market.planted_winners if created[m] < START_TIME + 400}
    assert len(winners) >= 5
    for mint in winners:
        assert len(early_smart[mint]) >= 2
    others = set(created) - market.planted_winners
    assert sum(1 for m in others if len(early_smart[m]) >= 2) == 0


def test_winners_peak_after_their_launch_and_most_complete_the_curve(
    long_run: tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]],
) -> None:
    market, _, decoded = long_run
    created = {
        e.fields["mint"]: e.fields["timestamp"] for e in decoded if e.event == "CreateEvent"
    }
    winners = {m for m in market.planted_winners if created[m] < START_TIME + 300}
    assert all(market.winner_peaks[m] > created[m] + 30 for m in winners)
    assert len(winners & market.completed) >= len(winners) // 2


def test_rugs_crash_the_price_when_the_developer_dumps(
    long_run: tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]],
) -> None:
    market, _, decoded = long_run
    trades = _trades_by_mint(decoded)
    launch_price = 30_000_000_000 / 1_073_000_000_000_000
    rugged = [m for m in market.rugs if m in market.rug_times and m in trades]
    assert len(rugged) >= 5
    crashed = 0
    for mint in rugged:
        rug_at = market.rug_times[mint]
        before = [t for t in trades[mint] if t["timestamp"] < rug_at]
        after = [t for t in trades[mint] if t["timestamp"] >= rug_at + 30]
        if not before or not after:
            continue
        peak = max(t["virtual_sol_reserves"] / t["virtual_token_reserves"] for t in before)
        low = after[0]["virtual_sol_reserves"] / after[0]["virtual_token_reserves"]
        # within 30 s the token gives back at least 60 % of everything it had gained
        assert low - launch_price < 0.4 * (peak - launch_price)
        crashed += 1
    assert crashed >= 3


def test_slots_advance_about_two_and_a_half_per_simulated_second(
    long_run: tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]],
) -> None:
    _, txs, _ = long_run
    elapsed_s = txs[-1].block_time - txs[0].block_time
    slots = txs[-1].slot - txs[0].slot
    assert elapsed_s > 60
    assert 2.3 * elapsed_s < slots < 2.7 * elapsed_s
    assert all(a.slot <= b.slot for a, b in pairwise(txs))


def test_transactions_mention_their_program_and_mint(market_txs: list[ReplayTx]) -> None:
    pump, amm = PROGRAM_IDS[Program.PUMP], PROGRAM_IDS[Program.PUMP_AMM]
    for tx in market_txs:
        for event in decode_logs(tx.logs):
            mint = event.fields.get("mint") or event.fields.get("base_mint")
            assert (pump if event.program is Program.PUMP else amm) in tx.mentions
            if mint is not None:
                assert mint in tx.mentions
