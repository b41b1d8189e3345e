"""The session cookie: a JWT (HS256) naming the user, tenant and session row.

The token only says which `sessions` row to check; the row decides (revocation, idle and
absolute timeouts, membership status), so signing out takes effect on the next request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

COOKIE = "tend_session"
ALGORITHM = "HS256"
AUDIENCE = "tend-web"


@dataclass(frozen=True)
class SessionClaims:
    user_id: uuid.UUID
    tenant_id: uuid.UUID
    session_id: uuid.UUID


def encode(claims: SessionClaims, secret: str, expires_at: datetime) -> str:
    payload = {
        "sub": str(claims.user_id),
        "tid": str(claims.tenant_id),
        "sid": str(claims.session_id),
        "aud": AUDIENCE,
        "iat": int(datetime.now(UTC).timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode(token: str, secret: str) -> SessionClaims | None:
    """The claims of a valid, unexpired token signed with `secret`; None for anything else."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "tid", "sid", "exp"]},
        )
        ids = [payload["sub"], payload["tid"], payload["sid"]]
        if not all(isinstance(value, str) for value in ids):
            return None  # uuid.UUID() fails on other types with errors of its own choosing
        user_id, tenant_id, session_id = (uuid.UUID(value) for value in ids)
    except (jwt.PyJWTError, ValueError):
        return None
    return SessionClaims(user_id=user_id, tenant_id=tenant_id, session_id=session_id)


def session_id_of(token: str, secret: str) -> uuid.UUID | None:
    """The session a token signed with `secret` names, even once it has expired.

    CSRF tokens are bound to this: a page rendered a moment before the token expired
    still posts to the sign-in redirect, not to a CSRF refusal.
    """
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sid"], "verify_exp": False},
        )
        sid = payload["sid"]
        return uuid.UUID(sid) if isinstance(sid, str) else None
    except (jwt.PyJWTError, ValueError):
        return None
