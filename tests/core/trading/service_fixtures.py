"""Builders for ``TradingService`` tests (core and bot): production settings pointing at the
local chain and Jupiter servers, and the stored market (token row, pool reserves) that the
service's mint facts read."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from solders.pubkey import Pubkey

from core.config import Settings
from core.programs import WSOL_MINT, Program
from core.storage.records import MintRecord, PoolRecord, Record
from core.storage.writer import BatchWriter

PASSPHRASE = "correct horse battery staple"


def trading_settings(
    *, rpc_url: str, jupiter_url: str, probe: Pubkey, keystore: Path, **overrides: Any
) -> Settings:
    """What an operator sets to trade: TRADING_ENABLED, the RPC node, Jupiter, the honeypot
    probe wallet and the keystore; limits 0.5 SOL per trade, 2 SOL a day, 10 SOL liquidity."""
    values: dict[str, Any] = {
        "trading_enabled": True,
        "solana_rpc_urls": [rpc_url],
        "jupiter_base_url": jupiter_url,
        "honeypot_probe_wallet": str(probe),
        "keystore_path": keystore,
        "keystore_passphrase": SecretStr(PASSPHRASE),
        "trading_max_trade_sol": Decimal("0.5"),
        "trading_daily_limit_sol": Decimal("2"),
        "trading_min_liquidity_sol": Decimal("10"),
        "trading_confirm_poll_ms": 50,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def store_market(
    db_url: str,
    mint: Pubkey,
    *,
    symbol: str = "PEPE2",
    pool: tuple[int, int] | None = None,  # (token reserve raw, SOL reserve lamports)
    created_at: int = 1_700_000_000,
) -> None:
    """The token's launch row and, with ``pool``, its pool and reserves, as ingestion stores
    them (so ``TokenSnapshots`` reports the pool's SOL side as the liquidity)."""
    records: list[Record] = [
        MintRecord(
            str(mint),
            f"{symbol} token",
            symbol,
            "",
            str(Pubkey(bytes([9]) * 32)),
            "",
            created_at,
            1,
            f"launch-{str(mint)[:8]}",
        )
    ]
    if pool is not None:
        tokens, lamports = pool
        records.append(
            PoolRecord(
                pool=f"pool-{str(mint)[:8]}",
                program=Program.PUMP_AMM,
                base_mint=str(mint),
                quote_mint=WSOL_MINT,
                created_at=created_at,
                slot=2,
                signature=f"pool-{str(mint)[:8]}",
                base_reserve_raw=tokens,
                quote_reserve_raw=lamports,
            )
        )
    async with BatchWriter(db_url) as writer:
        await writer.add_many(records)
