"""Partner organisations and their practitioners: the administrator's pages."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from .. import sharing
from ..audit import shown
from ..flashes import flash
from ..permissions import requires
from . import service
from .forms import OrganisationForm, PractitionerForm, SharingLevelForm

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
