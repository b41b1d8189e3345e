"""Password hashing with argon2id, off the event loop, at OWASP's parameters or above."""

from __future__ import annotations

import asyncio
import os
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
TIME_COST = 2
MEMORY_KIB = 19 * 1024
PARALLELISM = 1


@cache
def hasher() -> PasswordHasher:
    # Tests may use cheaper parameters (STYLE.md); nothing else may lower them.
    if os.environ.get("TEND_ENV") == "test" and os.environ.get("TEND_TEST_CHEAP_ARGON2"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hasher().hash, password)


async def verify_password(stored_hash: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs rehash). With no stored hash the work is done anyway, on a dummy,
    so an unknown account takes about as long to refuse as a wrong password."""
    return await asyncio.to_thread(_verify, stored_hash, password)


@cache
def _dummy_hash() -> str:
    return hasher().hash("no account has this password: it only spends the same time")


def _verify(stored_hash: str | None, password: str) -> tuple[bool, bool]:
    target = stored_hash or _dummy_hash()
    try:
        hasher().verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    if stored_hash is None:
        return False, False
    return True, hasher().check_needs_rehash(stored_hash)
