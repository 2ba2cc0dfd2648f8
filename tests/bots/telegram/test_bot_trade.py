"""Trading through the real bot: the Telegram emulator, a LiteSVM chain over JSON-RPC, a
Jupiter-protocol server, a keystore and PostgreSQL. Balances are read from the chain."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

from solders.keypair import Keypair

from bots.telegram.formatters.trade import trading_off
from bots.telegram.formatters.trading import TradeProgress, render_trade
from core.market.amm import buy_quote, sell_quote
from core.trading.service import TokenInfo
from core.trading.trade_types import Side, TradeUpdate, UpdateKind
from tests.bots.telegram.conftest import ANA, buttons
from tests.bots.telegram.trade_harness import (
    FEE_BPS,
    POOL_SOL,
    POOL_TOKENS,
    SOL,
    WALLET_SOL,
    TradeBot,
)

CONFIRMED = re.compile(
    r"✅ confirmed in \d+\.\d s · got (?P<got>\S+) PEPE2 · "
    r'<a href="https://solscan\.io/tx/(?P<sig>\w+)">Solscan</a>$'
)


async def calls(desk: TradeBot, method: str, count: int) -> list[dict[str, Any]]:
    """The bot's calls of ``method`` once there are at least ``count``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        found = await desk.harness.emulator.requests(method)
        if len(found) >= count:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"{method} called {len(found)} times, expected {count}")
        await asyncio.sleep(0.05)


async def finished(desk: TradeBot, message: dict[str, Any], until: str) -> list[str]:
    """Every text the trade message showed after it was sent, once it shows ``until``. Its last
    edit is read from the chat (unless the first read already saw it), so the next bot message
    a test waits for is a new one."""
    texts = await desk.edits(message["message_id"], until=until)
    if message["text"] != texts[-1]:
        (last,) = await desk.harness.emulator.bot_messages(ANA, count=1)
        assert last["message_id"] == message["message_id"] and last["text"] == texts[-1]
    return texts


async def first_text(desk: TradeBot, prefix: str) -> str:
    """The text the bot's one message starting with ``prefix`` had when it was sent (the chat
    may show it edited already)."""
    [sent] = [
        str(c["params"]["text"])
        for c in await desk.harness.emulator.requests("sendMessage")
        if str(c["params"]["text"]).startswith(prefix)
    ]
    return sent


async def test_trading_on_shows_wallet_and_limits_and_waits_for_confirm(desk: TradeBot) -> None:
    (status,) = await desk.say("/trading")
    assert status["text"].startswith("<b>Trading</b>: off\nNo trading wallet yet.")

    (setup,) = await desk.say("/trading on")

    user = await desk.user_id()
    wallet = await desk.trading.wallets.active(user)
    assert wallet is not None and wallet.backend.value == "keystore"
    assert setup["text"].splitlines() == [
        "<b>Your trading wallet</b>",
        f"<code>{wallet.address}</code>",
        "Limits: 0.5 SOL per trade · 2.0 SOL a day (2.0 SOL left) · price impact ≤ 5%"
        " · slippage 1% · liquidity ≥ 10.0 SOL",
        "Trading stays off until you confirm. Every trade is checked against these limits and "
        "simulated before it is sent.",
    ]
    assert list(buttons(setup)) == ["✅ Turn trading on", "Cancel"]
    assert (await desk.trading.status(user)).user_enabled is False
    keystore = desk.trading.signers.keystore  # type: ignore[attr-defined]
    assert [str(e.address) for e in keystore.wallets()] == [wallet.address]

    (enabled,) = await desk.press(buttons(setup)["✅ Turn trading on"], setup)

    assert enabled["message_id"] == setup["message_id"]  # the same message, edited
    assert enabled["text"].startswith(f"✅ Trading is on for <code>{wallet.address[:4]}…")
    assert (await desk.trading.status(user)).enabled

    (off,) = await desk.say("/trading off")
    assert off["text"].startswith("Trading is off for your account.")
    assert (await desk.trading.status(user)).user_enabled is False


