"""Builders for wallet tests: valid Solana addresses, users, trades of tracked wallets."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from solders.pubkey import Pubkey

from core.programs import Program
from core.storage.db import create_engine
from core.storage.records import TradeRecord

BASE_TIME = 1_735_689_600  # 2025-01-01T00:00:00Z
SOL = 1_000_000_000


def address(i: int) -> str:
    """A valid, deterministic Solana address (base58 of 32 bytes)."""
    return str(Pubkey.from_bytes(hashlib.sha256(f"wallet-{i}".encode()).digest()))


async def create_users(url: str, *user_ids: int) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for user_id in user_ids:
                await conn.execute(
                    sa.text(
                        "INSERT INTO users (id, language, role, settings, created_at) "
                        "VALUES (:id, 'en', 'registered', '{}', CURRENT_TIMESTAMP)"
                    ),
                    {"id": user_id},
                )
    finally:
        await engine.dispose()


_counter = iter(range(1, 10**9))


def trade(
    wallet: str,
    mint: str,
    *,
    buy: bool,
    sol_lamports: int,
    token_amount_raw: int,
    at: int,
    price_sol: float = 1.0,
) -> TradeRecord:
    n = next(_counter)
    return TradeRecord(
        signature=f"sig{n:08d}".ljust(88, "s"),
        event_index=0,
        slot=300_000_000 + n,
        block_time=at,
        program=Program.PUMP,
        mint=mint,
        trader=wallet,
        is_buy=buy,
        sol_lamports=sol_lamports,
        token_amount_raw=token_amount_raw,
        price_sol=price_sol,
    )
