"""End-to-end alert latency: a transaction's notification leaving the Solana websocket provider
-> the alert card reaching the Telegram Bot API, through the real pipeline. Prints figures;
asserts nothing.

Processes (all on this machine; the clock they share is the wall clock, ``time.time()`` /
``Date.now()`` / Redis's own time, so their milliseconds compare directly):

* **replay** (child): ``ReplayServer`` serving the simulated market (``SimulatedMarket``, as
  ``solsignals demo``: its smart wallets, 5 pre-existing pools, the Pyth SOL/USD account and the
  mints' accounts for the risk checks) over the Solana pubsub + JSON-RPC protocols at ``--rate``
  transactions/s, with ``record_send_times`` on: it notes when each transaction's first
  ``logsNotification`` frame was written to the subscriber's socket.
* **ingest** (child): ``IngestService`` exactly as ``solsignals run`` builds it (production
  defaults of ``core.config.Settings`` for batch size, flush interval, queue size, commitment,
  slot lag, big trades): websocket client -> decode -> normalise -> PostgreSQL writer + record
  stream + scoring (``SignalEngine``, risk checks over RPC, co-buy clusters) -> each signal
  stored in ``signals`` and published on the Redis stream ``signals.out``. The one addition: the
  engine instance's ``on_trade`` is wrapped by a pass-through that notes, for each signal it
  returns, the signature of the trade that made it fire (``(mint, sequence) -> signature``).
  Signals from the engine's periodic re-score (``tick``: time passing, a risk report arriving)
  have no trigger transaction; they are counted, and only leg (b) is measured for them.
* **fan-out** (this process): the real ``FanOut`` with the real aiogram Bot, users registered in
  a throwaway PostgreSQL database (the one ingest writes to), Telegram's pacing limits raised
  (the emulator has none), as ``bench_alert_latency.py``; a few synthetic signals of other mints
  are delivered first (warm-up: connections, caches), not measured.
* **emulator** (node): the local Bot API emulator (``make emulator`` installs it); each call it
  records carries ``at_ms``, the time it arrived.

Redis: logical db 12, flushed before and after (SOLSIGNALS_BENCH_REDIS to change; the fan-out
tests use db 6). PostgreSQL: a throwaway database, dropped at the end (SOLSIGNALS_BENCH_PG).
Users: ``--users`` (default 100), mostly default settings (Strength >= 1.5), some stricter or
looser, a few with alerts off: a signal reaches most of them. Each signal then makes that many
deliveries (a re-score edits the card in place): with 100 users at 1,000 tx/s that is a few
hundred a second; with 500 users, ~1,700/s, more than the fan-out and the emulator carry here,
and (b) becomes the wait behind earlier signals' deliveries (the script prints deliveries/s).

Per signal (percentiles are over signals):

* **(a) notification -> signals.out**: the trigger transaction's notification written to the
  socket by the replay server -> the signal's entry id on ``signals.out`` (Redis's time when the
  XADD ran, ms). Includes: the loopback hop, the websocket client, the ingest queue, waiting for
  the batch being decoded (batches drain up to 1,000 notices), decode + normalise, the
  PostgreSQL writer's ``add_many`` (back-pressure only), the record stream XADD, scoring, the
  signal's INSERT into ``signals`` and the XADD itself. A trade whose pool must first be read
  from chain is held until then: that wait is included too.
* **(b) signals.out -> first Bot API request**: the entry id -> the emulator receiving the first
  Bot API request (sendMessage / sendPhoto / edit) of that signal, to any user. Includes the
  fan-out's XREADGROUP, decode, recipients filter, card render, outbox, sending, the loopback
  hop. Requests are matched to deliveries per chat in order (one request in flight per chat).
* **(c) total** = (a) + (b) for the signals that have both.

Also printed: the same to the signal's *last* recipient, deliveries, signals (trade-driven,
tick-driven, reaching nobody), CPU of each of our processes over the run (replay, ingest,
fan-out, emulator; PostgreSQL and Redis are shared servers and not counted), their RSS, and the
machine's load average (other work on the machine shows up in every figure).

    .venv/bin/python bench/bench_e2e_alert.py [--seconds 20] [--rate 1000] [--users 500]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fanout_harness import (
    add_pacing_arguments,
    bench_stack,
    cpu_s,
    matched_requests,
    pct_line,
    register_users,
    rss_mib,
    start_fanout,
    wait_settled,
    warm_up,
)
from core.config import Settings
from core.ingest.service import IngestService
from core.log import configure_logging
from core.programs import PROGRAM_IDS
from core.replay.market import SimulatedMarket
from core.replay.oracle import sol_usd_account_source
from core.replay.server import ReplayServer
from core.signals.codec import STREAM
from core.signals.signal import Signal, SignalReason
from core.storage.models import ListKind
from core.wallets.csv_json import WalletRow
from core.wallets.registry import WalletRegistry

# The bot side (aiogram, the fan-out, the emulator client) is imported only where it is used
# (here and in fanout_harness): the child processes start by importing this module, and those
# imports would add ~140 MiB to their RSS, which neither ``solsignals run`` nor a provider carries.
if TYPE_CHECKING:
    from bots.telegram.fanout import DeliveryReport
    from bots.telegram.services import BotServices

REDIS_URL = os.environ.get("SOLSIGNALS_BENCH_REDIS", "redis://127.0.0.1:6379/12")
FIRST_CHAT = 80_000_000
START_SLOT = 310_000_000
PREEXISTING_POOLS = 5  # as the demo
SOL_USD = 142.5  # what the simulated Pyth SOL/USD account publishes (as the demo)
LEDGER_TXS = 200_000
SIGNAL_KIND = "signal"  # bots.telegram.fanout.delivery.AlertKind.SIGNAL (a str enum)
DEAD_OUTCOME = "dead"  # bots.telegram.fanout.delivery.Outcome.DEAD
Key = tuple[str, int]  # (mint, sequence): one signal


def _default(name: str) -> Any:
    """A production default of ``core.config.Settings`` (what ``solsignals run`` uses)."""
    return Settings.model_fields[name].default


async def _command(conn: Connection) -> Any:
    while not conn.poll():
        await asyncio.sleep(0.005)
    return conn.recv()


# ---- child: the Solana provider ------------------------------------------------------------


def _replay_child(seed: int, rate: float, conn: Connection) -> None:
    configure_logging("error", "console")
    asyncio.run(_replay(seed, rate, conn))


async def _replay(seed: int, rate: float, conn: Connection) -> None:
    market = SimulatedMarket(seed=seed, preexisting_pools=PREEXISTING_POOLS)
    oracle = sol_usd_account_source(SOL_USD)

    def accounts(address: str) -> tuple[str, bytes] | None:
        return oracle(address) or market.account(address)

    server = ReplayServer(
        market.transactions(start_slot=START_SLOT, start_time=int(time.time())),
        accounts=accounts,
        largest_accounts=market.largest_token_accounts,
        rate_per_s=rate,
        max_ledger=LEDGER_TXS,
        record_send_times=True,
    )
    server.pause()  # the market opens once the pipeline listens
    await server.start()
    conn.send(server.port)
    while (command := await _command(conn)) != "stop":
        if command == "go":
            server.resume()
        elif command == "pause":
            server.pause()
            conn.send(len(server.published))
    conn.send(server.sent_at)
    await server.stop()


# ---- child: ingestion and scoring (solsignals run) -----------------------------------------


def _ingest_child(db_url: str, redis_url: str, port: int, conn: Connection) -> None:
    configure_logging("error", "console")
    asyncio.run(_ingest(db_url, redis_url, port, conn))


async def _ingest(db_url: str, redis_url: str, port: int, conn: Connection) -> None:
    service = await IngestService.create(
        database_url=db_url,
        providers=[("replay", f"ws://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/")],
        addresses=list(PROGRAM_IDS.values()),
        batch_size=_default("ingest_batch_size"),
        flush_ms=_default("ingest_flush_ms"),
        big_trade_lamports=_default("big_trade_lamports"),
        redis_url=redis_url,
        sol_usd_fallback=_default("sol_usd_fallback"),
        queue_size=_default("ingest_queue_size"),
        commitment=_default("commitment"),
        max_slot_lag=_default("max_slot_lag"),
    )
    assert service.scoring is not None
    engine = service.scoring.stage.engine
    on_trade = engine.on_trade
    triggers: dict[Key, str] = {}

    def traced(trade: Any) -> Signal | None:  # pass-through: notes which trade fired a signal
        signal = on_trade(trade)
        if signal is not None:
            triggers[(signal.mint, signal.sequence)] = trade.signature
        return signal

    engine.on_trade = traced  # type: ignore[method-assign]
    stop = asyncio.Event()
    task = asyncio.create_task(service.run_until(stop))
    while not service.client.state.subscribed:
        if task.done():
            await task  # raises what stopped it
        await asyncio.sleep(0.01)
    conn.send("subscribed")
    while (command := await _command(conn)) != "stop":
        if command == "received":
            conn.send(service.pipeline.stats.notices)
    stop.set()
    summary = await task
    conn.send((triggers, {k: summary.get(k, 0) for k in ("events", "trades", "signals")}))


# ---- this process: users and the fan-out ---------------------------------------------------


def _user_settings(rng: random.Random) -> dict[str, Any]:
    """Mostly the defaults (Strength >= 1.5, alerts on); some users stricter or looser."""
    changes: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.15:
        changes["min_strength"] = rng.choice((2.0, 2.5))
    elif roll < 0.30:
        changes["min_strength"] = 1.0
    if rng.random() < 0.05:
        changes["alerts"] = False
    if rng.random() < 0.10:
        changes["no_mint"] = True
    if rng.random() < 0.10:
        changes["min_liquidity_usd"] = 5_000.0
    return changes


async def _setup(db_url: str, services: BotServices, users: int, seed: int) -> int:
    """The market's smart wallets on the featured list (as the demo), and ``users`` users."""
    market = SimulatedMarket(seed=seed, preexisting_pools=PREEXISTING_POOLS)
    rows = [
        WalletRow(address, alias=f"smart{i:02d}", tags=("smart",))
        for i, address in enumerate(sorted(market.smart_wallets))
    ]
    async with WalletRegistry(db_url) as registry:
        await registry.store(rows, kind=ListKind.FEATURED)
    await register_users(services, FIRST_CHAT, users, random.Random(seed), _user_settings)
    return len(rows)


