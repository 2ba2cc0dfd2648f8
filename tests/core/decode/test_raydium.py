"""Raydium AMM v4 ray_log payloads (layouts of raydium-amm program/src/log.rs)."""

from __future__ import annotations

import base64
import struct

import pytest

from core.decode import DecodeStats, decode_logs
from core.decode.raydium import decode_ray_log
from core.errors import DecodeError
from core.programs import Program
from tests.core.decode._fixtures import load

RAY = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"


def _ray_logs(payload: bytes) -> list[str]:
    line = "Program log: ray_log: " + base64.b64encode(payload).decode()
    return [f"Program {RAY} invoke [1]", line, f"Program {RAY} success"]


def test_real_swap_base_in_decodes_every_value() -> None:
    logs = load("soltxs_raydium_amm_v4_rpc.json")["result"]["meta"]["logMessages"]
    (swap,) = decode_logs(logs)
    assert (swap.program, swap.event) == (Program.RAYDIUM_AMM_V4, "SwapBaseInLog")
    assert swap.fields == {
        "log_type": 3,
        "amount_in": 2_000_000_000,
        "minimum_out": 61_983_581_823,
        "direction": 2,
        "user_source": 2_000_000_000,
        "pool_coin": 866_637_920_167,
        "pool_pc": 40_287_991_826_946,
        "out_amount": 92_529_930_455,
    }


def test_swap_base_out_decodes() -> None:
    payload = struct.pack("<B7Q", 4, 10, 20, 1, 30, 40, 50, 9)
    (swap,) = decode_logs(_ray_logs(payload))
    assert swap.event == "SwapBaseOutLog"
    assert swap.fields == {
        "log_type": 4, "max_in": 10, "amount_out": 20, "direction": 1, "user_source": 30,
        "pool_coin": 40, "pool_pc": 50, "deduct_in": 9,
    }  # fmt: skip


def test_init_deposit_and_withdraw_logs_decode() -> None:
    init = struct.pack("<BQBBQQQQ", 0, 1_700_000_000, 9, 6, 1, 2, 3, 4) + bytes(32)
    deposit = struct.pack("<B6Q", 1, 1, 2, 0, 3, 4, 5) + (2**70).to_bytes(16, "little") * 2
    deposit += struct.pack("<3Q", 6, 7, 8)
    withdraw = struct.pack("<B5Q", 2, 1, 2, 3, 4, 5) + bytes(32) + struct.pack("<2Q", 6, 7)
    assert decode_ray_log(init) == (
        "InitLog",
        {
            "log_type": 0, "time": 1_700_000_000, "pc_decimals": 9, "coin_decimals": 6,
            "pc_lot_size": 1, "coin_lot_size": 2, "pc_amount": 3, "coin_amount": 4,
            "market": "11111111111111111111111111111111",
        },
    )  # fmt: skip
    name, fields = decode_ray_log(deposit)
    assert name == "DepositLog"
    assert fields["calc_pnl_x"] == 2**70 and fields["mint_lp"] == 8
    name, fields = decode_ray_log(withdraw)
    assert (name, fields["out_coin"], fields["out_pc"]) == ("WithdrawLog", 6, 7)


def test_unknown_log_type_and_short_payload_are_counted() -> None:
    stats = DecodeStats()
    assert decode_logs(_ray_logs(b"\x07" + bytes(56)), stats=stats) == []
    assert decode_logs(_ray_logs(b"\x03" + bytes(20)), stats=stats) == []
    assert stats.failures == {"unknown_log_type": 1, "truncated": 1}


def test_ray_log_under_another_program_is_ignored() -> None:
    payload = struct.pack("<B7Q", 3, 1, 2, 1, 3, 4, 5, 6)
    logs = _ray_logs(payload)
    logs[0] = logs[0].replace(RAY, "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4")
    assert decode_logs(logs) == []


def test_empty_ray_log_is_truncated() -> None:
    with pytest.raises(DecodeError) as info:
        decode_ray_log(b"")
    assert info.value.kind == "truncated"
