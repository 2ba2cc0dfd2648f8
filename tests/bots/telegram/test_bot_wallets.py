"""/watch, /unwatch, /list (kinds, sorts, pages edited in place) and the admins' /feature and
/unfeature, through the real bot, the emulator and PostgreSQL."""

from __future__ import annotations

from typing import Any

from solders.pubkey import Pubkey

from core.storage.models import ListKind
from core.wallets import repository as wallet_repo
from core.wallets.registry import WalletEntry
from tests.bots.telegram.conftest import ANA, BotHarness, buttons
from tests.telegram_emulator import User

ADMIN = User(id=9001, first_name="Root", username="root_admin")
BEN = User(id=1002, first_name="Ben", username="ben")
CAM = User(id=1003, first_name="Cam", username="cam")
LEA = User(id=2002, first_name="Léa", username="lea", language_code="fr")


def addr(n: int) -> str:
    """A valid Solana address, distinct per ``n`` (1..255)."""
    return str(Pubkey(bytes([n]) * 32))


async def user_id(harness: BotHarness, user: User) -> int:
    profile, _ = await harness.services.users.register_telegram(
        user.id, language_code=user.language_code
    )
    return profile.id


async def my_list(harness: BotHarness, user: User = ANA) -> dict[str, WalletEntry]:
    entries = await harness.services.wallets.entries(
        kind=ListKind.MINE, user_id=await user_id(harness, user)
    )
    return {e.address: e for e in entries}


def rows(message: dict[str, Any]) -> list[str]:
    """The numbered wallet lines of a /list message."""
    return [line for line in message["text"].splitlines() if line[:1].isdigit()]


# ---- /watch, /unwatch -------------------------------------------------------------------------


async def test_watch_adds_the_wallet_and_confirms_address_alias_and_tags(
    harness: BotHarness,
) -> None:
    (reply,) = await harness.say(f"/watch {addr(1)} whale1 smart|KOL")
    assert reply["text"] == (
        "👁 Added to your list\n"
        f"<code>{addr(1)}</code>\n"
        "Alias: whale1\n"
        "Tags: smart, kol\n"
        "See /list · stop with /unwatch"
    )
    entry = (await my_list(harness))[addr(1)]
    assert (entry.alias, entry.tags) == ("whale1", ("smart", "kol"))

    (reply,) = await harness.say(f"/watch {addr(2)} - sniper;dev,whale")
    assert "Alias: –\nTags: sniper, dev, whale" in reply["text"]
    assert (await my_list(harness))[addr(2)].alias is None


async def test_watching_again_updates_alias_and_tags_and_says_so(harness: BotHarness) -> None:
    await harness.say(f"/watch {addr(1)} whale1 smart")
    (reply,) = await harness.say(f"/watch {addr(1)} bigwhale sniper")
    assert reply["text"].startswith("✏️ Updated on your list (alias and tags)\n")
    assert "Alias: bigwhale\nTags: sniper" in reply["text"]
    entry = (await my_list(harness))[addr(1)]
    assert (entry.alias, entry.tags) == ("bigwhale", ("sniper",))

    (reply,) = await harness.say(f"/watch {addr(1)}")
    assert reply["text"].startswith("👁 Already on your list; nothing changed\n")
    assert (await my_list(harness))[addr(1)].alias == "bigwhale"


async def test_watch_refuses_bad_input_and_stores_nothing(harness: BotHarness) -> None:
    (reply,) = await harness.say("/watch abc whale1")
    assert reply["text"] == (
        '"abc" is not a Solana address (base58, 32–44 characters). '
        "Example: /watch 7xKX…pump whale1 smart"
    )
    (reply,) = await harness.say("/watch")
    assert reply["text"] == "Missing argument. Usage: /watch &lt;address&gt; [alias] [tags]"
    (reply,) = await harness.say(f"/watch {addr(1)} whale1 Big!Whale")
    assert reply["text"] == (
        'Not accepted: tag "Big!Whale" must be 1-24 characters of a-z, 0-9, _ or -'
    )
    assert await my_list(harness) == {}


