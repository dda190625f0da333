"""The identification and results rules (docs/rules.md: "Identification" and "Results")."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from fractions import Fraction

from .dates import age_on, fmt, months_after, months_before
from .evidence import (
    AsbData,
    Evaluation,
    FamilyData,
    Finding,
    Identification,
    OffenceData,
    TermData,
    WorkData,
)
from .ruleset import RESULTS, Ruleset
from .wording import plural

MET, NOT_MET, NOT_RELEVANT, NEUTRAL = "met", "not_met", "not_relevant", "neutral"
INSUFFICIENT, TOO_EARLY, NOT_ATTACHED = "insufficient_data", "too_early", "not_attached"
STATUSES = (MET, NOT_MET, NOT_RELEVANT, NEUTRAL, INSUFFICIENT, TOO_EARLY, NOT_ATTACHED)


def evaluate(family: FamilyData, as_of: dt.date, rules: Ruleset) -> Evaluation:
    """Evaluate identification and every result for one family at as_of."""
    facts = _Facts(family, rules)
    identification = identify(facts, as_of)
    start = family.attached_on
    if start is None:
        reason = "The family has no attachment date, so no result can be judged."
        results = {name: Finding(NOT_ATTACHED, reason) for name in RESULTS}
    else:
        results = {
            "asb": _asb(facts, start, as_of),
            "offending": _offending(facts, start, as_of),
            "education": _education(facts, as_of, identification.education.value is True),
        }
        results["crime_asb_education"] = _combined(results)
        results["progress_to_work"] = _progress_to_work(facts, start, as_of)
        results["continuous_employment"] = _continuous_employment(facts, start, as_of)
    return Evaluation(family.ref, as_of, identification, start, results)


def identification(family: FamilyData, as_of: dt.date, rules: Ruleset) -> Identification:
    """Only the identification criteria: for lists of families waiting for a worker."""
    return identify(_Facts(family, rules), as_of)


class _Facts:
    """A family's evidence, indexed once for the rules."""

    def __init__(self, family: FamilyData, rules: Ruleset):
        self.family = family
        self.rules = rules
        self.dob = {p.ref: p.date_of_birth for p in family.people}
        self.terms: dict[str, dict[tuple[int, str], TermData]] = {}
        for term in family.terms:
            self.terms.setdefault(term.person_ref, {})[(term.start_year, term.term)] = term
        self.work: dict[str, list[WorkData]] = {}
        for spell in family.work:
            self.work.setdefault(spell.person_ref, []).append(spell)
        self._out_of_work: dict[str, list[WorkData]] = {}

    def age(self, person_ref: str | None, on: dt.date) -> int | None:
        dob = self.dob.get(person_ref) if person_ref else None
        return None if dob is None else age_on(dob, on)

    def is_adult(self, person_ref: str, on: dt.date) -> bool:
        age = self.age(person_ref, on)
        return age is not None and age >= self.rules.adult_age

    def school_age_children(self, on: dt.date) -> list[str]:
        lo, hi = self.rules.school_age_min, self.rules.school_age_max
        return sorted(
            ref for ref, dob in self.dob.items() if lo <= age_on(dob, on) <= hi
        )

    def last_complete_terms(self, on: dt.date) -> list[tuple[int, str]]:
        """Return the last complete terms at `on`, latest first, as (start_year, term)."""
        return _last_complete_terms(self.rules.term_ends, self.rules.terms_counted, on)

    @functools.cached_property
    def youth_offences(self) -> list[OffenceData]:
        """Proven offences by members under the youth age on the offence date."""
        limit = self.rules.youth_age_below
        return [
            o
            for o in self.family.offences
            if o.proven and (age := self.age(o.person_ref, o.date)) is not None and age < limit
        ]

    def out_of_work(self, person_ref: str) -> list[WorkData]:
        found = self._out_of_work.get(person_ref)
        if found is None:
            benefits = self.rules.out_of_work_benefits
            found = self._out_of_work[person_ref] = [
                w for w in self.work.get(person_ref, ())
                if w.kind == "benefit" and w.benefit in benefits
            ]
        return list(found)