def _warm_up_signal(mint: str) -> Signal:
    return Signal(
        mint=mint,
        at=int(time.time()),
        sequence=1,
        reason=SignalReason.FIRST,
        strength=2.0,
        components={"smart_burst": 2.5, "momentum": 1.6, "liquidity": 1.4, "risk": 2.0},
        weights={"smart_burst": 0.40, "momentum": 0.25, "liquidity": 0.20, "risk": 0.15},
        inputs={"smart_sol": 8.5, "smart_buyers": 3, "liquidity_usd": 12e3, "sol_usd": SOL_USD},
        rules_fired=(),
        rule_results=(),
        risk_badges=(),
        risk_penalties=(),
        smart_buyers=(),
    )


async def _drain(ingest: Connection, published: int, timeout_s: float) -> int:
    """Wait until ingestion stops receiving (the paused replay's last frames arrived)."""
    deadline = time.monotonic() + timeout_s
    last, still_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        ingest.send("received")
        received = int(await _command(ingest))
        if received != last:
            last, still_since = received, time.monotonic()
        elif received >= published or time.monotonic() - still_since > 2.0:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # the last batch's scoring and XADD
    return last


# ---- measurements ----------------------------------------------------------------------------


def _line(name: str, values_ms: list[float]) -> str:
    return pct_line(name, values_ms, 44, count=True)


