"""/signal, /signals and the card's buttons through the real bot, on seeded tokens, trades,
candles and signals."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import time
from typing import Any

import httpx
from solders.pubkey import Pubkey

from bots.telegram.formatters.trade import trading_off
from bots.telegram.formatters.why import why_block
from core.market import curve
from core.programs import Program
from core.signals.signal import Signal
from core.storage.models import ListKind
from core.storage.records import MintRecord, Record, TickRecord
from core.storage.writer import BatchWriter
from tests.bots.telegram.conftest import BotHarness, buttons
from tests.bots.telegram.data import KOL_ANA, MINT, NOW, WHALE1, ux_signal
from tests.core.signals.factories import SOL, trade
from tests.telegram_emulator import User

T_NOW = int(NOW.timestamp())
OUTSIDER = str(Pubkey(bytes([7]) * 32))
POOL_MINT = str(Pubkey(bytes([8]) * 32))
LEA = User(id=2002, first_name="Léa", username="lea", language_code="fr")

# PEPE2 on the curve after 273M tokens bought: 40 SOL / 800M tokens virtual, 10 SOL real.
VSOL, VTOK, REAL_SOL = 40 * SOL, 800_000_000_000_000, 10 * SOL
REAL_TOKEN = curve.INITIAL_REAL_TOKEN_RESERVES_RAW - 273_000_000_000_000

CARD_EN = "\n".join(
    [
        "🟢 2.3x  PEPE2 · Pepe Two",
        "<code>7xKX…pump</code> · 4m old · curve 34%",
        # 1e9 tokens x 40/800M SOL = 50 SOL x 150 USD; liquidity 2 x 10 SOL x 150 USD
        "MC 7.5k USD · Price 0.00000005 · Liq 3k USD · Vol 5m 8.5 SOL",
        "Smart: 2 wallets bought 7.5 SOL in 3m (whale1, kol_ana)",
        "Risk: ✅ no mint · ✅ no freeze · ⚠️ top10 38% · ✅ sellable",
        '"Scored 3m after launch, at MC 7.5k USD. 2 tracked wallets bought 7.5 SOL within 5m. '
        'Price +41% over 5m, volume ×3.2. Risk flags: top10 38%."',
        "Not financial advice.",
    ]
)


def pepe_signal(**changes: object) -> Signal:
    base = ux_signal()
    inputs = {
        **base.inputs,
        "price_sol": 5e-8,
        "sol_usd": 150.0,
        "smart_sol": 7.5,
        "smart_buyers": 2,
        "on_curve": 1,
    }
    fields: dict[str, Any] = {
        "at": T_NOW - 60,
        "inputs": inputs,
        "smart_buyers": ((WHALE1, 5.0), (KOL_ANA, 2.5)),
    }
    fields.update(changes)
    return dataclasses.replace(base, **fields)


def curve_fill(dt: int, trader: str, sol: float) -> Record:
    return trade(
        t=T_NOW + dt,
        trader=trader,
        sol=sol,
        mint=MINT,
        vsol=VSOL,
        vtok=VTOK,
        real_sol=REAL_SOL,
        real_token=REAL_TOKEN,
        price=5e-8,
    )


def minute_close(mint: str, dt: int, close: float) -> TickRecord:
    return TickRecord(mint, 60, T_NOW + dt, close, close, close, close, SOL, 1, 0, SOL)


def launch(mint: str, symbol: str, name: str, created: int) -> MintRecord:
    return MintRecord(mint, name, symbol, "", OUTSIDER, "curve", created, 1, f"c-{mint[:8]}")


async def seed(harness: BotHarness, records: list[Record]) -> None:
    async with BatchWriter(harness.services.database_url) as writer:
        await writer.add_many(records)


async def seed_pepe(harness: BotHarness, *, candles: bool = True) -> Signal:
    harness.clock.now = NOW
    registry = harness.services.wallets
    await registry.add(WHALE1, alias="whale1", tags=["whale"], kind=ListKind.COMMUNITY)
    await registry.add(KOL_ANA, alias="kol_ana", tags=["kol"], kind=ListKind.FEATURED)
    records: list[Record] = [
        launch(MINT, "PEPE2", "Pepe Two", T_NOW - 250),
        curve_fill(-180, WHALE1, 5.0),
        curve_fill(-120, KOL_ANA, 2.5),
        curve_fill(-60, OUTSIDER, 1.0),
    ]
    if candles:
        records += [minute_close(MINT, -180, 4e-8), minute_close(MINT, -120, 4.5e-8)]
        records += [minute_close(MINT, -60, 5e-8)]
    await seed(harness, records)
    signal = pepe_signal()
    await harness.services.signals.save([signal])
    return signal


async def calls(harness: BotHarness, method: str, count: int) -> list[dict[str, Any]]:
    """The bot's calls of ``method`` once there are at least ``count`` of them."""
    deadline = time.monotonic() + 10
    while True:
        found = await harness.emulator.requests(method)
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} called {len(found)} times, expected {count}")
        await asyncio.sleep(0.05)


