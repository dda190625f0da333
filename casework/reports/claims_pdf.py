"""The claim batch PDF an internal auditor signs: a summary, then each family's evidence file.

A family's evidence runs onto as many pages as it needs. A thousand-family batch is laid out
in chunks on every core and the chunks joined; the pages are numbered ("Page X of Y") once
joined, when Y is known, by writing the number onto each page.
"""

from __future__ import annotations

import io
from collections import defaultdict

from flask import current_app, render_template
from sqlalchemy import select

from .. import models as m
from ..extensions import db
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


def evidence_files(claims: list[m.Claim]) -> list[dict]:
    """One family's claims, each with the evidence read from its own frozen snapshot; the
    identification is printed again only where a later claim's differs. A later programme's
    claim (its snapshot judges needs) is printed by its own template from the snapshot."""
    out, shown = [], None
    for claim in claims:
        snap = claim.snapshot
        if "needs" in snap:
            out.append({"claim": claim})
            continue
        ident = claim_evidence.identification(snap) if snap["identification"] != shown else None
        shown = snap["identification"]
        out.append({"claim": claim, "identification": ident,
                    "parts": claim_evidence.claimed_parts(snap, claim.result),
                    "finding": snap["results"][claim.result],
                    "attached_year": claim_evidence.snapshot_rules(snap).programme_year(
                        claim_evidence.snapshot_data(snap).attached_on)})
    return out


def _render_chunk(task: tuple[int, list[int]]) -> bytes:
    batch_id, claim_ids = task
    batch = db.session.get(m.ClaimBatch, batch_id)
    claims = db.session.scalars(select(m.Claim).where(m.Claim.id.in_(claim_ids))).all()
    families = [evidence_files(c) for c in _family_claims(claims)]
    return render_pdf(render_template(
        "reports/claim_families.html", batch=batch, families=families,
        council=current_app.config["COUNCIL_NAME"]))


def _rulesets(batch: m.ClaimBatch) -> list[dict]:
    """Each distinct ruleset (name and parameters) the batch's claims were drafted under."""
    seen: dict[str, dict] = {}
    for claim in batch.claims:
        ruleset = claim.snapshot["ruleset"]
        key = repr(sorted(ruleset["parameters"].items()))
        entry = seen.setdefault(key, {"name": ruleset["name"], "claims": 0, "parameters": [
            (name, claim_evidence.frozen_parameter(value))
            for name, value in ruleset["parameters"].items()]})
        entry["claims"] += 1
    return list(seen.values())


def batch_pdf(batch: m.ClaimBatch, figures: dict, results: list[str]) -> bytes:
    """The batch's PDF, laid out from the claims' frozen evidence, with the batch's
    `figures` (claims.service.batch_summary) for the `results` it shows."""
    families = _family_claims(batch.claims)
    summary = render_pdf(render_template(
        "reports/claim_batch.html", batch=batch, summary=figures, results=results,
        rulesets=_rulesets(batch), families=len(families),
        council=current_app.config["COUNCIL_NAME"]))
    tasks = [(batch.id, [c.id for claims in families[i : i + FAMILIES_PER_CHUNK] for c in claims])
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
