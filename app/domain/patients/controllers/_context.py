"""What the patient templates are given: display-ready values, so templates stay dumb."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from app.db.models import Patient, Role
from app.domain.identity.access import AccessScope
from app.domain.patients.dates import age_on, last_day, show_day, show_moment, today
from app.domain.patients.forms import IDENTIFIER_KINDS, identifier_label
from app.domain.patients.grants import AccessGrantService
from app.domain.patients.services import PatientService, PatientView
from app.lib.forms import FieldErrors
from app.lib.i18n import _


def role_label(role: str) -> str:
    labels = {
        Role.ADMIN: _("Administrator"),
        Role.CARER: _("Carer"),
        Role.OBSERVER: _("Observer"),
    }
    return labels.get(Role(role), role)


def done_message(done: str | None) -> str | None:
    """The confirmation shown after a form posted and redirected (`?done=`)."""
    messages = {
        "created": _("Patient added."),
        "updated": _("Changes saved."),
        "unchanged": _("Nothing was changed."),
        "archived": _("Patient archived. Carers and observers no longer see them."),
        "unarchived": _("Patient restored."),
        "granted": _("Access saved."),
        "revoked": _("Access removed."),
    }
    return messages.get(done or "")


def identifier_kinds() -> list[dict[str, str]]:
    return [{"value": kind, "label": identifier_label(kind)} for kind in IDENTIFIER_KINDS]


async def access_context(
    grants: AccessGrantService,
    patient: Patient,
    zone: ZoneInfo,
    form: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
) -> dict[str, Any]:
    """The access panel: who holds a grant, and the form to give one."""
    rows = []
    for grant in await grants.for_patient(patient):
        rows.append(
            {
                "user_id": str(grant.user_id),
                "name": grant.name,
                "role": role_label(grant.role),
                "until": show_day(last_day(grant.expires_at, zone)) if grant.expires_at else None,
                "expired": grant.expired,
                "active_member": grant.active_member,
            }
        )
    members = [
        {"user_id": str(m.user_id), "name": m.name, "role": role_label(m.role)}
        for m in await grants.grantable()
    ]
    return {
        "patient_id": str(patient.id),
        "archived": patient.archived_at is not None,
        "grants": rows,
        "members": members,
        "access_form": form or {"user_id": "", "until": ""},
        "access_errors": errors or {},
        "today": today(zone).isoformat(),
    }


async def patient_context(
    me: AccessScope,
    patients: PatientService,
    grants: AccessGrantService | None,
    view: PatientView,
    zone: ZoneInfo,
) -> dict[str, Any]:
    """The patient page; admins also get the access panel and who viewed the record."""
    identity = view.identity
    born = identity.date_of_birth
    context: dict[str, Any] = {
        "patient_id": str(view.patient.id),
        "name": identity.display_name,
        "full_name": f"{identity.given_name} {identity.family_name}".strip(),
        "preferred_name": identity.preferred_name,
        "born": show_day(born) if born else None,
        "age": age_on(born, today(zone)) if born else None,
        "identifiers": [
            {"label": identifier_label(i.get("kind", "")), "value": i.get("value", "")}
            for i in identity.identifiers
        ],
        "address_lines": identity.address.splitlines(),
        "phone": identity.phone,
        "contacts": identity.emergency_contacts,
        "has_photo": view.has_photo,
        "archived": view.archived,
        "can_manage": me.is_admin,
    }
    if grants is not None and me.is_admin:
        context.update(await access_context(grants, view.patient, zone))
        context["viewers"] = [
            {"name": viewer.name, "at": show_moment(viewer.at, zone)}
            for viewer in await patients.recent_viewers(view.patient)
        ]
    return context
