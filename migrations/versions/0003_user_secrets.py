"""Secrets stay secret: the app role may not read password hashes or MFA secrets.

A person's co-members may see their name and email; nobody's query may return their
password hash or sealed TOTP secret. Sign-in reads the hash through
tend_user_for_login(); the MFA step reads the signed-in person's own secret through
tend_own_mfa_secret(). Both run as the owner and answer only what they are for.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

from app.db.migration_helpers import app_role

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

READABLE = (
    "id, email, display_name, locale, mfa_enabled_at, mfa_last_step, "
    "sessions_not_before, created_at, updated_at"
)


def upgrade() -> None:
    role = app_role()
    op.execute(f'REVOKE SELECT ON users FROM "{role}"')
    op.execute(f'GRANT SELECT ({READABLE}) ON users TO "{role}"')
    op.execute(
        """
        CREATE FUNCTION tend_own_mfa_secret(p_user uuid) RETURNS bytea
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT u.mfa_secret FROM users u
             WHERE u.id = p_user
               AND u.id = NULLIF(current_setting('app.user_id', true), '')::uuid
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION tend_own_mfa_secret(uuid) FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION tend_own_mfa_secret(uuid) TO "{role}"')


def downgrade() -> None:
    op.execute("DROP FUNCTION tend_own_mfa_secret(uuid)")
    op.execute(f'GRANT SELECT ON users TO "{app_role()}"')
