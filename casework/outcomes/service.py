"""The later programmes: the council's Outcome Plan, the evidence the frames read, and
evaluation of many families under a frame (set-based, then the pure rules)."""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

from flask import abort, current_app
from sqlalchemy import func, select

from .. import models as m
from ..access import may_approve_discretion, may_load_outcome_plan
from ..audit import record_event
from ..evaluation.later import (  # noqa: F401  (the later programmes' evaluation, kept here too)
    EXAMPLES,
    OUTCOME_RULESETS,
    OutcomeFamilyEvaluation,
    council_plan,
    evaluate_outcome_families,
    frame,
    load_evidence,
    prior_claims,
)
from ..evaluation.store import mark_stale, programme_family_ids
from ..extensions import db
from ..rules import FamilyData
from ..rules.claims import attachment_bars
from ..rules.dates import govdate
from ..rules.outcomes import (
    discretion_refusal,
)
from ..rules.plan import INDICATOR_TYPE_WORDS, OutcomePlan, PlanError, field_line, load_plan
from ..rules.wording import words
from ..transaction import transaction, transactional


def plan_versions(name: str) -> list[m.OutcomePlanVersion]:
    """Every version of the ruleset's Outcome Plan loaded, newest (the one in force) first."""
    V = m.OutcomePlanVersion
    return list(db.session.scalars(select(V).where(V.ruleset == name).order_by(V.id.desc())))


def plan_version_or_404(name: str, version_id: int) -> m.OutcomePlanVersion:
    """One version of the ruleset's Outcome Plan; 404 if it is none or another ruleset's."""
    row = db.session.get(m.OutcomePlanVersion, version_id)
    if row is None or row.ruleset != name:
        abort(404)
    return row


def example_text(name: str) -> str:
    frame(name)
    return (EXAMPLES / f"{name}.json").read_text(encoding="utf-8")


def load_plan_version(name: str, content: bytes, file_name: str,
                      by: m.User) -> m.OutcomePlanVersion:
    """Check an Outcome Plan file and, when it passes, store it as the ruleset's plan in
    force, with who loaded it: the one way a plan is loaded (the Outcome Plans page and
    `casework plans load`). Refused whole with PlanError naming every problem as
    FILE:LINE: FIELD: message; a refusal is audited too and nothing else is written. The
    programme's families are marked to be evaluated again under it, in the same transaction
    (the request's end, or the refresh job when they are many: store.keep_current)."""
    rules = frame(name)
    file_name = Path(file_name or "plan.json").name[:255]
    try:
        with transaction():
            if not may_load_outcome_plan(by):
                raise PlanError([f"{by.email} is not an administrator: only administrators load "
                                 "an Outcome Plan"])
            if content.startswith(codecs.BOM_UTF8):
                raise PlanError([f"{file_name}:1: file: starts with a byte order mark; save it as "
                                 "UTF-8 without one"])
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                raise PlanError([f"{file_name}:1: file: is not UTF-8 text"]) from None
            plan = load_plan(text, file_name, rules)
            V = m.OutcomePlanVersion
            earlier = db.session.scalar(select(V).where(V.ruleset == name,
                                                        V.version == plan.version))
            if earlier is not None:
                same = ("this file is the same" if earlier.sha256 == plan.sha256
                        else "with different content: give this plan a new version")
                raise PlanError([
                    f"{file_name}:{field_line(text, 'version')}: version: {plan.version!r} was "
                    f"already loaded on {govdate(earlier.loaded_at)} by {earlier.loaded_by.name}; "
                    f"{same}"])
            row = V(ruleset=name, version=plan.version, title=plan.title,
                    effective_from=plan.effective_from, content=text, sha256=plan.sha256,
                    file_name=file_name, loaded_by_id=by.id)
            db.session.add(row)
            mark_stale(programme_family_ids(name))
            record_event("load_plan", "outcome_plan", f"{name} {plan.version}", user=by,
                         detail=f"{file_name}, SHA-256 {plan.sha256}: {plan.title}")
    except PlanError as refused:  # rolled back: nothing is stored but the refusal
        with transaction():
            record_event("load_plan_refused", "outcome_plan", name, user=by,
                         detail=f"{file_name}: {len(refused.errors)} problem(s): "
                                f"{refused.errors[0]}")
        raise
    return row


