from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import pytest

from core.cli import wallets_cmd
from core.storage.migrate import upgrade
from tests.core.wallets.factories import address

A, B = address(1), address(2)


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="solsignals")
    wallets_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["wallets", *argv])


async def _run(*argv: str) -> int:
    args = _parse(*argv)
    return await asyncio.to_thread(args.func, args)


@pytest.fixture
async def db_env(empty_db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    await upgrade(empty_db_url)
    monkeypatch.setenv("DATABASE_URL", empty_db_url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return empty_db_url


async def test_import_list_export_add_remove_end_to_end(
    db_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "wallets.csv"
    good.write_text(f"address,alias,tags\n{A},whale1,kol|whale\n")
    assert await _run("import", str(good), "--kind", "featured") == 0
    assert "imported 1 wallets to featured: 1 new" in capsys.readouterr().out

    assert await _run("add", B, "--alias", "bee", "--tags", "smart,dev") == 0
    assert await _run("list", "--sort", "watchers", "--limit", "5") == 0
    table = capsys.readouterr().out
    assert "whale1" in table and "bee" in table and "hit 30d" in table

    assert await _run("export", "--format", "json") == 0
    exported = json.loads(capsys.readouterr().out)
    assert {(w["address"], w["alias"]) for w in exported} == {(A, "whale1"), (B, "bee")}

    assert await _run("remove", B) == 0
    assert await _run("export") == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{A},whale1,kol|whale"


async def test_a_bad_file_exits_2_naming_every_bad_line(
    db_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"address,alias,tags\n{A},ok,\n" + "\n" * 4 + "abc,x,\n")
    assert await _run("import", str(bad)) == 2
    err = capsys.readouterr().err
    assert 'line 7: "abc" is not a Solana address (base58, 32 bytes)' in err
    assert "nothing imported" in err
    assert await _run("import", str(bad), "--partial") == 0
    assert "1 new, 0 updated, 1 bad lines skipped" in capsys.readouterr().out


async def test_bad_address_on_add_exits_2(db_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await _run("add", "abc") == 2
    assert '"abc" is not a Solana address' in capsys.readouterr().err
