"""Contacts, the family plan, the timeline and the high-contact list."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from .. import access, clock
from .. import models as m
from ..audit import shown
from ..dates_input import picked_date
from ..evaluation import figures
from ..flashes import flash
from ..permissions import requires
from ..referrals import service as referrals_service
from . import service
from .forms import (
    ContactForm,
    FollowUpForm,
    GoalForm,
    ReferralForm,
    StatusForm,
)

bp = Blueprint("casefile", __name__)


def _members(family: m.Family) -> list[tuple[str, str]]:
    """Who can be present, each with their age: two members may share a name."""
    return list(service.present_names(family).items())


def _contact_page(family: m.Family, form: ContactForm, contact: m.Contact | None):
    return render_template("casefile/contact.html", family=family, form=form, contact=contact)


@bp.route("/families/<family_ref>/contacts/new", methods=["GET", "POST"])
@requires("log_contact")
def new_contact(family_ref: str):
    family = access.get_family_or_404(current_user, family_ref)
    if not access.can_write(current_user, family):
        abort(403)
    form = ContactForm()
    form.present.choices = _members(family)
    if request.method == "GET":
        now = clock.now()
        form.contact_on.data, form.contact_time.data = now.date(), now.strftime("%H:%M")
    finish = bool(form.save.data)
    if form.validate_on_submit():
        contact = service.save_contact(family, current_user, form.values(), finish)
        flash("Contact saved." if finish else "Draft saved: finish it when you are ready.")
        return redirect(url_for("casefile.timeline", family_ref=family.family_ref)
                        if finish else url_for("casefile.edit_contact", family_ref=family.family_ref,
                                               contact_id=contact.id))
    return shown("view", "new_contact", family.family_ref, page=_contact_page(family, form, None))


@bp.route("/families/<family_ref>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@requires("log_contact")
def edit_contact(family_ref: str, contact_id: int):
    family = access.get_family_or_404(current_user, family_ref)
    contact = service.of_family_or_404(m.Contact, family, contact_id)
    if not access.can_edit_contact(current_user, contact):
        abort(403)
    form = ContactForm()
    form.present.choices = _members(family)
    if request.method == "GET":
        form.contact_on.data = contact.contact_at.date()
        form.contact_time.data = contact.contact_at.strftime("%H:%M")
        form.kind.data, form.duration.data = contact.kind, contact.duration_minutes
        form.present.data, form.notes.data = list(contact.present or []), contact.notes
        open_actions = [a for a in contact.actions if a.done_on is None]
        for i, action in enumerate(open_actions[:3], start=1):
            getattr(form, f"action_{i}").data = action.action
            getattr(form, f"due_{i}").data = action.due_on
    finish = bool(form.save.data)
    if form.validate_on_submit():
        service.save_contact(family, current_user, form.values(), finish, contact)
        flash("Contact saved." if finish else "Draft saved.")
        return redirect(url_for("casefile.timeline", family_ref=family.family_ref))
    return shown("view", "contact", f"{family.family_ref}/{contact.id}", page=_contact_page(family, form, contact))


@bp.route("/families/<family_ref>/follow-ups/<int:action_id>", methods=["GET", "POST"])
@requires("log_contact")
def follow_up(family_ref: str, action_id: int):
    family = access.get_family_or_404(current_user, family_ref)
    action = service.of_family_or_404(m.FollowUp, family, action_id)
    if action.done_on is not None:
        abort(404)
    if not access.can_write(current_user, family):
        abort(403)
    people = service.follow_up_assignees(family)
    form = FollowUpForm()
    form.assign_to.choices = [(0, "Select a person")] + [
        (u.id, f"{u.name} ({u.role_label})") for u in people if u.id != action.assigned_to_id]
    if form.validate_on_submit():
        assign_to = next((u for u in people if u.id == form.assign_to.data), None)
        try:
            service.update_follow_up(family, current_user, action, form.outcome.data,
                                     form.reason.data or "", assign_to)
        except service.FollowUpRefused as refused:
            form.assign_to.errors = [str(refused)]
        else:
            flash({"done": "Follow-up done.", "dropped": "Follow-up dropped.",
                   "reassign": f"Follow-up given to {assign_to.name if assign_to else ''}."}
                  [form.outcome.data])
            return redirect(url_for("families.show", family_ref=family.family_ref))
    return shown("view", "follow_up", f"{family.family_ref}/{action.id}", page=render_template("casefile/follow_up.html", form=form, family=family,
                                     action=action))


@bp.route("/families/<family_ref>/timeline")
@requires("view_families")
def timeline(family_ref: str):
    family = access.get_family_or_404(current_user, family_ref)
    access.require_section(current_user, family, "case_file")
    events = service.timeline(family)
    items = service.contacts(family)
    return shown("view", "timeline", family.family_ref, page=render_template(
        "casefile/timeline.html", family=family, events=events, contacts=items,
        can_write=access.can_write(current_user, family), names=service.present_names(family),
        can_edit=lambda c: access.can_edit_contact(current_user, c)))


@bp.route("/families/<family_ref>/plan", methods=["GET", "POST"])
@requires("view_families")
def plan(family_ref: str):
    family = access.get_family_or_404(current_user, family_ref)
    access.require_section(current_user, family, "case_file")  # a partner: their lead's
    writable = access.can_write(current_user, family)
    record = service.plan(family)
    goal_form = GoalForm(prefix="goal")
    referral_form = ReferralForm(prefix="referral")
    referral_form.person_ref.choices = [("", "The whole family")] + _members(family)
    if request.method == "POST":
        if not writable:
            abort(403)
        try:
            if goal_form.save_goal.data and goal_form.validate():
                service.save_goal(family, current_user, {
                    "problem": goal_form.problem.data, "goal": goal_form.goal.data.strip(),
                    "status": goal_form.status.data, "target_on": goal_form.target_on.data})
                flash("Goal added.")
                return redirect(url_for("casefile.plan", family_ref=family_ref))
            if referral_form.save_referral.data and referral_form.validate():
                service.save_referral(family, current_user, {
                    "kind": referral_form.kind.data, "agency": referral_form.agency.data.strip(),
                    "person_ref": referral_form.person_ref.data or None,
                    "referred_on": referral_form.referred_on.data,
                    "status": referral_form.status.data, "status_on": referral_form.referred_on.data,
                    "notes": referral_form.notes.data or None})
                flash("Referral added.")
                return redirect(url_for("casefile.plan", family_ref=family_ref))
        except service.CasefileRefused:
            abort(403)
    page = render_template(
        "casefile/plan.html", family=family, record=record,
        lead=access.lead_professional(family), may_manage_taf=access.may_manage_taf(current_user, family),
        goal_form=goal_form, referral_form=referral_form, goals=service.goals(family),
        referrals=referrals_service.on_plan(current_user, family), writable=writable,
        may_refer=access.may_send_referral(current_user, family), today=clock.today(),
        goal_statuses=m.GOAL_STATUSES, referral_statuses=m.REFERRAL_STATUSES,
    )
    if request.method == "POST":  # a form again with its errors: the view was recorded
        return page
    return shown("view", "plan", family.family_ref, page=page)


def _update_status(family_ref: str, model, record_id: int, statuses: dict, save, message: str):
    """Change the status of one of the family's goals or referrals, from the plan page."""
    family = access.get_family_or_404(current_user, family_ref)
    record = service.of_family_or_404(model, family, record_id)
    form = StatusForm()
    form.status.choices = list(statuses.items())
    if form.validate_on_submit():
        try:
            save(family, record, form.status.data)
        except service.CasefileRefused:
            abort(403)
        flash(message)
    return redirect(url_for("casefile.plan", family_ref=family_ref))


