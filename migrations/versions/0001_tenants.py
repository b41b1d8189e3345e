"""Tenants and their settings: the first global table and the first tenant-owned one.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.migration_helpers import create_tenant_table, grant_app

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    grant_app("tenants", "SELECT, INSERT, UPDATE")
    create_tenant_table(
        "tenant_settings",
        sa.Column("default_locale", sa.String(16), nullable=False, server_default="en"),
        sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        primary_key=(),
    )
    grant_app("alembic_version", "SELECT")


def downgrade() -> None:
    op.drop_table("tenant_settings")
    op.drop_table("tenants")
