"""The rows matching could not settle, waiting for a programme manager to decide (the review
list; not a job queue)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from ..audit import shown
from ..flashes import flash
from ..importer.service import ImportRefused
from ..paging import requested_page
from ..permissions import requires
from . import duplicates, families, merging, reviews, service
from .forms import (
    DIFFERENT,
    NOBODY,
    NOT_THE_SAME,
    DecisionForm,
    FamilyMergeForm,
    MergeForm,
    SearchForm,
    UndoForm,
)

bp = Blueprint("matching", __name__, url_prefix="/matching")

FIELDS = (("given_name", "Given name"), ("family_name", "Family name"),
          ("date_of_birth", "Date of birth"), ("postcode", "Postcode"), ("sex", "Sex"))


@bp.route("/reviews")
@requires("review_matches")
def reviews_waiting():
    waiting = reviews.waiting_page(requested_page(request.args))
    link_above, review_above = service.thresholds()
    return shown("view_list", "match_reviews", None,
                 detail=f"{waiting.total} waiting, page {waiting.page}",
                 page=render_template("matching/reviews_waiting.html", waiting=waiting,
                                      link_above=link_above, review_above=review_above))


@bp.route("/models")
@requires("review_matches")
def models():
    """The versions of the matching model, which is in use, and how each trained version
    compared with the one in use before it went into use (or was refused)."""
    versions = reviews.model_versions()
    in_use = next((v.id for v in versions if v.status == "in use"), None)
    page = render_template("matching/models.html", versions=versions, in_use=in_use)
    return shown("view_list", "match_models", None, page=page,
                 detail=f"{len(versions)} versions")


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
            return redirect(url_for("matching.reviews_waiting"))
        except (reviews.ReviewRefused, ImportRefused) as refused:
            errors = getattr(refused, "errors", None) or [str(refused)]
            found = reviews.review_or_404(review_id)
            candidates = reviews.candidates_seen_by(found, current_user)
    described = [(c["person"].given_name.lower(), c["person"].family_name.lower(),
                  c["person"].date_of_birth) for c in candidates]
    return shown("view", "match_review", str(found.id),
                 detail=", ".join(c["person_ref"] for c in candidates), page=render_template(
                     "matching/review.html", review=found, candidates=candidates, form=form,
                     errors=errors, fields=FIELDS, link_above=service.thresholds()[0],
                     namesakes=len(set(described)) < len(described)))


# Duplicates inside casework --------------------------------------------------------------


@bp.route("/duplicates")
@requires("merge_people")
def duplicate_list():
    """What the newest search for duplicates found (a job: no search is done here)."""
    search = duplicates.likely_duplicates(current_user)
    pairs = search.pairs
    page = render_template("matching/duplicates.html", search=search, pairs=pairs,
                           form=SearchForm())
    return shown("view_list", "duplicate_people", None, page=page,
                 detail=", ".join(f"{p.first.person_ref}/{p.second.person_ref}"
                                  for p in pairs[:20]) + (" ..." if len(pairs) > 20 else ""))


@bp.route("/duplicates/search", methods=["POST"])
@requires("merge_people")
def duplicate_search():
    """Start the job that looks for duplicates (or go to the one already under way)."""
    job = duplicates.start_search(current_user)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/duplicates/<int:first_id>/<int:second_id>", methods=["GET", "POST"])
@requires("merge_people")
def duplicate_pair(first_id: int, second_id: int):
    first = duplicates.person_or_404(current_user, first_id)
    second = duplicates.person_or_404(current_user, second_id)
    form = MergeForm(first, second)
    errors = []
    if form.validate_on_submit():
        try:
            if form.keep.data == NOT_THE_SAME:
                duplicates.not_the_same(first, second, current_user)
                flash(f"{first.person_ref} and {second.person_ref} are recorded as two "
                      "different people.")
                return redirect(url_for("matching.duplicate_list"))
            kept, other = (first, second) if form.keep.data == str(first.id) else (second, first)
            merged = duplicates.merge(kept, other, current_user)
            flash(f"{other.person_ref} was merged into {kept.person_ref}.")
            return redirect(url_for("matching.merge_done", merge_id=merged.id))
        except merging.MergeRefused as refused:
            errors = refused.problems
    page = render_template(
        "matching/duplicate.html", people=[first, second], form=form, errors=errors,
        held=[(label, a, b) for (label, a), (_, b)
              in zip(duplicates.held(first), duplicates.held(second), strict=True)],
        found=duplicates.pair_probability(first, second))
    return shown("view", "duplicate_pair", f"{first.person_ref}/{second.person_ref}",
                 page=page)


@bp.route("/merges/<int:merge_id>", methods=["GET", "POST"])
@requires("merge_people")
def merge_done(merge_id: int):
    record = duplicates.merge_or_404(merge_id)
    kept = duplicates.person_or_404(current_user, record.kept_id)
    form = UndoForm()
    errors = []
    if record.undone_at is None and form.validate_on_submit():
        try:
            person = duplicates.undo(record, current_user)
            flash(f"The merge was undone: {person.person_ref} is a person of their own again, "
                  "with the records the merge had moved.")
            return redirect(url_for("matching.duplicate_list"))
        except merging.MergeRefused as refused:
            errors = refused.problems
    page = render_template("matching/merge.html", record=record, kept=kept, form=form,
                           errors=errors, moved=duplicates.moved_counts(record))
    return shown("view", "person_merge", str(record.id), page=page,
                 detail=f"{record.merged_ref} into {kept.person_ref}")


# Duplicate families (one household under two references) ---------------------------------------


@bp.route("/family-duplicates")
@requires("merge_families")
def family_list():
    """What the newest search for duplicate families found (a job: no search is done here)."""
    search = families.likely_duplicates(current_user)
    pairs = search.pairs
    page = render_template("matching/family_duplicates.html", search=search, pairs=pairs,
                           form=SearchForm())
    return shown("view_list", "duplicate_families", None, page=page,
                 detail=", ".join(f"{p.first.family_ref}/{p.second.family_ref}"
                                  for p in pairs[:20]) + (" ..." if len(pairs) > 20 else ""))


@bp.route("/family-duplicates/search", methods=["POST"])
@requires("merge_families")
def family_search():
    """Start the job that looks for duplicate families (or go to the one under way)."""
    job = families.start_search(current_user)
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/family-duplicates/<first_ref>/<second_ref>", methods=["GET", "POST"])
@requires("merge_families")
def family_pair(first_ref: str, second_ref: str):
    first = families.family_or_404(current_user, first_ref)
    second = families.family_or_404(current_user, second_ref)
    form = FamilyMergeForm(first, second)
    errors = []
    if form.validate_on_submit():
        try:
            if form.keep.data == DIFFERENT:
                families.not_the_same(first, second, current_user)
                flash(f"{first.family_ref} and {second.family_ref} are recorded as two "
                      "different households.")
                return redirect(url_for("matching.family_list"))
            kept, other = ((first, second) if form.keep.data == first.family_ref
                           else (second, first))
            kept_ref, other_ref = kept.family_ref, other.family_ref
            merged = families.merge(kept, other, current_user)
            flash(f"{other_ref} was merged into {kept_ref}.")
            return redirect(url_for("matching.family_merge_done", family_merge_id=merged.id))
        except merging.MergeRefused as refused:
            errors = refused.problems
            first = families.family_or_404(current_user, first_ref)
            second = families.family_or_404(current_user, second_ref)
    held = [families.held(first), families.held(second)]
    page = render_template(
        "matching/family_duplicate.html", families=[first, second], held=held, form=form,
        errors=errors, refusals=[] if errors else families.refusals(first, second),
        counts=[(label, a, b) for (label, a), (_, b)
                in zip(held[0].counts, held[1].counts, strict=True)],
        same_people=families.same_people(*held), found=families.found_pair(first, second))
    return shown("view", "duplicate_families_pair", f"{first.family_ref}/{second.family_ref}",
                 page=page)


@bp.route("/family-merges/<int:family_merge_id>", methods=["GET", "POST"])
@requires("merge_families")
def family_merge_done(family_merge_id: int):
    record = families.merge_or_404(family_merge_id)
    kept = families.merge_kept_or_404(current_user, record)
    form = UndoForm()
    errors = []
    if record.undone_at is None and form.validate_on_submit():
        try:
            family = families.undo(record, current_user)
            flash(f"The merge was undone: {family.family_ref} is a family of its own again, "
                  "with the records the merge had moved.")
            return redirect(url_for("families.show", family_ref=family.family_ref))
        except merging.MergeRefused as refused:
            errors = refused.problems
            record = families.merge_or_404(family_merge_id)
            kept = families.merge_kept_or_404(current_user, record)
    page = render_template("matching/family_merge.html", record=record, kept=kept, form=form,
                           errors=errors, moved=families.moved_counts(record),
                           person_merges=families.person_merges(record))
    return shown("view", "family_merge", str(record.id), page=page,
                 detail=f"{record.merged_ref} into {kept.family_ref}")
