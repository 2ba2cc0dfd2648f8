"""A fan-out message without buttons is sent without ``reply_markup`` (no empty keyboard), while
an edit that takes buttons away still sends the empty keyboard that removes them: checked on the
Bot API calls the local emulator received."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from core.bus.streams import StreamPublisher
from core.trading.autotrade import STREAM as AUTOTRADE_STREAM
from core.trading.autotrade import IntentState, intent_to_stream_fields
from core.trading.notices import STREAM as TRADING_STREAM
from core.trading.notices import notice_to_stream_fields
from tests.bots.telegram import test_fanout
from tests.bots.telegram.conftest import buttons
from tests.bots.telegram.test_fanout import FanoutEnv
from tests.bots.telegram.test_fanout_trading import (
    MINT,
    STOP_LOSS_FAILED,
    name_token,
    notice,
    pending_intent,
)
from tests.telegram_emulator import User

env = test_fanout.env
fanout_redis = test_fanout.fanout_redis

ANA = User(id=1001)


def _markup(call: dict[str, Any]) -> Any:
    raw = call["params"].get("reply_markup")
    return json.loads(raw) if isinstance(raw, str) else raw


async def _sent_to(env: FanoutEnv, chat_id: int) -> list[dict[str, Any]]:
    return [
        call
        for call in await env.emulator.requests("sendMessage")
        if str(call["params"].get("chat_id")) == str(chat_id)
    ]


async def test_a_trading_notice_is_sent_without_an_empty_keyboard(env: FanoutEnv) -> None:
    user_id = await env.user(ANA.id)
    await env.start()

    await StreamPublisher(env.redis, TRADING_STREAM).publish(
        notice_to_stream_fields(notice(user_id=user_id, **STOP_LOSS_FAILED))
    )

    (told,) = await env.emulator.bot_messages(ANA)
    assert told["text"].startswith("❌ Stop loss -30% on 7xKX…gAsU could not sell")
    assert buttons(told) == {}
    (call,) = await _sent_to(env, ANA.id)
    assert "reply_markup" not in call["params"]


async def test_an_auto_buy_outcome_without_a_question_is_sent_without_a_keyboard(
    env: FanoutEnv,
) -> None:
    _user_id, intent = await pending_intent(env, ANA.id)  # its question was never shown
    await env.start()

    expired = dataclasses.replace(intent, state=IntentState.EXPIRED)
    await StreamPublisher(env.redis, AUTOTRADE_STREAM).publish(intent_to_stream_fields(expired))

    (told,) = await env.emulator.bot_messages(ANA)
    assert told["text"] == "⌛ Auto-trade «fast» on 7xKX…gAsU expired: nothing was bought."
    (call,) = await _sent_to(env, ANA.id)
    assert "reply_markup" not in call["params"]


async def test_an_outcome_editing_the_question_still_removes_its_buttons(
    env: FanoutEnv,
) -> None:
    await name_token(env.db_url, MINT)
    _user_id, intent = await pending_intent(env, ANA.id)
    await env.start()
    publisher = StreamPublisher(env.redis, AUTOTRADE_STREAM)
    await publisher.publish(intent_to_stream_fields(intent))
    (question,) = await env.emulator.bot_messages(ANA)
    (asked,) = await _sent_to(env, ANA.id)
    assert set(buttons(question)) == {"✅ Confirm", "✖ Cancel"}
    assert _markup(asked)["inline_keyboard"]

    expired = dataclasses.replace(intent, state=IntentState.EXPIRED)
    await publisher.publish(intent_to_stream_fields(expired))

    (edited,) = await env.emulator.bot_messages(ANA)
    assert edited["message_id"] == question["message_id"]
    assert edited["text"] == "⌛ Auto-trade «fast» on PEPE2 expired: nothing was bought."
    assert buttons(edited) == {}
    (edit,) = await env.emulator.requests("editMessageText")
    assert _markup(edit) == {"inline_keyboard": []}
    assert len(await _sent_to(env, ANA.id)) == 1
