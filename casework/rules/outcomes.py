"""The later programmes (docs/outcome-plans.md): a family's needs judged by the
council's Outcome Plan inside a national frame, and what may be claimed for it."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from fractions import Fraction

from .claims import Claimable, PriorClaim, attachment_bars
from .dates import age_on, fmt, months_after, months_before
from .engine import MET, NOT_MET, _continuous_employment, _Facts
from .evidence import FamilyData, Finding, NeedData, OutcomeEvidence
from .plan import Indicator, OutcomePlan
from .ruleset import OUTCOME_RESULTS, OutcomeFrame

SUSTAINING, INSUFFICIENT = "sustaining", "insufficient_data"
NEED_STATUSES = (MET, NOT_MET, SUSTAINING, INSUFFICIENT)
DAY = dt.timedelta(days=1)
COUNT_LABELS = {"asb": "ASB records", "offences": "proven offences",
                "domestic-abuse": "domestic abuse incidents", "housing": "housing events"}


@dataclasses.dataclass(frozen=True)
class NeedResult:
    need: NeedData
    status: str
    reason: str
    sustained_from: dt.date | None = None  # positive without a break since
    claimable_from: dt.date | None = None  # met on and after this date
    evidence: tuple[str, ...] = ()
    discretion: str | None = None  # "equivalent progress": who approved it, when and why


@dataclasses.dataclass(frozen=True)
class OutcomeEvaluation:
    family_ref: str
    as_of: dt.date
    ruleset: str
    attached_on: dt.date | None
    eligible: bool
    problems: tuple[str, ...]  # the headline problems of the family's needs
    eligibility_reason: str
    needs: tuple[NeedResult, ...]
    family_outcome: str
    claimable_from: dt.date | None
    continuous_employment: Finding | None  # None where the frame has no employment route
    plan: dict[str, str]


def evaluate_outcomes(family: FamilyData, evidence: OutcomeEvidence, as_of: dt.date,
                      frame: OutcomeFrame, plan: OutcomePlan) -> OutcomeEvaluation:
    """Judge every need identified by as_of, the family's eligibility and its outcome."""
    facts = _Facts(family, frame)
    needs = frame_needs(evidence.needs, as_of, frame)
    problems = tuple(sorted({n.problem for n in needs}))
    eligible = len(problems) >= frame.min_problems
    eligibility_reason = (
        f"Needs under {len(problems)} headline problem{'s' if len(problems) != 1 else ''}; "
        f"{frame.min_problems} or more make a family eligible"
    )
    results = tuple(_need(facts, evidence, n, as_of, frame, plan) for n in needs)
    statuses = {r.status for r in results}
    if not results:
        outcome = INSUFFICIENT
    elif NOT_MET in statuses:
        outcome = NOT_MET
    elif INSUFFICIENT in statuses:
        outcome = INSUFFICIENT
    elif SUSTAINING in statuses:
        outcome = SUSTAINING
    else:
        outcome = MET
    dates = [r.claimable_from for r in results]
    claimable_from = max(dates) if results and None not in dates else None
    employment = None
    if frame.employment_route:
        if family.attached_on is None:
            employment = Finding(NOT_MET, "The family has no attachment date")
        else:
            employment = _continuous_employment(facts, family.attached_on, as_of)
    return OutcomeEvaluation(family.ref, as_of, frame.name, family.attached_on, eligible,
                             problems, eligibility_reason, results, outcome, claimable_from,
                             employment, plan.stamp())


def frame_needs(needs, as_of: dt.date, frame: OutcomeFrame) -> list[NeedData]:
    """The needs the frame judges at as_of: identified by then, under one of its headline
    problems. A need under a problem outside the frame (a `housing` need under phase2) is not
    the frame's: neither listed nor counted, so it never holds the family outcome back."""
    return sorted((n for n in needs
                   if n.identified_on <= as_of and n.problem in frame.headline_problems),
                  key=lambda n: (n.identified_on, n.ref))


