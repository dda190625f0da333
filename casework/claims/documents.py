"""A claim batch's PDF, made once after submission and kept, so that every download is the
same bytes (and the batch page can show their SHA-256)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import models as m
from ..audit import record_event
from ..extensions import db
from ..locking import lock_rows
from ..rules.ruleset import CLAIMABLE_RESULTS
from ..transaction import transaction
from .service import CLAIM_RESULTS, batch_summary


def stored(batch_id: int) -> m.ClaimBatchPdf | None:
    return db.session.get(m.ClaimBatchPdf, batch_id)


def subject(batch_id: int) -> str:
    return f"claim_batch:{batch_id}"


def latest_job(batch_id: int) -> m.Job | None:
    """The latest job making the batch's PDF, if any."""
    return db.session.scalar(select(m.Job).where(m.Job.subject == subject(batch_id))
                             .order_by(m.Job.id.desc()).limit(1))


def layout(batch: m.ClaimBatch) -> bytes:
    """The batch's PDF, laid out afresh from its claims' frozen evidence."""
    from ..reports.claims_pdf import batch_pdf
    from .outcome_plans import example_plans

    figures = batch_summary(batch)
    return batch_pdf(batch, figures, [r for r in CLAIM_RESULTS if r in CLAIMABLE_RESULTS
                                      or r in figures["per_result"]], example_plans())


def make(batch_id: int, by: m.User | None) -> tuple[m.ClaimBatchPdf, bool]:
    """Lay out and store the batch's PDF unless it is stored already; return (it, whether
    it was made now). Two makers at once store one: the second finds the first's."""
    existing = stored(batch_id)
    if existing is not None:
        return existing, False
    batch = db.session.get(m.ClaimBatch, batch_id)
    if batch is None:
        raise LookupError(f"There is no claim batch {batch_id}")
    body = layout(batch)
    row = m.ClaimBatchPdf(batch_id=batch_id, pdf=body, sha256=hashlib.sha256(body).hexdigest(),
                          size=len(body))
    try:
        with transaction():
            lock_rows()  # end the reads (SQLite: and take the write lock) before writing
            db.session.add(row)
            record_event("create", "claim_batch_pdf", str(batch_id), user=by,
                         detail=f"SHA-256 {row.sha256}, {row.size} bytes")
            db.session.flush()  # another maker's row, stored meanwhile, is found here
    except IntegrityError:  # another maker stored it first
        return stored(batch_id), False
    return row, True
