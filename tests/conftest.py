"""Infrastructure fixtures only: real PostgreSQL and Redis, each test in a clean database.

The suite fails (never skips) when either server cannot be reached: `.ci/run` starts them.
Override with SOLSIGNALS_TEST_PG (server DSN, default postgresql://postgres@127.0.0.1:5432/postgres)
and SOLSIGNALS_TEST_REDIS (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import redis

from core.storage.migrate import upgrade
from tests import shared_dir
from tests.telegram_emulator import TelegramEmulator, start_emulator

PG_SERVER_DSN = os.environ.get(
    "SOLSIGNALS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("SOLSIGNALS_TEST_REDIS", "redis://127.0.0.1:6379/0")

FIXTURES = shared_dir.FIXTURES


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """../shared/fixtures (real mainnet data). Missing means a broken checkout: fail loudly."""
    if not FIXTURES.is_dir():
        looked = ", ".join(str(p) for p in shared_dir.candidates())
        pytest.fail(f"shared fixtures not found (looked in: {looked}); set SOLSIGNALS_SHARED_DIR")
    return FIXTURES


async def _create_database(template: str | None = None) -> str:
    """A new database on the test server (a copy of ``template`` when given); its name."""
    name = f"solsignals_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(PG_SERVER_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL not reachable at {PG_SERVER_DSN}: {exc}")
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await admin.close()
    return name


async def _drop_database(name: str) -> None:
    admin = await asyncpg.connect(PG_SERVER_DSN, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def _dsn(name: str) -> str:
    return f"{PG_SERVER_DSN.rsplit('/', 1)[0]}/{name}"


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for this test; dropped afterwards.

    Yields a plain DSN ``postgresql://user@host:port/dbname`` (the form DATABASE_URL takes).
    """
    name = await _create_database()
    try:
        yield _dsn(name)
    finally:
        await _drop_database(name)


@pytest.fixture(scope="session")
def _pg_migrated_template() -> Iterator[str]:
    """A database migrated to head once per test run: the template of ``migrated_pg_url``
    (copying it takes ~25 ms; migrating a new database ~120 ms)."""
    name = asyncio.run(_create_database())
    try:
        asyncio.run(upgrade(_dsn(name)))
        yield name
    finally:
        asyncio.run(_drop_database(name))


@pytest.fixture
async def migrated_pg_url(_pg_migrated_template: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database already migrated to head (a copy of the run's template)."""
    name = await _create_database(template=_pg_migrated_template)
    try:
        yield _dsn(name)
    finally:
        await _drop_database(name)


@pytest.fixture(scope="session")
def _sqlite_migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "solsignals.db"
    asyncio.run(upgrade(f"sqlite:///{path}"))
    return path


@pytest.fixture
def migrated_sqlite_url(_sqlite_migrated_template: Path, tmp_path: Path) -> str:
    """A SQLite file migrated to head (a copy of the run's template), in the test's tmp dir."""
    path = tmp_path / "solsignals.db"
    shutil.copyfile(_sqlite_migrated_template, path)
    for suffix in ("-wal", "-shm"):  # WAL mode: present only if not checkpointed on close
        sidecar = _sqlite_migrated_template.with_name(_sqlite_migrated_template.name + suffix)
        if sidecar.exists():
            shutil.copyfile(sidecar, path.with_name(path.name + suffix))
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def _emulator_process() -> Iterator[TelegramEmulator]:
    """One local Telegram Bot API process (telegram-test-api + our routes) for the run."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    emulator = start_emulator(port, token="123456:TEST-TOKEN")
    try:
        yield emulator
    finally:
        emulator.stop_process()


@pytest.fixture
async def telegram_emulator(
    _emulator_process: TelegramEmulator,
) -> AsyncIterator[TelegramEmulator]:
    """The local Telegram Bot API, reset: no message, file, recorded call or failure rule of
    an earlier test; message and update ids start at 1."""
    if not _emulator_process.running:
        pytest.fail("the Telegram Bot API emulator process has exited")
    emulator = _emulator_process.shared()
    try:
        await emulator.reset()
        yield emulator
    finally:
        await emulator.aclose()


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database URL, once per backend (the same code serves both)."""
    return str(
        request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")
    )


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database migrated to head, once per backend."""
    return str(
        request.getfixturevalue(
            "migrated_pg_url" if request.param == "postgresql" else "migrated_sqlite_url"
        )
    )


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