def _need(facts: _Facts, evidence: OutcomeEvidence, need: NeedData, as_of: dt.date,
          frame: OutcomeFrame, plan: OutcomePlan) -> NeedResult:
    indicator = plan.indicator(need.problem, need.indicator)
    if indicator is None:
        return NeedResult(need, INSUFFICIENT, f"The Outcome Plan (version {plan.version}) has no "
                                              f"indicator {need.indicator} under {need.problem}")
    judge = {"count": _count, "school_rate": _school_rate, "status": _status,
             "assessment": _assessment}[indicator.type]
    status, reason, since, refs = judge(facts, evidence, need, indicator, as_of)
    result = _sustained(need, indicator, status, reason, since, refs, as_of, frame, evidence)
    if result.status != MET and frame.allows_discretion:
        approved = [d for d in evidence.discretions
                    if d.need_ref == need.ref and d.approved_on <= as_of]
        if approved:
            d = min(approved, key=lambda d: d.approved_on)
            why = (f"Equivalent progress approved by {d.approved_by} on {fmt(d.approved_on)}: "
                   f"{d.reason}")
            return dataclasses.replace(result, status=MET, reason=f"{why} ({result.reason})",
                                       claimable_from=d.approved_on, discretion=why)
    return result


def _sustained(need, indicator: Indicator, status, reason, since, refs, as_of,
               frame: OutcomeFrame, evidence: OutcomeEvidence) -> NeedResult:
    """A positive outcome is met once sustained for the indicator's months (under
    supporting_families, that long after the case closed)."""
    if status != "positive":
        return NeedResult(need, status, reason, evidence=refs)
    months = indicator.sustain_months
    start = since
    if frame.sustain_after_closure:
        closed = evidence.closed_on
        if closed is None or closed > as_of:
            return NeedResult(
                need, SUSTAINING,
                f"{reason}; positive since {fmt(since)}, to be sustained for {months} months "
                "after the case closes", since, None, refs)
        start = max(since, closed)
    claimable_from = months_after(start, months)
    closed = (f"; the case closed on {fmt(evidence.closed_on)}"
              if frame.sustain_after_closure else "")
    text = (f"{reason}; positive since {fmt(since)}{closed}: sustained {months} months on "
            f"{fmt(claimable_from)}")
    status = MET if as_of >= claimable_from else SUSTAINING
    return NeedResult(need, status, text, since, claimable_from, refs)


# Each indicator type returns (status or "positive", reason, positive since, evidence refs).


def _count(facts: _Facts, evidence: OutcomeEvidence, need: NeedData, ind: Indicator,
           as_of: dt.date):
    family = facts.family
    if ind.evidence == "asb":
        records = [a for a in family.asb if not ind.kinds or a.kind in ind.kinds]
    elif ind.evidence == "offences":
        records = [o for o in family.offences if o.proven]
    elif ind.evidence == "housing":  # only through a plan's count under a housing need
        records = [h for h in evidence.housing if not ind.kinds or h.kind in ind.kinds]
    else:
        records = list(evidence.domestic_abuse)
    if need.person_ref:
        records = [r for r in records if r.person_ref == need.person_ref]
    records.sort(key=lambda r: r.date)
    dates = [r.date for r in records]
    w, identified = ind.window_months, need.identified_on
    baseline = [r for r in records if months_before(identified, w) <= r.date < identified]
    b = len(baseline)
    judged_from = months_after(identified, w)
    label = COUNT_LABELS[ind.evidence]
    if as_of < judged_from:
        return (INSUFFICIENT, f"{label}: {b} in the {w} months before {fmt(identified)}; "
                              f"first judged on {fmt(judged_from)}", None, _refs(baseline))

    def recent(on: dt.date) -> int:
        return bisect.bisect_right(dates, on) - bisect.bisect_right(dates, months_before(on, w))

    def positive(on: dt.date) -> bool:
        a = recent(on)
        if ind.reduction is None:
            return a <= ind.at_most
        # No baseline, no reduction: 0 to 0 is never positive, whatever the window holds.
        return b > 0 and Fraction(b - a, b) >= ind.reduction

    a = recent(as_of)
    in_window = [r for r in records if months_before(as_of, w) < r.date <= as_of]
    counts = (f"{label}: {b} in the {w} months before {fmt(identified)}, {a} in the {w} "
              f"months to {fmt(as_of)}")
    refs = _refs(baseline + in_window)
    if ind.reduction is not None and b == 0:
        return (NOT_MET, f"{counts}: a reduction needs a baseline, and with none before "
                         "the need was identified there is nothing to reduce", None, refs)
    if not positive(as_of):
        return NOT_MET, f"{counts} ({ind.describe()})", None, refs
    since = as_of
    while since > judged_from and positive(since - DAY):
        since -= DAY
    return "positive", counts, since, refs


