"""Positions from confirmed trades: what the chain says moved, folded at average cost.

The entry is never the quote: ``fill_from_balances`` reads the confirmed transaction's
``meta`` (getTransaction): the wallet's token balance change of the mint from
``pre/postTokenBalances``, and its SOL change from ``pre/postBalances``.

``sol_delta_lamports`` is the change of the wallet's SOL — native plus wrapped SOL accounts it
owns — *net of network fees* (they are part of what a trade cost) but *not counting rent*
deposited into, or refunded from, its other token accounts (the rent of a new token account is a
deposit the user gets back on closing it, not a price paid). A buy's cost is
``-sol_delta_lamports``; a sell's proceeds are ``sol_delta_lamports``.

Average cost: a buy adds its tokens and its cost; a sell removes the sold share of the cost
basis (``cost * sold // held``) and realizes ``proceeds - that basis``. Selling more than the
position holds (tokens from elsewhere) closes it; the excess carries no basis. Unrealized PnL is
``value - cost basis`` where value is what selling the held tokens would pay now (a quote).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.chain.rpc_types import TransactionBalances
from core.errors import UpstreamError
from core.programs import LAMPORTS_PER_SOL, WSOL_MINT
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import Position, PositionStatus
from core.storage.types import u64_from_db
from core.trading.trade_types import Side

POSITIONS: sa.Table = Position.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Fill:
    """What one confirmed transaction did to a wallet, for one mint."""

    signature: str
    slot: int
    token_delta_raw: int  # signed
    sol_delta_lamports: int  # signed; fees in, rent deposits out (see the module docstring)
    fee_lamports: int
    rent_delta_lamports: int  # lamports that went into (+) / came out of (-) token accounts
    decimals: int | None
    block_time: int | None


def fill_from_balances(tx: TransactionBalances, wallet: str, mint: str) -> Fill:
    """The wallet's fill of ``mint`` in a landed transaction."""
    try:
        index = tx.account_keys.index(wallet)
    except ValueError:
        raise UpstreamError(
            f"transaction {tx.signature} does not involve the wallet {wallet}", retryable=False
        ) from None
    native = tx.post_lamports[index] - tx.pre_lamports[index]
    token_delta = 0
    decimals: int | None = None
    wsol_accounts: set[int] = set()
    other_accounts: set[int] = set()
    for sign, balances in ((-1, tx.pre_token), (1, tx.post_token)):
        for entry in balances:
            if entry.owner != wallet:
                continue
            if entry.mint == WSOL_MINT:
                wsol_accounts.add(entry.account_index)
            else:
                other_accounts.add(entry.account_index)
            if entry.mint == mint:
                token_delta += sign * entry.amount_raw
                decimals = entry.decimals

    def lamport_delta(indexes: set[int]) -> int:
        return sum(tx.post_lamports[i] - tx.pre_lamports[i] for i in indexes)

    rent = lamport_delta(other_accounts)
    return Fill(
        signature=tx.signature,
        slot=tx.slot,
        token_delta_raw=token_delta,
        sol_delta_lamports=native + lamport_delta(wsol_accounts) + rent,
        fee_lamports=tx.fee_lamports,
        rent_delta_lamports=rent,
        decimals=decimals,
        block_time=tx.block_time,
    )


# ---- average-cost maths (pure) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holding:
    token_amount_raw: int = 0
    cost_lamports: int = 0  # basis of the tokens held
    realized_pnl_lamports: int = 0
    bought_token_raw: int = 0
    bought_lamports: int = 0
    sold_token_raw: int = 0
    sold_lamports: int = 0

    @property
    def closed(self) -> bool:
        return self.token_amount_raw == 0 and self.bought_token_raw > 0


def apply_buy(holding: Holding, tokens_raw: int, cost_lamports: int) -> Holding:
    if tokens_raw < 0 or cost_lamports < 0:
        raise ValueError("a buy adds tokens for a cost")
    return replace(
        holding,
        token_amount_raw=holding.token_amount_raw + tokens_raw,
        cost_lamports=holding.cost_lamports + cost_lamports,
        bought_token_raw=holding.bought_token_raw + tokens_raw,
        bought_lamports=holding.bought_lamports + cost_lamports,
    )


def apply_sell(holding: Holding, tokens_raw: int, proceeds_lamports: int) -> Holding:
    if tokens_raw < 0:
        raise ValueError("a sell removes tokens")
    held = holding.token_amount_raw
    from_position = min(tokens_raw, held)
    basis = (
        holding.cost_lamports
        if from_position == held
        else holding.cost_lamports * from_position // held
    )
    return replace(
        holding,
        token_amount_raw=held - from_position,
        cost_lamports=holding.cost_lamports - basis,
        realized_pnl_lamports=holding.realized_pnl_lamports + proceeds_lamports - basis,
        sold_token_raw=holding.sold_token_raw + tokens_raw,
        sold_lamports=holding.sold_lamports + proceeds_lamports,
    )


