"""Password hashing: argon2id at OWASP's parameters or above, outside cheap test mode."""

from __future__ import annotations

from collections.abc import Iterator

import argon2
import pytest
from argon2 import PasswordHasher

from app.lib import passwords


@pytest.fixture
def fresh_hasher() -> Iterator[None]:
    """Let a test build the hasher from its own environment, then restore the run's one."""
    passwords.hasher.cache_clear()
    passwords._dummy_hash.cache_clear()
    yield
    passwords.hasher.cache_clear()
    passwords._dummy_hash.cache_clear()


@pytest.mark.parametrize(
    "environment",
    [
        {"TEND_ENV": "test"},  # test mode, but cheap hashing not asked for
        {"TEND_ENV": "production", "TEND_TEST_CHEAP_ARGON2": "1"},  # asked for, not allowed
        {"TEND_ENV": "development", "TEND_TEST_CHEAP_ARGON2": "1"},
    ],
)
def test_real_parameters_are_at_least_owasps(
    fresh_hasher: None, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    monkeypatch.delenv("TEND_TEST_CHEAP_ARGON2", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    hasher = passwords.hasher()

    assert hasher.memory_cost >= 19 * 1024
    assert hasher.time_cost >= 2
    assert hasher.parallelism >= 1
    assert hasher.type is argon2.Type.ID
    stored = hasher.hash("a password long enough")
    parameters = argon2.extract_parameters(stored)
    assert parameters.type is argon2.Type.ID
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2


def test_cheap_parameters_only_in_test_mode_when_asked(
    fresh_hasher: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEND_ENV", "test")
    monkeypatch.setenv("TEND_TEST_CHEAP_ARGON2", "1")
    assert passwords.hasher().memory_cost < 19 * 1024
    assert passwords.hasher().type is argon2.Type.ID  # still real argon2id


async def test_hash_then_verify() -> None:
    stored = await passwords.hash_password("plum kettle harbour")
    assert stored.startswith("$argon2id$")
    assert "plum" not in stored
    assert await passwords.verify_password(stored, "plum kettle harbour") == (True, False)
    assert await passwords.verify_password(stored, "plum kettle harbouR") == (False, False)


async def test_the_same_password_hashes_differently_each_time() -> None:
    first = await passwords.hash_password("same words every time")
    second = await passwords.hash_password("same words every time")
    assert first != second


async def test_no_stored_hash_never_matches_even_the_dummys_password() -> None:
    assert await passwords.verify_password(None, "some password") == (False, False)
    dummy_password = "no account has this password: it only spends the same time"
    assert await passwords.verify_password(None, dummy_password) == (False, False)


async def test_damaged_stored_hash_does_not_match() -> None:
    assert await passwords.verify_password("not a hash", "anything at all") == (False, False)
    assert await passwords.verify_password("", "anything at all") == (False, False)


async def test_hash_with_other_parameters_is_flagged_for_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("old password here")
    assert await passwords.verify_password(weak, "old password here") == (True, True)
