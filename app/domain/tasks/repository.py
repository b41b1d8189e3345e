"""Scoped statements and repositories for care-plan tasks and their completions.

Repositories here cannot be built without an access scope: their base statement carries
the tenant filter and the patients `me` may see (`visible_to`), so even `get()` is scoped.
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import Select, select

from app.db.models.tasks import CareTask, CareTaskCompletion
from app.domain.identity.access import AccessScope
from app.domain.patients.repository import sees_patient


def scoped_tasks(me: AccessScope) -> Select[tuple[CareTask]]:
    """Tasks of the patients `me` may see, in `me`'s tenant."""
    return select(CareTask).where(
        CareTask.tenant_id == me.tenant_id, sees_patient(me, CareTask.patient_id)
    )


def scoped_completions(me: AccessScope) -> Select[tuple[CareTaskCompletion]]:
    return select(CareTaskCompletion).where(
        CareTaskCompletion.tenant_id == me.tenant_id,
        sees_patient(me, CareTaskCompletion.patient_id),
    )


class TaskRepository(SQLAlchemyAsyncRepository[CareTask]):
    """Care-plan tasks as `me` may see them (no entity cache: it would ignore the scope)."""

    model_type = CareTask

    def __init__(self, *, me: AccessScope, **kwargs: Any) -> None:
        kwargs.pop("statement", None)
        super().__init__(statement=scoped_tasks(me), **kwargs)
        self.me = me


class CompletionRepository(SQLAlchemyAsyncRepository[CareTaskCompletion]):
    model_type = CareTaskCompletion

    def __init__(self, *, me: AccessScope, **kwargs: Any) -> None:
        kwargs.pop("statement", None)
        super().__init__(statement=scoped_completions(me), **kwargs)
        self.me = me
