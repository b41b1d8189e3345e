"""Alerts: durable care alerts with their state, read receipts, and the escalation delay.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.migration_helpers import create_tenant_table

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NOW = sa.text("now()")


def upgrade() -> None:
    op.add_column(
        "tenant_settings",
        sa.Column("escalate_after_minutes", sa.Integer(), nullable=False, server_default="15"),
    )
    op.create_check_constraint(
        "ck_tenant_settings_escalate_after",
        "tenant_settings",
        "escalate_after_minutes BETWEEN 1 AND 1440",
    )
    # Alerts are never deleted by the app: no DELETE for the app role.
    create_tenant_table(
        "alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("params", sa.dialects.postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("detail", sa.Text()),
        sa.Column("link", sa.String(300)),
        # The cause, named once: a second raise of the same cause finds it and adds nothing.
        sa.Column("dedupe_key", sa.String(200)),
        sa.Column("state", sa.String(12), nullable=False, server_default="open"),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("raised_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("resolution_note", sa.Text()),
        # Urgent alerts not acknowledged by `escalate_at` escalate to the administrators.
        sa.Column("escalate_at", sa.DateTime(timezone=True)),
        sa.Column("escalated_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_alerts_patient",
        ),
        sa.UniqueConstraint("tenant_id", "dedupe_key", name="uq_alerts_dedupe_key"),
        sa.CheckConstraint("severity IN ('info', 'warning', 'urgent')", name="severity"),
        sa.CheckConstraint("state IN ('open', 'acknowledged', 'resolved')", name="state"),
        sa.CheckConstraint(
            "(state = 'open') = (acknowledged_at IS NULL AND resolved_at IS NULL)"
            " AND (state = 'resolved') = (resolved_at IS NOT NULL)",
            name="state_stamps",
        ),
        privileges="SELECT, INSERT, UPDATE",
    )
    op.create_index(
        "ix_alerts_patient", "alerts", ["tenant_id", "patient_id", sa.text("raised_at DESC")]
    )
    # The bell counts alerts that are not resolved: a small, index-only slice however long
    # the history grows.
    op.create_index(
        "ix_alerts_unresolved",
        "alerts",
        ["tenant_id", sa.text("raised_at DESC")],
        postgresql_where=sa.text("state <> 'resolved'"),
    )
    op.create_index(
        "ix_alerts_escalation_due",
        "alerts",
        ["escalate_at"],
        postgresql_where=sa.text(
            "state = 'open' AND escalated_at IS NULL AND escalate_at IS NOT NULL"
        ),
    )
    create_tenant_table(
        "alert_reads",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.ForeignKeyConstraint(
            ["tenant_id", "alert_id"],
            ["alerts.tenant_id", "alerts.id"],
            name="fk_alert_reads_alert",
        ),
        primary_key=("alert_id", "user_id"),
        privileges="SELECT, INSERT",
    )
    op.create_index("ix_alert_reads_user", "alert_reads", ["tenant_id", "user_id", "alert_id"])


def downgrade() -> None:
    op.drop_table("alert_reads")
    op.drop_table("alerts")
    op.drop_constraint("ck_tenant_settings_escalate_after", "tenant_settings")
    op.drop_column("tenant_settings", "escalate_after_minutes")
