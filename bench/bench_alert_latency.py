"""Alert fan-out latency: signals on ``signals.out`` -> 1,000 users' filters -> Bot API requests.

What "200 alerts/s fanned out to 1,000 users" means here: **200 deliveries per second** (one
delivery = one signal's card sent to, or edited in, one user's chat) among 1,000 registered
users with varied filters. Signals (random Strength 1.0-3.0, random risk / liquidity / smart
buyers, over 150 mints so re-scores edit cards in place) are published at whatever rate makes
their deliveries add up to 200/s: before the run, each signal's fan-out width is computed with
the same ``should_alert`` and the same users the fan-out loads, and the publication times are
spaced by it. Two audiences (``--audience``): *broad* (Strength minimum, risk, liquidity,
quiet hours, a few tag filters: a signal reaches ~30% of users, ~0.7 signals/s) and *narrow*
(each user also follows one of 50 wallet groups: a signal reaches ~1%, ~16 signals/s).
(200 *signals*/s each to every passing user would be tens of thousands of messages per
second, 1,000x Telegram's 30/s: not a load a bot can be asked to carry.)

Set-up: a throwaway PostgreSQL database (migrated) with the users and a few tagged featured
wallets; Redis logical db 5 (flushed before and after; SOLSIGNALS_BENCH_REDIS to change); the
local Bot API emulator (node, tests/bots/telegram/emulator: ``make emulator`` installs it); the
real ``FanOut`` with the real aiogram Bot in this process, with Telegram's pacing limits raised
(the emulator has none); the publisher in a separate process.

Per delivery, **own time** (the target: p99 < 100 ms) = publication (the entry id's Redis time,
ms) -> the request leaving our process (written to the socket), counting only the time our
process was running: minus the time spent waiting for pacing, retry_after or backoff, and minus
the time our event loop sat idle in epoll awaiting the Bot API's answers or Redis (a selector
that notes its idle intervals). Why the idle time is not ours: with ``--max-in-flight`` requests
awaiting answers, a burst's later requests go only as the server answers the earlier ones (the
emulator answers one request at a time, a few tenths of a millisecond each); while our loop is
idle, no work of ours stands between the alert and the user. Everything else counts, including
the work for other deliveries of the same burst (reading and recording their answers) and time
the OS gave our core to another process: own time is the alert's wait behind our own CPU.

Also printed, for the whole picture: publication -> request minus pacing waits only (the
wall-clock time, idle loop included), its parts (filter+render+enqueue, queue, attempt start ->
request), the time it was ready but every in-flight slot awaited an answer ("in-flight slot
waits"), the idle part, the time to the emulator receiving the request (matched per chat in
order), to the answer, deliveries/s, CPU (the process, the event loop's thread, the emulator),
garbage collection pauses and RSS. Prints figures; asserts nothing (``--summary`` adds one
machine-readable line). ``--profile FILE`` writes a cProfile of the measured phase (about doubles
our CPU; compare proportions, not times).

    .venv/bin/python bench/bench_alert_latency.py --seconds 20 [--audience narrow] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import multiprocessing
import os
import random
import selectors
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import redis
from solders.pubkey import Pubkey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fanout_harness import (
    add_pacing_arguments,
    bench_stack,
    cpu_s,
    matched_requests,
    pct,
    pct_line,
    register_users,
    rss_mib,
    start_fanout,
    wait_settled,
    warm_up,
)
from bots.telegram.fanout import DeliveryReport, Outcome
from bots.telegram.fanout.intervals import Intervals
from bots.telegram.services import BotServices
from core.log import configure_logging
from core.risk.report import Check, Verdict
from core.signals.codec import STREAM, signal_to_stream_fields
from core.signals.risk import RiskBadge
from core.signals.signal import Signal, SignalReason
from core.storage.models import ListKind
from core.users.settings import QuietHours, UserSettings

REDIS_URL = os.environ.get("SOLSIGNALS_BENCH_REDIS", "redis://127.0.0.1:6379/5")
FIRST_CHAT = 70_000_000
GROUPS = 50  # wallet groups users follow in the "narrow" audience


class _TimedSelector(selectors.DefaultSelector):
    """The event loop's selector, noting when the loop sat idle in it (unix s): waiting for
    the emulator's answers, Redis or the publisher, with none of our code to run."""

    def __init__(self) -> None:
        super().__init__()
        self.idle = Intervals(kept=1_000_000)

    def select(self, timeout: float | None = None) -> Any:
        start = time.time()
        ready = super().select(timeout)
        end = time.time()
        if end - start > 20e-6:
            self.idle.add(start, end)
        return ready


