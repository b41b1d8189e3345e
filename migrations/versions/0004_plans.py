"""Plans and care settings: each care account's plan, and its dose window.

The session check also answers the plan and the time zone, so module gating and dates
cost no extra round trip.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.migration_helpers import app_role

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SIGNATURE = "tend_open_session(uuid, uuid, uuid)"


def _open_session(extra_columns: str, extra_values: str) -> str:
    return f"""
        CREATE FUNCTION tend_open_session(p_tenant uuid, p_user uuid, p_session uuid)
        RETURNS TABLE (
            role text, display_name text, email text, mfa_enabled boolean,
            mfa_verified boolean, require_mfa boolean, tenant_name text, locale text
            {extra_columns}
        )
        LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
        BEGIN
            PERFORM set_config('app.tenant_id', p_tenant::text, true),
                    set_config('app.user_id', p_user::text, true);
            -- Sliding idle timeout, written at most once a minute per session.
            UPDATE sessions s SET last_seen_at = now()
              FROM tenant_settings ts
             WHERE s.tenant_id = p_tenant AND s.id = p_session AND s.user_id = p_user
               AND ts.tenant_id = p_tenant
               AND s.revoked_at IS NULL AND s.expires_at > now()
               AND s.last_seen_at > now() - make_interval(mins => ts.idle_timeout_minutes)
               AND s.last_seen_at < now() - interval '60 seconds';
            RETURN QUERY
            SELECT m.role::text, u.display_name::text, u.email::text,
                   u.mfa_enabled_at IS NOT NULL, s.mfa_verified_at IS NOT NULL,
                   ts.require_mfa, t.name::text, u.locale::text
                   {extra_values}
              FROM sessions s
              JOIN memberships m ON m.tenant_id = s.tenant_id AND m.user_id = s.user_id
              JOIN users u ON u.id = s.user_id
              JOIN tenants t ON t.id = s.tenant_id
              JOIN tenant_settings ts ON ts.tenant_id = s.tenant_id
             WHERE s.tenant_id = p_tenant AND s.id = p_session AND s.user_id = p_user
               AND s.revoked_at IS NULL
               AND s.expires_at > now()
               AND s.last_seen_at > now() - make_interval(mins => ts.idle_timeout_minutes)
               AND s.created_at >= u.sessions_not_before
               AND m.status = 'active';
        END
        $$
    """


def _replace_open_session(extra_columns: str, extra_values: str) -> None:
    op.execute(f"DROP FUNCTION {_SIGNATURE}")
    op.execute(_open_session(extra_columns, extra_values))
    op.execute(f"REVOKE ALL ON FUNCTION {_SIGNATURE} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {_SIGNATURE} TO "{app_role()}"')


def upgrade() -> None:
    # Self-hosted Tend starts on the plan with every module (app/billing/tiers.json).
    op.add_column(
        "tenant_settings",
        sa.Column("plan", sa.String(40), nullable=False, server_default="complete"),
    )
    op.add_column(
        "tenant_settings",
        sa.Column("dose_window_minutes", sa.Integer(), nullable=False, server_default="60"),
    )
    op.create_check_constraint(
        "ck_tenant_settings_dose_window",
        "tenant_settings",
        "dose_window_minutes BETWEEN 5 AND 240",
    )
    _replace_open_session(
        ", plan text, time_zone text, dose_window_minutes integer",
        ", ts.plan::text, ts.time_zone::text, ts.dose_window_minutes",
    )


def downgrade() -> None:
    _replace_open_session("", "")
    op.drop_constraint("ck_tenant_settings_dose_window", "tenant_settings")
    op.drop_column("tenant_settings", "dose_window_minutes")
    op.drop_column("tenant_settings", "plan")
