"""/start, /help, /lang, the rate limit and the error handler, through the real bot."""

from __future__ import annotations

from bots.telegram.commands import COMMANDS
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


async def test_help_lists_every_command_once(harness: BotHarness) -> None:
    (reply,) = await harness.say("/help")
    lines = reply["text"].splitlines()
    for command in COMMANDS:
        assert sum(1 for line in lines if line.startswith(f"/{command.name} ")) == 1, command


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
