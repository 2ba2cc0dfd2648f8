"""[✅ Confirm] / [✖ Cancel] under an auto-buy question: the fan-out sends the question (from
``autotrade.out``), the polling bot answers the presses through the emulator, and the intent
moves in PostgreSQL — only for its own user, only while it is pending."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bots.telegram.routers.intents import IntentAnswer
from core.bus.streams import StreamPublisher
from core.trading.autotrade import STREAM as AUTOTRADE_STREAM
from core.trading.autotrade import IntentState, intent_to_stream_fields
from core.trading.autotrade_store import AutoTradeStore
from tests.bots.telegram import test_fanout
from tests.bots.telegram.conftest import ANA, BotHarness, buttons
from tests.bots.telegram.test_fanout import FanoutEnv
from tests.bots.telegram.test_fanout_trading import MINT, name_token, pending_intent
from tests.telegram_emulator import User

env = test_fanout.env
fanout_redis = test_fanout.fanout_redis
BOB = User(id=1002, first_name="Bob", username="bob_trades", language_code="fr")


async def ask(env: FanoutEnv, user: User = ANA, lang: str = "en") -> tuple[Any, dict[str, Any]]:
    """A pending auto-buy of the user's, delivered by the fan-out: (intent, the question)."""
    await name_token(env.db_url, MINT)
    _user_id, intent = await pending_intent(env, user.id, lang)
    await env.start()
    await StreamPublisher(env.redis, AUTOTRADE_STREAM).publish(intent_to_stream_fields(intent))
    (question,) = await env.emulator.bot_messages(user)
    return intent, question


async def state_of(env: FanoutEnv, intent_id: int) -> IntentState:
    store = AutoTradeStore(env.db_url)
    intent = await store.get(intent_id)
    await store.aclose()
    assert intent is not None
    return intent.state


async def alerts(harness: BotHarness, count: int = 1) -> list[str]:
    """The texts of the button answers shown as alerts (waits for ``count`` of them)."""
    for _ in range(200):
        calls = await harness.emulator.requests("answerCallbackQuery")
        shown = [str(c["params"].get("text", "")) for c in calls if c["params"].get("show_alert")]
        if len(shown) >= count:
            return shown
        await asyncio.sleep(0.05)
    raise AssertionError("no alert answered")


async def test_confirm_moves_the_intent_to_confirmed_and_says_it_is_buying(
    harness: BotHarness, env: FanoutEnv
) -> None:
    intent, question = await ask(env)

    (edited,) = await harness.press(buttons(question)["✅ Confirm"], question)

    assert await state_of(env, intent.id) is IntentState.CONFIRMED  # the workers buy next
    assert edited["message_id"] == question["message_id"]
    assert edited["text"] == "✅ Confirmed — buying 0.5 SOL of PEPE2… (auto-trade «fast»)"
    assert buttons(edited) == {}


async def test_cancel_cancels_the_intent_in_french(harness: BotHarness, env: FanoutEnv) -> None:
    intent, question = await ask(env, BOB, "fr")

    (edited,) = await harness.press(buttons(question)["✖ Annuler"], question, BOB)

    assert await state_of(env, intent.id) is IntentState.CANCELLED
    assert edited["text"] == "✖ Auto-trade «fast» sur PEPE2 annulé : rien n'a été acheté."
    assert buttons(edited) == {}


async def test_another_user_s_press_is_refused_and_changes_nothing(
    harness: BotHarness, env: FanoutEnv
) -> None:
    intent, question = await ask(env)

    await harness.press(buttons(question)["✅ Confirm"], question, BOB, count=0)

    (refusal,) = await alerts(harness)
    assert refusal == (
        "Cet auto-trade n'est pas le vôtre : seul le propriétaire de sa règle peut y répondre. "
        "Rien n'a changé."
    )
    assert await state_of(env, intent.id) is IntentState.PENDING
    assert await harness.emulator.requests("editMessageText") == []


async def test_a_second_press_and_a_late_press_are_answered_plainly(
    harness: BotHarness, env: FanoutEnv
) -> None:
    intent, question = await ask(env)
    await harness.press(buttons(question)["✖ Cancel"], question)

    await harness.press(buttons(question)["✅ Confirm"], question, count=0)

    assert await alerts(harness) == ["This auto-buy was cancelled already. Nothing was bought."]
    assert await state_of(env, intent.id) is IntentState.CANCELLED

    _user_id, late = await pending_intent_of_other_mint(env)
    harness.clock.now = datetime.now(UTC) + timedelta(hours=1)  # unanswered for an hour
    late_confirm = IntentAnswer(intent_id=late.id, confirm=True).pack()
    await harness.press(late_confirm, question, count=0)
    assert (await alerts(harness, 2))[1] == "Too late: this auto-buy expired. Nothing was bought."
    assert await state_of(env, late.id) is IntentState.PENDING  # the loop marks it expired


async def pending_intent_of_other_mint(env: FanoutEnv) -> tuple[int, Any]:
    """Another pending intent of Ana's (the rule's next mint)."""
    from core.trading.autotrade import match
    from tests.core.trading.test_autotrade import signal

    store = AutoTradeStore(env.db_url)
    profile = await env.services[0].users.by_telegram(ANA.id)
    assert profile is not None
    (rule,) = await store.rules_of(profile.id)
    found = match(rule, signal("5FhJk2LmNpQrStUvWxYz3a4b5c6d7e8f9g1h2i3j4k5m", strength=2.2), {})
    assert found is not None
    intent = await store.record(found)
    assert intent is not None
    await store.aclose()
    return profile.id, intent


async def test_a_question_that_can_no_longer_be_edited_gets_the_outcome_as_a_new_message(
    harness: BotHarness, env: FanoutEnv
) -> None:
    intent, question = await ask(env)
    await harness.emulator.fail_chat(
        ANA.id,
        method="editMessageText",
        error_code=400,
        description="Bad Request: message can't be edited",
    )

    (answer,) = await harness.press(buttons(question)["✖ Cancel"], question)

    assert await state_of(env, intent.id) is IntentState.CANCELLED
    assert answer["message_id"] != question["message_id"]
    assert answer["text"] == "✖ Auto-trade «fast» on PEPE2 cancelled: nothing was bought."
    # a new message without buttons carries no reply_markup (an empty keyboard is for edits)
    (sent,) = [
        c
        for c in await harness.emulator.requests("sendMessage")
        if c["params"]["text"] == answer["text"]
    ]
    assert "reply_markup" not in sent["params"]
