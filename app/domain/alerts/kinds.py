"""What raises an alert, and how serious each kind is (the issue's rules, in one place)."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    URGENT = "urgent"


class Kind(StrEnum):
    NEWS2_MEDIUM = "news2_medium"  # aggregate 5–6
    NEWS2_SINGLE = "news2_single"  # a single parameter scoring 3
    NEWS2_HIGH = "news2_high"  # 7 or more: escalates at once
    DOSE_UNRECORDED = "dose_unrecorded"  # a scheduled dose's window closed with no outcome
    DOSE_NOT_GIVEN = "dose_not_given"  # recorded refused or missed
    TASK_OVERDUE = "task_overdue"
    CONCERN = "concern"  # raised by hand from a patient's screen


SEVERITY: dict[Kind, Severity] = {
    Kind.NEWS2_MEDIUM: Severity.URGENT,
    Kind.NEWS2_SINGLE: Severity.URGENT,
    Kind.NEWS2_HIGH: Severity.URGENT,
    Kind.DOSE_UNRECORDED: Severity.WARNING,
    Kind.DOSE_NOT_GIVEN: Severity.WARNING,
    Kind.TASK_OVERDUE: Severity.INFO,
    Kind.CONCERN: Severity.WARNING,  # the carer may choose another
}

ESCALATES_AT_ONCE = frozenset({Kind.NEWS2_HIGH})
