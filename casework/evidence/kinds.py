"""Every kind of partner file, declared once: its columns and their checks, its label,
an example row, whose record it is (a person's, a family's, or either), how a stored row
becomes the rules' plain data and a claim's frozen evidence, and how it is shown on the family
page and in a subject access export. The importer, the import pages, the evaluation's loader,
the re-evaluation on change, the family page, the claim evidence and the subject access export
all read it; docs/architecture.md says how to add a kind."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from .. import clock
from .. import models as m
from ..rules.dates import TERM_ORDER, age_on, fmt, govdate, parse_academic_year
from ..rules.evidence import (
    AsbData,
    ChildStatusData,
    DomesticAbuseData,
    HousingData,
    OffenceData,
    TermData,
    WorkData,
)
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


def day(value) -> dt.date | None:
    """A stored date as a date: SQLite read raw hands back ISO text, PostgreSQL a date."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def day_text(value: str | None) -> str:
    """A frozen ISO date as the claim evidence prints it (5 Jan 2013), or 'none'."""
    return fmt(dt.date.fromisoformat(value)) if value else "none"


def _words(value: str) -> str:
    return value.replace("_", " ")


@dataclasses.dataclass(frozen=True)
class Rules:
    """How a stored row of the kind becomes the rules' plain data, and back and forth from
    the evidence frozen into a claim (the snapshot's key: `frozen_as`)."""

    # The attribute of rules.FamilyData (the 2012 rules) or, with `later`, of
    # rules.OutcomeEvidence (the later programmes) that holds the kind's records.
    field: str
    # The model's columns read, in the order `make` takes them.
    columns: tuple[str, ...]
    # (values of `columns`, the person's reference or None for the family's own) -> data.
    make: Callable[[tuple, str | None], Any]
    frozen: Callable[[Any], dict]  # data -> the snapshot's row (with its "ref")
    thawed: Callable[[dict], Any]  # the snapshot's row -> data
    # The snapshot's row as the claim evidence prints it beside a need: (ISO date, text).
    line: Callable[[dict], tuple[str | None, str]] | None = None
    later: bool = False
    frozen_as: str = ""
    # The snapshot's rows are sorted by this (default: the reference).
    order: Callable[[dict], Any] = lambda row: row["ref"]


@dataclasses.dataclass(frozen=True)
class Cell:
    """One column of the kind's table on the family page: its heading, and the cell's text
    from the record and the family's people by id."""

    heading: str
    text: Callable[[Any, dict], Any]
    numeric: bool = False


@dataclasses.dataclass(frozen=True)
class Shown:
    """The kind's section of the family page and of a subject access export."""

    heading: str  # the family page's section heading (its caption too)
    anchor: str
    empty: str  # "No offences recorded."
    cells: tuple[Cell, ...]
    # The family page's order: model -> ORDER BY clauses.
    order: Callable[[type], tuple]
    export_as: str  # the subject access export's key
    exported: tuple[str, ...]  # the model's fields a subject access export holds


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
    label: str = ""  # the import page's words for the kind
    # An example file's rows (imports cleanly after the kinds before it; plainly made up).
    examples: tuple[tuple[str, ...], ...] = ()
    # Whose record a row of evidence is: "person" (person_id), or "either" (a person's, or
    # with person_id empty the family's own, family_id); None for the kinds that are not
    # evidence read by the rules (families, people, needs, assessments).
    owner: str | None = None
    rules: Rules | None = None
    shown: Shown | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def ref_column(self) -> str:
        return self.key[0]


def _families_check(c: dict[str, list]) -> Problems:
    """A discretionary family says why; a family is not identified in the future, nor
    attached before it was identified."""
    today = clock.today()
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
    today = clock.today()
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


def _housing_check(c: dict[str, list]) -> Problems:
    problems = _person_or_family_check(c) + [
        (i, "end_date", f"{end} is before date {start}")
        for i, (start, end) in enumerate(zip(c["date"], c["end_date"])) if end and end < start]
    return sorted(problems)


# How each kind of evidence is read by the rules, frozen into claims and shown -------------


def _who(record, people: dict) -> str:
    """Whose record it is on the family page: the member's name, or the family's own."""
    return people[record.person_id].full_name if record.person_id in people else "The family"


def _percent_missed(t) -> str:
    if not t.sessions_possible:
        return str(t.sessions_unauthorised)
    return f"{t.sessions_unauthorised} ({round(100 * t.sessions_unauthorised / t.sessions_possible, 1)}%)"


