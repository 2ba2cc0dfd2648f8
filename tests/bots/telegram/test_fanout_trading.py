"""Trading notices and auto-buys end to end: what the workers publish on ``trading.out`` and
``autotrade.out`` (real Redis) reaches the user's own chat through the real fan-out, aiogram Bot
and the local Bot API emulator — whatever their alert filters, in channel mode too — and an
auto-buy's outcome edits its question in place. Plus the wording, EN and FR."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bots.telegram.formatters.numbers import compact
from bots.telegram.formatters.trading import sol_amount
from bots.telegram.formatters.trading_notices import intent_outcome, intent_prompt, order_notice
from bots.telegram.routers.intents import IntentAnswer
from core.bus.streams import StreamPublisher
from core.storage.db import create_engine
from core.storage.models import User as UserRow
from core.storage.records import MintRecord
from core.storage.writer import BatchWriter
from core.trading.autotrade import STREAM as AUTOTRADE_STREAM
from core.trading.autotrade import (
    AutoTradeMode,
    AutoTradeRule,
    IntentState,
    intent_to_stream_fields,
)
from core.trading.autotrade import match as rule_match
from core.trading.autotrade_store import AutoTradeStore
from core.trading.notices import (
    STREAM as TRADING_STREAM,
)
from core.trading.notices import (
    IntentNotice,
    NoticeKind,
    NoticePublisher,
    TradeNotice,
    notice_to_stream_fields,
)
from core.trading.order_store import OrderStore, OrderView
from core.trading.orders import AmountBasis, LegKind, OrderTemplate, Price, TakeProfit
from core.trading.pricing import MarkPrices
from core.trading.service import TokenInfo
from core.trading.trade_types import Side, TradeOutcome, TradeState
from tests.bots.telegram import test_fanout
from tests.bots.telegram.conftest import buttons
from tests.bots.telegram.test_fanout import CHANNEL, FanoutEnv, signal
from tests.core.trading import conftest as trading_desk
from tests.core.trading.conftest import SOL, Desk
from tests.core.trading.test_autotrade import signal as rule_signal
from tests.telegram_emulator import User
from tests.workers.conftest import buy_position, whale_buy
from workers.execute import run_order
from workers.monitor import run_pass

env = test_fanout.env
fanout_redis = test_fanout.fanout_redis
desk = trading_desk.desk

MINT = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"
SIG = "5hQx" + "1" * 80
USERS: sa.Table = UserRow.__table__  # type: ignore[attr-defined]
PEPE2 = TokenInfo(MINT, "PEPE2", 6)


async def name_token(db_url: str, mint: str, symbol: str = "PEPE2") -> None:
    async with BatchWriter(db_url) as writer:
        await writer.add(
            MintRecord(mint, "Pepe Two", symbol, "", MINT, "curve", int(time.time()), 1, "c")
        )


async def link_telegram(db_url: str, user_id: int, telegram_id: int, lang: str) -> None:
    """The desk's user (made without Telegram) opens the bot: its chat and language."""
    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(
            USERS.update()
            .where(USERS.c.id == user_id)
            .values(telegram_id=telegram_id, language=lang)
        )
    await engine.dispose()


def notice(**changes: Any) -> TradeNotice:
    fields: dict[str, Any] = {
        "kind": NoticeKind.EXECUTED,
        "user_id": 1,
        "order_id": 41,
        "position_id": 12,
        "mint": MINT,
        "leg": LegKind.TAKE_PROFIT,
        "side": Side.SELL,
        "at": int(time.time()),
        "threshold_bps": 5_000,
        "amount_basis": AmountBasis.BASE,
        "amount": 3_000,
        "attempt": 0,
        "amount_raw": 1_234_567_000_000,
        "entry": Price(1_000_000_000, 10_000_000_000_000),
        "trigger": Price(1_520_000_000, 10_000_000_000_000),
        "signature": SIG,
        "token_delta_raw": -1_234_567_000_000,
        "sol_delta_lamports": 420_000_000,
    }
    fields.update(changes)
    return TradeNotice(**fields)


STOP_LOSS_FAILED = {
    "kind": NoticeKind.FAILED,
    "leg": LegKind.STOP_LOSS,
    "threshold_bps": 3_000,
    "amount_basis": AmountBasis.HELD,
    "amount": 10_000,
    "attempt": 2,
    "trigger": Price(690_000_000, 10_000_000_000_000),
    "signature": None,
    "token_delta_raw": None,
    "sol_delta_lamports": None,
    "reason": "no_route",
}


# ---- wording ----------------------------------------------------------------------------------


