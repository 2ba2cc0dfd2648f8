"""Apply the Alembic migrations to a database, from code, tests or the CLI.

Alembic's ``env.py`` runs its own event loop (``asyncio.run``), which cannot start inside an
already running loop; ``upgrade`` therefore runs the Alembic command in a worker thread.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config

from core.storage.db import ensure_sqlite_dir, parse_database_url

log = structlog.get_logger(__name__)

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = ROOT / "alembic.ini"
MIGRATIONS_DIR = ROOT / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic Config for this repository's migrations, bound to ``url``."""
    db = parse_database_url(url)
    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # An attribute, not a main option: configparser would choke on '%' in passwords.
    cfg.attributes["sqlalchemy.url"] = db.sqlalchemy_url
    return cfg


def upgrade_sync(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision``; not callable inside a running loop."""
    db = parse_database_url(url)
    ensure_sqlite_dir(db)
    log.info("storage_migrate_start", database=db.redacted, revision=revision)
    command.upgrade(alembic_config(url), revision)
    log.info("storage_migrate_done", database=db.redacted, revision=revision)


def downgrade_sync(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (default: the latest)."""
    parse_database_url(url)  # a bad URL fails here, in the caller's thread
    await asyncio.to_thread(upgrade_sync, url, revision)


def head_revision() -> str:
    """The newest revision id of the migration scripts."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite:///unused.db"))
    head = script.get_current_head()
    if head is None:
        raise RuntimeError(f"no migration revisions found in {MIGRATIONS_DIR}")
    return head
