"""The plan form: the plan chosen, and whether losing modules was confirmed."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.billing.plans import tiers
from app.lib.forms import FieldErrors
from app.lib.i18n import _


@dataclass
class PlanForm:
    plan: str = ""
    confirm: str = ""
    """The plan whose loss of modules was confirmed: a confirmation is for that plan only,
    so choosing another one afterwards asks again."""

    def errors(self) -> FieldErrors:
        if self.plan not in tiers().plans:
            return {"plan": _("Choose one of the plans below.")}
        return {}

    @property
    def confirmed(self) -> bool:
        return bool(self.plan) and self.confirm == self.plan