async def sent_photo(harness: BotHarness, message: dict[str, Any]) -> bytes:
    """The bytes of the photo the bot uploaded with ``message``."""
    file_id = message["photo"][0]["file_id"]
    token = harness.emulator.token
    async with httpx.AsyncClient(base_url=harness.emulator.url) as client:
        info = (await client.post(f"/bot{token}/getFile", json={"file_id": file_id})).json()
        answer = await client.get(f"/file/bot{token}/{info['result']['file_path']}")
    return answer.content


async def test_signal_sends_the_card_as_a_photo_with_a_sparkline_when_candles_exist(
    harness: BotHarness,
) -> None:
    await seed_pepe(harness)
    (card,) = await harness.say(f"/signal {MINT}")
    assert await harness.emulator.requests("sendPhoto")
    assert card["text"] == CARD_EN  # the caption
    assert len(card["text"]) <= 1024
    assert (await sent_photo(harness, card))[:8] == b"\x89PNG\r\n\x1a\n"
    keys = buttons(card)
    assert list(keys) == [
        "Buy 0.1",
        "Buy 0.5",
        "Buy 1",
        "Buy …",
        "Why 2.3x?",
        "Smart activity",
        "Watch",
        "Solscan",
        "Pump.fun",
        "DexScreener",
    ]
    assert keys["Solscan"] == f"https://solscan.io/token/{MINT}"
    assert keys["Pump.fun"] == f"https://pump.fun/coin/{MINT}"
    assert keys["DexScreener"] == f"https://dexscreener.com/solana/{MINT}"
    rows = card["reply_markup"]["inline_keyboard"]
    assert [len(r) for r in rows] == [4, 3, 3]


async def test_a_migrated_token_without_an_hour_of_candles_gets_a_text_card(
    harness: BotHarness,
) -> None:
    harness.clock.now = NOW
    pool_trade = trade(
        t=T_NOW - 30,
        trader=OUTSIDER,
        sol=3.0,
        mint=POOL_MINT,
        vsol=None,
        vtok=None,
        real_sol=90 * SOL,
        real_token=180_000_000_000_000,
        pool="pool-b",
        price=5e-7,
    )
    assert pool_trade.program is Program.PUMP_AMM
    await seed(
        harness,
        [
            launch(POOL_MINT, "BONK2", "Bonk Two", T_NOW - 7200),
            pool_trade,
            minute_close(POOL_MINT, -60, 5e-7),  # one candle: no chart
        ],
    )
    await harness.services.signals.save([pepe_signal(mint=POOL_MINT, smart_buyers=())])
    (card,) = await harness.say(f"/signal {POOL_MINT}")
    assert await harness.emulator.requests("sendPhoto") == []
    lines = card["text"].splitlines()
    assert lines[0] == "🟢 2.3x  BONK2 · Bonk Two"
    assert lines[1].endswith("· 2h old")  # no curve progress after migration
    # 1e9 tokens x 90 SOL / 180M tokens = 500 SOL x 150 USD; liquidity 2 x 90 SOL x 150 USD
    assert lines[2] == "MC 75k USD · Price 0.0000005 · Liq 27k USD · Vol 5m 3.0 SOL"
    assert not any(line.startswith("Smart:") for line in lines)
    assert lines[-1] == "Not financial advice."
    assert "Pump.fun" not in buttons(card)
    assert buttons(card)["DexScreener"] == f"https://dexscreener.com/solana/{POOL_MINT}"


