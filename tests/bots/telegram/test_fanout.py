"""The alert fan-out end to end: signals published on ``signals.out`` (real Redis) reach users
registered in PostgreSQL through the real aiogram Bot and the local Bot API emulator."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal as signal_module
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from aiogram import Bot
from prometheus_client import REGISTRY

from bots.telegram.app import build_bot
from bots.telegram.config import BotSettings
from bots.telegram.fanout import DEAD_STREAM, FanOut, FanoutSettings
from bots.telegram.services import BotServices
from core.bus.streams import StreamPublisher
from core.signals.codec import STREAM, signal_to_stream_fields
from core.signals.signal import Signal, SignalReason
from core.storage.models import ListKind, Tick
from tests.bots.telegram.conftest import Clock
from tests.bots.telegram.data import KOL_ANA, MINT, WHALE1, ux_signal
from tests.conftest import REDIS_URL
from tests.telegram_emulator import TelegramEmulator, User

OTHER_MINT = "3usR9LzZ8cHAvXzvDzMS8Ej1nyMkqzxKUqYVZkpSpump"
THIRD_MINT = "5FhJk2LmNpQrStUvWxYz3a4b5c6d7e8f9g1h2i3j4k5m"
CHANNEL = -1001234567890
TICKS = Tick.__table__  # type: ignore[attr-defined]


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def signal(**changes: Any) -> Signal:
    fields: dict[str, Any] = {"at": int(time.time())}
    fields.update(changes)
    return ux_signal(**fields)


@dataclass
class FanoutEnv:
    emulator: TelegramEmulator
    db_url: str
    redis: aioredis.Redis
    clock: Clock
    services: list[BotServices] = field(default_factory=list)
    bots: list[Bot] = field(default_factory=list)
    running: dict[int, tuple[FanOut, asyncio.Task[None]]] = field(default_factory=dict)
    group: str = "telegram"

    def bot_services(self, **settings: Any) -> BotServices:
        values: dict[str, Any] = {
            "telegram_bot_token": self.emulator.token,
            "telegram_api_url": self.emulator.url,
        }
        values.update(settings)
        bot_settings = BotSettings(_env_file=None, **values)  # type: ignore[call-arg]
        services = BotServices.create(self.db_url, bot_settings, clock=self.clock)
        self.services.append(services)
        return services

    async def user(self, telegram_id: int, lang: str = "en", **settings: Any) -> int:
        users = self.services[0].users
        profile, _ = await users.register_telegram(telegram_id, language_code=lang)
        if settings:
            await users.update_settings(profile.id, **settings)
        return profile.id

    async def start(self, services: BotServices | None = None, **overrides: Any) -> FanOut:
        values: dict[str, Any] = {
            "consumer": "bot-1",
            "group": self.group,
            "backoff_base_s": 0.05,
            "max_in_flight": 8,
            "drain_timeout_s": 5.0,
        }
        values.update(overrides)
        settings = FanoutSettings(_env_file=None, **values)  # type: ignore[call-arg]
        bot = build_bot(self.emulator.token, self.emulator.url)
        self.bots.append(bot)
        await bot.get_me()  # as the bot does at start: the HTTP session is open before alerts
        fanout = FanOut(services or self.services[0], bot, self.redis, settings)
        task = asyncio.create_task(fanout.run())
        self.running[id(fanout)] = (fanout, task)
        ready = asyncio.create_task(fanout.ready.wait())
        await asyncio.wait({ready, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        assert fanout.ready.is_set()
        return fanout

    async def stop(self, fanout: FanOut) -> None:
        _, task = self.running.pop(id(fanout))
        fanout.stop()
        await asyncio.wait_for(task, 15)

    async def publish(self, sig: Signal) -> str:
        return await StreamPublisher(self.redis, STREAM).publish(signal_to_stream_fields(sig))

    async def group_info(self) -> dict[str, Any]:
        for info in await self.redis.xinfo_groups(STREAM):
            if info["name"] == self.group:
                return dict(info)
        raise AssertionError(f"no group {self.group}")

    async def settled(self, timeout_s: float = 20.0) -> None:
        """Until every published entry was read by the group and acknowledged."""
        deadline = time.monotonic() + timeout_s
        while True:
            last = await self.redis.xrevrange(STREAM, count=1)
            info = await self.group_info()
            if info["pending"] == 0 and last and info["last-delivered-id"] == last[0][0]:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not settled: {info}")
            await asyncio.sleep(0.05)

    async def chats(self, method: str = "sendMessage") -> list[int]:
        return [int(c["params"]["chat_id"]) for c in await self.emulator.requests(method)]

    async def until(self, what: str, check: Any, timeout_s: float = 15.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not await check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    async def dead(self) -> list[dict[str, str]]:
        entries: Any = await self.redis.xrange(DEAD_STREAM)
        return [fields for _id, fields in entries]


def fanout_redis_url() -> str:
    db = os.environ.get("SOLSIGNALS_TEST_FANOUT_REDIS_DB", "6")
    return REDIS_URL.rsplit("/", 1)[0] + "/" + db


@pytest.fixture
async def fanout_redis() -> AsyncIterator[aioredis.Redis]:
    """An emptied Redis logical database of the fan-out tests' own (6 by default): other suites
    running at the same time flush db 15 and publish their own signals on its signals.out."""
    url = fanout_redis_url()
    client = aioredis.from_url(url, decode_responses=True)
    try:
        await client.ping()
    except aioredis.RedisError as exc:
        pytest.fail(f"Redis not reachable at {url}: {exc}")
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()


@pytest.fixture
async def env(
    telegram_emulator: TelegramEmulator, bot_db_url: str, fanout_redis: aioredis.Redis
) -> AsyncIterator[FanoutEnv]:
    redis = fanout_redis
    env = FanoutEnv(telegram_emulator, bot_db_url, redis, Clock())
    env.bot_services()
    try:
        yield env
    finally:
        for fanout, task in list(env.running.values()):
            fanout.stop()
            await asyncio.wait([task], timeout=15)
        for bot in env.bots:
            await bot.session.close()
        for services in env.services:
            await services.aclose()


def ok_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(calls, key=lambda c: c["at_ms"])


# ---- who gets what ------------------------------------------------------------------------


async def test_a_signal_reaches_the_users_whose_settings_pass_and_no_one_else(
    env: FanoutEnv,
) -> None:
    services = env.services[0]
    await services.wallets.add(KOL_ANA, alias="kol_ana", tags=["kol"], kind=ListKind.FEATURED)
    await env.user(1001)  # defaults: min Strength 1.5
    await env.user(1002, min_strength=3.0)
    await env.user(1003, alerts=False)
    await env.user(1004, "fr")
    await env.user(1005, tags=("kol",))  # kol_ana bought
    await env.user(1006, tags=("whale",))  # no tracked buyer tagged whale
    await env.user(1007, no_mint=True, no_freeze=True)  # both renounced
    await env.user(1008, top10_max_pct=30.0)  # top 10 hold 38%
    await env.start()

    await env.publish(signal(strength=2.33))
    await env.settled()  # read and acknowledged: every delivery it produced is done

    assert sorted(await env.chats()) == [1001, 1004, 1005, 1007]
    (ana,) = await env.emulator.bot_messages(User(id=1001))
    (lea,) = await env.emulator.bot_messages(User(id=1004))
    assert "2.3x" in ana["text"] and "Not financial advice." in ana["text"]
    assert "Pas un conseil financier." in lea["text"]
    assert ana["reply_markup"]["inline_keyboard"]  # the card's buttons came along
    assert await env.dead() == []


async def test_a_watched_token_reaches_the_user_below_their_minimum_strength(
    env: FanoutEnv,
) -> None:
    await env.user(1001, min_strength=3.0, watched_mints=(MINT,))
    await env.user(1002, min_strength=3.0)
    await env.start()

    await env.publish(signal(strength=2.33, sequence=2, reason=SignalReason.RISE))
    await env.publish(signal(mint=OTHER_MINT, strength=2.33))
    await env.settled()

    assert await env.chats() == [1001]  # only the watched mint, only to its watcher


async def test_a_user_who_registers_while_it_runs_gets_alerts_once_the_list_is_refreshed(
    env: FanoutEnv,
) -> None:
    await env.user(1001)
    await env.start(recipients_ttl_s=0.2)
    await env.user(1002)  # after the fan-out loaded its recipients
    refreshed = metric("solsignals_alert_recipient_refreshes_total", result="ok")
    await asyncio.sleep(0.3)  # the list is now older than its TTL

    await env.publish(signal(strength=2.33))  # filtered with the cached list; starts a reload
    await env.settled()

    async def reloaded() -> bool:
        return metric("solsignals_alert_recipient_refreshes_total", result="ok") > refreshed

    await env.until("the recipients reload", reloaded)
    await env.publish(signal(mint=OTHER_MINT, strength=2.33))
    await env.settled()

    assert (await env.chats()).count(1001) == 2
    (alert,) = await env.emulator.bot_messages(User(id=1002))
    assert "2.3x" in alert["text"]


async def test_channel_mode_posts_every_signal_to_the_channel(env: FanoutEnv) -> None:
    await env.user(1001)  # users are not addressed in channel mode
    channel = env.bot_services(telegram_mode="channel", telegram_channel_id=CHANNEL)
    await env.start(channel)

    await env.publish(signal(strength=1.0))  # below any user's minimum: still posted
    await env.publish(signal(mint=OTHER_MINT, strength=2.5))
    await env.settled()

    assert await env.chats() == [CHANNEL, CHANNEL]


# ---- editing in place ---------------------------------------------------------------------


async def test_a_re_score_of_the_same_mint_edits_the_card_in_place(env: FanoutEnv) -> None:
    await env.user(1001)
    await env.start()
    edited_before = metric("solsignals_alert_delivered_total", kind="edited")

    await env.publish(signal(strength=2.33))
    await env.settled()
    (first,) = await env.emulator.bot_messages(User(id=1001))
    await env.publish(signal(strength=2.81, sequence=2, reason=SignalReason.RISE))
    await env.settled()

    assert len(await env.emulator.requests("sendMessage")) == 1
    (edit,) = await env.emulator.requests("editMessageText")
    assert int(edit["params"]["message_id"]) == first["message_id"]
    assert int(edit["params"]["chat_id"]) == 1001
    assert "inline_keyboard" in edit["params"]["reply_markup"]
    (shown,) = await env.emulator.bot_messages(User(id=1001))  # the same message, edited
    assert shown["message_id"] == first["message_id"] and "2.8x" in shown["text"]
    assert metric("solsignals_alert_delivered_total", kind="edited") == edited_before + 1


async def test_an_edit_that_changes_nothing_counts_as_delivered(env: FanoutEnv) -> None:
    await env.user(1001)
    await env.start()
    await env.publish(signal(strength=2.33))
    await env.settled()
    not_modified = metric("solsignals_alert_delivered_total", kind="not_modified")
    await env.emulator.fail_chat(
        1001,
        error_code=400,
        description="Bad Request: message is not modified: specified new message content and "
        "reply markup are exactly the same as a current content and reply markup of the message",
        method="editMessageText",
    )

    await env.publish(signal(strength=2.33, sequence=2, reason=SignalReason.NEW_BURST))
    await env.settled()

    assert len(await env.emulator.requests("sendMessage")) == 1
    assert len(await env.emulator.requests("editMessageText")) == 1
    assert await env.dead() == []
    assert metric("solsignals_alert_delivered_total", kind="not_modified") == not_modified + 1


async def test_a_re_score_whose_card_was_deleted_gets_a_new_message(env: FanoutEnv) -> None:
    await env.user(1001)
    await env.start()
    await env.publish(signal(strength=2.33))
    await env.settled()
    (first,) = await env.emulator.bot_messages(User(id=1001))
    await env.bots[0].delete_message(1001, first["message_id"])  # the user deleted the card

    await env.publish(signal(strength=2.81, sequence=2, reason=SignalReason.RISE))
    await env.settled()

    sends = await env.emulator.requests("sendMessage")
    assert len(sends) == 2 and len(await env.emulator.requests("editMessageText")) == 1
    (second,) = await env.emulator.bot_messages(User(id=1001))
    assert second["message_id"] != first["message_id"] and "2.8x" in second["text"]

    await env.publish(signal(strength=2.95, sequence=3, reason=SignalReason.RISE))
    await env.settled()  # the new message is the one edited from now on
    edits = await env.emulator.requests("editMessageText")
    assert int(edits[-1]["params"]["message_id"]) == second["message_id"]


async def minute_closes(env: FanoutEnv) -> None:
    """Three 1-minute candles of MINT: its card gets a sparkline (a photo)."""
    now = env.clock()
    async with env.services[0].engine.begin() as conn:
        for minutes, close in ((3, 0.0000390), (2, 0.0000401), (1, 0.0000412)):
            start = (now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)
            await conn.execute(
                sa.insert(TICKS).values(
                    mint=MINT,
                    interval_s=60,
                    bucket_start=start,
                    open_price_sol=close,
                    high_price_sol=close,
                    low_price_sol=close,
                    close_price_sol=close,
                    volume_lamports=1_000_000_000,
                    buys=3,
                    sells=1,
                    net_flow_lamports=500_000_000,
                )
            )


async def test_photo_cards_are_sent_as_photos_and_re_scores_edit_the_caption(
    env: FanoutEnv,
) -> None:
    await minute_closes(env)
    await env.user(1001)
    await env.start()

    await env.publish(signal(strength=2.33))
    await env.settled()
    (photo,) = await env.emulator.requests("sendPhoto")
    assert int(photo["params"]["chat_id"]) == 1001 and "2.3x" in photo["params"]["caption"]
    assert await env.emulator.requests("sendMessage") == []

    await env.publish(signal(strength=2.81, sequence=2, reason=SignalReason.RISE))
    await env.settled()
    (edit,) = await env.emulator.requests("editMessageCaption")
    assert "2.8x" in edit["params"]["caption"]
    assert len(await env.emulator.requests("sendPhoto")) == 1
    assert await env.emulator.requests("editMessageText") == []


async def test_a_photo_card_reaches_every_user_and_its_image_is_uploaded_once(
    env: FanoutEnv,
) -> None:
    await minute_closes(env)
    for telegram_id in (1001, 1002, 1003):
        await env.user(telegram_id)
    await env.start(max_in_flight=1)  # one request at a time: the first answer comes first

    await env.publish(signal(strength=2.33))
    await env.settled()

    calls = ok_calls(await env.emulator.requests("sendPhoto"))
    assert sorted(int(c["params"]["chat_id"]) for c in calls) == [1001, 1002, 1003]
    received: dict[int, dict[str, Any]] = {}
    for telegram_id in (1001, 1002, 1003):
        (received[telegram_id],) = await env.emulator.bot_messages(User(id=telegram_id))
        assert received[telegram_id]["photo"] and "2.3x" in received[telegram_id]["caption"]
    first, *later = calls
    assert str(first["params"]["photo"]).startswith("attach://")  # the PNG, uploaded once
    uploaded = received[int(first["params"]["chat_id"])]["photo"][-1]["file_id"]
    assert [c["params"]["photo"] for c in later] == [uploaded, uploaded]  # then reused


async def test_a_photo_whose_file_id_telegram_refuses_is_uploaded_again(env: FanoutEnv) -> None:
    await minute_closes(env)
    for telegram_id in (1001, 1002):
        await env.user(telegram_id)
    # one request at a time, in the order the fan-out loads its users: the first chat uploads
    # the photo, the second gets its file_id, which Telegram refuses here
    first, second = [p.telegram_id for p in await env.services[0].users.alert_recipients()]
    await env.start(max_in_flight=1)
    await env.emulator.fail_chat(
        second,
        error_code=400,
        description="Bad Request: wrong file identifier/HTTP URL specified",
        method="sendPhoto",
    )

    await env.publish(signal(strength=2.33))
    await env.settled()

    for telegram_id in (first, second):
        (photo,) = await env.emulator.bot_messages(User(id=telegram_id))
        assert photo["photo"] and "2.3x" in photo["caption"]
    tries = [
        str(c["params"]["photo"])
        for c in ok_calls(await env.emulator.requests("sendPhoto"))
        if int(c["params"]["chat_id"]) == second
    ]
    assert len(tries) == 2 and tries[1].startswith("attach://")  # refused, then uploaded
    assert await env.dead() == []


async def test_a_re_score_published_before_the_first_card_went_out_still_edits_it(
    env: FanoutEnv,
) -> None:
    await env.user(1001)
    await env.start()
    await env.emulator.fail_next("sendMessage", times=1, retry_after_s=1)  # holds the first card

    await env.publish(signal(strength=2.33))
    await env.publish(signal(strength=2.81, sequence=2, reason=SignalReason.RISE))
    await env.settled()

    assert len(await env.emulator.requests("sendMessage")) == 2  # the 429, then the card
    (edit,) = await env.emulator.requests("editMessageText")
    (shown,) = await env.emulator.bot_messages(User(id=1001))  # one message: the card, edited
    assert int(edit["params"]["message_id"]) == shown["message_id"]
    assert "2.8x" in shown["text"]


# ---- Telegram's limits and errors -----------------------------------------------------------


async def test_a_429_pauses_the_whole_sender_for_retry_after_and_the_alert_still_arrives(
    env: FanoutEnv,
) -> None:
    for telegram_id in (1001, 1002, 1003):
        await env.user(telegram_id)
    await env.start(max_in_flight=1)
    limited = metric("solsignals_alert_rate_limited_total")
    await env.emulator.fail_next("sendMessage", times=1, retry_after_s=1)

    await env.publish(signal(strength=2.33))
    await env.settled()

    calls = ok_calls(await env.emulator.requests("sendMessage"))
    refused, delivered = calls[0], calls[1:]
    assert sorted(int(c["params"]["chat_id"]) for c in delivered) == [1001, 1002, 1003]
    # nothing went out, to any chat, before retry_after had passed (10 ms: clock granularity)
    assert all(c["at_ms"] >= refused["at_ms"] + 1000 - 10 for c in delivered)
    assert metric("solsignals_alert_rate_limited_total") == limited + 1
    assert await env.dead() == []


async def test_a_blocked_user_ends_in_the_dead_letter_and_the_others_still_get_theirs(
    env: FanoutEnv,
) -> None:
    for telegram_id in (1001, 1002, 1003, 1004):
        await env.user(telegram_id)
    await env.start()
    blocked = metric("solsignals_alert_dead_total", reason="blocked")
    not_found = metric("solsignals_alert_dead_total", reason="chat_not_found")
    await env.emulator.fail_chat(1002, error_code=403)  # Forbidden: bot was blocked by the user
    await env.emulator.fail_chat(1004, error_code=400, description="Bad Request: chat not found")

    entry = await env.publish(signal(strength=2.33))
    await env.settled()

    assert len(await env.emulator.bot_messages(User(id=1001))) == 1
    assert len(await env.emulator.bot_messages(User(id=1003))) == 1
    dead = sorted(await env.dead(), key=lambda d: d["chat"])
    assert [(d["chat"], d["reason"], d["signal"], d["mint"]) for d in dead] == [
        ("1002", "blocked", entry, MINT),
        ("1004", "chat_not_found", entry, MINT),
    ]
    assert "blocked by the user" in dead[0]["description"]
    assert metric("solsignals_alert_dead_total", reason="blocked") == blocked + 1
    assert metric("solsignals_alert_dead_total", reason="chat_not_found") == not_found + 1


async def test_transient_errors_are_retried_and_dead_lettered_once_attempts_run_out(
    env: FanoutEnv,
) -> None:
    await env.user(1001)
    await env.start(max_attempts=3)
    server_errors = metric("solsignals_alert_failed_total", reason="server_error")
    exhausted = metric("solsignals_alert_dead_total", reason="retries_exhausted")

    await env.emulator.fail_next("sendMessage", times=2, error_code=502, description="Bad Gateway")
    await env.publish(signal(strength=2.33))
    await env.settled()
    assert len(await env.emulator.bot_messages(User(id=1001))) == 1  # third attempt went

    await env.emulator.fail_next("sendMessage", times=3, error_code=502, description="Bad Gateway")
    entry = await env.publish(signal(mint=OTHER_MINT, strength=2.33))
    await env.settled()
    (dead,) = await env.dead()
    assert (dead["chat"], dead["reason"], dead["signal"]) == ("1001", "retries_exhausted", entry)
    assert "Bad Gateway" in dead["description"]
    assert metric("solsignals_alert_failed_total", reason="server_error") == server_errors + 4
    assert metric("solsignals_alert_dead_total", reason="retries_exhausted") == exhausted + 1


async def test_pacing_keeps_each_chat_a_second_apart_without_holding_up_other_chats(
    env: FanoutEnv,
) -> None:
    await env.user(1001)
    await env.user(1002)
    await env.start()

    for mint in (MINT, OTHER_MINT, THIRD_MINT):
        await env.publish(signal(mint=mint, strength=2.33))
    await env.settled()

    calls = ok_calls(await env.emulator.requests("sendMessage"))
    per_chat = {
        chat: [c["at_ms"] for c in calls if int(c["params"]["chat_id"]) == chat]
        for chat in (1001, 1002)
    }
    for times in per_chat.values():
        assert len(times) == 3
        # >= 1 s apart as the emulator received them (10 ms: clock granularity)
        assert all(b - a >= 1000 - 10 for a, b in itertools.pairwise(times)), per_chat
    # the two chats are paced independently: both first alerts before either's second
    assert max(t[0] for t in per_chat.values()) < min(t[1] for t in per_chat.values())


async def test_a_full_queue_stops_reading_the_stream_until_there_is_room(env: FanoutEnv) -> None:
    for telegram_id in (1001, 1002):
        await env.user(telegram_id)
    fanout = await env.start(queue_size=1, read_count=1, plan_ahead=1)
    await env.emulator.fail_next("sendMessage", times=1, retry_after_s=3)  # holds the sender

    entries = [
        await env.publish(signal(mint=mint, strength=2.33))
        for mint in (MINT, OTHER_MINT, THIRD_MINT, KOL_ANA, WHALE1)
    ]

    async def held() -> bool:  # the 429 came back: the outbox holds its one delivery
        return len(await env.emulator.requests("sendMessage")) == 1 and fanout.outbox.full

    await env.until("the sender to be held", held)

    async def reading_stopped() -> bool:
        info = await env.group_info()
        return info["pending"] == 3 and info["last-delivered-id"] == entries[2]

    # one entry in the outbox (full), one prepared, one read and waiting: no more is read
    await env.until("reading to stop", reading_stopped)
    assert len(fanout.outbox) == fanout.outbox.capacity == 1
    assert len(await env.emulator.requests("sendMessage")) == 1  # still held by retry_after

    await env.settled()
    delivered = ok_calls(await env.emulator.requests("sendMessage"))[1:]  # after the 429
    assert sorted(int(c["params"]["chat_id"]) for c in delivered) == [1001] * 5 + [1002] * 5


# ---- restarts and several consumers -------------------------------------------------------


async def test_a_consumer_stopped_mid_way_resumes_its_pending_entries_exactly_once(
    env: FanoutEnv,
) -> None:
    users = list(range(1001, 1007))
    for telegram_id in users:
        await env.user(telegram_id)
    fanout = await env.start(consumer="bot-a", global_per_s=2.0)
    await env.publish(signal(strength=2.33))

    async def two_sent() -> bool:
        return len(await env.emulator.requests("sendMessage")) >= 2

    await env.until("two alerts", two_sent)
    await env.stop(fanout)
    assert len(await env.emulator.requests("sendMessage")) < len(users)  # stopped mid-way
    assert (await env.group_info())["pending"] == 1  # not acknowledged

    await env.start(consumer="bot-a", global_per_s=2.0)
    await env.settled()

    assert sorted(await env.chats()) == users  # each exactly once
    assert await env.dead() == []


async def test_entries_left_by_a_dead_consumer_are_claimed_after_the_idle_time(
    env: FanoutEnv,
) -> None:
    users = list(range(1001, 1007))
    for telegram_id in users:
        await env.user(telegram_id)
    gone = await env.start(consumer="bot-a", global_per_s=2.0, claim_idle_s=0.5)
    await env.publish(signal(strength=2.33))

    async def two_sent() -> bool:
        return len(await env.emulator.requests("sendMessage")) >= 2

    await env.until("two alerts", two_sent)
    await env.stop(gone)  # never comes back
    claimed = metric("solsignals_stream_claimed_total", stream=STREAM, group=env.group)

    await env.start(consumer="bot-b", claim_idle_s=0.5)
    await env.settled()

    assert sorted(await env.chats()) == users  # each exactly once
    assert metric("solsignals_stream_claimed_total", stream=STREAM, group=env.group) > claimed


async def test_an_entry_that_is_not_a_signal_goes_to_the_dead_letter(env: FanoutEnv) -> None:
    await env.user(1001)
    await env.start()
    entry = await StreamPublisher(env.redis, STREAM).publish({"mint": MINT, "json": "{oops"})
    await env.publish(signal(strength=2.33))
    await env.settled()

    (dead,) = await env.dead()
    assert (dead["signal"], dead["reason"], dead["chat"]) == (entry, "undecodable", "")
    assert await env.chats() == [1001]  # the next signal went out as usual


# ---- the process an operator runs -------------------------------------------------------------


def _bot_env(**values: str) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "REDIS_", "DATABASE_", "METRICS_", "LOG_"))
    }
    return {**keep, **values}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_fanout_only_without_redis_stops_at_start_naming_redis_url(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bots.telegram", "--fanout-only"],
        cwd=tmp_path,
        env=_bot_env(TELEGRAM_BOT_TOKEN="123456:TEST-TOKEN"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "REDIS_URL" in proc.stderr and "redis://" in proc.stderr


@pytest.mark.slow
async def test_the_bot_process_answers_commands_and_sends_alerts_until_sigterm(
    env: FanoutEnv, tmp_path: Path
) -> None:
    await env.user(1001)
    metrics_port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots.telegram",
        cwd=tmp_path,
        env=_bot_env(
            TELEGRAM_BOT_TOKEN=env.emulator.token,
            TELEGRAM_API_URL=env.emulator.url,
            TELEGRAM_FANOUT_CONSUMER="proc-1",
            DATABASE_URL=env.db_url,
            REDIS_URL=fanout_redis_url(),
            METRICS_PORT=str(metrics_port),
            METRICS_HOST="127.0.0.1",
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:

        async def listening() -> bool:
            if proc.returncode is not None:
                raise AssertionError("the bot exited")
            return bool(await env.redis.exists(STREAM)) and any(
                g["name"] == env.group for g in await env.redis.xinfo_groups(STREAM)
            )

        await env.until("the fan-out group", listening, timeout_s=90)
        await env.emulator.send_text("/start", User(id=1001))
        (welcome,) = await env.emulator.bot_messages(User(id=1001), timeout_s=60)
        assert "Welcome back." in welcome["text"]  # polling answers commands (registered)

        await env.publish(signal(strength=2.33))
        (alert,) = await env.emulator.bot_messages(User(id=1001), timeout_s=30)
        assert "2.3x" in alert["text"]  # the fan-out delivers alerts
        await env.settled()
        async with httpx.AsyncClient() as http:
            scraped = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        assert 'solsignals_alert_delivered_total{kind="sent"} 1.0' in scraped

        proc.send_signal(signal_module.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()[-2000:]
