"""/help and the command menu on a deployment that offers trading (TRADING_ENABLED): every
trading command is listed, to users who have not turned trading on yet as well."""

from __future__ import annotations

import json
from pathlib import Path

from bots.telegram.commands import COMMANDS
from bots.telegram.menu import publish_commands
from tests.bots.telegram.test_bot_start import ADMIN, command_lines, headings
from tests.bots.telegram.trade_harness import trade_bot
from tests.telegram_emulator import TelegramEmulator


async def test_help_lists_every_trading_command_where_trading_is_offered(
    telegram_emulator: TelegramEmulator, bot_db_url: str, tmp_path: Path
) -> None:
    async with trade_bot(telegram_emulator, bot_db_url, tmp_path) as bot:
        (reply,) = await bot.say("/help")
        shown = command_lines(reply["text"])
        assert set(shown) == {c.name for c in COMMANDS if not c.admin}
        assert shown["trading"] == (
            "/trading [on|off|import] — "
            "Trading: status, turn on (creates a wallet), import a key, turn off"
        )
        assert shown["buy"] == "/buy &lt;mint&gt; &lt;SOL&gt; — Buy a token for an amount of SOL"
        (welcome,) = await bot.say("/start")
        assert "Trading is off until you turn it on." in welcome["text"]

        (admin,) = await bot.say("/help", ADMIN)
        assert set(command_lines(admin["text"])) == {c.name for c in COMMANDS}
        assert headings(admin["text"])[-2:] == ["<b>Trading</b>", "<b>Admin</b>"]

        await publish_commands(bot.harness.bot, trading=True, admin_chat_ids=[9001])
        (menu, *_) = await telegram_emulator.requests("setMyCommands")
        assert [c["command"] for c in json.loads(menu["params"]["commands"])] == [
            c.name for c in COMMANDS if not c.admin
        ]
