"""Run Alembic migrations from code (the `tend migrate` command, `tend run`, the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from app.paths import MIGRATIONS_DIR


def alembic_config(url: str = "", app_role: str = "") -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = url
    cfg.attributes["app_role"] = app_role
    return cfg


def upgrade(owner_url: str, app_role: str) -> None:
    """Migrate to head as the owner, granting the app role what each table allows it.

    Alembic's async env runs its own event loop, so this is called from sync code.
    """
    command.upgrade(alembic_config(owner_url, app_role), "head")


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return head or ""
