"""The password forms: what each asks for, and why an answer will not do."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.identity.password_policy import password_problem
from app.lib.forms import FieldErrors, looks_like_email
from app.lib.i18n import _


def _new_password_errors(new: str, confirm: str, *, email: str, name: str) -> FieldErrors:
    errors: FieldErrors = {}
    problem = password_problem(new, email=email, name=name)
    if problem:
        errors["new_password"] = problem
    elif confirm != new:
        errors["confirm_password"] = _("The two new passwords are not the same.")
    return errors


@dataclass
class ChangeForm:
    current_password: str = ""
    new_password: str = ""
    confirm_password: str = ""

    def errors(self, *, email: str, name: str) -> FieldErrors:
        errors: FieldErrors = {}
        if not self.current_password:
            errors["current_password"] = _("Enter your current password.")
        return errors | _new_password_errors(
            self.new_password, self.confirm_password, email=email, name=name
        )


@dataclass
class ForgotForm:
    email: str = ""

    def errors(self) -> FieldErrors:
        # A NUL or other control character is no address, and the database refuses it.
        if not looks_like_email(self.email) or any(ord(c) < 32 for c in self.email):
            return {"email": _("Enter an email address, like name@example.com.")}
        return {}


@dataclass
class NewPasswordForm:
    new_password: str = ""
    confirm_password: str = ""

    def errors(self, *, email: str, name: str) -> FieldErrors:
        return _new_password_errors(
            self.new_password, self.confirm_password, email=email, name=name
        )
