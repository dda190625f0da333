"""The evidence file of one claim, read from its frozen snapshot: for each criterion and each
claimed result, the windows, the records inside them and the arithmetic, as the claim PDF
prints them. The rules' own functions and the snapshot's ruleset decide which records count,
so the file shows what the claim was made on, never today's records."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction

from ..evidence.kinds import EVIDENCE
from ..models import ASB_KIND_LABELS, PLAN_PROBLEMS, RESULT_LABELS, WORK_KIND_LABELS
from ..rules.dates import age_on, fmt, govdate, months_after, months_before
from ..rules.engine import _child_fails, _Facts
from ..rules.evidence import AsbData, FamilyData, OffenceData, PersonData, WorkData
from ..rules.ruleset import PROGRAMME_LABELS, Ruleset, get_ruleset

# The parameters each part of the evidence depends on, shown beside it.
IDENTIFICATION_PARAMETERS = ("identification_months", "youth_age_below", "asb_order_kinds",
                             "terms_counted", "fixed_exclusions_threshold",
                             "unauthorised_absence_threshold", "school_age_min", "school_age_max",
                             "adult_age", "out_of_work_benefits")
RESULT_PARAMETERS = {
    "asb": ("baseline_months", "recent_months", "results_after_months", "asb_incident_kind",
            "asb_reduction"),
    "offending": ("baseline_months", "recent_months", "results_after_months", "youth_age_below",
                  "offending_reduction"),
    "education": ("terms_counted", "school_age_min", "school_age_max",
                  "fixed_exclusions_threshold", "unauthorised_absence_threshold"),
    "progress_to_work": ("recent_months", "work_provider_kinds", "adult_age"),
    "continuous_employment": ("out_of_work_benefits", "long_benefit",
                              "employment_weeks_long_benefit", "employment_weeks_other",
                              "work_provider_kinds", "adult_age"),
}
# The parts of each claimable result, in the order they are printed.
PARTS = {"crime_asb_education": ("asb", "offending", "education"),
         "progress_to_work": ("progress_to_work",), "continuous_employment": ("continuous_employment",)}
PART_LABELS = {"asb": "Anti-social behaviour", "offending": "Youth offending", "education": "Education",
               "progress_to_work": "Progress to work", "continuous_employment": "Continuous employment"}


@dataclasses.dataclass
class Window:
    first: dt.date
    last: dt.date

    def __str__(self) -> str:
        return f"{fmt(self.first)} to {fmt(self.last)}"


@dataclasses.dataclass
class Line:
    """One record as printed: its reference and what it says."""

    ref: str
    date: str
    text: str


@dataclasses.dataclass
class Child:
    ref: str
    age: int
    terms: list[dict]  # one per counted term, latest first: the row, or None when missing
    totals: dict
    verdict: str


@dataclasses.dataclass
class Part:
    name: str
    label: str
    status: str
    reason: str
    windows: list[tuple[str, Window, list[Line]]] = dataclasses.field(default_factory=list)
    arithmetic: str = ""
    children: list[Child] = dataclasses.field(default_factory=list)
    records: list[Line] = dataclasses.field(default_factory=list)
    parameters: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def snapshot_rules(snapshot: dict) -> Ruleset:
    """The ruleset the claim was drafted under, with the parameters frozen into it."""
    ruleset = snapshot["ruleset"]
    return get_ruleset(ruleset["name"], ruleset["parameters"])


def snapshot_data(snapshot: dict) -> FamilyData:
    """The family's frozen evidence, as the rules take it in."""
    fam, ev = snapshot["family"], snapshot["evidence"]
    day = dt.date.fromisoformat

    def opt(value):
        return day(value) if value else None

    return FamilyData(
        ref=fam["family_ref"], identified_on=opt(fam["identified_on"]),
        attached_on=opt(fam["attached_on"]), local_discretion=bool(fam["local_discretion"]),
        people=tuple(PersonData(p["ref"], day(p["date_of_birth"])) for p in ev["people"]),
        # Each kind's frozen rows as its declaration thaws them (casework/evidence/kinds.py).
        **{k.rules.field: tuple(k.rules.thawed(row) for row in ev.get(k.rules.frozen_as, []))
           for k in EVIDENCE if not k.rules.later},
    )


