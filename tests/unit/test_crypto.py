"""AES-256-GCM sealing: a ciphertext opens only with its key, in its place, as sealed."""

from __future__ import annotations

import uuid

import pytest

from app.lib import crypto
from app.lib.crypto import DecryptionError, MasterKeys

TENANT = uuid.uuid4()
ROW = uuid.uuid4()
HERE = crypto.field_context(TENANT, "patients", "given_name", ROW)


def test_round_trip() -> None:
    key = crypto.new_key()
    sealed = crypto.seal(key, 3, "Zoë Ōkafor".encode(), HERE)
    assert "Zoë".encode() not in sealed
    assert crypto.open_sealed(key, sealed, HERE) == "Zoë Ōkafor".encode()
    assert crypto.key_version(sealed) == 3


def test_each_seal_uses_a_fresh_nonce() -> None:
    key = crypto.new_key()
    assert crypto.seal(key, 1, b"same", HERE) != crypto.seal(key, 1, b"same", HERE)


@pytest.mark.parametrize(
    "elsewhere",
    [
        crypto.field_context(uuid.uuid4(), "patients", "given_name", ROW),  # another tenant
        crypto.field_context(TENANT, "patients", "family_name", ROW),  # another column
        crypto.field_context(TENANT, "patients", "given_name", uuid.uuid4()),  # another row
        crypto.field_context(TENANT, "documents", "given_name", ROW),  # another table
        b"",
    ],
)
def test_wrong_context_does_not_open(elsewhere: bytes) -> None:
    key = crypto.new_key()
    sealed = crypto.seal(key, 1, b"secret", HERE)
    with pytest.raises(DecryptionError):
        crypto.open_sealed(key, sealed, elsewhere)


def test_wrong_key_does_not_open() -> None:
    sealed = crypto.seal(crypto.new_key(), 1, b"secret", HERE)
    with pytest.raises(DecryptionError):
        crypto.open_sealed(crypto.new_key(), sealed, HERE)


def test_changed_key_version_does_not_open() -> None:
    key = crypto.new_key()
    sealed = crypto.seal(key, 1, b"secret", HERE)
    relabelled = sealed[:1] + (2).to_bytes(4, "big") + sealed[5:]
    assert crypto.key_version(relabelled) == 2
    with pytest.raises(DecryptionError):
        crypto.open_sealed(key, relabelled, HERE)


def test_changed_format_byte_is_refused() -> None:
    key = crypto.new_key()
    sealed = crypto.seal(key, 1, b"secret", HERE)
    with pytest.raises(DecryptionError):
        crypto.open_sealed(key, b"\x02" + sealed[1:], HERE)


@pytest.mark.parametrize("position", [6, 20, -1])
def test_flipped_bit_is_refused(position: int) -> None:
    key = crypto.new_key()
    sealed = bytearray(crypto.seal(key, 1, b"secret", HERE))
    sealed[position] ^= 0x01
    with pytest.raises(DecryptionError):
        crypto.open_sealed(key, bytes(sealed), HERE)


@pytest.mark.parametrize("damaged", [b"", b"\x01", b"\x01" + b"\x00" * 20, b"plain text value"])
def test_truncated_or_foreign_bytes_are_refused(damaged: bytes) -> None:
    with pytest.raises(DecryptionError):
        crypto.open_sealed(crypto.new_key(), damaged, HERE)


def test_master_keys_wrap_and_unwrap_a_data_key() -> None:
    master = MasterKeys(crypto.new_key())
    dek = crypto.new_key()
    wrapped = master.wrap(dek, TENANT, 1, "data")
    assert dek not in wrapped
    name = crypto.fingerprint(master.current)
    assert master.unwrap(wrapped, name, TENANT, 1, "data") == dek
    for tenant, version, purpose in (
        (uuid.uuid4(), 1, "data"),
        (TENANT, 2, "data"),
        (TENANT, 1, "search"),
    ):
        with pytest.raises(DecryptionError):
            master.unwrap(wrapped, name, tenant, version, purpose)


def test_previous_master_key_still_unwraps_during_rotation() -> None:
    old = MasterKeys(crypto.new_key())
    wrapped = old.wrap(b"k" * 32, TENANT, 1, "data")
    rotated = MasterKeys(crypto.new_key(), previous=(old.current,))
    assert rotated.unwrap(wrapped, crypto.fingerprint(old.current), TENANT, 1, "data") == b"k" * 32
    with pytest.raises(DecryptionError):
        MasterKeys(crypto.new_key()).unwrap(
            wrapped, crypto.fingerprint(old.current), TENANT, 1, "data"
        )


def test_keys_round_trip_through_their_text_form() -> None:
    key = crypto.new_key()
    assert len(key) == crypto.KEY_BYTES
    assert crypto.parse_key(crypto.encode_key(key), "TEST_KEY") == key


@pytest.mark.parametrize("text", ["", "short", "!!!not base64!!!", "A" * 60])
def test_bad_key_text_stops_the_app(text: str) -> None:
    with pytest.raises(SystemExit, match="TEST_KEY"):
        crypto.parse_key(text, "TEST_KEY")


def test_fingerprint_names_a_key_without_revealing_it() -> None:
    key = crypto.new_key()
    assert crypto.fingerprint(key) == crypto.fingerprint(key)
    assert crypto.fingerprint(key) != crypto.fingerprint(crypto.new_key())
    assert key.hex()[:16] not in crypto.fingerprint(key)
