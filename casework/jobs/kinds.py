"""The kinds of job: what each runs, who may see it, and where its result lives."""

from __future__ import annotations

import datetime as dt

from flask import url_for

from .. import models as m
from ..claims import documents
from ..claims.service import ClaimRefused, build_claims
from ..evaluation import store
from ..extensions import db
from ..families.subject_access import family_subject_access_pdf_file, subject_access_pdf_file
from ..importer.service import ImportSummary
from ..imports.guide import import_recorded
from ..matching import duplicates, families
from ..matching.importing import MatchedImportSummary
from ..programme.board import board_report_pdf
from ..queue import JobFailed, Kind, Outcome, Work, record_finish, register
from ..replica import reads
from ..rules.dates import govdate
from ..rules.plan import PlanError


def _claims_build(work: Work) -> Outcome:
    as_of = dt.date.fromisoformat(work.params["as_of"])
    ruleset = work.params.get("ruleset", "phase1")  # jobs queued before there was a choice
    # How many claims earlier runs of this job saved: each run counts its own on the job in
    # the transaction that saves them, so a run interrupted after saving (kill -9 before the
    # job was recorded done) is still counted by the retry, which itself builds none again.
    earlier = int(work.params.get("claims_created", 0))

    def saved(claims: list[m.Claim]) -> None:
        job = db.session.get(m.Job, work.job_id)
        job.params = {**job.params, "claims_created": earlier + len(claims)}

    failed: list[tuple[int, str, str]] = []
    try:
        created = build_claims(as_of, work.user, progress=work.progress, ruleset=ruleset,
                               saved=saved, failed=failed)
    except ClaimRefused as refused:
        raise JobFailed(str(refused)) from None
    except PlanError as invalid:
        raise JobFailed(f"The {ruleset} Outcome Plan could not be read, so nothing was built:\n"
                        f"{invalid}") from None
    under = "" if ruleset == "phase1" else f" under {ruleset}"
    total = earlier + len(created)
    before = (f" ({earlier:,} of them saved by an earlier run of this job that was stopped "
              "before it finished)") if earlier else ""
    problems = ("\n" + store.failed_words(store.named_failures(failed), store.LEFT_OUT_OF_BUILD,
                                              shown=1)
                if failed else "")
    return Outcome(f"{total:,} draft claims created for results claimable on "
                   f"{govdate(as_of)}{under}{before}.{problems}")


register(Kind(
    "claims_build", "Claims build", "manage_claims", _claims_build,
    link=lambda job: ("See the draft claims", url_for("claims.index", state="draft")),
    back=lambda job: ("Claims", url_for("claims.index")),
))


def _claim_batch_pdf(work: Work) -> Outcome:
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
    name, body = board_report_pdf(work.user, work.params["quarter"])
    return Outcome(f"The Partnership Board report ({len(body):,} bytes) is ready to download.",
                   name, "application/pdf", body)


register(Kind(
    "board_report", "Partnership Board report", "view_programme", _board_report,
    back=lambda job: ("Partnership Board report", url_for("programme.board_report")),
))


def _subject_access_pdf(work: Work) -> Outcome:
    """A person's subject access PDF, or a whole family's (params family_ref)."""
    if "family_ref" in work.params:
        ref = work.params["family_ref"]
        made = family_subject_access_pdf_file(work.user, ref)
        if made is None:
            raise JobFailed(f"{ref} is no longer a family you may see")
    else:
        ref = work.params["person_ref"]
        made = subject_access_pdf_file(work.user, ref)
        if made is None:
            raise JobFailed(f"{ref} is no longer on a family you may see")
    name, body = made
    return Outcome(f"The subject access PDF for {ref} is ready to download.", name,
                   "application/pdf", body)


register(Kind(
    "subject_access_pdf", "Subject access PDF", "subject_access", _subject_access_pdf,
))


ERRORS_SHOWN = 50


