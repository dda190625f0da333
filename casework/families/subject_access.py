"""Everything held about one person, for a subject access request: the records about them,
and those about their family as a whole (family-level ASB and domestic abuse, the plan, its
goals and whole-family referrals, allocations, claims and their frozen evidence), which are
held about them too."""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import and_, func, or_, select

from .. import models as m
from ..access import visible_families
from ..audit import record_event
from ..extensions import db
from ..reports.pdf import render_pdf
from ..transaction import transaction


def _row(obj, fields: tuple[str, ...], **extra) -> dict:
    return {**{f: getattr(obj, f) for f in fields}, **extra}


def _about(model, person: m.Person):
    """Rows of `model` about the person, or about their family and no one person."""
    return db.session.scalars(select(model).where(or_(
        model.person_id == person.id,
        and_(model.family_id == person.family_id, model.person_id.is_(None)))).order_by(model.id))


def _under(ref: str):
    """History references `ref/...` (a school term is `person_ref/year/term`), matched
    exactly on every database: no LIKE, whose `_` and `%` are wildcards and which ignores
    case on SQLite."""
    prefix = ref + "/"
    return func.substr(m.RecordHistory.record_ref, 1, len(prefix)) == prefix


def _whose(record, person: m.Person) -> str:
    return "person" if record.person_id == person.id else "family"


def _claim(claim: m.Claim, ref: str) -> dict:
    """A claim of the family, with the family and the person's evidence as it was frozen."""
    snapshot = claim.snapshot or {}
    evidence = {kind: [row for row in rows if ref in (row.get("person_ref"), row.get("ref"))]
                for kind, rows in snapshot.get("evidence", {}).items()}
    return {"claim_id": claim.id, "result": claim.result, "amount": claim.amount,
            "state": claim.state, "as_of": claim.as_of, "family_as_claimed": snapshot.get("family"),
            "evidence_about_the_person": {k: rows for k, rows in evidence.items() if rows}}