def avg_price_sol(holding: Holding, decimals: int) -> float | None:
    """Average entry price in SOL per whole token (display only)."""
    if holding.token_amount_raw == 0:
        return None
    return (holding.cost_lamports / LAMPORTS_PER_SOL) / (holding.token_amount_raw / 10**decimals)


def unrealized_pnl_lamports(holding: Holding, value_lamports: int) -> int:
    """``value_lamports``: what selling the held tokens would pay now (a sell quote)."""
    return value_lamports - holding.cost_lamports


# ---- storage -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PositionView:
    id: int
    user_id: int
    wallet: str
    mint: str
    status: PositionStatus
    holding: Holding
    avg_price_sol: float | None
    opened_at: datetime
    closed_at: datetime | None
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class PositionChange:
    position_id: int
    action: str  # position.opened | position.changed | position.closed
    before: Holding
    after: Holding


def _view(row: sa.Row) -> PositionView:
    holding = Holding(
        token_amount_raw=u64_from_db(row.token_amount_raw) or 0,
        cost_lamports=row.entry_lamports,
        realized_pnl_lamports=row.realized_pnl_lamports,
        bought_token_raw=u64_from_db(row.bought_token_raw) or 0,
        bought_lamports=row.bought_lamports,
        sold_token_raw=u64_from_db(row.sold_token_raw) or 0,
        sold_lamports=row.sold_lamports,
    )
    return PositionView(
        id=row.id,
        user_id=row.user_id,
        wallet=row.wallet,
        mint=row.mint,
        status=PositionStatus(row.status),
        holding=holding,
        avg_price_sol=row.avg_price_sol,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        idempotency_key=row.idempotency_key,
    )


def _columns(holding: Holding, decimals: int | None) -> dict[str, object]:
    return {
        "token_amount_raw": holding.token_amount_raw,
        "entry_lamports": holding.cost_lamports,
        "realized_pnl_lamports": holding.realized_pnl_lamports,
        "bought_token_raw": holding.bought_token_raw,
        "bought_lamports": holding.bought_lamports,
        "sold_token_raw": holding.sold_token_raw,
        "sold_lamports": holding.sold_lamports,
        "avg_price_sol": None if decimals is None else avg_price_sol(holding, decimals),
    }


async def apply_fill(
    conn: AsyncConnection,
    *,
    user_id: int,
    wallet: str,
    mint: str,
    side: Side,
    fill: Fill,
    idempotency_key: str,
    at: datetime,
) -> PositionChange | None:
    """Fold a confirmed fill into the user's open position of (wallet, mint), in the caller's
    transaction (the open row is locked on PostgreSQL). A buy opens one when none is open; a
    sell without an open position changes nothing (None)."""
    query = (
        sa.select(POSITIONS)
        .where(
            POSITIONS.c.user_id == user_id,
            POSITIONS.c.wallet == wallet,
            POSITIONS.c.mint == mint,
            POSITIONS.c.status == PositionStatus.OPEN.value,
        )
        .order_by(POSITIONS.c.id.desc())
        .limit(1)
        .with_for_update()
    )
    row = (await conn.execute(query)).first()
    tokens = abs(fill.token_delta_raw)
    if side is Side.BUY:
        before = _view(row).holding if row else Holding()
        after = apply_buy(before, tokens, max(0, -fill.sol_delta_lamports))
    else:
        if row is None:
            return None
        before = _view(row).holding
        after = apply_sell(before, tokens, max(0, fill.sol_delta_lamports))
    columns = {**_columns(after, fill.decimals), "updated_at": at}
    if row is None:
        inserted = await conn.execute(
            POSITIONS.insert()
            .values(
                user_id=user_id,
                wallet=wallet,
                mint=mint,
                status=PositionStatus.OPEN.value,
                opened_at=at,
                idempotency_key=idempotency_key,
                **columns,
            )
            .returning(POSITIONS.c.id)
        )
        return PositionChange(int(inserted.scalar_one()), "position.opened", before, after)
    closed = after.token_amount_raw == 0
    if closed:
        columns.update(status=PositionStatus.CLOSED.value, closed_at=at)
    if fill.decimals is None:
        columns.pop("avg_price_sol")
    await conn.execute(POSITIONS.update().where(POSITIONS.c.id == row.id).values(**columns))
    return PositionChange(
        row.id, "position.closed" if closed else "position.changed", before, after
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PositionBook(EngineOwner):
    """Reading positions (they are written only by ``apply_fill`` inside a trade's commit)."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(url, engine=engine)
        self._clock = clock

    async def get(self, position_id: int) -> PositionView | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(sa.select(POSITIONS).where(POSITIONS.c.id == position_id))
            ).first()
        return _view(row) if row else None

    async def of_user(self, user_id: int, *, open_only: bool = True) -> list[PositionView]:
        """The user's positions, newest first."""
        query = sa.select(POSITIONS).where(POSITIONS.c.user_id == user_id)
        if open_only:
            query = query.where(POSITIONS.c.status == PositionStatus.OPEN.value)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(POSITIONS.c.id.desc()))).all()
        return [_view(row) for row in rows]