def _receipts(
    reports: list[DeliveryReport], calls: list[dict[str, Any]], since_s: float
) -> tuple[dict[str, list[float]], int]:
    """Per signal entry id, when the emulator received each of its requests (unix s); and the
    number of chats whose requests could not be matched to deliveries."""
    pairs, unmatched = matched_requests(reports, calls, since_s)
    out: dict[str, list[float]] = defaultdict(list)
    for at_s, report in pairs:
        if report.kind == SIGNAL_KIND:
            out[report.entry_id].append(at_s)
    return out, unmatched


# ---- the run ---------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    context = multiprocessing.get_context("spawn")
    replay_conn, replay_end = context.Pipe()
    ingest_conn, ingest_end = context.Pipe()
    children: list[Any] = []
    async with bench_stack(REDIS_URL) as stack:
        try:
            client = stack.client
            started = time.perf_counter()
            smart = await _setup(stack.db_url, stack.services, args.users, args.seed)
            print(
                f"set-up: {args.users} users, {smart} featured smart wallets in "
                f"{time.perf_counter() - started:.1f} s"
            )
            running = await start_fanout(stack, args, "bench-e2e")
            reports = running.reports
            group = running.settings.group
            rng = random.Random(-1)
            await warm_up(
                client,
                group,
                [
                    _warm_up_signal(
                        f"WarmUp{i:02d}" + "".join(rng.choices("123456789ABCDEFGH", k=32))
                    )
                    for i in range(args.warmup)
                ],
            )
            print(f"warm-up: {args.warmup} signals, {len(reports)} deliveries (not measured)")
            reports.clear()

            replay = context.Process(target=_replay_child, args=(args.seed, args.rate, replay_end))
            await asyncio.to_thread(replay.start)
            children.append(replay)
            replay_port = int(await _command(replay_conn))
            ingest = context.Process(
                target=_ingest_child, args=(stack.db_url, REDIS_URL, replay_port, ingest_end)
            )
            await asyncio.to_thread(ingest.start)
            children.append(ingest)
            if await _command(ingest_conn) != "subscribed":
                raise RuntimeError("ingestion did not subscribe")

            pids = {
                "replay server": replay.pid,
                "ingest + scoring": ingest.pid,
                "fan-out + bot": os.getpid(),
                "Bot API emulator": stack.emulator_pid,
            }
            cpu_before = {k: cpu_s(pid) for k, pid in pids.items() if pid is not None}
            start_at = time.time()
            replay_conn.send("go")
            await asyncio.sleep(args.seconds)
            replay_conn.send("pause")
            published = int(await _command(replay_conn))
            received = await _drain(ingest_conn, published, 30.0)
            settled = await wait_settled(client, group, 120.0)
            finished = time.time()
            cpu = {k: cpu_s(pid) - cpu_before[k] for k, pid in pids.items() if pid is not None}
            rss = {k: rss_mib(pid) for k, pid in pids.items() if pid is not None}
            ingest_conn.send("stop")
            triggers, summary = await _command(ingest_conn)
            replay_conn.send("stop")
            sent_at: dict[str, float] = await _command(replay_conn)
            await running.stop()
            calls = await stack.emulator.requests()
            entries: Any = await client.xrange(STREAM, min=f"{int(start_at * 1000) - 1}")
        finally:
            for child in children:
                await asyncio.to_thread(child.join, 30)
                if child.is_alive():
                    child.terminate()

    print()
    print(
        f"replay: {published:,} txs in {args.seconds:g} s (asked {args.rate:g}/s); ingest "
        f"received {received:,} notifications, {summary['trades']:,} trades; fan-out settled="
        f"{settled}; pacing raised to {args.global_per_s:g}/s, {args.per_chat_per_s:g}/s a "
        f"chat, {args.max_in_flight} in flight"
    )
    window = max(1e-9, finished - start_at)
    _report(args, entries, triggers, sent_at, reports, calls, start_at)
    print(
        f"deliveries/s: {len(reports) / window:,.0f} over {window:.1f} s (first notification ->"
        " all delivered); when signals x recipients ask for more than the fan-out and the "
        "emulator can carry on this machine, (b) is mostly the wait behind earlier signals' "
        "deliveries"
    )
    print(
        f"CPU over the run ({window:.1f} s, first notification -> all delivered): "
        + ", ".join(f"{k} {v:.1f} s ({v / window * 100:.0f}%)" for k, v in cpu.items())
        + f"; machine load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} CPUs"
    )
    print("RSS now / peak: " + ", ".join(f"{k} {n:.0f}/{p:.0f} MiB" for k, (n, p) in rss.items()))


