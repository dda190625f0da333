"""Partner organisations and their practitioners (the administrator's pages); a family's
Team Around the Family, its consent to share, its lead professional, meetings and actions;
a partner practitioner's own page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from .. import access, clock, sharing
from ..audit import shown
from ..flashes import flash
from ..permissions import requires
from ..referrals import service as referrals
from ..rules.dates import govdate
from . import service
from .forms import (
    ACTIONS,
    CompleteForm,
    ConsentForm,
    EndMemberForm,
    LeadForm,
    MeetingForm,
    MemberForm,
    OrganisationForm,
    PractitionerForm,
    SharingLevelForm,
    WithdrawForm,
)

bp = Blueprint("partners", __name__)


@bp.route("/admin/organisations", methods=["GET", "POST"])
@requires("manage_organisations")
def organisations():
    form = OrganisationForm()
    problems: list[tuple[str, str]] = []
    if form.validate_on_submit():
        try:
            organisation = service.add_organisation(form.name.data, form.kind.data,
                                                    form.sharing_level.data or None, current_user)
        except service.OrganisationRefused as refused:
            problems = refused.problems
        else:
            flash(f"{organisation.name} added: add its practitioners below.")
            return redirect(url_for("partners.organisation", organisation_id=organisation.id))
    return shown("view_list", "organisations", None, page=render_template(
        "partners/organisations.html", form=form, problems=problems,
                           problem_items=[{"text": text, "href": f"#{field}"}
                                          for field, text in problems],
                           problem_for=_Problems(problems),
                           organisations=service.organisations(), sharing=sharing))


class _Problems(dict):
    """The form's problems by field; a field with none gives None."""

    def __init__(self, problems):
        super().__init__(problems)

    def __getattr__(self, field):
        return self.get(field)


@bp.route("/admin/organisations/<int:organisation_id>", methods=["GET", "POST"])
@requires("manage_organisations")
def organisation(organisation_id: int):
    """The organisation, its practitioners (names and email addresses: audited) and the
    form adding one."""
    organisation = service.organisation_or_404(organisation_id)
    form = PractitionerForm()
    level_form = SharingLevelForm(sharing_level=organisation.sharing_level)
    error = None
    if form.create.data and form.validate_on_submit():
        try:
            user = service.add_practitioner(organisation, form.email.data, form.name.data,
                                            form.password.data, current_user, how="admin page")
        except service.PartnerRefused as refused:
            error = str(refused)
        else:
            flash(f"{user.email} of {organisation.name} can now sign in. They see no family "
                  "until they are in its Team Around the Family.")
            return redirect(url_for("partners.organisation", organisation_id=organisation.id))
    return shown("view", "organisation", organisation.name, page=render_template(
        "partners/organisation.html", organisation=organisation, form=form,
        level_form=level_form, error=error, sharing=sharing))


@bp.route("/admin/organisations/<int:organisation_id>/sharing-level", methods=["POST"])
@requires("manage_organisations")
def sharing_level(organisation_id: int):
    organisation = service.organisation_or_404(organisation_id)
    form = SharingLevelForm()
    if form.validate_on_submit():
        service.change_sharing_level(organisation, form.sharing_level.data, current_user)
        flash(f"{organisation.name}'s sharing level saved.")
    return redirect(url_for("partners.organisation", organisation_id=organisation.id))


# The Team Around the Family ------------------------------------------------------------------


def _refused(form, refused: service.TafRefused) -> None:
    """Put each problem on its form field (the error summary lists them all)."""
    for field, message in refused.problems:
        target = getattr(form, field, None) if field else None
        if target is None:
            target = next(f for f in form if f.type == "SubmitField")
        target.errors = [*list(target.errors or []), message]


def _member_choices(family, members) -> list[tuple[int, str]]:
    return [(0, "Select a member")] + [(x.id, service.describe_user(x.user)) for x in members]


def _end_form(member_id: int) -> EndMemberForm:
    """Each member's own "end membership" form: its fields' ids (and names) carry the
    membership's id, so each label and error link points at its own date input."""
    return EndMemberForm(prefix=f"member-{member_id}")


