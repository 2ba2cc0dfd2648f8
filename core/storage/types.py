"""Column types that behave the same on PostgreSQL and SQLite.

``U64``: raw on-chain u64 amounts (lamports, raw token units, reserves) can exceed a signed
BIGINT (2^63 - 1). PostgreSQL stores them as ``NUMERIC(20, 0)``. SQLite has no such type: a
``NUMERIC`` column silently turns integers above 2^63 into REAL (lossy), so on SQLite the column is
declared ``BLOB`` (no type affinity: values are stored exactly as bound). Values up to 2^63 - 1 are
stored as INTEGER; larger ones as 20-digit zero-padded TEXT. SQLite orders every INTEGER before
every TEXT, and padded TEXT sorts numerically, so ``ORDER BY`` and comparisons with integer
literals stay correct; ``SUM`` converts to REAL above 2^63 (statistics only).

``UtcDateTime``: ``timestamptz`` on PostgreSQL; on SQLite SQLAlchemy's ISO text (UTC, naive).
Values read back are always timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

I64_MAX = 2**63 - 1
U64_MAX = 2**64 - 1
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def u64_to_sqlite(value: int | None) -> int | str | None:
    """The SQLite storage form of a u64: INTEGER when it fits, zero-padded TEXT otherwise."""
    if value is None or value <= I64_MAX:
        return value
    return f"{value:020d}"


def u64_from_db(value: Any) -> int | None:
    """An int from what either backend returns (int, Decimal, padded text)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | str):
        return int(value)
    raise TypeError(f"not a u64 column value: {value!r}")


def unix_to_utc(unix_s: int | None) -> datetime | None:
    """Unix seconds (as the chain gives them) to an aware UTC datetime."""
    return None if unix_s is None else datetime.fromtimestamp(unix_s, UTC)


def unix_to_sqlite(unix_s: int | None) -> str | None:
    """Unix seconds to the text SQLAlchemy's SQLite DATETIME stores (UTC, sortable)."""
    if unix_s is None:
        return None
    return datetime.fromtimestamp(unix_s, UTC).strftime(SQLITE_DATETIME_FORMAT)


class _SqliteU64Blob(sa.types.UserDefinedType[Any]):
    """A BLOB-declared column whose values pass through untouched: integers below 2^63 are
    stored as INTEGER, larger ones as zero-padded text (see ``u64_to_sqlite``). SQLAlchemy's
    own BLOB type would insist on bytes."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "BLOB"


class U64(TypeDecorator[int]):
    """Unsigned 64-bit integer column: NUMERIC(20, 0) on PostgreSQL, affinity-less on SQLite."""

    impl = sa.Numeric(20, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SqliteU64Blob())
        return dialect.type_descriptor(sa.Numeric(20, 0))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return u64_to_sqlite(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return u64_from_db(value)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (``timestamptz`` on PostgreSQL)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone-aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""BIGINT surrogate key; INTEGER on SQLite, where only ``INTEGER PRIMARY KEY`` autoincrements."""
