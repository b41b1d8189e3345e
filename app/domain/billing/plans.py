"""The plans of app/billing/tiers.json: which modules each includes, and their names.

tiers.json is the one place that says what a plan includes; this module reads it once
and checks that it is whole (every plan names only known modules, the default exists).
It lists only the modules Tend has built, so a plan never offers one that is not there:
a module joins the plans when it is built, with its slug in tiers.json and its label here
(tests/integration/billing/test_plan_page.py checks both against the app's routes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from babel.support import LazyProxy

from app.lib.i18n import lazy_gettext
from app.paths import TIERS_FILE

MODULE_LABELS: dict[str, LazyProxy] = {
    "care_notes": lazy_gettext("Care notes"),
    "medications": lazy_gettext("Medicines"),
    "vitals": lazy_gettext("Vitals"),
    "tasks": lazy_gettext("Care plan"),
}

PLAN_LABELS: dict[str, LazyProxy] = {
    "essentials": lazy_gettext("Essentials"),
    "family": lazy_gettext("Family"),
    "complete": lazy_gettext("Complete"),
}


@dataclass(frozen=True)
class Tiers:
    default_plan: str
    modules: tuple[str, ...]
    plans: dict[str, frozenset[str]]


@cache
def tiers() -> Tiers:
    raw = json.loads(TIERS_FILE.read_text(encoding="utf-8"))
    modules = tuple(raw["modules"])
    plans = {slug: frozenset(included) for slug, included in raw["plans"].items()}
    unknown = {m for included in plans.values() for m in included} - set(modules)
    if unknown or raw["default_plan"] not in plans or set(modules) != set(MODULE_LABELS):
        msg = f"{TIERS_FILE} does not match the modules Tend knows"
        raise ValueError(msg)
    return Tiers(raw["default_plan"], modules, plans)


def includes(plan: str, module: str) -> bool:
    """Whether `plan` includes `module`; an unknown plan includes nothing."""
    return module in tiers().plans.get(plan, frozenset())


def module_label(module: str) -> str:
    return str(MODULE_LABELS[module])


def plan_label(plan: str) -> str:
    label = PLAN_LABELS.get(plan)
    return str(label) if label is not None else plan


def modules_of(plan: str) -> tuple[str, ...]:
    """The modules `plan` includes, in the order tiers.json lists modules."""
    included = tiers().plans.get(plan, frozenset())
    return tuple(module for module in tiers().modules if module in included)


def modules_lost(old: str, new: str) -> tuple[str, ...]:
    """The modules that moving from plan `old` to plan `new` takes away."""
    kept = tiers().plans.get(new, frozenset())
    return tuple(module for module in modules_of(old) if module not in kept)


def modules_gained(old: str, new: str) -> tuple[str, ...]:
    """The modules that moving from plan `old` to plan `new` adds."""
    had = tiers().plans.get(old, frozenset())
    return tuple(module for module in modules_of(new) if module not in had)