def _team_page(family, *, member_form=None, consent_form=None, withdraw_form=None,
               lead_form=None, end_form=None, ending=None):
    today = clock.today()
    found = service.team(family, today)
    manage = access.may_manage_taf(current_user, family)
    member_form = member_form or MemberForm()
    member_form.user.choices = [(0, "Select a person")] + [
        (u.id, service.describe_user(u)) for u in service.candidates(family)]
    lead_form = lead_form or LeadForm()
    lead_form.lead_user.choices = [(0, "Select a member of the team")] + [
        (x.user_id, service.describe_user(x.user)) for x in found.current]
    consent_form = consent_form or ConsentForm()
    offered = service.sign_up_consent(family)
    if offered and not consent_form.is_submitted():
        consent_form.given_on.data, consent_form.given_by.data = offered
    forms = [f for f in (member_form, consent_form, withdraw_form, lead_form, end_form) if f]
    return shown("view", "taf", family.family_ref, page=render_template(
        "partners/team.html", family=family, team=found, manage=manage, today=today,
        member_form=member_form, consent_form=consent_form,
        withdraw_form=withdraw_form or WithdrawForm(), lead_form=lead_form,
        end_forms={x.id: end_form if end_form is not None and x.id == ending
                   else _end_form(x.id) for x in found.members if not x.to_on},
        ending=ending, offered=offered,
        errors=[f for f in forms if f.errors]))


@bp.route("/families/<family_ref>/team")
@requires("view_taf")
def team(family_ref: str):
    family = access.get_family_or_404(current_user, family_ref)
    return _team_page(family)


def _managed_family(family_ref: str):
    family = access.get_family_or_404(current_user, family_ref)
    if not access.may_manage_taf(current_user, family):
        abort(403)
    return family


def _back(family):
    return redirect(url_for("partners.team", family_ref=family.family_ref))


@bp.route("/families/<family_ref>/team/members", methods=["POST"])
@requires("manage_taf")
def add_member(family_ref: str):
    family = _managed_family(family_ref)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            member = service.add_member(family, form.user.data, form.from_on.data,
                                        form.role_note.data, current_user)
        except service.TafRefused as refused:
            _refused(form, refused)
        else:
            flash(f"{member.user.name} is in the Team Around the Family from "
                  f"{govdate(member.from_on)}.")
            return _back(family)
    return _team_page(family, member_form=form)


@bp.route("/families/<family_ref>/team/members/<int:member_id>/end", methods=["POST"])
@requires("manage_taf")
def end_member(family_ref: str, member_id: int):
    family = _managed_family(family_ref)
    member = service.member_or_404(family, member_id)
    form = _end_form(member.id)
    if form.validate_on_submit():
        try:
            service.end_member(family, member, form.to_on.data, current_user)
        except service.TafRefused as refused:
            _refused(form, refused)
        else:
            flash(f"{member.user.name} leaves the Team Around the Family after "
                  f"{govdate(member.to_on)}.")
            return _back(family)
    return _team_page(family, end_form=form, ending=member.id)


@bp.route("/families/<family_ref>/consent", methods=["POST"])
@requires("manage_taf")
def record_consent(family_ref: str):
    family = _managed_family(family_ref)
    form = ConsentForm()
    if form.validate_on_submit():
        try:
            service.record_consent(family, form.given_on.data, form.given_by.data, current_user)
        except service.TafRefused as refused:
            _refused(form, refused)
        else:
            flash("Consent to share with the Team Around the Family recorded.")
            return _back(family)
    return _team_page(family, consent_form=form)


@bp.route("/families/<family_ref>/consent/withdraw", methods=["POST"])
@requires("manage_taf")
def withdraw_consent(family_ref: str):
    family = _managed_family(family_ref)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            service.withdraw_consent(family, form.withdrawn_on.data, form.withdrawn_note.data,
                                     current_user)
        except service.TafRefused as refused:
            _refused(form, refused)
        else:
            flash("Consent withdrawn: partner practitioners no longer see the family.")
            return _back(family)
    return _team_page(family, withdraw_form=form)


