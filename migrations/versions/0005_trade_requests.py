"""Trading: ``trade_requests`` (idempotent trade state machine) and the columns a position
folded from confirmed trades needs (wallet, bought/sold totals, updated_at).

Written by hand to match core/storage/models.py; tests/core/storage/test_migrations.py compares
the migrated schema with the models on both backends. ``audit_log`` is unchanged (its
append-only triggers come from 0001).

Revision ID: 0005
Revises: 0004
Create Date: 2025-01-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.storage.types import U64, UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSITION_COLUMNS = (
    "wallet",
    "bought_token_raw",
    "bought_lamports",
    "sold_token_raw",
    "sold_lamports",
    "updated_at",
)


def upgrade() -> None:
    op.add_column("positions", sa.Column("wallet", sa.String(), nullable=False, server_default=""))
    op.add_column(
        "positions", sa.Column("bought_token_raw", U64(), nullable=False, server_default="0")
    )
    op.add_column(
        "positions",
        sa.Column("bought_lamports", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column(
        "positions", sa.Column("sold_token_raw", U64(), nullable=False, server_default="0")
    )
    op.add_column(
        "positions",
        sa.Column("sold_lamports", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column("positions", sa.Column("updated_at", UtcDateTime(), nullable=True))
    op.create_index("ix_positions_user_id_wallet_mint", "positions", ["user_id", "wallet", "mint"])
    op.create_table(
        "trade_requests",
        sa.Column("idempotency_key", sa.String(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("wallet", sa.String(), nullable=False),
        sa.Column("side", sa.String(), nullable=False),
        sa.Column("mint", sa.String(), nullable=False),
        sa.Column("amount_raw", U64(), nullable=False),
        sa.Column("slippage_bps", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("quote_out_raw", U64(), nullable=True),
        sa.Column("price_impact_pct", sa.Double(), nullable=True),
        sa.Column("signature", sa.String(), nullable=True),
        sa.Column("signatures", sa.JSON(), nullable=False),
        sa.Column("signed_tx", sa.String(), nullable=True),
        sa.Column("last_valid_block_height", sa.BigInteger(), nullable=True),
        sa.Column("token_amount_raw", U64(), nullable=True),
        sa.Column("sol_delta_lamports", sa.BigInteger(), nullable=True),
        sa.Column("fee_lamports", sa.BigInteger(), nullable=True),
        sa.Column("position_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("idempotency_key", name="pk_trade_requests"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_trade_requests_user_id_users"),
        sa.ForeignKeyConstraint(
            ["position_id"], ["positions.id"], name="fk_trade_requests_position_id_positions"
        ),
    )
    op.create_index(
        "ix_trade_requests_user_id_created_at", "trade_requests", ["user_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_trade_requests_user_id_created_at", table_name="trade_requests")
    op.drop_table("trade_requests")
    op.drop_index("ix_positions_user_id_wallet_mint", table_name="positions")
    with op.batch_alter_table("positions") as batch:
        for column in _POSITION_COLUMNS:
            batch.drop_column(column)