class _GcPauses:
    """Garbage collections while enabled: count and pause times (s)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0
        self.enabled = False

    def __call__(self, phase: str, _info: dict[str, Any]) -> None:
        if not self.enabled:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)


def _address(rng: random.Random) -> str:
    return str(Pubkey(bytes(rng.getrandbits(8) for _ in range(32))))


def _user_settings(rng: random.Random, mints: list[str], narrow: bool) -> dict[str, Any]:
    """Varied filters: Strength minimum, risk, liquidity, tags, quiet hours, watched tokens.
    ``narrow``: each user follows one of GROUPS wallet groups (a tag filter), min Strength low."""
    hour = time.gmtime().tm_hour
    strengths = (0.5, 1.0, 1.5) if narrow else (0.5, 1.0, 1.5, 1.5, 2.0, 2.5, 3.0)
    changes: dict[str, Any] = {"min_strength": rng.choice(strengths)}
    if rng.random() < 0.10:
        changes["alerts"] = False
    if rng.random() < 0.20:
        changes["no_mint"] = True
    if rng.random() < 0.10:
        changes["no_freeze"] = True
    if rng.random() < 0.15:
        changes["top10_max_pct"] = rng.choice((30.0, 50.0))
    if rng.random() < 0.20:
        changes["min_liquidity_usd"] = rng.choice((5_000.0, 20_000.0))
    if narrow:
        changes["tags"] = (f"grp{rng.randrange(GROUPS):02d}",)
    elif rng.random() < 0.10:
        changes["tags"] = (rng.choice(("kol", "whale", "smart")),)
    if rng.random() < 0.05:  # half of them quiet right now
        start = hour if rng.random() < 0.5 else (hour + 3) % 24
        changes["quiet_hours"] = QuietHours(start, (start + 2) % 24)
    if rng.random() < 0.05 and "watched_mints" in UserSettings.__dataclass_fields__:
        changes["watched_mints"] = tuple(rng.sample(mints, 3))
    return changes


def _signal(
    rng: random.Random, mint: str, sequence: int, buyers: list[str], narrow: bool
) -> Signal:
    strength = round(min(3.0, max(1.0, rng.gauss(1.8, 0.5))), 2)
    pick = rng.sample(buyers, 1 if narrow else rng.randint(1, 4))
    verdict = (Verdict.PASS, Verdict.PASS, Verdict.FAIL, Verdict.UNKNOWN)
    return Signal(
        mint=mint,
        at=int(time.time()),
        sequence=sequence,
        reason=SignalReason.FIRST if sequence == 1 else SignalReason.RISE,
        strength=strength,
        components={"smart_burst": 2.5, "momentum": 1.6, "liquidity": 1.4, "risk": 2.0},
        weights={"smart_burst": 0.40, "momentum": 0.25, "liquidity": 0.20, "risk": 0.15},
        inputs={
            "smart_sol": 8.5,
            "smart_buyers": len(pick),
            "smart_window_s": 300,
            "return_1m": 0.12,
            "return_5m": 0.35,
            "liquidity_usd": rng.choice((3_000.0, 12_000.0, 40_000.0)),
            "price_sol": 0.0000412,
            "sol_usd": 150.0,
            "on_curve": 1,
        },
        rules_fired=("Smart Buy Burst (N≥3, ≥5 SOL, 5m)",),
        rule_results=(),
        risk_badges=(
            RiskBadge(Check.MINT_AUTHORITY, rng.choice(verdict)),
            RiskBadge(Check.FREEZE_AUTHORITY, rng.choice(verdict)),
            RiskBadge(Check.TOP10, Verdict.PASS, rng.choice((22.0, 38.0, 61.0))),
        ),
        risk_penalties=(),
        smart_buyers=tuple((b, round(rng.uniform(0.5, 5.0), 2)) for b in pick),
    )


def _publish(url: str, schedule: list[tuple[float, dict[str, str]]], channel: Any) -> None:
    """Runs in its own process: says it is ready, receives the start time, then XADDs each
    entry at its time (offset from the start), says so, and exits only when told: a process
    exiting tears its interpreter down (tens of ms of CPU on a 2-core machine), which must not
    land in the middle of the last signal's deliveries."""
    client = redis.Redis.from_url(url)
    client.ping()
    channel.send("ready")
    start_at = float(channel.recv())
    for offset, fields in schedule:
        delay = start_at + offset - time.time()
        if delay > 0:
            time.sleep(delay)
        client.xadd(STREAM, fields)  # type: ignore[arg-type]
    client.close()
    channel.send("published")
    channel.recv()  # "exit", once the run is measured


