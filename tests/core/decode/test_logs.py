"""decode_logs on real mainnet log lines: values, attribution by invoke stack, failures counted."""

from __future__ import annotations

import base64

from core.decode import DecodeStats, decode_logs
from core.decode.idl import event_layout
from core.programs import Program
from tests.core.decode._fixtures import PUMP_ID, crocchi_lines, load, under_pump

C1R5_SIG = (
    "3PDrzPNDBXNZDJyGvQGRhppZW16rHVUZi5mNjJs2aELydBiYLxtG7WD3JS5skFCGv36WseLzDib1KwayUZpgP3mC"
)
AMM_ID = "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"
JUPITER_ID = "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"


def _c1r5() -> tuple[list[str], int]:
    frame = load("c1r5_logsNotification_pumpfun_create_buy_slot310199880.json")
    result = frame["params"]["result"]
    return result["value"]["logs"], result["context"]["slot"]


def test_logs_notification_create_and_buy_decode_to_the_launch_and_dev_buy() -> None:
    logs, slot = _c1r5()
    stats = DecodeStats()
    create, trade = decode_logs(logs, signature=C1R5_SIG, slot=slot, stats=stats)
    assert (create.program, create.event) == (Program.PUMP, "CreateEvent")
    assert create.fields == {
        "name": "44444",
        "symbol": "44444",
        "uri": "https://ipfs.io/ipfs/QmWomAP8jJLd73ZLyJmrdJqFBhskUrJy2VpMGReNBr1gdG",
        "mint": "DGxVcSTq8ECJsmiQfp1knvd6enuG9nJKdDihzSaFpump",
        "bonding_curve": "Bignq1ctYYtmHdoi1MUGx6wT3pRxZXoE1TAXBqTEG9ZD",
        "user": "EmLPb9Vpzj4NECQCR1nWShfxgeUjTXNzBjKXx6JiXLHp",
    }
    assert trade.event == "TradeEvent"
    assert trade.fields == {
        "mint": "DGxVcSTq8ECJsmiQfp1knvd6enuG9nJKdDihzSaFpump",
        "sol_amount": 2_400_000_000,
        "token_amount": 79_481_481_481_481,
        "is_buy": True,
        "user": "EmLPb9Vpzj4NECQCR1nWShfxgeUjTXNzBjKXx6JiXLHp",
        "timestamp": 1735329249,
        "virtual_sol_reserves": 32_400_000_000,
        "virtual_token_reserves": 993_518_518_518_519,
        "real_sol_reserves": 2_400_000_000,
        "real_token_reserves": 713_618_518_518_519,
    }
    assert (trade.signature, trade.slot, trade.source) == (C1R5_SIG, 310199880, "log")
    assert stats.decoded == 2 and stats.failed == 0


def test_new_format_create_extend_and_sixteen_field_trade_decode() -> None:
    create, extend, trade = decode_logs(under_pump(crocchi_lines()))
    assert create.event == "CreateEvent"
    assert create.fields == {
        "name": "The Wrong Fart",
        "symbol": "SHIT",
        "uri": "https://ipfs.io/ipfs/bafkreigx3bsyypyg7j66ucpteaz2rovb2qekdlfb7rgocerfqaxqbz5yem",
        "mint": "3usR9LRJy22ysFSxCPZqQoJnLuL5jYNpC6rv3uPvpump",
        "bonding_curve": "81mrBTwf2Zbob2sXuDfqhjRbS1rxvevB5Xty8ws4NTxt",
        "user": "t9Qz6FDpUw5QrXCXdoEosXfVv8Mg7YyKeZoe3Eur4ET",
        "creator": "t9Qz6FDpUw5QrXCXdoEosXfVv8Mg7YyKeZoe3Eur4ET",
        "timestamp": 1754483288,
        "virtual_token_reserves": 1_073_000_000_000_000,
        "virtual_sol_reserves": 30_000_000_000,
        "real_token_reserves": 793_100_000_000_000,
        "token_total_supply": 1_000_000_000_000_000,
    }
    assert extend.event == "ExtendAccountEvent"
    assert extend.fields == {
        "account": "81mrBTwf2Zbob2sXuDfqhjRbS1rxvevB5Xty8ws4NTxt",
        "user": "t9Qz6FDpUw5QrXCXdoEosXfVv8Mg7YyKeZoe3Eur4ET",
        "current_size": 81,
        "new_size": 150,
        "timestamp": 1754483288,
    }
    assert trade.fields == {
        "mint": "ATJniagoRqT8F99MzT1e1JxXUkB8JF39N6guwQ9Mpump",
        "sol_amount": 200_000_001,
        "token_amount": 2_130_398_544_538,
        "is_buy": True,
        "user": "CNWbCpe4hHNfYyiDNykdaEfRuEGasSHDJhpxSvxgK5Tf",
        "timestamp": 1754687812,
        "virtual_sol_reserves": 55_072_536_565,
        "virtual_token_reserves": 584_501_860_155_043,
        "real_sol_reserves": 25_072_536_565,
        "real_token_reserves": 304_601_860_155_043,
        "fee_recipient": "62qc2CNXwrYqQScmEdiZFFAnJR262PxWEuNQtxfafNgV",
        "fee_basis_points": 95,
        "fee": 1_900_001,
        "creator": "7ck6A64wmieTSCg7cbAEEDL7wXEX4GK3b1SQbuFgwbzs",
        "creator_fee_basis_points": 5,
        "creator_fee": 100_001,
    }