def _term_other(t) -> str:
    return ", ".join(text for text, on in (("Permanently excluded", t.permanent_exclusion),
                                           ("Alternative provision", t.alternative_provision),
                                           ("Not on roll", not t.on_roll)) if on)


TERMS_RULES = Rules(
    "terms",
    ("academic_year", "term", "sessions_possible", "sessions_unauthorised", "fixed_exclusions",
     "permanent_exclusion", "alternative_provision", "on_roll"),
    make=lambda v, who: TermData(who, parse_academic_year(v[0]), v[1], v[2], v[3], v[4],
                                 bool(v[5]), bool(v[6]), bool(v[7])),
    frozen=lambda t: {
        "ref": f"{t.person_ref}/{t.label}", "person_ref": t.person_ref, "term": t.label,
        "sessions_possible": t.sessions_possible, "sessions_unauthorised": t.sessions_unauthorised,
        "fixed_exclusions": t.fixed_exclusions, "permanent_exclusion": t.permanent_exclusion,
        "alternative_provision": t.alternative_provision, "on_roll": t.on_roll,
        "order": [t.person_ref, t.start_year, TERM_ORDER.index(t.term)]},
    thawed=lambda t: TermData(t["person_ref"], t["order"][1], t["term"].split()[0],
                              t["sessions_possible"], t["sessions_unauthorised"],
                              t["fixed_exclusions"], t["permanent_exclusion"],
                              t["alternative_provision"], t["on_roll"]),
    frozen_as="school_terms",
    order=lambda row: row["order"],
)
TERMS_SHOWN = Shown(
    "School terms", "school", "No school terms recorded.",
    (Cell("Child", lambda t, people: people[t.person_id].full_name),
     Cell("Term", lambda t, people: f"{t.term.capitalize()} {t.academic_year}"),
     Cell("Sessions", lambda t, people: t.sessions_possible, numeric=True),
     Cell("Unauthorised", lambda t, people: _percent_missed(t), numeric=True),
     Cell("Fixed exclusions", lambda t, people: t.fixed_exclusions, numeric=True),
     Cell("Other", lambda t, people: _term_other(t))),
    order=lambda T: (T.person_id, T.academic_year.desc(), T.id),
    export_as="school_terms",
    exported=("academic_year", "term", "sessions_possible", "sessions_unauthorised",
              "fixed_exclusions", "permanent_exclusion", "alternative_provision", "on_roll"),
)

ASB_RULES = Rules(
    "asb", ("asb_ref", "date", "kind"),
    make=lambda v, who: AsbData(v[0], day(v[1]), v[2], who),
    frozen=lambda a: {"ref": a.ref, "date": a.date.isoformat(), "kind": a.kind,
                      "person_ref": a.person_ref},
    thawed=lambda a: AsbData(a["ref"], day(a["date"]), a["kind"], a["person_ref"]),
    line=lambda a: (a["date"], f"anti-social behaviour, {_words(a['kind'])}, "
                               f"{a['person_ref'] or 'the family'}"),
    frozen_as="asb",
)
ASB_SHOWN = Shown(
    "Anti-social behaviour", "asb", "No anti-social behaviour recorded.",
    (Cell("Date", lambda a, people: govdate(a.date)),
     Cell("Kind", lambda a, people: m.ASB_KIND_LABELS[a.kind]),
     Cell("Who", _who),
     Cell("Reference", lambda a, people: a.asb_ref)),
    order=lambda A: (A.date.desc(),),
    export_as="asb", exported=("asb_ref", "date", "kind"),
)

OFFENCES_RULES = Rules(
    "offences", ("offence_ref", "offence_date", "proven"),
    make=lambda v, who: OffenceData(v[0], who, day(v[1]), bool(v[2])),
    frozen=lambda o: {"ref": o.ref, "date": o.date.isoformat(), "person_ref": o.person_ref,
                      "proven": o.proven},
    thawed=lambda o: OffenceData(o["ref"], o["person_ref"], day(o["date"]), o["proven"]),
    line=lambda o: (o["date"], f"{'proven' if o['proven'] else 'unproven'} offence, "
                               f"{o['person_ref']}"),
    frozen_as="offences",
)
OFFENCES_SHOWN = Shown(
    "Offences", "offences", "No offences recorded.",
    (Cell("Date", lambda o, people: govdate(o.offence_date)),
     Cell("Who", lambda o, people: people[o.person_id].full_name),
     Cell("Age then", lambda o, people: age_on(people[o.person_id].date_of_birth,
                                               o.offence_date)),
     Cell("Proven", lambda o, people: "Yes" if o.proven else "No"),
     Cell("Reference", lambda o, people: o.offence_ref)),
    order=lambda model: (model.offence_date.desc(),),
    export_as="offences", exported=("offence_ref", "offence_date", "proven"),
)

