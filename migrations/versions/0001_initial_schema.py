"""Initial schema: tokens, pools, trades, ticks, users, wallets, smart_trades, signals, rules,
positions, audit_log (append-only triggers on PostgreSQL and SQLite).

Written by hand to match core/storage/models.py exactly; tests/core/storage/test_migrations.py
compares the migrated schema with the models on both backends.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.storage.types import U64, BigIntPK, UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "audit_log is append-only"


def _str(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


def _u64(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, U64(), nullable=nullable)


def _double(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Double(), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", BigIntPK, primary_key=True, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("mint", sa.String(), nullable=False),
        _str("name"),
        _str("symbol"),
        _str("uri"),
        _str("creator"),
        _time("created_at"),
        sa.Column("created_slot", sa.BigInteger(), nullable=True),
        _str("bonding_curve"),
        sa.Column("complete", sa.Boolean(), nullable=False),
        _time("completed_at"),
        sa.Column("decimals", sa.Integer(), nullable=True),
        _u64("supply_raw"),
        _str("mint_authority"),
        _str("freeze_authority"),
        sa.Column("lp_burnt", sa.Boolean(), nullable=True),
        _str("token_program"),
        _str("signature"),
        sa.PrimaryKeyConstraint("mint", name="pk_tokens"),
    )
    op.create_table(
        "pools",
        sa.Column("pool", sa.String(), nullable=False),
        _str("program", nullable=False),
        _str("base_mint", nullable=False),
        _str("quote_mint", nullable=False),
        _str("creator"),
        _str("lp_mint"),
        _time("created_at"),
        sa.Column("created_slot", sa.BigInteger(), nullable=True),
        _str("signature"),
        _u64("base_reserve_raw"),
        _u64("quote_reserve_raw"),
        sa.PrimaryKeyConstraint("pool", name="pk_pools"),
    )
    op.create_table(
        "trades",
        _id(),
        _str("signature", nullable=False),
        sa.Column("event_index", sa.Integer(), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        _time("block_time"),
        _str("program", nullable=False),
        _str("mint", nullable=False),
        _str("trader", nullable=False),
        sa.Column("is_buy", sa.Boolean(), nullable=False),
        _u64("sol_lamports", nullable=False),
        _u64("token_amount_raw", nullable=False),
        _double("price_sol"),
        _u64("virtual_sol_reserves"),
        _u64("virtual_token_reserves"),
        _u64("real_sol_reserves"),
        _u64("real_token_reserves"),
        _str("pool"),
        sa.PrimaryKeyConstraint("id", name="pk_trades"),
        sa.UniqueConstraint("signature", "event_index", name="uq_trades_signature_event_index"),
    )
    op.create_index("ix_trades_mint_block_time", "trades", ["mint", "block_time"])
    op.create_index("ix_trades_trader_block_time", "trades", ["trader", "block_time"])
    op.create_table(
        "ticks",
        sa.Column("mint", sa.String(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("bucket_start", UtcDateTime(), nullable=False),
        _double("open_price_sol"),
        _double("high_price_sol"),
        _double("low_price_sol"),
        _double("close_price_sol"),
        sa.Column("volume_lamports", sa.BigInteger(), nullable=False),
        sa.Column("buys", sa.Integer(), nullable=False),
        sa.Column("sells", sa.Integer(), nullable=False),
        sa.Column("net_flow_lamports", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("mint", "interval_s", "bucket_start", name="pk_ticks"),
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("discord_id", sa.BigInteger(), nullable=True),
        _str("language", nullable=False),
        _str("role", nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        _time("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("telegram_id", name="uq_users_telegram_id"),
        sa.UniqueConstraint("discord_id", name="uq_users_discord_id"),
    )
    op.create_table(
        "wallets",
        sa.Column("address", sa.String(), nullable=False),
        _str("alias"),
        sa.Column("tags", sa.JSON(), nullable=False),
        _str("list_kind", nullable=False),
        sa.Column("owner_user_id", sa.BigInteger(), nullable=True),
        sa.Column("monitor_count", sa.Integer(), nullable=False),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("address", name="pk_wallets"),
        sa.ForeignKeyConstraint(
            ["owner_user_id"], ["users.id"], name="fk_wallets_owner_user_id_users"
        ),
    )
    op.create_table(
        "smart_trades",
        _id(),
        _str("wallet", nullable=False),
        _str("signature", nullable=False),
        sa.Column("event_index", sa.Integer(), nullable=False),
        _str("mint", nullable=False),
        sa.Column("is_buy", sa.Boolean(), nullable=False),
        _u64("sol_lamports", nullable=False),
        _u64("token_amount_raw", nullable=False),
        _double("price_sol"),
        _time("block_time"),
        sa.PrimaryKeyConstraint("id", name="pk_smart_trades"),
        sa.UniqueConstraint(
            "signature",
            "event_index",
            "wallet",
            name="uq_smart_trades_signature_event_index_wallet",
        ),
    )
    op.create_index("ix_smart_trades_wallet_block_time", "smart_trades", ["wallet", "block_time"])
    op.create_index("ix_smart_trades_mint_block_time", "smart_trades", ["mint", "block_time"])
    op.create_table(
        "signals",
        _id(),
        _str("mint", nullable=False),
        _time("created_at", nullable=False),
        _double("strength"),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("rules_fired", sa.JSON(), nullable=False),
        sa.Column("risk", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signals"),
    )
    op.create_index("ix_signals_mint_created_at", "signals", ["mint", "created_at"])
    op.create_table(
        "rules",
        _id(),
        _str("name", nullable=False),
        _str("kind", nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("owner_user_id", sa.BigInteger(), nullable=True),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rules"),
        sa.ForeignKeyConstraint(
            ["owner_user_id"], ["users.id"], name="fk_rules_owner_user_id_users"
        ),
    )
    op.create_table(
        "positions",
        _id(),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        _str("mint", nullable=False),
        _str("status", nullable=False),
        sa.Column("entry_lamports", sa.BigInteger(), nullable=False),
        _u64("token_amount_raw", nullable=False),
        _double("avg_price_sol", nullable=True),
        sa.Column("realized_pnl_lamports", sa.BigInteger(), nullable=False),
        _time("opened_at", nullable=False),
        _time("closed_at"),
        _str("idempotency_key", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_positions"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_positions_user_id_users"),
        sa.UniqueConstraint("idempotency_key", name="uq_positions_idempotency_key"),
    )
    op.create_table(
        "audit_log",
        _id(),
        _time("at", nullable=False),
        _str("actor", nullable=False),
        _str("action", nullable=False),
        _str("subject"),
        sa.Column("details", sa.JSON(), nullable=False),
        _str("idempotency_key"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_idempotency_key", "audit_log", ["idempotency_key"])
    _create_audit_triggers()


def _create_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{operation.lower()} BEFORE {operation} "
                f"ON audit_log BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: "
                f"{operation} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for table in (
        "audit_log",
        "positions",
        "rules",
        "signals",
        "smart_trades",
        "wallets",
        "users",
        "ticks",
        "trades",
        "pools",
        "tokens",
    ):
        op.drop_table(table)
