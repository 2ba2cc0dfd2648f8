"""Builders of storage records for tests (deterministic, parametrised by an index)."""

from __future__ import annotations

from core.programs import WSOL_MINT, Program
from core.storage.records import (
    CurveCompleteRecord,
    MintRecord,
    PoolRecord,
    TickRecord,
    TradeRecord,
)

U64_MAX = 2**64 - 1
BASE_TIME = 1_735_689_600  # 2025-01-01T00:00:00Z


def mint_address(i: int) -> str:
    return f"Mint{i:04d}pump".ljust(44, "x")


def trade(i: int, *, mint: str | None = None, event_index: int = 0) -> TradeRecord:
    """Trade number ``i``; every 7th carries u64 values above 2^63 (raw amounts, reserves)."""
    huge = i % 7 == 0
    return TradeRecord(
        signature=f"sig{i:08d}".ljust(88, "s"),
        event_index=event_index,
        slot=300_000_000 + i,
        block_time=BASE_TIME + i,
        program=Program.PUMP if i % 3 else Program.PUMP_AMM,
        mint=mint or mint_address(i % 50),
        trader=f"trader{i % 97:03d}".ljust(44, "t"),
        is_buy=i % 2 == 0,
        sol_lamports=U64_MAX - i if huge else 1_000_000 + i,
        token_amount_raw=2**63 + i if huge else 35_000_000_000 + i,
        price_sol=2.8e-8 * (1 + i / 10_000),
        virtual_sol_reserves=30_000_000_000 + i,
        virtual_token_reserves=U64_MAX if huge else 1_073_000_000_000_000 - i,
        real_sol_reserves=None if i % 5 == 0 else i,
        real_token_reserves=793_100_000_000_000 - i,
        pool=None if i % 3 else f"pool{i % 50:04d}".ljust(44, "p"),
    )


def mint(i: int, **overrides: object) -> MintRecord:
    fields: dict[str, object] = {
        "mint": mint_address(i),
        "name": f"Token {i}",
        "symbol": f"T{i}",
        "uri": f"https://ipfs.io/ipfs/{i}",
        "creator": f"creator{i}".ljust(44, "c"),
        "bonding_curve": f"curve{i}".ljust(44, "b"),
        "created_at": BASE_TIME - 60 + i,
        "slot": 299_999_000 + i,
        "signature": f"create{i}".ljust(88, "c"),
        "decimals": 6,
        "supply_raw": 1_000_000_000_000_000,
        "token_program": "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
    }
    fields.update(overrides)
    return MintRecord(**fields)  # type: ignore[arg-type]


def complete(i: int, completed_at: int | None = None) -> CurveCompleteRecord:
    return CurveCompleteRecord(
        mint=mint_address(i),
        bonding_curve=f"curve{i}".ljust(44, "b"),
        completed_at=completed_at if completed_at is not None else BASE_TIME + 3_600 + i,
        slot=300_100_000 + i,
        signature=f"complete{i}".ljust(88, "k"),
    )


def pool(i: int, **overrides: object) -> PoolRecord:
    fields: dict[str, object] = {
        "pool": f"pool{i:04d}".ljust(44, "p"),
        "program": Program.PUMP_AMM,
        "base_mint": mint_address(i),
        "quote_mint": WSOL_MINT,
        "created_at": BASE_TIME + 3_700 + i,
        "slot": 300_100_100 + i,
        "signature": f"pool{i}".ljust(88, "q"),
        "creator": f"poolcreator{i}".ljust(44, "c"),
        "lp_mint": f"lp{i}".ljust(44, "l"),
        "base_reserve_raw": U64_MAX - 1,
        "quote_reserve_raw": 85_000_000_000 + i,
    }
    fields.update(overrides)
    return PoolRecord(**fields)  # type: ignore[arg-type]


def tick(
    i: int,
    *,
    bucket_start: int = BASE_TIME,
    prices: tuple[float, float, float, float] = (1.0, 2.0, 0.5, 1.5),
    volume_lamports: int = 1_000,
    buys: int = 2,
    sells: int = 1,
    net_flow_lamports: int = 300,
    interval_s: int = 60,
) -> TickRecord:
    return TickRecord(
        mint=mint_address(i),
        interval_s=interval_s,
        bucket_start=bucket_start,
        open_price_sol=prices[0],
        high_price_sol=prices[1],
        low_price_sol=prices[2],
        close_price_sol=prices[3],
        volume_lamports=volume_lamports,
        buys=buys,
        sells=sells,
        net_flow_lamports=net_flow_lamports,
    )
