"""Visits: when each person last opened a patient's day, for "since your last visit".

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.migration_helpers import create_tenant_table

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_tenant_table(
        "patient_visits",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        # The end of the visit before this one: handover notes are those written since.
        sa.Column("previous_seen_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_patient_visits_patient",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_patient_visits_user"),
        primary_key=("patient_id", "user_id"),
        privileges="SELECT, INSERT, UPDATE",
    )


def downgrade() -> None:
    op.drop_table("patient_visits")
