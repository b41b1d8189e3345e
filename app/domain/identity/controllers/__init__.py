"""Identity routes: sign-up, sign-in and the MFA step, the account page, MFA set-up."""

from app.domain.identity.controllers._account import AccountController
from app.domain.identity.controllers._mfa import MfaSetupController
from app.domain.identity.controllers._signin import SignInController
from app.domain.identity.controllers._signup import SignUpController

__all__ = ["AccountController", "MfaSetupController", "SignInController", "SignUpController"]
