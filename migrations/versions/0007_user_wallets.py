"""Users' trading wallets: ``user_wallets`` (address, signer backend, one active per user).

Written by hand to match core/storage/models.py; tests/core/storage/test_migrations.py compares
the migrated schema with the models on both backends. Existing tables are not changed.

Revision ID: 0007
Revises: 0006
Create Date: 2025-01-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.storage.types import BigIntPK, UtcDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_wallets",
        sa.Column("id", BigIntPK, primary_key=True, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("backend", sa.String(), nullable=False),
        sa.Column("key_ref", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_user_wallets"),
        sa.UniqueConstraint("address", name="uq_user_wallets_address"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_user_wallets_user_id_users"),
    )
    op.create_index(
        "ix_user_wallets_user_id_active",
        "user_wallets",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index("ix_user_wallets_user_id_active", table_name="user_wallets")
    op.drop_table("user_wallets")