def subject_access_data(person: m.Person) -> dict:
    family = person.family
    ref = person.person_ref
    contacts = [c for c in db.session.scalars(
        select(m.Contact).where(m.Contact.family_id == family.id).order_by(m.Contact.contact_at))
        if ref in (c.present or [])]
    asb = list(_about(m.AsbRecord, person))
    abuse = list(_about(m.DomesticAbuseIncident, person))
    offences = list(db.session.scalars(select(m.Offence).where(m.Offence.person_id == person.id)))
    work = list(db.session.scalars(select(m.WorkSpell).where(m.WorkSpell.person_id == person.id)))
    referrals = list(db.session.scalars(select(m.Referral).where(
        m.Referral.family_id == family.id,
        or_(m.Referral.person_ref == ref, m.Referral.person_ref.is_(None)))
        .order_by(m.Referral.id)))
    goals = list(db.session.scalars(select(m.PlanGoal).where(m.PlanGoal.family_id == family.id)
                                    .order_by(m.PlanGoal.id)))
    plan = db.session.scalar(select(m.FamilyPlan).where(m.FamilyPlan.family_id == family.id))
    statuses = list(db.session.scalars(select(m.ChildStatus).where(
        m.ChildStatus.person_id == person.id).order_by(m.ChildStatus.id)))
    needs = list(_about(m.Need, person))
    assessments = list(db.session.scalars(select(m.Assessment).where(
        m.Assessment.need_ref.in_([n.need_ref for n in needs])).order_by(m.Assessment.id)))
    claims = list(db.session.scalars(select(m.Claim).where(m.Claim.family_id == family.id)
                                     .order_by(m.Claim.id)))
    # The history of every record above: record type -> the references of its records.
    records = {
        "people": [ref], "families": [family.family_ref], "plan": [family.family_ref],
        "asb": [a.asb_ref for a in asb], "domestic-abuse": [d.incident_ref for d in abuse],
        "offences": [o.offence_ref for o in offences], "work": [w.work_ref for w in work],
        "contact": [str(c.id) for c in contacts], "referral": [str(r.id) for r in referrals],
        "goal": [str(g.id) for g in goals], "claim": [str(c.id) for c in claims],
        "child-status": [c.status_ref for c in statuses], "needs": [n.need_ref for n in needs],
        "assessments": [a.assessment_ref for a in assessments],
    }
    history = db.session.scalars(select(m.RecordHistory).where(or_(
        and_(m.RecordHistory.record_type == "school-terms", _under(ref)),
        *[and_(m.RecordHistory.record_type == kind, m.RecordHistory.record_ref.in_(refs))
          for kind, refs in records.items() if refs])).order_by(m.RecordHistory.id))
    return {
        "person": _row(person, ("person_ref", "given_name", "family_name", "date_of_birth", "sex",
                                "gender", "ethnicity", "nhs_number", "upn",
                                "expected_date_of_birth", "date_of_death")),
        "family": _row(family, ("family_ref", "family_name", "address", "postcode", "ward",
                                "identified_on", "attached_on", "local_discretion",
                                "local_discretion_reason")),
        "school_terms": [_row(t, ("academic_year", "term", "sessions_possible",
                                  "sessions_unauthorised", "fixed_exclusions", "permanent_exclusion",
                                  "alternative_provision", "on_roll"))
                         for t in db.session.scalars(select(m.SchoolTerm).where(
                             m.SchoolTerm.person_id == person.id))],
        "asb": [_row(a, ("asb_ref", "date", "kind"), recorded_for=_whose(a, person)) for a in asb],
        "domestic_abuse_incidents": [_row(d, ("incident_ref", "date"),
                                          recorded_for=_whose(d, person)) for d in abuse],
        "offences": [_row(o, ("offence_ref", "offence_date", "proven")) for o in offences],
        "child_statuses": [_row(c, ("status_ref", "status", "start_date", "end_date"))
                           for c in statuses],
        "needs": [_row(n, ("need_ref", "problem", "indicator", "identified_on"),
                       recorded_for=_whose(n, person)) for n in needs],
        "assessments": [_row(a, ("assessment_ref", "need_ref", "date", "outcome", "assessed_by",
                                 "note")) for a in assessments],
        "work": [_row(w, ("work_ref", "kind", "benefit", "start_date", "end_date")) for w in work],
        "contacts_present_at": [
            {"contact_at": c.contact_at, "kind": c.kind, "by": c.author.name, "notes": c.notes,
             "actions": [{"action": a.action, "due_on": a.due_on, "done_on": a.done_on}
                         for a in c.actions]}
            for c in contacts],
        "family_plan": ([_row(plan, ("lead_professional", "lead_agency", "updated_at"))]
                        if plan else []),
        "plan_goals": [_row(g, ("problem", "goal", "status", "target_on", "created_at"))
                       for g in goals],
        "referrals": [_row(r, ("kind", "agency", "status", "referred_on", "status_on", "notes"),
                           recorded_for="person" if r.person_ref else "family")
                      for r in referrals],
        "allocations": [{"worker": a.worker.name, "start_on": a.start_on, "end_on": a.end_on,
                         "reason": a.reason, "end_reason": a.end_reason, "outcome": a.outcome}
                        for a in db.session.scalars(select(m.Allocation).where(
                            m.Allocation.family_id == family.id).order_by(m.Allocation.start_on))],
        "claims": [_claim(c, ref) for c in claims],
        "selection_decisions": [
            {"meeting_held_on": d.meeting.held_on, "decision": d.decision,
             "review_on": d.review_on, "reason": d.reason, "lead_person": d.lead_name}
            for d in db.session.scalars(select(m.SelectionDecision).where(
                m.SelectionDecision.family_id == family.id).order_by(m.SelectionDecision.id))],
        "contact_attempts": [_row(a, ("attempted_on", "method", "outcome", "notes"))
                             for a in db.session.scalars(select(m.ContactAttempt).where(
                                 m.ContactAttempt.family_id == family.id)
                                 .order_by(m.ContactAttempt.attempted_on))],
        "sign_up": [_row(u, ("outcome", "decided_on", "sharing_agreed", "consent_given",
                             "consent_by", "reason"))
                    for u in db.session.scalars(select(m.SignUp).where(
                        m.SignUp.family_id == family.id))],
        "history": [_row(h, ("record_type", "record_ref", "changed_at", "source", "before", "after"))
                    for h in history],
    }


def subject_access_pdf_file(user, person_ref: str) -> tuple[str, bytes] | None:
    """Everything held about the person, as a PDF, if `user` may see their family:
    (file name, PDF)."""
    person = db.session.scalar(
        select(m.Person).where(m.Person.person_ref == person_ref)
        .where(m.Person.family_id.in_(visible_families(user).with_only_columns(m.Family.id))))
    if person is None:
        return None
    data = subject_access_data(person)
    html = render_template("reports/subject_access.html", data=data,
                           council=current_app.config["COUNCIL_NAME"])
    body = render_pdf(html)
    with transaction():
        record_event("export", "person", person.person_ref, user=user,
                     detail="subject access (pdf)")
    return f"subject-access-{person.person_ref}.pdf", body
