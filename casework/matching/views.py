"""The rows matching could not settle, waiting for a programme manager to decide (the review
list; not a job queue)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import get_family_or_404
from ..audit import shown
from ..flashes import flash
from ..importer.service import ImportRefused
from ..paging import requested_page
from ..permissions import requires
from . import duplicates, families, merging, reviews, service
from .forms import (
    NOBODY,
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


# Duplicates inside casework: people, and families (one household under two references) -------
# One flow for both: the list of what the newest search found, starting a search, the pair's
# page with its decision, and the merge's page with its undo. What differs is said once here.


@dataclasses.dataclass(frozen=True)
class _Merging:
    service: Any  # duplicates (people) or families: its search, merge, undo and not_the_same
    form: Any  # MergeForm, FamilyMergeForm (and how it names a record: ref)
    find: Callable  # (user, the address's key) -> one of the pair, or 404
    kept_or_404: Callable  # (user, merge record) -> what it kept, or 404
    listed: str  # the list's endpoint and audit object type
    listed_type: str
    merge_page: str  # the merge's page: endpoint, its address's argument
    merge_arg: str
    apart: str  # "two different people" (the flash after "not one")
    own: str  # "a person of their own" (the flash after undo)
    after_undo: Callable[[Any], str]  # where undo goes: the address

    def ref(self, record) -> str:
        return self.form.ref(record)


PEOPLE = _Merging(duplicates, MergeForm, duplicates.person_or_404,
                  lambda user, record: duplicates.person_or_404(user, record.kept_id),
                  "matching.duplicate_list", "duplicate_people",
                  "matching.merge_done", "merge_id", "two different people",
                  "a person of their own", lambda person: url_for("matching.duplicate_list"))
FAMILIES = _Merging(families, FamilyMergeForm, get_family_or_404,
                    families.merge_kept_or_404, "matching.family_list", "duplicate_families",
                    "matching.family_merge_done", "family_merge_id", "two different households",
                    "a family of its own",
                    lambda family: url_for("families.show", family_ref=family.family_ref))


def _listed(pages: _Merging, template: str):
    """What the newest search found (a job: no search is done here)."""
    search = pages.service.likely_duplicates(current_user)
    pairs = search.pairs
    page = render_template(template, search=search, pairs=pairs, form=SearchForm())
    return shown("view_list", pages.listed_type, None, page=page,
                 detail=", ".join(f"{pages.ref(p.first)}/{pages.ref(p.second)}"
                                  for p in pairs[:20]) + (" ..." if len(pairs) > 20 else ""))


def _search(pages: _Merging):
    """Start the job that looks for duplicates (or go to the one already under way)."""
    job = pages.service.start_search(current_user)
    return redirect(url_for("jobs.show", job_id=job.id))


def _pair_page(pages: _Merging, first_key, second_key, template: str, audit_type: str,
               shows: Callable):
    """A pair side by side, and the decision on it if one was posted: merge one into the
    other, or record that they are not one (a refused merge names every problem).
    `shows(first, second, errors)` is what else the page shows."""
    find = pages.find
    first, second = find(current_user, first_key), find(current_user, second_key)
    form = pages.form(first, second)
    errors = []
    if form.validate_on_submit():
        try:
            if form.keep.data == form.not_one:
                pages.service.not_the_same(first, second, current_user)
                flash(f"{pages.ref(first)} and {pages.ref(second)} are recorded as "
                      f"{pages.apart}.")
                return redirect(url_for(pages.listed))
            kept, other = form.kept_and_other(first, second)
            kept_ref, other_ref = pages.ref(kept), pages.ref(other)
            merged = pages.service.merge(kept, other, current_user)
            flash(f"{other_ref} was merged into {kept_ref}.")
            return redirect(url_for(pages.merge_page, **{pages.merge_arg: merged.id}))
        except merging.MergeRefused as refused:
            errors = refused.problems
            first, second = find(current_user, first_key), find(current_user, second_key)
    page = render_template(template, form=form, errors=errors, **shows(first, second, errors))
    return shown("view", audit_type, f"{pages.ref(first)}/{pages.ref(second)}", page=page)


def _merge_page(pages: _Merging, merge_id: int, template: str, audit_type: str, **shows):
    """A merge's page, and its undoing if that was posted (a refused undo names every
    problem); `shows` (record -> what else the page shows) adds to what every merge's page
    shows."""
    record = pages.service.merge_or_404(merge_id)
    kept = pages.kept_or_404(current_user, record)
    form = UndoForm()
    errors = []
    if record.undone_at is None and form.validate_on_submit():
        try:
            back = pages.service.undo(record, current_user)
            flash(f"The merge was undone: {pages.ref(back)} is {pages.own} again, with the "
                  "records the merge had moved.")
            return redirect(pages.after_undo(back))
        except merging.MergeRefused as refused:
            errors = refused.problems
            record = pages.service.merge_or_404(merge_id)
            kept = pages.kept_or_404(current_user, record)
    page = render_template(template, record=record, kept=kept, form=form, errors=errors,
                           moved=pages.service.moved_counts(record),
                           **{name: shown_by(record) for name, shown_by in shows.items()})
    return shown("view", audit_type, str(record.id), page=page,
                 detail=f"{record.merged_ref} into {pages.ref(kept)}")


@bp.route("/duplicates")
@requires("merge_people")
def duplicate_list():
    return _listed(PEOPLE, "matching/duplicates.html")


@bp.route("/duplicates/search", methods=["POST"])
@requires("merge_people")
def duplicate_search():
    return _search(PEOPLE)


@bp.route("/duplicates/<int:first_id>/<int:second_id>", methods=["GET", "POST"])
@requires("merge_people")
def duplicate_pair(first_id: int, second_id: int):
    return _pair_page(PEOPLE, first_id, second_id, "matching/duplicate.html", "duplicate_pair",
                      _person_pair_shows)


def _person_pair_shows(first, second, errors: list[str]) -> dict:
    return dict(people=[first, second], found=duplicates.pair_probability(first, second),
                held=[(label, a, b) for (label, a), (_, b)
                      in zip(duplicates.held(first), duplicates.held(second), strict=True)])


@bp.route("/merges/<int:merge_id>", methods=["GET", "POST"])
@requires("merge_people")
def merge_done(merge_id: int):
    return _merge_page(PEOPLE, merge_id, "matching/merge.html", "person_merge")


@bp.route("/family-duplicates")
@requires("merge_families")
def family_list():
    return _listed(FAMILIES, "matching/family_duplicates.html")


@bp.route("/family-duplicates/search", methods=["POST"])
@requires("merge_families")
def family_search():
    return _search(FAMILIES)


@bp.route("/family-duplicates/<first_ref>/<second_ref>", methods=["GET", "POST"])
@requires("merge_families")
def family_pair(first_ref: str, second_ref: str):
    return _pair_page(FAMILIES, first_ref, second_ref, "matching/family_duplicate.html",
                      "duplicate_families_pair", _family_pair_shows)


def _family_pair_shows(first, second, errors: list[str]) -> dict:
    held = [families.held(first), families.held(second)]
    return dict(families=[first, second], held=held,
                refusals=[] if errors else families.refusals(first, second),
                counts=[(label, a, b) for (label, a), (_, b)
                        in zip(held[0].counts, held[1].counts, strict=True)],
                same_people=families.same_people(*held),
                found=families.found_pair(first, second))


@bp.route("/family-merges/<int:family_merge_id>", methods=["GET", "POST"])
@requires("merge_families")
def family_merge_done(family_merge_id: int):
    return _merge_page(FAMILIES, family_merge_id, "matching/family_merge.html", "family_merge",
                       person_merges=families.person_merges)