# The programmes, by the ruleset a claim was drafted under (rules.ruleset.PROGRAMME_LABELS).
PROGRAMME_ORDER = tuple(PROGRAMME_LABELS)


def programme_label(ruleset: str) -> str:
    return PROGRAMME_LABELS.get(ruleset, ruleset)


def _pounds(amount: int) -> str:
    return f"£{amount:,}"


def _words(value: str) -> str:
    return value.replace("_", " ")


def _list(values, labels: dict | None = None) -> str:
    return ", ".join(labels.get(v, _words(v)) if labels else _words(str(v)) for v in values)


def _day_month(month: int, day: int) -> str:
    return govdate(dt.date(2001, month, day)).rsplit(" ", 1)[0]  # "31 December"


def _yes(value) -> str:
    return "yes" if value else "no"


def _percent_of(value: Fraction) -> str:
    pct = value * 100
    return f"{pct}%" if pct.denominator == 1 else f"{float(pct):.1f}% ({value})"


# Every parameter of a ruleset as a person reads it: a label, and how its value is written.
PARAMETER_LABELS: dict[str, tuple[str, object]] = {
    "identification_months": ("Identification looks back over", lambda v: f"{v} months"),
    "baseline_months": ("Baseline: the months before attachment", lambda v: f"{v} months"),
    "recent_months": ("Recent: the months up to the claim date", lambda v: f"{v} months"),
    "results_after_months": ("A reduction is judged no sooner after attachment than",
                             lambda v: f"{v} months"),
    "adult_age": ("Adult from the age of", str),
    "youth_age_below": ("Young person: aged under", str),
    "school_age_min": ("School age from", str),
    "school_age_max": ("School age to", str),
    "term_ends": ("School terms end on", lambda v: "; ".join(
        f"{name} {_day_month(month, day)}" for name, month, day, _ in v)),
    "terms_counted": ("School terms counted", str),
    "fixed_exclusions_threshold": ("Fixed exclusions that meet the education criterion",
                                   lambda v: f"{v} or more"),
    "unauthorised_absence_threshold": ("Unauthorised absence that meets the education criterion",
                                       lambda v: f"{_percent_of(v)} of sessions or more"),
    "asb_order_kinds": ("Anti-social behaviour orders counted",
                        lambda v: _list(v, ASB_KIND_LABELS)),
    "asb_incident_kind": ("Anti-social behaviour records counted as incidents",
                          lambda v: ASB_KIND_LABELS.get(v, _words(v))),
    "out_of_work_benefits": ("Out-of-work benefits", _list),
    "work_provider_kinds": ("Work programmes counted as progress to work",
                            lambda v: _list(v, WORK_KIND_LABELS)),
    "asb_reduction": ("Fall in anti-social behaviour needed", _percent_of),
    "offending_reduction": ("Fall in proven youth offending needed", _percent_of),
    "long_benefit": ("Benefit after which employment must last longer", str),
    "employment_weeks_long_benefit": ("Continuous employment needed after that benefit",
                                      lambda v: f"{v} weeks"),
    "employment_weeks_other": ("Continuous employment needed after another benefit",
                               lambda v: f"{v} weeks"),
    "programme_year_starts": ("Programme years start on",
                              lambda v: ", ".join(govdate(d) for d in v)),
    "result_amounts": ("Results paid, by programme year of attachment", lambda v: "; ".join(
        f"{RESULT_LABELS.get(r, _words(r))} {', '.join(_pounds(a) for a in amounts)}"
        for r, amounts in v)),
    "attachment_fees": ("Attachment fee, by programme year",
                        lambda v: ", ".join(_pounds(a) for a in v)),
    "first_attachment": ("Takes attachments from", govdate),
    "last_attachment": ("Takes attachments until", lambda v: govdate(v) if v else "no end date"),
    "funded_share": ("Share of the council's families funded", _percent_of),
    "funders": ("Government department funding the programme", lambda v: "; ".join(
        f"{name} from {govdate(since)}" for since, name in v)),
    "max_payment_per_family": ("Most paid for one family", _pounds),
    "caseload_max_active": ("Most families a FIP worker holds at once", str),
    "caseload_spare_below": ("A FIP worker has spare capacity below", lambda v: f"{v} families"),
    "caseload_max_rolling": ("Most families allocated to a FIP worker in the rolling window",
                             str),
    "caseload_rolling_months": ("Rolling window for caseloads", lambda v: f"{v} months"),
    "headline_problems": ("Headline problems", lambda v: ", ".join(
        PLAN_PROBLEMS.get(p, _words(p)).lower() for p in v)),
    "min_problems": ("Eligible with needs under at least",
                     lambda v: f"{v} headline problems"),
    "sustain_months": ("Shortest time an outcome must be sustained", lambda v: f"{v} months"),
    "sustain_after_closure": ("Sustained after the case has closed", _yes),
    "employment_route": ("Continuous employment is a route to a result", _yes),
    "allows_discretion": ("Equivalent progress (local discretion) allowed", _yes),
}