def test_an_executed_take_profit_reads_the_same_in_english_and_french() -> None:
    solscan = f'<a href="https://solscan.io/tx/{SIG}">Solscan</a>'
    assert order_notice(notice(), PEPE2, "en").splitlines() == [
        f"🎯 Take profit +50% hit on PEPE2: sold 30% (1.23M PEPE2) for 0.42 SOL · {solscan}",
        "Price at the trigger: +52% vs your entry · position #12",
    ]
    assert order_notice(notice(), PEPE2, "fr").splitlines() == [
        f"🎯 Prise de profit +50% atteint sur PEPE2 : vendu 30% (1.23M PEPE2) pour 0.42 SOL "
        f"· {solscan}",
        "Prix au déclenchement : +52% par rapport à votre entrée · position n°12",
    ]


def test_a_stop_loss_that_sold_everything_and_one_that_could_not_sell() -> None:
    sold = notice(
        leg=LegKind.STOP_LOSS,
        threshold_bps=3_000,
        amount_basis=AmountBasis.HELD,
        amount=10_000,
        trigger=Price(690_000_000, 10_000_000_000_000),
        sol_delta_lamports=210_000_000,
    )
    assert (
        order_notice(sold, PEPE2, "en")
        .splitlines()[0]
        .startswith(
            "🛑 Stop loss -30% hit on PEPE2: sold everything (1.23M PEPE2) for 0.21 SOL · "
        )
    )
    failed = notice(**STOP_LOSS_FAILED)
    assert order_notice(failed, PEPE2, "en").splitlines() == [
        "❌ Stop loss -30% on PEPE2 could not sell: no route for this trade: nothing was sent",
        "The order gave up after 3 attempts: see /positions to act yourself.",
        "Price at the trigger: -31% vs your entry · position #12",
    ]
    assert order_notice(failed, PEPE2, "fr").splitlines()[0] == (
        "❌ Stop loss -30% sur PEPE2 n'a pas pu vendre : "
        "aucune route pour cet ordre : rien n'a été envoyé"
    )
    rearmed = notice(kind=NoticeKind.REARMED, reason="slippage_exceeded", signature=None)
    assert order_notice(rearmed, PEPE2, "en").splitlines()[:2] == [
        "⚠️ Take profit +50% on PEPE2 did not execute (attempt 1): "
        "the price moved past your slippage limit: nothing was traded",
        "It is armed again and fires at the next trigger.",
    ]


def intent_notice(**changes: Any) -> IntentNotice:
    fields: dict[str, Any] = {
        "state": IntentState.PENDING,
        "intent_id": 9,
        "rule_id": 3,
        "rule": "fast",
        "user_id": 1,
        "mint": MINT,
        "buy_lamports": SOL // 2,
        "mode": AutoTradeMode.CONFIRM,
        "strength": 2.31,
        "why": "Strength 2.31 >= 1.8 and 3 smart buyers >= 2",
        "expires_at": datetime(2024, 5, 1, 12, 9, tzinfo=UTC),
    }
    fields.update(changes)
    return IntentNotice(**fields)


def test_an_auto_buy_question_and_its_outcomes_in_english_and_french() -> None:
    now = datetime(2024, 5, 1, 12, 4, 30, tzinfo=UTC)
    rule = AutoTradeRule(
        user_id=1,
        name="fast",
        mode=AutoTradeMode.CONFIRM,
        min_strength=1.8,
        min_smart_buyers=2,
        wallet=MINT,
        buy_lamports=SOL // 2,
        tags=("kol",),
    )
    en = intent_prompt(intent_notice(), PEPE2, "en", now=now, rule=rule, smart_buyers=3)
    assert en.splitlines()[:4] == [
        "🤖 Auto-trade rule «fast» matched PEPE2 (Strength 2.3x, 3 smart buyers): buy 0.5 SOL?",
        "Why: Strength 2.31 ≥ 1.8 · 3 smart buyers tagged kol ≥ 2",
        f"<code>{MINT}</code>",
        "Expires in 4m (12:09 UTC) if you do not answer.",
    ]
    fr = intent_prompt(intent_notice(), PEPE2, "fr", now=now, rule=rule, smart_buyers=3)
    assert fr.splitlines()[0] == (
        "🤖 La règle d'auto-trade «fast» a retenu PEPE2 (Strength 2.3x, 3 acheteurs smart) : "
        "acheter 0.5 SOL ?"
    )
    bought = TradeOutcome(
        f"auto-3-{MINT}",
        TradeState.CONFIRMED,
        Side.BUY,
        MINT,
        signature=SIG,
        token_delta_raw=12_080_000_000_000,
        sol_delta_lamports=-502_000_000,
    )
    done = intent_notice(state=IntentState.DONE, position_id=7)
    assert intent_outcome(done, PEPE2, "en", outcome=bought).splitlines() == [
        f"✅ Auto-trade «fast»: bought 12.1M PEPE2 for 0.502 SOL · "
        f'<a href="https://solscan.io/tx/{SIG}">Solscan</a>',
        "Position #7 · /positions",
    ]
    failed = intent_notice(state=IntentState.FAILED, reason="no_route")
    assert intent_outcome(failed, PEPE2, "fr") == (
        "❌ L'auto-trade «fast» n'a pas acheté PEPE2 : "
        "aucune route pour cet ordre : rien n'a été envoyé"
    )
    assert intent_outcome(intent_notice(state=IntentState.EXPIRED), PEPE2, "en") == (
        "⌛ Auto-trade «fast» on PEPE2 expired: nothing was bought."
    )


