"""`tend demo`: `tend run` with a demo care account loaded first (DESIGN.md §9)."""

from __future__ import annotations

import asyncio

import click

from app.cli._database import Database, app_sessions
from app.cli._group import main
from app.cli._serve import serve, serve_options
from app.config import get_settings
from app.domain.demo.seed import DemoLogins, load_demo
from app.domain.keys.keyring import Keyring
from app.lib.keys import load_key, master_keys


def load(db: Database) -> DemoLogins:
    """Load the demo care account into `db` (once), and say how to sign in."""

    async def go() -> DemoLogins:
        async with app_sessions(db) as sessions, sessions() as session:
            settings = get_settings()
            keyring = Keyring(master_keys(settings))
            secret = load_key(settings, "TEND_SECRET_KEY", "secret_key")
            return await load_demo(session, keyring, secret)

    demo = asyncio.run(go())
    for line in how_to_sign_in(demo):
        click.echo(line)
    return demo


def how_to_sign_in(demo: DemoLogins) -> list[str]:
    """What `tend demo` prints: the logins, and what the administrator's sign-in asks
    for now (setting up two-step sign-in only until it has been set up)."""
    what = "Loaded" if demo.created else "Found"
    lines = [f"{what} the demo care account {demo.care_account!r}. Sign in as:"]
    lines += [f"  {role:<9} {name:<14} {email}" for role, name, email in demo.logins]
    lines.append(f"Password for everyone: {demo.password}")
    if demo.admin_has_two_step:
        lines.append("The administrator also gives the code from their authenticator app.")
    else:
        lines.append("The administrator sets up two-step sign-in at the first sign-in.")
    return lines


@main.command()
@serve_options
def demo(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve Tend with a demo care account: an administrator, two carers, a family member,
    three patients and a week of their care (loaded once; run it again to keep going)."""
    if get_settings().server.production:
        msg = "tend demo adds people who share one password: it is for trying Tend, not production."
        raise click.ClickException(msg)
    serve(host, port, workers, before_serving=load)