async def test_signal_explains_a_bad_address_a_missing_one_and_a_mint_without_signal(
    harness: BotHarness,
) -> None:
    (bad,) = await harness.say("/signal abc")
    assert bad["text"] == (
        '"abc" is not a Solana address (base58, 32–44 characters). Example: /signal 7xKX…pump'
    )
    (missing,) = await harness.say("/signal")
    assert missing["text"] == "Missing argument. Usage: /signal &lt;mint&gt;"
    (none,) = await harness.say(f"/signal {POOL_MINT}")
    assert none["text"].startswith(f"<code>{POOL_MINT}</code> has no signal yet")
    assert "/signals" in none["text"]


async def test_a_french_user_gets_the_card_in_french(harness: BotHarness) -> None:
    await seed_pepe(harness)
    (card,) = await harness.say(f"/signal {MINT}", LEA)
    lines = card["text"].splitlines()
    assert lines[0] == "🟢 2.3x  PEPE2 · Pepe Two"
    assert lines[2] == "Cap 7.5k USD · Prix 0.00000005 · Liq 3k USD · Vol 5 min 8.5 SOL"
    assert lines[5].startswith("« Signalé 3 min après le lancement, à une cap de 7.5k USD.")
    assert lines[-1] == "Pas un conseil financier."
    keys = buttons(card)
    assert {"Acheter 0.1", "Acheter …", "Pourquoi 2.3x ?", "Activité smart", "Suivre"} <= set(keys)


async def test_signals_lists_the_top_mints_by_strength_ten_per_page_edited_in_place(
    harness: BotHarness,
) -> None:
    harness.clock.now = NOW
    mints = [str(Pubkey(bytes([100 + i]) * 32)) for i in range(23)]
    await seed(
        harness,
        [
            launch(m, f"TOK{i + 1}", f"Token {i + 1}", T_NOW - 60 * (i + 1))
            for i, m in enumerate(mints)
        ],
    )
    strengths = [round(2.9 - 0.1 * i, 1) for i in range(23)]  # TOK1 strongest
    signals = [
        pepe_signal(mint=m, strength=s, at=T_NOW - 30)
        for m, s in zip(mints, strengths, strict=True)
    ]
    old = pepe_signal(mint=MINT, strength=3.0, at=T_NOW - 2 * 3600)  # outside the last hour
    await harness.services.signals.save([*signals, old])

    (first,) = await harness.say("/signals")
    lines = first["text"].splitlines()
    assert lines[0] == "<b>Top signals · last 1h</b>"
    assert lines[1] == f"1. 🟢 2.9x  TOK1 · <code>{mints[0][:4]}…{mints[0][-4:]}</code> · 1m old"
    assert [line.split(" ")[0] for line in lines[1:11]] == [f"{n}." for n in range(1, 11)]
    assert "TOK10 ·" in lines[10] and "2.0x" in lines[10]
    assert "PEPE2" not in first["text"]
    keys = buttons(first)
    assert "Next ▶" in keys and "◀ Prev" not in keys
    assert [k for k in keys if "·" in k] == [f"{n} · TOK{n}" for n in range(1, 11)]

    (second,) = await harness.press(keys["Next ▶"], first)
    assert second["message_id"] == first["message_id"]  # edited, not a new message
    lines = second["text"].splitlines()
    assert lines[1].startswith("11. 🟡 1.9x  TOK11 ·")
    assert lines[10].startswith("20. 🟡 1.0x  TOK20 ·")
    (third,) = await harness.press(buttons(second)["Next ▶"], second)
    lines = third["text"].splitlines()
    assert [line.split(" ")[0] for line in lines[1:-1]] == ["21.", "22.", "23."]
    assert lines[3].startswith("23. ⚪ 0.7x  TOK23 ·")
    assert "Next ▶" not in buttons(third)
    (back,) = await harness.press(buttons(third)["◀ Prev"], third)
    assert back["text"] == second["text"]

    (card,) = await harness.press(buttons(back)["12 · TOK12"], back)
    assert card["text"].startswith("🟡 1.8x  TOK12 · Token 12")


