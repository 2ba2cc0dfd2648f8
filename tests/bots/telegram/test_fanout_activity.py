"""Smart Activity alerts end to end: alerts published on ``activity.out`` (real Redis) reach the
users whose settings pass, formatted in their language, through the real aiogram Bot and the
local Bot API emulator; the same guarantees as signals (acknowledged once delivered, resumed
after a restart, unreadable entries dead-lettered)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC
from typing import Any

import redis.asyncio as aioredis

from bots.telegram.app import build_bot
from bots.telegram.callbacks import ActivityView, CardAction
from bots.telegram.fanout import DEAD_STREAM, FanOut, FanoutSettings
from core.bus.streams import StreamPublisher
from core.signals.activity_alerts import (
    STREAM,
    ActivityAlert,
    activity_alert_to_stream_fields,
)
from core.storage.models import ListKind
from core.storage.records import MintRecord
from core.storage.writer import BatchWriter
from core.users.settings import QuietHours
from tests.bots.telegram import test_fanout
from tests.bots.telegram.conftest import ANA, BotHarness, buttons
from tests.bots.telegram.data import KOL_ANA, MINT, W3, W4, WHALE1
from tests.bots.telegram.test_fanout import CHANNEL, FanoutEnv, metric, signal
from tests.core.signals.factories import SOL, trade
from tests.telegram_emulator import User

GROUP = "telegram"

# The signal fan-out tests' fixtures: an emptied Redis database of their own, and the env.
env = test_fanout.env
fanout_redis = test_fanout.fanout_redis


def alert(**changes: Any) -> ActivityAlert:
    """4 tracked wallets bought 62.5 SOL of PEPE2 (and sold 3.0) in the last 10 minutes."""
    fields: dict[str, Any] = {
        "at": int(time.time()),
        "mint": MINT,
        "window_s": 600,
        "total_lamports": 65_500_000_000,
        "buy_lamports": 62_500_000_000,
        "sell_lamports": 3_000_000_000,
        "wallets": (WHALE1, KOL_ANA, W3, W4),
        "tags": ("kol", "whale"),
    }
    fields.update(changes)
    return ActivityAlert(**fields)


async def publish(redis: aioredis.Redis, activity: ActivityAlert) -> str:
    return await StreamPublisher(redis, STREAM).publish(activity_alert_to_stream_fields(activity))


async def settled(redis: aioredis.Redis, timeout_s: float = 20.0) -> None:
    """Until every activity.out entry was read by the group and acknowledged."""
    deadline = time.monotonic() + timeout_s
    while True:
        last = await redis.xrevrange(STREAM, count=1)
        info = next(g for g in await redis.xinfo_groups(STREAM) if g["name"] == GROUP)
        if info["pending"] == 0 and last and info["last-delivered-id"] == last[0][0]:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled: {info}")
        await asyncio.sleep(0.05)


async def tracked_wallets(env_or_services: Any) -> None:
    wallets = env_or_services.wallets
    await wallets.add(WHALE1, alias="whale1", tags=["whale"], kind=ListKind.FEATURED)
    await wallets.add(KOL_ANA, alias="kol_ana", tags=["kol"], kind=ListKind.COMMUNITY)


async def launch_pepe2(db_url: str) -> None:
    async with BatchWriter(db_url) as writer:
        await writer.add(
            MintRecord(MINT, "Pepe Two", "PEPE2", "", W3, "curve", int(time.time()) - 600, 1, "c")
        )


def current_hour(fanout: FanoutEnv) -> int:
    return fanout.clock().astimezone(UTC).hour


async def test_a_token_s_smart_activity_reaches_the_users_whose_settings_pass_in_their_language(
    env: FanoutEnv,
) -> None:
    await tracked_wallets(env.services[0])
    await launch_pepe2(env.db_url)
    hour = current_hour(env)
    await env.user(1001)  # defaults: every tracked wallet, no quiet hours
    await env.user(1002, "fr")
    await env.user(1003, tags=("kol",))  # kol_ana is among the buyers
    await env.user(1004, tags=("smart",))  # no wallet of the window is tagged smart
    await env.user(1005, alerts=False)
    await env.user(1006, quiet_hours=QuietHours(hour, (hour + 1) % 24))
    await env.user(1007, min_strength=3.0, no_mint=True)  # signal filters: not for activity
    await env.start()

    await publish(env.redis, alert())
    await settled(env.redis)

    assert sorted(await env.chats()) == [1001, 1002, 1003, 1007]
    (ana,) = await env.emulator.bot_messages(User(id=1001))
    assert ana["text"].splitlines() == [
        "🐋 Smart activity · PEPE2 · 10m: 4 tracked wallets bought 62.5 SOL (sold 3.0 SOL)",
        "Wallets: whale1 (whale), kol_ana (kol), <code>5FhJ…4k5m</code>, +1",
        f"<code>{MINT}</code>",  # tap to copy
    ]
    (lea,) = await env.emulator.bot_messages(User(id=1002))
    assert lea["text"].splitlines()[:2] == [
        "🐋 Activité smart · PEPE2 · 10 min : 4 portefeuilles suivis ont acheté 62.5 SOL "
        "(vendu 3.0 SOL)",
        "Portefeuilles : whale1 (whale), kol_ana (kol), <code>5FhJ…4k5m</code>, +1",
    ]
    assert buttons(ana) == {
        "Smart activity": ActivityView(mint=MINT, tag="", window_s=600, page=0).pack(),
        "Watch": CardAction(action="watch", mint=MINT).pack(),
    }
    assert buttons(lea)["Activité smart"] == buttons(ana)["Smart activity"]
    assert await env.dead() == []


async def test_a_watched_token_s_activity_reaches_a_user_who_filters_other_tags(
    env: FanoutEnv,
) -> None:
    await tracked_wallets(env.services[0])
    await env.user(1001, tags=("smart",), watched_mints=(MINT,))
    await env.user(1002, tags=("smart",))
    await env.start()

    await publish(env.redis, alert())
    await settled(env.redis)

    assert await env.chats() == [1001]


async def test_a_global_smart_activity_alert_goes_to_the_users_without_a_tag_filter(
    env: FanoutEnv,
) -> None:
    await tracked_wallets(env.services[0])
    await env.user(1001)
    await env.user(1002, tags=("kol",))  # the global figures are not their wallets' alone
    await env.start()

    await publish(
        env.redis,
        alert(mint=None, buy_lamports=540 * SOL, sell_lamports=0, total_lamports=540 * SOL),
    )
    await settled(env.redis)

    assert await env.chats() == [1001]
    (ana,) = await env.emulator.bot_messages(User(id=1001))
    assert ana["text"].splitlines()[0] == (
        "🐋 Smart activity · all tokens · 10m: 4 tracked wallets bought 540 SOL"
    )
    assert buttons(ana) == {
        "Smart activity": ActivityView(mint="", tag="", window_s=600, page=0).pack()
    }


async def test_channel_mode_posts_every_smart_activity_alert_to_the_channel(
    env: FanoutEnv,
) -> None:
    await env.user(1001, tags=("smart",))  # users are not addressed in channel mode
    channel = env.bot_services(telegram_mode="channel", telegram_channel_id=CHANNEL)
    await env.start(channel)

    await publish(env.redis, alert())
    await publish(env.redis, alert(mint=None))
    await settled(env.redis)

    assert await env.chats() == [CHANNEL, CHANNEL]


async def test_signals_and_smart_activity_alerts_are_delivered_side_by_side(
    env: FanoutEnv,
) -> None:
    await env.user(1001)
    await env.start()

    await env.publish(signal(strength=2.33))
    await publish(env.redis, alert())
    await env.settled()
    await settled(env.redis)

    texts = [m["text"] for m in await env.emulator.bot_messages(User(id=1001), count=2)]
    assert sum("2.3x" in t for t in texts) == 1
    assert sum(t.startswith("🐋 Smart activity") for t in texts) == 1
    sent = metric("solsignals_alert_deliveries_by_kind_total", kind="activity", outcome="sent")
    assert sent >= 1


async def test_a_consumer_stopped_mid_alert_resumes_its_activity_entry_exactly_once(
    env: FanoutEnv,
) -> None:
    users = list(range(1001, 1007))
    for telegram_id in users:
        await env.user(telegram_id)
    fanout = await env.start(consumer="bot-a", global_per_s=2.0)
    await publish(env.redis, alert())

    async def two_sent() -> bool:
        return len(await env.emulator.requests("sendMessage")) >= 2

    await env.until("two alerts", two_sent)
    await env.stop(fanout)
    assert len(await env.emulator.requests("sendMessage")) < len(users)  # stopped mid-way
    (info,) = await env.redis.xinfo_groups(STREAM)
    assert info["pending"] == 1  # not acknowledged

    await env.start(consumer="bot-a", global_per_s=2.0)
    await settled(env.redis)

    assert sorted(await env.chats()) == users  # each exactly once
    assert await env.dead() == []


async def test_an_activity_entry_that_is_not_an_alert_goes_to_the_dead_letter(
    env: FanoutEnv,
) -> None:
    await env.user(1001)
    await env.start()
    broken = await StreamPublisher(env.redis, STREAM).publish({"v": "1", "scope": "mint"})
    await publish(env.redis, alert())
    await settled(env.redis)

    (dead,) = [fields for _id, fields in await env.redis.xrange(DEAD_STREAM)]
    assert (dead["signal"], dead["stream"], dead["reason"]) == (broken, STREAM, "undecodable")
    assert await env.chats() == [1001]  # the next alert went out as usual


async def test_the_alert_s_smart_activity_button_shows_the_window_s_fills(
    harness: BotHarness, bot_db_url: str, fanout_redis: aioredis.Redis
) -> None:
    services = harness.services
    await tracked_wallets(services)
    await launch_pepe2(bot_db_url)
    now = int(harness.clock().timestamp())
    async with BatchWriter(bot_db_url) as writer:
        await writer.add_many(
            [
                trade(t=now - 120, trader=WHALE1, sol=40.0, mint=MINT),
                trade(t=now - 60, trader=KOL_ANA, sol=22.5, mint=MINT),
            ]
        )
    await services.users.register_telegram(ANA.id, language_code="en")
    settings = FanoutSettings(_env_file=None, consumer="bot-1", group=GROUP)  # type: ignore[call-arg]
    bot = build_bot(harness.emulator.token, harness.emulator.url)
    fanout = FanOut(services, bot, fanout_redis, settings)
    running = asyncio.create_task(fanout.run())
    try:
        await asyncio.wait_for(fanout.ready.wait(), 10)
        await publish(fanout_redis, alert(at=now, wallets=(WHALE1, KOL_ANA)))
        (sent,) = await harness.emulator.bot_messages(ANA)
        assert sent["text"].startswith("🐋 Smart activity · PEPE2 · 10m: 2 tracked wallets")

        (table,) = await harness.press(buttons(sent)["Smart activity"], sent)
    finally:
        fanout.stop()
        await asyncio.wait_for(running, 15)
        await bot.session.close()

    lines = table["text"].splitlines()
    assert lines[0] == "Smart activity · PEPE2 · last 10m"
    assert "whale1" in table["text"] and "kol_ana" in table["text"]
    assert "Buys 62.5 SOL · Sells 0.0 SOL" in table["text"]
    assert table["message_id"] != sent["message_id"]  # the alert stays; the table is new
