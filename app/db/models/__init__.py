"""Every mapped table, imported here so Alembic and the app see one metadata."""

# Each care-record module's tables register themselves on the metadata when imported.
from app.db.models import alerts, care_notes, medications, tasks, vitals  # noqa: F401
from app.db.models.base import Base, TenantOwned
from app.db.models.identity import (
    Invite,
    Membership,
    MembershipStatus,
    PasswordReset,
    RecoveryCode,
    Role,
    Session,
    User,
)
from app.db.models.patients import Patient, PatientAccess, PatientSearchTerm, PatientVisit
from app.db.models.security import AuditEvent, LoginThrottle, TenantKey
from app.db.models.tenants import Tenant, TenantSettings

__all__ = [
    "AuditEvent",
    "Base",
    "Invite",
    "LoginThrottle",
    "Membership",
    "MembershipStatus",
    "PasswordReset",
    "Patient",
    "PatientAccess",
    "PatientSearchTerm",
    "PatientVisit",
    "RecoveryCode",
    "Role",
    "Session",
    "Tenant",
    "TenantKey",
    "TenantOwned",
    "TenantSettings",
    "User",
]
