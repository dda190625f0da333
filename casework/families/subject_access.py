"""Everything held about one person, for a subject access request."""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import or_, select

from .. import models as m
from ..audit import record_event
from ..extensions import db
from ..reports.pdf import render_pdf
from .scope import visible_families


def _row(obj, fields: tuple[str, ...]) -> dict:
    return {f: getattr(obj, f) for f in fields}


def subject_access_data(person: m.Person) -> dict:
    family = person.family
    contacts = [c for c in db.session.scalars(
        select(m.Contact).where(m.Contact.family_id == family.id).order_by(m.Contact.contact_at))
        if person.person_ref in (c.present or [])]
    return {
        "person": _row(person, ("person_ref", "given_name", "family_name", "date_of_birth", "sex")),
        "family": _row(family, ("family_ref", "family_name", "address", "postcode", "ward",
                                "identified_on", "attached_on", "local_discretion",
                                "local_discretion_reason")),
        "school_terms": [_row(t, ("academic_year", "term", "sessions_possible",
                                  "sessions_unauthorised", "fixed_exclusions", "permanent_exclusion",
                                  "alternative_provision", "on_roll"))
                         for t in db.session.scalars(select(m.SchoolTerm).where(
                             m.SchoolTerm.person_id == person.id))],
        "asb": [_row(a, ("asb_ref", "date", "kind")) for a in db.session.scalars(
            select(m.AsbRecord).where(m.AsbRecord.person_id == person.id))],
        "domestic_abuse_incidents": [_row(d, ("incident_ref", "date")) for d in db.session.scalars(
            select(m.DomesticAbuseIncident).where(m.DomesticAbuseIncident.person_id == person.id))],
        "offences": [_row(o, ("offence_ref", "offence_date", "proven")) for o in db.session.scalars(
            select(m.Offence).where(m.Offence.person_id == person.id))],
        "work": [_row(w, ("work_ref", "kind", "benefit", "start_date", "end_date"))
                 for w in db.session.scalars(select(m.WorkSpell).where(
                     m.WorkSpell.person_id == person.id))],
        "contacts_present_at": [
            {"contact_at": c.contact_at, "kind": c.kind, "by": c.author.name, "notes": c.notes}
            for c in contacts],
        "referrals": [_row(r, ("kind", "agency", "status", "referred_on", "status_on", "notes"))
                      for r in db.session.scalars(select(m.Referral).where(
                          m.Referral.person_ref == person.person_ref))],
        "history": [_row(h, ("record_type", "record_ref", "changed_at", "source", "before", "after"))
                    for h in db.session.scalars(select(m.RecordHistory).where(or_(
                        m.RecordHistory.record_ref == person.person_ref,
                        m.RecordHistory.record_ref.like(person.person_ref + "/%"))))],
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
    record_event("export", "person", person.person_ref, user=user, detail="subject access (pdf)")
    db.session.commit()
    return f"subject-access-{person.person_ref}.pdf", body
