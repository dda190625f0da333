"""The later programmes' evaluation of many families (set-based, then the pure rules): the
frames' rulesets, the council's Outcome Plan in force, the evidence they read and the
evaluation itself. Below casework.outcomes (its pages and the plan's loading) so that the
stored evaluation (casework.evaluation.store) evaluates each programme's families under its
own rules too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy import select

from .. import models as m
from ..evidence.kinds import EVIDENCE, day
from ..extensions import db
from ..lookups import one_of
from ..rules import Claimable, FamilyData, PriorClaim
from ..rules.evidence import AssessmentData, DiscretionData, NeedData, OutcomeEvidence
from ..rules.outcomes import OutcomeEvaluation, evaluate_outcomes, outcome_claimable
from ..rules.plan import OutcomePlan, PlanError, load_plan
from ..rules.ruleset import RULESETS, OutcomeFrame
from .service import (
    BATCH,
    _rows,
    attempt,
    episode_dates,
    load_families,
    members,
    read_evidence,
)

EXAMPLES = Path(__file__).parent.parent / "outcomes" / "plans"  # the worked examples
OUTCOME_RULESETS = tuple(name for name, r in RULESETS.items() if isinstance(r, OutcomeFrame))


def frame(name: str) -> OutcomeFrame:
    ruleset = RULESETS.get(name)
    if not isinstance(ruleset, OutcomeFrame):
        raise ValueError(f"{name!r} is not a ruleset with an Outcome Plan; use "
                         f"{', '.join(OUTCOME_RULESETS)}")
    return ruleset


_loaded: dict[tuple[str, str], OutcomePlan] = {}


def council_plan(name: str) -> OutcomePlan:
    """The ruleset's Outcome Plan in force: the newest version loaded, else the worked example
    shipped with casework. PlanError when it no longer passes the checks."""
    rules = frame(name)
    V = m.OutcomePlanVersion
    newest = db.session.execute(select(V.id, V.sha256).where(V.ruleset == name)
                                .order_by(V.id.desc()).limit(1)).first()
    key = (name, newest.sha256 if newest else "example")
    if key not in _loaded:
        if newest is None:
            path = EXAMPLES / f"{name}.json"
            text, source = path.read_text(encoding="utf-8"), str(path)
        else:
            text, source = db.session.execute(
                select(V.content, V.file_name).where(V.id == newest.id)).one()
        _loaded[key] = load_plan(text, source, rules)
    return _loaded[key]


def plan_errors(name: str) -> list[str]:
    """What is wrong with the programme's Outcome Plan in force, each problem naming its file,
    line and field ("plan.json:12: problems.education.indicators.attendance.terms: must be a
    whole number, 1 or more"); [] when it reads, or the programme has no Outcome Plan. A plan
    loaded before a check it now fails (or its stored text damaged) cannot be evaluated: the
    refresh leaves its programme's rows as they were and says so (casework.evaluation.store),
    and so do the programme's pages."""
    if name not in OUTCOME_RULESETS:
        return []
    try:
        council_plan(name)
    except PlanError as refused:
        return list(refused.errors)
    return []


@dataclasses.dataclass(frozen=True)
class OutcomeFamilyEvaluation:
    family_id: int
    evaluation: OutcomeEvaluation
    claimable: list[Claimable]
    data: FamilyData
    evidence: OutcomeEvidence


def load_evidence(ids: list[int], programme: str) -> dict[int, OutcomeEvidence]:
    """The later programme's evidence of these families (at most BATCH), in a few queries;
    "closed" is the closure of the family's episode in that programme."""
    closed = {fid: dates[1] for fid, dates in episode_dates(ids, programme, raw=False).items()}
    member, _ = members(ids, raw=False)
    found = read_outcome_evidence(ids, member, raw=False)
    return {fid: OutcomeEvidence(closed.get(fid), **found[fid]) for fid in ids}


def read_outcome_evidence(ids: list[int], member: dict[int, tuple[int, str]],
                          raw: bool = True, known: dict[str, dict[int, list]] | None = None
                          ) -> dict[int, dict[str, tuple]]:
    """What the later programmes read of these families beside their phase 1 evidence, the
    same under every later programme (OutcomeEvidence's fields but the episode's closure):
    each family's field -> records. `member`: person id -> (family id, person_ref) of at
    least these families' people (evaluation.service.members). `known`: the records of
    some kinds already read (field -> family id -> records), not read again."""
    P = m.Person
    rows = functools.partial(_rows, raw=raw)
    known = known or {}
    # Each kind of evidence the later programmes read, as its declaration reads it.
    later = {**known, **read_evidence([k for k in EVIDENCE if k.rules.later
                                       and k.rules.field not in known], ids, member, raw=raw)}
    needs: dict[int, list] = defaultdict(list)
    need_family: dict[str, int] = {}
    N = m.Need
    for fid, ref, problem, indicator, identified, pref in rows(
        select(N.family_id, N.need_ref, N.problem, N.indicator, N.identified_on, P.person_ref)
        .outerjoin(P, N.person_id == P.id).where(one_of(N.family_id, ids))
    ):
        needs[fid].append(NeedData(ref, problem, indicator, day(identified), pref))
        need_family[ref] = fid
    assessments: dict[int, list] = defaultdict(list)
    A = m.Assessment
    for i in range(0, len(need_family), 900):
        refs = sorted(need_family)[i : i + 900]
        for ref, need_ref, date, outcome, by, note in rows(
            select(A.assessment_ref, A.need_ref, A.date, A.outcome, A.assessed_by, A.note)
            .where(A.need_ref.in_(refs))
        ):
            assessments[need_family[need_ref]].append(
                AssessmentData(ref, need_ref, day(date), outcome, by, note))
    discretions: dict[int, list] = defaultdict(list)
    X, U = m.NeedDiscretion, m.User
    for fid, need_ref, on, name, reason in rows(
        select(N.family_id, N.need_ref, X.approved_on, U.name, X.reason)
        .join(N, X.need_id == N.id).join(U, X.approved_by_id == U.id)
        .where(one_of(N.family_id, ids))
    ):
        discretions[fid].append(DiscretionData(need_ref, day(on), name, reason))
    return {
        fid: {"needs": tuple(needs[fid]), "assessments": tuple(assessments[fid]),
              "discretions": tuple(discretions[fid]),
              **{field: tuple(found.get(fid, ())) for field, found in later.items()}}
        for fid in ids
    }


def prior_claims(ids: list[int], ruleset: str) -> dict[int, list[PriorClaim]]:
    """Claims already recorded under the ruleset (any state but rejected)."""
    claims: dict[int, list[PriorClaim]] = defaultdict(list)
    for fid, result, amount in db.session.execute(
        select(m.Claim.family_id, m.Claim.result, m.Claim.amount)
        .where(one_of(m.Claim.family_id, ids), m.Claim.state != "rejected",
               m.Claim.ruleset == ruleset)
        .order_by(m.Claim.id)
    ):
        claims[fid].append(PriorClaim(result, amount))
    return claims


def evaluate_outcome_families(
    as_of: dt.date, ids: Iterable[int], name: str, data: dict[int, FamilyData] | None = None,
    failed: list[tuple[int, str, str]] | None = None,
) -> Iterator[OutcomeFamilyEvaluation]:
    """Evaluate the families (in the order given) under the ruleset and its Outcome Plan.
    With `failed`, a family whose rules raise is left out and added to it
    (service.failure) instead of stopping the rest."""
    rules, plan = frame(name), council_plan(name)
    ids = list(ids)
    for i in range(0, len(ids), BATCH):
        chunk = ids[i : i + BATCH]
        if data is None:
            families = load_families(chunk, name)
        else:  # already read for a page: its attachment is this programme's episode's
            signed_up = episode_dates(chunk, name, raw=False)
            families = {fid: dataclasses.replace(
                data[fid], attached_on=signed_up.get(fid, (None, None))[0]) for fid in chunk}
        evidence = load_evidence(chunk, name)
        claims = prior_claims(chunk, name)
        for fid in chunk:
            item = attempt(failed, fid, name, evaluated, fid, families[fid], evidence[fid],
                           claims.get(fid, []), as_of, rules, plan)
            if item is not None:
                yield item


def evaluated(fid: int, data: FamilyData, evidence: OutcomeEvidence, claims: list[PriorClaim],
              as_of: dt.date, rules: OutcomeFrame, plan: OutcomePlan) -> OutcomeFamilyEvaluation:
    """One family's evaluation under the frame and plan, from its evidence already read."""
    evaluation = evaluate_outcomes(data, evidence, as_of, rules, plan)
    return OutcomeFamilyEvaluation(fid, evaluation, outcome_claimable(evaluation, claims, rules),
                                   data, evidence)