async def test_unwatch_removes_the_wallet_and_refuses_one_not_on_the_list(
    harness: BotHarness,
) -> None:
    await harness.say(f"/watch {addr(1)} whale1")
    (reply,) = await harness.say(f"/unwatch {addr(1)}")
    assert reply["text"] == (
        f"🗑 Removed from your list\n<code>{addr(1)}</code>\nSee /list · add it back with /watch"
    )
    assert await my_list(harness) == {}

    (reply,) = await harness.say(f"/unwatch {addr(1)}")
    assert reply["text"].startswith(f"<code>{addr(1)[:30]}")
    assert reply["text"].endswith("</code> is not on your list. See /list, or add it with /watch.")
    (reply,) = await harness.say("/unwatch nope")
    assert reply["text"].startswith('"nope" is not a Solana address')
    (reply,) = await harness.say("/unwatch")
    assert reply["text"] == "Missing argument. Usage: /unwatch &lt;address&gt;"


async def test_one_users_unwatch_leaves_the_others_list_alone(harness: BotHarness) -> None:
    await harness.say(f"/watch {addr(1)} mine_ana", ANA)
    await harness.say(f"/watch {addr(1)} mine_ben", BEN)
    await harness.say(f"/unwatch {addr(1)}", ANA)
    assert await my_list(harness, ANA) == {}
    assert (await my_list(harness, BEN))[addr(1)].alias == "mine_ben"


# ---- /list ------------------------------------------------------------------------------------


async def test_an_empty_list_says_how_to_add_wallets_and_offers_import(
    harness: BotHarness,
) -> None:
    (reply,) = await harness.say("/list")
    assert reply["text"] == (
        "You watch no wallets yet.\n"
        "Add one: /watch &lt;address&gt; [alias] [tags], or import a CSV file."
    )
    keys = buttons(reply)
    assert {"✓ Mine", "Featured", "Community", "✓ PnL", "Balance", "Hit-rate"} <= set(keys)
    assert "▶" not in keys  # one page: no page buttons

    (help_text,) = await harness.press(keys["Import CSV"], reply)
    assert "Send me a .csv or .json file (up to 1 MB)" in help_text["text"]
    (menu,) = await harness.press(keys["Export"], reply)
    assert menu["text"] == "📤 Export your wallets as:"
    assert set(buttons(menu)) == {"CSV", "JSON"}


async def test_list_pages_are_turned_in_place_by_the_arrow_buttons(harness: BotHarness) -> None:
    me = await user_id(harness, ANA)
    for n in range(1, 21):
        await harness.services.wallets.add(
            addr(n), alias=f"w{n:02d}", kind=ListKind.MINE, user_id=me
        )
    by_address = sorted(range(1, 21), key=addr)  # PnL ties (no trades) go by address

    (page1,) = await harness.say("/list")
    assert page1["text"].splitlines()[0] == "My wallets · 20 · sorted by PnL"
    assert len(rows(page1)) == 8
    assert rows(page1)[0].startswith(f"1. w{by_address[0]:02d}  ")
    assert {"◀", "1/3", "▶"} <= set(buttons(page1))

    (page2,) = await harness.press(buttons(page1)["▶"], page1)
    assert page2["message_id"] == page1["message_id"]  # edited, not a new message
    assert [r.split()[0] for r in rows(page2)] == [f"{n}." for n in range(9, 17)]
    assert rows(page2)[0].startswith(f"9. w{by_address[8]:02d}  ")
    assert "2/3" in buttons(page2)

    (back,) = await harness.press(buttons(page2)["◀"], page2)
    assert rows(back) == rows(page1)
    (last,) = await harness.press(buttons(back)["◀"], back)  # wraps round to the last page
    assert [r.split()[0] for r in rows(last)] == ["17.", "18.", "19.", "20."]
    assert "3/3" in buttons(last)
    assert len(await harness.emulator.requests("editMessageText")) == 3


async def test_list_sorts_by_watchers_and_balance_and_switches_lists(
    harness: BotHarness,
) -> None:
    me = await user_id(harness, ANA)
    for n in (1, 2, 3):
        await harness.services.wallets.add(addr(n), alias=f"w{n}", kind=ListKind.MINE, user_id=me)
    for user, watched in ((BEN, (2, 3)), (CAM, (3,))):
        uid = await user_id(harness, user)
        for n in watched:
            await harness.services.wallets.add(addr(n), kind=ListKind.MINE, user_id=uid)
    async with harness.services.engine.begin() as conn:
        await wallet_repo.save_balances(
            conn, {addr(1): 312_000_000_000, addr(2): 5_000_000_000}, harness.clock()
        )

    (first,) = await harness.say("/list")
    (listed,) = await harness.press(buttons(first)["Watchers"], first)
    assert listed["text"].splitlines()[0] == "My wallets · 3 · sorted by watchers"
    assert [r.split()[1] for r in rows(listed)] == ["w3", "w2", "w1"]
    assert rows(listed)[0].endswith("👁 3")
    assert "✓ Watchers" in buttons(listed)

    (by_balance,) = await harness.press(buttons(listed)["Balance"], listed)
    assert [r.split()[1] for r in rows(by_balance)] == ["w1", "w2", "w3"]
    assert "312 SOL" in rows(by_balance)[0]

    admin_id = await user_id(harness, ADMIN)
    await harness.services.wallets.add(
        addr(9), alias="kol_star", tags=["kol"], kind=ListKind.FEATURED, user_id=admin_id
    )
    (featured,) = await harness.press(buttons(by_balance)["Featured"], by_balance)
    assert featured["text"].splitlines()[0] == "Featured wallets · 1 · sorted by balance"
    assert "kol_star" in rows(featured)[0]
    assert "Import CSV" not in buttons(featured)  # files are for your own list
    (community,) = await harness.press(buttons(featured)["Community"], featured)
    assert community["text"] == "No wallets on this list yet."