def test_failed_transaction_yields_no_events_and_is_counted_once() -> None:
    logs, _ = _c1r5()
    stats = DecodeStats()
    err = {"InstructionError": [2, {"Custom": 6002}]}
    assert decode_logs(logs, err=err, stats=stats) == []
    assert stats.failures == {"failed_tx": 1}
    assert stats.decoded == 0


def test_data_lines_of_programs_we_do_not_follow_are_ignored_not_failures() -> None:
    trade_line = crocchi_lines()[2]
    logs = [f"Program {JUPITER_ID} invoke [1]", trade_line, f"Program {JUPITER_ID} success"]
    stats = DecodeStats()
    assert decode_logs(logs, stats=stats) == []
    assert stats.failed == 0


def test_event_belongs_to_program_on_top_of_the_invoke_stack_in_a_route() -> None:
    """Jupiter -> Pump.fun (trade) then Jupiter -> PumpSwap: each event to its own program."""
    trade_line = crocchi_lines()[2]
    layout = event_layout(Program.PUMP_AMM, "UpdateAdminEvent")
    amm_body = layout.discriminator + (1_700_000_000).to_bytes(8, "little") + bytes(64)
    logs = [
        f"Program {JUPITER_ID} invoke [1]",
        f"Program {PUMP_ID} invoke [2]",
        "Program log: Instruction: Buy",
        f"Program {PUMP_ID} invoke [3]",
        f"Program {PUMP_ID} consumed 2003 of 117474 compute units",
        f"Program {PUMP_ID} success",
        trade_line,
        f"Program {PUMP_ID} success",
        f"Program {AMM_ID} invoke [2]",
        "Program data: " + base64.b64encode(amm_body).decode(),
        f"Program {AMM_ID} success",
        trade_line,  # back under Jupiter: not ours
        f"Program {JUPITER_ID} success",
    ]
    events = decode_logs(logs)
    assert [(e.program, e.event) for e in events] == [
        (Program.PUMP, "TradeEvent"),
        (Program.PUMP_AMM, "UpdateAdminEvent"),
    ]
    assert events[1].fields["admin"] == "11111111111111111111111111111111"


def test_bad_base64_and_unknown_discriminator_are_counted_and_skipped() -> None:
    good = crocchi_lines()[2]
    unknown = "Program data: " + base64.b64encode(b"\x01" * 40).decode()
    stats = DecodeStats()
    events = decode_logs(under_pump(["Program data: not*base64!", unknown, good]), stats=stats)
    assert [e.event for e in events] == ["TradeEvent"]
    assert stats.failures == {"bad_base64": 1, "unknown_discriminator": 1}
    assert stats.failures_by_program == {"pump": 2}


def test_validator_truncated_logs_keep_events_logged_before_the_cut() -> None:
    logs, _ = _c1r5()
    cut = logs[: logs.index(next(x for x in logs if x.startswith("Program data:"))) + 1]
    events = decode_logs([*cut, "Log truncated"])
    assert [e.event for e in events] == ["CreateEvent"]


def test_data_line_outside_any_invoke_frame_is_ignored() -> None:
    assert decode_logs(crocchi_lines()) == []
