"""Searching families with an index built for it.

Each family has one search document (`family_search`): its reference, name and postcode
(with and without the space), and each member's name and reference, in lower case. On
SQLite an FTS5 table with the trigram tokenizer indexes it; on PostgreSQL a pg_trgm GIN
index; either answers `LIKE '%words%'` from the index rather than by reading every family
and person. The documents are rewritten with the stored evaluation, for the families whose
records changed, by the refresh of their stored evaluation (casework.evaluation.store),
in a transaction of their own before it writes its rows.
"""

from __future__ import annotations

from sqlalchemy import (
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    table,
    text,
)

from . import models as m
from .extensions import db
from .lookups import one_of

BATCH = 10_000  # documents written again a statement
# SQLite's FTS5 table over the documents (migrations/versions/a17e5a0e0002): rowid is the family's id
FTS = table("family_search_fts", column("rowid"), column("document"))


def _aggregate(column, separator: str):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.string_agg(column, separator)
    return func.group_concat(column, separator)


def document_select(family_ids: list[int] | None = None):
    """SELECT (family_id, document) of these families (all if None)."""
    F, P = m.Family, m.Person
    members = (select(_aggregate(P.given_name + " " + P.family_name + " " + P.person_ref, " | "))
               .where(P.family_id == F.id).correlate(F).scalar_subquery())
    postcode = func.coalesce(F.postcode, "")
    document = func.lower(F.family_ref + " | " + F.family_name + " | " + postcode + " | "
                          + func.replace(postcode, " ", "") + " | "
                          + func.coalesce(members, literal("")))
    query = select(F.id, document)
    return query if family_ids is None else query.where(one_of(F.id, family_ids))


def rewrite(family_ids: list[int] | None = None) -> None:
    """Rewrite the search documents of these families (all if None), in the caller's
    transaction."""
    S = m.FamilySearch
    if family_ids is None:
        db.session.execute(delete(S))
        db.session.execute(insert(S).from_select(["family_id", "document"], document_select()))
        return
    for i in range(0, len(family_ids), BATCH):
        part = family_ids[i : i + BATCH]
        db.session.execute(delete(S).where(one_of(S.family_id, part))
                           .execution_options(synchronize_session=False))
        db.session.execute(insert(S).from_select(["family_id", "document"],
                                                 document_select(part)))


def matching(q: str, within=None, limit: int | None = None):
    """A SELECT of the ids of families whose document holds q (any case), from the index;
    only those among the SELECT of ids `within`, and at most `limit` of them (the index
    stops looking once it has found them: a third of the families sharing a surname costs
    no more than a rare one)."""
    words = q.lower().replace("%", "")
    if db.session.get_bind().dialect.name == "postgresql":
        # Materialised first, from the trigram index: left to itself, the planner walked
        # every family in family_ref order probing each one's document (3.6 s for "smith"
        # at 120,000 families, against 0.1 s this way).
        S = m.FamilySearch
        hits = select(S.family_id).where(S.document.like("%" + words + "%"))
        if within is not None:
            hits = hits.where(S.family_id.in_(within))
        if limit is not None:
            hits = hits.limit(limit)
        hits = hits.cte("search_hits").prefix_with("MATERIALIZED")
        return select(hits.c.family_id)
    if len(words) >= 3:  # the trigram index's own query: the words as one phrase, a substring
        found = text("family_search_fts MATCH :phrase").bindparams(
            phrase='"' + words.replace('"', '""') + '"')
    else:  # too short for a trigram: every document is read
        found = text("family_search_fts.document LIKE :like").bindparams(
            like="%" + words + "%")
    hits = select(FTS.c.rowid.label("family_id")).where(found)
    if within is not None:  # checked on each match (the unary + keeps SQLite from
        # walking `within` and probing the index a family at a time: minutes, not ms)
        hits = hits.where(literal_column("+family_search_fts.rowid").in_(within))
    if limit is not None:
        hits = hits.limit(limit)
    return hits
