"""/activity and the Smart activity buttons through the real bot, on trades in PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from solders.pubkey import Pubkey

from bots.telegram.cards import card_keyboard
from core.storage.models import ListKind
from core.storage.records import MintRecord
from core.storage.writer import BatchWriter
from tests.bots.telegram.conftest import ANA, BotHarness, buttons
from tests.bots.telegram.data import ux_signal
from tests.core.signals.factories import trade
from tests.telegram_emulator import User


def address(n: int) -> str:
    return str(Pubkey(bytes([n]) * 32))


WHALE, KOL, FRIEND, STRANGERS_PICK, NOBODY = (address(n) for n in (1, 2, 3, 4, 5))
MINT_A, MINT_B = address(10), address(11)
NOW = datetime(2025, 8, 6, 12, 10, tzinfo=UTC)
T_NOW = int(NOW.timestamp())
BOB = User(id=1002, first_name="Bob", username="bob")
LEA = User(id=2002, first_name="Léa", username="lea", language_code="fr")


async def _seed(harness: BotHarness, *, kol_fills: int = 1) -> None:
    """whale1 (featured, whale) and kol_ana (featured, kol) for everyone; Ana and Léa also
    watch my_guy; Bob watches a wallet of his own. Trades of PEPE2 (MINT_A) and BONK2."""
    harness.clock.now = NOW
    services = harness.services
    await services.wallets.add(WHALE, alias="whale1", tags=["whale"], kind=ListKind.FEATURED)
    await services.wallets.add(KOL, alias="kol_ana", tags=["kol"], kind=ListKind.FEATURED)
    for user in (ANA, LEA):
        profile, _ = await services.users.register_telegram(
            user.id, language_code=user.language_code
        )
        await services.wallets.add(
            FRIEND, alias="my_guy", tags=["friend"], kind=ListKind.MINE, user_id=profile.id
        )
    bob, _ = await services.users.register_telegram(BOB.id)
    await services.wallets.add(
        STRANGERS_PICK, alias="bobs_pick", kind=ListKind.MINE, user_id=bob.id
    )
    fills = [
        trade(t=T_NOW - 60, trader=WHALE, sol=10.0, mint=MINT_A, price=4e-8),
        trade(t=T_NOW - 90, trader=FRIEND, sol=4.0, mint=MINT_A, price=4e-8),
        trade(t=T_NOW - 120, trader=STRANGERS_PICK, sol=50.0, mint=MINT_A, price=4e-8),
        trade(t=T_NOW - 150, trader=NOBODY, sol=70.0, mint=MINT_A, price=4e-8),
        trade(t=T_NOW - 1800, trader=WHALE, sol=7.0, mint=MINT_A, buy=False, price=4e-8),
        trade(t=T_NOW - 200, trader=KOL, sol=1.0, mint=MINT_B, price=4e-8),
    ]
    fills += [
        trade(t=T_NOW - 300 - i, trader=KOL, sol=0.5, mint=MINT_A, price=4e-8)
        for i in range(kol_fills - 1)
    ]
    async with BatchWriter(services.database_url) as writer:
        for mint, symbol in ((MINT_A, "PEPE2"), (MINT_B, "BONK2")):
            await writer.add(
                MintRecord(
                    mint,
                    symbol.title(),
                    symbol,
                    "",
                    address(20),
                    "curve",
                    T_NOW - 3600,
                    1,
                    f"create-{symbol}",
                    supply_raw=10**15,
                )
            )
        await writer.add_many(fills)


def _rows(message: dict[str, object]) -> str:
    text = str(message["text"])
    return text.split("\n", 1)[1]


async def test_activity_lists_the_users_tracked_wallets_in_the_last_10_minutes(
    harness: BotHarness,
) -> None:
    await _seed(harness)
    (table,) = await harness.say("/activity")
    text = table["text"]
    assert text.startswith("Smart activity · all tokens · last 10m\n")
    assert "whale1 🐋" in text and "my_guy" in text and "kol_ana ⭐" in text
    assert "bobs_pick" not in text  # Bob's own watch is not Ana's
    assert "7.0 SOL" not in text  # whale1's sell 30 minutes ago is outside the window
    assert "Buys 15.0 SOL · Sells 0.0 SOL · Net +15.0 SOL · 3 wallets" in text
    assert "Fills 1–3 of 3" in text
    assert buttons(table).keys() == {"✓ 10m", "1h", "24h", "KOL only"}

    (bobs,) = await harness.say("/activity", BOB)
    assert "bobs_pick" in bobs["text"] and "my_guy" not in bobs["text"]


async def test_window_and_kol_buttons_edit_the_table_in_place(harness: BotHarness) -> None:
    await _seed(harness)
    (table,) = await harness.say("/activity")
    (hour,) = await harness.press(buttons(table)["1h"], table)
    assert hour["message_id"] == table["message_id"]
    assert hour["text"].startswith("Smart activity · all tokens · last 1h\n")
    assert "Buys 15.0 SOL · Sells 7.0 SOL · Net +8.0 SOL · 3 wallets" in hour["text"]
    assert set(buttons(hour)) == {"10m", "✓ 1h", "24h", "KOL only"}

    (kol,) = await harness.press(buttons(hour)["KOL only"], hour)
    assert kol["message_id"] == table["message_id"]
    assert kol["text"].startswith("Smart activity · all tokens · kol · last 1h\n")
    assert "kol_ana" in kol["text"] and "whale1" not in kol["text"]
    assert "All wallets" in buttons(kol)

    (everyone,) = await harness.press(buttons(kol)["All wallets"], kol)
    assert "whale1" in everyone["text"]
    assert await harness.emulator.requests("sendMessage") != []
    assert len(await harness.emulator.requests("editMessageText")) == 3


async def test_prev_and_next_page_through_the_fills(harness: BotHarness) -> None:
    await _seed(harness, kol_fills=12)  # 14 fills in the last 10 minutes
    (first,) = await harness.say("/activity")
    assert "Fills 1–10 of 14" in first["text"]
    assert "◀ Prev" not in buttons(first)
    (second,) = await harness.press(buttons(first)["Next ▶"], first)
    assert second["message_id"] == first["message_id"]
    assert "Fills 11–14 of 14" in second["text"]
    assert "Next ▶" not in buttons(second)
    assert "Buys 20.5 SOL" in second["text"]  # the window's totals, not the page's
    (back,) = await harness.press(buttons(second)["◀ Prev"], second)
    assert "Fills 1–10 of 14" in back["text"]


async def test_tag_and_window_arguments_in_either_order(harness: BotHarness) -> None:
    await _seed(harness)
    (whales,) = await harness.say("/activity whale 1h")
    assert whales["text"].startswith("Smart activity · all tokens · whale · last 1h\n")
    assert "whale1" in whales["text"] and "kol_ana" not in whales["text"]
    (same,) = await harness.say("/activity 1h WHALE")
    assert same["text"] == whales["text"]
    (seconds,) = await harness.say("/activity 90s")
    assert seconds["text"].startswith("Smart activity · all tokens · last 90s\n")
    assert "whale1" in seconds["text"] and "my_guy" in seconds["text"]
    assert "kol_ana" not in seconds["text"]


BAD_ARGUMENTS: list[tuple[str, str]] = [
    (
        "/activity 10x",
        'Not accepted: "10x" is not a time window: write a number then s, m, h or d, '
        "up to 7d. Examples: /activity, /activity kol, /activity 1h",
    ),
    (
        "/activity 8d",
        "Not accepted: The window 8d is out of range (allowed: 1s to 7d). Examples: ",
    ),
    ("/activity 0m", "Not accepted: The window 0m is out of range (allowed: 1s to 7d)."),
    (
        "/activity kol whale",
        "Not accepted: Give at most one tag and one window: /activity [tag] [window].",
    ),
    ("/activity K@L", 'Not accepted: "K@L" is not a tag (lowercase letters, digits, _ or -'),
]


async def test_bad_arguments_are_refused_with_examples(harness: BotHarness) -> None:
    for command, expected in BAD_ARGUMENTS:
        (reply,) = await harness.say(command)
        assert reply["text"].startswith(expected), command
        assert not buttons(reply), command


async def test_an_empty_window_says_so_and_how_to_track_wallets(harness: BotHarness) -> None:
    await _seed(harness)
    (reply,) = await harness.say("/activity sniper 24h")
    assert reply["text"] == (
        "Smart activity · all tokens · sniper · last 24h\n"
        "No tracked wallet traded in the last 24h.\n"
        "Try a longer window (1h, 24h) or all wallets.\n"
        "Track more wallets: /watch &lt;address&gt; [alias] [tags]."
    )
    assert "All wallets" in buttons(reply)


async def test_the_cards_button_answers_with_a_new_table_for_that_token(
    harness: BotHarness,
) -> None:
    await _seed(harness)
    await harness.say("/start")
    await harness.bot.send_message(
        ANA.id, "🟢 2.3x  PEPE2", reply_markup=card_keyboard(ux_signal(mint=MINT_A), "en")
    )
    (card,) = await harness.emulator.bot_messages(ANA)
    (table,) = await harness.press(buttons(card)["Smart activity"], card)
    assert table["message_id"] != card["message_id"]  # a new message: the card stays
    assert table["text"].startswith("Smart activity · PEPE2 · last 10m\n")
    assert "kol_ana" not in table["text"]  # kol_ana traded BONK2 only in the window
    assert "Buys 14.0 SOL · Sells 0.0 SOL · Net +14.0 SOL · 2 wallets" in table["text"]
    assert await harness.emulator.requests("editMessageText") == []

    (hour,) = await harness.press(buttons(table)["1h"], table)
    assert hour["message_id"] == table["message_id"]
    assert hour["text"].startswith("Smart activity · PEPE2 · last 1h\n")

    (again,) = await harness.press(buttons(card)["Smart activity"], card)
    assert again["message_id"] not in (card["message_id"], table["message_id"])


async def test_the_cards_button_for_a_quiet_token_names_it(harness: BotHarness) -> None:
    await _seed(harness)
    await harness.say("/start")
    await harness.bot.send_message(
        ANA.id, "card", reply_markup=card_keyboard(ux_signal(mint=MINT_B), "en")
    )
    (card,) = await harness.emulator.bot_messages(ANA)
    harness.clock.now = datetime(2025, 8, 6, 13, 0, tzinfo=UTC)
    (table,) = await harness.press(buttons(card)["Smart activity"], card)
    assert table["text"].startswith(
        "Smart activity · BONK2 · last 10m\nNo tracked wallet traded BONK2 in the last 10m."
    )


async def test_activity_in_french(harness: BotHarness) -> None:
    await _seed(harness)
    (table,) = await harness.say("/activity", LEA)
    assert table["text"].startswith("Activité smart · tous les jetons · dernières 10 min\n")
    assert "my_guy" in table["text"]
    assert set(buttons(table)) == {"✓ 10 min", "1 h", "24 h", "KOL seulement"}
    (kol,) = await harness.press(buttons(table)["KOL seulement"], table, LEA)
    assert kol["message_id"] == table["message_id"]
    assert "Tous les portefeuilles" in buttons(kol)
    (bad,) = await harness.say("/activity 3 semaines", LEA)
    assert bad["text"].startswith("Refusé : « 3 » n'est pas une fenêtre de temps")
