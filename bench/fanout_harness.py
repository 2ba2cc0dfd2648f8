"""What the alert benchmarks (``bench_alert_latency.py``, ``bench_e2e_alert.py``) share: the
stack the real ``FanOut`` runs against (a throwaway PostgreSQL database, migrated; the local Bot
API emulator on a free port; a flushed Redis logical db), users' registration, the fan-out with
the real aiogram Bot and Telegram's pacing limits raised (the emulator has none), the warm-up
and the wait until every entry of ``signals.out`` is acknowledged, the emulator's calls matched
to deliveries, and the measurements (CPU, RSS, percentile lines).

The bot side (aiogram, the fan-out, the emulator client) is imported inside the functions that
use it: ``bench_e2e_alert.py``'s child processes import this module, and those imports would
add ~140 MiB to their RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
import redis.asyncio as aioredis
from pydantic import SecretStr

from core.signals.codec import STREAM, signal_to_stream_fields
from core.signals.signal import Signal
from core.storage.migrate import upgrade

if TYPE_CHECKING:
    from aiogram import Bot

    from bots.telegram.fanout import DeliveryReport, FanOut, FanoutSettings
    from bots.telegram.services import BotServices
    from tests.telegram_emulator import TelegramEmulator

SERVER_DSN = os.environ.get("SOLSIGNALS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TOKEN = "123456:BENCH-TOKEN"
CARD_METHODS = ("sendMessage", "sendPhoto", "editMessageText", "editMessageCaption")

UserSettingsFn = Callable[[random.Random], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Stack:
    """What the fan-out runs against; ``bench_stack`` makes it and takes it down."""

    db_url: str
    emulator: TelegramEmulator
    client: aioredis.Redis
    services: BotServices

    @property
    def emulator_pid(self) -> int:
        return self.emulator._process.pid


@asynccontextmanager
async def bench_stack(redis_url: str) -> AsyncIterator[Stack]:
    """A throwaway database on SERVER_DSN (migrated, dropped at the end), the emulator on a free
    port, ``redis_url``'s db flushed before and after, and the bot's services on them."""
    from bots.telegram.config import BotSettings
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
    client = aioredis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    services: BotServices | None = None
    try:
        await upgrade(db_url)
        bot_settings = BotSettings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=SecretStr(TOKEN),
            telegram_api_url=emulator.url,
        )
        services = BotServices.create(db_url, bot_settings)
        yield Stack(db_url, emulator, client, services)
    finally:
        if services is not None:
            await services.aclose()
        await client.flushdb()
        await client.aclose()
        await emulator.aclose()
        admin = await asyncpg.connect(SERVER_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def register_users(
    services: BotServices,
    first_chat: int,
    users: int,
    rng: random.Random,
    settings_for: UserSettingsFn,
) -> None:
    """``users`` Telegram users from chat ``first_chat`` on (30% French), each with the settings
    ``settings_for(rng)`` returns (none when empty)."""
    for i in range(users):
        profile, _created = await services.users.register_telegram(
            first_chat + i, language_code="fr" if rng.random() < 0.3 else "en"
        )
        changes = settings_for(rng)
        if changes:
            await services.users.update_settings(profile.id, **changes)


def add_pacing_arguments(parser: argparse.ArgumentParser) -> None:
    """``--max-in-flight``, ``--global-per-s``, ``--per-chat-per-s``: what ``start_fanout``
    reads (the pacing raised well above Telegram's)."""
    parser.add_argument("--max-in-flight", type=int, default=32)
    parser.add_argument("--global-per-s", type=float, default=100_000.0)
    parser.add_argument("--per-chat-per-s", type=float, default=1_000.0)


@dataclass(slots=True)
class RunningFanOut:
    """The real ``FanOut`` running in this process; ``reports`` receives every delivery."""

    fanout: FanOut
    settings: FanoutSettings
    bot: Bot
    task: asyncio.Task[None]
    reports: list[DeliveryReport]

    async def stop(self) -> None:
        """Stop the fan-out, wait for it and close the bot's session."""
        self.fanout.stop()
        await self.task
        await self.bot.session.close()


async def start_fanout(
    stack: Stack, args: argparse.Namespace, consumer: str, **settings: Any
) -> RunningFanOut:
    """The fan-out (group ``telegram-bench``) with the pacing of ``args``
    (``add_pacing_arguments``) and ``settings``' other ``FanoutSettings``; returns once it is
    ready (its groups exist and the recipients are loaded)."""
    from bots.telegram.app import build_bot
    from bots.telegram.fanout import FanOut, FanoutSettings

    fanout_settings = FanoutSettings(
        _env_file=None,  # type: ignore[call-arg]
        consumer=consumer,
        group="telegram-bench",
        global_per_s=args.global_per_s,
        per_chat_per_s=args.per_chat_per_s,
        max_in_flight=args.max_in_flight,
        **settings,
    )
    bot = build_bot(TOKEN, stack.emulator.url)
    await bot.get_me()
    reports: list[DeliveryReport] = []
    fanout = FanOut(stack.services, bot, stack.client, fanout_settings, observer=reports.append)
    task = asyncio.create_task(fanout.run())
    await fanout.ready.wait()
    return RunningFanOut(fanout, fanout_settings, bot, task, reports)


async def wait_settled(client: aioredis.Redis, group: str, timeout_s: float) -> bool:
    """True once ``group`` has read and acknowledged every entry of ``signals.out``."""
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


async def warm_up(client: aioredis.Redis, group: str, signals: list[Signal]) -> None:
    """Publish ``signals`` at once and wait until they are delivered: connections (database
    pool, Bot API), compiled statements and caches are then as in a process that has been
    running."""
    if not signals:
        return
    for signal in signals:
        await client.xadd(STREAM, signal_to_stream_fields(signal))  # type: ignore[arg-type]
    if not await wait_settled(client, group, 120.0):
        raise RuntimeError("the warm-up signals were not delivered within 120 s")


def matched_requests(
    reports: list[DeliveryReport], calls: list[dict[str, Any]], since_s: float
) -> tuple[list[tuple[float, DeliveryReport]], int]:
    """The card requests the emulator received (from ``since_s`` - 0.25 s on) matched to the
    deliveries that made them, per chat in order (one request in flight a chat): (the time it
    was received, unix s; the delivery) for each chat whose counts agree, and the number of
    chats whose counts do not."""
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        if call["method"] in CARD_METHODS and call["at_ms"] / 1000 >= since_s - 0.25:
            by_chat[int(call["params"]["chat_id"])].append(call["at_ms"] / 1000)
    ours: dict[int, list[DeliveryReport]] = defaultdict(list)
    for r in sorted(reports, key=lambda r: r.request_s or 0.0):
        if r.request_s is not None:
            ours[r.chat_id].append(r)
    matched: list[tuple[float, DeliveryReport]] = []
    unmatched = 0
    for chat, mine in ours.items():
        theirs = sorted(by_chat.get(chat, []))
        if len(theirs) != len(mine):
            unmatched += 1
            continue
        matched += zip(theirs, mine, strict=True)
    return matched, unmatched


def cpu_s(pid: int | None = None) -> float:
    """User + system CPU seconds of this process (None) or of ``pid`` (from /proc)."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int | None = None) -> tuple[float, float]:
    """(current, peak) resident set of this process (None) or of ``pid`` in MiB."""
    out = {"VmRSS:": 0.0, "VmHWM:": 0.0}
    with open(f"/proc/{'self' if pid is None else pid}/status") as status:
        for line in status:
            key = line.split(maxsplit=1)[0] if line.strip() else ""
            if key in out:
                out[key] = int(line.split()[1]) / 1024
    return out["VmRSS:"], out["VmHWM:"]


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile of ``values`` (nearest rank), nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def pct_line(name: str, values_ms: list[float], width: int, count: bool = False) -> str:
    """``name`` padded to ``width``, then (with ``count``) n, then p50 / p95 / p99 / max ms."""
    n = f"n {len(values_ms):4d}  " if count else ""
    return (
        f"{name:<{width}} {n}p50 {pct(values_ms, 50):7.1f}  p95 {pct(values_ms, 95):7.1f}  "
        f"p99 {pct(values_ms, 99):7.1f}  max {max(values_ms, default=float('nan')):7.1f} ms"
    )
