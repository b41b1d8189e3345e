"""Sending invite and password reset links by email, when TEND_SMTP_URL names a server."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from app.config import MailSettings
from app.lib.i18n import _

log = logging.getLogger("tend.staff.mail")
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str | None
    password: str | None
    sender: str


def smtp_server(mail: MailSettings) -> SmtpServer | None:
    """The server from `TEND_SMTP_URL` (smtp://user:pass@host:587 or smtps://…), or None.

    `TEND_SMTP_FROM` sets the sender; else the user name if it is an address.
    """
    url = mail.smtp_url
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        log.warning("TEND_SMTP_URL is not an smtp:// or smtps:// URL; invites are not emailed")
        return None
    implicit_tls = parts.scheme == "smtps"
    username = unquote(parts.username) if parts.username else None
    sender = mail.sender or (username if username and "@" in username else f"tend@{parts.hostname}")
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or (465 if implicit_tls else 587),
        implicit_tls=implicit_tls,
        username=username,
        password=unquote(parts.password) if parts.password else None,
        sender=sender,
    )


def invite_message(
    server: SmtpServer, to: str, care_account: str, inviter: str, link: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = server.sender
    message["To"] = to
    message["Subject"] = _("You are invited to %(name)s on Tend", name=care_account)
    message.set_content(
        _(
            "%(inviter)s invited you to join %(name)s on Tend.\n\n"
            "Open this link to accept. It works once and for 7 days:\n%(link)s\n\n"
            "If you did not expect this invitation, you can ignore this email.",
            inviter=inviter,
            name=care_account,
            link=link,
        )
    )
    return message


def _send(server: SmtpServer, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    if server.implicit_tls:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host, server.port, timeout=TIMEOUT_SECONDS, context=context
        )
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
    with client:
        if not server.implicit_tls:
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
        if server.username:
            client.login(server.username, server.password or "")
        client.send_message(message)


async def send(server: SmtpServer, message: EmailMessage) -> bool:
    """Send in a worker thread; False (and a log line for the operator) if it failed."""
    try:
        await asyncio.to_thread(_send, server, message)
    except (OSError, smtplib.SMTPException):
        log.warning("Could not send an email through %s:%s", server.host, server.port)
        return False
    return True
