from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.cli import migrate_cmd
from core.storage.db import create_engine
from core.storage.migrate import head_revision


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="solsignals")
    migrate_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["migrate", *argv])


async def _version(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()


def _last_line(text: str) -> str:
    """The command's own output line (structlog is unconfigured in tests and prints too)."""
    return text.strip().splitlines()[-1]


async def _run_in_thread(args: argparse.Namespace) -> int:
    import asyncio

    return await asyncio.to_thread(args.func, args)


async def test_migrate_brings_postgres_to_head_and_says_so(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await _run_in_thread(_parse("--database-url", pg_url)) == 0
    assert _last_line(capsys.readouterr().out) == f"migrated {pg_url} to head"
    assert await _version(pg_url) == head_revision()


async def test_migrate_reads_database_url_from_the_environment(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert await _run_in_thread(_parse()) == 0
    assert _last_line(capsys.readouterr().out) == f"migrated {sqlite_url} to head"
    assert await _version(sqlite_url) == head_revision()


async def test_migrate_defaults_to_the_embedded_sqlite_file_and_creates_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert await _run_in_thread(_parse()) == 0
    assert (tmp_path / "var" / "solsignals.db").is_file()
    assert "migrated sqlite:///./var/solsignals.db to head" in capsys.readouterr().out
    assert await _version(f"sqlite:///{tmp_path / 'var' / 'solsignals.db'}") == head_revision()


def test_migrate_output_hides_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    # Unreachable port: the command fails, but must not print the password either way.
    args = _parse("--database-url", "postgresql://u:hunter2@127.0.0.1:1/solsignals")
    assert migrate_cmd.run(args) == 1
    captured = capsys.readouterr()
    assert "hunter2" not in captured.out + captured.err
    assert "postgresql://u:***@127.0.0.1:1/solsignals" in captured.err


def test_bad_database_url_exits_2_naming_the_setting_and_an_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert migrate_cmd.run(_parse("--database-url", "mysql://root@localhost/db")) == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL" in err
    assert "postgresql://solsignals@127.0.0.1:5432/solsignals" in err