def parameter_label(name: str) -> str:
    return PARAMETER_LABELS[name][0] if name in PARAMETER_LABELS else _words(name).capitalize()


def parameter_value(name: str, value) -> str:
    """A ruleset parameter's value as a person reads it: dates as "31 December", amounts in
    pounds, fractions as percentages."""
    if name in PARAMETER_LABELS:
        return PARAMETER_LABELS[name][1](value)
    return show_parameter(value)


def labelled_parameters(ruleset: dict) -> list[tuple[str, str]]:
    """A claim's frozen ruleset ({"name", "parameters"}) as (label, value) rows, every
    parameter but the ruleset's name."""
    rules = get_ruleset(ruleset["name"], ruleset["parameters"])
    return [(parameter_label(f.name), parameter_value(f.name, getattr(rules, f.name)))
            for f in dataclasses.fields(rules) if f.name != "name"]


def show_parameter(value) -> str:
    if isinstance(value, Fraction):
        return f"{value * 100}%" if (value * 100).denominator == 1 else str(value)
    if isinstance(value, tuple):
        return ", ".join(show_parameter(v) for v in value)
    return str(value)


def parameters(rules: Ruleset, names: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(parameter_label(name), parameter_value(name, getattr(rules, name))) for name in names]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "no sessions"


class _Reader:
    """Reads one snapshot: its records by reference, the people's ages, the rules."""

    def __init__(self, snapshot: dict):
        self.snap = snapshot
        self.rules = snapshot_rules(snapshot)
        self.data = snapshot_data(snapshot)
        self.facts = _Facts(self.data, self.rules)
        self.as_of = dt.date.fromisoformat(snapshot["as_of"])
        self.attached_on = self.data.attached_on
        self.terms = {(t.person_ref, t.start_year, t.term): t for t in self.data.terms}

    def who(self, person_ref: str | None, on: dt.date) -> str:
        if person_ref is None:
            return "the family"
        age = self.facts.age(person_ref, on)
        return f"{person_ref}" + (f" (aged {age})" if age is not None else "")

    def asb_line(self, a: AsbData) -> Line:
        return Line(a.ref, fmt(a.date), f"{a.kind.replace('_', ' ')}, {self.who(a.person_ref, a.date)}")

    def offence_line(self, o: OffenceData) -> Line:
        return Line(o.ref, fmt(o.date), f"{'proven' if o.proven else 'unproven'} offence, "
                                        f"{self.who(o.person_ref, o.date)}")

    def work_line(self, w: WorkData) -> Line:
        kind = w.kind.replace("_", " ") + (f" ({w.benefit})" if w.benefit else "")
        until = fmt(w.end) if w.end else "continuing"
        return Line(w.ref, fmt(w.start), f"{kind}, {w.person_ref}, from {fmt(w.start)} to {until}")

    def child(self, ref: str, terms: list[tuple[int, str]], on: dt.date) -> Child:
        rows, shown = [], []
        for start_year, term in terms:
            row = self.terms.get((ref, start_year, term))
            label = f"{term} {start_year}/{(start_year + 1) % 100:02d}"
            if row is None:
                shown.append({"term": label, "missing": True})
                continue
            rows.append(row)
            flags = [f for f, on_ in (("permanently excluded", row.permanent_exclusion),
                                      ("alternative provision", row.alternative_provision),
                                      ("not on roll", not row.on_roll)) if on_]
            shown.append({"term": label, "missing": False, "possible": row.sessions_possible,
                          "unauthorised": row.sessions_unauthorised,
                          "rate": _percent(row.sessions_unauthorised, row.sessions_possible),
                          "fixed": row.fixed_exclusions, "flags": ", ".join(flags)})
        possible = sum(r.sessions_possible for r in rows)
        unauthorised = sum(r.sessions_unauthorised for r in rows)
        why = _child_fails(self.facts, rows)
        missing = len(rows) < len(terms)
        verdict = f"fails: {why}" if why else ("undecided: a term has no record" if missing else "passes")
        return Child(ref, age_on(self.facts.dob[ref], on), shown,
                     {"possible": possible, "unauthorised": unauthorised,
                      "rate": _percent(unauthorised, possible),
                      "fixed": sum(r.fixed_exclusions for r in rows)}, verdict)


