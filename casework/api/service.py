"""What the read API answers, each read scoped through casework.access like the pages, and
its one write: evidence rows posted as JSON, checked and imported by the CSV importer."""

from __future__ import annotations

import datetime as dt
import io
import re

from sqlalchemy import func, select

from .. import models as m
from ..access import get_family_or_404, visible_families
from ..evaluation import figures
from ..evaluation.service import evaluate_family, to_json
from ..extensions import db
from ..importer.kinds import KINDS
from ..importer.service import ImportRefused, import_csv
from ..paging import Page, page_within
from ..reports.exports import internal_csv_writer
from ..returns.episodes import programme_episodes

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
MAX_ROWS = 10_000  # evidence rows in one call
# The kinds of partner evidence the API takes (families and people come by file).
EVIDENCE_KINDS = tuple(k for k in KINDS if k not in ("families", "people"))
ROWS = "rows"  # the "file" an evidence call's problems name


class EvidenceRefused(Exception):
    """Nothing was imported; `errors` holds each problem as {line, field, message, text}."""

    def __init__(self, errors: list[dict]):
        super().__init__("; ".join(e["text"] for e in errors))
        self.errors = errors


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def family_summary(f: m.Family) -> dict:
    return {"family_ref": f.family_ref, "family_name": f.family_name, "ward": f.ward,
            "postcode": f.postcode, "identified_on": _iso(f.identified_on),
            "attached_on": _iso(f.attached_on), "closed_on": _iso(f.closed_on)}


def families(who, page: int | None, per_page: int | None) -> Page:
    """One page of the families `who` may see, in reference order."""
    per_page = min(max(1, per_page or DEFAULT_PER_PAGE), MAX_PER_PAGE)
    scoped = visible_families(who)
    total = db.session.scalar(select(func.count()).select_from(scoped.subquery())) or 0
    number = page_within(page, total, per_page)
    rows = db.session.scalars(scoped.order_by(m.Family.family_ref)
                              .limit(per_page).offset((number - 1) * per_page))
    return Page([family_summary(f) for f in rows], number, per_page, total)


def family(who, family_ref: str) -> dict:
    f = get_family_or_404(who, family_ref)
    return {**family_summary(f), "address": f.address,
            "local_discretion": bool(f.local_discretion)}


def members(who, family_ref: str) -> list[dict]:
    f = get_family_or_404(who, family_ref)
    people = db.session.scalars(select(m.Person).where(m.Person.family_id == f.id)
                                .order_by(m.Person.person_ref))
    return [{"person_ref": p.person_ref, "given_name": p.given_name,
             "family_name": p.family_name, "date_of_birth": _iso(p.date_of_birth),
             "expected_date_of_birth": _iso(p.expected_date_of_birth),
             "date_of_death": _iso(p.date_of_death), "sex": p.sex, "gender": p.gender,
             "ethnicity": p.ethnicity, "nhs_number": p.nhs_number, "upn": p.upn}
            for p in people]


def evaluation(who, family_ref: str, as_of: dt.date) -> dict:
    """The family's evaluation on `as_of`, as `casework evaluate --format json` gives it."""
    return to_json(evaluate_family(get_family_or_404(who, family_ref), as_of))


def episodes(who, family_ref: str, as_of: dt.date) -> list[dict]:
    """The family's times in a programme, as the returns read them
    (casework/returns/episodes.py), as they stood on `as_of`."""
    f = get_family_or_404(who, family_ref)
    return [{"episode_id": e.episode_id, "programme": e.programme,
             "signed_up_on": e.start.isoformat(), "closed_on": _iso(e.end),
             "end_reason": e.end_reason}
            for e in programme_episodes(select(m.Family).where(m.Family.id == f.id), as_of)]


def claims(who, family_ref: str) -> list[dict]:
    f = get_family_or_404(who, family_ref)
    return [{"id": c.id, "family_ref": f.family_ref, "result": c.result, "amount": c.amount,
             "state": c.state, "as_of": c.as_of.isoformat(), "ruleset": c.ruleset}
            for c in db.session.scalars(select(m.Claim).where(m.Claim.family_id == f.id)
                                        .order_by(m.Claim.id))]


