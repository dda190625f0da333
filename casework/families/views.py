"""The families list and a family's page."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import NotFound

from .. import access, clock
from .. import models as m
from ..access import (
    allocation_history,
    can_write,
    get_family_or_404,
    lead_professional,
    may_record_first_contact,
    may_send_referral,
    open_allocation,
    wards,
)
from ..audit import shown
from ..casefile import service as casefile
from ..dates_input import picked_date
from ..episodes import episodes_of
from ..evaluation.service import attachment_bar, evaluate_family
from ..evidence.kinds import EVIDENCE
from ..flashes import flash
from ..history import user_names
from ..outcomes import service as outcomes
from ..outcomes.forms import DiscretionForm
from ..outcomes.service import family_outcomes
from ..paging import requested_page
from ..partners import service as partners
from ..permissions import can, requires
from ..queue import start
from ..records import StaleEdit, save_versioned
from ..referrals import service as referrals
from ..rules.dates import age_on, govdate
from ..rules.nearly import nearly_there
from ..selection.service import latest_decision
from . import service
from .forms import FamilyForm, PersonForm
from .subject_access import family_subject_access_data, subject_access_data

bp = Blueprint("families", __name__)


@bp.route("/families")
@requires("view_families")
def index():
    q = request.args.get("q", "")
    # A partner practitioner's sharing level shows a family's household (names, dates of
    # birth, ages), not where it lives nor its programme dates: their list names the
    # families, with no postcode, ward or dates, and no ward to choose.
    household_only = current_user.role == "partner"
    ward = "" if household_only else request.args.get("ward", "")
    page = requested_page(request.args)
    result = service.search_families(current_user, q, ward, page)
    return shown("view_list", "families", None, detail=f"q={q[:80]} ward={ward[:80]} page={page}", page=render_template(
        "families/index.html",
        result=result,
        q=q,
        ward=ward,
        wards=[] if household_only else wards(current_user),
        household_only=household_only,
    ))


@bp.route("/families/<family_ref>")
@requires("view_families")
def show(family_ref: str):
    try:
        family = get_family_or_404(current_user, family_ref)
    except NotFound:
        # A bookmark or a link in an old note to a family merged away: its records are here.
        if kept := access.merged_family(current_user, family_ref):
            flash(f"{family_ref} was merged into {kept.family_ref}: this is the family kept.")
            return redirect(url_for("families.show", family_ref=kept.family_ref))
        raise
    if current_user.role == "partner" and not access.shows(current_user, family, "case_file"):
        # A partner practitioner who is not the family's lead: their sharing level's sections.
        today = clock.today()
        view = partners.partner_view(current_user, family, today)
        return shown("view", "family", family.family_ref, detail="partner: " + ", ".join(
            sorted(view.sections)), page=render_template(
            "partners/family.html", family=family, view=view, today=today,
            names=partners.household_names(view), work_kinds=m.WORK_KIND_LABELS,
            goal_statuses=m.GOAL_STATUSES))
    records = service.family_records(family)
    today = clock.today()
    as_of, date_error = picked_date(request.args, "as_of", today)
    data = service.family_data(records)
    evaluated = evaluate_family(family, as_of, data)
    return shown("view", "family", family.family_ref, page=render_template(
        "families/show.html",
        family=family,
        records=records,
        evidence_kinds=EVIDENCE,
        ages={p.id: age_on(p.date_of_birth, today) for p in records.people
              if p.date_of_birth is not None},
        people_by_id={p.id: p for p in records.people},
        genders=m.GENDERS,
        ethnicities=m.ETHNICITIES,
        today=today,
        as_of=as_of,
        date_error=date_error,
        evaluation=evaluated.evaluation,
        nearly=nearly_there(evaluated.evaluation),
        viewers=service.recent_viewers(family) if can(current_user, "edit_records") else [],
        user_names=user_names(records.history),  # history names users, never by email
        allocation=open_allocation(family),
        episodes=(episodes := episodes_of(family.id)),
        # The lead professional, from its one source (access.lead_professional): today's,
        # and each episode's on its last day (today for the open one).
        lead=lead_professional(family, today),
        episode_leads={e.id: lead_professional(family, e.closed_on or today) for e in episodes},
        open_episode=next((e for e in episodes if e.closed_on is None), None),
        decision=(decision := latest_decision(family)),
        first_contact=decision is not None and decision.decision == "selected"
        and may_record_first_contact(current_user, decision),
        allocations=allocation_history(family),
        can_write=can_write(current_user, family),
        follow_ups=casefile.open_follow_ups(family),
        referrals=referrals.on_plan(current_user, family),  # sent and noted: one list
        earlier_referrals=referrals.of_earlier_episodes(family),
        may_refer=may_send_referral(current_user, family),
        latest_contacts=casefile.latest_contacts(family),
        names=casefile.present_names(family),
        claimable=[
            {"label": f"{m.RESULT_LABELS.get(c.result, c.result)} £{c.amount:,}"}
            for c in evaluated.claimable
        ],
        claim_barred=attachment_bar(family.attached_on, as_of),
        outcomes=family_outcomes(family, as_of, data),
    ))


@bp.route("/families/<family_ref>/needs/<need_ref>/equivalent-progress", methods=["GET", "POST"])
@requires("approve_discretion")
def equivalent_progress(family_ref: str, need_ref: str):
    """A programme manager approves equivalent progress on one of the family's needs (phase2's
    local discretion); refused, saying why, under supporting_families."""
    family = get_family_or_404(current_user, family_ref)
    need = outcomes.family_need_or_404(family, need_ref)
    form = DiscretionForm()
    if request.method == "GET":
        form.approved_on.data = clock.today()
    refused = outcomes.discretion_bar(need)
    error = None
    if request.method == "POST" and refused is None and form.validate():
        try:
            outcomes.record_discretion(need.need_ref, current_user, form.approved_on.data,
                                       form.reason.data)
        except outcomes.DiscretionRefused as refusal:
            error = str(refusal)
        else:
            flash(f"Equivalent progress on {need.need_ref} approved from "
                  f"{govdate(form.approved_on.data)}.")
            return redirect(url_for("families.show", family_ref=family.family_ref,
                                    _anchor=f"need-{need.need_ref}"))
    return shown("view", "need", need.need_ref, detail=family.family_ref, page=render_template("outcomes/discretion.html", family=family, need=need, form=form,
                           refused=refused, error=error,
                           approved=outcomes.discretions_of(need)))


# Editing, who viewed, subject access ---------------------------------------------------------


def _values(form, fields: tuple[str, ...]) -> dict:
    out = {}
    for name in fields:
        value = getattr(form, name).data
        out[name] = value.strip() or None if isinstance(value, str) else value
    return out


FAMILY_FIELDS = ("family_name", "address", "postcode", "ward", "identified_on", "attached_on",
                 "local_discretion", "local_discretion_reason")
PERSON_FIELDS = ("given_name", "family_name", "date_of_birth", "expected_date_of_birth", "sex",
                 "gender", "ethnicity", "nhs_number", "upn", "date_of_death")


def _edit(record, form, fields, record_type: str, ref: str, family: m.Family, person, done,
          adjust=None):
    """Save an edit made from `form.version`, or show both versions when it is stale.

    `done(record)` says what was saved, read after saving (a renamed person by the new name)."""
    stale = None
    if form.validate_on_submit():
        # The version the form was opened at, as sent: a form without one (the field's value
        # would silently fall back to the record's current version) or with a malformed one
        # is refused rather than saved over changes its sender never saw.
        version = request.form.get("version", "")
        if not (version.isascii() and version.isdigit() and len(version) <= 18):
            abort(400)
        values = _values(form, fields)
        if adjust:
            adjust(values)
        try:
            save_versioned(record, int(version), values, current_user, record_type,
                           ref, family.family_ref)
        except StaleEdit as conflict:
            stale = (conflict.current, values)
            form.version.data = record.version
        else:
            flash(done(record))
            return redirect(url_for("families.show", family_ref=family.family_ref))
    return shown("view", f"{record_type}_edit", ref, page=render_template("families/edit.html", form=form, family=family,
                                     stale=stale, fields=fields, person=person))


def _discretion(values: dict) -> None:
    values["local_discretion"] = bool(values["local_discretion"])
    if not values["local_discretion"]:
        values["local_discretion_reason"] = None


@bp.route("/families/<family_ref>/edit", methods=["GET", "POST"])
@requires("edit_records")
def edit_family(family_ref: str):
    family = get_family_or_404(current_user, family_ref)
    return _edit(family, FamilyForm(obj=family), FAMILY_FIELDS, "families", family.family_ref,
                 family, None, lambda _: "Family details saved.", _discretion)


@bp.route("/people/<person_ref>/edit", methods=["GET", "POST"])
@requires("edit_records")
def edit_person(person_ref: str):
    person, family = service.person_or_404(current_user, person_ref)
    return _edit(person, PersonForm(obj=person), PERSON_FIELDS, "people", person.person_ref,
                 family, person, lambda saved: f"{saved.full_name}'s details saved.")


@bp.route("/people/<person_ref>/export.<fmt>")
@requires("subject_access")
def subject_access(person_ref: str, fmt: str):
    if fmt != "json":
        abort(404)
    person, _family = service.person_or_404(current_user, person_ref)
    data = subject_access_data(person)
    name = f"subject-access-{person.person_ref}.{fmt}"
    headers = {"Content-Disposition": f"attachment; filename={name}"}
    return shown("export", "person", person.person_ref, detail=f"subject access ({fmt})",
                 page=Response(json.dumps(data, indent=1, default=str),
                               mimetype="application/json", headers=headers))


@bp.route("/families/<family_ref>/export.<fmt>")
@requires("subject_access")
def family_subject_access(family_ref: str, fmt: str):
    """Everything held about a family and each of its members (a subject access request
    made for the family)."""
    if fmt != "json":
        abort(404)
    family = get_family_or_404(current_user, family_ref)
    data = family_subject_access_data(family)
    name = f"subject-access-{family.family_ref}.{fmt}"
    return shown("export", "family", family.family_ref, detail=f"subject access ({fmt})",
                 page=Response(json.dumps(data, indent=1, default=str),
                               mimetype="application/json",
                               headers={"Content-Disposition": f"attachment; filename={name}"}))


@bp.route("/families/<family_ref>/subject-access-pdf", methods=["POST"])
@requires("subject_access")
def family_subject_access_pdf(family_ref: str):
    """The family's subject access PDF is made by a job; the job page has the download."""
    family = get_family_or_404(current_user, family_ref)
    job = start("subject_access_pdf", f"Subject access PDF for {family.family_ref}",
                current_user, params={"family_ref": family.family_ref}, family_id=family.id)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/people/<person_ref>/subject-access-pdf", methods=["POST"])
@requires("subject_access")
def subject_access_pdf(person_ref: str):
    """The subject access PDF is made by a job; the job page has the download."""
    person, family = service.person_or_404(current_user, person_ref)
    job = start("subject_access_pdf", f"Subject access PDF for {person.person_ref}",
                current_user, params={"person_ref": person.person_ref}, family_id=family.id)
    return redirect(url_for("jobs.show", job_id=job.id))

