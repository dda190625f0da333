"""The caseload limit (docs/rules.md, "Caseloads"): how many families a FIP worker may hold
at once and take on in a rolling window. Pure: counts and a Ruleset in, the limits passed out."""

from __future__ import annotations

import dataclasses

from .ruleset import Ruleset


@dataclasses.dataclass(frozen=True)
class LimitPassed:
    """One limit an allocation would pass: which, the worker's count before it, the limit."""

    limit: str  # "active" (open allocations) or "rolling" (families in the rolling window)
    count: int
    maximum: int


def limits_passed(active: int, rolling: frozenset[int] | set[int], family_id: int,
                  rules: Ruleset) -> list[LimitPassed]:
    """The limits that allocating the family `family_id` to a worker with `active` open
    allocations, and `rolling` the families allocated to them in the rolling window, would
    pass; none when it stays within both."""
    passed = []
    if active + 1 > rules.caseload_max_active:
        passed.append(LimitPassed("active", active, rules.caseload_max_active))
    if len(set(rolling) | {family_id}) > rules.caseload_max_rolling:
        passed.append(LimitPassed("rolling", len(rolling), rules.caseload_max_rolling))
    return passed
