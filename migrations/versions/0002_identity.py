"""Identity and the security core: users, memberships, sessions, patients, access, keys, audit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from app.db.migration_helpers import TENANT_PREDICATE, app_role, create_tenant_table, grant_app

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NOW = sa.text("now()")
CURRENT_USER = "NULLIF(current_setting('app.user_id', true), '')::uuid"


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name,
        sa.DateTime(timezone=True),
        nullable=nullable,
        server_default=None if nullable else NOW,
    )


def upgrade() -> None:
    # -- Users are global: one person may belong to several care accounts. -------------
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(16)),
        sa.Column("mfa_secret", sa.LargeBinary()),
        _timestamp("mfa_enabled_at", nullable=True),
        sa.Column("mfa_last_step", sa.BigInteger()),
        # Sessions issued before this moment are void: "log out of all devices".
        _timestamp("sessions_not_before"),
        _timestamp("created_at"),
        _timestamp("updated_at"),
    )
    op.create_index("uq_users_email", "users", ["email"], unique=True)
    grant_app("users", "SELECT, INSERT, UPDATE")

    create_tenant_table(
        "memberships",
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("invited_by", sa.Uuid()),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.CheckConstraint("role IN ('admin', 'carer', 'observer')", name="role"),
        sa.CheckConstraint("status IN ('invited', 'active', 'deactivated')", name="status"),
        primary_key=("user_id",),
    )
    op.create_index("ix_memberships_user", "memberships", ["user_id"])
    # A person sees their own memberships in every care account (to sign in and switch).
    op.execute(
        f"CREATE POLICY own_memberships ON memberships FOR SELECT USING (user_id = {CURRENT_USER})"
    )
    # Users: visible to themselves and to the care accounts they belong to.
    op.execute("ALTER TABLE users ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY users_visible ON users FOR SELECT USING ("
        f"id = {CURRENT_USER} OR EXISTS (SELECT 1 FROM memberships m "
        f"WHERE m.user_id = users.id AND m.{TENANT_PREDICATE}))"
    )
    op.execute(
        "CREATE POLICY users_update ON users FOR UPDATE USING ("
        f"id = {CURRENT_USER} OR EXISTS (SELECT 1 FROM memberships m "
        f"WHERE m.user_id = users.id AND m.{TENANT_PREDICATE}))"
    )
    op.execute("CREATE POLICY users_insert ON users FOR INSERT WITH CHECK (true)")
    # Sign-in must find an account by email before anyone is known: this one function, owned
    # by the owner (who RLS does not bind on this table), answers that and nothing more.
    op.execute(
        """
        CREATE FUNCTION tend_user_for_login(p_email text)
        RETURNS TABLE (id uuid, password_hash text, mfa_enabled boolean)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT u.id, u.password_hash, u.mfa_enabled_at IS NOT NULL
              FROM users u WHERE u.email = lower(p_email)
        $$
        """
    )
    op.execute("REVOKE ALL ON FUNCTION tend_user_for_login(text) FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION tend_user_for_login(text) TO "{app_role()}"')

    op.create_table(
        "mfa_recovery_codes",
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(), nullable=False),
        _timestamp("used_at", nullable=True),
        sa.PrimaryKeyConstraint("user_id", "code_hash", name="pk_mfa_recovery_codes"),
    )
    op.execute("ALTER TABLE mfa_recovery_codes ENABLE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY own_codes ON mfa_recovery_codes USING (user_id = "
        f"{CURRENT_USER}) WITH CHECK (user_id = {CURRENT_USER})"
    )
    grant_app("mfa_recovery_codes", "SELECT, INSERT, UPDATE, DELETE")

    # -- Sessions: the `sid` of a session cookie; checked on every request. -------------
    create_tenant_table(
        "sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        _timestamp("created_at"),
        _timestamp("last_seen_at"),
        _timestamp("expires_at"),
        _timestamp("mfa_verified_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
        sa.Column("ip", pg.INET()),
        sa.Column("user_agent", sa.String(300)),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["memberships.tenant_id", "memberships.user_id"],
            name="fk_sessions_membership",
        ),
    )
    op.create_index("ix_sessions_user", "sessions", ["tenant_id", "user_id"])

    # -- Tenant settings that the security core reads. ---------------------------------
    op.add_column(
        "tenant_settings",
        sa.Column("idle_timeout_minutes", sa.Integer(), nullable=False, server_default="30"),
    )
    op.add_column(
        "tenant_settings",
        sa.Column("session_lifetime_hours", sa.Integer(), nullable=False, server_default="12"),
    )
    op.add_column(
        "tenant_settings",
        sa.Column("require_mfa", sa.Boolean(), nullable=False, server_default=sa.false()),
    )

    # -- Invitations: a single-use, expiring link; only its hash is stored. -------------
    create_tenant_table(
        "invites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at"),
        _timestamp("accepted_at", nullable=True),
        _timestamp("revoked_at", nullable=True),
        sa.CheckConstraint("role IN ('admin', 'carer', 'observer')", name="role"),
        sa.UniqueConstraint("tenant_id", "token_hash", name="uq_invites_token"),
    )

    # -- Data keys, wrapped by the master key. ------------------------------------------
    create_tenant_table(
        "tenant_keys",
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_by", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="active"),
        _timestamp("created_at"),
        sa.CheckConstraint("purpose IN ('data', 'search')", name="purpose"),
        sa.CheckConstraint("state IN ('active', 'retiring', 'retired')", name="state"),
        primary_key=("purpose", "version"),
        privileges="SELECT, INSERT, UPDATE",
    )

    # -- Patients: identity fields are ciphertext (app/lib/crypto.py). -----------------
    create_tenant_table(
        "patients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("given_name", sa.LargeBinary(), nullable=False),
        sa.Column("family_name", sa.LargeBinary(), nullable=False),
        sa.Column("preferred_name", sa.LargeBinary()),
        sa.Column("date_of_birth", sa.LargeBinary()),
        sa.Column("identifiers", sa.LargeBinary()),
        sa.Column("address", sa.LargeBinary()),
        sa.Column("phone", sa.LargeBinary()),
        sa.Column("emergency_contacts", sa.LargeBinary()),
        sa.Column("photo", sa.LargeBinary()),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("archived_at", nullable=True),
        privileges="SELECT, INSERT, UPDATE",
    )
    # Keyed blind index for search: HMACs of name prefixes and identifiers, never the text.
    create_tenant_table(
        "patient_search_terms",
        sa.Column("term", sa.LargeBinary(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_patient_search_terms_patient",
        ),
        primary_key=("term", "patient_id"),
    )
    op.create_index(
        "ix_patient_search_terms_patient", "patient_search_terms", ["tenant_id", "patient_id"]
    )

    create_tenant_table(
        "patient_access",
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("granted_by", sa.Uuid(), nullable=False),
        _timestamp("granted_at"),
        _timestamp("expires_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "patient_id"],
            ["patients.tenant_id", "patients.id"],
            name="fk_patient_access_patient",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["memberships.tenant_id", "memberships.user_id"],
            name="fk_patient_access_membership",
        ),
        primary_key=("patient_id", "user_id"),
    )
    op.create_index("ix_patient_access_user", "patient_access", ["tenant_id", "user_id"])

    # -- Throttling and rate limits: counted in the database, shared by every process. --
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        _timestamp("first_failure_at"),
        _timestamp("last_failure_at"),
        _timestamp("locked_until", nullable=True),
    )
    grant_app("login_throttle")
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("key", "window_start", name="pk_rate_limits"),
    )
    grant_app("rate_limits")

    _audit()
    _open_session()


def _open_session() -> None:
    """One round trip per request: bind the transaction to the session's tenant and check it.

    Returns the signed-in person and their role, or no row when the session is unknown,
    revoked, idle or expired, the membership is not active, or the person logged out of
    every device since. It runs as the caller, so row-level security applies inside.
    """
    op.execute(
        """
        CREATE FUNCTION tend_open_session(p_tenant uuid, p_user uuid, p_session uuid)
        RETURNS TABLE (
            role text, display_name text, email text, mfa_enabled boolean,
            mfa_verified boolean, require_mfa boolean, tenant_name text, locale text
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
    )
    op.execute("REVOKE ALL ON FUNCTION tend_open_session(uuid, uuid, uuid) FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION tend_open_session(uuid, uuid, uuid) TO "{app_role()}"')


def _audit() -> None:
    """Audit events: append-only for the app, hash-chained per tenant by a trigger."""
    create_tenant_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        _timestamp("occurred_at"),
        sa.Column("actor_id", sa.Uuid()),
        sa.Column("patient_id", sa.Uuid()),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(80)),
        sa.Column("route", sa.String(200)),
        sa.Column("ip", pg.INET()),
        sa.Column("detail", pg.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        primary_key=("seq",),
        privileges="SELECT, INSERT",  # never UPDATE or DELETE
    )
    op.create_index("ix_audit_events_patient", "audit_events", ["tenant_id", "patient_id", "seq"])
    op.create_index("ix_audit_events_actor", "audit_events", ["tenant_id", "actor_id", "seq"])
    # The newest link of each tenant's chain. Only the trigger (as the owner) touches it.
    create_tenant_table(
        "audit_heads",
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(), nullable=False),
        primary_key=(),
        privileges="SELECT",
    )
    op.execute(
        """
        CREATE FUNCTION tend_audit_payload(e audit_events) RETURNS bytea
        LANGUAGE sql STABLE AS $$
            -- Every field in a fixed place (NULL as empty), so no two rows share a payload.
            SELECT convert_to(concat_ws('|',
                e.tenant_id::text, e.seq::text,
                to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                coalesce(e.actor_id::text, ''), coalesce(e.patient_id::text, ''),
                e.action, e.object_type, coalesce(e.object_id, ''), coalesce(e.route, ''),
                coalesce(host(e.ip), ''), e.detail::text), 'UTF8')
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION tend_audit_chain() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            head audit_heads%ROWTYPE;
        BEGIN
            -- The head row's lock orders one tenant's inserts; other tenants never wait.
            INSERT INTO audit_heads AS h (tenant_id, last_seq, last_hash)
                 VALUES (NEW.tenant_id, 0, '\\x'::bytea)
            ON CONFLICT (tenant_id) DO UPDATE SET last_seq = h.last_seq
              RETURNING * INTO head;
            NEW.seq := head.last_seq + 1;
            NEW.occurred_at := clock_timestamp();
            NEW.prev_hash := head.last_hash;
            NEW.hash := sha256(NEW.prev_hash || tend_audit_payload(NEW));
            UPDATE audit_heads SET last_seq = NEW.seq, last_hash = NEW.hash
             WHERE tenant_id = NEW.tenant_id;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION tend_audit_chain()"
    )
    op.execute("REVOKE ALL ON FUNCTION tend_audit_chain() FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION tend_open_session(uuid, uuid, uuid)")
    op.execute("DROP TRIGGER audit_events_chain ON audit_events")
    op.execute("DROP FUNCTION tend_audit_chain()")
    op.execute("DROP FUNCTION tend_audit_payload(audit_events)")
    for table in (
        "audit_heads",
        "audit_events",
        "rate_limits",
        "login_throttle",
        "patient_access",
        "patient_search_terms",
        "patients",
        "tenant_keys",
        "invites",
        "sessions",
        "mfa_recovery_codes",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION tend_user_for_login(text)")
    for column in ("require_mfa", "session_lifetime_hours", "idle_timeout_minutes"):
        op.drop_column("tenant_settings", column)
    op.drop_table("memberships")
    op.drop_table("users")
