"""The caseload limit (domain reference: allocation): how many families a FIP worker may hold
at once and take on in a rolling window. Pure: counts and a Ruleset in, the limits passed out."""

from __future__ import annotations

import datetime as dt

from .ruleset import Ruleset


def limits_passed(active: int, rolling: frozenset[int] | set[int], family_id: int,
                  on: dt.date, rules: Ruleset) -> list[str]:
    """What allocating the family `family_id` on `on` to a worker with `active` open
    allocations, and `rolling` the families allocated to them in the rolling window to `on`,
    would pass: one sentence a limit, none when it stays within both."""
    passed = []
    if active + 1 > rules.caseload_max_active:
        passed.append(f"{active} active families (limit {rules.caseload_max_active})")
    if len(set(rolling) | {family_id}) > rules.caseload_max_rolling:
        passed.append(
            f"{len(rolling)} families allocated in the {rules.caseload_rolling_months} months "
            f"to {on} (limit {rules.caseload_max_rolling})")
    return passed
