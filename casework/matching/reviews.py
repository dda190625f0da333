"""A person's decision on a row waiting for review: accept a candidate (the row is then
imported as if it had named them) or reject them all."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from .. import models as m
from ..access import visible_families
from ..audit import record_event
from ..extensions import db
from ..importer.kinds import KINDS
from ..importer.service import ImportRefused, ImportSummary, import_csv
from ..paging import Page
from ..reports.exports import internal_csv_writer
from ..transaction import transactional
from .wording import column_words, level_words, shown_value


class ReviewRefused(Exception):
    """The decision cannot be made: the message says why."""


REVIEWS_PER_PAGE = 50


def waiting_page(page: int) -> Page:
    """One page of the rows waiting, oldest first."""
    total = db.session.scalar(select(func.count()).select_from(_waiting().subquery()))
    items = db.session.scalars(
        _waiting().order_by(m.MatchReview.created_at, m.MatchReview.id)
        .offset((page - 1) * REVIEWS_PER_PAGE).limit(REVIEWS_PER_PAGE)).all()
    return Page(list(items), page, REVIEWS_PER_PAGE, total)


def model_versions() -> list[m.MatchModel]:
    """Every stored version of the matching model, newest first."""
    return list(db.session.scalars(select(m.MatchModel).order_by(m.MatchModel.id.desc())))


def review_or_404(review_id: int) -> m.MatchReview:
    return db.get_or_404(m.MatchReview, review_id)


def candidates_seen_by(review: m.MatchReview, user: m.User) -> list[dict]:
    """The review's candidates `user` may see, each with the person and family now."""
    ids = [c["person_id"] for c in review.candidates]
    visible = visible_families(user).with_only_columns(m.Family.id)
    people = {p.id: p for p in db.session.scalars(
        select(m.Person).where(m.Person.id.in_(ids), m.Person.family_id.in_(visible)))}
    return [{**c, "person": people[c["person_id"]], "waterfall": _in_words(c.get("waterfall"))}
            for c in review.candidates if c["person_id"] in people]


def _in_words(waterfall: list[dict] | None) -> list[dict] | None:
    """The stored waterfall's steps with their comparison and level in words for the page."""
    if not waterfall:
        return waterfall
    return [{**s, "label": level_words(s["column"], s["label"]),
             "column_label": column_words(s["column"]),
             "incoming": shown_value(s.get("incoming")), "register": shown_value(s.get("register"))}
            for s in waterfall]


def _waiting():
    return select(m.MatchReview).where(m.MatchReview.status == "waiting")


def _decided(review: m.MatchReview, status: str, user: m.User) -> None:
    if review.status != "waiting":
        raise ReviewRefused(f"This row was already {review.status} by "
                            f"{review.decided_by.name if review.decided_by else 'someone'}")
    review.status, review.decided_by_id, review.decided_at = status, user.id, m.utcnow()


def _same_person_waiting(review: m.MatchReview) -> list[m.MatchReview]:
    """Other rows waiting about the same described person, oldest first."""
    return list(db.session.scalars(
        select(m.MatchReview).where(m.MatchReview.identity_key == review.identity_key,
                                    m.MatchReview.status == "waiting",
                                    m.MatchReview.id != review.id)
        .order_by(m.MatchReview.id)))


def accept(review: m.MatchReview, person_id: int, user: m.User
           ) -> tuple[ImportSummary, int]:
    """Link the row to one of its candidates and import it, in one transaction; then do
    the same for the other rows waiting about the same described person (each in its own),
    so that nobody is asked twice. Returns the row's import summary and how many others
    were settled with it."""
    summary = _accept_one(review, person_id, user, None)
    settled = 0
    for other in _same_person_waiting(review):
        if any(c["person_id"] == person_id for c in other.candidates):
            try:
                _accept_one(other, person_id, user, review)
                settled += 1
            except ImportRefused:  # rolled back: it stays waiting, for a person to see why
                pass
    return summary, settled


@transactional
def _accept_one(review: m.MatchReview, person_id: int, user: m.User,
                like: m.MatchReview | None) -> ImportSummary:
    candidate = next((c for c in review.candidates if c["person_id"] == person_id), None)
    if candidate is None:
        raise ReviewRefused("Select one of the candidates shown")
    _decided(review, "accepted", user)
    review.person_id = person_id
    row = {**review.row, "person_ref": candidate["person_ref"]}
    out = io.StringIO()
    writer = internal_csv_writer(out)
    writer.writerow(list(row))
    writer.writerow(list(row.values()))
    key = "/".join(candidate["person_ref"] if k == "person_ref" else row.get(k, "")
                   for k in KINDS[review.kind].key)
    db.session.add(m.MatchLink(kind=review.kind, record_key=key, person_id=person_id,
                               match_probability=candidate["match_probability"],
                               model_id=review.model_id, review_id=review.id,
                               linked_by_id=user.id))
    record_event("accept", "match_review", str(review.id), user=user,
                 detail=f"{review.kind} {review.record_key} is {candidate['person_ref']} "
                        f"(matching model version {review.model_id})"
                        + (f", as decided on review {like.id}" if like else ""))
    # The decision is imported with the row, or both are rolled back (ImportRefused).
    return import_csv(review.kind, out.getvalue().encode(),
                      f"{review.filename} line {review.line} (review {review.id})", user)


@transactional
def reject(review: m.MatchReview, user: m.User) -> int:
    """None of the candidates is the person: the row is not imported, and they are not
    proposed for this described person again; other rows waiting about the same described
    person with no other candidate are rejected with it. Returns how many."""
    rejected = {c["person_id"] for c in review.candidates}
    settled = 0
    for one in [review, *_same_person_waiting(review)]:
        if one is not review and not {c["person_id"] for c in one.candidates} <= rejected:
            continue
        _decided(one, "rejected", user)
        record_event("reject", "match_review", str(one.id), user=user,
                     detail=f"{one.kind} {one.record_key}: none of "
                            f"{', '.join(c['person_ref'] for c in one.candidates)} "
                            f"(matching model version {one.model_id})"
                            + (f", as decided on review {review.id}" if one is not review else ""))
        settled += one is not review
    return settled