def _line(name: str, values_s: list[float]) -> str:
    return pct_line(name, [v * 1000 for v in values_s], 34)


def _buyer_tags(buyers: list[str], narrow: bool) -> list[tuple[str, str]]:
    """Featured wallets and their tag: 2 per group (narrow), or kol / whale / smart."""
    if narrow:
        return [(address, f"grp{i // 2:02d}") for i, address in enumerate(buyers)]
    return list(zip(buyers[:6], ("kol", "kol", "whale", "whale", "smart", "smart"), strict=True))


async def _setup_users(
    services: BotServices,
    users: int,
    rng: random.Random,
    mints: list[str],
    buyers: list[str],
    narrow: bool,
) -> None:
    for address, tag in _buyer_tags(buyers, narrow):
        await services.wallets.add(
            address, alias=f"{tag}_{address[:4]}", tags=[tag], kind=ListKind.FEATURED
        )
    await register_users(
        services, FIRST_CHAT, users, rng, lambda rng: _user_settings(rng, mints, narrow)
    )


async def _fan_out_width(services: BotServices, signals: list[Signal]) -> list[int]:
    """How many users each signal reaches (the fan-out's own rule, on the same data)."""
    from bots.telegram.fanout.recipients import Audience

    audience = Audience(services, ttl_s=3600)
    await audience.load()
    return [len(await audience.recipients(s)) for s in signals]


def _warm_up_signals(count: int, buyers: list[str], narrow: bool) -> list[Signal]:
    """``count`` signals of mints the measured run does not use (``warm_up`` delivers them)."""
    rng = random.Random(-1)
    return [_signal(rng, _address(rng), 1, buyers, narrow) for _ in range(count)]


async def run(args: argparse.Namespace, idle: Intervals) -> None:
    rng = random.Random(args.seed)
    async with bench_stack(REDIS_URL) as stack:
        services, client = stack.services, stack.client
        mints = [_address(rng) for _ in range(150)]
        narrow = args.audience == "narrow"
        buyers = [_address(rng) for _ in range(GROUPS * 2 if narrow else 30)]
        started = time.perf_counter()
        await _setup_users(services, args.users, rng, mints, buyers, narrow)
        print(f"set-up: {args.users} users registered in {time.perf_counter() - started:.1f} s")

        # Signals and their schedule: cumulative deliveries / rate.
        sequence: dict[str, int] = defaultdict(int)
        signals: list[Signal] = []
        widths: list[int] = []
        total = 0
        target = args.rate * args.seconds
        while total < target:
            batch = []
            for _ in range(200):
                mint = rng.choice(mints)
                sequence[mint] += 1
                batch.append(_signal(rng, mint, sequence[mint], buyers, narrow))
            for sig, width in zip(batch, await _fan_out_width(services, batch), strict=True):
                if total >= target:
                    break
                signals.append(sig)
                widths.append(width)
                total += width
        schedule: list[tuple[float, dict[str, str]]] = []
        cumulative = 0
        for sig, width in zip(signals, widths, strict=True):
            schedule.append((cumulative / args.rate, signal_to_stream_fields(sig)))
            cumulative += width

        running = await start_fanout(stack, args, "bench-1", recipients_ttl_s=3600)
        reports = running.reports
        group = running.settings.group
        await warm_up(client, group, _warm_up_signals(args.warmup, buyers, narrow))
        if args.warmup > 0:
            print(f"warm-up: {args.warmup} signals, {len(reports)} deliveries (not measured)")
        reports.clear()

        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        publisher = context.Process(target=_publish, args=(REDIS_URL, schedule, theirs))
        await asyncio.to_thread(publisher.start)  # spawning blocks until the child imports
        while not ours.poll():  # the child imports this module first (seconds)
            await asyncio.sleep(0.05)
        ours.recv()
        start_at = time.time() + 0.5
        ours.send(start_at)
        cpu_before = cpu_s(), cpu_s(stack.emulator_pid)
        thread_cpu_before = time.thread_time()
        gc_pauses = _GcPauses()
        gc.callbacks.append(gc_pauses)
        gc_pauses.enabled = True
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        while not ours.poll() and publisher.is_alive():
            await asyncio.sleep(0.2)
        settled = await wait_settled(client, group, 120.0)
        finished = time.time()
        cpu = (
            cpu_s() - cpu_before[0],
            cpu_s(stack.emulator_pid) - cpu_before[1],
            time.thread_time() - thread_cpu_before,
        )
        gc_pauses.enabled = False
        gc.callbacks.remove(gc_pauses)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        rss_now, rss_peak = rss_mib()
        if publisher.is_alive():
            ours.send("exit")
        await asyncio.to_thread(publisher.join, 10)
        await running.stop()
        calls = await stack.emulator.requests()
        dead = await client.xlen("telegram.dead")

    _print(
        args,
        cpu,
        idle,
        gc_pauses.pauses,
        signals,
        widths,
        reports,
        calls,
        start_at,
        finished,
        settled,
        dead,
        rss_now,
        rss_peak,
    )


