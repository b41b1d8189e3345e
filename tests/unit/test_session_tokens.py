"""The session cookie's token: HS256 JWT naming user, tenant and session; nothing else passes."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from app.lib import session_tokens
from app.lib.session_tokens import SessionClaims

SECRET = "a test secret long enough for HS256, and for HS512 too: sixty-four bytes or more"
CLAIMS = SessionClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())


def later(hours: float = 1) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


def payload_of(token: str) -> dict[str, object]:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_round_trip() -> None:
    token = session_tokens.encode(CLAIMS, SECRET, later())
    assert session_tokens.decode(token, SECRET) == CLAIMS


def test_token_carries_the_named_claims_and_expiry() -> None:
    expires = later(12)
    payload = payload_of(session_tokens.encode(CLAIMS, SECRET, expires))
    assert payload["sub"] == str(CLAIMS.user_id)
    assert payload["tid"] == str(CLAIMS.tenant_id)
    assert payload["sid"] == str(CLAIMS.session_id)
    assert payload["exp"] == int(expires.timestamp())
    assert jwt.get_unverified_header(session_tokens.encode(CLAIMS, SECRET, expires))["alg"] == (
        "HS256"
    )


def test_other_secret_is_refused() -> None:
    token = session_tokens.encode(CLAIMS, SECRET, later())
    assert session_tokens.decode(token, SECRET + " but different") is None


def test_expired_token_is_refused() -> None:
    token = session_tokens.encode(CLAIMS, SECRET, datetime.now(UTC) - timedelta(seconds=5))
    assert session_tokens.decode(token, SECRET) is None


def test_tampered_payload_is_refused() -> None:
    token = session_tokens.encode(CLAIMS, SECRET, later())
    header, _, signature = token.split(".")
    forged = dict(payload_of(token), sub=str(uuid.uuid4()))
    body = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    assert session_tokens.decode(f"{header}.{body}.{signature}", SECRET) is None


def test_tampered_signature_is_refused() -> None:
    token = session_tokens.encode(CLAIMS, SECRET, later())
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert session_tokens.decode(flipped, SECRET) is None


def test_unsigned_token_is_refused() -> None:
    payload = payload_of(session_tokens.encode(CLAIMS, SECRET, later()))
    token = jwt.encode(payload, key=None, algorithm="none")  # type: ignore[arg-type]
    assert session_tokens.decode(token, SECRET) is None


def test_other_algorithm_with_the_same_secret_is_refused() -> None:
    payload = payload_of(session_tokens.encode(CLAIMS, SECRET, later()))
    assert session_tokens.decode(jwt.encode(payload, SECRET, algorithm="HS512"), SECRET) is None


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "someone-else"},
        {"sub": "not-a-uuid"},
        {"tid": ""},
        {"sid": 42},
        {"sub": 12345},
        {"tid": ["a", "list"]},
        {"sid": {"an": "object"}},
    ],
)
def test_malformed_claims_are_refused(change: dict[str, object]) -> None:
    payload = payload_of(session_tokens.encode(CLAIMS, SECRET, later())) | change
    assert session_tokens.decode(jwt.encode(payload, SECRET, algorithm="HS256"), SECRET) is None


@pytest.mark.parametrize("missing", ["sub", "tid", "sid", "exp", "aud"])
def test_missing_claim_is_refused(missing: str) -> None:
    payload = payload_of(session_tokens.encode(CLAIMS, SECRET, later()))
    del payload[missing]
    assert session_tokens.decode(jwt.encode(payload, SECRET, algorithm="HS256"), SECRET) is None


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "..", "é.é.é"])
def test_garbage_is_refused(garbage: str) -> None:
    assert session_tokens.decode(garbage, SECRET) is None
