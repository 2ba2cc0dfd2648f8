"""The Anchor event encoder reproduces real mainnet bytes exactly."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest

from core.decode import DecodeStats, decode_logs
from core.decode.idl import event_layout
from core.programs import PROGRAM_IDS, Program
from core.replay.encode import encode_event, program_data_line, ray_log_swap_base_in

PUMP_ID = PROGRAM_IDS[Program.PUMP]


def _mainnet_data_lines(fixtures: Path) -> list[list[str]]:
    """Groups of log lines holding real `Program data:` lines, each a decodable log list."""
    crocchi = fixtures / "mainnet" / "crocchi_pumpfun_program_data_lines_2025-08_a.txt"
    lines = [line.strip() for line in crocchi.read_text().splitlines() if line.strip()]
    c1r5 = fixtures / "mainnet" / "c1r5_logsNotification_pumpfun_create_buy_slot310199880.json"
    notification = orjson.loads(c1r5.read_bytes())
    return [
        [f"Program {PUMP_ID} invoke [1]", *lines, f"Program {PUMP_ID} success"],
        notification["params"]["result"]["value"]["logs"],
    ]


def test_reencoding_decoded_mainnet_events_gives_identical_bytes(shared_fixtures: Path) -> None:
    checked = 0
    for logs in _mainnet_data_lines(shared_fixtures):
        stats = DecodeStats()
        decoded = decode_logs(logs, stats=stats)
        originals = [line for line in logs if line.startswith("Program data: ")]
        assert stats.failed == 0
        assert len(decoded) == len(originals)
        for event, line in zip(decoded, originals, strict=True):
            raw = base64.b64decode(line.removeprefix("Program data: "))
            layout = event_layout(event.program, event.event)
            assert encode_event(layout, event.fields, upto=len(event.fields)) == raw
            checked += 1
    # 2025 CreateEvent (12 fields), ExtendAccountEvent, 2025 TradeEvent (16 fields),
    # 2024 CreateEvent (6 fields) and 2024 TradeEvent (10 fields)
    assert checked == 5


def test_program_data_line_with_upto_decodes_to_only_the_older_fields(
    shared_fixtures: Path,
) -> None:
    logs = _mainnet_data_lines(shared_fixtures)[1]
    trade = next(e for e in decode_logs(logs) if e.event == "TradeEvent")
    line = program_data_line(Program.PUMP, "TradeEvent", trade.fields, upto=6)
    (again,) = decode_logs([f"Program {PUMP_ID} invoke [1]", line, f"Program {PUMP_ID} success"])
    assert list(again.fields) == list(trade.fields)[:6]
    assert again.fields["sol_amount"] == trade.fields["sol_amount"]
    assert again.fields["user"] == trade.fields["user"]


def test_encoding_without_a_required_field_names_the_field() -> None:
    layout = event_layout(Program.PUMP, "CompleteEvent")
    with pytest.raises(ValueError, match="mint"):
        encode_event(layout, {"user": PUMP_ID})


def test_ray_log_swap_base_in_decodes_with_the_production_decoder() -> None:
    raydium = PROGRAM_IDS[Program.RAYDIUM_AMM_V4]
    line = ray_log_swap_base_in(
        amount_in=1_500_000_000,
        minimum_out=10,
        direction=1,
        user_source=2_000_000_000,
        pool_coin=5_000_000_000_000,
        pool_pc=80_000_000_000,
        out_amount=91_000_000,
    )
    assert line.startswith("Program log: ray_log: ")
    (event,) = decode_logs([f"Program {raydium} invoke [1]", line, f"Program {raydium} success"])
    assert event.program is Program.RAYDIUM_AMM_V4
    assert event.fields["amount_in"] == 1_500_000_000
    assert event.fields["out_amount"] == 91_000_000
    assert event.fields["pool_pc"] == 80_000_000_000
