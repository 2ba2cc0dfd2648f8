"""TP/SL from the chat, through the real bot on the LiteSVM chain: /tpsl arms the template's
orders on the open position (rows in PostgreSQL), replacing the armed ones; the [TP/SL] button of
/positions, the presets, Custom… and Remove all; and plain errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.trading.order_rows import OrderView
from core.trading.order_store import OrderStore
from core.trading.orders import BPS, AmountBasis, LegKind, OrderState, Price
from core.trading.positions import PositionView
from tests.bots.telegram.conftest import buttons
from tests.bots.telegram.test_bot_trade import finished
from tests.bots.telegram.trade_harness import TradeBot, trade_bot
from tests.telegram_emulator import TelegramEmulator

OTHER_MINT = "So11111111111111111111111111111111111111112"


@pytest.fixture
async def desk(
    telegram_emulator: TelegramEmulator, bot_db_url: str, tmp_path: Path
) -> AsyncIterator[TradeBot]:
    async with trade_bot(telegram_emulator, bot_db_url, tmp_path) as bot:
        yield bot


async def open_position(desk: TradeBot) -> PositionView:
    await desk.enable_trading()
    (bought,) = await desk.say(f"/buy {desk.mint} 0.5")
    await finished(desk, bought, "✅ confirmed")
    (position,) = await desk.trading.book.of_user(await desk.user_id())
    return position


async def orders(desk: TradeBot, position: PositionView) -> list[OrderView]:
    return await OrderStore(engine=desk.harness.services.engine).of_position(position.id)


def legs(views: list[OrderView], state: OrderState = OrderState.ARMED) -> list[tuple[object, ...]]:
    return [
        (v.kind, v.threshold_bps, v.amount_basis, v.amount, v.activation_bps)
        for v in views
        if v.state is state
    ]


async def test_tpsl_arms_the_template_on_the_position_and_a_new_one_replaces_it(
    desk: TradeBot,
) -> None:
    position = await open_position(desk)
    held = position.holding.token_amount_raw

    (reply,) = await desk.say(f"/tpsl {desk.mint} tp 50:30 100:30 sl 25")

    lines = reply["text"].splitlines()
    assert lines[0].startswith("<b>TP/SL · PEPE2</b> <code>")
    assert lines[1:5] == [
        "✅ 3 orders armed.",
        "🎯 +50% → sell 30% · armed",
        "🎯 +100% → sell 30% · armed",
        "🛑 -25% → sell all · armed",
    ]
    assert list(buttons(reply)) == ["Safe", "Moon", "Scalp", "Custom…", "🗑 Remove all"]
    stored = await orders(desk, position)
    assert legs(stored) == [
        (LegKind.TAKE_PROFIT, 5_000, AmountBasis.BASE, 3_000, None),
        (LegKind.TAKE_PROFIT, 10_000, AmountBasis.BASE, 3_000, None),
        (LegKind.STOP_LOSS, 2_500, AmountBasis.HELD, BPS, None),
    ]
    entry = Price(position.holding.cost_lamports, held)
    assert all(v.ref == entry and v.base_tokens_raw == held for v in stored)
    assert [v.oco_group for v in stored] == [None, None, "exit"]

    (replaced,) = await desk.say(f"/tpsl {desk.mint} moon")

    assert "✅ 3 orders armed. It replaces 3 armed orders." in replaced["text"]
    stored = await orders(desk, position)
    assert [v.reason for v in stored if v.state is OrderState.CANCELLED] == ["replaced"] * 3
    assert legs(stored) == [
        (LegKind.TAKE_PROFIT, 10_000, AmountBasis.BASE, 3_000, None),
        (LegKind.TAKE_PROFIT, 30_000, AmountBasis.BASE, 3_000, None),
        (LegKind.TRAILING_STOP, 2_500, AmountBasis.HELD, BPS, None),
    ]

    (shown,) = await desk.say(f"/tpsl {desk.mint}")
    assert "📉 trailing 25% below the peak → sell all · armed" in shown["text"]

    (off,) = await desk.say(f"/tpsl {desk.mint} off")

    assert "🗑 3 armed orders cancelled." in off["text"]
    assert "No armed orders on this position." in off["text"]
    assert legs(await orders(desk, position)) == []


async def test_the_positions_button_presets_custom_text_and_remove_all(desk: TradeBot) -> None:
    position = await open_position(desk)
    (listing,) = await desk.say("/positions")
    assert list(buttons(listing)) == ["#1 Sell 25%", "#1 Sell 50%", "#1 Sell 100%", "#1 TP/SL"]

    (view,) = await desk.press(buttons(listing)["#1 TP/SL"], listing)

    assert view["message_id"] != listing["message_id"]  # the positions list stays
    assert "No armed orders on this position." in view["text"]
    (safe,) = await desk.press(buttons(view)["Safe"], view)
    assert safe["message_id"] == view["message_id"]  # edited in place
    assert "✅ 3 orders armed." in safe["text"]
    assert legs(await orders(desk, position)) == [
        (LegKind.TAKE_PROFIT, 5_000, AmountBasis.BASE, 5_000, None),
        (LegKind.TAKE_PROFIT, 10_000, AmountBasis.BASE, 5_000, None),
        (LegKind.STOP_LOSS, 2_500, AmountBasis.HELD, BPS, None),
    ]

    (prompt,) = await desk.press(buttons(safe)["Custom…"], safe)
    assert prompt["text"].startswith("Send the TP/SL template for PEPE2 in your next message")
    (wrong,) = await desk.say("tp 50")
    assert wrong["text"].startswith('"50": expected two values separated by “:”, e.g. 50:30.')
    assert len(legs(await orders(desk, position))) == 3  # nothing changed

    await desk.press(buttons(safe)["Custom…"], safe)
    (custom,) = await desk.say("tp 20:50 trail 10 from 15 time 2h")

    assert "✅ 3 orders armed. It replaces 3 armed orders." in custom["text"]
    assert "⏰ in 2h → sell all · armed" in custom["text"]  # the bot's clock stands still
    stored = await orders(desk, position)
    assert legs(stored) == [
        (LegKind.TAKE_PROFIT, 2_000, AmountBasis.BASE, 5_000, None),
        (LegKind.TRAILING_STOP, 1_000, AmountBasis.HELD, BPS, 1_500),
        (LegKind.TIME_EXIT, 0, AmountBasis.HELD, BPS, None),
    ]
    (timed,) = [v for v in stored if v.kind is LegKind.TIME_EXIT and v.state is OrderState.ARMED]
    assert timed.due_at is not None and (timed.due_at - timed.created_at).total_seconds() == 7200

    (removed,) = await desk.press(buttons(custom)["🗑 Remove all"], custom)
    assert "🗑 3 armed orders cancelled." in removed["text"]
    assert legs(await orders(desk, position)) == []


async def test_errors_are_plain_and_change_nothing(desk: TradeBot) -> None:
    (usage,) = await desk.say("/tpsl")
    assert usage["text"].startswith("Usage: /tpsl &lt;mint&gt; &lt;template|preset|off&gt;.")
    (bad,) = await desk.say("/tpsl abc safe")
    assert bad["text"].startswith('"abc" is not a Solana address')
    position = await open_position(desk)

    (none,) = await desk.say(f"/tpsl {OTHER_MINT} safe")
    assert none["text"] == (
        f"You have no open position in <code>{OTHER_MINT[:4]}…{OTHER_MINT[-4:]}</code>:"
        " /positions lists yours."
    )
    (typo,) = await desk.say(f"/tpsl {desk.mint} tp 50:30 stop 25")
    assert typo["text"].startswith(
        '"stop": expected one of tp, sl, trail, time, dcain, dcaout, or a preset name.'
    )
    (too_much,) = await desk.say(f"/tpsl {desk.mint} tp 50:60 100:60")
    assert too_much["text"].startswith(
        "Template not accepted: take profits and DCA-out sell 120 % of the position in total"
    )
    assert await orders(desk, position) == []

    await desk.say("/trading off")
    (off,) = await desk.say(f"/tpsl {desk.mint} safe")
    assert "Trading is off for your account, so orders would never execute." in off["text"]
    assert await orders(desk, position) == []