def _import(work: Work) -> Outcome:
    kind, filename = work.params["kind"], work.params["filename"]
    total = work.input.count(b"\n") - 1  # rows after the header
    read = 0

    def rows_read(more: int) -> None:
        nonlocal read
        read += more
        work.progress(min(read, total), total, "rows checked")

    def recorded(run: m.ImportRun, summary: ImportSummary | MatchedImportSummary | None) -> None:
        # In the transaction that imports the file (or records it refused), with its history
        # row: the job is finished once, and the row written once, whatever happens after.
        job = db.session.get(m.Job, work.job_id)
        job.params = {**job.params, "run_id": run.id}
        if summary is not None:
            record_finish(work.job_id, outcome=Outcome(_imported(summary)))
        else:
            record_finish(work.job_id, error=_refused(run.errors))

    summary, errors, _ = import_recorded(kind, work.input, filename, work.user,
                                         match=bool(work.params.get("match")),
                                         progress=rows_read, recorded=recorded)
    if errors:
        raise JobFailed(_refused(errors))
    return Outcome(_imported(summary))


UNMATCHED_SHOWN = 40


def _imported(summary: ImportSummary | MatchedImportSummary) -> str:
    """The job's summary of an import; a matched one names the lines matched to nobody,
    which were not imported (as the upload page does)."""
    lines = getattr(summary, "unmatched_lines", ())
    if not lines:
        return summary.line()
    shown = ", ".join(map(str, lines[:UNMATCHED_SHOWN]))
    more = f" and {len(lines) - UNMATCHED_SHOWN} more" if len(lines) > UNMATCHED_SHOWN else ""
    return (f"{summary.line()}. Not matched to anyone, so not imported: "
            f"{'line' if len(lines) == 1 else 'lines'} {shown}{more}")


def _refused(errors: list[str]) -> str:
    more = len(errors) - ERRORS_SHOWN
    return ("The file was not imported: nothing from it was saved. Fix these rows and upload it "
            "again.\n" + "\n".join(errors[:ERRORS_SHOWN])
            + (f"\n... and {more} more: download them all below" if more > 0 else ""))


def _import_link(job: m.Job) -> tuple[str, str] | None:
    run_id = job.params.get("run_id")
    if run_id is None:
        return None
    if job.state == "failed":
        return "Download every problem (CSV)", url_for("imports.errors", run_id=run_id)
    return "See the files imported", url_for("imports.kind_page", kind=job.params["kind"],
                                             _anchor="history")


register(Kind(
    "import", "Import of a partner file", "import_data", _import, link=_import_link,
    back=lambda job: ("Import partner data", url_for("imports.upload")),
))


def _refresh_figures(work: Work) -> Outcome:
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
    return Outcome(f"{what} evaluated: the figures are as of {govdate(summary.as_of)}."
                   + summary.problems())


register(Kind(
    # The name is casework.evaluation.store.REFRESH_KIND, which starts it.
    "refresh_figures", "Refresh of the figures", "view_programme", _refresh_figures,
    link=lambda job: ("Go to the programme dashboard", url_for("programme.dashboard")),
    back=lambda job: ("Programme dashboard", url_for("programme.dashboard")),
))


def _duplicates_search(subject, find, filename: str, listed: str) -> Kind:
    """The search for likely duplicate people or families (casework/matching/merging.py): it
    writes nothing but its result, so a retry looks again."""

    def run(work: Work) -> Outcome:
        summary, body = find(progress=work.progress)
        return Outcome(summary, filename, "application/json", body)

    return Kind(subject.search_kind, subject.search_title, subject.permission, run,
                link=lambda job: (f"See the {subject.search_title.lower()}", url_for(listed)),
                back=lambda job: (subject.search_title, url_for(listed)))


register(_duplicates_search(duplicates.PEOPLE, duplicates.find, "likely-duplicates.json",
                            "matching.duplicate_list"))
register(_duplicates_search(families.FAMILIES, families.find, "likely-duplicate-families.json",
                            "matching.family_list"))


# Returns (casework/returns, casework/programme/quarterly.py) -----------------------------------
# Each reads from the read replica when one is configured (casework/replica.py): a return is
# a snapshot, and nothing in it must see a write made in the same moment.


def _returns_scope(work: Work):
    from ..access import visible_families

    return visible_families(work.user), dt.date.fromisoformat(work.params["as_of"])


