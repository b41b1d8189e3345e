"""Password hashing with argon2id, off the event loop, at OWASP's parameters or above."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

T = TypeVar("T")

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


# One hashing thread per process: argon2 releases the GIL, so several at once would
# oversubscribe the cores and starve the event loop (bench/RESULTS.md, sign-in burst);
# in turn, a burst of sign-ins queues here while every other request keeps moving.
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tend-argon2")


async def _off_the_loop(work: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, work, *args)


async def hash_password(password: str) -> str:
    return await _off_the_loop(hasher().hash, password)


async def verify_password(stored_hash: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs rehash). With no stored hash the work is done anyway, on a dummy,
    so an unknown account takes about as long to refuse as a wrong password."""
    return await _off_the_loop(_verify, stored_hash, password)


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
