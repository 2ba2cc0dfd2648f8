"""/autotrade through the real bot: rules added from the chat are stored for the user's trading
wallet (confirm by default; direct only after an explicit button), listed, disabled and removed
with buttons (removal asks first: test_bot_autotrade_removal); every bad key is named and
nothing is stored."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.trading.autotrade import AutoTradeMode, AutoTradeRule
from core.trading.autotrade_store import RULES, AutoTradeStore
from core.trading.orders import OrderTemplate, TakeProfit
from core.trading.template_text import presets
from tests.bots.telegram.conftest import buttons
from tests.bots.telegram.trade_harness import SOL, TradeBot

LIMITS = "Limits always apply: every auto-buy is checked against your per-trade and daily SOL"


async def rules(desk: TradeBot) -> list[AutoTradeRule]:
    store = AutoTradeStore(engine=desk.harness.services.engine)
    return await store.rules_of(await desk.user_id())


async def test_rules_are_added_for_the_trading_wallet_and_direct_mode_waits_for_the_button(
    desk: TradeBot,
) -> None:
    (empty,) = await desk.say("/autotrade")
    assert empty["text"].splitlines()[:2] == [
        "<b>Auto-trade rules</b> · 0",
        "No rules yet. Add one with:",
    ]
    (refused,) = await desk.say("/autotrade add burst strength>=2 smart>=3 buy=0.2")
    assert refused["text"].startswith("Auto-trade buys from your trading wallet: turn trading on")
    assert await rules(desk) == []

    wallet = await desk.enable_trading()
    (added,) = await desk.say(
        "/autotrade add burst strength>=2.5 smart>=3 tags=kol,smart buy=0.2 tp 50:50 sl 25"
    )

    lines = added["text"].splitlines()
    assert lines[:3] == [
        "✅ Auto-trade rule #1 added.",
        "#1 <b>burst</b> · ✅ on · confirm (asks you first)",
        "   Strength ≥ 2.5 · smart ≥ 3 (kol, smart) · buy 0.2 SOL · TP/SL"
        " <code>tp 50:50 sl 25</code>",
    ]
    assert lines[3].startswith(LIMITS)
    assert lines[4].startswith("Limits: 0.5 SOL per trade · 2.0 SOL a day")
    (rule,) = await rules(desk)
    assert (rule.name, rule.mode, rule.enabled, rule.wallet) == (
        "burst",
        AutoTradeMode.CONFIRM,
        True,
        str(wallet),
    )
    assert (rule.min_strength, rule.min_smart_buyers, rule.tags) == (2.5, 3, ("kol", "smart"))
    assert rule.buy_lamports == SOL // 5 and rule.slippage_bps is None
    assert rule.template == OrderTemplate((TakeProfit(5_000, 5_000),), stop_loss_bps=2_500)

    (direct,) = await desk.say(
        "/autotrade add sniper strength>=2 smart>=5 buy=0.1 mode=direct tpsl=moon slippage=150"
    )

    assert direct["text"].startswith(
        "⚡ Rule #2 is in direct mode: it will buy 0.1 SOL WITHOUT asking you"
    )
    assert "TP/SL moon · slippage 1.5%" in direct["text"]
    assert list(buttons(direct)) == ["⚡ Yes, buy without asking", "Keep it off"]
    sniper = (await rules(desk))[1]
    assert sniper.mode is AutoTradeMode.DIRECT and sniper.enabled is False
    assert sniper.template == presets()["moon"] and sniper.slippage_bps == 150

    (on,) = await desk.press(buttons(direct)["⚡ Yes, buy without asking"], direct)

    assert on["message_id"] == direct["message_id"]
    assert on["text"].startswith("✅ Rule #2 sniper is on.")
    assert [r.enabled for r in await rules(desk)] == [True, True]


async def test_the_list_buttons_disable_enable_and_remove(desk: TradeBot) -> None:
    await desk.enable_trading()
    await desk.say("/autotrade add one strength>=2 smart>=3 buy=0.1")
    await desk.say("/autotrade add two strength>=1.5 smart>=2 buy=0.1 mode=direct")
    (listing,) = await desk.say("/autotrade list")
    assert list(buttons(listing)) == [
        "⏸ Disable #1",
        "🗑 Remove #1",
        "▶️ Enable #2",
        "🗑 Remove #2",
    ]
    assert "#2 <b>two</b> · ⏸ off · ⚡ direct (buys without asking)" in listing["text"]

    (off,) = await desk.press(buttons(listing)["⏸ Disable #1"], listing)
    assert off["text"].startswith("⏸ Rule #1 one is off.")
    assert [r.enabled for r in await rules(desk)] == [False, False]

    (ask,) = await desk.press(buttons(off)["▶️ Enable #2"], off)  # direct: asks again
    assert ask["text"].startswith("⚡ Rule #2 is in direct mode")
    (kept,) = await desk.press(buttons(ask)["Keep it off"], ask)
    assert [r.enabled for r in await rules(desk)] == [False, False]

    (asked,) = await desk.press(buttons(kept)["🗑 Remove #2"], kept)  # asks first
    assert asked["text"].startswith("🗑 Remove rule «two»?")
    assert [r.name for r in await rules(desk)] == ["one", "two"]
    (removed,) = await desk.press(buttons(asked)["🗑 Remove"], asked)

    assert removed["message_id"] == listing["message_id"]
    assert removed["text"].startswith(
        "🗑 Rule #2 two removed; the auto-buys it made stay in the history."
    )
    assert [r.name for r in await rules(desk)] == ["one"]
    assert list(buttons(removed)) == ["▶️ Enable #1", "🗑 Remove #1"]
    engine = desk.harness.services.engine
    async with engine.connect() as conn:
        kept_row = (await conn.execute(sa.select(RULES).where(RULES.c.name == "two"))).one()
    assert kept_row.removed_at is not None  # the row stays for its intents' history


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ("", "Usage: <code>/autotrade add &lt;name&gt;"),
        ("x strength>=2 smart>=3", "Missing buy. Usage:"),
        ("x strength>=2 smart>=3 buy=lots", 'buy: "lots" is not accepted; expected an amount'),
        ("x strength>=9 smart>=3 buy=0.1", 'strength: "9" is not accepted; expected a Strength'),
        ("x strength>=2 smart>=many buy=0.1", 'smart: "many" is not accepted; expected a whole'),
        ("x strength>=2 smart>=3 buy=0.1 mode=yolo", 'mode: "yolo" is not accepted'),
        ("x strength>=2 smart>=3 buy=0.1 color=red", 'color: "color=red" is not accepted'),
        ("x strength>=2 smart>=3 buy=0.1 slippage=0", 'slippage: "0" is not accepted'),
        ("x strength>=2 smart>=3 buy=0.1 tags=KOL!", 'tags: "kol!" is not accepted'),
        ("x strength>=2 smart>=3 buy=0.1 buy=0.2", 'buy: "buy=0.2" is not accepted'),
        ("x strength>=2 smart>=3 buy=0.1 tp 50", 'tpsl: "50": expected two values'),
        ("x strength>=2 smart>=3 buy=0.1 tpsl=safe sl 20", 'tpsl: "safe" is not accepted'),
    ],
)
async def test_bad_arguments_name_the_key_and_store_nothing(
    desk: TradeBot, args: str, answer: str
) -> None:
    await desk.enable_trading()
    (reply,) = await desk.say(f"/autotrade add {args}".rstrip())
    assert reply["text"].startswith(answer), reply["text"]
    assert await rules(desk) == []