@functools.lru_cache(maxsize=4096)
def _last_complete_terms(
    ends: tuple[tuple[str, int, int, int], ...], count: int, on: dt.date
) -> list[tuple[int, str]]:
    per_year = len(ends)

    def end_of(index: int) -> dt.date:
        year, position = divmod(index, per_year)
        _, month, day, offset = ends[position]
        return dt.date(year + offset, month, day)

    index = (on.year + 1) * per_year + per_year - 1
    while end_of(index) > on:
        index -= 1
    return [(i // per_year, ends[i % per_year][0]) for i in range(index, index - count, -1)]


def _covers(spell: WorkData, on: dt.date) -> bool:
    return spell.start <= on and (spell.end is None or spell.end >= on)


def _refs(records: Iterable[AsbData | OffenceData | WorkData]) -> tuple[str, ...]:
    return tuple(sorted(r.ref for r in records))


def _percent(value: Fraction) -> str:
    return f"{round(value * 100)}%"


# Identification ---------------------------------------------------------------------------


def identify(facts: _Facts, as_of: dt.date) -> Identification:
    family, rules = facts.family, facts.rules
    screening = family.identified_on is None
    on = as_of if screening else family.identified_on
    window_start = months_before(on, rules.identification_months)
    window = f"from {fmt(window_start + dt.timedelta(days=1))} to {fmt(on)}"

    offences = [o for o in facts.youth_offences if window_start < o.date <= on]
    orders = [
        a for a in family.asb if a.kind in rules.asb_order_kinds and window_start < a.date <= on
    ]
    crime_asb = bool(offences or orders)
    crime_reason = (
        f"{plural(len(offences), 'proven youth offence')} and "
        f"{plural(len(orders), 'ASB order')} {window}"
    )

    education = _education_identification(facts, on)

    claimants = []
    for ref in sorted(facts.dob):
        if facts.is_adult(ref, on):
            claimants.extend(s for s in facts.out_of_work(ref) if _covers(s, on))
    work_reason = (
        f"An adult was on an out-of-work benefit on {fmt(on)}"
        if claimants
        else f"No adult was on an out-of-work benefit on {fmt(on)}"
    )

    national = [crime_asb, education.value is True, bool(claimants)]
    met = sum(national)
    eligible = met == 3 or (met == 2 and family.local_discretion)
    return Identification(
        date=on,
        screening=screening,
        crime_asb=Finding(crime_asb, crime_reason, _refs(offences + orders)),
        education=education,
        work=Finding(bool(claimants), work_reason, _refs(claimants)),
        local_discretion=family.local_discretion,
        eligible=eligible,
    )


def _child_fails(facts: _Facts, rows: list[TermData]) -> str | None:
    """Return why a child fails over these term rows, or None when it does not."""
    rules = facts.rules
    fixed = sum(r.fixed_exclusions for r in rows)
    possible = sum(r.sessions_possible for r in rows)
    unauthorised = sum(r.sessions_unauthorised for r in rows)
    for r in rows:
        if r.permanent_exclusion:
            return f"permanently excluded in {r.label}"
        if r.alternative_provision:
            return f"in alternative provision in {r.label}"
        if not r.on_roll:
            return f"not on a school roll in {r.label}"
    if fixed >= rules.fixed_exclusions_threshold:
        return f"{fixed} fixed exclusions (limit {rules.fixed_exclusions_threshold})"
    if possible and Fraction(unauthorised, possible) >= rules.unauthorised_absence_threshold:
        return (
            f"unauthorised absence {unauthorised} of {possible} sessions "
            f"({_percent(Fraction(unauthorised, possible))}, "
            f"limit {_percent(rules.unauthorised_absence_threshold)})"
        )
    return None


def _term_names(terms: list[tuple[int, str]]) -> str:
    return ", ".join(f"{t} {y}/{(y + 1) % 100:02d}" for y, t in terms)


def _education_identification(facts: _Facts, on: dt.date) -> Finding:
    terms = facts.last_complete_terms(on)
    failing = []
    for child in facts.school_age_children(on):
        have = facts.terms.get(child, {})
        rows = [have[t] for t in terms if t in have]
        why = _child_fails(facts, rows)
        if why:
            failing.append(f"{child}: {why}")
    if failing:
        return Finding(
            True,
            f"Over {_term_names(terms)}: " + "; ".join(failing),
            tuple(c.split(":")[0] for c in failing),
        )
    return Finding(False, f"No child of school age failed over {_term_names(terms)}")


# Results ----------------------------------------------------------------------------------


def _reduction(
    label: str,
    records: list,
    start: dt.date,
    as_of: dt.date,
    threshold: Fraction,
    rules: Ruleset,
) -> Finding:
    ready_on = months_after(start, rules.results_after_months)
    if as_of < ready_on:
        return Finding(
            TOO_EARLY, f"{label}: too early to judge until {fmt(ready_on)}, 6 months after attachment"
        )
    base_from = months_before(start, rules.baseline_months)
    recent_from = months_before(as_of, rules.recent_months)
    baseline = [r for r in records if base_from <= r.date < start]
    recent = [r for r in records if recent_from < r.date <= as_of]
    b, a = len(baseline), len(recent)
    counts = (
        f"{label}: {b} from {fmt(base_from)} to {fmt(start - dt.timedelta(days=1))}, "
        f"{a} from {fmt(recent_from + dt.timedelta(days=1))} to {fmt(as_of)}"
    )
    evidence = _refs(baseline + recent)
    detail = (("baseline", b), ("recent", a), ("threshold", threshold))
    if b == 0:
        if a == 0:
            return Finding(NOT_RELEVANT, f"{counts}: none before or since", evidence, detail)
        return Finding(NOT_MET, f"{counts}: a new problem since attachment", evidence, detail)
    fall = Fraction(b - a, b)
    status = MET if fall >= threshold else NOT_MET
    direction = f"down {_percent(fall)}" if fall >= 0 else f"up {_percent(-fall)}"
    return Finding(
        status,
        f"{counts}: {direction}, needs {_percent(threshold)}: {status.replace('_', ' ')}",
        evidence,
        detail,
    )


def _asb(facts: _Facts, start: dt.date, as_of: dt.date) -> Finding:
    rules = facts.rules
    incidents = [a for a in facts.family.asb if a.kind == rules.asb_incident_kind]
    return _reduction("ASB incidents", incidents, start, as_of, rules.asb_reduction, rules)


def _offending(facts: _Facts, start: dt.date, as_of: dt.date) -> Finding:
    rules = facts.rules
    return _reduction(
        "Proven youth offences",
        facts.youth_offences,
        start,
        as_of,
        rules.offending_reduction,
        rules,
    )


def _education(facts: _Facts, as_of: dt.date, met_at_identification: bool) -> Finding:
    children = facts.school_age_children(as_of)
    terms = facts.last_complete_terms(as_of)
    names = _term_names(terms)
    if not children:
        return Finding(NEUTRAL, f"No child of school age on {fmt(as_of)}")
    failing, undecided, good_so_far = [], [], []
    for child in children:
        have = facts.terms.get(child, {})
        rows = [have[t] for t in terms if t in have]
        if met_at_identification and len(rows) < len(terms):
            undecided.append(child)
            if _child_fails(facts, rows) is None:
                good_so_far.append((child, len(rows)))
            continue
        why = _child_fails(facts, rows)
        if why:
            failing.append(f"{child}: {why}")
    evidence = tuple(sorted(children))
    if met_at_identification:
        if failing:
            return Finding(NOT_MET, f"Over {names}: " + "; ".join(failing), evidence)
        if undecided:
            return Finding(
                INSUFFICIENT,
                f"No term record for {', '.join(undecided)} in each of {names}",
                evidence,
                (("good_so_far", tuple(good_so_far)), ("undecided", len(undecided)),
                 ("terms", len(terms))),
            )
        return Finding(MET, f"Every child of school age passed over {names}", evidence)
    if failing:
        return Finding(
            NOT_MET, f"A new problem over {names}: " + "; ".join(failing), evidence
        )
    return Finding(
        NOT_RELEVANT,
        f"Education was not a criterion at identification and no child failed over {names}",
        evidence,
    )


def _combined(results: dict[str, Finding]) -> Finding:
    parts = [results["asb"], results["offending"], results["education"]]
    statuses = [str(p.value) for p in parts]
    summary = (
        f"ASB {statuses[0].replace('_', ' ')}, offending {statuses[1].replace('_', ' ')}, "
        f"education {statuses[2].replace('_', ' ')}"
    )
    evidence = tuple(ref for p in parts for ref in p.evidence)
    if TOO_EARLY in statuses[:2]:
        status = TOO_EARLY
    elif NOT_MET in statuses:
        status = NOT_MET
    elif INSUFFICIENT in statuses:
        status = INSUFFICIENT
    elif MET in statuses:
        status = MET
    else:
        status = NOT_RELEVANT
        summary += ": needs a person's review, never an automatic pass"
    return Finding(status, summary, evidence)


def _progress_to_work(facts: _Facts, start: dt.date, as_of: dt.date) -> Finding:
    rules = facts.rules
    recent_from = months_before(as_of, rules.recent_months)
    found = [
        w
        for w in facts.family.work
        if w.kind in rules.work_provider_kinds
        and w.start >= start
        and recent_from < w.start <= as_of
        and facts.is_adult(w.person_ref, w.start)
    ]
    window = f"from {fmt(max(start, recent_from + dt.timedelta(days=1)))} to {fmt(as_of)}"
    if found:
        return Finding(
            MET, f"An adult joined the Work Programme or an ESF programme {window}", _refs(found)
        )
    return Finding(NOT_MET, f"No adult joined the Work Programme or an ESF programme {window}")


def _continuous_employment(facts: _Facts, start: dt.date, as_of: dt.date) -> Finding:
    rules = facts.rules
    notes: list[str] = []
    pending: list[dt.date] = []
    for person in sorted(facts.dob):
        if not facts.is_adult(person, start):
            continue
        benefits = facts.out_of_work(person)
        covering = [b for b in benefits if _covers(b, start)]
        if not covering:
            continue
        long_claim = any(b.benefit == rules.long_benefit for b in covering)
        weeks = rules.employment_weeks_long_benefit if long_claim else rules.employment_weeks_other
        spells = facts.work.get(person, [])
        providers = [w for w in spells if w.kind in rules.work_provider_kinds and w.start >= start]
        if providers:
            notes.append(
                f"{person} joined a work provider on {fmt(providers[0].start)}, "
                "which is paid for the job"
            )
            continue
        for job in sorted((w for w in spells if w.kind == "employment"), key=lambda w: w.start):
            if job.start < start:
                continue
            until = job.start + dt.timedelta(weeks=weeks)
            if until > as_of:
                if job.end is None or job.end >= until:
                    pending.append(until)
                notes.append(f"{person} in work from {fmt(job.start)}: {weeks} weeks not yet up")
                continue
            if job.end is not None and job.end < until:
                notes.append(f"{person} in work from {fmt(job.start)} for under {weeks} weeks")
                continue
            overlap = [b for b in benefits if b.start < until and (b.end is None or b.end >= job.start)]
            if overlap:
                notes.append(f"{person} claimed an out-of-work benefit during the job from {fmt(job.start)}")
                continue
            return Finding(
                MET,
                f"{person} left out-of-work benefit and has been in work for {weeks} weeks "
                f"from {fmt(job.start)} to {fmt(until)}",
                _refs(covering + [job]),
            )
    if not notes:
        notes.append(f"No adult on an out-of-work benefit on {fmt(start)} has started work since")
    detail = (("in_work_until", min(pending)),) if pending else ()
    return Finding(NOT_MET, "; ".join(notes), (), detail)
