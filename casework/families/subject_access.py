"""Everything held about one person, for a subject access request: the records about them,
and those about their family as a whole (family-level ASB and domestic abuse, the plan, its
goals and whole-family referrals, allocations, claims and their frozen evidence), which are
held about them too."""

from __future__ import annotations

import datetime as dt

from flask import current_app, render_template
from sqlalchemy import and_, func, or_, select

from .. import clock
from .. import models as m
from ..access import lead_professional, visible_families
from ..audit import record_event
from ..evidence.kinds import EVIDENCE
from ..extensions import db
from ..reports.pdf import render_pdf
from ..transaction import transaction


def _row(obj, fields: tuple[str, ...], **extra) -> dict:
    """The fields of a record; a timestamp (kept in UTC, models.utcnow) as England's time."""
    return {k: clock.england(v) if isinstance(v, dt.datetime) else v
            for k, v in {**{f: getattr(obj, f) for f in fields}, **extra}.items()}


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


def _claim(claim: m.Claim, ref: str | None) -> dict:
    """A claim of the family, with the family and the person's evidence (every member's, for
    the family: `ref` None) as it was frozen."""
    snapshot = claim.snapshot or {}
    evidence = {kind: [row for row in rows
                       if ref is None or ref in (row.get("person_ref"), row.get("ref"))]
                for kind, rows in snapshot.get("evidence", {}).items()}
    return {"claim_id": claim.id, "result": claim.result, "amount": claim.amount,
            "state": claim.state, "as_of": claim.as_of, "family_as_claimed": snapshot.get("family"),
            "evidence_about_the_person": {k: rows for k, rows in evidence.items() if rows}}


def _contacts(family: m.Family, ref: str | None) -> list[dict]:
    """Every contact the family had (drafts too: they are held), and whether the person (when
    `ref`) was there: a note about the family is about each of its members."""
    rows = []
    for c in db.session.scalars(select(m.Contact).where(m.Contact.family_id == family.id)
                                .order_by(m.Contact.contact_at, m.Contact.id)):
        row = {"contact_at": clock.wall_clock(c.contact_at), "kind": m.CONTACT_KINDS.get(c.kind, c.kind),
               "by": c.author.name, "duration_minutes": c.duration_minutes or None,
               "status": "finished" if c.status == "final" else "draft",
               "present": ", ".join(c.present or []), "notes": c.notes,
               "actions": [{"action": a.action, "due_on": a.due_on, "done_on": a.done_on}
                           for a in c.actions]}
        if ref is not None:
            row["person_was_there"] = ref in (c.present or [])
        rows.append(row)
    return rows


RESULT_FIELDS = ("ruleset", "as_of", "identification_date", "screening", "crime_asb",
                 "education", "work", "local_discretion", "eligible", "result_asb",
                 "result_offending", "result_education", "result_crime_asb_education",
                 "result_progress_to_work", "result_continuous_employment", "claimable_total",
                 "nearly_there")


def _results(family: m.Family) -> list[dict]:
    """What casework worked out about the family from its records, under each programme:
    identification, eligibility and each result (the stored evaluation)."""
    return [_row(e, RESULT_FIELDS, worked_out_at=e.evaluated_at)
            for e in db.session.scalars(select(m.StoredEvaluation).where(
                m.StoredEvaluation.family_id == family.id).order_by(m.StoredEvaluation.ruleset))]


def _match_links(person: m.Person) -> list[dict]:
    """How partners' rows without a reference were linked to the person by matching."""
    rows = []
    for link in db.session.scalars(select(m.MatchLink).where(m.MatchLink.person_id == person.id)
                                   .order_by(m.MatchLink.linked_at, m.MatchLink.id)):
        decided = db.session.get(m.User, link.linked_by_id) if link.linked_by_id else None
        rows.append({"record": f"{link.kind} {link.record_key}",
                     "match_probability": f"{link.match_probability:.0%}",
                     "matching_model_version": link.model_id,
                     "linked_at": clock.england(link.linked_at),
                     "how": (f"decided on review by {decided.name}" if link.review_id and decided
                             else "linked automatically")})
    return rows


