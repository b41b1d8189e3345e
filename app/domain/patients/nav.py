"""The tabs of a patient's record: Today, then each module the plan includes, then details.

Every module page shows them under the patient's name, so the carer always sees whose
record this is, and a module the plan lacks is never offered.
"""

from __future__ import annotations

from typing import Any

from app.domain.billing.plans import includes
from app.domain.identity.access import AccessScope
from app.domain.patients.chosen import ChosenPatient
from app.lib.i18n import _

# (tab, module or None when always there, path under /patients/{id})
TABS = (
    ("today", None, "/today"),
    ("care_notes", "care_notes", "/notes"),
    ("medications", "medications", "/medicines"),
    ("vitals", "vitals", "/vitals"),
    ("tasks", "tasks", "/tasks"),
    ("alerts", None, "/alerts"),
    ("details", None, ""),
)


def _label(tab: str) -> str:
    labels = {
        "today": _("Today"),
        "care_notes": _("Notes"),
        "medications": _("Medicines"),
        "vitals": _("Vitals"),
        "tasks": _("Care plan"),
        "alerts": _("Alerts"),
        "details": _("Details"),
    }
    return labels[tab]


def patient_frame(me: AccessScope, patient: ChosenPatient, current: str) -> dict[str, Any]:
    """What layouts/patient.html needs: the patient's name and id, and the tabs."""
    base = f"/patients/{patient.id}"
    return {
        "patient": {"id": str(patient.id), "name": patient.name, "archived": patient.archived},
        "tabs": [
            {"label": _label(tab), "url": base + path, "current": tab == current}
            for tab, module, path in TABS
            if module is None or includes(me.plan, module)
        ],
        "can_write": me.can_write_care and patient.active,
    }
