"""What each recorded action is called on the audit page, in the reader's language.

An action is stored as a stable code (`patient.view`); the page shows its label here,
or the code itself for an action this list does not know, so nothing is hidden. Areas
that record a new action add its label here: tests/unit/test_audit_actions.py walks the
source for every action recorded and fails on one without a label.
"""

from __future__ import annotations

from babel.support import LazyProxy

from app.lib.i18n import lazy_gettext

AUDIT_VIEW = "audit.view"
AUDIT_EXPORT = "audit.export"
TENANT_CREATE = "tenant.create"
MEMBER_ADD = "member.add"
KEYS_ROTATE = "keys.rotate"
KEYS_RETIRE = "keys.retire"
KEYS_REWRAP = "keys.rewrap"

ACTION_LABELS: dict[str, LazyProxy] = {
    AUDIT_VIEW: lazy_gettext("Viewed the audit log"),
    AUDIT_EXPORT: lazy_gettext("Exported the audit log"),
    TENANT_CREATE: lazy_gettext("Created the care account"),
    MEMBER_ADD: lazy_gettext("Added a person to the care account"),
    KEYS_ROTATE: lazy_gettext("Changed the encryption key"),
    KEYS_RETIRE: lazy_gettext("Retired an old encryption key"),
    KEYS_REWRAP: lazy_gettext("Re-protected the encryption keys"),
    "patient.create": lazy_gettext("Added a patient"),
    "patient.list": lazy_gettext("Viewed the list of patients"),
    "patient.view": lazy_gettext("Viewed a patient"),
    "patient.photo_view": lazy_gettext("Viewed a patient's photo"),
    "patient.update": lazy_gettext("Changed a patient's details"),
    "patient.archive": lazy_gettext("Archived a patient"),
    "patient.unarchive": lazy_gettext("Restored a patient"),
    "patient.search": lazy_gettext("Searched for patients"),
    "access.grant": lazy_gettext("Gave access to a patient"),
    "access.revoke": lazy_gettext("Removed access to a patient"),
    "staff.invite": lazy_gettext("Invited a person"),
    "staff.invite_revoke": lazy_gettext("Withdrew an invitation"),
    "staff.invite_accept": lazy_gettext("Accepted an invitation"),
    "staff.role_change": lazy_gettext("Changed a person's role"),
    "staff.deactivate": lazy_gettext("Deactivated a person"),
    "staff.reactivate": lazy_gettext("Reactivated a person"),
    "staff.mfa_reset": lazy_gettext("Reset a person's two-step sign-in"),
    "tenant.settings_change": lazy_gettext("Changed the care account settings"),
    "password.change": lazy_gettext("Changed their password"),
    "password.reset_request": lazy_gettext("Asked for a password reset link by email"),
    "password.reset_link": lazy_gettext("Made a password reset link for a person"),
    "password.reset_use": lazy_gettext("Reset their password with a link"),
    "plan.change": lazy_gettext("Changed the plan"),
    "today.view": lazy_gettext("Viewed a patient's day"),
    "note.list": lazy_gettext("Viewed care notes"),
    "note.view": lazy_gettext("Viewed a care note and its history"),
    "note.create": lazy_gettext("Wrote a care note"),
    "note.update": lazy_gettext("Changed a care note"),
    "note.photo_view": lazy_gettext("Viewed a care note's photo"),
    "medication.list": lazy_gettext("Viewed the medicines"),
    "medication.create": lazy_gettext("Added a medicine"),
    "medication.update": lazy_gettext("Changed a medicine"),
    "medication.stop": lazy_gettext("Stopped a medicine"),
    "mar.view": lazy_gettext("Viewed the medicine chart"),
    "dose.record": lazy_gettext("Recorded a dose"),
    "dose.correct": lazy_gettext("Corrected a dose record"),
    "dose.effect": lazy_gettext("Recorded how well a dose worked"),
    "vitals.list": lazy_gettext("Viewed vitals"),
    "vitals.record": lazy_gettext("Recorded vitals"),
    "vitals.correct": lazy_gettext("Corrected vitals"),
    "vitals.scale": lazy_gettext("Changed the oxygen saturation scale"),
    "task.list": lazy_gettext("Viewed the care plan"),
    "task.create": lazy_gettext("Added a care-plan task"),
    "task.update": lazy_gettext("Changed a care-plan task"),
    "task.stop": lazy_gettext("Stopped a care-plan task"),
    "task.done": lazy_gettext("Recorded a care-plan task"),
    "alert.list": lazy_gettext("Viewed alerts"),
    "alert.view": lazy_gettext("Viewed an alert"),
    "alert.acknowledge": lazy_gettext("Acknowledged an alert"),
    "alert.resolve": lazy_gettext("Resolved an alert"),
    "alert.concern": lazy_gettext("Raised a concern"),
    "alert.read_all": lazy_gettext("Marked every alert as read"),
    "alert.figures": lazy_gettext("Viewed the alert figures"),
}


def action_label(action: str) -> str:
    """The label of a known action; an unknown one is shown as recorded."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def known_actions() -> list[tuple[str, str]]:
    """(code, label) of every known action, by label, for the filter's choices."""
    return sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda x: x[1])
