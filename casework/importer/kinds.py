"""The CSV kinds: the contract's six, and the optional ones added since (domestic abuse;
the later programmes' child statuses, needs and assessments); their columns, keys and
cross-field rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from .. import models as m
from ..rules.dates import TERM_ORDER
from ..rules.ruleset import RULESETS
from . import fields as f

# A need's problem is a headline problem of one of the later programmes' frames.
HEADLINE_PROBLEMS = tuple(dict.fromkeys(
    p for r in RULESETS.values() for p in getattr(r, "headline_problems", ())))


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    parse: f.Field
    required: bool = False
    default: Any = None


# A cross-field rule reads the file a column at a time (name -> one value per row) and returns
# (row index, column, message) for each row that breaks it.
Problems = list[tuple[int, str, str]]


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    model: type
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Columns naming other records, checked against the database: column -> "person"/"family".
    references: dict[str, str]
    check: Callable[[dict[str, list]], Problems] = lambda columns: []
    # Columns whose value on a record the file creates goes in the record's history too, so
    # where it came from is known (a family's attachment date: an import, or a sign-up).
    kept_on_create: tuple[str, ...] = ()
    # Columns the header must have though a row may leave them blank (a cross-field rule
    # says when a blank is allowed).
    required_header: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _families_check(c: dict[str, list]) -> Problems:
    """A discretionary family says why; a family is not identified in the future, nor
    attached before it was identified."""
    today = dt.date.today()
    problems = [
        (i, "local_discretion_reason", "is required when local_discretion is y")
        for i, (flag, reason) in enumerate(zip(c["local_discretion"], c["local_discretion_reason"]))
        if flag and not reason
    ]
    for i, (identified, attached) in enumerate(zip(c["identified_on"], c["attached_on"])):
        if identified is not None and identified > today:
            problems.append((i, "identified_on", f"{identified} is in the future"))
        if identified is not None and attached is not None and attached < identified:
            problems.append((i, "attached_on", f"{attached} is before identified_on "
                                               f"{identified}"))
    problems.sort(key=lambda p: p[0])
    return problems


def _people_check(c: dict[str, list]) -> Problems:
    """A person has a date of birth, or an unborn child an expected one, never both (the
    Standard Safeguarding Dataset's rule); neither birth nor death is in the future, and no
    one dies before they are born."""
    today = dt.date.today()
    problems = []
    for i, (born, expected, died) in enumerate(
        zip(c["date_of_birth"], c["expected_date_of_birth"], c["date_of_death"])
    ):
        if born is None and expected is None:
            problems.append((i, "date_of_birth", "is required (or expected_date_of_birth for "
                                                 "an unborn child)"))
        if born is not None and expected is not None:
            problems.append((i, "expected_date_of_birth", "give date_of_birth or "
                                                          "expected_date_of_birth, not both"))
        if born is not None and born > today:
            problems.append((i, "date_of_birth", f"{born} is in the future"))
        if died is not None and died > today:
            problems.append((i, "date_of_death", f"{died} is in the future"))
        if died is not None and born is not None and died < born:
            problems.append((i, "date_of_death", f"{died} is before date_of_birth {born}"))
    return problems


def _terms_check(c: dict[str, list]) -> Problems:
    return [
        (i, "sessions_unauthorised", f"{missed} is more than sessions_possible ({possible})")
        for i, (missed, possible) in enumerate(
            zip(c["sessions_unauthorised"], c["sessions_possible"])
        )
        if missed > possible
    ]


def _person_or_family_check(c: dict[str, list]) -> Problems:
    return [(i, "person_ref", "give person_ref or family_ref (or both)")
            for i, (person, family) in enumerate(zip(c["person_ref"], c["family_ref"]))
            if not person and not family]


def _work_check(c: dict[str, list]) -> Problems:
    problems = [(i, "benefit", "is required when kind is benefit")
                for i, (kind, benefit) in enumerate(zip(c["kind"], c["benefit"]))
                if kind == "benefit" and not benefit]
    problems += [(i, "end_date", f"{end} is before start_date {start}")
                 for i, (start, end) in enumerate(zip(c["start_date"], c["end_date"]))
                 if end and end < start]
    return sorted(problems)


def _dates_check(c: dict[str, list]) -> Problems:
    return [(i, "end_date", f"{end} is before start_date {start}")
            for i, (start, end) in enumerate(zip(c["start_date"], c["end_date"]))
            if end and end < start]


def _assessments_check(c: dict[str, list]) -> Problems:
    """Each assessment is of a need already imported."""
    from sqlalchemy import select

    from ..extensions import db

    wanted = sorted(set(c["need_ref"]) - {None})
    known = set()
    for i in range(0, len(wanted), 900):
        known.update(db.session.scalars(
            select(m.Need.need_ref).where(m.Need.need_ref.in_(wanted[i : i + 900]))))
    return [(i, "need_ref", f"no need with reference {ref} exists; import the needs first")
            for i, ref in enumerate(c["need_ref"]) if ref and ref not in known]


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "families",
            m.Family,
            (
                Column("family_ref", f.ref, required=True),
                Column("family_name", f.Text(200), required=True),
                Column("address", f.Text(300)),
                Column("postcode", f.Text(10)),
                Column("ward", f.Text(100)),
                Column("identified_on", f.date),
                Column("attached_on", f.date),
                Column("local_discretion", f.flag, default=False),
                Column("local_discretion_reason", f.Text(2000)),
                Column("closed_on", f.date),
            ),
            key=("family_ref",),
            references={},
            kept_on_create=("attached_on",),
            check=_families_check,
        ),
        Kind(
            "people",
            m.Person,
            (
                Column("person_ref", f.ref, required=True),
                Column("family_ref", f.ref, required=True),
                Column("given_name", f.Text(100), required=True),
                Column("family_name", f.Text(100), required=True),
                # Its column is required; a value, unless expected_date_of_birth has one.
                Column("date_of_birth", f.date),
                Column("sex", f.Choice(m.SEXES)),
                Column("gender", f.Choice(tuple(m.GENDERS))),
                Column("ethnicity", f.Choice(tuple(m.ETHNICITIES), upper=True)),
                Column("nhs_number", f.nhs_number),
                Column("upn", f.upn),
                Column("expected_date_of_birth", f.date),
                Column("date_of_death", f.date),
            ),
            key=("person_ref",),
            required_header=("date_of_birth",),
            references={"family_ref": "family"},
            check=_people_check,
        ),
        Kind(
            "school-terms",
            m.SchoolTerm,
            (
                Column("person_ref", f.ref, required=True),
                Column("academic_year", f.academic_year, required=True),
                Column("term", f.Choice(TERM_ORDER), required=True),
                Column("sessions_possible", f.count, required=True),
                Column("sessions_unauthorised", f.count, required=True),
                Column("fixed_exclusions", f.count, default=0),
                Column("permanent_exclusion", f.flag, default=False),
                Column("alternative_provision", f.flag, default=False),
                Column("on_roll", f.flag, default=True),
            ),
            key=("person_ref", "academic_year", "term"),
            references={"person_ref": "person"},
            check=_terms_check,
        ),
        Kind(
            "asb",
            m.AsbRecord,
            (
                Column("asb_ref", f.ref, required=True),
                Column("person_ref", f.ref),
                Column("family_ref", f.ref),
                Column("date", f.date, required=True),
                Column("kind", f.Choice(m.ASB_KINDS), required=True),
            ),
            key=("asb_ref",),
            references={"person_ref": "person", "family_ref": "family"},
            check=_person_or_family_check,
        ),
        Kind(
            "offences",
            m.Offence,
            (
                Column("offence_ref", f.ref, required=True),
                Column("person_ref", f.ref, required=True),
                Column("offence_date", f.date, required=True),
                Column("proven", f.flag, required=True),
            ),
            key=("offence_ref",),
            references={"person_ref": "person"},
        ),
        Kind(
            "work",
            m.WorkSpell,
            (
                Column("work_ref", f.ref, required=True),
                Column("person_ref", f.ref, required=True),
                Column("kind", f.Choice(m.WORK_KINDS), required=True),
                Column("benefit", f.Choice(m.BENEFITS, upper=True)),
                Column("start_date", f.date, required=True),
                Column("end_date", f.date),
            ),
            key=("work_ref",),
            references={"person_ref": "person"},
            check=_work_check,
        ),
        Kind(
            "domestic-abuse",
            m.DomesticAbuseIncident,
            (
                Column("incident_ref", f.ref, required=True),
                Column("person_ref", f.ref),
                Column("family_ref", f.ref),
                Column("date", f.date, required=True),
            ),
            key=("incident_ref",),
            references={"person_ref": "person", "family_ref": "family"},
            check=_person_or_family_check,
        ),
        Kind(
            "child-status",
            m.ChildStatus,
            (
                Column("status_ref", f.ref, required=True),
                Column("person_ref", f.ref, required=True),
                Column("status", f.Choice(m.CHILD_STATUSES), required=True),
                Column("start_date", f.date, required=True),
                Column("end_date", f.date),
            ),
            key=("status_ref",),
            references={"person_ref": "person"},
            check=_dates_check,
        ),
        Kind(
            "needs",
            m.Need,
            (
                Column("need_ref", f.ref, required=True),
                Column("family_ref", f.ref, required=True),
                Column("person_ref", f.ref),
                Column("problem", f.Choice(HEADLINE_PROBLEMS), required=True),
                Column("indicator", f.ref, required=True),
                Column("identified_on", f.date, required=True),
            ),
            key=("need_ref",),
            references={"family_ref": "family", "person_ref": "person"},
        ),
        Kind(
            "assessments",
            m.Assessment,
            (
                Column("assessment_ref", f.ref, required=True),
                Column("need_ref", f.ref, required=True),
                Column("date", f.date, required=True),
                Column("outcome", f.Choice(m.ASSESSMENT_OUTCOMES), required=True),
                Column("assessed_by", f.Text(200), required=True),
                Column("note", f.Text(2000)),
            ),
            key=("assessment_ref",),
            references={},
            check=_assessments_check,
        ),
    )
}
