"""The claim batch PDF an internal auditor signs: a summary, then each family's evidence file.

A family's evidence runs onto as many pages as it needs. A thousand-family batch is laid out
in chunks on every core and the chunks joined; the pages are numbered ("Page X of Y") once
joined, when Y is known, by writing the number onto each page.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from flask import current_app, render_template
from sqlalchemy import select

from .. import models as m
from ..extensions import db
from ..rules.dates import govdate
from ..workers import map_in_workers
from . import claim_evidence
from .pdf import render_pdf

FAMILIES_PER_CHUNK = 60
# Where the page number goes: the bottom-left corner of an A4 page, in the bottom margin.
PAGE_NUMBER_AT = (39.7, 18.0)


def _family_claims(claims: list[m.Claim]) -> list[list[m.Claim]]:
    by_family: dict[int, list[m.Claim]] = defaultdict(list)
    for claim in sorted(claims, key=lambda c: c.id):
        by_family[claim.family_id].append(claim)
    return sorted(by_family.values(), key=lambda c: c[0].snapshot["family"]["family_ref"])


def evidence_files(claims: list[m.Claim], example_plans: frozenset[str] = frozenset()
                   ) -> list[dict]:
    """One family's claims, each with its programme and the evidence read from its own frozen
    snapshot, whatever the programme: a 2012-15 claim's identification and the parts of its
    result; a later programme's claim's needs judged by its Outcome Plan. A 2012-15 claim's
    identification is printed again only where it differs from the one printed above it
    (`same_as` names that claim). `example_plans` are the SHA-256s of the worked-example
    Outcome Plans shipped with casework: a claim made under one says so."""
    out, shown = [], None
    for claim in claims:
        snap = claim.snapshot
        fam = snap["family"]
        entry = {"claim": claim, "programme": claim_evidence.programme_label(claim.ruleset),
                 "as_of": govdate(claim.as_of), "finding": snap["results"][claim.result],
                 **{key: govdate(dt.date.fromisoformat(fam[key])) if fam.get(key) else ""
                    for key in ("identified_on", "attached_on", "closed_on")}}
        if "needs" in snap:
            entry.update(kind="outcome", outcome=claim_evidence.outcome_evidence(snap, claim.result),
                         example_plan=snap["outcome_plan"]["sha256"] in example_plans)
        else:
            same = shown is not None and snap["identification"] == shown[0]
            entry.update(kind="phase1",
                         identification=None if same else claim_evidence.identification(snap),
                         same_as=shown[1] if same else None,
                         parts=claim_evidence.claimed_parts(snap, claim.result),
                         attached_year=claim.programme_year)
            if not same:
                shown = (snap["identification"], claim.id)
        out.append(entry)
    return out


def _render_chunk(task: tuple[int, list[int], frozenset[str]]) -> bytes:
    batch_id, claim_ids, example_plans = task
    batch = db.session.get(m.ClaimBatch, batch_id)
    claims = db.session.scalars(select(m.Claim).where(m.Claim.id.in_(claim_ids))).all()
    families = [evidence_files(c, example_plans) for c in _family_claims(claims)]
    return render_pdf(render_template(
        "reports/claim_families.html", batch=batch, families=families,
        council=current_app.config["COUNCIL_NAME"]))


def _rulesets(batch: m.ClaimBatch) -> list[dict]:
    """Each distinct ruleset (name and parameters) the batch's claims were drafted under,
    its parameters as (label, value) rows."""
    seen: dict[str, dict] = {}
    for claim in sorted(batch.claims, key=lambda c: c.id):
        ruleset = claim.snapshot["ruleset"]
        key = repr((ruleset["name"], sorted(ruleset["parameters"].items())))
        if key not in seen:
            seen[key] = {"name": ruleset["name"],
                         "programme": claim_evidence.programme_label(ruleset["name"]),
                         "claims": 0,
                         "parameters": claim_evidence.labelled_parameters(ruleset)}
        seen[key]["claims"] += 1
    order = claim_evidence.PROGRAMME_ORDER
    return sorted(seen.values(), key=lambda r: order.index(r["name"]) if r["name"] in order
                  else len(order))


def programme_summary(claims: list[m.Claim], results: list[str]) -> list[dict]:
    """The batch's claims by programme, then result: count and amount, each programme with
    its subtotal; the rows add up to the batch's total."""
    by: dict[str, dict[str, dict]] = defaultdict(lambda: defaultdict(lambda: {"count": 0,
                                                                             "amount": 0}))
    for claim in claims:
        row = by[claim.ruleset][claim.result]
        row["count"] += 1
        row["amount"] += claim.amount
    order = claim_evidence.PROGRAMME_ORDER
    out = []
    for ruleset in sorted(by, key=lambda r: order.index(r) if r in order else len(order)):
        rows = by[ruleset]
        out.append({"ruleset": ruleset, "programme": claim_evidence.programme_label(ruleset),
                    "results": [(r, rows[r]) for r in
                                [r for r in results if r in rows]
                                + sorted(r for r in rows if r not in results)],
                    "count": sum(r["count"] for r in rows.values()),
                    "amount": sum(r["amount"] for r in rows.values())})
    return out