async def test_buy_on_a_card_lands_and_one_message_moves_to_confirmed(desk: TradeBot) -> None:
    wallet = await desk.enable_trading()
    card = await desk.card()
    expected = buy_quote(SOL // 10, POOL_TOKENS, POOL_SOL, FEE_BPS)

    (trade,) = await desk.press(buttons(card)["Buy 0.1"], card)

    assert await first_text(desk, "Buying ") == "Buying 0.1 SOL of PEPE2 …"
    assert trade["reply_parameters"]["message_id"] == card["message_id"]
    texts = await finished(desk, trade, "✅ confirmed")
    assert desk.tokens(wallet) == expected
    assert desk.landed_swaps(wallet) == 1
    quoted, simulated, sent, confirmed = texts  # one edit per step, all of the same message
    assert quoted.splitlines()[-1].startswith(
        f"quoted: ≈ {round(expected / 10**6)} PEPE2 · impact "
    )
    assert simulated.splitlines()[-1] == "simulated ✅"
    assert sent.splitlines()[-1].startswith("sent <code>")
    lines = confirmed.splitlines()
    assert lines[:4] == sent.splitlines()
    match = CONFIRMED.match(lines[4])
    assert match is not None, lines[4]
    assert match["got"] == str(round(expected / 10**6))
    [signature] = desk.node._signatures_of[str(wallet)]
    assert match["sig"] == signature
    assert sent.splitlines()[-1] == f"sent <code>{signature[:4]}…{signature[-4:]}</code>"


async def test_a_double_tap_on_buy_trades_once(desk: TradeBot) -> None:
    wallet = await desk.enable_trading()
    card = await desk.card()
    data = buttons(card)["Buy 0.5"]

    await desk.harness.emulator.press(data, card)
    await desk.harness.emulator.press(data, card)

    taps = (await calls(desk, "answerCallbackQuery", 3))[1:]  # after the Confirm press
    alerted = [t for t in taps if "already traded once" in str(t["params"].get("text", ""))]
    # The second tap either sees the first one's key (an alert, no message), or both got past
    # that check at once: then the second trade message is deleted and the first one reports.
    deleted = [] if alerted else await calls(desk, "deleteMessage", 1)
    confirmed = await edited_to(desk, "✅ confirmed")
    shown = confirmed - {int(d["params"]["message_id"]) for d in deleted}
    assert len(shown) == 1
    started = [
        c
        for c in await desk.harness.emulator.requests("sendMessage")
        if str(c["params"]["text"]).startswith("Buying 0.5 SOL")
    ]
    assert len(started) == (1 if alerted else 2)
    assert desk.landed_swaps(wallet) == 1
    assert desk.tokens(wallet) == buy_quote(SOL // 2, POOL_TOKENS, POOL_SOL, FEE_BPS)
    user_swaps = [
        c for c in desk.jup.calls_to("swap") if c["json"]["userPublicKey"] == str(wallet)
    ]
    assert len(user_swaps) == 1


async def edited_to(desk: TradeBot, text: str) -> set[int]:
    """The ids of the messages an edit gave ``text``, once there is one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        ids = {
            int(c["params"]["message_id"])
            for c in await desk.harness.emulator.requests("editMessageText")
            if text in str(c["params"]["text"])
        }
        if ids:
            return ids
        if loop.time() > deadline:
            raise AssertionError(f"no message was edited to show {text!r}")
        await asyncio.sleep(0.05)


async def test_a_buy_over_the_per_trade_limit_is_refused_with_figures(desk: TradeBot) -> None:
    wallet = await desk.enable_trading()

    (trade,) = await desk.say(f"/buy {desk.mint} 1")

    assert await first_text(desk, "Buying ") == "Buying 1 SOL of PEPE2 …"
    texts = await finished(desk, trade, "❌")
    assert texts[-1].splitlines() == [
        "Buying 1 SOL of PEPE2 …",
        "❌ not sent: 1.0 SOL is over your per-trade limit 0.5 SOL",
    ]
    assert desk.tokens(wallet) == 0 and desk.landed_swaps(wallet) == 0
    assert desk.node.calls_of("sendTransaction") == []
    assert desk.sol(wallet) == WALLET_SOL


async def test_positions_show_the_buy_and_sell_100_closes_it(desk: TradeBot) -> None:
    wallet = await desk.enable_trading()
    (bought,) = await desk.say(f"/buy {desk.mint} 0.5")
    await finished(desk, bought, "✅ confirmed")
    held = desk.tokens(wallet)
    assert held == buy_quote(SOL // 2, POOL_TOKENS, POOL_SOL, FEE_BPS)

    (listing,) = await desk.say("/positions")

    lines = listing["text"].splitlines()
    assert lines[0] == "<b>1 open position</b>"
    line = re.fullmatch(
        r"1\. PEPE2 <code>(?P<mint>\S+)</code> · (?P<size>\S+) · entry (?P<entry>[\d.]+)"
        r" · PnL -(?P<pnl>[\d.]+) SOL \(-(?P<pct>[\d.]+)%\)",
        lines[1],
    )
    assert line is not None, lines[1]
    assert line["mint"] == f"{str(desk.mint)[:4]}…{str(desk.mint)[-4:]}"
    assert held // 10**6 == 4962 and line["size"] == "4.96k"  # whole tokens, 3 digits
    assert 0 < float(line["pct"]) < 2  # the pool's fee and the price impact of a round trip
    assert list(buttons(listing)) == ["#1 Sell 25%", "#1 Sell 50%", "#1 Sell 100%", "#1 TP/SL"]

    base, sol_reserve = desk.jup.reserves(desk.pool)
    sol_before = desk.sol(wallet)
    (sale,) = await desk.press(buttons(listing)["#1 Sell 100%"], listing)

    assert await first_text(desk, "Selling ") == "Selling 100% of PEPE2 …"
    texts = await finished(desk, sale, "✅ confirmed")
    assert desk.tokens(wallet) == 0
    key = f"tg:{ANA.id}:{listing['message_id']}:s100:{desk.mint}"
    record = await desk.trading.trade_of(key)
    assert record is not None and record.fee_lamports is not None
    proceeds = sell_quote(held, base, sol_reserve, FEE_BPS) - record.fee_lamports
    assert desk.sol(wallet) - sol_before == proceeds
    assert f"got {proceeds / SOL:.3g} SOL" in texts[-1]
    assert await desk.trading.book.of_user(await desk.user_id()) == []

    (empty,) = await desk.say("/positions")
    assert empty["text"].startswith("No open positions.")


async def test_buy_while_trading_is_off_answers_trading_off_and_trades_nothing(
    desk: TradeBot,
) -> None:
    card = await desk.card()
    await desk.press(buttons(card)["Buy 0.5"], card, count=0)
    (answer,) = await calls(desk, "answerCallbackQuery", 1)
    expected = html.unescape(
        trading_off(0.5, "PEPE2", str(desk.mint), "en", setup_command="/trading")
    )
    assert answer["params"]["text"] == expected
    assert "run /trading to connect a wallet" in expected
    assert str(answer["params"]["show_alert"]).lower() == "true"

    wallet = await desk.enable_trading()
    await desk.say("/trading off")
    (reply,) = await desk.say(f"/buy {desk.mint} 0.1")
    assert reply["text"] == trading_off(
        0.1, "PEPE2", str(desk.mint), "en", setup_command="/trading"
    )
    assert desk.jup.calls_to("quote") == [] and desk.node.calls_of("sendTransaction") == []
    assert (
        desk.sol(wallet) == WALLET_SOL
        and await desk.trading.store.of_user(await desk.user_id()) == []
    )


async def test_a_custom_amount_from_the_card_is_bought(desk: TradeBot) -> None:
    wallet = await desk.enable_trading()
    card = await desk.card()

    (prompt,) = await desk.press(buttons(card)["Buy …"], card)
    assert (
        prompt["text"] == "How much SOL for PEPE2? Send a number, e.g. 0.25 (your limit: 0.5 SOL)."
    )
    (trade,) = await desk.say("0.2")

    assert await first_text(desk, "Buying ") == "Buying 0.2 SOL of PEPE2 …"
    await finished(desk, trade, "✅ confirmed")
    assert desk.tokens(wallet) == buy_quote(SOL // 5, POOL_TOKENS, POOL_SOL, FEE_BPS)

    (prompt,) = await desk.press(buttons(card)["Buy …"], card)
    (wrong,) = await desk.say("lots")
    assert wrong["text"].startswith('"lots" is not a number for SOL.')
    assert desk.landed_swaps(wallet) == 1


async def test_import_deletes_the_key_message_and_trades_with_that_wallet(
    desk: TradeBot,
) -> None:
    keypair = Keypair()
    desk.node.airdrop(keypair.pubkey(), WALLET_SOL)
    (prompt,) = await desk.say("/trading import")
    assert "I delete your message right after reading it" in prompt["text"]

    (setup,) = await desk.say(str(keypair))

    [deleted] = await calls(desk, "deleteMessage", 1)
    assert str(deleted["params"]["chat_id"]) == str(ANA.id)
    lines = setup["text"].splitlines()
    assert lines[0] == "Your message with the key was deleted from this chat."
    assert lines[1:3] == [
        "<b>Your imported trading wallet</b>",
        f"<code>{keypair.pubkey()}</code>",
    ]
    assert str(keypair) not in setup["text"]
    await desk.press(buttons(setup)["✅ Turn trading on"], setup)

    (trade,) = await desk.say(f"/buy {desk.mint} 0.1")
    await finished(desk, trade, "✅ confirmed")
    assert desk.tokens(keypair.pubkey()) == buy_quote(SOL // 10, POOL_TOKENS, POOL_SOL, FEE_BPS)

    await desk.say("/trading import")
    (refused,) = await desk.say("not a key at all")
    assert (
        refused["text"].splitlines()[0] == "Your message with the key was deleted from this chat."
    )
    assert refused["text"].splitlines()[1].startswith("Not accepted: ")
    assert await desk.wallet() == keypair.pubkey()


async def test_wallet_shows_the_balance_and_exports_only_after_button_and_typed_phrase(
    desk: TradeBot,
) -> None:
    wallet = await desk.enable_trading()
    (view,) = await desk.say("/wallet")
    assert view["text"].splitlines()[:3] == [
        "<b>Your trading wallet</b>",
        f"<code>{wallet}</code>",
        "Balance: 5 SOL · key in keystore",
    ]
    (warning,) = await desk.press(buttons(view)["Export key"], view)
    assert warning["text"].startswith("⚠️ Exporting shows the secret key of")
    phrase = f"EXPORT {str(wallet)[:8]}"

    (prompt,) = await desk.press(buttons(warning)["Show the key"], warning)
    assert prompt["text"] == f"To confirm, type exactly: <code>{phrase}</code>"
    (refused,) = await desk.say("yes")
    assert refused["text"].startswith(
        f"Not exported: the confirmation must be exactly <code>{phrase}"
    )

    (warning,) = await desk.press(buttons(view)["Export key"], view)
    await desk.press(buttons(warning)["Show the key"], warning)
    (exported,) = await desk.say(phrase)

    secret = re.search(r"<tg-spoiler><code>(\w+)</code></tg-spoiler>", exported["text"])
    assert secret is not None
    assert Keypair.from_base58_string(secret[1]).pubkey() == wallet


def test_refusals_and_failures_read_in_plain_words_with_their_figures() -> None:
    pepe = TokenInfo("7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJospump", "PEPE2", 6)

    def end(kind: UpdateKind, reason: str, lang: str = "en", **detail: Any) -> str:
        progress = TradeProgress(Side.BUY, pepe, amount_lamports=SOL // 2)
        update = TradeUpdate(kind, "k", Side.BUY, pepe.mint, reason=reason, detail=detail)
        return render_trade(progress.apply(update), lang).splitlines()[-1]

    refused, failed = UpdateKind.REFUSED, UpdateKind.FAILED
    assert (
        end(refused, "price_impact_too_high", impact_pct=7.23, limit_pct=5.0)
        == "❌ not sent: price impact 7.2% > your limit 5%"
    )
    assert (
        end(refused, "price_impact_too_high", "fr", impact_pct=7.23, limit_pct=5.0)
        == "❌ non envoyé : impact de prix 7.2% > votre limite de 5%"
    )
    assert end(
        refused,
        "daily_limit",
        amount_lamports=SOL // 2,
        spent_lamports=18 * SOL // 10,
        limit_lamports=2 * SOL,
        refusals=[{"reason": "daily_limit"}, {"reason": "no_go_mint"}],
    ) == (
        "❌ not sent: 0.5 SOL would pass your daily limit 2.0 SOL (0.2 SOL left today) "
        "(and 1 more check)"
    )
    assert (
        end(refused, "insufficient_balance", balance_raw=SOL // 10, needed_raw=51 * SOL // 100)
        == "❌ not sent: the wallet holds 0.1 SOL, the buy needs 0.51 SOL with fees and rent"
        " (/wallet)"
    )
    assert (
        end(refused, "liquidity_too_low", liquidity_lamports=4 * SOL, limit_lamports=10 * SOL)
        == "❌ not sent: liquidity 4.0 SOL is under the minimum 10.0 SOL"
    )
    assert (
        end(failed, "slippage_exceeded")
        == "❌ failed: the price moved past your slippage limit: nothing was traded"
    )
    assert (
        end(failed, "transaction_failed")
        == "❌ failed: the transaction landed with an error: the network fee was paid, no swap"
    )