@bp.route("/families/<family_ref>/lead", methods=["POST"])
@requires("manage_taf")
def set_lead(family_ref: str):
    family = _managed_family(family_ref)
    form = LeadForm()
    if form.validate_on_submit():
        try:
            lead = service.set_lead(family, form.lead_user.data, form.lead_from.data,
                                    form.lead_to.data, form.lead_note.data, current_user)
        except service.TafRefused as refused:
            _refused(form, refused)
        else:
            flash(f"{lead.user.name} is the lead professional from "
                  f"{govdate(lead.from_on)}.")
            return _back(family)
    return _team_page(family, lead_form=form)


@bp.route("/families/<family_ref>/team/meetings/new", methods=["GET", "POST"])
@requires("manage_taf")
def new_meeting(family_ref: str):
    family = _managed_family(family_ref)
    form = MeetingForm()
    members = service.team(family).members
    form.attended.choices = [(x.id, service.describe_user(x.user)) for x in members]
    for n in range(1, ACTIONS + 1):
        getattr(form, f"owner_{n}").choices = _member_choices(family, members)
    if form.validate_on_submit():
        try:
            service.add_meeting(family, form.held_on.data, form.attended.data or [],
                                form.decisions.data or "", [
                                    service.NewAction(getattr(form, f"action_{n}").data or "",
                                                      getattr(form, f"owner_{n}").data or None,
                                                      getattr(form, f"due_{n}").data)
                                    for n in range(1, ACTIONS + 1)], current_user)
        except service.TafRefused as refused:
            _refused(form, refused)
        else:
            flash("Meeting saved.")
            return _back(family)
    return shown("view", "taf_meeting", f"{family.family_ref}/new", page=render_template(
        "partners/new_meeting.html", family=family, form=form))


@bp.route("/families/<family_ref>/team/meetings/<int:taf_meeting_id>")
@requires("view_families")
def meeting(family_ref: str, taf_meeting_id: int):
    """A meeting: staff who see the family; a partner who attended it (when their level shows
    the meetings they attended) or leads the family. 404 otherwise, alike."""
    family = access.get_family_or_404(current_user, family_ref)
    found = access.taf_meeting_or_404(current_user, family, taf_meeting_id)
    return shown("view", "taf_meeting", f"{family.family_ref}/{found.id}", page=render_template(
        "partners/meeting.html", family=family, meeting=found,
        sections=access.partner_sections(current_user, family)))


@bp.route("/taf/actions/<int:taf_action_id>", methods=["GET", "POST"])
@requires("taf_actions")
def action(taf_action_id: int):
    """A Team Around the Family action, completed by its owner (a phone-sized page)."""
    found = access.taf_action_or_404(current_user, taf_action_id)
    form = CompleteForm()
    may_complete = service.may_complete(current_user, found)
    if form.validate_on_submit():
        if not may_complete:
            abort(403)
        try:
            service.complete_action(found, form.done_note.data, current_user)
        except service.TafRefused as refused:
            _refused(form, refused)
        else:
            # Which action, of which family: a partner may hold several.
            flash(f"Done: {found.action} ({found.family.family_name}).")
            if current_user.role == "partner":
                return redirect(url_for("partners.home"))
            return redirect(url_for("partners.team", family_ref=found.family.family_ref))
    return shown("view", "taf_action", f"{found.family.family_ref}/{found.id}",
                 page=render_template("partners/action.html", action=found, form=form,
                                      may_complete=may_complete, today=clock.today()))


@bp.route("/partner")
@requires("partner_home")
def home():
    """A partner practitioner's own page (where they land): the referrals to them overdue,
    their actions, the families they lead, their families."""
    today = clock.today()
    found = service.partner_home(current_user, today)
    return shown("view_list", "partner_home", None, page=render_template(
        "partners/home.html", home=found, today=today,
        referrals_overdue=referrals.overdue(current_user, today)))