def _school_rate(facts: _Facts, evidence: OutcomeEvidence, need: NeedData, ind: Indicator,
                 as_of: dt.date):
    rules = facts.rules
    identified = need.identified_on
    if need.person_ref:
        children = [need.person_ref]
    else:
        lo, hi = rules.school_age_min, rules.school_age_max
        children = sorted(ref for ref, dob in facts.dob.items()
                          if lo <= age_on(dob, identified) <= hi)
    if not children:
        return INSUFFICIENT, f"No child of school age on {fmt(identified)}", None, ()
    ends = _term_ends(rules.term_ends, identified, as_of)  # (end, (year, term)) ascending

    def judge(upto: int):
        """Whether the children passed over the `ind.terms` terms ending with ends[upto]."""
        window = [key for _, key in ends[upto - ind.terms + 1: upto + 1]]
        missing, failing = [], []
        for child in children:
            have = facts.terms.get(child, {})
            rows = [have[k] for k in window if k in have]
            if len(rows) < len(window):
                missing.append(child)
                continue
            possible = sum(r.sessions_possible for r in rows)
            unauthorised = sum(r.sessions_unauthorised for r in rows)
            fixed = sum(r.fixed_exclusions for r in rows)
            if (possible and Fraction(unauthorised, possible) > ind.unauthorised_at_most) or (
                    ind.fixed_exclusions_at_most is not None
                    and fixed > ind.fixed_exclusions_at_most) or any(
                    r.permanent_exclusion or not r.on_roll for r in rows):
                failing.append(f"{child}: {unauthorised} of {possible} sessions missed "
                               f"unauthorised, {fixed} fixed exclusions")
        return missing, failing

    if len(ends) < ind.terms:
        return (INSUFFICIENT, f"Needs {ind.terms} complete school terms after "
                              f"{fmt(identified)}; {len(ends)} so far", None, tuple(children))
    last = len(ends) - 1
    names = ", ".join(f"{t} {y}/{(y + 1) % 100:02d}"
                      for _, (y, t) in ends[last - ind.terms + 1:][::-1])
    missing, failing = judge(last)
    if failing:
        return NOT_MET, f"Over {names}: " + "; ".join(failing), None, tuple(children)
    if missing:
        return (INSUFFICIENT, f"No term record for {', '.join(missing)} in each of {names}",
                None, tuple(children))
    first = last
    while first - 1 >= ind.terms - 1 and judge(first - 1) == ([], []):
        first -= 1
    return "positive", f"Every child passed over {names}", ends[first][0], tuple(children)


def _term_ends(term_ends, after: dt.date, upto: dt.date):
    out = []
    for year in range(after.year - 1, upto.year + 1):
        for name, month, day, offset in term_ends:
            end = dt.date(year + offset, month, day)
            if after < end <= upto:
                out.append((end, (year, name)))
    return sorted(out)


def _status(facts: _Facts, evidence: OutcomeEvidence, need: NeedData, ind: Indicator,
            as_of: dt.date):
    found = [s for s in evidence.child_status
             if s.status in ind.statuses and s.start <= as_of
             and (need.person_ref is None or s.person_ref == need.person_ref)]
    names = " or ".join(s.replace("_", " ") for s in ind.statuses)
    if not found:
        return INSUFFICIENT, f"No {names} is recorded", None, ()
    refs = _refs(found)
    open_now = [s for s in found if s.end is None or s.end >= as_of]
    if open_now:
        s = min(open_now, key=lambda s: s.start)
        return NOT_MET, f"{s.person_ref}: {s.status.replace('_', ' ')} open since {fmt(s.start)}", \
            None, refs
    ended = max(s.end for s in found)
    since = max(ended + DAY, need.identified_on)
    return "positive", f"No {names} open since {fmt(ended)}", since, refs


