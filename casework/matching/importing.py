"""`casework import KIND FILE --match`: a step before the importer. Rows that describe a
person instead of naming their person_ref are matched; linked rows get the person_ref and
go to the importer with the others (the same checks, all or nothing), rows for review wait
for it, unmatched rows are reported; the importer itself is unchanged."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable

from .. import models as m
from ..audit import record_event
from ..extensions import db
from ..importer.kinds import KINDS, Kind
from ..importer.service import ImportRefused, ImportSummary, check_csv, import_csv
from ..lookups import one_of_chunks
from ..reports.exports import internal_csv_writer
from ..transaction import transactional
from . import service
from .files import DESCRIBING, Record, describe, read_records


@dataclasses.dataclass(frozen=True)
class MatchedImportSummary:
    imported: ImportSummary
    linked: int
    review: int
    unmatched: int
    unmatched_lines: tuple[int, ...] = ()

    def line(self) -> str:
        return (f"{self.imported.line()}, {self.linked} linked, {self.review} for review, "
                f"{self.unmatched} unmatched")


def matchable_kinds() -> list[str]:
    """The evidence kinds whose rows name a person, and so may describe one instead."""
    return [name for name, kind in KINDS.items() if kind.references.get("person_ref") == "person"]


@transactional
def import_with_matching(kind_name: str, data: bytes, filename: str,
                         user: m.User | None = None,
                         progress: Callable[[int], None] | None = None) -> MatchedImportSummary:
    """Match the rows without person_ref, then import the file, in one transaction (the
    caller's, if one is open); or raise ImportRefused. `progress` is told, as the importer
    is, how many more rows have been checked."""
    kind = KINDS[kind_name]
    if kind_name not in matchable_kinds():
        raise ImportRefused([f"{filename}: --match is for the evidence kinds "
                             f"({', '.join(matchable_kinds())}), not {kind_name}"])
    header, records = read_records(data, filename)
    waiting = [r for r in records if not r.cells.get("person_ref")
               and any(r.cells.get(c) for c in DESCRIBING)]
    if not waiting:
        return MatchedImportSummary(
            import_csv(kind_name, data, filename, user, progress), 0, 0, 0)

    errors: list[str] = []
    described = [describe(r, filename, errors) for r in waiting]
    if errors:
        raise ImportRefused(errors)
    model = service.model_for_use(store=True)
    results = service.match(described, model)
    decided = {id(r): result for r, result in zip(waiting, results)}

    columns = [c for c in header if c not in DESCRIBING]
    if "person_ref" not in columns:
        columns.insert(0, "person_ref")
    to_import, to_review, unmatched = [], [], []
    for record in records:
        result = decided.get(id(record))
        if result is None:
            to_import.append((record, None))
        elif result.decision == "linked":
            to_import.append((record, result))
        elif result.decision == "review":
            to_review.append((record, result))
        else:
            unmatched.append(record)

    linked = sum(1 for _, r in to_import if r is not None)
    # Rows for review are checked now, as if they had their best candidate's reference, so
    # that accepting one later cannot fail on a problem the file already had.
    checked, lines = _rewritten(columns, to_import + to_review)
    try:
        check_csv(kind_name, checked, filename)
    except ImportRefused as refused:
        raise _renumbered(refused, filename, lines) from None
    data, lines = _rewritten(columns, to_import)
    # The rows are imported first and what matching decided is written after, in the same
    # transaction: on SQLite the first write takes the database's one write lock, and the
    # importer's checking, which reports progress on another connection, holds none.
    try:
        imported = import_csv(kind_name, data, filename, user, progress)
    except ImportRefused as refused:  # nothing from the file is kept
        raise _renumbered(refused, filename, lines) from None
    for record, result in to_review:
        _hold_for_review(kind, record, result, model, filename, user)
    _link(kind, [(record, result) for record, result in to_import if result], model, user)
    record_event("match", "file", filename[-120:], user=user,
                 detail=f"{kind_name}: {linked} linked, {len(to_review)} for review, "
                        f"{len(unmatched)} unmatched (matching model version {model.id})")
    return MatchedImportSummary(imported, linked, len(to_review), len(unmatched),
                                tuple(r.line for r in unmatched))


def _rewritten(columns: list[str], rows: list[tuple[Record, service.Match | None]]
               ) -> tuple[bytes, dict[int, int]]:
    """The rows as a CSV the importer reads (person_ref filled in, the describing columns
    left out), and each of its lines -> the line in the partner's file."""
    out = io.StringIO()
    writer = internal_csv_writer(out)
    writer.writerow(columns)
    lines = {1: 1}
    line = 2
    for record, result in rows:
        cells = dict(record.cells)
        if result is not None:
            cells["person_ref"] = result.person_ref
        start = out.tell()
        writer.writerow([cells.get(c, "") for c in columns])
        lines[line] = record.line
        line += out.getvalue().count("\n", start)
    return out.getvalue().encode(), lines


def _renumbered(refused: ImportRefused, filename: str, lines: dict[int, int]) -> ImportRefused:
    pattern = re.compile(rf"^{re.escape(filename)}:(\d+):")
    return ImportRefused([pattern.sub(lambda g: f"{filename}:{lines.get(int(g[1]), g[1])}:", e)
                          for e in refused.errors])


def _record_key(kind: Kind, cells: dict[str, str], person_ref: str | None) -> str:
    """The row's key as record history writes it; without a person, the rest of it."""
    parts = [person_ref if k == "person_ref" else cells.get(k, "") for k in kind.key]
    return "/".join(p for p in parts if p)


def _hold_for_review(kind: Kind, record: Record, result: service.Match, model: m.MatchModel,
           filename: str, user: m.User | None) -> None:
    """Put a row among those waiting for review, or refresh the one already waiting for it."""
    d = describe(record, filename, [])
    key = _record_key(kind, record.cells, None)
    review = db.session.scalar(
        db.select(m.MatchReview).where(
            m.MatchReview.kind == kind.name, m.MatchReview.record_key == key,
            m.MatchReview.identity_key == d.identity_key, m.MatchReview.status == "waiting"))
    if review is None:
        review = m.MatchReview(kind=kind.name, record_key=key, identity_key=d.identity_key,
                               created_by_id=user.id if user else None, status="waiting")
        db.session.add(review)
    review.filename, review.line = filename[-300:], record.line
    review.row = {c: v for c, v in record.cells.items() if c not in DESCRIBING}
    review.given_name, review.family_name = d.given_name, d.family_name
    review.date_of_birth, review.postcode, review.sex = d.date_of_birth, d.postcode, d.sex
    review.model_id = model.id
    review.candidates = [
        {"person_id": c.person_id, "person_ref": c.person_ref,
         "match_probability": c.match_probability, "match_weight": c.match_weight,
         "waterfall": c.waterfall or []}
        for c in result.candidates
    ]


def _link(kind: Kind, rows: list[tuple[Record, service.Match]], model: m.MatchModel,
          user: m.User | None) -> None:
    """Note which model version (or which person's decision) linked each record, unless
    it was linked to the same person before."""
    keys = {_record_key(kind, record.cells, result.person_ref): result for record, result in rows}
    before: dict[str, int] = {}
    for where in one_of_chunks(m.MatchLink.record_key, sorted(keys)):
        for key, person_id in db.session.execute(
            db.select(m.MatchLink.record_key, m.MatchLink.person_id)
            .where(where, m.MatchLink.kind == kind.name).order_by(m.MatchLink.id)
        ):
            before[key] = person_id
    db.session.add_all(
        m.MatchLink(
            kind=kind.name, record_key=key, person_id=result.person_id,
            match_probability=result.match_probability,
            model_id=result.remembered.model_id if result.remembered else model.id,
            review_id=result.remembered.id if result.remembered else None,
            linked_by_id=user.id if user else None)
        for key, result in keys.items() if before.get(key) != result.person_id
    )
