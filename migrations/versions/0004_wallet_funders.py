"""Wallet funders: ``wallet_funders`` (each tracked wallet's first SOL funder, looked up once).

Written by hand to match core/storage/models.py; tests/core/storage/test_migrations.py compares
the migrated schema with the models on both backends. Existing tables are not changed.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.storage.types import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_funders",
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("funder", sa.String(), nullable=True),
        sa.Column("checked_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("address", name="pk_wallet_funders"),
    )


def downgrade() -> None:
    op.drop_table("wallet_funders")