def identification(snapshot: dict) -> dict:
    """The criteria at identification with the records that met them."""
    r = _Reader(snapshot)
    ident = snapshot["identification"]
    on = dt.date.fromisoformat(ident["date"])
    window = Window(months_before(on, r.rules.identification_months) + dt.timedelta(days=1), on)
    refs = set(ident["crime_asb"]["evidence"])
    crime = [r.offence_line(o) for o in sorted(r.data.offences, key=lambda o: (o.date, o.ref))
             if o.ref in refs]
    crime += [r.asb_line(a) for a in sorted(r.data.asb, key=lambda a: (a.date, a.ref)) if a.ref in refs]
    terms = r.facts.last_complete_terms(on)
    children = [r.child(ref, terms, on) for ref in ident["education"]["evidence"]
                if ref in r.facts.dob]
    work_refs = set(ident["work"]["evidence"])
    work = [r.work_line(w) for w in r.data.work if w.ref in work_refs]
    return {"date": on, "screening": ident["screening"], "window": window,
            "crime_asb": ident["crime_asb"], "crime_records": crime,
            "education": ident["education"], "children": children,
            "work": ident["work"], "work_records": work,
            "local_discretion": ident["local_discretion"], "eligible": ident["eligible"],
            "parameters": parameters(r.rules, IDENTIFICATION_PARAMETERS)}


def claimed_parts(snapshot: dict, result: str) -> list[Part]:
    """Every part of a claimed result, each with the records that decided it."""
    r = _Reader(snapshot)
    out = []
    for name in PARTS[result]:
        finding = snapshot["results"][name]
        part = Part(name, PART_LABELS[name], finding["value"], finding["reason"],
                    parameters=parameters(r.rules, RESULT_PARAMETERS[name]))
        {"asb": _reduction, "offending": _reduction, "education": _education,
         "progress_to_work": _progress_to_work,
         "continuous_employment": _continuous_employment}[name](r, part, finding)
        out.append(part)
    return out


