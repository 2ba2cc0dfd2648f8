"""``python -m bots.telegram``: the Telegram bot — commands and buttons (polling) and the alert
fan-out (``signals.out`` -> chats) in one process, against DATABASE_URL and REDIS_URL.

    python -m bots.telegram                  # both
    python -m bots.telegram --polling-only   # commands and buttons only
    python -m bots.telegram --fanout-only    # alerts only (scale these separately)

Only one process may poll a bot token; any number may run the fan-out (a consumer group shares
the stream: give each a distinct, stable ``--consumer`` / TELEGRAM_FANOUT_CONSUMER name).
Without REDIS_URL there are no alerts: the bot polls only (``--fanout-only`` refuses to start).
Settings from the environment / `.env` (README, "Telegram bot"). A missing token or an invalid
value stops it at start naming the variable and an example.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

import redis.asyncio as aioredis
import structlog

from bots.telegram.app import build_bot, fsm_storage, run_polling
from bots.telegram.config import load_bot_settings
from bots.telegram.fanout import FanOut, load_fanout_settings
from bots.telegram.services import BotServices
from core.bus.streams import StreamPublisher
from core.config import EXAMPLES, load_settings
from core.errors import ConfigError
from core.log import configure_logging
from core.metrics_server import start_metrics_server
from core.trading.autotrade import STREAM as AUTOTRADE_STREAM

log = structlog.get_logger(__name__)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bots.telegram", description=__doc__)
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--polling-only", action="store_true", help="answer commands and buttons; send no alerts"
    )
    only.add_argument(
        "--fanout-only", action="store_true", help="send alerts; do not poll for updates"
    )
    parser.add_argument(
        "--consumer",
        help="this process's name in the fan-out consumer group (default: "
        "TELEGRAM_FANOUT_CONSUMER, else the host name)",
    )
    return parser.parse_args(argv)


async def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        core_settings = load_settings()
        settings = load_bot_settings()
        token = settings.require_bot()
        overrides = {"consumer": args.consumer} if args.consumer else {}
        fanout_settings = load_fanout_settings(**overrides)
        redis_url = core_settings.redis_url.get_secret_value() if core_settings.redis_url else ""
        if args.fanout_only and not redis_url:
            raise ConfigError(
                "REDIS_URL",
                "is required for alerts (they come from signals.out)",
                EXAMPLES["REDIS_URL"],
            )
    except ConfigError as exc:
        print(f"solsignals telegram: {exc}", file=sys.stderr)
        return 2
    configure_logging(core_settings.log_level, core_settings.log_format)
    start_metrics_server(core_settings.metrics_port, core_settings.metrics_host)
    polling = not args.fanout_only
    fanning = not args.polling_only and bool(redis_url)
    if not args.polling_only and not redis_url:
        log.warning("telegram.alerts_off", reason="REDIS_URL is not set")

    try:  # trading is built here when TRADING_ENABLED: its settings are checked now
        services = BotServices.create(
            core_settings.database_url.get_secret_value(), settings, core_settings=core_settings
        )
    except ConfigError as exc:
        print(f"solsignals telegram: {exc}", file=sys.stderr)
        return 2
    bot = build_bot(token, settings.telegram_api_url)
    redis = aioredis.from_url(redis_url) if redis_url else None
    if redis is not None and polling:  # what the handlers end, the fan-out shows (autotrade.out)
        services.autotrade_out = StreamPublisher(redis, AUTOTRADE_STREAM)
    fanout = (
        FanOut(services, bot, redis, fanout_settings) if fanning and redis is not None else None
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)

    tasks: list[asyncio.Task[None]] = []
    if polling:
        storage = fsm_storage(redis_url or None)  # conversation state survives a restart
        tasks.append(
            asyncio.create_task(run_polling(services, bot, storage), name="telegram-polling")
        )
    if fanout is not None:
        tasks.append(asyncio.create_task(fanout.run(), name="telegram-fanout"))
    stopping = asyncio.create_task(stop.wait(), name="telegram-stop")
    code = 0
    try:
        done, _ = await asyncio.wait({*tasks, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in done - {stopping}:
            if not task.cancelled() and task.exception() is not None:
                log.error("telegram.task_failed", task=task.get_name(), exc_info=task.exception())
                code = 1
    finally:
        if fanout is not None:
            fanout.stop()  # graceful: requests in flight finish, the rest stays pending
        for task in [*tasks, stopping]:
            if task.get_name() != "telegram-fanout":
                task.cancel()
        await asyncio.gather(*tasks, stopping, return_exceptions=True)
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
        await services.aclose()
    return code


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
