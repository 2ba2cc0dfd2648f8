"""`solsignals run` as an operator starts it: settings from the environment, real PostgreSQL and
Redis, providers reached over the Solana protocols (here the local replay server)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy.exc import SQLAlchemyError

from core.replay.market import SimulatedMarket
from core.replay.server import ReplayServer
from core.storage.repository import Repository

SETTINGS = ("SOLANA_WS_URLS", "SOLANA_RPC_URLS", "DATABASE_URL", "REDIS_URL", "METRICS_PORT")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("solsignals")
    return [str(script)] if script.exists() else [sys.executable, "-m", "core.cli.main"]


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env.update(values)
    return env


def test_run_without_providers_stops_at_start_naming_the_setting(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*_command(), "run"], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "SOLANA_WS_URLS" in proc.stderr
    assert "example: SOLANA_WS_URLS=wss://" in proc.stderr


def test_run_with_an_invalid_redis_url_names_it(tmp_path: Path) -> None:
    env = _env(
        SOLANA_WS_URLS="ws://127.0.0.1:1",
        SOLANA_RPC_URLS="http://127.0.0.1:1",
        DATABASE_URL="postgresql://postgres@127.0.0.1:5432/postgres",
        REDIS_URL="localhost:6379",
    )
    proc = subprocess.run(
        [*_command(), "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "REDIS_URL" in proc.stderr and "redis://" in proc.stderr


@pytest.mark.slow
async def test_run_ingests_into_postgres_and_the_redis_stream(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    metrics_port = _free_port()
    market = SimulatedMarket(seed=11)
    server = ReplayServer(
        market.transactions(start_slot=1_000, start_time=int(time.time())), rate_per_s=400
    )
    await server.start()
    env = _env(
        SOLANA_WS_URLS=server.ws_url,
        SOLANA_RPC_URLS=server.http_url,
        DATABASE_URL=pg_url,
        REDIS_URL=redis_url,
        LOG_FORMAT="json",
        METRICS_PORT=str(metrics_port),
        METRICS_HOST="127.0.0.1",
    )
    proc = await asyncio.create_subprocess_exec(
        *_command(),
        "run",
        "--migrate",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with Repository(pg_url) as repo:
            trades = 0
            deadline = time.monotonic() + 45
            while trades < 200 and time.monotonic() < deadline and proc.returncode is None:
                await asyncio.sleep(0.5)
                try:
                    trades = (await repo.counts())["trades"]
                except SQLAlchemyError:  # tables appear once `--migrate` has run
                    trades = 0
        async with httpx.AsyncClient() as http:
            scraped = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
        await server.stop()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert trades >= 200, err.decode()[-2000:]

    async with Repository(pg_url) as repo:
        counts = await repo.counts()
    assert counts["tokens"] > 0
    client = aioredis.Redis.from_url(redis_url)
    streamed = await client.xlen("ingest.events")
    await client.aclose()
    # Every stored trade was also published for the signal engine.
    assert streamed >= counts["trades"]
    assert b'"run_finished"' in err
    # Operators see the loop, the stream and storage in Prometheus.
    assert _metric(scraped, 'solsignals_ingest_notices_total{source="ws"}') >= 200
    pubsub = 'solsignals_pubsub_notices_total{provider="0:127.0.0.1",source="ws"}'
    assert _metric(scraped, pubsub) > 0
    assert "solsignals_storage_flush_seconds_bucket" in scraped
    assert "solsignals_ingest_inbox_depth" in scraped


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not exported")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