WORK_RULES = Rules(
    "work", ("work_ref", "kind", "start_date", "end_date", "benefit"),
    make=lambda v, who: WorkData(v[0], who, v[1], day(v[2]), day(v[3]), v[4]),
    frozen=lambda w: {"ref": w.ref, "person_ref": w.person_ref, "kind": w.kind,
                      "benefit": w.benefit, "start": w.start.isoformat(), "end": iso(w.end)},
    thawed=lambda w: WorkData(w["ref"], w["person_ref"], w["kind"], day(w["start"]),
                              day(w["end"]) if w["end"] else None, w["benefit"]),
    line=lambda w: (w["start"], f"{m.WORK_KIND_LABELS.get(w['kind'], _words(w['kind'])).lower()}"
                                f"{' (' + w['benefit'] + ')' if w['benefit'] else ''}, "
                                f"{w['person_ref']}, from {day_text(w['start'])} to "
                                f"{day_text(w['end']) if w['end'] else 'continuing'}"),
    frozen_as="work",
)
WORK_SHOWN = Shown(
    "Benefits and work", "work", "No benefits or work recorded.",
    (Cell("Who", lambda w, people: people[w.person_id].full_name),
     Cell("What", lambda w, people: m.WORK_KIND_LABELS[w.kind]
          + (f" ({w.benefit})" if w.benefit else "")),
     Cell("From", lambda w, people: govdate(w.start_date)),
     Cell("To", lambda w, people: govdate(
         w.end_date, "Ongoing" if w.kind in ("benefit", "employment") else "")),
     Cell("Reference", lambda w, people: w.work_ref)),
    order=lambda W: (W.start_date.desc(),),
    export_as="work", exported=("work_ref", "kind", "benefit", "start_date", "end_date"),
)

ABUSE_RULES = Rules(
    "domestic_abuse", ("incident_ref", "date"),
    make=lambda v, who: DomesticAbuseData(v[0], day(v[1]), who),
    frozen=lambda d: {"ref": d.ref, "date": d.date.isoformat(), "person_ref": d.person_ref},
    thawed=lambda d: DomesticAbuseData(d["ref"], day(d["date"]), d["person_ref"]),
    line=lambda d: (d["date"], f"domestic abuse incident, {d['person_ref'] or 'the family'}"),
    later=True, frozen_as="domestic_abuse",
)
ABUSE_SHOWN = Shown(
    "Domestic abuse incidents", "domestic-abuse", "No domestic abuse incidents recorded.",
    (Cell("Date", lambda d, people: govdate(d.date)),
     Cell("Who", _who),
     Cell("Reference", lambda d, people: d.incident_ref)),
    order=lambda D: (D.date.desc(),),
    export_as="domestic_abuse_incidents", exported=("incident_ref", "date"),
)

STATUS_RULES = Rules(
    "child_status", ("status_ref", "status", "start_date", "end_date"),
    make=lambda v, who: ChildStatusData(v[0], who, v[1], day(v[2]), day(v[3])),
    frozen=lambda s: {"ref": s.ref, "person_ref": s.person_ref, "status": s.status,
                      "start": s.start.isoformat(), "end": iso(s.end)},
    thawed=lambda s: ChildStatusData(s["ref"], s["person_ref"], s["status"], day(s["start"]),
                                     day(s["end"]) if s["end"] else None),
    line=lambda c: (c["start"], f"{_words(c['status'])}, {c['person_ref']}, from "
                                f"{day_text(c['start'])} to "
                                f"{day_text(c['end']) if c['end'] else 'continuing'}"),
    later=True, frozen_as="child_status",
)
STATUS_SHOWN = Shown(
    "Child protection and looked-after status", "child-status", "", (),  # not on the family page
    order=lambda S: (S.start_date.desc(),),
    export_as="child_statuses", exported=("status_ref", "status", "start_date", "end_date"),
)

