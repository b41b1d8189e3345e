"""Alert handling: the note said when acknowledging, and an index for the admin figures.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("acknowledgement_note", sa.Text()))
    # The admin figures read the last 30 days of the care account: one index range,
    # however long the history grows.
    op.create_index("ix_alerts_raised", "alerts", ["tenant_id", "raised_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_raised", "alerts")
    op.drop_column("alerts", "acknowledgement_note")
