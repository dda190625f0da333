"""Training for initial contact organisations, and match funding."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from .. import models as m
from ..audit import shown
from ..flashes import flash
from ..permissions import requires
from ..rules.ruleset import PROGRAMME_LABELS, PROGRAMMES, programme_of
from . import service
from .forms import (
    CompletionForm,
    ContributionForm,
    CourseForm,
    ReceivedForm,
    financial_year,
    to_pence,
)

bp = Blueprint("partnership", __name__, url_prefix="/partnership")


def _problems(refused: Exception) -> list[str]:
    return str(refused).split("; ")


@bp.route("/training", methods=["GET", "POST"])
@requires("manage_training")
def training():
    courses = service.courses()
    users = service.trainees()
    form = CompletionForm()
    form.course.choices = [(c.id, c.name) for c in courses]
    form.user.choices = [(0, "Not a user of casework")] + [(u.id, u.name) for u in users]
    refusal = []
    if courses and form.validate_on_submit():
        user = next((u for u in users if u.id == form.user.data), None)
        course = next(c for c in courses if c.id == form.course.data)
        try:
            service.record_completion(course, form.completed_on.data, current_user, user=user,
                                      person_name=form.person_name.data,
                                      organisation=form.organisation.data)
        except service.PartnershipRefused as refused:
            refusal = _problems(refused)
        else:
            flash(f"Completion of {course.name} recorded.")
            return redirect(url_for("partnership.training"))
    rows = service.completions()
    return shown("view", "training", None, detail=f"{len(rows)} completions",
                 page=render_template("partnership/training.html", form=form, courses=courses,
                                      rows=rows, expires_on=service.expires_on, today=clock.today(),
                                      refusal=refusal))


@bp.route("/training/courses", methods=["GET", "POST"])
@requires("manage_training")
def new_course():
    form = CourseForm()
    refusal = []
    if form.validate_on_submit():
        try:
            course = service.add_course(form.name.data, form.valid_months.data, current_user)
        except service.PartnershipRefused as refused:
            refusal = _problems(refused)
        else:
            flash(f"Course {course.name} added.")
            return redirect(url_for("partnership.training"))
    return render_template("partnership/course.html", form=form, refusal=refusal)


def _programme() -> str:
    chosen = request.args.get("programme", "")
    return chosen if chosen in PROGRAMMES else programme_of(clock.today())


@bp.route("/match-funding", methods=["GET", "POST"])
@requires("manage_match_funding")
def match_funding():
    programme = _programme()
    form = ContributionForm()
    if not form.is_submitted():
        form.pledge_programme.data = programme
    refusal = []
    if form.validate_on_submit():
        try:
            row = service.add_contribution(
                current_user, programme=form.pledge_programme.data, source_kind=form.source_kind.data,
                source_name=form.source_name.data,
                financial_year=financial_year(form.financial_year.data),
                pledged_pence=to_pence(form.pledged.data), pledged_on=form.pledged_on.data,
                notes=form.notes.data)
        except service.PartnershipRefused as refused:
            refusal = _problems(refused)
        else:
            flash(f"Pledge from {row.source_name} recorded.")
            return redirect(url_for("partnership.match_funding", programme=row.programme))
    rows = service.contributions(programme)
    return shown("view", "match_funding", None, detail=programme, page=render_template(
        "partnership/match_funding.html", form=form, rows=rows, programme=programme,
        programme_labels=PROGRAMME_LABELS, kinds=m.MATCH_SOURCE_KINDS, refusal=refusal))


@bp.route("/match-funding/<int:contribution_id>", methods=["GET", "POST"])
@requires("manage_match_funding")
def contribution(contribution_id: int):
    row = service.contribution_or_404(contribution_id)
    form = ReceivedForm()
    if not form.is_submitted():
        form.received.data = f"{row.received_pence / 100:.2f}"
        form.received_on.data = row.received_on
    refusal = []
    if form.validate_on_submit():
        try:
            service.record_received(row, to_pence(form.received.data), form.received_on.data,
                                    current_user)
        except service.PartnershipRefused as refused:
            refusal = _problems(refused)
        else:
            flash(f"Money received from {row.source_name} saved.")
            return redirect(url_for("partnership.match_funding", programme=row.programme))
    return shown("view", "match_contribution", str(row.id), page=render_template(
        "partnership/contribution.html", form=form, row=row, kinds=m.MATCH_SOURCE_KINDS,
        programme_labels=PROGRAMME_LABELS, refusal=refusal))
