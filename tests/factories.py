"""Builders of domain objects for tests (one place, so shapes stay consistent)."""

from __future__ import annotations

from typing import Any

from core.decode.events import DecodedEvent
from core.programs import WSOL_MINT, Program

MINT = "3usR9LzZ8cHAvXzvDzMS8Ej1nyMkqzxKUqYVZkpSpump"
POOL = "Gf7sXMoP8iRw4iiXmJ1nq4vxcRycbGXy5RL8a8LnTd3v"
TRADER = "BuyerWa11et1111111111111111111111111111111"


def pump_amm_create_pool(
    *, pool: str = POOL, base_mint: str = MINT, quote_mint: str = WSOL_MINT, **over: Any
) -> DecodedEvent:
    fields: dict[str, Any] = {
        "timestamp": 1_754_000_000,
        "index": 0,
        "creator": TRADER,
        "base_mint": base_mint,
        "quote_mint": quote_mint,
        "base_mint_decimals": 6,
        "quote_mint_decimals": 9,
        "base_amount_in": 206_900_000_000_000,
        "quote_amount_in": 84_990_359_593,
        "pool_base_amount": 206_900_000_000_000,
        "pool_quote_amount": 84_990_359_593,
        "pool": pool,
        "lp_mint": "LpMint1111111111111111111111111111111111111",
    }
    fields.update(over)
    return DecodedEvent(Program.PUMP_AMM, "CreatePoolEvent", fields, "sigpool", 100, 1_754_000_000)


def pump_amm_swap(
    event: str, *, pool: str = POOL, base: int, quote: int, base_res: int, quote_res: int
) -> DecodedEvent:
    if event == "BuyEvent":
        fields: dict[str, Any] = {
            "timestamp": 1_754_000_100,
            "base_amount_out": base,
            "quote_amount_in": quote,
            "user_quote_amount_in": quote + quote // 100,
            "pool_base_token_reserves": base_res,
            "pool_quote_token_reserves": quote_res,
            "pool": pool,
            "user": TRADER,
        }
    else:
        fields = {
            "timestamp": 1_754_000_100,
            "base_amount_in": base,
            "quote_amount_out": quote,
            "user_quote_amount_out": quote - quote // 100,
            "pool_base_token_reserves": base_res,
            "pool_quote_token_reserves": quote_res,
            "pool": pool,
            "user": TRADER,
        }
    return DecodedEvent(Program.PUMP_AMM, event, fields, "sigswap", 101, 1_754_000_100)


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, rem = divmod(n, 58)
        out = _B58[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out
