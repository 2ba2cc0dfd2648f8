"""The tables of Solsignals (SQLModel, ``table=True``); one metadata for PostgreSQL and SQLite.

The initial Alembic revision creates exactly these (a test compares the migrated schema with this
metadata on both backends). Money is integer lamports / raw units: raw u64 on-chain amounts use
``U64`` (NUMERIC(20, 0) on PostgreSQL), sums of SOL in lamports that fit a signed BIGINT use
``BigInteger``. Times are timezone-aware UTC (``timestamptz`` on PostgreSQL).

``ticks`` upsert rule (see ``core.storage.backends.statements``): writing a bucket that already
exists merges it: ``open`` kept, ``high`` = max, ``low`` = min, ``close`` = the new close,
``volume_lamports`` / ``buys`` / ``sells`` / ``net_flow_lamports`` added.

``audit_log`` is append-only: the migration installs triggers that reject UPDATE and DELETE.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.storage.types import U64, BigIntPK, UtcDateTime

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class ListKind(StrEnum):
    """Which wallet list a tracked wallet belongs to."""

    FEATURED = "featured"
    COMMUNITY = "community"
    MINE = "mine"


class UserRole(StrEnum):
    ANONYMOUS = "anonymous"
    REGISTERED = "registered"
    ADMIN = "admin"


class PositionStatus(StrEnum):
    PENDING = "pending"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    FAILED = "failed"


def _str(*, nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_type=sa.String(), nullable=nullable, **kw)


def _time(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UtcDateTime(), nullable=nullable)


def _u64(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=U64(), nullable=nullable)


def _json(default_factory: Any) -> Any:
    return Field(default_factory=default_factory, sa_type=sa.JSON(), nullable=False)


class Token(SQLModel, table=True):
    """A token (mint). Rows may start minimal (a curve completion seen before its launch)."""

    __tablename__ = "tokens"

    mint: str = Field(sa_type=sa.String(), primary_key=True)
    name: str | None = _str()
    symbol: str | None = _str()
    uri: str | None = _str()
    creator: str | None = _str()
    created_at: datetime | None = _time()
    created_slot: int | None = Field(default=None, sa_type=sa.BigInteger())
    bonding_curve: str | None = _str()
    complete: bool = Field(default=False, nullable=False)
    completed_at: datetime | None = _time()
    decimals: int | None = Field(default=None)
    supply_raw: int | None = _u64()
    mint_authority: str | None = _str()
    freeze_authority: str | None = _str()
    lp_burnt: bool | None = Field(default=None)
    token_program: str | None = _str()
    signature: str | None = _str()


class Pool(SQLModel, table=True):
    """An AMM pool (PumpSwap, Raydium)."""

    __tablename__ = "pools"

    pool: str = Field(sa_type=sa.String(), primary_key=True)
    program: str = _str(nullable=False)
    base_mint: str = _str(nullable=False)
    quote_mint: str = _str(nullable=False)
    creator: str | None = _str()
    lp_mint: str | None = _str()
    created_at: datetime | None = _time()
    created_slot: int | None = Field(default=None, sa_type=sa.BigInteger())
    signature: str | None = _str()
    base_reserve_raw: int | None = _u64()
    quote_reserve_raw: int | None = _u64()


class Trade(SQLModel, table=True):
    """One buy or sell. ``(signature, event_index)`` is unique: replays never double-store."""

    __tablename__ = "trades"
    __table_args__ = (
        sa.UniqueConstraint("signature", "event_index"),
        sa.Index("ix_trades_mint_block_time", "mint", "block_time"),
        sa.Index("ix_trades_trader_block_time", "trader", "block_time"),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    signature: str = _str(nullable=False)
    event_index: int = Field(nullable=False)
    slot: int = Field(sa_type=sa.BigInteger(), nullable=False)
    block_time: datetime | None = _time()
    program: str = _str(nullable=False)
    mint: str = _str(nullable=False)
    trader: str = _str(nullable=False)
    is_buy: bool = Field(nullable=False)
    sol_lamports: int = _u64(nullable=False)
    token_amount_raw: int = _u64(nullable=False)
    price_sol: float = Field(sa_type=sa.Double(), nullable=False)
    virtual_sol_reserves: int | None = _u64()
    virtual_token_reserves: int | None = _u64()
    real_sol_reserves: int | None = _u64()
    real_token_reserves: int | None = _u64()
    pool: str | None = _str()


class Tick(SQLModel, table=True):
    """One OHLCV candle of a mint over ``interval_s`` seconds starting at ``bucket_start``."""

    __tablename__ = "ticks"

    mint: str = Field(sa_type=sa.String(), primary_key=True)
    interval_s: int = Field(primary_key=True)
    bucket_start: datetime = Field(sa_type=UtcDateTime(), primary_key=True)
    open_price_sol: float = Field(sa_type=sa.Double(), nullable=False)
    high_price_sol: float = Field(sa_type=sa.Double(), nullable=False)
    low_price_sol: float = Field(sa_type=sa.Double(), nullable=False)
    close_price_sol: float = Field(sa_type=sa.Double(), nullable=False)
    volume_lamports: int = Field(sa_type=sa.BigInteger(), nullable=False)
    buys: int = Field(nullable=False)
    sells: int = Field(nullable=False)
    net_flow_lamports: int = Field(sa_type=sa.BigInteger(), nullable=False)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    telegram_id: int | None = Field(default=None, sa_type=sa.BigInteger(), unique=True)
    discord_id: int | None = Field(default=None, sa_type=sa.BigInteger(), unique=True)
    language: str = Field(default="en", sa_type=sa.String(), nullable=False)
    role: UserRole = Field(default=UserRole.ANONYMOUS, sa_type=sa.String(), nullable=False)
    settings: dict[str, Any] = _json(dict)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)


class Wallet(SQLModel, table=True):
    """A tracked wallet on one of the lists."""

    __tablename__ = "wallets"

    address: str = Field(sa_type=sa.String(), primary_key=True)
    alias: str | None = _str()
    tags: list[str] = _json(list)
    list_kind: ListKind = Field(default=ListKind.COMMUNITY, sa_type=sa.String(), nullable=False)
    owner_user_id: int | None = Field(
        default=None, sa_type=sa.BigInteger(), foreign_key="users.id", nullable=True
    )
    monitor_count: int = Field(default=0, nullable=False)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)


class WalletWatch(SQLModel, table=True):
    """A user watching a wallet: the user's private list ("mine"), alias and tags their own.

    ``wallets.monitor_count`` is the number of these rows for the address, recomputed in the same
    transaction as every change to them (see ``core.wallets.repository``).
    """

    __tablename__ = "wallet_watches"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "address"),
        sa.Index("ix_wallet_watches_address", "address"),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    user_id: int = Field(sa_type=sa.BigInteger(), foreign_key="users.id", nullable=False)
    address: str = Field(sa_type=sa.String(), foreign_key="wallets.address", nullable=False)
    alias: str | None = _str()
    tags: list[str] = _json(list)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)


class WalletPosition(SQLModel, table=True):
    """One holding episode of a tracked wallet in a mint, folded from its trades (average cost).

    At most one open row (``closed_at`` null) per wallet x mint; a position closes when the
    wallet's token balance from trades returns to ~0 (see ``core.wallets.stats``).
    """

    __tablename__ = "wallet_positions"
    __table_args__ = (
        sa.Index("ix_wallet_positions_wallet_mint", "wallet", "mint"),
        sa.Index("ix_wallet_positions_wallet_closed_at", "wallet", "closed_at"),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    wallet: str = Field(sa_type=sa.String(), foreign_key="wallets.address", nullable=False)
    mint: str = _str(nullable=False)
    opened_at: datetime | None = _time()
    closed_at: datetime | None = _time()
    token_amount_raw: int = _u64(nullable=False)  # held now
    bought_token_raw: int = _u64(nullable=False)
    cost_lamports: int = Field(sa_type=sa.BigInteger(), nullable=False)  # basis of what is held
    bought_lamports: int = Field(sa_type=sa.BigInteger(), nullable=False)
    sold_lamports: int = Field(sa_type=sa.BigInteger(), nullable=False)
    realized_pnl_lamports: int = Field(sa_type=sa.BigInteger(), nullable=False)
    buys: int = Field(nullable=False)
    sells: int = Field(nullable=False)


class WalletStats(SQLModel, table=True):
    """Per tracked wallet: the incremental refresh cursor, trade counters and SOL balance."""

    __tablename__ = "wallet_stats"

    address: str = Field(sa_type=sa.String(), foreign_key="wallets.address", primary_key=True)
    last_trade_id: int = Field(default=0, sa_type=sa.BigInteger(), nullable=False)
    trade_count: int = Field(default=0, nullable=False)
    buy_count: int = Field(default=0, nullable=False)
    buy_lamports: int = Field(default=0, sa_type=sa.BigInteger(), nullable=False)
    balance_lamports: int | None = Field(default=None, sa_type=sa.BigInteger())
    balance_at: datetime | None = _time()
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)


class WalletFunder(SQLModel, table=True):
    """A wallet's first SOL funder as found on chain (migration 0004), looked up once.

    ``outcome`` is a final ``core.wallets.funding.FunderOutcome`` (found, no_transfer, too_long);
    ``funder`` is set when found. No foreign key: it is a fact of the chain, kept when the
    wallet leaves the registry.
    """

    __tablename__ = "wallet_funders"

    address: str = Field(sa_type=sa.String(), primary_key=True)
    outcome: str = _str(nullable=False)
    funder: str | None = _str()
    checked_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)


class SmartTrade(SQLModel, table=True):
    """A trade by a tracked wallet (one row per wallet that the trade concerns)."""

    __tablename__ = "smart_trades"
    __table_args__ = (
        sa.UniqueConstraint("signature", "event_index", "wallet"),
        sa.Index("ix_smart_trades_wallet_block_time", "wallet", "block_time"),
        sa.Index("ix_smart_trades_mint_block_time", "mint", "block_time"),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    wallet: str = _str(nullable=False)
    signature: str = _str(nullable=False)
    event_index: int = Field(nullable=False)
    mint: str = _str(nullable=False)
    is_buy: bool = Field(nullable=False)
    sol_lamports: int = _u64(nullable=False)
    token_amount_raw: int = _u64(nullable=False)
    price_sol: float = Field(sa_type=sa.Double(), nullable=False)
    block_time: datetime | None = _time()


class Signal(SQLModel, table=True):
    """A scored signal for a mint, with its explanation."""

    __tablename__ = "signals"
    __table_args__ = (sa.Index("ix_signals_mint_created_at", "mint", "created_at"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    mint: str = _str(nullable=False)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    strength: float = Field(sa_type=sa.Double(), nullable=False)
    components: dict[str, Any] = _json(dict)
    explanation: dict[str, Any] = _json(dict)
    rules_fired: list[str] = _json(list)
    risk: dict[str, Any] = _json(dict)


class Rule(SQLModel, table=True):
    __tablename__ = "rules"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    name: str = _str(nullable=False)
    kind: str = _str(nullable=False)
    params: dict[str, Any] = _json(dict)
    enabled: bool = Field(default=True, nullable=False)
    owner_user_id: int | None = Field(
        default=None, sa_type=sa.BigInteger(), foreign_key="users.id", nullable=True
    )
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)


class EngineParams(SQLModel, table=True):
    """The signal engine's parameters (``SignalParams.to_dict``) under a name (migration 0003).

    Written only through ``core.signals.params_store`` (validated); a running engine reloads a
    row whose ``updated_at`` moved (``ParamsWatcher``).
    """

    __tablename__ = "engine_params"

    name: str = Field(sa_type=sa.String(), primary_key=True)
    params: dict[str, Any] = _json(dict)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    updated_by: str = _str(nullable=False)


class Position(SQLModel, table=True):
    """A user's position in a mint from one wallet, folded from confirmed trades (average cost;
    see ``core.trading.positions``). ``idempotency_key`` is the opening trade's: opening is
    exactly-once. ``entry_lamports`` is the cost basis of the tokens still held; the columns
    from ``wallet`` on were added by migration 0005."""

    __tablename__ = "positions"
    __table_args__ = (sa.Index("ix_positions_user_id_wallet_mint", "user_id", "wallet", "mint"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    user_id: int = Field(sa_type=sa.BigInteger(), foreign_key="users.id", nullable=False)
    mint: str = _str(nullable=False)
    status: PositionStatus = Field(
        default=PositionStatus.PENDING, sa_type=sa.String(), nullable=False
    )
    entry_lamports: int = Field(default=0, sa_type=sa.BigInteger(), nullable=False)
    token_amount_raw: int = Field(default=0, sa_type=U64(), nullable=False)
    avg_price_sol: float | None = Field(default=None, sa_type=sa.Double())
    realized_pnl_lamports: int = Field(default=0, sa_type=sa.BigInteger(), nullable=False)
    opened_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    closed_at: datetime | None = _time()
    idempotency_key: str = Field(sa_type=sa.String(), unique=True, nullable=False)
    wallet: str = Field(
        default="", sa_type=sa.String(), nullable=False, sa_column_kwargs={"server_default": ""}
    )
    bought_token_raw: int = Field(
        default=0, sa_type=U64(), nullable=False, sa_column_kwargs={"server_default": "0"}
    )
    bought_lamports: int = Field(
        default=0,
        sa_type=sa.BigInteger(),
        nullable=False,
        sa_column_kwargs={"server_default": "0"},
    )
    sold_token_raw: int = Field(
        default=0, sa_type=U64(), nullable=False, sa_column_kwargs={"server_default": "0"}
    )
    sold_lamports: int = Field(
        default=0,
        sa_type=sa.BigInteger(),
        nullable=False,
        sa_column_kwargs={"server_default": "0"},
    )
    updated_at: datetime | None = _time()


class TradeRequestRecord(SQLModel, table=True):
    """One trade a user asked for, keyed by its idempotency key (migration 0005): the state
    machine of ``core.trading.trade_requests``. ``signed_tx`` (base64) and
    ``last_valid_block_height`` are written before the first send, so a resumed execution checks
    the signature instead of trading twice; ``claimed_by`` / ``claimed_until`` is the lease of the
    one executor working on it."""

    __tablename__ = "trade_requests"
    __table_args__ = (sa.Index("ix_trade_requests_user_id_created_at", "user_id", "created_at"),)

    idempotency_key: str = Field(sa_type=sa.String(), primary_key=True)
    user_id: int = Field(sa_type=sa.BigInteger(), foreign_key="users.id", nullable=False)
    wallet: str = _str(nullable=False)
    side: str = _str(nullable=False)
    mint: str = _str(nullable=False)
    amount_raw: int = _u64(nullable=False)  # buy: lamports to spend; sell: raw tokens to sell
    slippage_bps: int = Field(nullable=False)
    route: str = _str(nullable=False)
    state: str = _str(nullable=False)
    reason: str | None = _str()
    detail: dict[str, Any] = _json(dict)
    attempts: int = Field(default=0, nullable=False)
    quote_out_raw: int | None = _u64()
    price_impact_pct: float | None = Field(default=None, sa_type=sa.Double())
    signature: str | None = _str()
    signatures: list[str] = _json(list)
    signed_tx: str | None = _str()
    last_valid_block_height: int | None = Field(default=None, sa_type=sa.BigInteger())
    token_amount_raw: int | None = _u64()  # filled, from the confirmed balance change
    sol_delta_lamports: int | None = Field(default=None, sa_type=sa.BigInteger())
    fee_lamports: int | None = Field(default=None, sa_type=sa.BigInteger())
    position_id: int | None = Field(
        default=None, sa_type=sa.BigInteger(), foreign_key="positions.id", nullable=True
    )
    claimed_by: str | None = _str()
    claimed_until: datetime | None = _time()
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    confirmed_at: datetime | None = _time()


class OrderRecord(SQLModel, table=True):
    """One exit or scaling order of a position (migration 0006): the state machine of
    ``core.trading.order_store`` (armed -> triggered -> sent -> done | cancelled | failed).
    Prices are exact fractions: ``ref_lamports`` for ``ref_tokens_raw`` raw units (the entry
    when attached), ``peak_*`` the trailing stop's highest price. ``trade_key`` is the
    idempotency key of the current attempt's trade, fixed with ``trade_amount_raw`` when a
    worker claims the order (``claimed_by`` / ``claimed_until``)."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.Index("ix_orders_state_position_id", "state", "position_id"),
        sa.Index("ix_orders_position_id", "position_id"),
        sa.Index("ix_orders_user_id", "user_id"),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    user_id: int = Field(sa_type=sa.BigInteger(), foreign_key="users.id", nullable=False)
    position_id: int = Field(sa_type=sa.BigInteger(), foreign_key="positions.id", nullable=False)
    wallet: str = _str(nullable=False)
    mint: str = _str(nullable=False)
    kind: str = _str(nullable=False)
    side: str = _str(nullable=False)
    state: str = _str(nullable=False)
    oco_group: str | None = _str()
    threshold_bps: int = Field(nullable=False)
    activation_bps: int | None = Field(default=None)
    due_at: datetime | None = _time()
    amount_basis: str = _str(nullable=False)
    amount: int = Field(sa_type=sa.BigInteger(), nullable=False)  # bps, or lamports (buys)
    base_tokens_raw: int = _u64(nullable=False)
    ref_lamports: int = Field(sa_type=sa.BigInteger(), nullable=False)
    ref_tokens_raw: int = _u64(nullable=False)
    peak_lamports: int | None = Field(default=None, sa_type=sa.BigInteger())
    peak_tokens_raw: int | None = _u64()
    attempt: int = Field(default=0, nullable=False)
    trade_key: str | None = _str()
    trade_amount_raw: int | None = _u64()
    signature: str | None = _str()
    reason: str | None = _str()
    detail: dict[str, Any] = _json(dict)
    claimed_by: str | None = _str()
    claimed_until: datetime | None = _time()
    triggered_at: datetime | None = _time()
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    finished_at: datetime | None = _time()