def batch_pdf(batch: m.ClaimBatch, figures: dict, results: list[str],
              example_plans: frozenset[str] = frozenset()) -> bytes:
    """The batch's PDF, laid out from the claims' frozen evidence, with the batch's
    `figures` (claims.service.batch_summary) for the `results` it shows. `example_plans`:
    the SHA-256s of the worked-example Outcome Plans (claims.outcome_plans.example_plans)."""
    families = _family_claims(batch.claims)
    programmes = programme_summary(batch.claims, results)
    on_example = sorted({(claim_evidence.programme_label(c.ruleset),
                          c.snapshot["outcome_plan"]["title"], c.snapshot["outcome_plan"]["version"])
                         for c in batch.claims if "outcome_plan" in c.snapshot
                         and c.snapshot["outcome_plan"]["sha256"] in example_plans})
    example_claims = sum(1 for c in batch.claims if "outcome_plan" in c.snapshot
                         and c.snapshot["outcome_plan"]["sha256"] in example_plans)
    summary = render_pdf(render_template(
        "reports/claim_batch.html", batch=batch, summary=figures, results=results,
        programmes=programmes, rulesets=_rulesets(batch), families=len(families),
        on_example=on_example, example_claims=example_claims,
        council=current_app.config["COUNCIL_NAME"]))
    tasks = [(batch.id, [c.id for claims in families[i : i + FAMILIES_PER_CHUNK] for c in claims],
              example_plans)
             for i in range(0, len(families), FAMILIES_PER_CHUNK)]
    from pypdf import PdfWriter  # loaded on first use

    writer = PdfWriter()
    writer.append(io.BytesIO(summary))
    for part in map_in_workers(_render_chunk, tasks, min_tasks=2):
        writer.append(io.BytesIO(part))
    _number_pages(writer)
    writer.add_metadata({"/Title": f"Troubled Families claim, {batch.window} (batch {batch.id})",
                         "/Author": current_app.config["COUNCIL_NAME"]})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _number_pages(writer) -> None:
    """Write "Page X of Y" in the bottom margin of every page, in the PDF's standard
    Helvetica (metrically the same as the body's Liberation Sans)."""
    from pypdf.generic import DictionaryObject, NameObject

    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica"),
                             NameObject("/Encoding"): NameObject("/WinAnsiEncoding")})
    total = len(writer.pages)
    x, y = PAGE_NUMBER_AT
    for number, page in enumerate(writer.pages, start=1):
        resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
        fonts = resources.setdefault(NameObject("/Font"), DictionaryObject()).get_object()
        fonts[NameObject("/CaseworkPageNumber")] = font
        contents = page.get_contents()
        # The page's own drawing is wrapped in q ... Q so its transformations end before ours.
        contents.set_data(b"q\n" + contents.get_data() + b"\nQ\nBT /CaseworkPageNumber 8 Tf "
                          + f"0.314 0.353 0.373 rg {x} {y} Td (Page {number} of {total}) Tj ET\n"
                          .encode("ascii"))
        page.replace_contents(contents)
        page.compress_content_streams()
