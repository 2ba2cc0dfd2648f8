"""On the simulated market (ground truth known), the production decode → normalise → score path
signals planted winners before their peak, flags rugs, and rarely signals anything else."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from core.decode import decode_logs
from core.ingest.normalize import Normalizer
from core.replay.market import SimulatedMarket
from core.signals import SignalEngine, SignalParams
from core.signals.stage import SignalStage

TXS = 25_000


@pytest.fixture(scope="module")
def scored() -> tuple[SimulatedMarket, SignalStage]:
    market = SimulatedMarket(seed=21)
    smart = {address: frozenset({"smart"}) for address in market.smart_wallets}
    stage = SignalStage(SignalEngine(SignalParams(), smart, sol_usd=lambda: 150.0))
    normalizer = Normalizer()

    async def run() -> None:
        txs = market.transactions(start_slot=1, start_time=1_754_000_000, limit=TXS)
        for batch in iter(lambda: list(itertools.islice(txs, 500)), []):
            records = []
            for tx in batch:
                events = decode_logs(
                    tx.logs,
                    signature=tx.signature,
                    slot=tx.slot,
                    block_time=tx.block_time,
                    err=tx.err,
                )
                records.extend(normalizer.records(events))
            await stage.add_many(records)

    asyncio.run(run())
    return market, stage


def test_planted_winners_are_signalled_before_their_peak(
    scored: tuple[SimulatedMarket, SignalStage],
) -> None:
    market, stage = scored
    first = stage.stats.first_signal_at
    winners = market.planted_winners
    assert len(winners) >= 5
    early = [m for m in winners if m in first and first[m] <= market.winner_peaks[m]]
    assert len(early) / len(winners) >= 0.8, (len(early), len(winners))


def test_rugs_are_flagged_when_the_developer_dumps(
    scored: tuple[SimulatedMarket, SignalStage],
) -> None:
    market, stage = scored
    dumped = [m for m in market.rugs if m in market.rug_times]
    assert len(dumped) >= 5
    flagged = [m for m in dumped if m in stage.stats.dev_sold_at]
    assert flagged == dumped
    # flagged at the dump, not before it
    assert all(stage.stats.dev_sold_at[m] >= market.rug_times[m] - 1 for m in flagged)


def test_dead_tokens_and_rugs_are_rarely_signalled(
    scored: tuple[SimulatedMarket, SignalStage],
) -> None:
    market, stage = scored
    signalled = set(stage.stats.first_signal_at)
    noise = signalled & (market.dead_tokens | market.rugs)
    assert len(noise) <= max(1, len(signalled) // 5), noise
