"""The claim batch PDF an internal auditor signs: a summary, then one evidence page a family.

A thousand-family batch is laid out in chunks on every core and the chunks joined; each
family's evidence fits one page, so every page's number is known before layout.
"""

from __future__ import annotations

import io
from collections import defaultdict

from flask import current_app, render_template
from sqlalchemy import select

from .. import models as m
from ..claims.service import batch_summary
from ..extensions import db
from ..workers import map_in_workers
from .pdf import render_pdf

FAMILIES_PER_CHUNK = 100


def _family_claims(batch: m.ClaimBatch) -> list[list[m.Claim]]:
    by_family: dict[int, list[m.Claim]] = defaultdict(list)
    for claim in batch.claims:
        by_family[claim.family_id].append(claim)
    return sorted(by_family.values(), key=lambda c: c[0].snapshot["family"]["family_ref"])


def _render_chunk(task: tuple[int, list[int], int, int]) -> bytes:
    batch_id, claim_ids, first_page, total_pages = task
    batch = db.session.get(m.ClaimBatch, batch_id)
    claims = db.session.scalars(select(m.Claim).where(m.Claim.id.in_(claim_ids))).all()
    by_family: dict[int, list[m.Claim]] = defaultdict(list)
    for claim in sorted(claims, key=lambda c: c.id):
        by_family[claim.family_id].append(claim)
    families = sorted(by_family.values(), key=lambda c: c[0].snapshot["family"]["family_ref"])
    return render_pdf(render_template(
        "reports/claim_families.html", batch=batch, families=families, first_page=first_page,
        total_pages=total_pages, council=current_app.config["COUNCIL_NAME"]))


def _single_document(batch: m.ClaimBatch, families: list[list[m.Claim]]) -> bytes:
    html = render_template(
        "reports/claim_batch.html", batch=batch, summary=batch_summary(batch), families=families,
        total_pages=None, council=current_app.config["COUNCIL_NAME"], one_document=True)
    return render_pdf(html)


def batch_pdf(batch: m.ClaimBatch) -> bytes:
    families = _family_claims(batch)
    total_pages = 1 + len(families)
    summary = render_pdf(render_template(
        "reports/claim_batch.html", batch=batch, summary=batch_summary(batch),
        total_pages=total_pages, council=current_app.config["COUNCIL_NAME"]))
    tasks = []
    for i in range(0, len(families), FAMILIES_PER_CHUNK):
        chunk = families[i : i + FAMILIES_PER_CHUNK]
        tasks.append((batch.id, [c.id for claims in chunk for c in claims], 2 + i, total_pages))
    from pypdf import PdfWriter  # loaded on first use

    writer = PdfWriter()
    writer.append(io.BytesIO(summary))
    for (_, _, first_page, _), part in zip(tasks, map_in_workers(_render_chunk, tasks, min_tasks=2),
                                           strict=True):
        writer.append(io.BytesIO(part))
        if len(writer.pages) != first_page - 1 + min(FAMILIES_PER_CHUNK, total_pages - first_page + 1):
            # A family's evidence ran over one page, so numbers fixed in advance would be
            # wrong: lay the whole batch out in one document, numbered by the layout.
            return _single_document(batch, families)
    writer.add_metadata({"/Title": f"Troubled Families claim, {batch.window} (batch {batch.id})",
                         "/Author": current_app.config["COUNCIL_NAME"]})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
