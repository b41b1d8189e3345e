"""Offline care notes: an idempotency key so a note sent twice is stored once.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Chosen by the browser when it shows the form; a note written offline and sent again
    # and again carries the same key, and the second arrival finds the first.
    op.add_column("care_notes", sa.Column("idempotency_key", sa.Uuid(), nullable=True))
    op.create_unique_constraint(
        "uq_care_notes_idempotency_key", "care_notes", ["tenant_id", "idempotency_key"]
    )


def downgrade() -> None:
    op.drop_constraint("uq_care_notes_idempotency_key", "care_notes", type_="unique")
    op.drop_column("care_notes", "idempotency_key")