def _audited(what: str, as_of: dt.date, user) -> None:
    from ..audit import record_event
    from ..transaction import transaction

    with transaction():
        record_event("export", what, as_of.isoformat(), user=user)


def _ssd(work: Work) -> Outcome:
    from ..returns.ssd import ssd_tables, ssd_zip

    families, as_of = _returns_scope(work)
    with reads():
        tables = ssd_tables(families, as_of)
    body = ssd_zip(tables)
    _audited("ssd", as_of, work.user)
    counts = ", ".join(f"{name} {len(rows):,}" for name, rows in tables.items())
    return Outcome(f"The SSD early help tables on {govdate(as_of)} are ready to download "
                   f"(rows: {counts}).", f"ssd-{as_of.isoformat()}.zip", "application/zip",
                   body)


def _annex_a_list_2(work: Work) -> Outcome:
    import io

    from ..returns.ssd import list_2_rows, write_list_2

    families, as_of = _returns_scope(work)
    with reads():
        rows = list_2_rows(families, as_of)
    out = io.StringIO()
    write_list_2(rows, out)
    _audited("annex_a_list_2", as_of, work.user)
    return Outcome(f"Ofsted's list 2 on {govdate(as_of)} ({len(rows):,} rows) is ready to "
                   "download.", f"annex-a-list-2-{as_of.isoformat()}.csv", "text/csv",
                   out.getvalue().encode())


def _quarterly_return(work: Work) -> Outcome:
    import io

    from ..programme.quarterly import COLUMNS, quarterly_return
    from ..programme.service import Quarter
    from ..reports.exports import csv_writer

    families, as_of = _returns_scope(work)
    with reads():
        rows = quarterly_return(families, last=Quarter.containing(as_of), today=as_of)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in COLUMNS])
    _audited("quarterly_return", as_of, work.user)
    return Outcome(f"The quarterly return to {govdate(as_of)} ({len(rows)} quarters) is ready "
                   "to download.", f"quarterly-return-{as_of.isoformat()}.csv", "text/csv",
                   out.getvalue().encode())


for _name, _label, _work in (("ssd", "SSD early help tables", _ssd),
                             ("annex_a_list_2", "Ofsted's list 2", _annex_a_list_2),
                             ("quarterly_return", "Quarterly return", _quarterly_return)):
    register(Kind(_name, _label, "view_programme", _work,
                  back=lambda job: ("Returns", url_for("programme.returns"))))


# Large CSV exports (casework.reports.exports.csv_export): each the starter's own ---------------


def _made_from(work: Work, version: int | None) -> None:
    """Record on the export's job the figures' version of the data its file was made from
    (read where the file's rows were read): a replica behind the primary made it from
    older data, so the address does not serve it as the primary's (reports.exports)."""
    from ..transaction import transaction

    if version != work.params.get("version"):
        with transaction():
            job = db.session.get(m.Job, work.job_id)
            job.params = {**job.params, "version": version}


def _results_csv(work: Work) -> Outcome:
    from .. import cache_version
    from ..evaluation import figures, listing

    p = work.params
    sc = figures.scope(work.user, p["ward"] or None)
    with reads():
        version = cache_version.current()
        name, body, count = listing.results_csv(sc, p["result"], p["status"])
    _made_from(work, version)
    _audited("results", sc.as_of, work.user)
    return Outcome(f"The results CSV as of {govdate(sc.as_of)} ({count:,} families) is ready "
                   "to download.", name, "text/csv", body)


def _costs_csv(work: Work) -> Outcome:
    from .. import cache_version
    from ..evaluation import figures
    from ..programme.service import costs_csv

    with reads():
        version = cache_version.current()
        name, body, count = costs_csv(work.user)
    _made_from(work, version)
    _audited("cost_analysis", figures.scope(work.user).as_of, work.user)
    return Outcome(f"The cost analysis CSV ({count:,} families) is ready to download.",
                   name, "text/csv", body)


register(Kind("results_csv", "Results CSV", "view_results", _results_csv, own=True,
              back=lambda job: ("Results", url_for("evaluation.results"))))
register(Kind("costs_csv", "Cost analysis CSV", "view_programme", _costs_csv, own=True,
              back=lambda job: ("Cost analysis", url_for("programme.costs"))))
