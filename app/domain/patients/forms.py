"""The patient and access forms: what was typed, kept as typed, and checked field by field."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date
from itertools import zip_longest
from typing import Any

from litestar.datastructures import UploadFile

from app.domain.patients.codec import PatientIdentity
from app.domain.patients.photos import MAX_BYTES, PhotoRejected, clean_photo
from app.lib.day_ranges import EARLIEST_DAY, access_days
from app.lib.forms import FieldErrors
from app.lib.i18n import _

NAME_MAX = 100
ADDRESS_MAX = 500
PHONE_MAX = 30
OTHER_IDENTIFIER_MAX = 50
RELATIONSHIP_MAX = 60
MAX_ROWS = 10  # identifiers or contacts: more is a mistake, not a patient
SHOWN_ROWS = 3
EARLIEST_BIRTH = EARLIEST_DAY
IDENTIFIER_KINDS = ("nhs", "medicare", "other")


def identifier_label(kind: str) -> str:
    labels = {
        "nhs": _("NHS number"),
        "medicare": _("Medicare number"),
        "other": _("Other number"),
    }
    return labels.get(kind, labels["other"])


def _digits(value: str) -> str:
    return "".join(ch for ch in value if not ch.isspace() and ch != "-")


def _nhs_number(value: str) -> str | None:
    """ "943 476 5919" when the 10 digits carry a valid modulus-11 check digit."""
    digits = _digits(value)
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return None
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(digits[:9])) % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        return None
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def _medicare_number(value: str) -> str | None:
    """ "2123 45670 1" (and an optional 11th digit, the person's number on the card)."""
    digits = _digits(value).replace("/", "")
    if len(digits) not in (10, 11) or not digits.isascii() or not digits.isdigit():
        return None
    if digits[0] not in "23456":
        return None
    check = sum(int(d) * w for d, w in zip(digits[:8], (1, 3, 7, 9, 1, 3, 7, 9), strict=True))
    if check % 10 != int(digits[8]):
        return None
    return f"{digits[:4]} {digits[4:9]} {digits[9:]}"


def _phone(value: str) -> str | None:
    """The number as typed (trimmed) when it looks like one; None otherwise."""
    text = " ".join(value.split())
    allowed = set("0123456789+-(). ")
    digits = sum(ch.isdigit() for ch in text)
    if len(text) > PHONE_MAX or not set(text) <= allowed or digits < 6:
        return None
    return text


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _rows(*columns: list[str]) -> list[list[str]]:
    return [[cell.strip() for cell in row] for row in zip_longest(*columns, fillvalue="")][
        :MAX_ROWS
    ]


def _padded(rows: list[dict[str, str]], blank: dict[str, str]) -> list[dict[str, str]]:
    """The rows shown: every filled one, then blanks up to SHOWN_ROWS (at least one)."""
    filled = [row for row in rows if any(row.values())]
    wanted = min(MAX_ROWS, max(SHOWN_ROWS, len(filled) + 1))
    return filled + [dict(blank) for _ in range(wanted - len(filled))]


@dataclass
class PatientForm:
    given_name: str = ""
    family_name: str = ""
    preferred_name: str = ""
    date_of_birth: str = ""
    identifier_kind: list[str] = field(default_factory=list)
    identifier_value: list[str] = field(default_factory=list)
    address: str = ""
    phone: str = ""
    contact_name: list[str] = field(default_factory=list)
    contact_relationship: list[str] = field(default_factory=list)
    contact_phone: list[str] = field(default_factory=list)
    photo: UploadFile | None = None
    remove_photo: str = ""

    @classmethod
    def from_identity(cls, identity: PatientIdentity) -> PatientForm:
        return cls(
            given_name=identity.given_name,
            family_name=identity.family_name,
            preferred_name=identity.preferred_name,
            date_of_birth=identity.date_of_birth.isoformat() if identity.date_of_birth else "",
            identifier_kind=[i.get("kind", "") for i in identity.identifiers],
            identifier_value=[i.get("value", "") for i in identity.identifiers],
            address=identity.address,
            phone=identity.phone,
            contact_name=[c.get("name", "") for c in identity.emergency_contacts],
            contact_relationship=[c.get("relationship", "") for c in identity.emergency_contacts],
            contact_phone=[c.get("phone", "") for c in identity.emergency_contacts],
        )

    def identifier_rows(self) -> list[dict[str, str]]:
        rows = _rows(self.identifier_kind, self.identifier_value)
        return [{"kind": kind, "value": value} for kind, value in rows]

    def contact_rows(self) -> list[dict[str, str]]:
        rows = _rows(self.contact_name, self.contact_relationship, self.contact_phone)
        return [{"name": n, "relationship": r, "phone": p} for n, r, p in rows]

    @property
    def photo_chosen(self) -> bool:
        return self.photo is not None and bool(self.photo.filename)

    def values(self) -> dict[str, Any]:
        """Everything typed, to put back in the form (a file cannot be put back)."""
        return {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "preferred_name": self.preferred_name,
            "date_of_birth": self.date_of_birth,
            "address": self.address,
            "phone": self.phone,
            "remove_photo": bool(self.remove_photo),
            "identifiers": _padded(self.identifier_rows(), {"kind": "", "value": ""}),
            "contacts": _padded(self.contact_rows(), {"name": "", "relationship": "", "phone": ""}),
        }

    def errors(self, today: date) -> FieldErrors:
        """Problems keyed by field (rows as `identifiers-2-value`), each in words to act on."""
        errors: FieldErrors = {}
        for name, required, message in (
            ("given_name", True, _("Enter the patient's given name.")),
            ("family_name", True, _("Enter the patient's family name.")),
            ("preferred_name", False, ""),
        ):
            value = getattr(self, name).strip()
            if required and not value:
                errors[name] = message
            elif len(value) > NAME_MAX:
                errors[name] = _("Use at most %(count)s characters.", count=NAME_MAX)
        if self.date_of_birth.strip():
            born = _date(self.date_of_birth)
            if born is None:
                errors["date_of_birth"] = _("Enter the date of birth as a date, like 1941-03-12.")
            elif born > today:
                errors["date_of_birth"] = _("The date of birth cannot be in the future.")
            elif born < EARLIEST_BIRTH:
                errors["date_of_birth"] = _("Enter a date of birth from 1900 on.")
        if len(self.address.strip()) > ADDRESS_MAX:
            errors["address"] = _("Use at most %(count)s characters.", count=ADDRESS_MAX)
        if self.phone.strip() and _phone(self.phone) is None:
            errors["phone"] = _("Enter a phone number with digits, spaces and + only.")
        for index, row in enumerate(self.identifier_rows()):
            errors.update(_identifier_errors(index, row))
        for index, row in enumerate(self.contact_rows()):
            errors.update(_contact_errors(index, row))
        return errors

    def identity(self) -> PatientIdentity:
        """The cleaned identity (call after `errors()` found none); the photo is separate."""
        identifiers = []
        for row in self.identifier_rows():
            if row["value"]:
                value = _clean_identifier(row["kind"], row["value"])
                identifiers.append({"kind": row["kind"], "value": value})
        contacts = [
            {**row, "phone": _phone(row["phone"]) or row["phone"]}
            for row in self.contact_rows()
            if any(row.values())
        ]
        address_lines = [line.strip() for line in self.address.strip().splitlines()]
        return PatientIdentity(
            given_name=" ".join(self.given_name.split()),
            family_name=" ".join(self.family_name.split()),
            preferred_name=" ".join(self.preferred_name.split()),
            date_of_birth=_date(self.date_of_birth) if self.date_of_birth.strip() else None,
            identifiers=identifiers,
            address="\n".join(line for line in address_lines if line),
            phone=_phone(self.phone) or "",
            emergency_contacts=contacts,  # type: ignore[arg-type]
        )


def _clean_identifier(kind: str, value: str) -> str:
    if kind == "nhs":
        return _nhs_number(value) or value
    if kind == "medicare":
        return _medicare_number(value) or value
    return " ".join(value.split())


def _identifier_errors(index: int, row: dict[str, str]) -> FieldErrors:
    key = f"identifiers-{index}"
    if not row["value"]:
        return {}
    if row["kind"] not in IDENTIFIER_KINDS:
        return {f"{key}-kind": _("Choose what kind of number this is.")}
    if row["kind"] == "nhs" and _nhs_number(row["value"]) is None:
        message = _("This is not a valid NHS number. An NHS number has 10 digits: check it.")
        return {f"{key}-value": message}
    if row["kind"] == "medicare" and _medicare_number(row["value"]) is None:
        message = _(
            "This is not a valid Medicare number. A Medicare number has 10 digits: check it."
        )
        return {f"{key}-value": message}
    if len(row["value"]) > OTHER_IDENTIFIER_MAX:
        return {f"{key}-value": _("Use at most %(count)s characters.", count=OTHER_IDENTIFIER_MAX)}
    return {}


def _contact_errors(index: int, row: dict[str, str]) -> FieldErrors:
    key = f"contacts-{index}"
    if not any(row.values()):
        return {}
    errors: FieldErrors = {}
    if not row["name"]:
        errors[f"{key}-name"] = _("Enter the contact's name.")
    elif len(row["name"]) > NAME_MAX:
        errors[f"{key}-name"] = _("Use at most %(count)s characters.", count=NAME_MAX)
    if len(row["relationship"]) > RELATIONSHIP_MAX:
        errors[f"{key}-relationship"] = _(
            "Use at most %(count)s characters.", count=RELATIONSHIP_MAX
        )
    if _phone(row["phone"]) is None:
        errors[f"{key}-phone"] = _("Enter a phone number for this contact.")
    return errors


async def checked_photo(form: PatientForm, errors: FieldErrors) -> bytes | None:
    """The uploaded photo, cleaned; None when none was chosen or it was refused (then the
    reason is in `errors["photo"]`)."""
    if form.photo is None or not form.photo_chosen:
        return None
    data = await form.photo.read(MAX_BYTES + 1)
    if not data:
        return None
    try:
        # Decoding and re-encoding is CPU work: keep it off the event loop.
        return await asyncio.to_thread(clean_photo, data)
    except PhotoRejected as rejected:
        errors["photo"] = rejected.message
        return None


@dataclass
class GrantForm:
    user_id: str = ""
    until: str = ""

    def parsed(self, today: date) -> tuple[uuid.UUID | None, date | None, FieldErrors]:
        """(who, the last day of access or None for no end, problems)."""
        errors: FieldErrors = {}
        who: uuid.UUID | None = None
        try:
            who = uuid.UUID(self.user_id.strip())
        except ValueError:
            errors["user_id"] = _("Choose who should have access.")
        last: date | None = None
        if self.until.strip():
            last = _date(self.until)
            if last is None or last < today:
                errors["until"] = _("Choose a day from today on, or leave it empty for no end.")
            elif last not in access_days(today):
                errors["until"] = access_days(today).message()
        return who, last, errors
