"""Medications and the eMAR: the medicine list and every dose's outcome.

Nothing here is deleted by the app: medicines are stopped, versions are appended, a dose
correction is a new row beside the original. The app role therefore gets no DELETE.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.migration_helpers import create_tenant_table

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NOW = sa.text("now()")
OUTCOMES = ("given", "refused", "missed", "held", "already_taken", "not_available")
EFFECTS = ("helped", "partly", "did_not_help")


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else NOW,
    )


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    create_tenant_table(
        "medications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("strength", sa.String(100), nullable=False, server_default=""),
        sa.Column("form", sa.String(20), nullable=False),
        sa.Column("dose", sa.String(100), nullable=False),
        sa.Column("route", sa.String(20), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False, server_default=""),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date()),
        sa.Column("prn", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("times", postgresql.ARRAY(sa.String(5)), nullable=False, server_default="{}"),
        sa.Column("days", sa.SmallInteger(), nullable=False, server_default="127"),
        sa.Column("prn_reason", sa.String(300), nullable=False, server_default=""),
        sa.Column("min_interval_minutes", sa.Integer()),
        sa.Column("max_per_day", sa.Integer()),
        sa.Column("controlled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        _when("created_at"),
        sa.Column("updated_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        _when("updated_at"),
        _when("stopped_at", nullable=True),
        sa.Column("stopped_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("stop_reason", sa.String(500)),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_medications_patient",
        ),
        sa.CheckConstraint("days BETWEEN 1 AND 127", name="ck_medications_days"),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name="ck_medications_ends_after_start"
        ),
        sa.CheckConstraint(
            "prn OR cardinality(times) >= 1", name="ck_medications_scheduled_has_times"
        ),
        sa.CheckConstraint(
            "min_interval_minutes IS NULL OR min_interval_minutes BETWEEN 1 AND 10080",
            name="ck_medications_interval",
        ),
        sa.CheckConstraint(
            "max_per_day IS NULL OR max_per_day BETWEEN 1 AND 48", name="ck_medications_max"
        ),
        privileges="SELECT, INSERT, UPDATE",
    )
    op.create_index("ix_medications_patient", "medications", ["tenant_id", "patient_id", "id"])

    create_tenant_table(
        "medication_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("medication_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(), nullable=False),
        sa.Column("changed_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        _when("changed_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "medication_id"],
            ["medications.tenant_id", "medications.id"],
            name="fk_medication_versions_medication",
        ),
        sa.UniqueConstraint(
            "tenant_id", "medication_id", "version", name="uq_medication_versions_version"
        ),
        privileges="SELECT, INSERT",
    )

    create_tenant_table(
        "medication_administrations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("medication_id", sa.Uuid(), nullable=False),
        _when("scheduled_for", nullable=True),
        sa.Column("dose_at", sa.DateTime(timezone=True), nullable=False),
        _when("given_at", nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("prn_reason", sa.String(300), nullable=False, server_default=""),
        sa.Column("override_reason", sa.String(500), nullable=False, server_default=""),
        sa.Column("witness_id", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("corrects_id", sa.Uuid()),
        sa.Column("recorded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        _when("recorded_at"),
        sa.Column("effect", sa.String(20)),
        sa.Column("effect_note", sa.Text(), nullable=False, server_default=""),
        sa.Column("effect_by", sa.Uuid(), sa.ForeignKey("users.id")),
        _when("effect_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_medication_administrations_patient",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "medication_id"],
            ["medications.tenant_id", "medications.id"],
            name="fk_medication_administrations_medication",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "corrects_id"],
            ["medication_administrations.tenant_id", "medication_administrations.id"],
            name="fk_medication_administrations_corrects",
        ),
        sa.CheckConstraint(
            _one_of("outcome", OUTCOMES), name="ck_medication_administrations_outcome"
        ),
        sa.CheckConstraint(
            "outcome = 'given' OR btrim(note) <> ''", name="ck_medication_administrations_note"
        ),
        sa.CheckConstraint(
            f"effect IS NULL OR {_one_of('effect', EFFECTS)}",
            name="ck_medication_administrations_effect",
        ),
        sa.CheckConstraint(
            "witness_id IS NULL OR witness_id <> recorded_by",
            name="ck_medication_administrations_witness",
        ),
        privileges="SELECT, INSERT, UPDATE",
    )
    # One outcome per scheduled dose: a double submit meets this, not a second row.
    op.create_index(
        "uq_medication_administrations_dose",
        "medication_administrations",
        ["tenant_id", "medication_id", "scheduled_for"],
        unique=True,
        postgresql_where=sa.text("corrects_id IS NULL AND scheduled_for IS NOT NULL"),
    )
    # The chart and Today read a patient's doses by time; PRN checks read a medicine's.
    op.create_index(
        "ix_medication_administrations_patient_time",
        "medication_administrations",
        ["tenant_id", "patient_id", "dose_at"],
    )
    op.create_index(
        "ix_medication_administrations_medication_time",
        "medication_administrations",
        ["tenant_id", "medication_id", "dose_at"],
    )
    op.create_index(
        "ix_medication_administrations_corrects",
        "medication_administrations",
        ["tenant_id", "corrects_id"],
        postgresql_where=sa.text("corrects_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("medication_administrations")
    op.drop_table("medication_versions")
    op.drop_table("medications")
