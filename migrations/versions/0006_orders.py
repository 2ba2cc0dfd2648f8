"""Orders and auto-trade: ``orders`` (TP / SL / trailing / time / DCA legs of a position),
``autotrade_rules`` and ``autotrade_intents``.

Written by hand to match core/storage/models.py; tests/core/storage/test_migrations.py compares
the migrated schema with the models on both backends. Existing tables are not changed.

Revision ID: 0006
Revises: 0005
Create Date: 2025-01-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.storage.types import U64, BigIntPK, UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", BigIntPK, primary_key=True, autoincrement=True, nullable=False)


def _str(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


def _big(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "orders",
        _id(),
        _big("user_id"),
        _big("position_id"),
        _str("wallet", nullable=False),
        _str("mint", nullable=False),
        _str("kind", nullable=False),
        _str("side", nullable=False),
        _str("state", nullable=False),
        _str("oco_group"),
        sa.Column("threshold_bps", sa.Integer(), nullable=False),
        sa.Column("activation_bps", sa.Integer(), nullable=True),
        _time("due_at"),
        _str("amount_basis", nullable=False),
        _big("amount"),
        sa.Column("base_tokens_raw", U64(), nullable=False),
        _big("ref_lamports"),
        sa.Column("ref_tokens_raw", U64(), nullable=False),
        _big("peak_lamports", nullable=True),
        sa.Column("peak_tokens_raw", U64(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        _str("trade_key"),
        sa.Column("trade_amount_raw", U64(), nullable=True),
        _str("signature"),
        _str("reason"),
        sa.Column("detail", sa.JSON(), nullable=False),
        _str("claimed_by"),
        _time("claimed_until"),
        _time("triggered_at"),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        _time("finished_at"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_orders_user_id_users"),
        sa.ForeignKeyConstraint(
            ["position_id"], ["positions.id"], name="fk_orders_position_id_positions"
        ),
    )
    op.create_index("ix_orders_state_position_id", "orders", ["state", "position_id"])
    op.create_index("ix_orders_position_id", "orders", ["position_id"])
    op.create_index("ix_orders_user_id", "orders", ["user_id"])
    op.create_table(
        "autotrade_rules",
        _id(),
        _big("user_id"),
        _str("name", nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _str("mode", nullable=False),
        sa.Column("min_strength", sa.Double(), nullable=False),
        sa.Column("min_smart_buyers", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        _str("wallet", nullable=False),
        _big("buy_lamports"),
        sa.Column("slippage_bps", sa.Integer(), nullable=True),
        sa.Column("template", sa.JSON(), nullable=True),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_autotrade_rules"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_autotrade_rules_user_id_users"
        ),
    )
    op.create_index("ix_autotrade_rules_user_id", "autotrade_rules", ["user_id"])
    op.create_table(
        "autotrade_intents",
        _id(),
        _big("rule_id"),
        _big("user_id"),
        _str("mint", nullable=False),
        _str("wallet", nullable=False),
        _big("buy_lamports"),
        _str("mode", nullable=False),
        _str("state", nullable=False),
        _str("trade_key", nullable=False),
        _big("signal_at"),
        sa.Column("strength", sa.Double(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _big("position_id", nullable=True),
        _str("reason"),
        _str("claimed_by"),
        _time("claimed_until"),
        _time("expires_at", nullable=False),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_autotrade_intents"),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["autotrade_rules.id"],
            name="fk_autotrade_intents_rule_id_autotrade_rules",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_autotrade_intents_user_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["position_id"], ["positions.id"], name="fk_autotrade_intents_position_id_positions"
        ),
        sa.UniqueConstraint("rule_id", "mint", name="uq_autotrade_intents_rule_id_mint"),
        sa.UniqueConstraint("trade_key", name="uq_autotrade_intents_trade_key"),
    )
    op.create_index("ix_autotrade_intents_state", "autotrade_intents", ["state"])
    op.create_index("ix_autotrade_intents_user_id", "autotrade_intents", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_autotrade_intents_user_id", table_name="autotrade_intents")
    op.drop_index("ix_autotrade_intents_state", table_name="autotrade_intents")
    op.drop_table("autotrade_intents")
    op.drop_index("ix_autotrade_rules_user_id", table_name="autotrade_rules")
    op.drop_table("autotrade_rules")
    op.drop_index("ix_orders_user_id", table_name="orders")
    op.drop_index("ix_orders_position_id", table_name="orders")
    op.drop_index("ix_orders_state_position_id", table_name="orders")
    op.drop_table("orders")
