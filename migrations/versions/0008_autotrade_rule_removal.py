"""Auto-trade rules can be removed by their user: ``autotrade_rules.removed_at``.

A removed rule is hidden and never matches again, but its row stays: the intents it made (and
their audit rows) keep pointing at it. Written by hand to match core/storage/models.py.

Revision ID: 0008
Revises: 0007
Create Date: 2025-01-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.storage.types import UtcDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("autotrade_rules") as batch:
        batch.add_column(sa.Column("removed_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("autotrade_rules") as batch:
        batch.drop_column("removed_at")