async def test_list_and_watch_speak_french(harness: BotHarness) -> None:
    (reply,) = await harness.say(f"/watch {addr(4)} baleine smart", LEA)
    assert reply["text"] == (
        "👁 Ajouté à votre liste\n"
        f"<code>{addr(4)}</code>\n"
        "Alias : baleine\n"
        "Tags : smart\n"
        "Voir /list · arrêter avec /unwatch"
    )
    (listed,) = await harness.say("/list", LEA)
    assert listed["text"].splitlines()[0] == "Mes portefeuilles · 1 · triés par PnL"
    assert {"✓ Les miens", "Sélection", "Communauté", "Solde", "Importer CSV"} <= set(
        buttons(listed)
    )
    (bad,) = await harness.say("/unwatch xyz", LEA)
    assert bad["text"].startswith("« xyz » n'est pas une adresse Solana")


# ---- /feature, /unfeature ---------------------------------------------------------------------


async def featured(harness: BotHarness) -> dict[str, WalletEntry]:
    entries = await harness.services.wallets.entries(kind=ListKind.FEATURED)
    return {e.address: e for e in entries}


async def test_non_admins_cannot_feature_or_unfeature(harness: BotHarness) -> None:
    (reply,) = await harness.say(f"/feature {addr(1)} kol_star kol", ANA)
    assert reply["text"] == "This command is for admins only; nothing was changed."
    assert await featured(harness) == {}

    await harness.say(f"/feature {addr(1)} kol_star kol", ADMIN)
    (reply,) = await harness.say(f"/unfeature {addr(1)}", ANA)
    assert reply["text"] == "This command is for admins only; nothing was changed."
    assert set(await featured(harness)) == {addr(1)}
    (after,) = await harness.say("/list", ANA)  # the refusal was the only answer
    assert after["text"].startswith("You watch no wallets yet.")


async def test_admins_feature_and_unfeature_wallets(harness: BotHarness) -> None:
    (reply,) = await harness.say(f"/feature {addr(1)} kol_star kol|smart", ADMIN)
    assert reply["text"] == (
        f"⭐ Added to the featured list\n<code>{addr(1)}</code>\nAlias: kol_star\nTags: kol, smart"
    )
    entry = (await featured(harness))[addr(1)]
    assert (entry.alias, entry.tags) == ("kol_star", ("kol", "smart"))
    (reply,) = await harness.say(f"/feature {addr(1)} kol_queen", ADMIN)
    assert reply["text"].startswith("✏️ Updated on the featured list\n")
    assert (await featured(harness))[addr(1)].alias == "kol_queen"

    # Ana watches it; unfeaturing takes it off the featured list but not off her list.
    await harness.say(f"/watch {addr(1)} my_kol", ANA)
    (reply,) = await harness.say(f"/unfeature {addr(1)}", ADMIN)
    assert reply["text"] == f"🗑 Removed from the featured list\n<code>{addr(1)}</code>"
    assert await featured(harness) == {}
    assert (await my_list(harness, ANA))[addr(1)].alias == "my_kol"

    (reply,) = await harness.say(f"/unfeature {addr(2)}", ADMIN)
    assert reply["text"] == (
        f"<code>{addr(2)}</code> is not on the featured list. See /list (Featured)."
    )
    (reply,) = await harness.say("/feature", ADMIN)
    assert reply["text"] == "Missing argument. Usage: /feature &lt;address&gt; [alias] [tags]"
    (reply,) = await harness.say("/feature 0xdeadbeef", ADMIN)
    assert reply["text"].startswith('"0xdeadbeef" is not a Solana address')
