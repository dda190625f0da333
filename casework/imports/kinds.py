"""The CSV kinds: the contract's six, and the optional domestic-abuse incidents; their
columns, keys and cross-field rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from .. import models as m
from . import fields as f


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    required: bool = False
    default: Any = None


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    model: type
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Columns naming other records, checked against the database: column -> "person"/"family".
    references: dict[str, str]
    # Cross-field rules: values -> [(column, message)].
    check: Callable[[dict[str, Any]], list[tuple[str, str]]] = lambda values: []

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _families_check(v: dict[str, Any]) -> list[tuple[str, str]]:
    if v["local_discretion"] and not v["local_discretion_reason"]:
        return [("local_discretion_reason", "is required when local_discretion is y")]
    return []


def _people_check(v: dict[str, Any]) -> list[tuple[str, str]]:
    if v["date_of_birth"] > dt.date.today():
        return [("date_of_birth", f"{v['date_of_birth']} is in the future")]
    return []


def _terms_check(v: dict[str, Any]) -> list[tuple[str, str]]:
    if v["sessions_unauthorised"] > v["sessions_possible"]:
        return [
            (
                "sessions_unauthorised",
                f"{v['sessions_unauthorised']} is more than sessions_possible "
                f"({v['sessions_possible']})",
            )
        ]
    return []


def _person_or_family_check(v: dict[str, Any]) -> list[tuple[str, str]]:
    if not v["person_ref"] and not v["family_ref"]:
        return [("person_ref", "give person_ref or family_ref (or both)")]
    return []


def _work_check(v: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    if v["kind"] == "benefit" and not v["benefit"]:
        problems.append(("benefit", "is required when kind is benefit"))
    if v["end_date"] and v["end_date"] < v["start_date"]:
        problems.append(("end_date", f"{v['end_date']} is before start_date {v['start_date']}"))
    return problems


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "families",
            m.Family,
            (
                Column("family_ref", f.ref, required=True),
                Column("family_name", f.text(200), required=True),
                Column("address", f.text(300)),
                Column("postcode", f.text(10)),
                Column("ward", f.text(100)),
                Column("identified_on", f.date),
                Column("attached_on", f.date),
                Column("local_discretion", f.flag, default=False),
                Column("local_discretion_reason", f.text(2000)),
            ),
            key=("family_ref",),
            references={},
            check=_families_check,
        ),
        Kind(
            "people",
            m.Person,
            (
                Column("person_ref", f.ref, required=True),
                Column("family_ref", f.ref, required=True),
                Column("given_name", f.text(100), required=True),
                Column("family_name", f.text(100), required=True),
                Column("date_of_birth", f.date, required=True),
                Column("sex", f.choice(m.SEXES)),
            ),
            key=("person_ref",),
            references={"family_ref": "family"},
            check=_people_check,
        ),
        Kind(
            "school-terms",
            m.SchoolTerm,
            (
                Column("person_ref", f.ref, required=True),
                Column("academic_year", f.academic_year, required=True),
                Column("term", f.choice(m.TERMS), required=True),
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
                Column("kind", f.choice(m.ASB_KINDS), required=True),
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
                Column("kind", f.choice(m.WORK_KINDS), required=True),
                Column("benefit", f.choice(m.BENEFITS, upper=True)),
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
    )
}