def _family_part(family: m.Family, ref: str | None) -> tuple[dict, dict[str, list[str]]]:
    """The records about the family as a whole (for a person, with their share of them)."""
    referrals = list(db.session.scalars(select(m.Referral).where(
        m.Referral.family_id == family.id,
        *([or_(m.Referral.person_ref == ref, m.Referral.person_ref.is_(None))] if ref else []))
        .order_by(m.Referral.id)))
    goals = list(db.session.scalars(select(m.PlanGoal).where(m.PlanGoal.family_id == family.id)
                                    .order_by(m.PlanGoal.id)))
    plan = db.session.scalar(select(m.FamilyPlan).where(m.FamilyPlan.family_id == family.id))
    claims = list(db.session.scalars(select(m.Claim).where(m.Claim.family_id == family.id)
                                     .order_by(m.Claim.id)))
    contacts = _contacts(family, ref)
    part = {
        "family": _row(family, ("family_ref", "family_name", "address", "postcode", "ward",
                                "identified_on", "attached_on", "local_discretion",
                                "local_discretion_reason")),
        "contacts_present_at": [c for c in contacts if c.get("person_was_there")] if ref else None,
        "contacts": contacts,
        "results_worked_out": _results(family),
        # The lead professional from its one source (access.lead_professional: the period
        # named on the team page, else the episode's worker), as every page names them.
        "lead_professional": _lead_now(family),
        "family_plan": _plan(plan),
        "plan_goals": [_row(g, ("problem", "goal", "status", "target_on", "created_at"))
                       for g in goals],
        "referrals": [_row(r, ("kind", "agency", "status", "referred_on", "status_on", "notes",
                               "reason", "may_share", "due_on", "decline_reason", "outcome"),
                           recorded_for=("person" if r.person_ref == ref else r.person_ref)
                           if r.person_ref else "family")
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
        **_team_part(family),
    }
    if ref is None:
        del part["contacts_present_at"]
    records = {"families": [family.family_ref], "plan": [family.family_ref],
               "contact": [str(c.id) for c in db.session.scalars(select(m.Contact).where(
                   m.Contact.family_id == family.id))],
               "referral": [str(r.id) for r in referrals], "goal": [str(g.id) for g in goals],
               "claim": [str(c.id) for c in claims], **_team_records(family)}
    return part, records


def _lead_now(family: m.Family) -> list[str]:
    """The lead professional today in the words every page uses; none: nothing."""
    lead = lead_professional(family)
    return [lead.described] if lead is not None else []


def _plan(plan: m.FamilyPlan | None) -> list[dict]:
    """The plan record. Its own free-text lead professional and agency are no longer shown or
    kept up to date (the lead professional has one source, above); what it still holds is
    held about the family, so it is given, named for what it is."""
    if plan is None:
        return []
    return [{"lead_professional_once_noted_on_the_plan": plan.lead_professional or None,
             "lead_agency_once_noted_on_the_plan": plan.lead_agency or None,
             "updated_at": clock.england(plan.updated_at)}]


TEAM_MODELS = {"taf_member": m.TafMember, "sharing_consent": m.SharingConsent,
               "lead_professional": m.LeadProfessional, "taf_meeting": m.TafMeeting,
               "taf_action": m.TafAction}


def _team_rows(model, family: m.Family) -> list:
    return list(db.session.scalars(select(model).where(model.family_id == family.id)
                                   .order_by(model.id)))


def _team_part(family: m.Family) -> dict:
    """The family's Team Around the Family: its members, its consent to share, its lead
    professionals, its meetings (who attended, the decisions) and actions."""
    return {
        "sharing_consents": [_row(c, ("given_on", "given_by", "withdrawn_on", "withdrawn_note"))
                             for c in _team_rows(m.SharingConsent, family)],
        "taf_members": [{"member": x.user.name, "organisation": x.user.organisation.name
                         if x.user.organisation else "Council", "part": x.role_note,
                         "from_on": x.from_on, "to_on": x.to_on}
                        for x in _team_rows(m.TafMember, family)],
        "lead_professionals": [{"lead": p.user.name, "from_on": p.from_on, "to_on": p.to_on,
                                "handover_note": p.note}
                               for p in _team_rows(m.LeadProfessional, family)],
        "taf_meetings": [{"held_on": mt.held_on, "decisions": mt.decisions,
                          "attended": [a.member.user.name for a in mt.attendances]}
                         for mt in _team_rows(m.TafMeeting, family)],
        "taf_actions": [{"action": a.action, "owner": a.owner.user.name, "due_on": a.due_on,
                         "done_on": a.done_on, "done_note": a.done_note}
                        for a in _team_rows(m.TafAction, family)],
    }


def _team_records(family: m.Family) -> dict[str, list[str]]:
    """The history references of the team's records (`FAMILY_REF/id`)."""
    return {kind: [f"{family.family_ref}/{row.id}" for row in _team_rows(model, family)]
            for kind, model in TEAM_MODELS.items()}


def _person_part(person: m.Person, family_level: bool = True
                 ) -> tuple[dict, dict[str, list[str]]]:
    """The records about the person (and, with `family_level`, the family-level ASB, abuse
    and needs recorded for no one person, held about them too)."""
    ref = person.person_ref

    def about(model):
        return list(_about(model, person)) if family_level else list(db.session.scalars(
            select(model).where(model.person_id == person.id).order_by(model.id)))

    held = [(kind, about(kind.model) if kind.owner == "either" else list(db.session.scalars(
        select(kind.model).where(kind.model.person_id == person.id).order_by(kind.model.id))))
        for kind in EVIDENCE]
    needs = about(m.Need)
    assessments = list(db.session.scalars(select(m.Assessment).where(
        m.Assessment.need_ref.in_([n.need_ref for n in needs])).order_by(m.Assessment.id)))
    part = {
        "person": _row(person, ("person_ref", "given_name", "family_name", "date_of_birth", "sex",
                                "gender", "ethnicity", "nhs_number", "upn",
                                "expected_date_of_birth", "date_of_death")),
        # Each kind of evidence as its declaration exports it (casework/evidence/kinds.py).
        **{kind.shown.export_as: [
            _row(r, kind.shown.exported,
                 **({"recorded_for": _whose(r, person)} if kind.owner == "either" else {}))
            for r in rows] for kind, rows in held},
        "needs": [_row(n, ("need_ref", "problem", "indicator", "identified_on"),
                       recorded_for=_whose(n, person)) for n in needs],
        "assessments": [_row(a, ("assessment_ref", "need_ref", "date", "outcome", "assessed_by",
                                 "note")) for a in assessments],
        "match_links": _match_links(person),
    }
    records = {
        "people": [ref],
        # A kind keyed by one reference has its history by it (school terms by the person's).
        **{kind.name: [getattr(r, kind.ref_column) for r in rows]
           for kind, rows in held if len(kind.key) == 1},
        "needs": [n.need_ref for n in needs],
        "assessments": [a.assessment_ref for a in assessments],
    }
    return part, records


def _history(records: dict[str, list[str]], people: list[str]) -> list[dict]:
    """The history of every record named (record type -> references), school terms by the
    people's references (`person_ref/year/term`)."""
    history = db.session.scalars(select(m.RecordHistory).where(or_(
        *[and_(m.RecordHistory.record_type == "school-terms", _under(ref)) for ref in people],
        *[and_(m.RecordHistory.record_type == kind, m.RecordHistory.record_ref.in_(refs))
          for kind, refs in records.items() if refs])).order_by(m.RecordHistory.id))
    return [_row(h, ("record_type", "record_ref", "changed_at", "source", "before", "after"))
            for h in history]


def subject_access_data(person: m.Person) -> dict:
    """Everything held about one person: their records, the family's (every contact the
    family had, saying whether they were there), what was worked out about them, how
    partners' rows were linked to them, and the history of all of it."""
    mine, my_records = _person_part(person)
    family, family_records = _family_part(person.family, person.person_ref)
    records = {**family_records, **my_records}
    return {**mine, **family, "person": mine["person"], "family": family["family"],
            "history": _history(records, [person.person_ref])}


def family_subject_access_data(family: m.Family) -> dict:
    """Everything held about a family: the family's records once, each member's own, and the
    history of all of them."""
    part, records = _family_part(family, None)
    members = []
    for person in sorted(family.people, key=lambda p: p.person_ref):
        mine, their_records = _person_part(person, family_level=False)
        members.append(mine)
        for kind, refs in their_records.items():
            records[kind] = records.get(kind, []) + refs
    # The records of the family as a whole: each kind that may be the family's own (as its
    # declaration exports it), and the needs identified for no one person.
    family_level = {
        kind.shown.export_as: [_row(r, kind.shown.exported) for r in db.session.scalars(
            select(kind.model).where(kind.model.family_id == family.id,
                                     kind.model.person_id.is_(None)).order_by(kind.model.id))]
        for kind in EVIDENCE if kind.owner == "either"
    }
    family_level["needs"] = [_row(n, ("need_ref", "problem", "indicator", "identified_on"))
                             for n in db.session.scalars(select(m.Need).where(
                                 m.Need.family_id == family.id, m.Need.person_id.is_(None)))]
    for kind in EVIDENCE:
        if kind.owner == "either":
            records.setdefault(kind.name, []).extend(
                row[kind.ref_column] for row in family_level[kind.shown.export_as])
    for row in family_level["needs"]:
        records.setdefault("needs", []).append(row["need_ref"])
    return {"family": part.pop("family"), "members": members,
            "family_level_records": family_level, **part,
            "history": _history(records, [p["person"]["person_ref"] for p in members])}


# The PDF's words for the data's keys; any other key is written in words from its name.
LABELS = {
    "person": "The person", "family": "The family", "members": "Members of the family",
    "family_level_records": "Records about the family as a whole",
    "school_terms": "School terms", "asb": "Anti-social behaviour",
    "domestic_abuse_incidents": "Domestic abuse incidents", "offences": "Offences",
    "child_statuses": "Child protection and looked-after status", "needs": "Needs",
    "assessments": "Assessments", "work": "Work and benefits",
    "match_links": "Partners' records linked to the person by matching",
    "contacts_present_at": "Contacts the person was at",
    "contacts": "Contacts with the family",
    "results_worked_out": "What casework worked out from these records",
    "family_plan": "Family plan", "plan_goals": "Goals of the family plan",
    "referrals": "Referrals", "allocations": "FIP workers allocated",
    "claims": "Payment-by-results claims", "selection_decisions": "Selection decisions",
    "contact_attempts": "Attempts to contact the family", "sign_up": "Sign-up and consent",
    "history": "Changes to these records",
    "sharing_consents": "Consent to share with the Team Around the Family",
    "taf_members": "Team Around the Family members",
    "lead_professionals": "Lead professionals", "taf_meetings": "Team Around the Family meetings",
    "taf_actions": "Team Around the Family actions", "given_on": "Given on",
    "given_by": "Given by", "withdrawn_on": "Withdrawn on", "withdrawn_note": "Why withdrawn",
    "member": "Member", "organisation": "Organisation", "part": "Their part",
    "from_on": "From", "to_on": "To", "lead": "Lead professional", "handover_note": "Hand-over note",
    "held_on": "Held on", "decisions": "Decisions", "attended": "Who attended",
    "owner": "Owner", "done_note": "What was done",
    "person_ref": "Reference", "family_ref": "Reference", "given_name": "Given name",
    "family_name": "Family name", "date_of_birth": "Date of birth", "sex": "Sex",
    "gender": "Gender", "ethnicity": "Ethnicity", "nhs_number": "NHS number",
    "upn": "Unique pupil number", "expected_date_of_birth": "Expected date of birth",
    "date_of_death": "Date of death",
    "identified_on": "Identified on", "attached_on": "Attached to the programme on",
    "local_discretion": "Included by local discretion",
    "local_discretion_reason": "Reason for local discretion",
    "academic_year": "Academic year", "sessions_possible": "Sessions possible",
    "sessions_unauthorised": "Sessions missed without authorisation",
    "fixed_exclusions": "Fixed-term exclusions", "permanent_exclusion": "Permanently excluded",
    "alternative_provision": "In alternative provision", "on_roll": "On the school roll",
    "recorded_for": "Recorded about", "asb_ref": "Reference", "incident_ref": "Reference",
    "offence_ref": "Reference", "offence_date": "Date of the offence", "proven": "Proven",
    "status_ref": "Reference", "start_date": "From", "end_date": "To", "need_ref": "Reference",
    "assessment_ref": "Reference", "assessed_by": "Assessed by", "work_ref": "Reference",
    "contact_at": "When", "kind": "Kind", "by": "By", "duration_minutes": "Minutes",
    "present": "Who was there", "person_was_there": "The person was there",
    "due_on": "Due on", "done_on": "Done on", "ruleset": "Programme", "as_of": "As of",
    "worked_out_at": "Worked out at", "identification_date": "Identification date",
    "screening": "Passes screening", "crime_asb": "Crime or anti-social behaviour criterion",
    "education": "Education criterion", "eligible": "Eligible for the programme",
    "result_asb": "Anti-social behaviour result", "result_offending": "Offending result",
    "result_education": "Education result",
    "result_crime_asb_education": "Crime, anti-social behaviour and education result",
    "result_progress_to_work": "Progress to work result",
    "result_continuous_employment": "Continuous employment result",
    "claimable_total": "Claimable (pounds)", "nearly_there": "Nearly there",
    "record": "Partner's record", "match_probability": "How likely a match",
    "matching_model_version": "Matching model version", "linked_at": "Linked at",
    "how": "How it was linked", "lead_professional": "Lead professional now",
    "lead_professional_once_noted_on_the_plan":
        "Lead professional once noted on the plan (no longer used)",
    "lead_agency_once_noted_on_the_plan": "Lead agency once noted on the plan (no longer used)",
    "updated_at": "Updated at", "target_on": "Target date",
    "created_at": "Recorded at", "referred_on": "Referred on", "status_on": "Status since",
    "start_on": "From", "end_on": "To", "end_reason": "Why it ended",
    "claim_id": "Claim", "family_as_claimed": "The family as claimed",
    "evidence_about_the_person": "Evidence about the person", "meeting_held_on": "Meeting held on",
    "review_on": "Review on", "lead_person": "Lead person", "attempted_on": "Attempted on",
    "decided_on": "Decided on", "sharing_agreed": "Information-sharing agreement signed",
    "consent_given": "Consent given", "consent_by": "Consent given by",
    "record_type": "Record", "record_ref": "Reference", "changed_at": "Changed at",
    "source": "How", "before": "Before", "after": "After",
}


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").replace("-", " ").capitalize()


def in_words(value) -> str:
    """A value as a person reads it: Yes and No, dates as 2 January 2013, times to the
    minute, a set of fields as 'Label: value' lines."""
    from ..rules.dates import govdate

    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return f"{govdate(value.date())} at {value:%H:%M}"
    if isinstance(value, dt.date):
        return govdate(value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:  # a date kept as ISO text (history, frozen claims)
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return in_words(when.date() if len(value) == 10 else when)
    if isinstance(value, dict):
        return "; ".join(f"{label(k)}: {in_words(v)}" for k, v in value.items()) or "Nothing"
    if isinstance(value, list | tuple):
        return "; ".join(in_words(v) for v in value) or "Nothing"
    return str(value)


def _pdf(data: dict, title: str) -> bytes:
    html = render_template("reports/subject_access.html", data=data, title=title,
                           label=label, in_words=in_words,
                           council=current_app.config["COUNCIL_NAME"])
    return render_pdf(html)


def family_subject_access_pdf_file(user, family_ref: str) -> tuple[str, bytes] | None:
    """Everything held about the family, as a PDF, if `user` may see it."""
    family = db.session.scalar(visible_families(user).where(m.Family.family_ref == family_ref))
    if family is None:
        return None
    body = _pdf(family_subject_access_data(family), f"the {family.family_name} ({family.family_ref})")
    with transaction():
        record_event("export", "family", family.family_ref, user=user,
                     detail="subject access (pdf)")
    return f"subject-access-{family.family_ref}.pdf", body


def subject_access_pdf_file(user, person_ref: str) -> tuple[str, bytes] | None:
    """Everything held about the person, as a PDF, if `user` may see their family:
    (file name, PDF)."""
    person = db.session.scalar(
        select(m.Person).where(m.Person.person_ref == person_ref)
        .where(m.Person.family_id.in_(visible_families(user).with_only_columns(m.Family.id))))
    if person is None:
        return None
    data = subject_access_data(person)
    body = _pdf(data, f"{person.given_name} {person.family_name} ({person.person_ref})")
    with transaction():
        record_event("export", "person", person.person_ref, user=user,
                     detail="subject access (pdf)")
    return f"subject-access-{person.person_ref}.pdf", body