# ---- end to end -------------------------------------------------------------------------------


async def test_a_take_profit_the_worker_sold_reaches_its_user_with_the_figures_in_french(
    desk: Desk, env: FanoutEnv
) -> None:
    await name_token(env.db_url, str(desk.mint))
    await link_telegram(env.db_url, desk.user_id, 1001, "fr")
    await env.services[0].users.update_settings(desk.user_id, alerts=False)  # still told
    await env.user(1002)  # another user: not told
    await env.start()
    orders = OrderStore(desk.db_url)
    position = await buy_position(desk)
    template = OrderTemplate(take_profits=(TakeProfit(2_000, 5_000),), stop_loss_bps=5_000)
    tp, _stop = await orders.attach(position.id, template, user_id=desk.user_id)
    await whale_buy(desk, 15 * SOL)  # x1.32

    async def execute(order: OrderView) -> None:  # the orders queue's job, in process
        await run_order(
            order, store=orders, executor=desk.executors[0], notices=NoticePublisher(env.redis)
        )

    prices = MarkPrices(desk.db_url, jupiter=desk.jupiter)
    await run_pass(orders, prices, owner="worker-in-test", on_claimed=execute)
    await prices.aclose()

    (message,) = await env.emulator.bot_messages(User(id=1001))
    done = await orders.get(tp.id)
    assert done is not None and done.trade_key is not None
    trade = await desk.store.get(done.trade_key)
    assert trade is not None and trade.signature and trade.sol_delta_lamports
    sold = compact((done.trade_amount_raw or 0) / 10**6)
    got = sol_amount(trade.sol_delta_lamports)
    trigger = Price(done.detail["price_lamports"], done.detail["price_tokens_raw"])
    change = (trigger.ratio_bps(done.ref) - 10_000) / 100
    assert message["text"].splitlines() == [
        f"🎯 Prise de profit +20% atteint sur PEPE2 : vendu 50% ({sold} PEPE2) pour {got} · "
        f'<a href="https://solscan.io/tx/{trade.signature}">Solscan</a>',
        f"Prix au déclenchement : +{f'{change:.2f}'.rstrip('0').rstrip('.')}% "
        f"par rapport à votre entrée · position n°{position.id}",
    ]
    assert await env.chats() == [1001]
    await orders.aclose()


async def test_in_channel_mode_a_notice_goes_to_the_user_s_own_chat_not_the_channel(
    env: FanoutEnv,
) -> None:
    user_id = await env.user(1001, tags=("smart",), alerts=False)
    channel = env.bot_services(telegram_mode="channel", telegram_channel_id=CHANNEL)
    await env.start(channel)

    await StreamPublisher(env.redis, TRADING_STREAM).publish(
        notice_to_stream_fields(notice(user_id=user_id, **STOP_LOSS_FAILED))
    )
    await env.publish(signal(strength=2.33))

    (told,) = await env.emulator.bot_messages(User(id=1001))
    assert told["text"].splitlines()[0] == (
        "❌ Stop loss -30% on 7xKX…gAsU could not sell: no route for this trade: nothing was sent"
    )
    await env.until("the signal in the channel", lambda: _chats_has(env, CHANNEL))
    assert sorted(await env.chats()) == sorted([1001, CHANNEL])


async def _chats_has(env: FanoutEnv, chat: int) -> bool:
    return chat in await env.chats()


