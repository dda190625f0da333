"""The stored evaluation as the results page, its CSV and the screening page list it: the
families of a figures scope (casework.evaluation.figures) with their stored rows, filtered by one
result's status, counted and paged with set-based queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from array import array
from collections.abc import Iterator

from sqlalchemy import case, func

from .. import models as m
from ..extensions import db
from ..lookups import one_of
from ..paging import Page, page_within
from ..reports.exports import Export, csv_bytes, csv_export
from ..rules import CLAIMABLE_RESULTS, RESULTS, STATUSES
from . import figures as fig
from .output import CSV_COLUMNS

PER_PAGE = 50
SCREENING_SHOWN = 200  # families listed under each heading; the count says how many in all


@dataclasses.dataclass(frozen=True)
class Row:
    """One family's stored evaluation, as the results and screening pages show it."""

    family_ref: str
    family_name: str
    ward: str | None
    identified_on: dt.date | None
    attached_on: dt.date | None
    stored: m.StoredEvaluation

    def status(self, result: str) -> str:
        return getattr(self.stored, f"result_{result}")

    @property
    def claimable(self) -> list[tuple[str, int]]:
        return [(r, amount) for r in CLAIMABLE_RESULTS
                if (amount := getattr(self.stored, f"claimable_{r}"))]

    @property
    def why(self) -> list[str]:
        s = self.stored
        return [label for flag, label in ((s.crime_asb, "crime or ASB"), (s.education, "education"),
                                          (s.work, "out of work"),
                                          (s.local_discretion, "local discretion")) if flag]


@dataclasses.dataclass(frozen=True)
class Results:
    """The results page: one page of families, the first of those nearly there, and the
    counts for the filter chosen (total, nearly, counts {result: {status: n}}, claimable)."""

    page: Page
    nearly: list[Row]
    totals: dict


def _rows(query) -> list[Row]:
    return [Row(*values) for values in db.session.execute(query)]


def _listed(sc: fig.Scope, *where):
    """The scope's families with a stored evaluation, in family_ref order."""
    f = sc.f.c
    return (sc.select(f.family_ref, f.family_name, f.ward, f.identified_on, f.attached_on, sc.s)
            .where(sc.s.family_id.is_not(None), *where).order_by(f.family_ref))


def _status_filter(sc: fig.Scope, result: str, status: str) -> list:
    return [getattr(sc.s, f"result_{result}") == status] if result and status else []


def _result_totals(sc: fig.Scope, chosen: list) -> dict:
    """The results page's counts (for the filter chosen): families, nearly there, each
    result's statuses and the pounds claimable, in four queries; unfiltered, from the
    stored figures when they hold (casework.evaluation.figures.stored)."""
    if not chosen and fig.stored(sc) is not None:
        found = fig.list_totals(sc)
        return {"total": found["evaluated"], "nearly": found["nearly"],
                "counts": {r: dict(c) for r, c in fig.statuses(sc).items()},
                "claimable": found["claimable_pounds"]}
    total = db.session.scalar(sc.select(func.count()).where(
        sc.s.family_id.is_not(None), *chosen)) or 0
    nearly = db.session.scalar(sc.select(func.count()).where(
        sc.s.nearly_there.is_not(None), *chosen)) or 0
    pairs = [(r, s) for r in RESULTS for s in STATUSES]
    found = db.session.execute(sc.select(*[
        func.count(case((getattr(sc.s, f"result_{r}") == s, 1))) for r, s in pairs
    ]).where(*chosen)).one()
    counts = {r: {} for r in RESULTS}
    for (r, s), n in zip(pairs, found, strict=True):
        if n:
            counts[r][s] = n
    claimable = db.session.scalar(sc.select(
        func.coalesce(func.sum(sc.s.claimable_total), 0)).where(*chosen)) or 0
    return {"total": total, "nearly": nearly, "counts": counts, "claimable": claimable}


