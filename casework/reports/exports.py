"""A claim batch as rows for CSV and Excel."""

from __future__ import annotations

import io

from .. import models as m

HEADER = ["claim_id", "family_ref", "family_name", "result", "amount", "claim_date",
          "programme_year", "validated_by", "validated_at", "window", "batch_id"]


def batch_rows(batch: m.ClaimBatch) -> list[list]:
    rows = [HEADER]
    for c in batch.claims:
        fam = c.snapshot["family"]
        rows.append([c.id, fam["family_ref"], fam["family_name"], c.result, c.amount,
                     c.as_of.isoformat(), c.programme_year,
                     c.decided_by.name if c.decided_by else "",
                     c.decided_at.isoformat(timespec="minutes") if c.decided_at else "",
                     batch.window, batch.id])
    return rows


def batch_xlsx(batch: m.ClaimBatch) -> bytes:
    from openpyxl import Workbook  # loaded on first use: slow to import
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = f"Batch {batch.id}"
    for row in batch_rows(batch):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    total_row = sheet.max_row + 1
    sheet.cell(total_row, 4, "Total").font = Font(bold=True)
    sheet.cell(total_row, 5, f"=SUM(E2:E{total_row - 1})").font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
