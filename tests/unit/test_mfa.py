"""TOTP codes and recovery codes, without the database."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest

from app.domain.identity import mfa
from app.lib.crypto import DecryptionError, new_key

SECRET = pyotp.random_base32()
NOW = 1_800_000_015.0  # mid-step, so ±1 step is unambiguous
STEP = int(NOW // 30)


def code_at(step: int) -> str:
    return pyotp.TOTP(SECRET).at(step * 30)


def test_current_code_matches_its_step() -> None:
    assert mfa.matching_step(SECRET, code_at(STEP), at=NOW) == STEP


@pytest.mark.parametrize("drift", [-1, 1])
def test_one_step_of_clock_drift_either_way_is_allowed(drift: int) -> None:
    assert mfa.matching_step(SECRET, code_at(STEP + drift), at=NOW) == STEP + drift


@pytest.mark.parametrize("drift", [-3, -2, 2, 3])
def test_more_drift_is_refused(drift: int) -> None:
    code = code_at(STEP + drift)
    if code in {code_at(STEP + d) for d in (-1, 0, 1)}:
        pytest.skip("codes of different steps happen to coincide")
    assert mfa.matching_step(SECRET, code, at=NOW) is None


def test_wrong_code_is_refused() -> None:
    valid = {code_at(STEP + d) for d in (-1, 0, 1)}
    wrong = next(c for c in ("000000", "123456", "999999", "424242") if c not in valid)
    assert mfa.matching_step(SECRET, wrong, at=NOW) is None


def test_code_of_another_secret_is_refused() -> None:
    other = pyotp.random_base32()
    code = pyotp.TOTP(other).at(NOW)
    if code in {code_at(STEP + d) for d in (-1, 0, 1)}:
        pytest.skip("codes of different secrets happen to coincide")
    assert mfa.matching_step(SECRET, code, at=NOW) is None


def test_spaces_and_dashes_typed_in_a_code_are_ignored() -> None:
    code = code_at(STEP)
    assert mfa.matching_step(SECRET, f" {code[:3]} {code[3:]} ", at=NOW) == STEP
    assert mfa.matching_step(SECRET, f"{code[:3]}-{code[3:]}", at=NOW) == STEP


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "12345678"])
def test_not_six_digits_is_refused(typed: str) -> None:
    assert mfa.matching_step(SECRET, typed, at=NOW) is None


def test_default_time_is_now() -> None:
    assert mfa.matching_step(SECRET, pyotp.TOTP(SECRET).now()) in {
        int(time.time() // 30) + d for d in (-1, 0, 1)
    }


def test_secret_seals_and_opens_only_for_its_person_and_key() -> None:
    key, person = new_key(), uuid.uuid4()
    sealed = mfa.seal_secret(key, person, SECRET)
    assert SECRET.encode() not in sealed
    assert mfa.open_secret(key, person, sealed) == SECRET
    with pytest.raises(DecryptionError):
        mfa.open_secret(key, uuid.uuid4(), sealed)
    with pytest.raises(DecryptionError):
        mfa.open_secret(new_key(), person, sealed)


def test_provisioning_uri_names_tend_and_the_person() -> None:
    uri = mfa.provisioning_uri(SECRET, "ada@example.com")
    assert uri.startswith("otpauth://totp/")
    assert "issuer=Tend" in uri
    assert f"secret={SECRET}" in uri
    assert "ada%40example.com" in uri


def test_qr_code_is_inline_svg_without_script() -> None:
    svg = str(mfa.qr_svg(mfa.provisioning_uri(SECRET, "ada@example.com")))
    assert svg.startswith("<svg")
    assert "<script" not in svg


def test_qr_code_scales_to_its_box_instead_of_being_cropped() -> None:
    # Sized by a viewBox alone: CSS may make it any size and the whole code still shows.
    svg = str(mfa.qr_svg(mfa.provisioning_uri(SECRET, "ada@example.com")))
    opening = svg[: svg.index(">")]
    assert re.search(r'viewBox="0 0 (\d+) \1"', opening)
    assert "width=" not in opening
    assert "height=" not in opening


def test_ten_distinct_recovery_codes_easy_to_read_aloud() -> None:
    codes = mfa.new_recovery_codes()
    assert len(codes) == len(set(codes)) == 10
    for code in codes:
        assert len(code) == 11
        assert code[5] == "-"
        assert not set(code.replace("-", "")) & set("01ilo")


def test_recovery_code_hash_ignores_case_and_separators() -> None:
    code = mfa.new_recovery_codes()[0]
    assert mfa._hash_code(code) == mfa._hash_code(code.upper().replace("-", " "))
    assert mfa._hash_code(code) != mfa._hash_code(mfa.new_recovery_codes()[0])
