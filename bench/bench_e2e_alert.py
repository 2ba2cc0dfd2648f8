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
import socket
import statistics
import sys
import time
import uuid
from collections import defaultdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import redis.asyncio as aioredis
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import Settings
from core.ingest.service import IngestService
from core.log import configure_logging
from core.programs import PROGRAM_IDS
from core.replay.market import SimulatedMarket
from core.replay.oracle import sol_usd_account_source
from core.replay.server import ReplayServer
from core.signals.codec import STREAM, signal_to_stream_fields
from core.signals.signal import Signal, SignalReason
from core.storage.migrate import upgrade
from core.storage.models import ListKind
from core.wallets.csv_json import WalletRow
from core.wallets.registry import WalletRegistry

# The bot side (aiogram, the fan-out, the emulator client) is imported in ``run`` only: the
# child processes start by importing this module, and those imports would add ~140 MiB to their
# RSS, which neither ``solsignals run`` nor a provider carries.
if TYPE_CHECKING:
    from bots.telegram.fanout import DeliveryReport
    from bots.telegram.services import BotServices

SERVER_DSN = os.environ.get("SOLSIGNALS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SOLSIGNALS_BENCH_REDIS", "redis://127.0.0.1:6379/12")
TOKEN = "123456:BENCH-TOKEN"
FIRST_CHAT = 80_000_000
START_SLOT = 310_000_000
PREEXISTING_POOLS = 5  # as the demo
SOL_USD = 142.5  # what the simulated Pyth SOL/USD account publishes (as the demo)
LEDGER_TXS = 200_000
CARD_METHODS = ("sendMessage", "sendPhoto", "editMessageText", "editMessageCaption")
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
    rng = random.Random(seed)
    for i in range(users):
        profile, _created = await services.users.register_telegram(
            FIRST_CHAT + i, language_code="fr" if rng.random() < 0.3 else "en"
        )
        changes = _user_settings(rng)
        if changes:
            await services.users.update_settings(profile.id, **changes)
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