def _report(
    args: argparse.Namespace,
    entries: list[tuple[str, dict[str, str]]],
    triggers: dict[Key, str],
    sent_at: dict[str, float],
    reports: list[DeliveryReport],
    calls: list[dict[str, Any]],
    start_at: float,
) -> None:
    receipts, unmatched = _receipts(reports, calls, start_at)
    leg_a: list[float] = []
    leg_b: list[float] = []
    leg_b_tick: list[float] = []
    total: list[float] = []
    to_last: list[float] = []
    tick_driven = reached_none = no_send_time = 0
    rows = []
    for entry_id, fields in entries:
        entry_s = int(entry_id.split("-")[0]) / 1000
        signature = triggers.get((fields["mint"], int(fields["sequence"])))
        sent = sent_at.get(signature) if signature is not None else None
        if signature is None:
            tick_driven += 1
        elif sent is None:
            no_send_time += 1
        got = receipts.get(entry_id, [])
        a = (entry_s - sent) * 1000 if sent is not None else None
        b = (min(got) - entry_s) * 1000 if got else None
        if a is not None:
            leg_a.append(a)
        if b is not None:
            (leg_b if signature is not None else leg_b_tick).append(b)
        else:
            reached_none += 1
        if a is not None and b is not None and sent is not None:
            total.append(a + b)
            to_last.append((max(got) - sent) * 1000)
        rows.append((entry_id, fields["mint"][:8], fields["sequence"], a, b, len(got)))
    outcomes: dict[str, int] = defaultdict(int)
    for r in reports:
        outcomes[r.outcome.value] += 1
    signal_reports = [r for r in reports if r.kind == SIGNAL_KIND]
    widths = [len(v) for v in receipts.values()]
    print(
        f"signals on signals.out: {len(entries)} ({len(entries) / args.seconds:.1f}/s): "
        f"trade-driven {len(entries) - tick_driven}, tick-driven (no trigger transaction) "
        f"{tick_driven}, trigger without a send time {no_send_time}, reaching no user "
        f"{reached_none}"
    )
    print(
        f"deliveries: {len(reports)} ({len(signal_reports)} signal cards) to {args.users} users "
        + "| "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        + f" | recipients a signal: mean {statistics.mean(widths) if widths else 0:.1f}, max "
        f"{max(widths, default=0)}; chats unmatched to emulator calls {unmatched}"
    )
    if args.per_signal:
        print("per signal: entry id, mint, sequence, (a) ms, (b) ms, recipients")
        for entry_id, mint, sequence, a, b, n in rows:
            legs = " ".join("       -" if x is None else f"{x:8.1f}" for x in (a, b))
            print(f"  {entry_id:>16} {mint} {sequence:>3} {legs} {n}")
    print(_line("(a) notification sent -> signals.out", leg_a))
    print(_line("(b) signals.out -> first Bot API request", leg_b))
    print(_line("(c) TOTAL notification -> first request", total))
    print(_line("    notification -> last recipient's request", to_last))
    print(_line("    (b) for tick-driven signals", leg_b_tick))
    failed = sum(1 for r in reports if r.outcome == DEAD_OUTCOME)
    if failed:
        print(f"dead letters: {failed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="replay time (s)")
    parser.add_argument("--rate", type=float, default=1000.0, help="transactions per second")
    parser.add_argument("--users", type=int, default=100, help="registered users")
    parser.add_argument("--seed", type=int, default=7, help="market seed")
    add_pacing_arguments(parser)
    parser.add_argument("--warmup", type=int, default=3, help="synthetic signals first")
    parser.add_argument("--per-signal", action="store_true", help="print each signal's legs")
    args = parser.parse_args()
    configure_logging("warning", "console")
    print(f"clock: every process on this machine; wall clock ms compared ({time.ctime()})")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
