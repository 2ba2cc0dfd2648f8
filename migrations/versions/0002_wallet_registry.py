"""Wallet registry: wallet_watches (per-user lists), wallet_positions and wallet_stats.

Written by hand to match core/storage/models.py; tests/core/storage/test_migrations.py compares
the migrated schema with the models on both backends. Existing tables are not changed: one
``wallets`` row per address stays the registry entry (featured / community / mine), and
``wallets.monitor_count`` is recomputed from ``wallet_watches`` by the registry code.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.storage.types import U64, BigIntPK, UtcDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", BigIntPK, primary_key=True, autoincrement=True, nullable=False)


def _bigint(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "wallet_watches",
        _id(),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("alias", sa.String(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_watches"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_wallet_watches_user_id_users"),
        sa.ForeignKeyConstraint(
            ["address"], ["wallets.address"], name="fk_wallet_watches_address_wallets"
        ),
        sa.UniqueConstraint("user_id", "address", name="uq_wallet_watches_user_id_address"),
    )
    op.create_index("ix_wallet_watches_address", "wallet_watches", ["address"])
    op.create_table(
        "wallet_positions",
        _id(),
        sa.Column("wallet", sa.String(), nullable=False),
        sa.Column("mint", sa.String(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("token_amount_raw", U64(), nullable=False),
        sa.Column("bought_token_raw", U64(), nullable=False),
        _bigint("cost_lamports"),
        _bigint("bought_lamports"),
        _bigint("sold_lamports"),
        _bigint("realized_pnl_lamports"),
        sa.Column("buys", sa.Integer(), nullable=False),
        sa.Column("sells", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_positions"),
        sa.ForeignKeyConstraint(
            ["wallet"], ["wallets.address"], name="fk_wallet_positions_wallet_wallets"
        ),
    )
    op.create_index("ix_wallet_positions_wallet_mint", "wallet_positions", ["wallet", "mint"])
    op.create_index(
        "ix_wallet_positions_wallet_closed_at", "wallet_positions", ["wallet", "closed_at"]
    )
    op.create_table(
        "wallet_stats",
        sa.Column("address", sa.String(), nullable=False),
        _bigint("last_trade_id"),
        sa.Column("trade_count", sa.Integer(), nullable=False),
        sa.Column("buy_count", sa.Integer(), nullable=False),
        _bigint("buy_lamports"),
        _bigint("balance_lamports", nullable=True),
        sa.Column("balance_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("address", name="pk_wallet_stats"),
        sa.ForeignKeyConstraint(
            ["address"], ["wallets.address"], name="fk_wallet_stats_address_wallets"
        ),
    )


def downgrade() -> None:
    op.drop_table("wallet_stats")
    op.drop_index("ix_wallet_positions_wallet_closed_at", table_name="wallet_positions")
    op.drop_index("ix_wallet_positions_wallet_mint", table_name="wallet_positions")
    op.drop_table("wallet_positions")
    op.drop_index("ix_wallet_watches_address", table_name="wallet_watches")
    op.drop_table("wallet_watches")
