"""Selection meetings, the agreed number, and the lead person's first contact and sign-up."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from .. import models as m
from ..access import (
    get_family_or_404,
    may_record_first_contact,
    open_allocation,
    wards,
)
from ..audit import shown
from ..cache_version import shows_older_counts
from ..flashes import flash
from ..paging import requested_page
from ..partnership import service as partnership
from ..permissions import requires
from ..rules.dates import govdate
from ..security import link_args
from . import figures, service
from .forms import AnswerForm, AttemptForm, DecisionForm, MeetingForm, agreed_numbers_form

bp = Blueprint("selection", __name__)
ANSWER_PAGE = "answer_page"  # the page of the families awaiting an answer (`page`: waiting)


@bp.route("/selection")
@requires("run_selection")
@shows_older_counts
def index():
    meetings = service.meetings(current_user)
    return shown("view_list", "selection", None, page=render_template(
        "selection/index.html",
        progress=figures.agreed_progress_of(current_user),
        agreed_programme=figures.agreed_programme(),
        meetings=meetings, decided=service.decision_counts([mt.id for mt in meetings]),
        awaiting=service.awaiting_page(current_user, requested_page(request.args, ANSWER_PAGE)),
        waiting=service.waiting_page(current_user, requested_page(request.args)),
    ))


@bp.route("/selection/meetings/new", methods=["GET", "POST"])
@requires("run_selection")
def new_meeting():
    form = MeetingForm()
    if request.method == "GET":
        form.held_on.data = clock.today()
    if form.validate_on_submit():
        meeting = service.record_meeting(current_user, form.held_on.data, form.present())
        flash("Meeting recorded: now decide on the families discussed.")
        return redirect(url_for("selection.meeting", meeting_id=meeting.id))
    return render_template("selection/new_meeting.html", form=form)


def _filters() -> dict:
    def number(name: str) -> int:
        value = request.args.get(name, 0, type=int) or 0
        return max(0, min(value, 99))

    return {
        "criteria": tuple(c for c in request.args.getlist("criteria") if c in service.CRITERIA),
        "ward": request.args.get("ward", ""),
        "min_agencies": number("min_agencies"),
        "min_incidents": number("min_incidents"),
    }


@bp.route("/selection/meetings/<int:meeting_id>")
@requires("run_selection")
def meeting(meeting_id: int):
    meeting = service.meeting_or_404(current_user, meeting_id)
    filters = _filters()
    found = service.candidates(current_user, meeting.held_on, **filters)
    return shown("view", "selection_meeting", str(meeting.id),
                 detail=f"{len(found)} families listed; " + ", ".join(
                     c.family.family_ref for c in found)[:400], page=render_template(
        "selection/meeting.html", meeting=meeting, candidates=found, filters=filters,
        wards=wards(current_user), criteria=service.CRITERIA,
        agencies=service.EVIDENCE_AGENCIES, decisions=m.SELECTION_DECISIONS))


@bp.route("/selection/meetings/<int:meeting_id>/families/<family_ref>", methods=["GET", "POST"])
@requires("run_selection")
def decide(meeting_id: int, family_ref: str):
    meeting = service.meeting_or_404(current_user, meeting_id)
    family = get_family_or_404(current_user, family_ref, selecting=True)
    workers = service.leads(current_user)
    form = DecisionForm()
    form.lead_worker.choices = [(0, "Not a FIP worker")] + [(w.id, w.name) for w in workers]
    refusal = None
    if form.validate_on_submit():
        lead = next((w for w in workers if w.id == form.lead_worker.data), None)
        try:
            service.decide(meeting, family, current_user, form.decision.data,
                           review_on=form.review_on.data, reason=form.reason.data,
                           lead_worker=lead, lead_contact=form.lead_contact.data,
                           lead_agency=form.lead_agency.data)
        except service.SelectionRefused as refused:
            refusal = str(refused)
        else:
            flash(f"{family.family_ref} {family.family_name}: "
                  f"{m.SELECTION_DECISIONS[form.decision.data].lower()}.")
            trained = (partnership.lead_training(
                meeting.held_on, worker=lead, contact=form.lead_contact.data,
                agency=form.lead_agency.data) if form.decision.data == "selected" else None)
            if trained is not None and not trained.trained:  # a warning, not a refusal
                flash(f"Warning: the lead person is not trained for first contact. "
                      f"{trained.message}.")
            return redirect(url_for("selection.meeting", meeting_id=meeting.id,
                                    **link_args(request.args, "selection.meeting")))
    return shown("view", "family", family.family_ref, detail=f"selection meeting {meeting.id}",
                 page=render_template("selection/decide.html", form=form, meeting=meeting,
                                      family=family, refusal=refusal,
                                      untrained=partnership.untrained(workers, meeting.held_on)))


@bp.route("/selection/agreed-numbers", methods=["GET", "POST"])
@requires("set_agreed_number")
def agreed_numbers():
    years = service.programme_years()
    form = agreed_numbers_form(years, service.agreed_numbers())
    if form.validate_on_submit():
        changed = service.set_agreed_numbers(
            {n: getattr(form, f"year_{n}").data for n, _ in years}, current_user)
        flash(f"{changed} agreed number{'s' if changed != 1 else ''} changed." if changed
              else "No agreed numbers changed.")
        return redirect(url_for("selection.index"))
    return render_template("selection/agreed_numbers.html", form=form, years=years,
                           history=service.agreed_number_changes())


# First contact and sign-up -------------------------------------------------------------------


def _selected_family(family_ref: str) -> tuple[m.Family, m.SelectionDecision]:
    family = get_family_or_404(current_user, family_ref)
    selection = service.current_selection(family)
    if selection is None:
        abort(404)
    if not may_record_first_contact(current_user, selection):
        abort(403)
    return family, selection


@bp.route("/families/<family_ref>/first-contact", methods=["GET", "POST"])
@requires("first_contact")
def first_contact(family_ref: str):
    family, selection = _selected_family(family_ref)
    answer = service.sign_up_of(family)
    form = AttemptForm()
    if request.method == "GET":
        form.attempted_on.data = clock.today()
    refusal = None
    if answer is None and form.validate_on_submit():
        try:
            service.log_attempt(family, current_user, form.attempted_on.data, form.method.data,
                                form.outcome.data, form.notes.data)
        except service.SelectionRefused as refused:
            refusal = str(refused)
        else:
            flash("Contact attempt saved.")
            return redirect(url_for("selection.first_contact", family_ref=family.family_ref))
    return shown("view", "first_contact", family.family_ref, page=render_template(
        "selection/first_contact.html", family=family, selection=selection, answer=answer,
        attempts=service.attempts(family), form=form, refusal=refusal,
        methods=m.CONTACT_METHODS, outcomes=m.CONTACT_OUTCOMES,
        family_allocated=open_allocation(family) is not None,
        trained=None if answer else partnership.lead_training(
            clock.today(), worker=selection.lead_worker, contact=selection.lead_contact,
            agency=selection.lead_agency)))


@bp.route("/families/<family_ref>/sign-up", methods=["GET", "POST"])
@requires("first_contact")
def sign_up(family_ref: str):
    family, selection = _selected_family(family_ref)
    if service.sign_up_of(family) is not None:
        return redirect(url_for("selection.first_contact", family_ref=family.family_ref))
    form = AnswerForm()
    if request.method == "GET":
        form.decided_on.data = clock.today()
    refusal = None
    if form.validate_on_submit():
        try:
            if form.outcome.data == "signed_up":
                service.sign_up(family, current_user, form.decided_on.data,
                                form.sharing_agreed.data, form.consent_given.data,
                                form.consent_by.data)
                flash(f"{family.family_name} signed up: attached on "
                      f"{govdate(form.decided_on.data)}, waiting for a FIP worker.")
            else:
                service.decline(family, current_user, form.decided_on.data, form.reason.data)
                flash(f"{family.family_name} declined.")
        except service.SelectionRefused as refused:
            refusal = str(refused)
        else:
            return redirect(url_for("selection.first_contact", family_ref=family.family_ref))
    return shown("view", "sign_up", family.family_ref, page=render_template("selection/sign_up.html", family=family, selection=selection,
                           form=form, refusal=refusal))
