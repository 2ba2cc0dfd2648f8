"""`solsignals demo`: the local market replay + the real ingestion pipeline + a SQLite file.

No keys, no internet: a deterministic simulated market is served over the Solana pubsub and
JSON-RPC protocols on 127.0.0.1, and the production client, decoder and writer consume it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from core.config import load_settings
from core.ingest.feed import FeedItem, render_line
from core.ingest.scoring import Scoring
from core.ingest.service import IngestService
from core.log import configure_logging
from core.programs import PROGRAM_IDS
from core.replay.ledger import ReplayTx
from core.replay.market import SimulatedMarket
from core.replay.oracle import sol_usd_account_source
from core.replay.recorded import read_recording
from core.replay.server import ReplayServer
from core.signals.stage import StageStats
from core.storage.migrate import upgrade
from core.storage.models import ListKind
from core.wallets.csv_json import WalletRow
from core.wallets.registry import WalletRegistry

DEMO_START_SLOT = 310_000_000
# At the end, how long to wait for what is still on its way (the gap fill after the last
# dropped connection: several hundred getTransaction calls take 3-6 s); ends as soon as
# everything published has arrived. What has not arrived by then is reported as missed.
DRAIN_TIMEOUT_S = 20.0
DEMO_PREEXISTING_POOLS = 5  # migrated before the demo starts: resolved from chain when they trade
DEMO_SOL_USD = 142.5  # what the simulated Pyth SOL/USD account publishes
DEMO_LEDGER_TXS = 200_000  # what the server remembers for gap fill (~2 KB each)


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg, unused-ignore]
    p = subparsers.add_parser(
        "demo",
        help="run the pipeline against a local simulated market (no keys, no internet)",
        description=__doc__,
    )
    p.add_argument("--seconds", type=_positive_float, default=30.0, help="how long to run")
    p.add_argument(
        "--rate", type=_positive_float, default=500.0, help="transactions per second replayed"
    )
    p.add_argument("--seed", type=int, default=7, help="market seed (same seed, same market)")
    p.add_argument(
        "--db", default="var/demo.db", help="SQLite file to write (default var/demo.db)"
    )
    p.add_argument(
        "--drop-every",
        type=int,
        default=None,
        metavar="N",
        help="close the websocket after every N frames, to watch reconnect and gap fill",
    )
    p.add_argument(
        "--replay",
        metavar="FILE",
        default=None,
        help="replay a recorded JSONL of real logsNotification frames instead of the simulation",
    )
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    p.add_argument("--quiet", action="store_true", help="no live feed, summary only")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def run(args: argparse.Namespace) -> int:
    recording = Path(args.replay) if args.replay else None
    if recording is not None and not recording.is_file():
        sys.stderr.write(f"solsignals demo: --replay {recording}: no such file\n")
        return 2
    settings = load_settings()
    configure_logging("warning", "console")
    summary = asyncio.run(
        run_demo(
            seconds=args.seconds,
            rate=args.rate,
            seed=args.seed,
            db_path=Path(args.db),
            drop_every=args.drop_every,
            feed=None if args.quiet else _print_feed,
            batch_size=settings.ingest_batch_size,
            flush_ms=settings.ingest_flush_ms,
            big_trade_lamports=settings.big_trade_lamports,
            sol_usd_fallback=settings.sol_usd_fallback,
            recording=recording,
        )
    )
    if args.json:
        sys.stdout.write(orjson.dumps(summary).decode() + "\n")
    else:
        _print_summary(summary)
    return 0


def _print_feed(item: FeedItem, sol_usd: float) -> None:
    sys.stdout.write(render_line(item, sol_usd) + "\n")


def _print_summary(summary: dict[str, Any]) -> None:
    lines = [
        "",
        f"Replayed {summary['published']} transactions, received {summary['events']} "
        f"({summary['missed']} missed) in {summary['elapsed_s']} s "
        f"({summary['events_per_s']} events/s)",
        f"Decoded {summary['decoded']} events, {summary['decode_errors']} decode errors "
        f"{summary['decode_errors_by_kind'] or ''}".rstrip()
        + f", {summary['failed_txs']} failed transactions skipped",
        f"Stored {summary['trades']} trades, {summary['mints']} new mints, "
        f"{summary['curve_completes']} completed curves, {summary['pools']} pools, "
        f"{summary['ticks']} candles",
        f"Reconnects {summary['reconnects']}, gap-filled {summary['gap_filled']}, "
        f"duplicates dropped {summary['duplicates']}",
        f"Signals {summary.get('signals', 0)} on {summary.get('signalled_mints', 0)} mints "
        f"({summary.get('tracked_wallets', 0)} tracked wallets)"
        + (
            f"; planted winners signalled before their peak "
            f"{summary['planted_winners_signalled']}/{summary['planted_winners']}, "
            f"rugs flagged {summary['rugs_flagged']}/{summary['rugs']}"
            if "planted_winners" in summary
            else ""
        ),
        f"Smart Activity alerts {summary.get('activity_alerts', 0)}; wallet clusters "
        f"{summary.get('clusters', 0)} (first funders known {summary.get('funders_known', 0)}, "
        f"pending {summary.get('funders_pending', 0)})",
        f"SOL/USD {summary['sol_usd']:.2f} ({summary['sol_usd_source']})",
        f"Database: {summary['db']}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")


class _RelevantCount:
    """Counts the transactions of a source that mention one of the programs we subscribe to."""

    def __init__(self) -> None:
        self.value = 0
        self._programs = frozenset(PROGRAM_IDS.values())

    def count(self, source: Iterable[ReplayTx]) -> Iterator[ReplayTx]:
        for tx in source:
            if tx.mentions & self._programs:
                self.value += 1
            yield tx


async def _register_smart_wallets(database_url: str, market: SimulatedMarket) -> None:
    """The market's smart wallets go on the featured list, as an operator would import them."""
    rows = [
        WalletRow(address, alias=f"smart{i:02d}", tags=("smart",))
        for i, address in enumerate(sorted(market.smart_wallets))
    ]
    async with WalletRegistry(database_url) as registry:
        await registry.store(rows, kind=ListKind.FEATURED)