def programme_figures(who) -> dict:
    """The dashboard's figures for the families `who` may see, counted by
    casework.evaluation.figures (never counted again here)."""
    sc = figures.for_programme(figures.scope(who))
    fresh = figures.freshness(who)  # read first: the totals are at least as current
    return {"as_of": sc.as_of.isoformat(), "ruleset": sc.ruleset,
            "refreshed_at": sc.refreshed_at.isoformat() if sc.refreshed_at else None,
            "families": figures.family_counts(sc),
            "claimable_pounds": int(figures.claimable_pounds(sc)),
            "claims": figures.claim_totals(sc),
            # The stored totals these are read from, as the dashboard says: when counted and
            # how many changes saved since they do not count yet; null when counted live.
            "stored_totals": None if fresh is None else {
                "counted_at": fresh.counted_at.isoformat() if fresh.counted_at else None,
                "changes_not_counted": fresh.changes}}


# Evidence posted as JSON ----------------------------------------------------------------------


def _problem(index: int | None, field: str, message: str) -> dict:
    where = f"{ROWS}:{index}" if index is not None else ROWS
    return {"line": index, "field": field, "message": message,
            "text": f"{where}: {field}: {message}"}


def _cell(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "y"
    if value is False:
        return "n"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise ValueError("is not a text, number, true, false or null")


def _as_csv(rows: list) -> tuple[bytes, list[dict]]:
    """The rows as a CSV file of one physical line a row (so a line names an index), or the
    problems that stop them being one."""
    problems, columns = [], {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(_problem(i, "row", "is not an object of column names and values"))
            continue
        for name, value in row.items():
            columns.setdefault(str(name).strip().lower(), None)
            try:
                text = _cell(value)
            except ValueError as problem:
                problems.append(_problem(i, str(name), str(problem)))
                continue
            if "\n" in text or "\r" in text:
                problems.append(_problem(i, str(name), "holds a line break"))
    if problems:
        return b"", problems
    out = io.StringIO()
    writer = internal_csv_writer(out)  # straight back to the importer, never a download
    writer.writerow(columns)
    for row in rows:
        cells = {str(k).strip().lower(): _cell(v) for k, v in row.items()}
        writer.writerow([cells.get(name, "") for name in columns])
    return out.getvalue().encode(), []


PROBLEM = re.compile(rf"^{ROWS}(?::(\d+))?: ([^:]+): (.*)$", re.S)


def _from_importer(message: str) -> dict:
    """An importer problem, `rows:LINE: COLUMN: message` (the header is line 1), as one of
    the API's, whose line is the row's index in the array."""
    found = PROBLEM.match(message)
    if not found:
        return _problem(None, "rows", message)
    line, field, text = found.groups()
    index = int(line) - 2 if line is not None and int(line) >= 2 else None
    return _problem(index, field, text)


def post_evidence(who, kind: str, body) -> dict:
    """Import evidence rows of `kind` all or nothing, as the CSV importer would a file of
    them; return the importer's summary, or raise EvidenceRefused naming every problem."""
    if kind not in EVIDENCE_KINDS:
        raise EvidenceRefused([_problem(None, "kind", f"{kind!r} is not one of "
                                                      f"{', '.join(EVIDENCE_KINDS)}")])
    rows = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows:
        raise EvidenceRefused([_problem(None, "rows", "give an array of one or more rows")])
    if len(rows) > MAX_ROWS:
        raise EvidenceRefused([_problem(None, "rows", f"has {len(rows)} rows; at most "
                                                      f"{MAX_ROWS} are taken at once")])
    data, problems = _as_csv(rows)
    if problems:
        raise EvidenceRefused(problems)
    try:
        summary = import_csv(kind, data, ROWS, who)
    except ImportRefused as refused:
        raise EvidenceRefused([_from_importer(e) for e in refused.errors]) from None
    return {"kind": summary.kind, "created": summary.created, "updated": summary.updated,
            "unchanged": summary.unchanged}
