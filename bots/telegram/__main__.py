"""``python -m bots.telegram``: the Telegram bot (commands and buttons) against DATABASE_URL.

Settings from the environment / `.env` (README, "Telegram bot"). A missing token or an invalid
value stops it at start naming the variable and an example.
"""

from __future__ import annotations

import asyncio
import sys

from bots.telegram.app import build_bot, run_polling
from bots.telegram.config import load_bot_settings
from bots.telegram.services import BotServices
from core.config import load_settings
from core.errors import ConfigError
from core.log import configure_logging


async def main() -> int:
    try:
        core_settings = load_settings()
        settings = load_bot_settings()
        token = settings.require_bot()
    except ConfigError as exc:
        print(f"solsignals telegram: {exc}", file=sys.stderr)
        return 2
    configure_logging(core_settings.log_level, core_settings.log_format)
    services = BotServices.create(core_settings.database_url.get_secret_value(), settings)
    bot = build_bot(token, settings.telegram_api_url)
    try:
        await run_polling(services, bot)
    finally:
        await bot.session.close()
        await services.aclose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
