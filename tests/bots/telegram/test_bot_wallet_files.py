"""Wallet list files through the real bot and emulator: /import help, CSV and JSON uploads
(all-or-nothing, partial, bad rows listed with their lines), file problems, /export and the
export → import round trip."""

from __future__ import annotations

import json
from typing import Any

from bots.telegram.formatters.wallet_files import EXAMPLE_ADDRESS
from tests.bots.telegram.conftest import ANA, BotHarness, buttons
from tests.bots.telegram.test_bot_wallets import BEN, LEA, addr, my_list, user_id
from tests.telegram_emulator import User

CSV = "text/csv"


async def upload_with_caption(
    harness: BotHarness, content: bytes, name: str, mime: str, caption: str, user: User = ANA
) -> dict[str, Any]:
    await harness.emulator.send_document(content, name, mime, user, caption=caption)
    (reply,) = await harness.emulator.bot_messages(user)
    return reply


def csv_file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


async def test_import_alone_explains_the_formats_with_an_example(harness: BotHarness) -> None:
    (reply,) = await harness.say("/import")
    text = reply["text"]
    assert "Send me a .csv or .json file (up to 1 MB)" in text
    assert f"<pre>address,alias,tags\n{EXAMPLE_ADDRESS},whale1,smart|kol</pre>" in text
    assert 'caption "partial"' in text


async def test_a_csv_upload_adds_the_wallets_to_my_list(harness: BotHarness) -> None:
    content = csv_file(
        "address,alias,tags", f"{addr(1)},whale1,smart|kol", f"{addr(2)},,sniper", f"{addr(3)}"
    )
    (reply,) = await harness.upload(content, "wallets.csv", CSV)
    assert reply["text"] == (
        "✅ <code>wallets.csv</code> imported: 3 added, 0 updated.\nSee /list."
    )
    mine = await my_list(harness)
    assert set(mine) == {addr(1), addr(2), addr(3)}
    assert (mine[addr(1)].alias, mine[addr(1)].tags) == ("whale1", ("smart", "kol"))
    assert mine[addr(2)].tags == ("sniper",)

    again = csv_file("address,alias", f"{addr(1)},bigwhale", f"{addr(4)},new")
    (reply,) = await harness.upload(again, "more.csv", CSV)
    assert "imported: 1 added, 1 updated." in reply["text"]
    mine = await my_list(harness)
    assert mine[addr(1)].alias == "bigwhale" and mine[addr(1)].tags == ("smart", "kol")


async def test_a_csv_with_bad_rows_imports_nothing_and_lists_each_bad_line(
    harness: BotHarness,
) -> None:
    content = csv_file(
        "address,alias,tags",
        f"{addr(1)},whale1,smart",
        "not-an-address,bob,",
        f"{addr(2)},ok,Bad Tag!",
        f"{addr(1)},dup,",
    )
    (reply,) = await harness.upload(content, "wallets.csv", CSV)
    assert reply["text"].splitlines() == [
        "❌ <code>wallets.csv</code>: 3 bad lines, nothing imported.",
        'line 3: "not-an-address" is not a Solana address (base58, 32 bytes)',
        'line 4: tag "Bad Tag!" must be 1-24 characters of a-z, 0-9, _ or -',
        f"line 5: duplicate of line 2 ({addr(1)})",
        'Fix them and send the file again, or send it with the caption "partial" to import '
        "the good lines only.",
    ]
    assert await my_list(harness) == {}


async def test_many_bad_rows_show_fifteen_then_a_count(harness: BotHarness) -> None:
    content = csv_file("address,alias", *(f"bad{n},x" for n in range(20)))
    (reply,) = await harness.upload(content, "bad.csv", CSV)
    lines = reply["text"].splitlines()
    assert lines[0] == "❌ <code>bad.csv</code>: 20 bad lines, nothing imported."
    assert lines[1].startswith('line 2: "bad0"') and lines[15].startswith('line 16: "bad14"')
    assert lines[16] == "… and 5 more"


async def test_a_broken_header_cannot_be_imported_even_partially(harness: BotHarness) -> None:
    content = csv_file("wallet,name", f"{addr(1)},whale1")
    reply = await upload_with_caption(harness, content, "w.csv", CSV, "partial")
    assert reply["text"].splitlines()[1] == (
        'line 1: unknown column "wallet" (columns: address, alias, tags)'
    )
    assert reply["text"].endswith("Fix the file and send it again (see /import for the format).")
    assert await my_list(harness) == {}