def _print(
    args: argparse.Namespace,
    cpu: tuple[float, float, float],
    idle: Intervals,
    gc_pauses_s: list[float],
    signals: list[Signal],
    widths: list[int],
    reports: list[DeliveryReport],
    calls: list[dict[str, Any]],
    start_at: float,
    finished: float,
    settled: bool,
    dead: int,
    rss_now: float,
    rss_peak: float,
) -> None:
    ok = [r for r in reports if r.outcome is not Outcome.DEAD and r.request_s is not None]
    kinds: dict[str, int] = defaultdict(int)
    for r in reports:
        kinds[r.outcome.value] += 1
    own = [r.own_s for r in ok if r.own_s is not None]
    total = [r.request_s - r.published_s for r in ok if r.request_s is not None]
    waited = [r.waited_s for r in ok]
    plan = [r.planned_s - r.published_s for r in ok]
    queue = [r.started_s - r.planned_s - r.waited_s for r in ok if r.started_s is not None]
    prep = [r.request_s - r.started_s for r in ok if r.request_s and r.started_s]
    slot = [r.slot_wait_s for r in ok]
    # Own time split by what our event loop did meanwhile: ran code (ours: this delivery's or
    # others'; or the OS ran something else on our core) or sat idle in epoll, awaiting the
    # emulator's answers or Redis (pacing waits, idle too, are not part of own time).
    loop_busy: list[float] = []
    idle_own: list[float] = []
    for r in ok:
        if r.request_s is None:
            continue
        loop_idle = idle.covered(r.published_s, r.request_s)
        loop_busy.append(max(0.0, r.request_s - r.published_s - loop_idle))
        idle_own.append(max(0.0, loop_idle - r.waited_s))
    own_cpu = [r.own_s - r.slot_wait_s for r in ok if r.own_s is not None]
    answered = [r.done_s - r.published_s for r in ok]

    # The emulator's receipt of each request, matched per chat in order (one in flight a chat;
    # the warm-up's calls, before start_at, left out).
    pairs, unmatched = matched_requests(ok, calls, start_at)
    received = [t - r.published_s - r.waited_s for t, r in pairs]
    matched = unmatched == 0

    window = max(1e-9, finished - start_at)
    busy = widths
    print()
    print(
        "interpretation: 200 alerts/s = deliveries (signal x user) per second among "
        f"{args.users} users; rate asked {args.rate:g}/s for {args.seconds:g} s; audience "
        f"{args.audience}"
    )
    print(
        f"signals published: {len(signals)} ({len(signals) / args.seconds:.1f}/s), "
        f"fan-out width mean {statistics.mean(busy):.1f}, max {max(busy)}, "
        f"zero {sum(1 for w in busy if w == 0)}"
    )
    print(
        f"deliveries: {len(reports)} expected {sum(widths)} | "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        + f" | dead letters {dead}"
    )
    print(
        f"deliveries/s: {len(ok) / window:.1f} (first publication -> all acknowledged "
        f"{window:.1f} s; settled={settled})"
    )
    print(
        f"pacing raised to {args.global_per_s:g}/s overall, {args.per_chat_per_s:g}/s per "
        f"chat; max in flight {args.max_in_flight}"
    )
    print(_line("OWN TIME (our process running)", loop_busy))
    print(_line("pub -> request, - pacing waits", own))
    print(_line("  filter + render + enqueue", plan))
    print(_line("  queue (excl. waits)", queue))
    print(_line("  attempt start -> request leaves", prep))
    print(_line("  of which in-flight slot waits", slot))
    print(_line("  loop idle (awaits answers, Redis)", idle_own))
    print(_line("  minus in-flight slot waits", own_cpu))
    print(_line("pacing / retry waits", waited))
    print(_line("pub -> request (incl. waits)", total))
    print(
        _line("pub -> emulator receipt (- waits)", received)
        + ("" if matched else "  (some chats unmatched)")
    )
    print(_line("pub -> answer received", answered))
    within = (
        sum(1 for v in loop_busy if v < 0.1) / len(loop_busy) * 100 if loop_busy else float("nan")
    )
    print(f"own time < 100 ms: {within:.2f}% of deliveries (target p99 < 100 ms)")
    if args.per_signal:
        by_entry: dict[str, list[DeliveryReport]] = defaultdict(list)
        for r in ok:
            by_entry[r.entry_id].append(r)
        print(
            "per signal: entry, deliveries, plan ms, pub -> request ms (- pacing) of its "
            "first / median / last"
        )
        for entry_id, mine in sorted(by_entry.items()):
            owns = sorted(r.own_s or 0.0 for r in mine)
            print(
                f"  {entry_id:>17} {len(mine):4d}"
                f" {(mine[0].planned_s - mine[0].published_s) * 1000:7.1f}"
                f" {owns[0] * 1000:7.1f} {pct([o * 1000 for o in owns], 50):7.1f}"
                f" {owns[-1] * 1000:7.1f}"
            )
    if args.summary:
        print(
            "SUMMARY "
            + " ".join(
                f"{name}_p{p}={pct([v * 1000 for v in values], p):.1f}"
                for name, values in (
                    ("own", loop_busy),
                    ("wall", own),
                    ("wall_noslot", own_cpu),
                    ("plan", plan),
                )
                for p in (50, 99)
            )
            + f" rate={len(ok) / window:.1f} cpu_ms_per_delivery="
            f"{cpu[0] / max(1, len(reports)) * 1000:.2f} rss_peak={rss_peak:.0f}"
            # the emulator's CPU per request: with --max-in-flight below a burst's width, the
            # burst's last request leaves only after the emulator answered the others
            f" emulator_cpu_ms_per_request={cpu[1] / max(1, len(reports)) * 1000:.2f}"
        )
    print(
        f"CPU over the run: this process {cpu[0]:.1f} s ({cpu[0] / window * 100:.0f}% of a "
        f"core, {cpu[0] / max(1, len(reports)) * 1000:.2f} ms per delivery incl. filtering and "
        f"rendering), emulator {cpu[1]:.1f} s ({cpu[1] / window * 100:.0f}%); "
        f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"CPU of the event loop's thread {cpu[2]:.1f} s "
        f"({cpu[2] / max(1, len(reports)) * 1000:.2f} ms per delivery; the rest: other threads); "
        f"garbage collections {len(gc_pauses_s)}, {sum(gc_pauses_s) * 1000:.0f} ms in all, "
        f"longest {max(gc_pauses_s, default=0.0) * 1000:.1f} ms"
    )
    print(
        f"RSS: {rss_now:.0f} MiB now, {rss_peak:.0f} MiB peak (this process: fan-out, set-up, "
        "reports; the publisher and the emulator are separate processes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="publishing time (s)")
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries per second")
    parser.add_argument("--users", type=int, default=1000)
    add_pacing_arguments(parser)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--audience",
        choices=("broad", "narrow"),
        default="broad",
        help="broad: varied filters, a signal reaches ~30%% of users at once; narrow: each "
        "user also follows one of 50 wallet groups (tag filter), a signal reaches ~1-2%%",
    )
    parser.add_argument("--profile", help="write a cProfile of the measured phase to this file")
    parser.add_argument("--summary", action="store_true", help="print a one-line SUMMARY too")
    parser.add_argument(
        "--warmup",
        type=int,
        default=10,
        help="signals delivered before the measured run (0: measure a cold start too)",
    )
    parser.add_argument(
        "--per-signal", action="store_true", help="print each signal's plan and own times"
    )
    args = parser.parse_args()
    configure_logging("warning", "console")
    selector = _TimedSelector()
    with asyncio.Runner(loop_factory=lambda: asyncio.SelectorEventLoop(selector)) as runner:
        runner.run(run(args, selector.idle))


if __name__ == "__main__":
    main()
