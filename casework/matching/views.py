"""The review queue: rows matching could not settle, for a programme manager to decide."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from ..audit import record_event
from ..flashes import flash
from ..importer.service import ImportRefused
from ..paging import requested_page
from ..permissions import requires
from ..transaction import transaction
from . import reviews, service
from .forms import NOBODY, DecisionForm

bp = Blueprint("matching", __name__, url_prefix="/matching")

FIELDS = (("given_name", "Given name"), ("family_name", "Family name"),
          ("date_of_birth", "Date of birth"), ("postcode", "Postcode"), ("sex", "Sex"))


@bp.route("/reviews")
@requires("review_matches")
def queue():
    waiting = reviews.waiting_page(requested_page(request.args))
    record_event("view_list", "match_reviews", None,
                 detail=f"{waiting.total} waiting, page {waiting.page}")
    link_above, review_above = service.thresholds()
    with transaction():
        return render_template("matching/queue.html", waiting=waiting,
                                         link_above=link_above, review_above=review_above)


@bp.route("/models")
@requires("review_matches")
def models():
    """The versions of the matching model, which is in use, and how each trained version
    compared with the one in use before it went into use (or was refused)."""
    versions = reviews.model_versions()
    in_use = next((v.id for v in versions if v.status == "in use"), None)
    record_event("view_list", "match_models", None, detail=f"{len(versions)} versions")
    with transaction():
        return render_template("matching/models.html", versions=versions, in_use=in_use)


def _also(others: int) -> str:
    if not others:
        return ""
    return (f" The same decision was made for {others} other row{'s' if others != 1 else ''} "
            "describing the same person.")


@bp.route("/reviews/<int:review_id>", methods=["GET", "POST"])
@requires("review_matches")
def review(review_id: int):
    found = reviews.review_or_404(review_id)
    candidates = reviews.candidates_seen_by(found, current_user)
    form = DecisionForm([(str(c["person_id"]), f"{c['person'].full_name} ({c['person_ref']})")
                         for c in candidates])
    errors = []
    if found.status == "waiting" and form.validate_on_submit():
        try:
            if form.person.data == NOBODY:
                others = reviews.reject(found, current_user)
                flash(f"Row {found.record_key} rejected: it was not imported, and these "
                      "people will not be proposed for it again." + _also(others))
            else:
                summary, others = reviews.accept(found, int(form.person.data), current_user)
                flash(f"Row {found.record_key} linked and imported ({summary.line()})."
                      + _also(others))
            return redirect(url_for("matching.queue"))
        except (reviews.ReviewRefused, ImportRefused) as refused:
            errors = getattr(refused, "errors", None) or [str(refused)]
            found = reviews.review_or_404(review_id)
            candidates = reviews.candidates_seen_by(found, current_user)
    record_event("view", "match_review", str(found.id),
                 detail=", ".join(c["person_ref"] for c in candidates))
    described = [(c["person"].given_name.lower(), c["person"].family_name.lower(),
                  c["person"].date_of_birth) for c in candidates]
    with transaction():
        return render_template(
            "matching/review.html", review=found, candidates=candidates, form=form,
            errors=errors, fields=FIELDS, link_above=service.thresholds()[0],
            namesakes=len(set(described)) < len(described))
