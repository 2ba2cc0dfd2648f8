"""Conversation state kept in Redis survives a restart of the bot: a question asked before the
restart is answered after it (with REDIS_URL set, as ``python -m bots.telegram`` runs)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import redis

from bots.telegram.app import FSM_PREFIX, build_dispatcher, fsm_storage
from tests.bots.telegram.conftest import buttons
from tests.bots.telegram.trade_harness import trade_bot
from tests.telegram_emulator import TelegramEmulator


async def test_a_custom_amount_asked_before_a_restart_is_bought_after_it(
    telegram_emulator: TelegramEmulator, bot_db_url: str, tmp_path: Path, redis_url: str
) -> None:
    async with trade_bot(
        telegram_emulator, bot_db_url, tmp_path, storage=fsm_storage(redis_url)
    ) as desk:
        wallet = await desk.enable_trading()
        card = await desk.card()
        (prompt,) = await desk.press(buttons(card)["Buy …"], card)
        assert prompt["text"].startswith("How much SOL for PEPE2?")
        keys = redis.Redis.from_url(redis_url).keys(f"{FSM_PREFIX}:*")
        assert keys, "the question's state is not in Redis"

        # the bot restarts: a new dispatcher and a new connection to the same Redis
        harness = desk.harness
        await harness.dp.stop_polling()
        dp = build_dispatcher(harness.services, fsm_storage(redis_url))
        polling = asyncio.create_task(
            dp.start_polling(harness.bot, handle_signals=False, polling_timeout=1)
        )
        harness.dp = dp  # the harness stops this one when the test ends
        await desk.say("0.2")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while desk.landed_swaps(wallet) == 0 and loop.time() < deadline:
            await asyncio.sleep(0.05)
        assert desk.landed_swaps(wallet) == 1
        assert desk.tokens(wallet) > 0
    await polling
