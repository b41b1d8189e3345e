"""What a password must be: long enough, not too long, not common, not personal."""

from __future__ import annotations

import pytest

from app.domain.identity.password_policy import (
    MAX_LENGTH,
    MIN_LENGTH,
    common_passwords,
    password_problem,
)


def test_policy_bounds_are_sensible() -> None:
    assert MIN_LENGTH >= 12
    assert MAX_LENGTH >= 64


@pytest.mark.parametrize(
    "password",
    [
        "plum kettle harbour",
        "x" * 3 + "a7" * ((MIN_LENGTH - 3) // 2 + 1),
        "é" * 2 + "ü" * 2 + "ß" * 8,  # any script counts, character by character
        "Kettle" * 21 + "ab",  # exactly the maximum
    ],
)
def test_acceptable_passwords(password: str) -> None:
    assert len(password) <= MAX_LENGTH
    assert password_problem(password) is None


def test_one_character_short_is_refused() -> None:
    assert "at least" in (password_problem("k" * 5 + "ettle" + "x" * (MIN_LENGTH - 11)) or "")


def test_exact_minimum_is_enough() -> None:
    assert password_problem("kettlesplum7"[:MIN_LENGTH]) is None


def test_one_character_too_long_is_refused() -> None:
    assert "at most" in (password_problem("Kettle" * 21 + "abc") or "")


def test_common_password_is_refused_whatever_its_case() -> None:
    common = next(p for p in sorted(common_passwords()) if len(p) >= MIN_LENGTH)
    assert "too common" in (password_problem(common) or "")
    assert "too common" in (password_problem(common.upper()) or "")


def test_one_repeated_character_is_refused() -> None:
    assert "too common" in (password_problem("a" * MIN_LENGTH) or "")
    assert "too common" in (password_problem("ab" * MIN_LENGTH) or "")


def test_list_has_no_comments_or_blank_lines() -> None:
    assert all(entry and not entry.startswith("#") for entry in common_passwords())


@pytest.mark.parametrize(
    ("password", "email", "name"),
    [
        ("ngozi is my name ok", "", "Ngozi Okafor"),
        ("okafor family rules", "", "Ngozi Okafor"),
        ("ngozi.o works here", "ngozi.o@example.com", ""),
    ],
)
def test_name_or_email_in_the_password_is_refused(password: str, email: str, name: str) -> None:
    assert "name or email" in (password_problem(password, email=email, name=name) or "")


def test_short_name_parts_do_not_count() -> None:
    assert password_problem("plum kettle al harbour", name="Al Li") is None