def results(sc: fig.Scope, result: str, status: str, page: int) -> Results:
    """Page `page` of the scope's families whose `result` has `status` (every family when
    either is empty), the first PER_PAGE of them nearly there, and their counts."""
    chosen = _status_filter(sc, result, status)
    totals = fig.memo(sc, "results", lambda: _result_totals(sc, chosen), result, status,
                      summary=not chosen)
    # The listed families' ids in order, kept like the counts (unfiltered, as current as the
    # stored totals, so the pages match them): a deep page is a slice, not an OFFSET that
    # reads every row before it.
    order = fig.memo(sc, "results.order", lambda: array("q", db.session.scalars(
        _listed(sc, *chosen).with_only_columns(sc.f.c.id))), result, status, large=True,
        summary=not chosen)
    nearly_ids = fig.memo(sc, "results.nearly", lambda: list(db.session.scalars(
        _listed(sc, sc.s.nearly_there.is_not(None), *chosen).with_only_columns(sc.f.c.id)
        .limit(PER_PAGE))), result, status)
    page_number = page_within(page, len(order), PER_PAGE)
    start = (page_number - 1) * PER_PAGE
    shown = Page(_rows(_listed(sc, one_of(sc.f.c.id, list(order[start:start + PER_PAGE])))),
                 page_number, PER_PAGE, len(order))
    return Results(shown, _rows(_listed(sc, one_of(sc.f.c.id, nearly_ids))), totals)


def results_csv_rows(sc: fig.Scope, result: str, status: str) -> Iterator[list]:
    """The results CSV's rows (CSV_COLUMNS + nearly_there) for the same families as the
    results page, in family_ref order. Plain columns, not records: 120,000 rows of values
    are written in a second or two."""
    S, f = sc.s, sc.f.c
    query = sc.select(
        f.family_ref, S.as_of, S.identification_date, S.crime_asb, S.education, S.work,
        S.local_discretion, S.eligible, f.attached_on,
        *[getattr(S, f"result_{r}") for r in RESULTS],
        *[getattr(S, f"claimable_{r}") for r in CLAIMABLE_RESULTS], S.nearly_there,
    ).where(S.family_id.is_not(None), *_status_filter(sc, result, status)).order_by(f.family_ref)
    flags, statuses = slice(3, 8), slice(9, 9 + len(RESULTS))
    amounts = slice(9 + len(RESULTS), 9 + len(RESULTS) + len(CLAIMABLE_RESULTS))
    for row in db.session.execute(query):
        yield ([row[0], row[1].isoformat(), row[2].isoformat()]
               + ["y" if flag else "n" for flag in row[flags]]
               + [row[8].isoformat() if row[8] else ""]
               + list(row[statuses])
               + [";".join(f"{r}:{amount}" for r, amount
                           in zip(CLAIMABLE_RESULTS, row[amounts], strict=True) if amount)]
               + [row[-1] or ""])


def results_csv(sc: fig.Scope, result: str, status: str) -> tuple[str, bytes, int]:
    """The results CSV: (file name, bytes, how many families)."""
    rows = list(results_csv_rows(sc, result, status))
    return (f"results-{sc.as_of.isoformat()}.csv",
            csv_bytes(CSV_COLUMNS + ["nearly_there"], rows), len(rows))


def results_export(user: m.User, ward: str, result: str, status: str) -> Export:
    """/results.csv for `user`: made now when it is small, otherwise by the job
    "results_csv" (casework.reports.exports.csv_export)."""
    sc = fig.scope(user, ward)
    chosen = _status_filter(sc, result, status)
    rows = fig.memo(sc, "results.csv_rows", lambda: db.session.scalar(sc.select(
        func.count()).where(sc.s.family_id.is_not(None), *chosen)) or 0, result, status)
    return csv_export("results_csv", "Results CSV", user,
                      {"ward": ward, "result": result, "status": status}, rows,
                      lambda: results_csv(sc, result, status)[:2])


def screening(sc: fig.Scope) -> dict[str, tuple[int, list[Row]]]:
    """The eligible families not yet attached, not identified and identified apart:
    {"not_identified" | "not_attached": (how many, the first SCREENING_SHOWN)}."""
    f = sc.f.c
    waiting = [sc.s.eligible.is_(True), f.attached_on.is_(None)]
    kinds = (("not_identified", f.identified_on.is_(None)),
             ("not_attached", f.identified_on.is_not(None)))
    totals = fig.memo(sc, "screening", lambda: {
        key: db.session.scalar(sc.select(func.count()).where(*waiting, where)) or 0
        for key, where in kinds})
    # Which families are shown is found once per data change too (each list's first
    # SCREENING_SHOWN in reference order, from tens of thousands eligible); a request reads
    # those families' rows only, by id (the conditions not asked again: SQLite would then
    # walk every eligible family rather than the few ids).
    shown = fig.memo(sc, "screening.shown", lambda: {
        key: list(db.session.scalars(_listed(sc, *waiting, where).with_only_columns(f.id)
                                     .limit(SCREENING_SHOWN)))
        for key, where in kinds})
    return {key: (totals[key], _rows(_listed(sc, one_of(f.id, shown[key]))))
            for key, _ in kinds}