async def _wait_settled(client: aioredis.Redis, group: str, timeout_s: float) -> bool:
    """True once the fan-out has read and acknowledged every entry of ``signals.out``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        last = await client.xrevrange(STREAM, count=1)
        last_id = last[0][0] if last else "0-0"
        for info in await client.xinfo_groups(STREAM):
            if (
                info["name"] == group
                and info["pending"] == 0
                and info["last-delivered-id"] == last_id
            ):
                return True
        await asyncio.sleep(0.1)
    return False


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


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (from /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> tuple[float, float]:
    """(current, peak) resident set of ``pid`` in MiB."""
    out = {"VmRSS:": 0.0, "VmHWM:": 0.0}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key = line.split(maxsplit=1)[0] if line.strip() else ""
            if key in out:
                out[key] = int(line.split()[1]) / 1024
    return out["VmRSS:"], out["VmHWM:"]


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _line(name: str, values_ms: list[float]) -> str:
    return (
        f"{name:<44} n {len(values_ms):4d}  p50 {_pct(values_ms, 50):7.1f}  "
        f"p95 {_pct(values_ms, 95):7.1f}  p99 {_pct(values_ms, 99):7.1f}  "
        f"max {max(values_ms, default=float('nan')):7.1f} ms"
    )


def _receipts(
    reports: list[DeliveryReport], calls: list[dict[str, Any]], since_s: float
) -> tuple[dict[str, list[float]], int]:
    """Per signal entry id, when the emulator received each of its requests (unix s); and the
    number of chats whose requests could not be matched to deliveries."""
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        if call["method"] in CARD_METHODS and call["at_ms"] / 1000 >= since_s - 0.25:
            by_chat[int(call["params"]["chat_id"])].append(call["at_ms"] / 1000)
    ours: dict[int, list[DeliveryReport]] = defaultdict(list)
    for r in sorted(reports, key=lambda r: r.request_s or 0.0):
        if r.request_s is not None:
            ours[r.chat_id].append(r)
    out: dict[str, list[float]] = defaultdict(list)
    unmatched = 0
    for chat, mine in ours.items():
        theirs = sorted(by_chat.get(chat, []))
        if len(theirs) != len(mine):
            unmatched += 1
            continue
        for at_s, report in zip(theirs, mine, strict=True):
            if report.kind == SIGNAL_KIND:
                out[report.entry_id].append(at_s)
    return out, unmatched


# ---- the run ---------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    from bots.telegram.app import build_bot
    from bots.telegram.config import BotSettings
    from bots.telegram.fanout import FanOut, FanoutSettings
    from bots.telegram.services import BotServices
    from tests.telegram_emulator import start_emulator

    name = f"solsignals_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(SERVER_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db_url = f"{SERVER_DSN.rsplit('/', 1)[0]}/{name}"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    emulator = start_emulator(port, token=TOKEN)
    client = aioredis.from_url(REDIS_URL, decode_responses=True)
    await client.flushdb()
    context = multiprocessing.get_context("spawn")
    replay_conn, replay_end = context.Pipe()
    ingest_conn, ingest_end = context.Pipe()
    children: list[Any] = []
    services: BotServices | None = None
    try:
        await upgrade(db_url)
        bot_settings = BotSettings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=SecretStr(TOKEN),
            telegram_api_url=emulator.url,
        )
        services = BotServices.create(db_url, bot_settings)
        started = time.perf_counter()
        smart = await _setup(db_url, services, args.users, args.seed)
        print(
            f"set-up: {args.users} users, {smart} featured smart wallets in "
            f"{time.perf_counter() - started:.1f} s"
        )
        settings = FanoutSettings(
            _env_file=None,  # type: ignore[call-arg]
            consumer="bench-e2e",
            group="telegram-bench",
            global_per_s=args.global_per_s,
            per_chat_per_s=args.per_chat_per_s,
            max_in_flight=args.max_in_flight,
        )
        bot = build_bot(TOKEN, emulator.url)
        await bot.get_me()
        reports: list[DeliveryReport] = []
        fanout = FanOut(services, bot, client, settings, observer=reports.append)
        fanout_task = asyncio.create_task(fanout.run())
        await fanout.ready.wait()
        rng = random.Random(-1)
        for i in range(args.warmup):
            mint = f"WarmUp{i:02d}" + "".join(rng.choices("123456789ABCDEFGH", k=32))
            await client.xadd(STREAM, signal_to_stream_fields(_warm_up_signal(mint)))  # type: ignore[arg-type]
        if not await _wait_settled(client, settings.group, 120.0):
            raise RuntimeError("the warm-up signals were not delivered within 120 s")
        print(f"warm-up: {args.warmup} signals, {len(reports)} deliveries (not measured)")
        reports.clear()

        replay = context.Process(target=_replay_child, args=(args.seed, args.rate, replay_end))
        await asyncio.to_thread(replay.start)
        children.append(replay)
        replay_port = int(await _command(replay_conn))
        ingest = context.Process(
            target=_ingest_child, args=(db_url, REDIS_URL, replay_port, ingest_end)
        )
        await asyncio.to_thread(ingest.start)
        children.append(ingest)
        if await _command(ingest_conn) != "subscribed":
            raise RuntimeError("ingestion did not subscribe")

        pids = {
            "replay server": replay.pid,
            "ingest + scoring": ingest.pid,
            "fan-out + bot": os.getpid(),
            "Bot API emulator": emulator._process.pid,
        }
        cpu_before = {k: _cpu_s(pid) for k, pid in pids.items() if pid is not None}
        start_at = time.time()
        replay_conn.send("go")
        await asyncio.sleep(args.seconds)
        replay_conn.send("pause")
        published = int(await _command(replay_conn))
        received = await _drain(ingest_conn, published, 30.0)
        settled = await _wait_settled(client, settings.group, 120.0)
        finished = time.time()
        cpu = {k: _cpu_s(pid) - cpu_before[k] for k, pid in pids.items() if pid is not None}
        rss = {k: _rss_mib(pid) for k, pid in pids.items() if pid is not None}
        ingest_conn.send("stop")
        triggers, summary = await _command(ingest_conn)
        replay_conn.send("stop")
        sent_at: dict[str, float] = await _command(replay_conn)
        fanout.stop()
        await fanout_task
        await bot.session.close()
        calls = await emulator.requests()
        entries: Any = await client.xrange(STREAM, min=f"{int(start_at * 1000) - 1}")
    finally:
        for child in children:
            await asyncio.to_thread(child.join, 30)
            if child.is_alive():
                child.terminate()
        if services is not None:
            await services.aclose()
        await client.flushdb()
        await client.aclose()
        await emulator.aclose()
        admin = await asyncpg.connect(SERVER_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

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
    parser.add_argument("--max-in-flight", type=int, default=32)
    parser.add_argument("--global-per-s", type=float, default=100_000.0)
    parser.add_argument("--per-chat-per-s", type=float, default=1_000.0)
    parser.add_argument("--warmup", type=int, default=3, help="synthetic signals first")
    parser.add_argument("--per-signal", action="store_true", help="print each signal's legs")
    args = parser.parse_args()
    configure_logging("warning", "console")
    print(f"clock: every process on this machine; wall clock ms compared ({time.ctime()})")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