def _assessment(facts: _Facts, evidence: OutcomeEvidence, need: NeedData, ind: Indicator,
                as_of: dt.date):
    found = sorted((a for a in evidence.assessments
                    if a.need_ref == need.ref and a.date <= as_of),
                   key=lambda a: (a.date, a.ref))
    if not found:
        return INSUFFICIENT, "No practitioner's assessment of this need yet", None, ()
    latest = found[-1]
    by = f"Assessed {latest.outcome} by {latest.assessed_by} on {fmt(latest.date)}"
    if latest.outcome != "positive":
        return NOT_MET, by, None, _refs(found)
    run = found
    negatives = [i for i, a in enumerate(found) if a.outcome != "positive"]
    if negatives:
        run = found[negatives[-1] + 1:]
    return "positive", by, run[0].date, _refs(found)


def _refs(records) -> tuple[str, ...]:
    return tuple(sorted({r.ref for r in records}))


# Payments ---------------------------------------------------------------------------------


def outcome_claimable(evaluation: OutcomeEvaluation, prior: list[PriorClaim],
                      frame: OutcomeFrame) -> list[Claimable]:
    """The results a claim dated as_of may be made for: one results claim a family, by
    continuous employment (where the frame has that route) or the family's outcome."""
    attached_on = evaluation.attached_on
    if not evaluation.eligible or prior:
        return []
    if attachment_bars(frame, attached_on, evaluation.as_of) is not None:
        return []  # not attached by then, attached outside the programme, or claimed too early
    met = {"family_outcome": evaluation.family_outcome == MET,
           "continuous_employment": evaluation.continuous_employment is not None
           and evaluation.continuous_employment.value == MET}
    amounts = dict(frame.result_amounts)
    return [Claimable(result, frame.result_amount(result, attached_on))
            for result in OUTCOME_RESULTS if result in amounts and met[result]]


# Equivalent progress -----------------------------------------------------------------------


def need_programme(problem: str, attached_on: dt.date | None, chosen: str | None,
                   frames: dict[str, OutcomeFrame]) -> tuple[OutcomeFrame | None, str]:
    """The later programme a need is judged under, and why: the one frame that has its
    problem; else the programme named (`chosen`: the command's --ruleset, or the programme the
    council claims under); else the frame that takes the family's attachment date; else
    phase2. None when no frame has the problem."""
    having = [f for f in frames.values() if problem in f.headline_problems]
    if not having:
        return None, f"no later programme has the headline problem {problem}"
    if len(having) == 1:
        return having[0], f"{problem} is a headline problem of {having[0].name} only"
    if chosen in frames:
        return frames[chosen], f"the need is judged under {chosen}"
    if attached_on is not None:
        for f in having:
            if f.takes_attachment(attached_on):
                return f, f"the family was attached on {fmt(attached_on)}, under {f.name}"
    default = frames.get("phase2", having[0])
    return default, f"the need is judged under {default.name}"


def discretion_refusal(need_ref: str, problem: str, attached_on: dt.date | None,
                       chosen: str | None, frames: dict[str, OutcomeFrame]) -> str | None:
    """Why equivalent progress may not be approved on the need, or None when it may: it is
    phase2's local discretion, refused under supporting_families (and for a need whose problem
    only supporting_families has)."""
    frame, why = need_programme(problem, attached_on, chosen, frames)
    if frame is None:
        return f"{need_ref} is a need under {problem}, and {why}"
    if not frame.allows_discretion:
        allowing = ", ".join(f.name for f in frames.values() if f.allows_discretion)
        return (f"{need_ref} is a need under {problem} and {why}: {frame.name} does not allow "
                f"equivalent progress (local discretion is {allowing}'s only)")
    return None
