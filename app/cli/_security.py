"""`tend audit-verify` and `tend rotate-keys`."""

from __future__ import annotations

import sys
import uuid

import click

from app.cli._database import (
    Sessions,
    care_accounts,
    with_app_sessions,
)
from app.cli._group import main
from app.config import get_settings
from app.db.tenancy import bind_tenant
from app.domain.audit.services import check_chain
from app.domain.keys.keyring import Keyring
from app.domain.keys.rotation import SETTLE_SECONDS, KeyRotation, RotationResult
from app.lib.keys import master_keys


@main.command("audit-verify")
@click.option("--tenant", "tenant_id", type=click.UUID, help="Only this care account.")
def audit_verify(tenant_id: uuid.UUID | None) -> None:
    """Check every care account's audit chain; exit status 1 if any is broken."""

    async def work(sessions: Sessions) -> int:
        broken = 0
        accounts = await care_accounts(sessions, tenant_id)
        for account_id, name in accounts:
            async with sessions() as session:
                await bind_tenant(session, account_id)
                report = await check_chain(session, account_id)
            if report.intact:
                click.echo(
                    f"OK      {account_id}  {name}  ({report.events} events, "
                    f"head {report.head_hash.hex() or '-'})"
                )
                continue
            broken += 1
            click.echo(f"BROKEN  {account_id}  {name}  ({len(report.problems)} problems)")
            for problem in report.problems:
                click.echo(f"        {problem}")
        click.echo(f"{len(accounts) - broken} of {len(accounts)} audit chains are intact.")
        return broken

    if with_app_sessions(work):
        sys.exit(1)


@main.command("rotate-keys")
@click.option("--rewrap", is_flag=True, help="Rewrap data keys under TEND_MASTER_KEY.")
@click.option("--new-data-key", is_flag=True, help="Make a new data key and re-encrypt.")
@click.option("--resume", is_flag=True, help="Finish a rotation that was interrupted.")
@click.option("--tenant", "tenant_id", type=click.UUID, help="Only this care account.")
@click.option("--all-tenants", is_flag=True, help="Every care account.")
@click.option(
    "--batch-size", type=click.IntRange(1, 10_000), default=200, show_default=True,
    help="Patients re-encrypted per transaction.",
)  # fmt: skip
@click.option(
    "--settle-seconds", type=click.FloatRange(0), default=SETTLE_SECONDS, show_default=True,
    help="Wait after a new key becomes active before retiring the old one "
    "(app processes cache the active key for up to 30 s).",
)  # fmt: skip
def rotate_keys(
    rewrap: bool,
    new_data_key: bool,
    resume: bool,
    tenant_id: uuid.UUID | None,
    all_tenants: bool,
    batch_size: int,
    settle_seconds: float,
) -> None:
    """Rotate keys while Tend keeps serving (docs/OPERATIONS.md, "Keys").

    \b
    --rewrap            rewrap every data key under the current TEND_MASTER_KEY
                        (the old master key in TEND_MASTER_KEY_PREVIOUS); all care
                        accounts unless --tenant is given.
    --new-data-key      a new data key for --tenant or --all-tenants, patients
                        re-encrypted in batches, the old key retired.
    --resume            finish an interrupted --new-data-key without a new key.
    """
    if not (rewrap or new_data_key or resume):
        raise click.UsageError("Choose --rewrap, --new-data-key or --resume.")
    if new_data_key and resume:
        raise click.UsageError("--new-data-key and --resume do not go together.")
    if (new_data_key or resume) and (tenant_id is None) == (not all_tenants):
        raise click.UsageError("Name one care account with --tenant, or give --all-tenants.")
    if tenant_id is not None and all_tenants:
        raise click.UsageError("--tenant and --all-tenants do not go together.")
    keyring = Keyring(master_keys(get_settings()))

    async def work(sessions: Sessions) -> int:
        rotation = KeyRotation(
            sessions, keyring, batch_size=batch_size, settle_seconds=settle_seconds
        )
        accounts = await care_accounts(sessions, tenant_id)
        names, ids = dict(accounts), [account_id for account_id, _name in accounts]
        failed = 0
        outcomes = []
        if rewrap:
            outcomes.append(rotation.rewrap_many(ids))
        if new_data_key or resume:
            outcomes.append(rotation.rotate_many(ids, new_key=new_data_key))
        for stream in outcomes:
            async for outcome in stream:
                line = f"{outcome.tenant_id}  {names[outcome.tenant_id]}"
                if outcome.error is not None:
                    failed += 1
                    click.echo(f"FAILED  {line}: {outcome.error}")
                elif isinstance(outcome.result, RotationResult):
                    done = outcome.result
                    click.echo(
                        f"OK      {line}: data key {done.version} active, {done.reencrypted} "
                        f"patients re-encrypted, retired {done.retired or 'none'}"
                    )
                else:
                    click.echo(f"OK      {line}: {outcome.result} keys rewrapped")
        if failed and (new_data_key or resume):
            click.echo("What was done is safe: run again with --resume to finish.")
        return failed

    if with_app_sessions(work):
        sys.exit(1)
