"""`solsignals decode`: events on stdout, problems on stderr, exit codes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from core.cli import decode_cmd
from tests.conftest import FIXTURES

C1R5 = FIXTURES / "mainnet" / "c1r5_logsNotification_pumpfun_create_buy_slot310199880.json"


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="solsignals")
    decode_cmd.add_parser(parser.add_subparsers(dest="command"))
    return decode_cmd.run(parser.parse_args(["decode", *argv]))


def test_jsonl_with_a_garbage_line_prints_good_events_and_reports_the_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = json.dumps(json.loads(C1R5.read_text()))
    path = tmp_path / "mixed.jsonl"
    path.write_text(f"{frame}\n{{oops not json\n")
    assert _run(str(path)) == 0
    out, err = capsys.readouterr()
    events = [json.loads(line) for line in out.splitlines()]
    assert [(e["program"], e["event"]) for e in events] == [
        ("pump", "CreateEvent"),
        ("pump", "TradeEvent"),
    ]
    assert events[1]["sol_amount"] == 2_400_000_000
    assert events[1]["slot"] == 310199880
    assert events[0]["signature"].startswith("3PDrzPNDBXNZ")
    assert "line 2: bad_frame: not JSON" in err
    assert err.strip().splitlines()[-1] == "decoded 2 events; errors: bad_frame 1"


def test_missing_file_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(str(tmp_path / "nope.json")) == 2
    _, err = capsys.readouterr()
    assert "cannot read" in err and "nope.json" in err and "No such file" in err


def test_unrecognised_frame_is_reported_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "odd.json"
    path.write_text('{"hello": "world"}')
    assert _run(str(path)) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "input: bad_frame: unrecognised object with keys hello" in err
