"""/start, /help, /lang, the rate limit and the error handler, through the real bot."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from bots.telegram.commands import COMMANDS
from bots.telegram.menu import publish_commands
from core.storage.models import UserRole
from tests.bots.telegram.conftest import BotHarness, buttons
from tests.telegram_emulator import User


async def test_start_registers_the_user_with_their_telegram_language(harness: BotHarness) -> None:
    fr_user = User(id=2002, first_name="Léa", username="lea", language_code="fr-FR")
    (welcome,) = await harness.say("/start", fr_user)
    assert "Bienvenue sur Solsignals." in welcome["text"]
    profile = await harness.services.users.by_telegram(2002)
    assert profile is not None and profile.language == "fr"
    assert profile.role is UserRole.REGISTERED
    assert profile.settings.trading_enabled is False

    (again,) = await harness.say("/start", fr_user)
    assert "Bon retour." in again["text"]


async def test_admins_from_settings_get_the_admin_role(harness: BotHarness) -> None:
    await harness.say("/start", User(id=9001))
    profile = await harness.services.users.by_telegram(9001)
    assert profile is not None and profile.role is UserRole.ADMIN


ADMIN = User(id=9001, first_name="Root", username="root")
TRADING_ONLY = {"wallet", "limits", "buy", "sell", "positions", "tpsl", "autotrade"}


def command_lines(text: str) -> dict[str, str]:
    """/help's command lines by command name (each must appear once)."""
    lines = [line for line in text.splitlines() if line.startswith("/")]
    names = [line.split(" ", 1)[0][1:] for line in lines]
    assert len(names) == len(set(names)), names
    return dict(zip(names, lines, strict=True))


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("<b>")]


async def test_a_user_s_help_lists_their_commands_by_section_without_admin_ones(
    harness: BotHarness,
) -> None:
    (reply,) = await harness.say("/help")
    shown = command_lines(reply["text"])
    assert headings(reply["text"]) == [
        "<b>Commands</b>",
        "<b>General</b>",
        "<b>Signals</b>",
        "<b>Wallets</b>",
        "<b>Alerts &amp; settings</b>",
        "<b>Trading</b>",
    ]
    assert "feature" not in shown and "unfeature" not in shown
    # this bot does not offer trading: /trading alone, saying so
    assert not TRADING_ONLY & set(shown)
    assert shown["trading"] == (
        "/trading — Not offered on this bot: the operator has not turned trading on"
    )
    assert shown["watch"] == (
        "/watch &lt;address&gt; [alias] [tags] — "
        "Track a wallet (alias and tags optional, tags separated by |)"
    )
    expected = {c.name for c in COMMANDS if not c.admin} - TRADING_ONLY
    assert set(shown) == expected

    (welcome,) = await harness.say("/start")  # /start ends with the same list
    assert welcome["text"].endswith(reply["text"])
    assert "Trading is off until you turn it on." not in welcome["text"]


async def test_an_admin_s_help_has_the_admin_section_in_their_language(
    harness: BotHarness,
) -> None:
    (reply,) = await harness.say("/help", ADMIN)
    shown = command_lines(reply["text"])
    assert headings(reply["text"])[-1] == "<b>Admin</b>"
    assert shown["feature"] == (
        "/feature &lt;address&gt; [alias] [tags] — Put a wallet on the featured list"
    )
    assert shown["unfeature"] == "/unfeature &lt;address&gt; — Take a wallet off the featured list"

    await harness.say("/lang fr", ADMIN)
    (french,) = await harness.say("/help", ADMIN)
    assert headings(french["text"]) == [
        "<b>Commandes</b>",
        "<b>Général</b>",
        "<b>Signaux</b>",
        "<b>Portefeuilles</b>",
        "<b>Alertes et réglages</b>",
        "<b>Trading</b>",
        "<b>Administration</b>",
    ]
    assert command_lines(french["text"])["unfeature"] == (
        "/unfeature &lt;address&gt; — Retirer un portefeuille de la sélection"
    )
    assert command_lines(french["text"])["trading"] == (
        "/trading — Non proposé sur ce bot : l'opérateur n'a pas activé le trading"
    )


async def test_a_french_user_s_help_has_french_headings_and_no_admin_section(
    harness: BotHarness,
) -> None:
    (reply,) = await harness.say("/help", User(id=2002, first_name="Léa", language_code="fr"))
    assert "<b>Alertes et réglages</b>" in headings(reply["text"])
    assert "<b>Administration</b>" not in headings(reply["text"])
    assert "feature" not in command_lines(reply["text"])


async def test_the_menu_has_admin_commands_only_in_the_admins_chats(harness: BotHarness) -> None:
    await publish_commands(harness.bot, trading=False, admin_chat_ids=[9001])

    menus = {}
    for call in await harness.emulator.requests("setMyCommands"):
        params = call["params"]
        scope = json.loads(params["scope"]) if "scope" in params else {"type": "default"}
        commands = json.loads(params["commands"])
        menus[(scope.get("chat_id"), params.get("language_code"))] = {
            c["command"]: c["description"] for c in commands
        }
    assert set(menus) == {(None, None), (None, "fr"), (9001, None), (9001, "fr")}
    everyone, admin = menus[(None, None)], menus[(9001, None)]
    assert "feature" not in everyone and "buy" not in everyone
    assert everyone["trading"].startswith("Not offered on this bot")
    assert set(admin) == set(everyone) | {"feature", "unfeature"}
    assert menus[(9001, "fr")]["feature"] == "Mettre un portefeuille dans la sélection"
    assert menus[(None, "fr")]["signals"] == "Meilleurs jetons du moment par Force"