def _reduction(r: _Reader, part: Part, finding: dict) -> None:
    rules, start, as_of = r.rules, r.attached_on, r.as_of
    ready = months_after(start, rules.results_after_months)
    if as_of < ready:
        part.arithmetic = f"Too early to judge until {fmt(ready)}."
        return
    baseline = Window(months_before(start, rules.baseline_months), start - dt.timedelta(days=1))
    recent = Window(months_before(as_of, rules.recent_months) + dt.timedelta(days=1), as_of)
    refs = set(finding["evidence"])
    if part.name == "asb":
        records = sorted((a for a in r.data.asb if a.ref in refs), key=lambda a: (a.date, a.ref))
        line, threshold, what = r.asb_line, rules.asb_reduction, "incidents"
    else:
        records = sorted((o for o in r.data.offences if o.ref in refs), key=lambda o: (o.date, o.ref))
        line, threshold, what = r.offence_line, rules.offending_reduction, "proven youth offences"
    before = [line(x) for x in records if baseline.first <= x.date <= baseline.last]
    after = [line(x) for x in records if recent.first <= x.date <= recent.last]
    part.windows = [("Baseline: the 6 months before attachment", baseline, before),
                    ("Recent: the 6 months up to the claim date", recent, after)]
    b, a = len(before), len(after)
    if b == 0:
        part.arithmetic = (f"B = 0 {what} before attachment, A = {a} since: "
                           + ("none before or since." if a == 0 else "a new problem."))
        return
    fall = Fraction(b - a, b)
    part.arithmetic = (f"(B − A) / B = ({b} − {a}) / {b} = {float(fall) * 100:.1f}%; "
                       f"needs {show_parameter(threshold)}: {'met' if fall >= threshold else 'not met'}.")


def _education(r: _Reader, part: Part, finding: dict) -> None:
    terms = r.facts.last_complete_terms(r.as_of)
    part.children = [r.child(ref, terms, r.as_of) for ref in finding["evidence"] if ref in r.facts.dob]
    if not part.children:
        part.arithmetic = f"No child of school age on {fmt(r.as_of)}."


def _progress_to_work(r: _Reader, part: Part, finding: dict) -> None:
    recent_from = months_before(r.as_of, r.rules.recent_months) + dt.timedelta(days=1)
    window = Window(max(r.attached_on, recent_from), r.as_of)
    refs = set(finding["evidence"])
    part.windows = [("On or after attachment and in the 6 months up to the claim date", window,
                     [r.work_line(w) for w in sorted(r.data.work, key=lambda w: (w.start, w.ref))
                      if w.ref in refs])]


def _continuous_employment(r: _Reader, part: Part, finding: dict) -> None:
    rules = r.rules
    refs = set(finding["evidence"])
    decided = [w for w in r.data.work if w.ref in refs]
    jobs = [w for w in decided if w.kind == "employment"]
    benefits = [w for w in decided if w.kind == "benefit"]
    people = sorted({w.person_ref for w in decided})
    part.records = [r.work_line(w) for w in sorted(r.data.work, key=lambda w: (w.start, w.ref))
                    if w.person_ref in people]
    if not jobs:
        return
    job = jobs[0]
    long_claim = any(b.benefit == rules.long_benefit for b in benefits)
    weeks = rules.employment_weeks_long_benefit if long_claim else rules.employment_weeks_other
    until = job.start + dt.timedelta(weeks=weeks)
    covering = ", ".join(f"{b.benefit} ({b.ref})" for b in benefits)
    part.arithmetic = (
        f"On {covering} on the attachment date {fmt(r.attached_on)}, so {weeks} weeks "
        f"({'the benefit was ' + rules.long_benefit if long_claim else 'not ' + rules.long_benefit}). "
        f"Job {job.ref} from {fmt(job.start)} + {weeks} weeks = {fmt(until)}, on or before the "
        f"claim date {fmt(r.as_of)}; the job "
        + (f"ended {fmt(job.end)}" if job.end else "continues")
        + "; no out-of-work benefit overlapping it and no work provider record since attachment "
          "(all of the adult's benefit and work records are listed).")


# A later programme's claim: the needs its Outcome Plan judged, with the records behind each.

def _iso_day(value: str | None) -> str:
    return fmt(dt.date.fromisoformat(value)) if value else "none"


