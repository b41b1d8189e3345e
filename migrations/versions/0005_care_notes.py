"""Care notes: the daily log, its versions and photos.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.migration_helpers import create_tenant_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NOW = sa.text("now()")
CATEGORIES = (
    "personal_care",
    "meals_fluids",
    "mood",
    "sleep",
    "mobility",
    "continence",
    "general",
)
BODY_MAX = 4000


def _timestamp(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=NOW)


def _category_check() -> sa.CheckConstraint:
    listed = ", ".join(f"'{code}'" for code in CATEGORIES)
    return sa.CheckConstraint(f"category IN ({listed})", name="category")


def upgrade() -> None:
    # Nothing clinical is deleted by the app: no DELETE for the app role on any of these.
    create_tenant_table(
        "care_notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        _timestamp("created_at"),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("handover", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        _timestamp("updated_at"),
        sa.Column("updated_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_care_notes_patient",
        ),
        _category_check(),
        sa.CheckConstraint(f"char_length(body) BETWEEN 1 AND {BODY_MAX}", name="body_length"),
        sa.CheckConstraint("version >= 1", name="version"),
        privileges="SELECT, INSERT, UPDATE",
    )
    op.create_index(
        "ix_care_notes_patient_time",
        "care_notes",
        ["tenant_id", "patient_id", "created_at", "id"],
    )
    op.create_index(
        "ix_care_notes_patient_category_time",
        "care_notes",
        ["tenant_id", "patient_id", "category", "created_at", "id"],
    )

    create_tenant_table(
        "care_note_versions",
        sa.Column("note_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("handover", sa.Boolean(), nullable=False),
        sa.Column("written_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "note_id"],
            ["care_notes.tenant_id", "care_notes.id"],
            name="fk_care_note_versions_note",
        ),
        _category_check(),
        primary_key=("note_id", "version"),
        # History is written once and never changed.
        privileges="SELECT, INSERT",
    )

    create_tenant_table(
        "care_note_photos",
        sa.Column("note_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "note_id"],
            ["care_notes.tenant_id", "care_notes.id"],
            name="fk_care_note_photos_note",
        ),
        primary_key=("note_id",),
        # UPDATE: key rotation re-seals the content.
        privileges="SELECT, INSERT, UPDATE",
    )
    # Rotation looks for photos still sealed under an older key version.
    op.create_index(
        "ix_care_note_photos_key_version", "care_note_photos", ["tenant_id", "key_version"]
    )


def downgrade() -> None:
    op.drop_table("care_note_photos")
    op.drop_table("care_note_versions")
    op.drop_table("care_notes")
