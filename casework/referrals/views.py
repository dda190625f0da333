"""Referrals between agencies: sent from the family's page, answered by the organisation."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user

from .. import models as m
from ..access import get_family_or_404, may_send_referral, receives_referral, referral_or_404
from ..audit import shown
from ..flashes import flash
from ..permissions import requires
from . import service
from .forms import AcceptForm, DeclineForm, OutcomeForm, SendForm

bp = Blueprint("referrals", __name__)


def _refused(form, refused: service.ReferralRefused) -> None:
    """Show each problem beside its field, and in the error summary."""
    for field, text in refused.problems:
        form[field].errors = [*form[field].errors, text]


@bp.route("/families/<family_ref>/referrals/new", methods=["GET", "POST"])
@requires("refer")
def new(family_ref: str):
    family = get_family_or_404(current_user, family_ref)
    if not may_send_referral(current_user, family):
        abort(403)
    organisations = service.organisations()
    practitioners = service.practitioners()
    form = SendForm()
    form.organisation.choices = [(0, "Select the organisation")] + [
        (o.id, f"{o.name} ({o.kind_label})") for o in organisations]
    form.practitioner.choices = [(0, "Nobody in particular")] + [
        (u.id, f"{u.name}, {u.organisation.name}") for u in practitioners]
    form.person_ref.choices = [("", "The whole family")] + [
        (p.person_ref, f"{p.given_name} {p.family_name} ({p.person_ref})") for p in family.people]
    if form.validate_on_submit():
        try:
            referral = service.send(
                family, current_user, organisation_id=form.organisation.data,
                practitioner_id=form.practitioner.data, person_ref=form.person_ref.data,
                kind=form.kind.data, reason=form.reason.data, may_share=form.may_share.data,
                due_on=form.due_on.data)
        except service.ReferralRefused as refused:
            _refused(form, refused)
        else:
            flash(f"Referral sent to {referral.agency}.")
            return redirect(url_for("families.show", family_ref=family.family_ref,
                                    _anchor="referrals"))
    return shown("view", "family", family.family_ref, detail="referral form",
                 page=render_template("referrals/new.html", form=form, family=family))


@bp.route("/referrals")
@requires("view_referrals")
def index():
    rows = service.listed(current_user)
    return shown("view", "referrals", None,
                 detail=", ".join(service.ref(r) for r in rows)[:400],
                 page=render_template("referrals/index.html", rows=rows,
                                      due_words=service.due_words,
                                      is_overdue=service.is_overdue))


def _show(referral: m.Referral, accept=None, decline=None, outcome=None, status=200):
    answering = receives_referral(current_user, referral)
    page = render_template(
        "referrals/show.html", r=referral, answering=answering,
        accept=accept or AcceptForm(), decline=decline or DeclineForm(),
        outcome=outcome or OutcomeForm(), due_words=service.due_words,
        person=next((p for p in referral.family.people
                     if p.person_ref == referral.person_ref), None))
    return shown("view", "referral", service.ref(referral), page=page), status


@bp.route("/referrals/<int:referral_id>")
@requires("view_referrals")
def show(referral_id: int):
    return _show(referral_or_404(current_user, referral_id))


def _answer(referral_id: int, name: str, form, field: str, act, done: str):
    """One answer to a referral (accept, decline, an outcome), posted with `form` (shown on
    the referral's page as `name`): `act(referral, form)` asks the service; its refusal is
    shown on the form's `field`, success flashes `done` ({family}: the family's name)."""
    referral = referral_or_404(current_user, referral_id)
    if form.validate_on_submit():
        try:
            act(referral, form)
        except service.ReferralRefused as refused:
            getattr(form, field).errors = [str(refused)]
            return _show(referral, status=400, **{name: form})
        flash(done.format(family=referral.family.family_name))
        return redirect(url_for("referrals.show", referral_id=referral.id))
    return _show(referral, status=400, **{name: form})


@bp.route("/referrals/<int:referral_id>/accept", methods=["POST"])
@requires("answer_referrals")
def accept(referral_id: int):
    return _answer(referral_id, "accept", AcceptForm(), "accept",
                   lambda referral, _form: service.accept(referral, current_user),
                   "Referral of {family} accepted.")


@bp.route("/referrals/<int:referral_id>/decline", methods=["POST"])
@requires("answer_referrals")
def decline(referral_id: int):
    return _answer(referral_id, "decline", DeclineForm(), "decline_reason",
                   lambda referral, form: service.decline(referral, current_user,
                                                          form.decline_reason.data),
                   "Referral of {family} declined.")


@bp.route("/referrals/<int:referral_id>/outcome", methods=["POST"])
@requires("answer_referrals")
def outcome(referral_id: int):
    return _answer(referral_id, "outcome", OutcomeForm(), "outcome",
                   lambda referral, form: service.record_outcome(referral, current_user,
                                                                 form.outcome.data),
                   "Referral outcome recorded.")
