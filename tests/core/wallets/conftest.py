"""Wallet test fixtures: a migrated database on each backend (PostgreSQL, SQLite)."""

from __future__ import annotations

import pytest

from core.storage.migrate import upgrade


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database URL, once per backend."""
    fixture = "pg_url" if request.param == "postgresql" else "sqlite_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
async def db_url(empty_db_url: str) -> str:
    """A fresh database migrated to head, once per backend."""
    await upgrade(empty_db_url)
    return empty_db_url