HOUSING_RULES = Rules(
    "housing", ("housing_ref", "date", "kind", "end_date"),
    make=lambda v, who: HousingData(v[0], day(v[1]), v[2], day(v[3]), who),
    frozen=lambda h: {"ref": h.ref, "date": h.date.isoformat(), "kind": h.kind,
                      "end": iso(h.end), "person_ref": h.person_ref},
    thawed=lambda h: HousingData(h["ref"], day(h["date"]), h["kind"],
                                 day(h["end"]) if h["end"] else None, h["person_ref"]),
    line=lambda h: (h["date"], f"{m.HOUSING_KIND_LABELS.get(h['kind'], _words(h['kind'])).lower()}, "
                               f"{h['person_ref'] or 'the household'}"
                               + (f", until {day_text(h['end'])}" if h["end"] else "")),
    later=True, frozen_as="housing",
)
HOUSING_SHOWN = Shown(
    "Housing", "housing", "No housing events recorded.",
    (Cell("Date", lambda h, people: govdate(h.date)),
     Cell("What", lambda h, people: m.HOUSING_KIND_LABELS[h.kind]
          + (f" (£{h.arrears_pounds:,} owed)" if h.arrears_pounds is not None else "")),
     Cell("Until", lambda h, people: govdate(h.end_date)),
     Cell("Who", _who),
     Cell("Reference", lambda h, people: h.housing_ref)),
    order=lambda H: (H.date.desc(),),
    export_as="housing_events",
    exported=("housing_ref", "date", "kind", "end_date", "arrears_pounds"),
)


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
            label="Families",
            examples=(("EX-F1", "Sample family", "1 Sample Street", "ZZ99 9ZZ", "Shepway North",
                       "2026-01-05", "2026-01-19", "n", "", ""),),
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
            label="People (family members)",
            examples=(("EX-P1", "EX-F1", "Alex", "Sample", "1985-04-11", "f"),
                      ("EX-P2", "EX-F1", "Sam", "Sample", "2012-09-01", "m")),
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
            label="School terms (attendance and exclusions)",
            examples=(("EX-P2", "2025/26", "autumn", "130", "22", "1", "n", "n", "y"),),
            owner="person", rules=TERMS_RULES, shown=TERMS_SHOWN,
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
            label="Anti-social behaviour records",
            examples=(("EX-A1", "EX-P2", "", "2025-11-03", "incident"),),
            owner="either", rules=ASB_RULES, shown=ASB_SHOWN,
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
            label="Offences",
            examples=(("EX-O1", "EX-P2", "2025-10-14", "y"),),
            owner="person", rules=OFFENCES_RULES, shown=OFFENCES_SHOWN,
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
            label="Benefits and work",
            examples=(("EX-W1", "EX-P1", "benefit", "JSA", "2025-06-01", ""),),
            owner="person", rules=WORK_RULES, shown=WORK_SHOWN,
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
            label="Domestic abuse incidents (optional)",
            examples=(("EX-D1", "", "EX-F1", "2025-12-01"),),
            owner="either", rules=ABUSE_RULES, shown=ABUSE_SHOWN,
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
            label="Children's social care: child in need, protection plan, looked after",
            examples=(("EX-C1", "EX-P2", "child_in_need", "2025-09-01", ""),),
            owner="person", rules=STATUS_RULES, shown=STATUS_SHOWN,
        ),
        Kind(
            "housing",
            m.HousingEvent,
            (
                Column("housing_ref", f.ref, required=True),
                Column("person_ref", f.ref),
                Column("family_ref", f.ref),
                Column("date", f.date, required=True),
                Column("kind", f.Choice(m.HOUSING_KINDS), required=True),
                Column("end_date", f.date),
                Column("arrears_pounds", f.count),
            ),
            key=("housing_ref",),
            references={"person_ref": "person", "family_ref": "family"},
            check=_housing_check,
            label="Housing: tenancy changes, rent arrears, possession notices, evictions, "
                  "temporary accommodation",
            examples=(("EX-H1", "", "EX-F1", "2025-10-20", "rent_arrears", "", "640"),
                      ("EX-H2", "", "EX-F1", "2025-11-17", "notice_seeking_possession", "", "")),
            owner="either", rules=HOUSING_RULES, shown=HOUSING_SHOWN,
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
            label="Needs the family was identified with (later programmes)",
            examples=(("EX-N1", "EX-F1", "", "education", "attendance", "2026-01-05"),),
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
            label="Practitioners' assessments of needs",
            examples=(("EX-S1", "EX-N1", "2026-03-02", "positive", "School attendance officer",
                       "Attendance up to 96% this term"),),
        ),
    )
}


# The kinds of evidence the rules read, in the order above.
EVIDENCE: tuple[Kind, ...] = tuple(k for k in KINDS.values() if k.rules is not None)