def is_example(plan: OutcomePlan) -> bool:
    return Path(plan.source).parent == EXAMPLES


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def to_json(item: OutcomeFamilyEvaluation) -> dict:
    """The contract's JSON object for one family under a later programme's ruleset."""
    e = item.evaluation
    out = {
        "family_ref": e.family_ref,
        "as_of": e.as_of.isoformat(),
        "ruleset": e.ruleset,
        "outcome_plan": e.plan,
        "eligible": e.eligible,
        "problems": list(e.problems),
        "eligibility_reason": e.eligibility_reason,
        "attached_on": _iso(e.attached_on),
        "needs": [
            {"need_ref": r.need.ref, "problem": r.need.problem, "indicator": r.need.indicator,
             "person_ref": r.need.person_ref, "identified_on": r.need.identified_on.isoformat(),
             "status": r.status, "sustained_from": _iso(r.sustained_from),
             "claimable_from": _iso(r.claimable_from), "reason": r.reason}
            for r in e.needs
        ],
        "family_outcome": e.family_outcome,
        "claimable_from": _iso(e.claimable_from),
        "claimable": [{"result": c.result, "amount": c.amount} for c in item.claimable],
    }
    if e.continuous_employment is not None:
        out["continuous_employment"] = e.continuous_employment.value
    return out


class DiscretionRefused(Exception):
    """Equivalent progress was not recorded; the message says why."""


def discretion_bar(need: m.Need, ruleset: str | None = None) -> str | None:
    """Why equivalent progress may not be approved on the need (it is under
    supporting_families, or its problem is only supporting_families'), or None when it may.
    `ruleset` names the programme; else the council's OUTCOME_RULESET; else the need belongs
    to the programme of the family's episode (the one open when it was identified, else its
    last: rules.outcomes.need_programme)."""
    E = m.Episode
    held = db.session.execute(select(E.signed_up_on, E.closed_on).where(
        E.family_id == need.family_id).order_by(E.signed_up_on, E.id)).all()
    episode = next((e for e in held if e.closed_on is None or e.closed_on >= need.identified_on),
                   held[-1] if held else None)
    frames = {name: frame(name) for name in OUTCOME_RULESETS}
    chosen = ruleset or current_app.config.get("OUTCOME_RULESET")
    return discretion_refusal(need.need_ref, need.problem,
                              episode.signed_up_on if episode else None, chosen, frames)


def family_need_or_404(family: m.Family, need_ref: str) -> m.Need:
    """One of the family's needs; 404 if it is none or another family's."""
    need = db.session.scalar(select(m.Need).where(m.Need.need_ref == need_ref,
                                                  m.Need.family_id == family.id))
    if need is None:
        abort(404)
    return need


def discretions_of(need: m.Need) -> list[tuple[dt.date, str, str]]:
    """Equivalent progress already approved on the need: (date, approver, reason), oldest
    first."""
    X = m.NeedDiscretion
    return [tuple(row) for row in db.session.execute(
        select(X.approved_on, m.User.name, X.reason).join(m.User, X.approved_by_id == m.User.id)
        .where(X.need_id == need.id).order_by(X.approved_on, X.id))]


@transactional
def record_discretion(need_ref: str, by: m.User, on: dt.date, reason: str,
                      ruleset: str | None = None) -> m.NeedDiscretion:
    """Record a programme manager's approval of equivalent progress on a need (phase2's
    local discretion), named and with a reason, in the audit log too. Refused under
    supporting_families, which does not allow it: for a need whose problem only it has, when
    `ruleset` (else the programme the council claims under) is supporting_families, or when
    neither is set and the family was attached in its years (rules.outcomes.need_programme)."""
    if not may_approve_discretion(by):
        raise DiscretionRefused(f"{by.email} is not a programme manager: only programme "
                                "managers approve equivalent progress")
    if ruleset is not None and ruleset not in OUTCOME_RULESETS:
        raise DiscretionRefused(f"{ruleset!r} is not a later programme's ruleset; use "
                                f"{', '.join(OUTCOME_RULESETS)}")
    if not (reason or "").strip():
        raise DiscretionRefused("give the reason for judging the progress equivalent")
    need = db.session.scalar(select(m.Need).where(m.Need.need_ref == need_ref))
    if need is None:
        raise DiscretionRefused(f"no need with reference {need_ref}")
    refusal = discretion_bar(need, ruleset)
    if refusal is not None:
        raise DiscretionRefused(refusal)
    if on < need.identified_on:
        raise DiscretionRefused(f"the need was identified on {need.identified_on}: equivalent "
                                "progress cannot be approved before that")
    discretion = m.NeedDiscretion(need_id=need.id, approved_on=on, approved_by_id=by.id,
                                  reason=reason.strip())
    db.session.add(discretion)
    family_ref = db.session.scalar(select(m.Family.family_ref)
                                   .where(m.Family.id == need.family_id))
    record_event("discretion", "need", need_ref, user=by,
                 detail=f"{family_ref}: equivalent progress on {on}: {reason.strip()}"[:500])
    return discretion


# Pages ------------------------------------------------------------------------------------

