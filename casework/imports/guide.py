"""What each kind of file holds, for the imports pages: its columns in words, an example file,
and the history of files imported, with every problem downloadable."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from .. import models as m
from ..evidence import fields as f
from ..evidence.kinds import KINDS, Column
from ..extensions import db
from ..importer.service import ImportRefused, ImportSummary, import_csv
from ..matching.importing import import_with_matching
from ..reports.exports import csv_writer
from ..transaction import transaction

HISTORY_SHOWN = 20
ERROR_PATTERN = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<column>[^:]+): (?P<message>.*)$")


def describe(column: Column) -> str:
    """What a column takes, in words."""
    parse = column.parse
    if isinstance(parse, f.Ref):
        text = "A reference: 1 to 32 letters, digits, - and _"
    elif isinstance(parse, f.Text):
        text = f"Text, up to {parse.limit:,} characters"
    elif isinstance(parse, f.Date):
        text = "A date as YYYY-MM-DD, for example 2026-03-27"
    elif isinstance(parse, f.Flag):
        text = "y or n (also yes or no)"
    elif isinstance(parse, f.Count):
        text = "A whole number, 0 or more"
    elif isinstance(parse, f.Choice):
        text = "One of " + ", ".join(parse.options)
    elif isinstance(parse, f.AcademicYear):
        text = "An academic year, for example 2025/26"
    else:
        text = ""
    if column.default is not None and not column.required:
        text += f"; blank means {'y' if column.default is True else 'n' if column.default is False else column.default}"
    return text


def example_csv(kind: str) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    columns = KINDS[kind].column_names
    writer.writerow(columns)
    # Every row as wide as the header (a short row is refused).
    writer.writerows([*row, *[""] * (len(columns) - len(row))] for row in KINDS[kind].examples)
    return out.getvalue()


def record_run(kind: str, file_name: str, user: m.User | None, summary: ImportSummary | None,
               errors: list[str]) -> m.ImportRun:
    """Add a file's row to the import history, in the caller's transaction."""
    run = m.ImportRun(kind=kind, file_name=file_name[-255:], user_id=user.id if user else None,
                      status="imported" if summary else "refused",
                      created=summary.created if summary else 0,
                      updated=summary.updated if summary else 0,
                      unchanged=summary.unchanged if summary else 0, errors=list(errors))
    db.session.add(run)
    db.session.flush()
    return run


def import_recorded(
    kind: str, data: bytes, file_name: str, user: m.User | None, *, match: bool = False,
    progress: Callable[[int], None] | None = None,
    recorded: Callable[[m.ImportRun, Any], None] | None = None,
) -> tuple[Any, list[str], m.ImportRun]:
    """Import an uploaded file (matching its rows without a person_ref first, if `match`) and
    write its history row in the same transaction as what it did, or, for a refused file,
    with every problem. Return the summary (the importer's, or with `match` the matching's;
    None when refused), the problems and the row. `recorded`, if given, is called with the
    row and that summary in the transaction (a job records itself finished there, so that
    nothing is ever recorded twice)."""
    def record(summary, imported: ImportSummary | None, errors: list[str]) -> m.ImportRun:
        run = record_run(kind, file_name, user, imported, errors)
        if recorded is not None:
            recorded(run, summary)
        return run

    try:
        with transaction():
            if match:
                summary = import_with_matching(kind, data, file_name, user=user,
                                               progress=progress)
                run = record(summary, summary.imported, [])
            else:
                summary = import_csv(kind, data, file_name, user=user, progress=progress)
                run = record(summary, summary, [])
    except ImportRefused as refused:  # what the file did is rolled back: record why
        with transaction():
            run = record(None, None, refused.errors)
        return None, refused.errors, run
    return summary, [], run


def history(kind: str | None = None, limit: int = HISTORY_SHOWN) -> list[m.ImportRun]:
    query = select(m.ImportRun).order_by(m.ImportRun.at.desc(), m.ImportRun.id.desc()).limit(limit)
    if kind:
        query = query.where(m.ImportRun.kind == kind)
    return list(db.session.scalars(query))


def run_or_404(run_id: int) -> m.ImportRun:
    return db.get_or_404(m.ImportRun, run_id)


def errors_csv(run: m.ImportRun) -> str:
    """Every problem of a refused file, one a row: file, line, column, message."""
    out = io.StringIO()
    writer = csv_writer(out)  # a file name or column like =cmd|' /C calc'!A0 stays text
    writer.writerow(["file", "line", "column", "message"])
    for error in run.errors:
        match = ERROR_PATTERN.match(error)
        writer.writerow([match["file"], match["line"], match["column"], match["message"]]
                        if match else [run.file_name, "", "", error])
    return out.getvalue()