async def test_lang_switches_the_language_by_argument_and_by_button(harness: BotHarness) -> None:
    (menu,) = await harness.say("/lang")
    assert set(buttons(menu)) == {"English", "Français"}
    await harness.press(buttons(menu)["Français"], menu, count=0)
    (confirmed,) = await harness.emulator.bot_messages()
    assert confirmed["text"] == "Langue : français."
    (helped,) = await harness.say("/help")
    assert "Commandes" in helped["text"]

    (back,) = await harness.say("/lang en")
    assert back["text"] == "Language set to English."
    (bad,) = await harness.say("/lang de")
    assert bad["text"] == '"de" is not a language I speak. Use /lang en or /lang fr.'


async def test_a_user_over_the_rate_limit_is_told_once_to_slow_down(
    harness: BotHarness,
) -> None:
    from bots.telegram.middlewares.throttle import ThrottleMiddleware

    now = [0.0]
    throttle = ThrottleMiddleware(6, burst=2, clock=lambda: now[0])
    assert throttle._take(1) == 0.0 and throttle._take(1) == 0.0
    assert throttle._take(1) == 10.0  # told: one token comes back every 10 s
    assert throttle._take(1) < 0  # silent while the wait runs
    now[0] = 10.0
    assert throttle._take(1) == 0.0
    assert throttle._take(2) == 0.0  # other users have their own bucket


async def test_unknown_commands_point_to_help(harness: BotHarness) -> None:
    (reply,) = await harness.say("/frobnicate now")
    assert reply["text"] == "Unknown command /frobnicate. Send /help for the list."


async def test_a_failing_handler_answers_plainly_with_a_reference(harness: BotHarness) -> None:
    from aiogram.filters import Command

    from core.errors import UserInputError

    async def boom(message: object) -> None:
        raise RuntimeError("database on fire")

    async def wrong(message: object) -> None:
        raise UserInputError("min strength must be 0–3, got 7")

    # Handlers added to the running dispatcher's first router, as a feature bug would be.
    first = harness.dp.sub_routers[0]
    first.message.register(boom, Command("boom"))
    first.message.register(wrong, Command("wrong"))
    (reply,) = await harness.say("/boom")
    assert reply["text"].startswith("Something went wrong on our side; nothing was changed.")
    assert "Reference: " in reply["text"] and "fire" not in reply["text"]
    (reply,) = await harness.say("/wrong")
    assert reply["text"] == "Not accepted: min strength must be 0–3, got 7"


async def _set_role(db_url: str, telegram_id: int, role: UserRole) -> None:
    """What an operator does in the Django admin: change a user's role in the database."""
    connection = await asyncpg.connect(db_url)
    try:
        await connection.execute(
            "UPDATE users SET role = $1 WHERE telegram_id = $2", role.value, telegram_id
        )
    finally:
        await connection.close()


def _chat_menus(calls: list[dict[str, Any]], chat_id: int) -> list[tuple[str, str | None]]:
    """(method, language) of the menu calls scoped to one chat, in order."""
    return [
        (call["method"], call["params"].get("language_code"))
        for call in calls
        if call["method"] in ("setMyCommands", "deleteMyCommands")
        and json.loads(call["params"].get("scope", "{}")).get("chat_id") == chat_id
    ]


async def test_start_gives_an_admin_named_in_the_database_the_admin_menu_and_takes_it_back(
    harness: BotHarness, bot_db_url: str
) -> None:
    operator = User(id=3003, first_name="Ops", username="ops")
    await harness.say("/start", operator)  # registered: the chat keeps the default menu
    assert _chat_menus(await harness.emulator.requests(), 3003) == [
        ("deleteMyCommands", None),
        ("deleteMyCommands", "fr"),
    ]

    await _set_role(bot_db_url, 3003, UserRole.ADMIN)
    (welcome,) = await harness.say("/start", operator)

    assert "<b>Admin</b>" in headings(welcome["text"])
    admin_menus = [
        c
        for c in await harness.emulator.requests("setMyCommands")
        if json.loads(c["params"].get("scope", "{}")).get("chat_id") == 3003
    ]
    assert [c["params"].get("language_code") for c in admin_menus] == [None, "fr"]
    assert "feature" in [c["command"] for c in json.loads(admin_menus[0]["params"]["commands"])]

    await _set_role(bot_db_url, 3003, UserRole.REGISTERED)  # no longer an admin
    await harness.say("/start", operator)
    assert _chat_menus(await harness.emulator.requests(), 3003)[-2:] == [
        ("deleteMyCommands", None),
        ("deleteMyCommands", "fr"),
    ]