async def test_signals_says_when_nothing_was_scored_lately(harness: BotHarness) -> None:
    (empty,) = await harness.say("/signals")
    assert empty["text"] == (
        "No token was scored in the last 1h. Cards also arrive as alerts; "
        "/signal &lt;mint&gt; shows one token."
    )
    assert buttons(empty) == {}


async def test_why_answers_with_the_explanation_as_a_reply_to_the_card(
    harness: BotHarness,
) -> None:
    signal = await seed_pepe(harness, candles=False)
    (card,) = await harness.say(f"/signal {MINT}")
    (why,) = await harness.press(buttons(card)["Why 2.3x?"], card)
    assert why["text"] == why_block(signal, "en")
    assert why["text"].startswith("Strength 2.3 = 0.40×SmartBurst 3.0")
    reply = (await harness.emulator.requests("sendMessage"))[-1]["params"]
    assert reply["reply_parameters"]["message_id"] == card["message_id"]


async def test_buy_buttons_only_say_trading_is_off_in_an_alert(harness: BotHarness) -> None:
    await seed_pepe(harness, candles=False)
    (card,) = await harness.say(f"/signal {MINT}")
    sent_before = len(await harness.emulator.requests())
    keys = buttons(card)

    await harness.press(keys["Buy 0.5"], card, count=0)
    (answer,) = await calls(harness, "answerCallbackQuery", 1)
    assert answer["params"]["text"] == html.unescape(trading_off(0.5, "PEPE2", MINT, "en"))
    assert "no order was sent for 0.5 SOL of PEPE2" in answer["params"]["text"]
    assert str(answer["params"]["show_alert"]).lower() == "true"

    await harness.press(keys["Buy …"], card, count=0)
    answers = await calls(harness, "answerCallbackQuery", 2)
    assert "no order was sent" in answers[1]["params"]["text"]
    assert str(answers[1]["params"]["show_alert"]).lower() == "true"

    made = [c["method"] for c in (await harness.emulator.requests())[sent_before:]]
    assert [m for m in made if m != "getUpdates"] == ["answerCallbackQuery"] * 2
    (help_reply,) = await harness.say("/help")  # the next message is the user's, nothing else
    assert help_reply["text"].startswith("<b>Commands</b>")


async def test_watch_follows_the_token_and_a_second_press_stops(harness: BotHarness) -> None:
    await seed_pepe(harness, candles=False)
    (card,) = await harness.say(f"/signal {MINT}")
    await harness.press(buttons(card)["Watch"], card, count=0)
    (answer,) = await calls(harness, "answerCallbackQuery", 1)
    assert answer["params"]["text"] == "Watching PEPE2. Press Watch again to stop."
    profile = await harness.services.users.by_telegram(1001)
    assert profile is not None and profile.settings.watched_mints == (MINT,)

    await harness.press(buttons(card)["Watch"], card, count=0)
    answers = await calls(harness, "answerCallbackQuery", 2)
    assert answers[1]["params"]["text"] == "Stopped watching PEPE2."
    profile = await harness.services.users.by_telegram(1001)
    assert profile is not None and profile.settings.watched_mints == ()


async def test_watch_refuses_a_101st_token_and_says_how_to_make_room(harness: BotHarness) -> None:
    await seed_pepe(harness, candles=False)
    (card,) = await harness.say(f"/signal {MINT}")
    profile = await harness.services.users.by_telegram(1001)
    assert profile is not None
    hundred = tuple(str(Pubkey(bytes([1 + i, 9]) + bytes(30))) for i in range(100))
    await harness.services.users.update_settings(profile.id, watched_mints=hundred)
    await harness.press(buttons(card)["Watch"], card, count=0)
    (answer,) = await calls(harness, "answerCallbackQuery", 1)
    assert answer["params"]["text"].startswith("You already watch 100 tokens, the most allowed.")
    profile = await harness.services.users.by_telegram(1001)
    assert profile is not None and MINT not in profile.settings.watched_mints