def _against_ground_truth(market: SimulatedMarket, stats: StageStats) -> dict[str, Any]:
    """How the scoring did on the simulated market's planted winners and rugs."""
    signalled = stats.first_signal_at
    winners_signalled = sum(
        1
        for mint in market.planted_winners
        if mint in signalled and signalled[mint] <= market.winner_peaks.get(mint, signalled[mint])
    )
    dumped = [mint for mint in market.rugs if mint in market.rug_times]
    return {
        "planted_winners": len(market.planted_winners),
        "planted_winners_signalled": winners_signalled,
        "rugs": len(dumped),
        "rugs_flagged": sum(1 for mint in dumped if mint in stats.dev_sold_at),
    }


async def run_demo(
    *,
    seconds: float,
    rate: float,
    seed: int,
    db_path: Path,
    drop_every: int | None = None,
    feed: Any = None,
    batch_size: int = 2000,
    flush_ms: int = 200,
    big_trade_lamports: int = 10_000_000_000,
    recording: Path | None = None,
    sol_usd_fallback: float = 150.0,
) -> dict[str, Any]:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{db_path}"
    relevant = _RelevantCount()
    service_scoring: Scoring | None = None
    oracle = sol_usd_account_source(DEMO_SOL_USD)
    accounts: Callable[[str], tuple[str, bytes] | None] = oracle
    if recording is not None:
        source: Iterator[ReplayTx] = read_recording(recording, start_time=int(time.time()))
    market: SimulatedMarket | None = None
    await upgrade(database_url)
    if recording is None:
        market = SimulatedMarket(seed=seed, preexisting_pools=DEMO_PREEXISTING_POOLS)
        source = market.transactions(start_slot=DEMO_START_SLOT, start_time=int(time.time()))
        await _register_smart_wallets(database_url, market)

        def accounts(address: str) -> tuple[str, bytes] | None:
            return oracle(address) or market.account(address)

    server = ReplayServer(
        relevant.count(source),
        accounts=accounts,
        largest_accounts=market.largest_token_accounts if market is not None else None,
        rate_per_s=rate,
        drop_every_n=drop_every,
        max_ledger=DEMO_LEDGER_TXS,
    )
    server.pause()  # the market opens once the pipeline is listening
    await server.start()
    try:
        service = await IngestService.create(
            database_url=database_url,
            providers=[("replay", server.ws_url, server.http_url)],
            addresses=list(PROGRAM_IDS.values()),
            batch_size=batch_size,
            flush_ms=flush_ms,
            big_trade_lamports=big_trade_lamports,
            on_feed=feed,
            migrate=False,
            sol_usd_fallback=sol_usd_fallback,
        )
        stop = asyncio.Event()
        ingest = asyncio.create_task(service.run_until(stop))
        while not service.client.state.subscribed and not ingest.done():
            await asyncio.sleep(0.01)
        server.resume()
        # Run for `seconds`, or until a finite source (a recording) has been published.
        source_done = asyncio.create_task(server.done.wait())
        await asyncio.wait({ingest, source_done}, timeout=seconds)
        source_done.cancel()
        if not ingest.done():
            # End like a provider would be left: stop publishing, let in-flight frames arrive.
            server.pause()
            deadline = time.monotonic() + DRAIN_TIMEOUT_S
            while (
                service.pipeline.stats.notices < len(server.published)
                and time.monotonic() < deadline
                and not ingest.done()
            ):
                await asyncio.sleep(0.02)
        stop.set()
        summary = await ingest
        service_scoring = service.scoring
    finally:
        await server.stop()
    summary["published"] = len(server.published)
    # Published transactions that mention a subscribed program and were not received: lost.
    summary["missed"] = max(0, relevant.value - summary["events"])
    if market is not None and service_scoring is not None:
        summary.update(_against_ground_truth(market, service_scoring.stage.stats))
    summary["db"] = str(db_path)
    return summary
