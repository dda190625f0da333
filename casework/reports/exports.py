"""Spreadsheet exports: every CSV and Excel file casework writes goes through here, so that a
value imported from a partner's file can never run as a formula where it is opened; and a
claim batch as rows for CSV and Excel."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable
from typing import Any, TextIO

from .. import cache_version
from .. import models as m
from ..locking import lock_rows
from ..permissions import can
from ..queue import reusable, start
from ..replica import reads
from ..transaction import transaction

# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and
# Google Sheets; OWASP's advice is to make such text start with an apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def looks_like_formula(value: Any) -> bool:
    """Whether a spreadsheet would read the text as a formula (a plain number is safe)."""
    return (isinstance(value, str) and value.startswith(FORMULA_STARTS)
            and NUMBER.fullmatch(value) is None)


def spreadsheet_cell(value: Any) -> Any:
    """The value to write in a CSV cell: formula-like text is prefixed with an apostrophe."""
    return "'" + value if looks_like_formula(value) else value


class SafeWriter:
    """csv.writer whose rows are made safe with spreadsheet_cell."""

    def __init__(self, out: TextIO, **options):
        self._writer = csv.writer(out, **{"lineterminator": "\n", **options})

    def writerow(self, row) -> None:
        self._writer.writerow([spreadsheet_cell(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out: TextIO, **options) -> SafeWriter:
    """The writer of every CSV a person downloads or opens (pages, jobs, the command line):
    every cell made safe, the header and file names in it too."""
    return SafeWriter(out, **options)


def internal_csv_writer(out: TextIO):
    """A plain csv.writer for a CSV that casework hands straight back to its own importer
    (a matched upload rewritten with references, a decided review, the demo's files): never
    a download, and the importer must read the values exactly as they were."""
    return csv.writer(out, lineterminator="\n")


def write_xlsx_row(sheet, row_number: int, values: list) -> None:
    """Write values into a row of an openpyxl sheet: text always as text (never a formula,
    shown as it is and kept as text when edited), numbers and dates as themselves."""
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row_number, column)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
            if looks_like_formula(value):
                cell.quotePrefix = True


HEADER = ["claim_id", "family_ref", "family_name", "result", "amount", "claim_date",
          "programme_year", "validated_by", "validated_at", "window", "batch_id", "ruleset"]


def batch_rows(batch: m.ClaimBatch) -> list[list]:
    rows = [HEADER]
    for c in batch.claims:
        fam = c.snapshot["family"]
        rows.append([c.id, fam["family_ref"], fam["family_name"], c.result, c.amount,
                     c.as_of.isoformat(), c.programme_year,
                     c.decided_by.name if c.decided_by else "",
                     c.decided_at.isoformat(timespec="minutes") if c.decided_at else "",
                     batch.window, batch.id, c.ruleset])
    return rows


def batch_csv(batch: m.ClaimBatch) -> str:
    out = io.StringIO()
    csv_writer(out).writerows(batch_rows(batch))
    return out.getvalue()


def batch_xlsx(batch: m.ClaimBatch) -> bytes:
    from openpyxl import Workbook  # loaded on first use: slow to import
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = f"Batch {batch.id}"
    for number, row in enumerate(batch_rows(batch), start=1):
        write_xlsx_row(sheet, number, row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    total_row = sheet.max_row + 1
    sheet.cell(total_row, 4, "Total").font = Font(bold=True)
    sheet.cell(total_row, 5, f"=SUM(E2:E{total_row - 1})").font = Font(bold=True)  # ours
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Large exports ------------------------------------------------------------------------------

# A CSV export of more rows than this is made by a job, not in the request (no web request
# does long work: at 120,000 families the results CSV took several seconds to write).
EXPORT_IN_REQUEST = 20_000


@dataclasses.dataclass
class Export:
    """A CSV export's answer: the file (made now, or the one its job made from the same
    data), or the job making it."""

    name: str | None = None
    body: bytes | None = None
    job: m.Job | None = None


def csv_export(kind: str, title: str, user: m.User, params: dict, rows: int,
               make: Callable[[], tuple[str, bytes]]) -> Export:
    """The export of `rows` rows: made here by make() -> (file name, bytes), its reads from
    the read replica when there is one (casework/replica.py); or, when it is large, the
    file a job of `kind` made for these params from the data as it is now (the figures'
    cache version: any change since makes it again), or that job, started if need be.
    A user who may not see jobs gets the export made here (their families are few)."""
    if rows <= EXPORT_IN_REQUEST or not can(user, "view_jobs"):
        with reads():
            name, body = make()
        return Export(name, body)
    with transaction():  # the caller's, if it has one open (written in or not)
        # Two requests at the same instant queue here, so the second finds the first's job;
        # the data version is read under the lock too: the job is for the data as it is.
        lock_rows((m.User, [user.id]))
        params = {**params, "version": cache_version.current()}
        job = reusable(kind, user, params)
        if job is None:
            return Export(job=start(kind, title, user, params=params))
    if job.state == "done":
        return Export(job.result_name, job.result, job)
    return Export(job=job)


def csv_bytes(header: list[str], rows, **options) -> bytes:
    """The CSV (through the safe writer) of a header and rows, as UTF-8."""
    out = io.StringIO()
    writer = csv_writer(out, **options)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def export_response(made: Export, audit: Callable[[str, Any], Any]):
    """The answer of a CSV address: the file (`audit(name, page)` records it shown and
    returns the page), or, while its job makes it, the job's page (303: the page shows how far it has
    got and offers the file; asking the address again once it is made gives the file)."""
    from flask import Response, redirect, url_for

    if made.body is None:
        return redirect(url_for("jobs.show", job_id=made.job.id), 303)
    return audit(made.name, Response(made.body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={made.name}"}))
