"""The forms of the staff pages and of accepting an invite, each checking itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date

from app.db.models import Role
from app.domain.identity.password_policy import password_problem
from app.lib.forms import FieldErrors, looks_like_email
from app.lib.i18n import _, current_locale

NAME_MAX = 200


def role_label(role: Role | str) -> str:
    """A role's name in the reader's language."""
    labels = {
        Role.ADMIN: _("Administrator"),
        Role.CARER: _("Carer"),
        Role.OBSERVER: _("Observer"),
    }
    return labels[Role(role)]


def format_day(moment: datetime) -> str:
    """A date in the reader's language, e.g. for when an invitation stops working."""
    return format_date(moment, format="medium", locale=current_locale())


def role_choices() -> list[tuple[str, str, str]]:
    """(value, name, what it allows) for each role, for pickers."""
    return [
        (
            str(Role.CARER),
            role_label(Role.CARER),
            _("Records care for the people they are given access to."),
        ),
        (
            str(Role.OBSERVER),
            role_label(Role.OBSERVER),
            _("Reads the records of the people they are given access to, and changes nothing."),
        ),
        (
            str(Role.ADMIN),
            role_label(Role.ADMIN),
            _("Sees everyone, manages staff, access and settings. Must use two-step sign-in."),
        ),
    ]


def parse_role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


@dataclass
class RoleForm:
    role: str = ""

    def errors(self) -> FieldErrors:
        if parse_role(self.role) is None:
            return {"role": _("Choose one of the roles listed.")}
        return {}


@dataclass
class InviteForm:
    email: str = ""
    role: str = str(Role.CARER)

    def errors(self) -> FieldErrors:
        errors: FieldErrors = {}
        if not looks_like_email(self.email):
            errors["email"] = _("Enter an email address, like name@example.com.")
        if parse_role(self.role) is None:
            errors["role"] = _("Choose one of the roles listed.")
        return errors


@dataclass
class AcceptForm:
    """A new person's name and password, or the password of an account they have."""

    display_name: str = ""
    password: str = ""

    def new_person_errors(self, email: str) -> FieldErrors:
        errors: FieldErrors = {}
        if not self.display_name.strip():
            errors["display_name"] = _("Enter your name.")
        elif len(self.display_name.strip()) > NAME_MAX:
            errors["display_name"] = _("Use at most %(count)s characters.", count=NAME_MAX)
        problem = password_problem(self.password, email=email, name=self.display_name)
        if problem:
            errors["password"] = problem
        return errors
