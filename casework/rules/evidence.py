"""Plain data the rules take in and give out. No database, no Flask."""

from __future__ import annotations

import dataclasses
import datetime as dt

# A record of evidence, one a row: never changed once made, compared and hashed by its
# fields, like a frozen dataclass, but not declared frozen: a frozen one sets each field
# through object.__setattr__, five times slower to make, and a full refresh makes one for
# every row of every family's evidence (millions at national scale).
record = dataclasses.dataclass(slots=True, unsafe_hash=True)


@record
class PersonData:
    ref: str
    date_of_birth: dt.date


@record
class TermData:
    person_ref: str
    start_year: int  # 2012 for the academic year 2012/13
    term: str
    sessions_possible: int
    sessions_unauthorised: int
    fixed_exclusions: int = 0
    permanent_exclusion: bool = False
    alternative_provision: bool = False
    on_roll: bool = True

    @property
    def label(self) -> str:
        return f"{self.term} {self.start_year}/{(self.start_year + 1) % 100:02d}"


@record
class AsbData:
    ref: str
    date: dt.date
    kind: str
    person_ref: str | None = None


@record
class OffenceData:
    ref: str
    person_ref: str
    date: dt.date
    proven: bool


@record
class WorkData:
    ref: str
    person_ref: str
    kind: str
    start: dt.date
    end: dt.date | None = None
    benefit: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class FamilyData:
    ref: str
    identified_on: dt.date | None = None
    attached_on: dt.date | None = None
    local_discretion: bool = False
    people: tuple[PersonData, ...] = ()
    terms: tuple[TermData, ...] = ()
    asb: tuple[AsbData, ...] = ()
    offences: tuple[OffenceData, ...] = ()
    work: tuple[WorkData, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """A criterion or result: its value, why, and the records that decided it."""

    value: bool | str
    reason: str
    evidence: tuple[str, ...] = ()
    # Numbers behind the finding, for "nearly there": e.g. {"baseline": 5, "recent": 3}.
    detail: tuple[tuple[str, object], ...] = ()

    def get(self, key: str, default=None):
        return dict(self.detail).get(key, default)


@dataclasses.dataclass(frozen=True, slots=True)
class Identification:
    date: dt.date
    screening: bool  # True when evaluated at the evaluation date for want of identified_on
    crime_asb: Finding
    education: Finding
    work: Finding
    local_discretion: bool
    eligible: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Evaluation:
    family_ref: str
    as_of: dt.date
    identification: Identification
    attached_on: dt.date | None
    results: dict[str, Finding]

    def status(self, result: str) -> str:
        return str(self.results[result].value)


# The later programmes' evidence (rulesets phase2 and supporting_families) ----------------


@record
class DomesticAbuseData:
    ref: str
    date: dt.date
    person_ref: str | None = None


@record
class ChildStatusData:
    ref: str
    person_ref: str
    status: str  # child_in_need, child_protection_plan, looked_after
    start: dt.date
    end: dt.date | None = None


@record
class HousingData:
    """A housing event of a member or the household: a tenancy change, rent arrears, a
    notice seeking possession, an eviction, temporary accommodation."""

    ref: str
    date: dt.date
    kind: str
    end: dt.date | None = None
    person_ref: str | None = None


@record
class NeedData:
    ref: str
    problem: str
    indicator: str
    identified_on: dt.date
    person_ref: str | None = None


@record
class AssessmentData:
    ref: str
    need_ref: str
    date: dt.date
    outcome: str  # positive or negative
    assessed_by: str
    note: str | None = None


@record
class DiscretionData:
    """Equivalent progress on a need, approved by a named person with a reason."""

    need_ref: str
    approved_on: dt.date
    approved_by: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True)
class OutcomeEvidence:
    """What the later programmes read beside a family's phase 1 evidence."""

    closed_on: dt.date | None = None
    domestic_abuse: tuple[DomesticAbuseData, ...] = ()
    child_status: tuple[ChildStatusData, ...] = ()
    needs: tuple[NeedData, ...] = ()
    assessments: tuple[AssessmentData, ...] = ()
    discretions: tuple[DiscretionData, ...] = ()
    housing: tuple[HousingData, ...] = ()
