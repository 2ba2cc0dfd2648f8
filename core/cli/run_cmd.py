"""`solsignals run`: ingest from real Solana providers into PostgreSQL, publish on Redis."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from urllib.parse import urlsplit

import structlog

from core.config import Settings, load_settings
from core.ingest.feed import FeedItem, render_line
from core.ingest.service import IngestService
from core.log import configure_logging
from core.metrics_server import start_metrics_server
from core.programs import PROGRAM_IDS
from core.trading import JupiterClient

log = structlog.get_logger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg, unused-ignore]
    p = subparsers.add_parser(
        "run",
        help="ingest from real Solana providers (settings from the environment / .env)",
        description=__doc__,
    )
    p.add_argument("--migrate", action="store_true", help="apply migrations before starting")
    p.add_argument("--feed", action="store_true", help="also print the live feed on stdout")


def provider_list(settings: Settings) -> list[tuple[str, str, str]]:
    """(name, ws_url, http_url) in preference order; the name is the host, never the API key."""
    out = []
    for i, (ws, http) in enumerate(
        zip(settings.solana_ws_urls, settings.solana_rpc_urls, strict=True)
    ):
        host = urlsplit(http).hostname or f"provider{i}"
        out.append((f"{i}:{host}", ws, http))
    return out


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    settings.require_live()
    configure_logging(settings.log_level, settings.log_format)
    log.info("starting", settings=settings.redacted())
    start_metrics_server(settings.metrics_port, host=settings.metrics_host)
    asyncio.run(_serve(settings, migrate=args.migrate, feed=args.feed))
    return 0


async def _serve(settings: Settings, *, migrate: bool, feed: bool) -> None:
    redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
    jupiter = None
    if settings.jupiter_base_url:
        key = settings.jupiter_api_key.get_secret_value() if settings.jupiter_api_key else None
        jupiter = JupiterClient(settings.jupiter_base_url, api_key=key)
    service = await IngestService.create(
        database_url=settings.database_url.get_secret_value(),
        providers=provider_list(settings),
        addresses=list(PROGRAM_IDS.values()),
        batch_size=settings.ingest_batch_size,
        flush_ms=settings.ingest_flush_ms,
        big_trade_lamports=settings.big_trade_lamports,
        on_feed=_print_feed if feed else None,
        redis_url=redis_url,
        migrate=migrate,
        sol_usd_fallback=settings.sol_usd_fallback,
        queue_size=settings.ingest_queue_size,
        commitment=settings.commitment,
        max_slot_lag=settings.max_slot_lag,
        jupiter=jupiter,
        honeypot_probe_wallet=settings.honeypot_probe_wallet,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        summary = await service.run_until(stop)
    finally:
        if jupiter is not None:
            await jupiter.aclose()
    log.info("run_finished", events=summary["events"], trades=summary["trades"])


def _print_feed(item: FeedItem, sol_usd: float) -> None:
    sys.stdout.write(render_line(item, sol_usd) + "\n")
    sys.stdout.flush()
