"""Password resets: single-use, expiring links; only their tokens' hashes are kept.

A reset belongs to a person, not to a care account: people may be in several, and the
link is followed before anyone is signed in. So the table is global (schema_rules), and
the app role finds a row only by the hash of the token it was handed.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.migration_helpers import grant_app

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        # Who made it, when an administrator did (else the person asked by email), and in
        # which care account: for the audit trail, not for finding the row.
        sa.Column("made_by", sa.Uuid(), sa.ForeignKey("users.id")),
        sa.Column("made_in", sa.Uuid(), sa.ForeignKey("tenants.id")),
        sa.UniqueConstraint("token_hash", name="uq_password_resets_token"),
    )
    op.create_index("ix_password_resets_user", "password_resets", ["user_id"])
    # No DELETE: a spent or replaced link is marked used, and stays for the record.
    grant_app("password_resets", "SELECT, INSERT, UPDATE")


def downgrade() -> None:
    op.drop_table("password_resets")
