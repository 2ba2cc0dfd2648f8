"""Infrastructure fixtures only: real PostgreSQL and Redis, each test in a clean database.

The suite fails (never skips) when either server cannot be reached: `.ci/run` starts them.
Override with SOLSIGNALS_TEST_PG (server DSN, default postgresql://postgres@127.0.0.1:5432/postgres)
and SOLSIGNALS_TEST_REDIS (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import redis

from core.storage.migrate import upgrade
from tests.telegram_emulator import TelegramEmulator, start_emulator

PG_SERVER_DSN = os.environ.get(
    "SOLSIGNALS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("SOLSIGNALS_TEST_REDIS", "redis://127.0.0.1:6379/0")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures"


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """../shared/fixtures (real mainnet data). Missing means a broken checkout: fail loudly."""
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures not found at {FIXTURES}")
    return FIXTURES


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for this test; dropped afterwards.

    Yields a plain DSN ``postgresql://user@host:port/dbname`` (the form DATABASE_URL takes).
    """
    name = f"solsignals_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(PG_SERVER_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL not reachable at {PG_SERVER_DSN}: {exc}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_SERVER_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(PG_SERVER_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def telegram_emulator() -> AsyncIterator[TelegramEmulator]:
    """A local Telegram Bot API (telegram-test-api + our routes) on a free port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    emulator = start_emulator(port, token="123456:TEST-TOKEN")
    try:
        yield emulator
    finally:
        await emulator.aclose()


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database URL, once per backend (the same code serves both)."""
    return str(
        request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")
    )


@pytest.fixture
async def db_url(empty_db_url: str) -> str:
    """A fresh database migrated to head, once per backend."""
    await upgrade(empty_db_url)
    return empty_db_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file URL in the test's temporary directory (the embedded default)."""
    return f"sqlite:///{tmp_path / 'solsignals.db'}"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Redis with an empty logical database (db 15) for this test."""
    url = REDIS_URL.rsplit("/", 1)[0] + "/15"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis not reachable at {url}: {exc}")
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()
