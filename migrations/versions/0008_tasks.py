"""Care-plan tasks: recurring items and what was done.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from app.db.migration_helpers import create_tenant_table

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NOW = sa.text("now()")


def _plan_columns(table: str) -> list[sa.Column | sa.Constraint]:
    """What a task says, on the task and on each of its versions alike."""
    return [
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("details", sa.Text(), nullable=False, server_default=""),
        sa.Column("times", pg.ARRAY(sa.Time()), nullable=False),
        sa.Column("days_of_week", pg.ARRAY(sa.SmallInteger())),
        sa.Column("every_days", sa.Integer()),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date()),
        sa.Column("assignee_id", sa.Uuid(), sa.ForeignKey("users.id", name=f"fk_{table}_assignee")),
        sa.CheckConstraint("cardinality(times) BETWEEN 1 AND 24", name="times"),
        # Either chosen days of the week or every N days, never both or neither.
        sa.CheckConstraint(
            "(days_of_week IS NULL) <> (every_days IS NULL)"
            " AND (every_days IS NULL OR every_days BETWEEN 1 AND 365)"
            " AND (days_of_week IS NULL OR (cardinality(days_of_week) BETWEEN 1 AND 7"
            " AND days_of_week <@ ARRAY[0,1,2,3,4,5,6]::smallint[]))",
            name="repeat",
        ),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    ]


def upgrade() -> None:
    create_tenant_table(
        "care_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        *_plan_columns("care_tasks"),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
        sa.Column("stopped_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("stop_reason", sa.String(300)),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_care_tasks_patient",
        ),
        # Nothing clinical is hard-deleted: the app role gets no DELETE.
        privileges="SELECT, INSERT, UPDATE",
    )
    op.create_index("ix_care_tasks_patient", "care_tasks", ["tenant_id", "patient_id", "id"])

    create_tenant_table(
        "care_task_versions",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_plan_columns("care_task_versions"),
        sa.Column("changed_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.ForeignKeyConstraint(
            ["tenant_id", "task_id"],
            ["care_tasks.tenant_id", "care_tasks.id"],
            name="fk_care_task_versions_task",
        ),
        primary_key=("task_id", "version"),
        # Versions are the history: written once, never changed.
        privileges="SELECT, INSERT",
    )

    create_tenant_table(
        "care_task_completions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("recorded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("undone_at", sa.DateTime(timezone=True)),
        sa.Column("undone_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.CheckConstraint("outcome IN ('done', 'skipped')", name="outcome"),
        sa.CheckConstraint("outcome <> 'skipped' OR length(btrim(note)) > 0", name="skip_note"),
        sa.CheckConstraint("(undone_at IS NULL) = (undone_by IS NULL)", name="undo"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "task_id"],
            ["care_tasks.tenant_id", "care_tasks.id"],
            name="fk_care_task_completions_task",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_care_task_completions_patient",
        ),
        # An undo sets undone_at; the row itself stays.
        privileges="SELECT, INSERT, UPDATE",
    )
    # One live record per occurrence: a double tick cannot make two.
    op.create_index(
        "uq_care_task_completions_occurrence",
        "care_task_completions",
        ["tenant_id", "task_id", "due_at"],
        unique=True,
        postgresql_where=sa.text("undone_at IS NULL"),
    )
    # A patient's day and history pages: a range scan on (tenant, patient, time).
    op.create_index(
        "ix_care_task_completions_patient_due",
        "care_task_completions",
        ["tenant_id", "patient_id", "due_at", "id"],
    )


def downgrade() -> None:
    op.drop_table("care_task_completions")
    op.drop_table("care_task_versions")
    op.drop_table("care_tasks")