async def test_caption_partial_imports_the_good_rows_and_lists_the_skipped(
    harness: BotHarness,
) -> None:
    content = csv_file("address,alias", f"{addr(1)},whale1", "nope,bob", f"{addr(2)},kol_ana")
    reply = await upload_with_caption(harness, content, "w.csv", CSV, "partial")
    assert reply["text"].splitlines() == [
        "✅ <code>w.csv</code> imported: 2 added, 0 updated.",
        "⚠️ 1 line skipped:",
        'line 3: "nope" is not a Solana address (base58, 32 bytes)',
        "See /list.",
    ]
    assert set(await my_list(harness)) == {addr(1), addr(2)}

    content = csv_file("address", f"{addr(3)}", "bad")
    reply = await upload_with_caption(harness, content, "w.csv", CSV, "/import Partial")
    assert reply["text"].startswith("✅ <code>w.csv</code> imported: 1 added, 0 updated.")
    assert set(await my_list(harness)) == {addr(1), addr(2), addr(3)}


async def test_a_json_upload_is_imported_by_extension_or_mime(harness: BotHarness) -> None:
    items = [
        {"address": addr(1), "alias": "whale1", "tags": ["smart", "kol"]},
        {"address": addr(2), "alias": None, "tags": "sniper|dev"},
    ]
    (reply,) = await harness.upload(json.dumps(items).encode(), "list.json", "application/json")
    assert reply["text"].startswith("✅ <code>list.json</code> imported: 2 added, 0 updated.")
    mine = await my_list(harness)
    assert mine[addr(2)].tags == ("sniper", "dev")

    # no known extension, but a JSON MIME type
    data = json.dumps([{"address": addr(3)}]).encode()
    (reply,) = await harness.upload(data, "export", "application/json")
    assert "imported: 1 added, 0 updated." in reply["text"]

    (reply,) = await harness.upload(b'[{"address": "x"}, 5]', "bad.json", "application/json")
    assert reply["text"].splitlines()[1:3] == [
        'line 1: "x" is not a Solana address (base58, 32 bytes)',
        "line 1: expected an object with address, alias, tags",
    ]
    assert set(await my_list(harness)) == {addr(1), addr(2), addr(3)}


async def test_file_problems_are_refused_with_what_to_do(harness: BotHarness) -> None:
    big = b"address\n" + b"x" * (1024 * 1024)
    (reply,) = await harness.upload(big, "huge.csv", CSV)
    assert reply["text"] == (
        "<code>huge.csv</code> is 1.1 MB; the limit is 1 MB. "
        "Split it into smaller files and send each."
    )
    assert await harness.emulator.requests("getFile") == []  # refused before downloading

    (reply,) = await harness.upload(
        f"address,alias\n{addr(1)},b\xe9b\n".encode("latin-1"), "l.csv", CSV
    )
    assert reply["text"] == (
        "<code>l.csv</code> is not UTF-8 text. "
        "Save it as UTF-8 (in Excel: CSV UTF-8) and send it again."
    )
    (reply,) = await harness.upload(b"address\n", "notes.txt", "text/plain")
    assert reply["text"] == (
        "<code>notes.txt</code> is not a CSV or JSON file. "
        "Send a .csv or .json wallet list (see /import)."
    )
    (reply,) = await harness.upload(b"", "empty.csv", CSV)
    assert reply["text"] == (
        "<code>empty.csv</code> is empty. Put one wallet per line (see /import) and send it again."
    )
    (reply,) = await harness.upload(b"address,alias,tags\n", "header.csv", CSV)
    assert (
        reply["text"] == "<code>header.csv</code> has no wallet rows. See /import for the format."
    )
    assert await my_list(harness) == {}


async def test_import_answers_in_french(harness: BotHarness) -> None:
    content = csv_file("address,alias", f"{addr(1)},baleine", "mauvais,x")
    (reply,) = await harness.upload(content, "liste.csv", CSV, LEA)
    assert reply["text"].splitlines()[:2] == [
        "❌ <code>liste.csv</code> : 1 ligne invalide, rien n'a été importé.",
        "ligne 3 : « mauvais » n'est pas une adresse Solana (base58, 32 octets)",
    ]
    assert await my_list(harness, LEA) == {}


