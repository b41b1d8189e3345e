"""Identity routes: sign-up, sign-in and the MFA step, the account page, MFA set-up,
changing and resetting a password."""

from app.domain.identity.controllers._account import AccountController
from app.domain.identity.controllers._mfa import MfaSetupController
from app.domain.identity.controllers._password import (
    PasswordChangeController,
    PasswordResetController,
)
from app.domain.identity.controllers._signin import SignInController
from app.domain.identity.controllers._signup import SignUpController

__all__ = [
    "AccountController",
    "MfaSetupController",
    "PasswordChangeController",
    "PasswordResetController",
    "SignInController",
    "SignUpController",
]
