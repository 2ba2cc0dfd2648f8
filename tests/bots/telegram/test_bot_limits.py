"""/limits through the real bot (Telegram emulator, LiteSVM chain, Jupiter-protocol server,
PostgreSQL): a user lowers their own limits, a value above the operator's is refused naming
it, and a buy above the user's own per-trade limit is refused with the figures, on chain
nothing is sent."""

from __future__ import annotations

from core.trading.own_limits import OwnLimits
from tests.bots.telegram.test_bot_trade import finished
from tests.bots.telegram.trade_harness import SOL, WALLET_SOL, TradeBot

OPERATOR_VIEW = [
    "<b>Your trading limits</b>",
    "Per trade: 0.5 SOL (the operator's)",
    "Per day (UTC): 2.0 SOL (the operator's)",
    "Default slippage: 1% (the operator's; at most 10%)",
    "Yours can only be lower than the operator's. Change: /limits trade 0.2 · /limits daily 1"
    " · /limits slippage 150 · /limits reset",
]


async def own(desk: TradeBot) -> OwnLimits:
    return OwnLimits.of(await desk.trading.wallets.settings_of(await desk.user_id()))


async def test_limits_shows_the_operators_until_the_user_sets_their_own(desk: TradeBot) -> None:
    (shown,) = await desk.say("/limits")
    assert shown["text"].splitlines() == OPERATOR_VIEW

    (trade,) = await desk.say("/limits trade 0.2")
    assert trade["text"] == "✅ Per trade is now 0.2 SOL. Every trade is checked against it."
    (daily,) = await desk.say("/limits daily 1")
    assert daily["text"] == "✅ Per day (UTC) is now 1.0 SOL. Every trade is checked against it."
    (slippage,) = await desk.say("/limits slippage 150")
    assert (
        slippage["text"] == "✅ Default slippage is now 1.5%. Every trade is checked against it."
    )
    assert await own(desk) == OwnLimits(SOL // 5, SOL, 150)

    (shown,) = await desk.say("/limits")
    assert shown["text"].splitlines()[1:4] == [
        "Per trade: 0.2 SOL (yours; the operator allows up to 0.5 SOL)",
        "Per day (UTC): 1.0 SOL (yours; the operator allows up to 2.0 SOL)",
        "Default slippage: 1.5% (yours; the operator allows up to 10%)",
    ]
    (status,) = await desk.say("/trading")
    assert "Limits: 0.2 SOL per trade · 1.0 SOL a day (1.0 SOL left)" in status["text"]
    assert "slippage 1.5%" in status["text"]

    (reset,) = await desk.say("/limits reset")
    assert reset["text"] == "✅ Your limits are the operator's again. /limits shows them."
    assert await own(desk) == OwnLimits()
    (shown,) = await desk.say("/limits")
    assert shown["text"].splitlines()[1:4] == OPERATOR_VIEW[1:4]


async def test_a_limit_above_the_operators_is_refused_naming_it(desk: TradeBot) -> None:
    await desk.say("/limits trade 0.1")

    (refused,) = await desk.say("/limits trade 1")
    assert refused["text"] == (
        "❌ Per trade 1.0 SOL is above the operator's limit 0.5 SOL. "
        "Yours can only be lower: e.g. /limits trade 0.25"
    )
    (refused,) = await desk.say("/limits slippage 2000")
    assert refused["text"] == (
        "❌ Default slippage 20% is above the operator's limit 10%. "
        "Yours can only be lower: e.g. /limits slippage 500"
    )
    (wrong,) = await desk.say("/limits daily lots")
    assert wrong["text"] == (
        '"lots" is not a number for /limits daily. Example: /limits daily 0.2'
    )
    assert await own(desk) == OwnLimits(SOL // 10, None, None)  # unchanged


async def test_a_buy_above_the_users_own_limit_is_refused_with_the_figure(
    desk: TradeBot,
) -> None:
    wallet = await desk.enable_trading()
    await desk.say("/limits trade 0.2")

    (trade,) = await desk.say(f"/buy {desk.mint} 0.3")

    texts = await finished(desk, trade, "❌")
    assert texts[-1].splitlines()[-1] == (
        "❌ not sent: 0.3 SOL is over your per-trade limit 0.2 SOL"
    )
    assert desk.tokens(wallet) == 0 and desk.landed_swaps(wallet) == 0
    assert desk.node.calls_of("sendTransaction") == []
    assert desk.sol(wallet) == WALLET_SOL


async def test_limits_in_french(desk: TradeBot) -> None:
    await desk.say("/lang fr")
    (refused,) = await desk.say("/limits trade 1")
    assert "0.5 SOL" in refused["text"] and refused["text"].startswith(
        "❌ Par transaction 1.0 SOL dépasse"
    )
