"""`tend create-tenant` and `tend create-user`: care accounts and people from the shell."""

from __future__ import annotations

import sys
import uuid

import click
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.cli._database import (
    Sessions,
    care_accounts,
    with_app_sessions,
)
from app.cli._group import main
from app.config import get_settings
from app.db.models import Membership, Role, User
from app.db.models.base import new_id
from app.db.tenancy import bind_tenant
from app.domain.audit.actions import MEMBER_ADD, TENANT_CREATE
from app.domain.audit.services import append
from app.domain.identity.password_policy import password_problem
from app.domain.identity.services import EmailTaken, IdentityService, normalise_email
from app.domain.keys.keyring import Keyring
from app.lib.forms import looks_like_email
from app.lib.keys import master_keys
from app.lib.passwords import hash_password


def _read_password(from_stdin: bool, email: str, name: str) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise click.ClickException(problem)
    return password


def _check_name(value: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > 200:
        raise click.BadParameter(f"{what} must be 1 to 200 characters.")
    return value


def _check_email(value: str) -> str:
    if not looks_like_email(value):
        raise click.BadParameter("Enter an email address, like name@example.com.")
    return normalise_email(value)


@main.command("create-tenant")
@click.option("--name", required=True, help="The care account's name.")
@click.option("--admin-email", required=True, help="Its first administrator's email.")
@click.option("--admin-name", required=True, help="Its first administrator's name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_tenant(name: str, admin_email: str, admin_name: str, password_stdin: bool) -> None:
    """Create a care account and its first administrator; prints the care account's id."""
    name = _check_name(name, "--name")
    admin_name = _check_name(admin_name, "--admin-name")
    admin_email = _check_email(admin_email)
    keyring = Keyring(master_keys(get_settings()))  # before the password: may refuse to start
    password = _read_password(password_stdin, admin_email, admin_name)

    async def work(sessions: Sessions) -> uuid.UUID:
        async with sessions() as session:
            # No session cookie is issued here, so the service needs no signing secret.
            identity = IdentityService(session, secret="", keyring=keyring)
            try:
                tenant_id, user_id = await identity.sign_up(name, admin_name, admin_email, password)
            except EmailTaken:
                msg = (
                    f"{admin_email} already has an account. Create the care account with "
                    "another administrator, then add this person with `tend create-user`."
                )
                raise click.ClickException(msg) from None
            await append(
                session, tenant_id, None, TENANT_CREATE, "tenant", object_id=tenant_id,
                detail={"via": "cli", "admin_id": str(user_id)},
            )  # fmt: skip
            await session.commit()
        return tenant_id

    tenant_id = with_app_sessions(work)
    click.echo(f"Created care account {name!r} with administrator {admin_email}.", err=True)
    click.echo(str(tenant_id))


@main.command("create-user")
@click.option("--tenant", "tenant_id", type=click.UUID, required=True, help="The care account.")
@click.option("--email", required=True, help="The person's email.")
@click.option("--name", required=True, help="The person's name (for a new account).")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True, help="Their role."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(
    tenant_id: uuid.UUID, email: str, name: str, role: str, password_stdin: bool
) -> None:
    """Add a person to a care account: a new account with a password, or a membership
    for someone who already signs in to Tend elsewhere."""
    email = _check_email(email)
    name = _check_name(name, "--name")

    async def work(sessions: Sessions) -> str:
        await care_accounts(sessions, tenant_id)
        async with sessions() as session:
            # The one lookup of a person by email that RLS allows before they are a member.
            found = await session.execute(
                text("SELECT id FROM tend_user_for_login(:email)"), {"email": email}
            )
            user_id = found.scalar_one_or_none()
        # Asked only now, and with no transaction open while the operator types.
        password = None if user_id else _read_password(password_stdin, email, name)
        async with sessions() as session:
            person = user_id or new_id()
            await bind_tenant(session, tenant_id, person)
            if user_id and await session.get(Membership, (tenant_id, person)) is not None:
                raise click.ClickException(f"{email} is already a member of this care account.")
            try:
                if password is not None:
                    hashed = await hash_password(password)
                    session.add(
                        User(id=person, email=email, display_name=name, password_hash=hashed)
                    )
                    await session.flush()
                session.add(Membership(tenant_id=tenant_id, user_id=person, role=role))
                await session.flush()
            except IntegrityError as exc:  # the same person, added a moment ago
                raise click.ClickException(f"{email} was just added by someone else.") from exc
            await append(
                session, tenant_id, None, MEMBER_ADD, "membership", object_id=person,
                detail={"via": "cli", "role": role, "new_account": password is not None},
            )  # fmt: skip
            await session.commit()
        if password is not None:
            return f"Created {email} as {role} in care account {tenant_id}."
        return (
            f"{email} already has an account (password unchanged); "
            f"added to care account {tenant_id} as {role}."
        )

    click.echo(with_app_sessions(work))
