"""The access scope as bind parameters, so the Today page's statements are built once.

`visible_to(me)` and the modules' scoped selects read `me.tenant_id`, `me.user_id` and
`me.is_admin`. Given a `bound_scope`, they build the very same statement with the two ids
left as bind parameters, filled from `scope_params(me)` when it runs. An admin's statement
differs in shape (no grant check), so each is built twice, once per kind (`per_kind`), at
import time: a request then sends a ready statement instead of rebuilding the scope's
subqueries and aliases on every card.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import Uuid, bindparam
from sqlalchemy.sql.elements import BindParameter

from app.domain.identity.access import AccessScope

T = TypeVar("T")


@dataclass(frozen=True)
class _BoundScope:
    """What scoping reads of an `AccessScope`, with the ids as bind parameters."""

    is_admin: bool
    tenant_id: BindParameter[uuid.UUID] = field(
        default_factory=lambda: bindparam("scope_tenant_id", type_=Uuid)
    )
    user_id: BindParameter[uuid.UUID] = field(
        default_factory=lambda: bindparam("scope_user_id", type_=Uuid)
    )


def bound_scope(is_admin: bool) -> AccessScope:
    """A stand-in for `me` in a statement built ahead of time (see the module docstring)."""
    return cast(AccessScope, _BoundScope(is_admin))


def per_kind(build: Callable[[AccessScope], T]) -> dict[bool, T]:
    """`build`'s statement for everyone else (False) and for admins (True)."""
    return {is_admin: build(bound_scope(is_admin)) for is_admin in (False, True)}


def scope_params(me: AccessScope, **params: Any) -> dict[str, Any]:
    """The parameters of a statement built by `per_kind`, for `me`."""
    return {"scope_tenant_id": me.tenant_id, "scope_user_id": me.user_id, **params}
