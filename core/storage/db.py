"""DATABASE_URL handling and the async SQLAlchemy engine.

Accepted forms: ``postgresql://user@host:port/db`` (also ``postgres://`` and
``postgresql+asyncpg://``) and ``sqlite:///path/file.db`` (also ``sqlite+aiosqlite:///``;
``sqlite:////abs/path.db`` for an absolute path). A URL is normalised once into a ``DatabaseUrl``
giving the SQLAlchemy async form, the raw asyncpg DSN or the SQLite file path.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import event

from core.config import redact_url
from core.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

SETTING = "DATABASE_URL"
EXAMPLE = "postgresql://solsignals@127.0.0.1:5432/solsignals"
SQLITE_BUSY_TIMEOUT_MS = 5_000

_PG_PREFIXES = ("postgresql+asyncpg://", "postgresql://", "postgres://")
_SQLITE_PREFIXES = ("sqlite+aiosqlite:///", "sqlite:///")


class Backend(StrEnum):
    POSTGRESQL = "postgresql"
    SQLITE = "sqlite"


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """One database URL in every form the storage code needs."""

    backend: Backend
    sqlalchemy_url: str  # postgresql+asyncpg://... or sqlite+aiosqlite:///...
    asyncpg_dsn: str | None  # postgresql://... (PostgreSQL only)
    sqlite_path: Path | None  # SQLite only
    redacted: str

    @property
    def is_sqlite(self) -> bool:
        return self.backend is Backend.SQLITE


def redact(url: str) -> str:
    """The URL safe for logs and output: password and query string hidden."""
    return redact_url(url)


def _bad(problem: str) -> ConfigError:
    return ConfigError(SETTING, problem, EXAMPLE)


def parse_database_url(url: str) -> DatabaseUrl:
    """Validate and normalise DATABASE_URL; raises ConfigError naming DATABASE_URL."""
    url = url.strip()
    if not url:
        raise _bad("is empty")
    for prefix in _PG_PREFIXES:
        if url.startswith(prefix):
            return _parse_pg(url[len(prefix) :])
    for prefix in _SQLITE_PREFIXES:
        if url.startswith(prefix):
            return _parse_sqlite(url[len(prefix) :])
    scheme = url.split("://", 1)[0] if "://" in url else url[:20]
    raise _bad(
        f"unsupported URL {scheme!r}: use postgresql://user@host:port/db or sqlite:///path/file.db"
    )


def _parse_pg(rest: str) -> DatabaseUrl:
    dsn = f"postgresql://{rest}"
    try:
        parts = urlsplit(dsn)
        _ = parts.port  # raises ValueError on a non-numeric port
    except ValueError as exc:
        raise _bad(f"cannot parse the PostgreSQL URL ({exc})") from exc
    database = parts.path.lstrip("/")
    if not database or "/" in database:
        raise _bad("names no database: end the URL with /<database name>")
    if not parts.hostname and "host=" not in parts.query:
        raise _bad("names no host: postgresql://user@host:port/db")
    return DatabaseUrl(
        backend=Backend.POSTGRESQL,
        sqlalchemy_url=f"postgresql+asyncpg://{rest}",
        asyncpg_dsn=dsn,
        sqlite_path=None,
        redacted=redact(dsn),
    )


def _parse_sqlite(path: str) -> DatabaseUrl:
    if not path or path.startswith(":memory:") or "?" in path:
        raise _bad(
            "needs a SQLite file path (no :memory:, no query): sqlite:///./var/solsignals.db"
        )
    file = Path(path)
    if file.name in ("", ".", ".."):
        raise _bad(f"SQLite path {path!r} is a directory, not a file")
    return DatabaseUrl(
        backend=Backend.SQLITE,
        sqlalchemy_url=f"sqlite+aiosqlite:///{path}",
        asyncpg_dsn=None,
        sqlite_path=file,
        redacted=f"sqlite:///{path}",
    )


def ensure_sqlite_dir(db: DatabaseUrl) -> None:
    """Create the directory of a SQLite file if needed (the embedded default lives in ./var)."""
    if db.sqlite_path is not None:
        db.sqlite_path.parent.mkdir(parents=True, exist_ok=True)


def sqlite_pragmas() -> tuple[str, ...]:
    """Run on every SQLite connection: WAL, enforced foreign keys, wait instead of failing."""
    return (
        "PRAGMA journal_mode=WAL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "PRAGMA synchronous=NORMAL",
    )


def create_engine(url: str | DatabaseUrl, **kwargs: Any) -> AsyncEngine:
    """An async SQLAlchemy engine (asyncpg or aiosqlite) for a DATABASE_URL.

    Needs SQLAlchemy's asyncio extra (greenlet); imported here so the writer does not.
    """
    from sqlalchemy.ext.asyncio import create_async_engine

    db = url if isinstance(url, DatabaseUrl) else parse_database_url(url)
    if not db.is_sqlite:
        return create_async_engine(db.sqlalchemy_url, pool_pre_ping=True, **kwargs)
    ensure_sqlite_dir(db)
    engine = create_async_engine(
        db.sqlalchemy_url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **kwargs,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        try:
            for pragma in sqlite_pragmas():
                cursor.execute(pragma)
        finally:
            cursor.close()

    return engine
