"""Raydium CPMM swap events and mixed routes (no real CPMM sample exists in the shared fixtures:
these events are built with the IDL layout through the replay encoder)."""

from __future__ import annotations

from core.decode import decode_logs
from core.decode.events import DecodeStats
from core.programs import PROGRAM_IDS, Program
from core.replay.encode import program_data_line

JUPITER = "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"
TOKEN = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
CPMM = PROGRAM_IDS[Program.RAYDIUM_CPMM]
PUMP_AMM = PROGRAM_IDS[Program.PUMP_AMM]
POOL = "7JuwJuNU88gurFnyWeiyGKbFmExMWcmRZntn9imEzdny"

SWAP = {
    "pool_id": POOL,
    "input_vault_before": 5_000_000_000_000,
    "output_vault_before": 120_000_000_000,
    "input_amount": 1_000_000_000,
    "output_amount": 23_995_200,
    "input_transfer_fee": 0,
    "output_transfer_fee": 0,
    "base_input": True,
}


def test_cpmm_swap_event_decodes_every_field_under_its_idl_name() -> None:
    logs = [
        f"Program {CPMM} invoke [1]",
        "Program log: Instruction: SwapBaseInput",
        program_data_line(Program.RAYDIUM_CPMM, "SwapEvent", SWAP),
        f"Program {CPMM} success",
    ]
    (event,) = decode_logs(logs, signature="s", slot=5)
    assert event.program is Program.RAYDIUM_CPMM
    assert event.event == "SwapEvent"
    assert event.fields == SWAP


def test_route_through_two_amms_attributes_each_event_to_its_own_program() -> None:
    buy = {
        "timestamp": 1_754_000_000,
        "base_amount_out": 23_995_200,
        "max_quote_amount_in": 10,
        "user_base_token_reserves": 0,
        "user_quote_token_reserves": 0,
        "pool_base_token_reserves": 1,
        "pool_quote_token_reserves": 2,
        "quote_amount_in": 3,
    }
    logs = [
        f"Program {JUPITER} invoke [1]",
        "Program log: Instruction: Route",
        f"Program {CPMM} invoke [2]",
        f"Program {TOKEN} invoke [3]",
        f"Program {TOKEN} success",
        program_data_line(Program.RAYDIUM_CPMM, "SwapEvent", SWAP),
        f"Program {CPMM} success",
        f"Program {PUMP_AMM} invoke [2]",
        program_data_line(Program.PUMP_AMM, "BuyEvent", buy, upto=len(buy)),
        f"Program {PUMP_AMM} success",
        # Jupiter's own event is not ours: ignored, not a failure.
        "Program data: QMbN6CYIceIAAAAAAAAAAAAAAAAAAAAAAA==",
        f"Program {JUPITER} success",
    ]
    stats = DecodeStats()
    events = decode_logs(logs, signature="route", slot=9, stats=stats)
    assert [(e.program, e.event) for e in events] == [
        (Program.RAYDIUM_CPMM, "SwapEvent"),
        (Program.PUMP_AMM, "BuyEvent"),
    ]
    assert events[1].fields == buy  # an older, shorter BuyEvent: the prefix decodes
    assert stats.failed == 0