@bp.route("/families/<family_ref>/plan/goals/<int:goal_id>", methods=["POST"])
@requires("log_contact")
def update_goal(family_ref: str, goal_id: int):
    def save(family, goal, status):
        service.save_goal(family, current_user, {"problem": goal.problem, "goal": goal.goal,
                          "status": status, "target_on": goal.target_on}, goal)

    return _update_status(family_ref, m.PlanGoal, goal_id, m.GOAL_STATUSES, save, "Goal updated.")


@bp.route("/families/<family_ref>/plan/referrals/<int:referral_id>", methods=["POST"])
@requires("log_contact")
def update_referral(family_ref: str, referral_id: int):
    def save(family, referral, status):
        service.save_referral(family, current_user, {"status": status, "status_on": clock.today()},
                              referral)

    return _update_status(family_ref, m.Referral, referral_id, m.REFERRAL_STATUSES, save,
                          "Referral updated.")


@bp.route("/high-contact")
@requires("view_caseloads")
def high_contact():
    sc = figures.scope(current_user)
    first, last = figures.recent_window(sc.as_of)
    end, end_error = picked_date(request.args, "to", last)
    start, start_error = picked_date(request.args, "from", first)
    rows = service.high_contact(current_user, start, end)
    return shown("view_list", "high_contact", None, detail=f"{start} to {end}", page=render_template(
        "casefile/high_contact.html", rows=rows, start=start, end=end, start_error=start_error,
        end_error=end_error, high=figures.high_contact_count(sc, start, end),
        contacts=figures.HIGH_CONTACT_CONTACTS))


