"""u64 columns through SQLAlchemy Core (the read side and later services), not only the writer."""

from __future__ import annotations

import sqlalchemy as sa

from core.storage.db import create_engine
from core.storage.models import Trade

U64_MAX = 2**64 - 1


async def test_u64_values_insert_filter_and_read_back_exactly(db_url: str) -> None:
    engine = create_engine(db_url)
    table = Trade.__table__  # type: ignore[attr-defined]
    row = {
        "signature": "sig-u64",
        "event_index": 0,
        "slot": 1,
        "block_time": None,
        "program": "pump",
        "mint": "MintU64",
        "trader": "T",
        "is_buy": True,
        "sol_lamports": 5,
        "token_amount_raw": U64_MAX,
        "price_sol": 1.0,
    }
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(table), [row, {**row, "event_index": 1, "token_amount_raw": 7}]
            )
            big = (
                await conn.execute(
                    sa.select(table.c.token_amount_raw).where(table.c.token_amount_raw == U64_MAX)
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    assert big == U64_MAX