FRAME_LABELS = {"phase2": "the expanded programme, 2015-20",
                "supporting_families": "Supporting Families"}


@dataclasses.dataclass(frozen=True)
class PlanContents:
    """A plan version as a reader sees it: the plan (None when it no longer passes the
    checks, with `errors`), and each headline problem with its description and indicators
    in words (name, kind, what counts as progress, the months it must be sustained)."""

    plan: OutcomePlan | None
    problems: list[dict]
    errors: list[str]


def plan_contents(name: str, text: str, file_name: str) -> PlanContents:
    try:
        plan = load_plan(text, file_name, frame(name))
    except PlanError as refused:
        return PlanContents(None, [], refused.errors)
    described = json.loads(text).get("problems", {})
    problems = []
    for key, indicators in plan.problems.items():
        problems.append({
            "key": key, "name": words(key),
            "description": (described.get(key) or {}).get("description", ""),
            "indicators": [{"key": i.name, "name": words(i.name), "kind": INDICATOR_TYPE_WORDS[i.type],
                            "progress": i.threshold()[:1].upper() + i.threshold()[1:],
                            "description": i.description, "sustain_months": i.sustain_months}
                           for i in indicators.values()]})
    return PlanContents(plan, problems, [])


def frame_label(name: str, capital: bool = True) -> str:
    """A frame named for a page: 'The expanded programme, 2015-20' to begin a heading,
    'the expanded programme, 2015-20' in a sentence; 'Supporting Families' either way."""
    label = FRAME_LABELS.get(name, words(name))
    return label[:1].upper() + label[1:] if capital else label


def claim_rulesets() -> list[tuple[str, str]]:
    """The rulesets a claims build started on the Claims page may use: the 2012 results, and
    the later programme the council claims under (OUTCOME_RULESET), if it has chosen one."""
    choices = [("phase1", "The 2012-15 results (phase1)")]
    name = current_app.config["OUTCOME_RULESET"]
    if name:
        label = FRAME_LABELS.get(name, name)
        choices.append((name, f"{label[0].upper()}{label[1:]} ({name}), by the council's "
                              "Outcome Plan"))
    return choices


def family_outcomes(family: m.Family, as_of: dt.date, data: FamilyData) -> dict | None:
    """The family page's view under the council's later programme (OUTCOME_RULESET), or None
    when the council has not chosen one: the evaluation, or the plan's errors."""
    name = current_app.config["OUTCOME_RULESET"]
    if not name:
        return None
    view: dict = {"ruleset": name, "label": FRAME_LABELS.get(name, name)}
    try:
        plan = council_plan(name)
    except (PlanError, ValueError) as error:
        view["errors"] = getattr(error, "errors", [str(error)])
        return view
    item = next(evaluate_outcome_families(as_of, [family.id], name, {family.id: data}))
    assessments: dict[str, list] = defaultdict(list)
    for a in sorted(item.evidence.assessments, key=lambda a: (a.date, a.ref), reverse=True):
        assessments[a.need_ref].append(a)
    view.update(plan=plan, example=is_example(plan), item=item, assessments=assessments,
                evaluation=item.evaluation, allows_discretion=frame(name).allows_discretion,
                barred=family.attached_on and attachment_bars(frame(name), family.attached_on,
                                                              as_of))
    return view


def needs_by_count(families) -> list[tuple[int, int]]:
    """(number of needs, families with that many) among the families selected."""
    ids = families.with_only_columns(m.Family.id).scalar_subquery()
    per_family = (select(func.count(m.Need.id).label("n")).where(m.Need.family_id.in_(ids))
                  .group_by(m.Need.family_id).subquery())
    return [tuple(row) for row in db.session.execute(
        select(per_family.c.n, func.count()).group_by(per_family.c.n).order_by(per_family.c.n))]


def claims_by_month(families, programme: str | None = None) -> list[dict]:
    """Claims of the families selected (of one programme, if given), by the month of the
    claim date: count and amount in each state, latest month first."""
    ids = families.with_only_columns(m.Family.id).scalar_subquery()
    months: dict[dt.date, dict] = {}
    query = select(m.Claim.as_of, m.Claim.state, m.Claim.amount).where(
        m.Claim.family_id.in_(ids))
    if programme is not None:
        query = query.where(m.Claim.ruleset == programme)
    for as_of, state, amount in db.session.execute(query):
        month = months.setdefault(as_of.replace(day=1), {
            "month": as_of.replace(day=1), **{s: 0 for s in m.CLAIM_STATES}, "amount": 0})
        month[state] += 1
        if state != "rejected":
            month["amount"] += amount
    return sorted(months.values(), key=lambda r: r["month"], reverse=True)