def _outcome_records(snapshot: dict) -> dict[str, Line]:
    """Every frozen record a need's evidence may name, by reference, as printed."""
    ev = snapshot["evidence"]
    people = {p["ref"] for p in ev.get("people", [])}
    lines: dict[str, Line] = {}
    for kind in EVIDENCE:  # each kind's frozen rows, as its declaration prints them
        if kind.rules.line is None:
            continue
        for row in ev.get(kind.rules.frozen_as, []):
            date, text = kind.rules.line(row)
            lines[row["ref"]] = Line(row["ref"], _iso_day(date), text)
    for t in ev.get("school_terms", []):
        if t["person_ref"] in people:
            lines.setdefault(t["person_ref"], Line(t["person_ref"], "", "school terms:"))
    return lines


def _child_terms(snapshot: dict, person_ref: str, after: str, upto: str) -> list[str]:
    """A child's frozen school terms from a need's identification to the claim date."""
    out = []
    for t in snapshot["evidence"].get("school_terms", []):
        if t["person_ref"] != person_ref:
            continue
        out.append(f"{t['term']}: {t['sessions_unauthorised']} of {t['sessions_possible']} "
                   f"sessions unauthorised "
                   f"({_percent(t['sessions_unauthorised'], t['sessions_possible'])}), "
                   f"{t['fixed_exclusions']} fixed exclusion"
                   f"{'s' if t['fixed_exclusions'] != 1 else ''}"
                   + (", permanently excluded" if t["permanent_exclusion"] else "")
                   + ("" if t["on_roll"] else ", not on roll"))
    return out


def outcome_evidence(snapshot: dict, result: str) -> dict:
    """A later programme's claim as printed: eligibility, the claimed result, and for a
    family outcome each need with the records and assessments that decided it (for
    continuous employment, the parts as under the 2012 rules)."""
    records = _outcome_records(snapshot)
    as_of = dt.date.fromisoformat(snapshot["as_of"])
    needs = []
    for n in snapshot["needs"]:
        lines, terms = [], []
        for ref in n["evidence"]:
            if ref in records and records[ref].text == "school terms:":
                terms.append((ref, _child_terms(snapshot, ref, n["identified_on"],
                                                snapshot["as_of"])))
            elif ref in records:
                lines.append(records[ref])
        assessed = sorted((a for a in snapshot["evidence"].get("assessments", [])
                           if a["need_ref"] == n["need_ref"]
                           and dt.date.fromisoformat(a["date"]) <= as_of),
                          key=lambda a: (a["date"], a["ref"]))
        needs.append({
            "ref": n["need_ref"], "problem": _words(n["problem"]).capitalize(),
            "indicator": _words(n["indicator"]), "person_ref": n["person_ref"],
            "identified_on": _iso_day(n["identified_on"]), "status": _words(n["status"]),
            "met": n["status"] == "met", "reason": n["reason"], "discretion": n["discretion"],
            "records": lines, "terms": terms,
            "assessments": [{"ref": a["ref"], "date": _iso_day(a["date"]),
                             "outcome": a["outcome"], "by": a["assessed_by"],
                             "note": a["note"]} for a in assessed]})
    discretions = [{"need_ref": d["need_ref"], "approved_on": _iso_day(d["approved_on"]),
                    "approved_by": d["approved_by"], "reason": d["reason"]}
                   for d in snapshot["evidence"].get("discretions", [])]
    finding = snapshot["results"][result]
    plan = snapshot["outcome_plan"]
    return {
        "as_of": _iso_day(snapshot["as_of"]),
        "eligible": snapshot["eligible"]["value"], "eligible_reason": snapshot["eligible"]["reason"],
        "problems": ", ".join(_words(p) for p in snapshot["eligible"]["problems"]),
        "finding": finding,
        "needs": needs if result == "family_outcome" else [],
        "discretions": discretions if result == "family_outcome" else [],
        "parts": claimed_parts(snapshot, result) if result in PARTS else [],
        "plan": {**plan, "effective_from": _iso_day(plan.get("effective_from"))},
    }
