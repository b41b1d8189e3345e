"""Live alerts: a notification on every alert change, for the bell.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22

A trigger announces each inserted or changed alert, and each read receipt, with
`pg_notify` on the care account's own channel. PostgreSQL delivers notifications at
commit and drops them on rollback, so only committed changes are announced, whichever
process made them (web, worker, CLI). Every web process LISTENs (Litestar Channels'
asyncpg backend) on the channels of the care accounts it has bells open for.

One channel per care account rather than one for all: a process then hears only the
care accounts its connected people belong to, and PostgreSQL does the filtering, instead
of every process waking for every alert of every care account and throwing most away.
The name is `tend_alerts_` + the tenant id's 32 hex digits (44 bytes, under the 63-byte
identifier limit that LISTEN imposes); `app/domain/alerts/live.tenant_channel` builds
the same name. The payload is small and carries no patient information: ids only.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ALERT_FUNCTION = """
CREATE FUNCTION tend_notify_alert() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM pg_notify(
        'tend_alerts_' || replace(NEW.tenant_id::text, '-', ''),
        json_build_object(
            'tenant', NEW.tenant_id, 'alert', NEW.id, 'patient', NEW.patient_id,
            'op', lower(TG_OP)
        )::text
    );
    RETURN NULL;
END
$$
"""

# A read receipt changes one person's count only: it names them, so others' streams
# skip it without a query.
_READ_FUNCTION = """
CREATE FUNCTION tend_notify_alert_read() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM pg_notify(
        'tend_alerts_' || replace(NEW.tenant_id::text, '-', ''),
        json_build_object(
            'tenant', NEW.tenant_id, 'alert', NEW.alert_id, 'user', NEW.user_id,
            'op', 'read'
        )::text
    );
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.execute(_ALERT_FUNCTION)
    op.execute(_READ_FUNCTION)
    op.execute(
        "CREATE TRIGGER alerts_notify_insert AFTER INSERT ON alerts "
        "FOR EACH ROW EXECUTE FUNCTION tend_notify_alert()"
    )
    # An UPDATE that changes nothing (a retried acknowledge) announces nothing.
    op.execute(
        "CREATE TRIGGER alerts_notify_update AFTER UPDATE ON alerts "
        "FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION tend_notify_alert()"
    )
    op.execute(
        "CREATE TRIGGER alert_reads_notify AFTER INSERT ON alert_reads "
        "FOR EACH ROW EXECUTE FUNCTION tend_notify_alert_read()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER alert_reads_notify ON alert_reads")
    op.execute("DROP TRIGGER alerts_notify_update ON alerts")
    op.execute("DROP TRIGGER alerts_notify_insert ON alerts")
    op.execute("DROP FUNCTION tend_notify_alert_read()")
    op.execute("DROP FUNCTION tend_notify_alert()")
