"""Removing an auto-trade rule through the real bot asks first: "Remove rule «name»?" with the
number of its pending auto-buy questions, [🗑 Remove] [Keep], both answered in place. Only
[Remove] removes it; its pending questions, sent by the real fan-out, are then edited in place to
say the rule was removed (the bot publishes the cancelled intents on ``autotrade.out``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from core.bus.streams import StreamPublisher
from core.trading.autotrade import STREAM as AUTOTRADE_STREAM
from core.trading.autotrade import AutoTradeRule, Intent, IntentState, intent_to_stream_fields
from core.trading.autotrade import match as rule_match
from core.trading.autotrade_store import AutoTradeStore
from tests.bots.telegram import test_fanout
from tests.bots.telegram.conftest import ANA, buttons
from tests.bots.telegram.test_fanout import FanoutEnv
from tests.bots.telegram.trade_harness import TradeBot
from tests.core.trading.test_autotrade import signal as rule_signal
from tests.telegram_emulator import User

env = test_fanout.env
fanout_redis = test_fanout.fanout_redis
BOB = User(id=1002, first_name="Bob", username="bob_trades")
FAST = "/autotrade add fast strength>=1.8 smart>=3 buy=0.5"


def store_of(desk: TradeBot) -> AutoTradeStore:
    return AutoTradeStore(engine=desk.harness.services.engine)


async def names(desk: TradeBot, user: User = ANA) -> list[str]:
    return [r.name for r in await store_of(desk).rules_of(await desk.user_id(user))]


async def the_rule(desk: TradeBot) -> AutoTradeRule:
    (rule,) = await store_of(desk).rules_of(await desk.user_id())
    return rule


async def pending_intent(desk: TradeBot) -> Intent:
    """The rule matched the desk's mint (PEPE2): the question, as the workers' loop records it."""
    rule = await the_rule(desk)
    found = rule_match(rule, rule_signal(str(desk.mint), strength=2.31), {})
    assert found is not None
    intent = await store_of(desk).record(found)
    assert intent is not None and intent.state is IntentState.PENDING
    return intent


async def alerts(desk: TradeBot, count: int = 1) -> list[str]:
    """The texts of the button answers shown as alerts (waits for ``count`` of them)."""
    for _ in range(200):
        calls = await desk.harness.emulator.requests("answerCallbackQuery")
        shown = [str(c["params"].get("text", "")) for c in calls if c["params"].get("show_alert")]
        if len(shown) >= count:
            return shown
        await asyncio.sleep(0.05)
    raise AssertionError("no alert answered")


async def test_remove_asks_first_keep_changes_nothing_and_remove_removes(desk: TradeBot) -> None:
    await desk.enable_trading()
    await desk.say(FAST)
    await pending_intent(desk)

    (question,) = await desk.say("/autotrade remove 1")

    assert question["text"].splitlines() == [
        "🗑 Remove rule «fast»?",
        "Its 1 pending auto-buy question will be cancelled.",
        "#1 <b>fast</b> · ✅ on · confirm (asks you first)",
        "   Strength ≥ 1.8 · smart ≥ 3 · buy 0.5 SOL · no TP/SL",
        "The auto-buys it made stay in the history.",
    ]
    assert list(buttons(question)) == ["🗑 Remove", "Keep"]
    assert await names(desk) == ["fast"]  # asking removed nothing

    (kept,) = await desk.press(buttons(question)["Keep"], question)

    assert kept["message_id"] == question["message_id"]
    assert kept["text"].startswith(
        "Rule #1 fast kept; nothing changed.\n\n<b>Auto-trade rules</b>"
    )
    assert await names(desk) == ["fast"]
    (intent,) = await store_of(desk).of_user(await desk.user_id())
    assert intent.state is IntentState.PENDING  # its question still waits

    (again,) = await desk.say("/autotrade remove #1")
    (removed,) = await desk.press(buttons(again)["🗑 Remove"], again)

    assert removed["message_id"] == again["message_id"]
    assert removed["text"].splitlines()[:3] == [
        "🗑 Rule #1 fast removed; the auto-buys it made stay in the history.",
        "✖ 1 pending auto-buy question cancelled: nothing was bought.",
        "",
    ]
    assert buttons(removed) == {}  # the list is empty now
    assert await names(desk) == []
    cancelled = await store_of(desk).get(intent.id)
    assert cancelled is not None and cancelled.state is IntentState.CANCELLED
    assert cancelled.reason == "rule_removed"


async def test_the_list_button_asks_in_place_and_speaks_french(desk: TradeBot) -> None:
    await desk.enable_trading()
    await desk.say(FAST)
    await desk.say("/lang fr")
    (listing,) = await desk.say("/autotrade")

    (question,) = await desk.press(buttons(listing)["🗑 Supprimer n°1"], listing)

    assert question["message_id"] == listing["message_id"]
    assert question["text"].splitlines()[0] == "🗑 Supprimer la règle «fast» ?"
    assert question["text"].splitlines()[-1] == (
        "Ses achats automatiques restent dans l'historique."
    )  # no pending question: no line about them
    assert list(buttons(question)) == ["🗑 Supprimer", "Garder"]

    (kept,) = await desk.press(buttons(question)["Garder"], question)
    assert kept["text"].startswith("Règle #1 fast conservée ; rien n'a changé.")
    assert await names(desk) == ["fast"]

    (asked,) = await desk.press(buttons(kept)["🗑 Supprimer n°1"], kept)
    (removed,) = await desk.press(buttons(asked)["🗑 Supprimer"], asked)
    assert removed["text"].startswith(
        "🗑 Règle #1 fast supprimée ; ses achats automatiques restent dans l'historique."
    )
    assert await names(desk) == []


async def test_a_press_on_a_removed_rule_or_by_another_user_is_answered_plainly(
    desk: TradeBot,
) -> None:
    await desk.enable_trading()
    await desk.say(FAST)
    (first,) = await desk.say("/autotrade remove 1")
    (second,) = await desk.say("/autotrade remove 1")

    await desk.press(buttons(second)["🗑 Remove"], second, BOB, count=0)
    assert await alerts(desk) == ["There is no auto-trade rule #1 of yours."]
    assert await names(desk) == ["fast"]

    await desk.press(buttons(first)["🗑 Remove"], first)
    await desk.press(buttons(second)["🗑 Remove"], second, count=0)
    await desk.press(buttons(second)["Keep"], second, count=0)

    assert (await alerts(desk, 3))[1:] == [
        "Rule #1 was removed already. Nothing changed.",
        "Rule #1 was removed already. Nothing changed.",
    ]
    (typed,) = await desk.say("/autotrade remove 1")
    assert typed["text"] == "Rule #1 was removed already. Nothing changed."
    (unknown,) = await desk.say("/autotrade remove 77")
    assert unknown["text"] == "There is no auto-trade rule #77 of yours."
    (bad,) = await desk.say("/autotrade remove fast")
    assert bad["text"] == (
        "Which rule? Send <code>/autotrade remove &lt;id&gt;</code> with the number /autotrade"
        " shows, e.g. <code>/autotrade remove 3</code>."
    )


async def question_edits(env: FanoutEnv, message_id: int) -> list[dict[str, Any]]:
    return [
        call["params"]
        for call in await env.emulator.requests("editMessageText")
        if str(call["params"].get("message_id")) == str(message_id)
    ]


async def test_removing_the_rule_edits_its_pending_question_in_place(
    desk: TradeBot, env: FanoutEnv
) -> None:
    await desk.enable_trading()
    await desk.say(FAST)
    intent = await pending_intent(desk)
    desk.harness.services.autotrade_out = StreamPublisher(env.redis, AUTOTRADE_STREAM)
    await env.start()
    await StreamPublisher(env.redis, AUTOTRADE_STREAM).publish(intent_to_stream_fields(intent))
    (asked_to_buy,) = await env.emulator.bot_messages(ANA)
    assert list(buttons(asked_to_buy)) == ["✅ Confirm", "✖ Cancel"]

    (question,) = await desk.say("/autotrade remove 1")
    await desk.press(buttons(question)["🗑 Remove"], question, count=2)

    async def edited() -> bool:
        return bool(await question_edits(env, asked_to_buy["message_id"]))

    await env.until("the auto-buy question edited", edited)
    (edit,) = await question_edits(env, asked_to_buy["message_id"])
    assert edit["text"] == (
        "✖ Auto-trade «fast» on PEPE2 cancelled: rule removed, nothing was bought."
    )
    assert json.loads(edit["reply_markup"]) == {"inline_keyboard": []}  # no Confirm / Cancel
    sent = [str(c["params"]["text"]) for c in await env.emulator.requests("sendMessage")]
    assert not any("rule removed" in text for text in sent)  # an edit, not a new message

    await desk.press(buttons(asked_to_buy)["✅ Confirm"], asked_to_buy, count=0)  # a stale tap
    assert await alerts(desk) == [
        "This auto-buy was cancelled when its rule was removed. Nothing was bought."
    ]
    latest = await store_of(desk).get(intent.id)
    assert latest is not None and latest.state is IntentState.CANCELLED
