"""The email that carries a password reset link (sent when TEND_SMTP_URL is set)."""

from __future__ import annotations

from email.message import EmailMessage

from app.domain.staff.mail import SmtpServer
from app.lib.i18n import _


def reset_message(server: SmtpServer, to: str, link: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = server.sender
    message["To"] = to
    message["Subject"] = _("Choose a new Tend password")
    message.set_content(
        _(
            "Someone asked to reset the password of the Tend account for this address.\n\n"
            "Open this link to choose a new password. It works once and for 1 hour:\n"
            "%(link)s\n\n"
            "If it was not you, you can ignore this email: your password stays as it is.",
            link=link,
        )
    )
    return message
