"""Inspect a migrated database for the tenancy rules of DESIGN.md §3.

Every table either is declared global here or is tenant-owned: it has `tenant_id`,
leads its primary key with it, has row-level security enabled and forced with the tenant
policy, and every foreign key into a tenant-owned table carries `tenant_id` across. The
schema test runs this on the real migrations; a new table that breaks a rule fails CI.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Tables that belong to no tenant. Adding one here is a design decision: say why.
GLOBAL_TABLES = frozenset(
    {
        "alembic_version",  # migration bookkeeping
        "tenants",  # the list of tenants itself; its `id` is every tenant_id
        "users",  # one person may belong to several care accounts (own RLS policies)
        "mfa_recovery_codes",  # belong to a person, not a care account (own RLS policy)
        "login_throttle",  # counted before anyone is known to belong anywhere
        "rate_limits",  # per client address, before sign-in
        # A person's reset links (migration 0015): a person may be in several care
        # accounts, and the link is followed before anyone is known.
        "password_resets",
        # pgqueuer's queue (migration 0011): one queue for all care accounts, so any worker
        # takes any job; a job's payload names its care account and the job binds it.
        "pgqueuer",
        "pgqueuer_log",
        "pgqueuer_schedules",
        "pgqueuer_statistics",
    }
)

# Permissive policies that widen a tenant-owned table beyond its tenant, each a decision.
CROSS_TENANT_POLICIES = {
    ("memberships", "own_memberships"): "a person lists their own care accounts to sign in",
}


@dataclass(frozen=True)
class Violation:
    table: str
    rule: str

    def __str__(self) -> str:
        return f"{self.table}: {self.rule}"


_TABLES = text(
    """
    SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity,
           EXISTS (SELECT 1 FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
                     AND NOT a.attisdropped) AS has_tenant_id,
           (SELECT a.attname FROM pg_constraint k
              JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
             WHERE k.conrelid = c.oid AND k.contype = 'p') AS first_key_column
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = :schema AND c.relkind IN ('r', 'p')
    """
)

_POLICIES = text(
    """
    SELECT p.polrelid, p.polname, p.polcmd::text AS polcmd, p.polpermissive,
           pg_get_expr(p.polqual, p.polrelid) AS using_expr,
           pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
      FROM pg_policy p
    """
)

# Pairs (local column, referenced column) of every foreign key in the schema.
_FOREIGN_KEYS = text(
    """
    SELECT k.conname, k.conrelid, k.confrelid,
           array_agg(la.attname::text ORDER BY u.ord) AS local_columns,
           array_agg(ra.attname::text ORDER BY u.ord) AS referenced_columns
      FROM pg_constraint k
      JOIN pg_namespace n ON n.oid = (SELECT relnamespace FROM pg_class WHERE oid = k.conrelid)
      CROSS JOIN LATERAL unnest(k.conkey, k.confkey) WITH ORDINALITY AS u(lnum, rnum, ord)
      JOIN pg_attribute la ON la.attrelid = k.conrelid AND la.attnum = u.lnum
      JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = u.rnum
     WHERE k.contype = 'f' AND n.nspname = :schema
     GROUP BY k.conname, k.conrelid, k.confrelid
    """
)


def _is_tenant_policy(using_expr: str | None, check_expr: str | None) -> bool:
    def binds(expr: str | None) -> bool:
        return bool(expr) and "tenant_id" in expr and "current_setting('app.tenant_id'" in expr

    # No WITH CHECK means PostgreSQL applies USING to new rows too.
    return binds(using_expr) and (check_expr is None or binds(check_expr))


async def check_schema(connection: AsyncConnection, schema: str = "public") -> list[Violation]:
    """Every breach of the tenancy rules in `schema`; an empty list means it is sound."""
    tables = (await connection.execute(_TABLES, {"schema": schema})).mappings().all()
    policies = (await connection.execute(_POLICIES)).mappings().all()
    foreign_keys = (await connection.execute(_FOREIGN_KEYS, {"schema": schema})).mappings().all()

    names = {row["oid"]: row["relname"] for row in tables}
    tenant_owned = {row["oid"] for row in tables if row["has_tenant_id"]}
    violations: list[Violation] = []

    for row in tables:
        name = row["relname"]
        if not row["has_tenant_id"]:
            if name not in GLOBAL_TABLES:
                violations.append(
                    Violation(name, "has no tenant_id and is not declared in GLOBAL_TABLES")
                )
            continue
        if row["first_key_column"] != "tenant_id":
            violations.append(Violation(name, "primary key does not begin with tenant_id"))
        if not row["relrowsecurity"]:
            violations.append(Violation(name, "row-level security is not enabled"))
        if not row["relforcerowsecurity"]:
            violations.append(Violation(name, "row-level security is not forced"))
        own = [p for p in policies if p["polrelid"] == row["oid"]]
        tenant_policies = [p for p in own if _is_tenant_policy(p["using_expr"], p["check_expr"])]
        if not any(p["polcmd"] == "*" and p["polpermissive"] for p in tenant_policies):
            violations.append(Violation(name, "has no tenant policy on app.tenant_id"))
        # Permissive policies are OR-ed: any other one would widen the tenant boundary.
        for policy in own:
            if (
                policy["polpermissive"]
                and policy not in tenant_policies
                and (name, policy["polname"]) not in CROSS_TENANT_POLICIES
            ):
                violations.append(
                    Violation(name, f"policy {policy['polname']} reaches beyond the tenant")
                )

    for fk in foreign_keys:
        if fk["confrelid"] not in tenant_owned or fk["conrelid"] not in names:
            continue
        pairs = dict(zip(fk["referenced_columns"], fk["local_columns"], strict=True))
        if pairs.get("tenant_id") != "tenant_id":
            violations.append(
                Violation(
                    names[fk["conrelid"]],
                    f"foreign key {fk['conname']} to tenant-owned "
                    f"{names.get(fk['confrelid'], '?')} leaves tenant_id out",
                )
            )
    return violations
