"""Alembic environment: async engine (asyncpg / aiosqlite), URL from config or DATABASE_URL.

The URL is taken, in order, from the config attribute ``sqlalchemy.url`` (set by
``core.storage.migrate``), the ``sqlalchemy.url`` main option, then the DATABASE_URL variable.
Online migrations use the documented async recipe: an async engine and ``connection.run_sync``.
SQLite uses ``render_as_batch`` so later ALTERs work there.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import core.storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
from core.errors import ConfigError
from core.storage.db import EXAMPLE, SETTING, create_engine, ensure_sqlite_dir, parse_database_url

config = context.config
target_metadata = SQLModel.metadata


def _database_url() -> str:
    url = (
        config.attributes.get("sqlalchemy.url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get(SETTING)
    )
    if not url:
        raise ConfigError(SETTING, "not set", EXAMPLE)
    return str(url)


def run_migrations_offline() -> None:
    db = parse_database_url(_database_url())
    context.configure(
        url=db.sqlalchemy_url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=db.is_sqlite,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    db = parse_database_url(_database_url())
    ensure_sqlite_dir(db)
    engine = create_engine(db)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
