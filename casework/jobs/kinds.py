"""The kinds of job: what each runs, who may see it, and where its result lives."""

from __future__ import annotations

import datetime as dt

from flask import url_for

from .service import JobFailed, Kind, Outcome, Work, register


def _claims_build(work: Work) -> Outcome:
    from ..claims.service import ClaimRefused, build_claims

    as_of = dt.date.fromisoformat(work.params["as_of"])
    try:
        created = build_claims(as_of, work.user, progress=work.progress)
    except ClaimRefused as refused:
        raise JobFailed(str(refused)) from None
    # A retry after an interruption finds the claims the first run saved, and builds none.
    return Outcome(f"{len(created)} draft claims created for results claimable on "
                   f"{as_of:%-d %B %Y}.")


register(Kind(
    "claims_build", "Claims build", "manage_claims", _claims_build,
    link=lambda job: ("See the draft claims", url_for("claims.index", state="draft")),
    back=lambda job: ("Claims", url_for("claims.index")),
))


def _claim_batch_pdf(work: Work) -> Outcome:
    from ..claims import documents

    batch_id = work.params["batch_id"]
    try:
        pdf, made = documents.make(batch_id, work.user)
    except LookupError as missing:
        raise JobFailed(str(missing)) from None
    # A retry after an interruption finds the PDF the first run stored, and keeps it.
    return Outcome(f"The claim PDF for batch {batch_id} was {'made' if made else 'already made'}"
                   f" and stored ({pdf.size:,} bytes, SHA-256 {pdf.sha256}).")


register(Kind(
    "claim_batch_pdf", "Claim batch PDF", "view_claims", _claim_batch_pdf,
    link=lambda job: ("Go to the batch", url_for("claims.batch", batch_id=job.params["batch_id"])),
    back=lambda job: ("Claim batch", url_for("claims.batch", batch_id=job.params["batch_id"])),
))


def _board_report(work: Work) -> Outcome:
    from ..programme.views import board_report_pdf

    name, body = board_report_pdf(work.user, work.params["quarter"])
    return Outcome(f"The Partnership Board report ({len(body):,} bytes) is ready to download.",
                   name, "application/pdf", body)


register(Kind(
    "board_report", "Partnership Board report", "view_programme", _board_report,
    back=lambda job: ("Partnership Board report", url_for("programme.board_report")),
))


def _subject_access_pdf(work: Work) -> Outcome:
    from ..families.subject_access import subject_access_pdf_file

    made = subject_access_pdf_file(work.user, work.params["person_ref"])
    if made is None:
        raise JobFailed(f"{work.params['person_ref']} is no longer on a family you may see")
    name, body = made
    return Outcome(f"The subject access PDF for {work.params['person_ref']} is ready to "
                   "download.", name, "application/pdf", body)


register(Kind(
    "subject_access_pdf", "Subject access PDF", "subject_access", _subject_access_pdf,
))


ERRORS_SHOWN = 50


def _import(work: Work) -> Outcome:
    from ..imports.service import ImportRefused, import_csv
    from .service import record_finish

    kind, filename = work.params["kind"], work.params["filename"]
    total = work.input.count(b"\n") - 1  # rows after the header
    read = 0

    def rows_read(more: int) -> None:
        nonlocal read
        read += more
        work.progress(min(read, total), total, "rows checked")

    def recorded(summary) -> None:  # done in the import's own transaction: never twice
        record_finish(work.job_id, outcome=Outcome(summary.line()))

    try:
        summary = import_csv(kind, work.input, filename, user=work.user, progress=rows_read,
                             before_commit=recorded)
    except ImportRefused as refused:
        errors = refused.errors
        more = len(errors) - ERRORS_SHOWN
        raise JobFailed("The file was not imported: nothing from it was saved. Fix these rows "
                        "and upload it again.\n" + "\n".join(errors[:ERRORS_SHOWN])
                        + (f"\n... and {more} more" if more > 0 else "")) from None
    return Outcome(summary.line())


register(Kind(
    "import", "Import of a partner file", "import_data", _import,
    back=lambda job: ("Import partner data", url_for("imports.upload")),
))


def _refresh_figures(work: Work) -> Outcome:
    from ..evaluation import store

    def progress(done: int, total: int) -> None:
        work.progress(done, total, "families evaluated")

    # The rows are replaced in one transaction at the end: a run interrupted part way saved
    # nothing, and a retry evaluates again (every family, or those still queued).
    if work.params.get("everything"):
        summary = store.refresh(progress=progress)
    else:
        summary = store.refresh_pending(progress=progress)
    if summary is None:
        return Outcome("No family was waiting to be evaluated: the figures were already "
                       "current.")
    what = "Every family" if summary.full else f"{summary.families:,} changed families"
    return Outcome(f"{what} evaluated: the figures are as of {summary.as_of:%-d %B %Y}.")


register(Kind(
    "refresh_figures", "Refresh of the figures",  # casework.evaluation.store.REFRESH_KIND "view_programme", _refresh_figures,
    link=lambda job: ("Go to the programme dashboard", url_for("programme.dashboard")),
    back=lambda job: ("Programme dashboard", url_for("programme.dashboard")),
))
