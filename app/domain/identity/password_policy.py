"""What a password must be: 12 to 128 characters, and not a common one."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from app.lib.i18n import _

MIN_LENGTH = 12
MAX_LENGTH = 128
_LIST = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why `password` will not do, in the user's language; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(count)s characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(count)s characters.", count=MAX_LENGTH)
    lowered = password.casefold()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        return _("This password is too common. Try a few unrelated words together.")
    personal = [part for part in (email.split("@")[0], *name.split()) if len(part) >= 4]
    if any(part.casefold() in lowered for part in personal):
        return _("Do not use your name or email address in your password.")
    return None