async def test_an_unreadable_notice_is_dead_lettered_and_a_user_without_telegram_gets_nothing(
    env: FanoutEnv,
) -> None:
    await env.user(1001)
    await env.start()
    publisher = StreamPublisher(env.redis, TRADING_STREAM)
    await publisher.publish({"v": "1", "kind": "sold", "mint": MINT})
    await publisher.publish(notice_to_stream_fields(notice(user_id=999_999)))

    async def dead() -> bool:
        return bool(await env.dead())

    await env.until("the dead letter", dead)
    (letter,) = await env.dead()
    assert letter["reason"] == "undecodable" and letter["stream"] == TRADING_STREAM

    async def acknowledged() -> bool:
        info = await env.redis.xinfo_groups(TRADING_STREAM)
        return bool(info) and info[0]["pending"] == 0 and info[0]["entries-read"] == 2

    await env.until("both entries acknowledged", acknowledged)
    assert await env.chats() == []


async def pending_intent(env: FanoutEnv, telegram_id: int, lang: str = "en") -> tuple[int, Any]:
    """A confirm-mode rule of the user's matched PEPE2: the intent, as the loop records it."""
    user_id = await env.user(telegram_id, lang)
    store = AutoTradeStore(env.db_url)
    rule = await store.add_rule(
        AutoTradeRule(
            user_id=user_id,
            name="fast",
            mode=AutoTradeMode.CONFIRM,
            min_strength=1.8,
            min_smart_buyers=3,
            wallet=MINT,
            buy_lamports=SOL // 2,
        )
    )
    found = rule_match(rule, rule_signal(MINT, strength=2.31), {})
    assert found is not None
    intent = await store.record(found)
    assert intent is not None
    await store.aclose()
    return user_id, intent


async def test_a_pending_auto_buy_asks_its_user_and_its_outcome_edits_the_question(
    env: FanoutEnv,
) -> None:
    await name_token(env.db_url, MINT)
    user_id, intent = await pending_intent(env, 1001)
    await env.start()
    publisher = StreamPublisher(env.redis, AUTOTRADE_STREAM)

    await publisher.publish(intent_to_stream_fields(intent))

    (question,) = await env.emulator.bot_messages(User(id=1001))
    lines = question["text"].splitlines()
    assert lines[:3] == [
        "🤖 Auto-trade rule «fast» matched PEPE2 (Strength 2.3x, 3 smart buyers): buy 0.5 SOL?",
        "Why: Strength 2.31 ≥ 1.8 · 3 smart buyers ≥ 3",
        f"<code>{MINT}</code>",
    ]
    assert lines[3].startswith("Expires in 4m (") or lines[3].startswith("Expires in 5m (")
    assert buttons(question) == {
        "✅ Confirm": IntentAnswer(intent_id=intent.id, confirm=True).pack(),
        "✖ Cancel": IntentAnswer(intent_id=intent.id, confirm=False).pack(),
    }

    store = AutoTradeStore(env.db_url)  # the user confirmed; the worker tried, no route
    await store.confirm(intent.id, user_id=user_id)
    (executing,) = await store.claim_ready("worker-in-test")
    failed = await store.finish(
        executing,
        TradeOutcome(intent.trade_key, TradeState.FAILED, Side.BUY, MINT, "no_route"),
        None,
    )
    assert failed is not None
    await publisher.publish(intent_to_stream_fields(failed))

    (edited,) = await env.emulator.bot_messages(User(id=1001))
    assert edited["message_id"] == question["message_id"]
    assert edited["text"] == (
        "❌ Auto-trade «fast» did not buy PEPE2: no route for this trade: nothing was sent"
    )
    assert buttons(edited) == {}  # Confirm / Cancel are gone
    assert len(await env.emulator.requests("sendMessage")) == 1
    await store.aclose()


async def test_an_expired_question_is_edited_to_say_nothing_was_bought(env: FanoutEnv) -> None:
    _user_id, intent = await pending_intent(env, 1001, "fr")
    await env.start()
    publisher = StreamPublisher(env.redis, AUTOTRADE_STREAM)
    await publisher.publish(intent_to_stream_fields(intent))
    (question,) = await env.emulator.bot_messages(User(id=1001))

    later = AutoTradeStore(
        env.db_url, clock=lambda: datetime.now(UTC) + timedelta(hours=1)
    )  # the loop, an hour on
    (expired,) = await later.expire()
    await publisher.publish(intent_to_stream_fields(expired))

    (edited,) = await env.emulator.bot_messages(User(id=1001))
    assert edited["message_id"] == question["message_id"]
    assert edited["text"] == "⌛ Auto-trade «fast» sur 7xKX…gAsU expiré : rien n'a été acheté."
    await later.aclose()