async def test_each_bad_row_reason_reaches_a_french_user_in_french(harness: BotHarness) -> None:
    content = csv_file(
        "address,alias,tags",
        f"{addr(1)},baleine,smart",
        f"{addr(2)},ok,Mauvais Tag!",
        f"{addr(1)},doublon,",
        f"{addr(3)},a,b,<en trop>",
    )
    (reply,) = await harness.upload(content, "liste.csv", CSV, LEA)
    assert reply["text"].splitlines()[1:4] == [
        "ligne 3 : le tag « Mauvais Tag! » doit compter de 1 à 24 caractères parmi a-z, 0-9, _ "
        "ou -",
        f"ligne 4 : doublon de la ligne 2 ({addr(1)})",
        "ligne 5 : 4 valeurs pour 3 colonnes (address, alias, tags) : valeur « &lt;en trop&gt; » "
        "hors colonne",
    ]

    reply = await upload_with_caption(
        harness, csv_file("wallet,name", f"{addr(1)},x"), "l.csv", CSV, "partial", LEA
    )
    assert reply["text"].splitlines()[1:3] == [
        "ligne 1 : colonne inconnue « wallet » (colonnes : address, alias, tags)",
        "ligne 1 : colonne inconnue « name » (colonnes : address, alias, tags)",
    ]

    (reply,) = await harness.upload(b'[{"address": ]', "l.json", "application/json", LEA)
    assert reply["text"].splitlines()[1] == "ligne 1 : JSON invalide : valeur attendue"
    assert await my_list(harness, LEA) == {}


# ---- /export ----------------------------------------------------------------------------------


async def _download(harness: BotHarness, message: dict[str, Any]) -> bytes:
    downloaded = await harness.bot.download(message["document"]["file_id"])
    assert downloaded is not None
    return downloaded.read()


async def test_export_sends_my_list_as_csv_and_it_imports_back_the_same(
    harness: BotHarness,
) -> None:
    await harness.say(f"/watch {addr(1)} whale1 smart|kol")
    await harness.say(f"/watch {addr(2)} - sniper")
    await harness.say(f"/watch {addr(3)} kol_ana")
    before = await my_list(harness)

    (sent,) = await harness.say("/export csv")
    assert sent["document"]["file_name"] == "solsignals-wallets.csv"
    assert sent["text"] == "Your list: 3 wallets. Send this file back to import it (/import)."
    content = await _download(harness, sent)
    assert content.decode().splitlines()[0] == "address,alias,tags"

    for n in (1, 2, 3):
        await harness.say(f"/unwatch {addr(n)}")
    assert await my_list(harness) == {}
    (reply,) = await harness.upload(content, "solsignals-wallets.csv", CSV)
    assert "imported: 3 added, 0 updated." in reply["text"]
    assert await my_list(harness) == before

    # Another user imports the same file: the same list, under their account.
    (reply,) = await harness.upload(content, "solsignals-wallets.csv", CSV, BEN)
    after = await my_list(harness, BEN)
    assert {a: (e.alias, e.tags) for a, e in after.items()} == {
        a: (e.alias, e.tags) for a, e in before.items()
    }


async def test_export_without_format_offers_buttons_and_json_round_trips(
    harness: BotHarness,
) -> None:
    await harness.say(f"/watch {addr(5)} whale5 whale")
    await harness.say(f"/watch {addr(6)}")
    before = await my_list(harness)

    (menu,) = await harness.say("/export")
    assert menu["text"] == "📤 Export your wallets as:"
    (sent,) = await harness.press(buttons(menu)["JSON"], menu)
    assert sent["document"]["file_name"] == "solsignals-wallets.json"
    content = await _download(harness, sent)
    assert json.loads(content) == [
        {"address": a, "alias": before[a].alias, "tags": list(before[a].tags)}
        for a in sorted(before)
    ]

    me = await user_id(harness, ANA)
    for address in before:
        await harness.services.wallets.remove(address, user_id=me)
    (reply,) = await harness.upload(content, "solsignals-wallets.json", "application/json")
    assert "imported: 2 added, 0 updated." in reply["text"]
    assert await my_list(harness) == before


async def test_export_of_an_empty_list_and_an_unknown_format(harness: BotHarness) -> None:
    (reply,) = await harness.say("/export csv")
    assert reply["text"] == (
        "Your list is empty: nothing to export. Add wallets with /watch or /import."
    )
    (reply,) = await harness.say("/export xml")
    assert reply["text"] == '"xml" is not an export format. Use /export csv or /export json.'
    assert await harness.emulator.requests("sendDocument") == []
