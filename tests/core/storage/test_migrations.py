from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import core.storage.models  # noqa: F401  (registers the tables)
from core.storage.db import create_engine
from core.storage.migrate import head_revision, upgrade
from core.storage.models import TABLE_NAMES


async def _schema_diff(url: str, metadata: sa.MetaData) -> list[object]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def diff(sync_conn: sa.Connection) -> list[object]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(context, metadata))

            return await conn.run_sync(diff)
    finally:
        await engine.dispose()


async def _scalar(url: str, query: str) -> object:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(sa.text(query))
    finally:
        await engine.dispose()


async def test_migrating_an_empty_database_creates_every_table_at_head(
    empty_db_url: str,
) -> None:
    await upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert set(TABLE_NAMES) <= tables
    assert await _scalar(empty_db_url, "SELECT version_num FROM alembic_version") == (
        head_revision()
    )


async def test_migrating_twice_is_a_no_op(db_url: str) -> None:
    await upgrade(db_url)
    assert await _scalar(db_url, "SELECT count(*) FROM alembic_version") == 1


async def test_migrated_schema_matches_the_models_exactly(db_url: str) -> None:
    assert await _schema_diff(db_url, SQLModel.metadata) == []


async def test_schema_comparison_detects_a_model_the_migrations_lack(db_url: str) -> None:
    drifted = sa.MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(drifted)
    sa.Table("not_migrated", drifted, sa.Column("id", sa.Integer, primary_key=True))
    drifted.tables["trades"].append_column(sa.Column("extra_lamports", sa.BigInteger()))
    diff = await _schema_diff(db_url, drifted)
    assert any(d[0] == "add_table" and d[1].name == "not_migrated" for d in diff)  # type: ignore[index]
    assert any(d[0] == "add_column" and d[3].name == "extra_lamports" for d in diff)  # type: ignore[index]


async def _exec(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def test_audit_log_accepts_inserts_but_rejects_update_and_delete(db_url: str) -> None:
    await _exec(
        db_url,
        "INSERT INTO audit_log (at, actor, action, subject, details) "
        "VALUES (CURRENT_TIMESTAMP, 'user:1', 'position.open', 'mint:x', '{}')",
    )
    for statement in (
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            await _exec(db_url, statement)
    assert await _scalar(db_url, "SELECT actor FROM audit_log") == "user:1"