class AutoTradeRuleRecord(SQLModel, table=True):
    """A user's auto-trade rule (migration 0006): 'if Strength >= min_strength and at least
    min_smart_buyers smart buyers (with one of ``tags``) then buy buy_lamports from wallet, with
    this TP/SL template'; ``mode`` confirm (ask first) or direct. See
    ``core.trading.autotrade``."""

    __tablename__ = "autotrade_rules"
    __table_args__ = (sa.Index("ix_autotrade_rules_user_id", "user_id"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    user_id: int = Field(sa_type=sa.BigInteger(), foreign_key="users.id", nullable=False)
    name: str = _str(nullable=False)
    enabled: bool = Field(default=True, nullable=False)
    mode: str = _str(nullable=False)
    min_strength: float = Field(sa_type=sa.Double(), nullable=False)
    min_smart_buyers: int = Field(nullable=False)
    tags: list[str] = _json(list)
    wallet: str = _str(nullable=False)
    buy_lamports: int = Field(sa_type=sa.BigInteger(), nullable=False)
    slippage_bps: int | None = Field(default=None)
    template: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON(), nullable=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    removed_at: datetime | None = _time()  # removed by its user (migration 0008); kept for intents


class AutoTradeIntentRecord(SQLModel, table=True):
    """A buy an auto-trade rule decided on for one signal (migration 0006): ``pending`` (confirm
    mode, waiting for the user) -> ``confirmed`` -> ``executing`` -> ``done`` | ``failed``, or
    ``cancelled`` / ``expired``. One per rule and mint; ``trade_key`` is its trade's idempotency
    key."""

    __tablename__ = "autotrade_intents"
    __table_args__ = (
        sa.UniqueConstraint("rule_id", "mint"),
        sa.Index("ix_autotrade_intents_state", "state"),
        sa.Index("ix_autotrade_intents_user_id", "user_id"),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    rule_id: int = Field(sa_type=sa.BigInteger(), foreign_key="autotrade_rules.id", nullable=False)
    user_id: int = Field(sa_type=sa.BigInteger(), foreign_key="users.id", nullable=False)
    mint: str = _str(nullable=False)
    wallet: str = _str(nullable=False)
    buy_lamports: int = Field(sa_type=sa.BigInteger(), nullable=False)
    mode: str = _str(nullable=False)
    state: str = _str(nullable=False)
    trade_key: str = Field(sa_type=sa.String(), unique=True, nullable=False)
    signal_at: int = Field(sa_type=sa.BigInteger(), nullable=False)  # unix s
    strength: float = Field(sa_type=sa.Double(), nullable=False)
    detail: dict[str, Any] = _json(dict)
    position_id: int | None = Field(
        default=None, sa_type=sa.BigInteger(), foreign_key="positions.id", nullable=True
    )
    reason: str | None = _str()
    claimed_by: str | None = _str()
    claimed_until: datetime | None = _time()
    expires_at: datetime = Field(sa_type=UtcDateTime(), nullable=False)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)


class UserWalletRecord(SQLModel, table=True):
    """A user's trading wallet (migration 0007): its address and who signs for it (``backend``
    keystore | vault | external; ``key_ref`` the Vault transit key name). At most one
    ``active`` wallet per user (a partial unique index); a replaced wallet stays, inactive
    (``retired_at``), so positions opened with it keep a known owner."""

    __tablename__ = "user_wallets"
    __table_args__ = (
        sa.Index(
            "ix_user_wallets_user_id_active",
            "user_id",
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        ),
    )

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    user_id: int = Field(sa_type=sa.BigInteger(), foreign_key="users.id", nullable=False)
    address: str = Field(sa_type=sa.String(), unique=True, nullable=False)
    backend: str = _str(nullable=False)
    key_ref: str | None = _str()
    active: bool = Field(default=True, nullable=False)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    retired_at: datetime | None = _time()


class AuditLog(SQLModel, table=True):
    """Append-only record of every state change that matters (triggers reject UPDATE/DELETE)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    at: datetime = Field(default_factory=utc_now, sa_type=UtcDateTime(), nullable=False)
    actor: str = _str(nullable=False)
    action: str = _str(nullable=False)
    subject: str | None = _str()
    details: dict[str, Any] = _json(dict)
    idempotency_key: str | None = Field(default=None, sa_type=sa.String(), index=True)


TABLES: tuple[type[SQLModel], ...] = (
    Token,
    Pool,
    Trade,
    Tick,
    User,
    Wallet,
    WalletWatch,
    WalletPosition,
    WalletStats,
    WalletFunder,
    SmartTrade,
    Signal,
    Rule,
    Position,
    AuditLog,
    EngineParams,
    TradeRequestRecord,
    UserWalletRecord,
    OrderRecord,
    AutoTradeRuleRecord,
    AutoTradeIntentRecord,
)
TABLE_NAMES: tuple[str, ...] = tuple(str(t.__tablename__) for t in TABLES)
