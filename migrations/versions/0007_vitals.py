"""Vitals: observations with their NEWS2 score.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.migration_helpers import create_tenant_table

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NOW = sa.text("now()")


def upgrade() -> None:
    create_tenant_table(
        "vitals_observations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("respiration_rate", sa.SmallInteger()),
        sa.Column("spo2", sa.SmallInteger()),
        sa.Column("on_oxygen", sa.Boolean()),
        sa.Column("systolic", sa.SmallInteger()),
        sa.Column("diastolic", sa.SmallInteger()),
        sa.Column("pulse", sa.SmallInteger()),
        sa.Column("consciousness", sa.String(1)),
        sa.Column("temperature", sa.Numeric(3, 1)),
        sa.Column("weight", sa.Numeric(4, 1)),
        sa.Column("glucose", sa.Numeric(3, 1)),
        sa.Column("spo2_scale", sa.SmallInteger(), nullable=False),
        sa.Column("news2", sa.SmallInteger()),
        sa.Column("news2_risk", sa.String(16)),
        sa.Column("replaces_id", sa.Uuid()),
        sa.Column("correction_reason", sa.Text()),
        sa.Column("superseded_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_vitals_observations_patient",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "replaces_id"],
            ["vitals_observations.tenant_id", "vitals_observations.id"],
            name="fk_vitals_observations_replaces",
        ),
        # The same limits as the form (app/domain/vitals/forms.py): a bug cannot store
        # an impossible value either.
        sa.CheckConstraint("respiration_rate BETWEEN 3 AND 70", name="respiration_rate"),
        sa.CheckConstraint("spo2 BETWEEN 50 AND 100", name="spo2"),
        sa.CheckConstraint("systolic BETWEEN 50 AND 300", name="systolic"),
        sa.CheckConstraint(
            "diastolic BETWEEN 20 AND 200 AND diastolic < systolic", name="diastolic"
        ),
        sa.CheckConstraint("pulse BETWEEN 20 AND 250", name="pulse"),
        sa.CheckConstraint("consciousness IN ('A', 'C', 'V', 'P', 'U')", name="consciousness"),
        sa.CheckConstraint("temperature BETWEEN 25.0 AND 45.0", name="temperature"),
        sa.CheckConstraint("weight > 0 AND weight <= 400", name="weight"),
        sa.CheckConstraint("glucose BETWEEN 0.5 AND 50", name="glucose"),
        sa.CheckConstraint("spo2_scale IN (1, 2)", name="spo2_scale"),
        sa.CheckConstraint("news2 BETWEEN 0 AND 20", name="news2"),
        sa.CheckConstraint(
            "news2_risk IN ('low', 'low_medium', 'medium', 'high')"
            " AND (news2_risk IS NULL) = (news2 IS NULL)",
            name="news2_risk",
        ),
        sa.CheckConstraint(
            "(replaces_id IS NULL) = (correction_reason IS NULL)", name="correction"
        ),
        # Nothing clinical is changed in place: the app may only mark a set superseded.
        privileges="SELECT, INSERT, UPDATE (superseded_at)",
    )
    # The latest set and a chart's range are index range scans, however long the history.
    op.create_index(
        "ix_vitals_observations_patient_taken",
        "vitals_observations",
        ["tenant_id", "patient_id", "taken_at"],
    )
    create_tenant_table(
        "vitals_settings",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("spo2_scale", sa.SmallInteger(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("changed_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_vitals_settings_patient",
        ),
        sa.CheckConstraint("spo2_scale IN (1, 2)", name="spo2_scale"),
        primary_key=("patient_id",),
        privileges="SELECT, INSERT, UPDATE",
    )


def downgrade() -> None:
    op.drop_table("vitals_settings")
    op.drop_index("ix_vitals_observations_patient_taken", table_name="vitals_observations")
    op.drop_table("vitals_observations")
