"""Results claims under a later programme: one a family, frozen evidence, audit and PDF."""

import json
import subprocess

from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from .factories import create_user


def claims_json(cli):
    return json.loads(cli("claims", "list", "--format", "json").output)


def test_claims_build_under_phase2_drafts_one_results_claim_a_family(cli, frame_examples):
    frame_examples("phase2")
    result = cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 draft claims created"
    made = sorted((c["family_ref"], c["result"], c["amount"]) for c in claims_json(cli))
    assert made == [("P01", "family_outcome", 800), ("P03", "continuous_employment", 800)]
    again = cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-12-31")
    assert again.output.strip() == "1 draft claims created"  # P02, met on 1 Dec 2016
    assert cli("claims", "build", "--ruleset", "phase2", "--as-of", "2017-06-30").output.strip() \
        == "0 draft claims created"
    out = json.loads(cli("evaluate", "--ruleset", "phase2", "--as-of", "2017-06-30").output)
    assert all(e["claimable"] == [] for e in out)


def test_a_claim_freezes_the_needs_the_plan_and_the_evidence_and_is_audited(cli,
                                                                            frame_examples):
    frame_examples("phase2")
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    claim = db.session.scalar(select(m.Claim).where(m.Claim.result == "family_outcome"))
    snap = claim.snapshot
    assert (claim.ruleset, claim.claim_kind, claim.programme_year) == ("phase2", "phase2", 1)
    assert snap["outcome_plan"]["version"] == "2015.1" and len(snap["outcome_plan"]["sha256"]) == 64
    assert [n["status"] for n in snap["needs"]] == ["met", "met"]
    assert [a["ref"] for a in snap["evidence"]["assessments"]] == ["AS-101"]
    assert snap["evidence"]["domestic_abuse"][0]["ref"] == "DA-1"
    event = db.session.scalar(select(m.AuditEvent).where(m.AuditEvent.object_type == "claim",
                                                         m.AuditEvent.object_ref == str(claim.id)))
    assert "P01 phase2 family_outcome £800, plan 2015.1" in event.detail


def test_phase1_claims_and_later_claims_do_not_count_against_each_other(cli, frame_examples):
    frame_examples("phase2")
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    phase1 = json.loads(cli("evaluate", "--as-of", "2016-09-30", "--family", "P03").output)[0]
    assert phase1["claimable"] == []  # not eligible under 2012's criteria: nothing to compare
    assert cli("claims", "build", "--as-of", "2016-09-30").exit_code == 0


def test_supporting_families_claims_after_six_months_from_closure(cli, frame_examples):
    frame_examples("supporting_families")
    assert cli("claims", "build", "--ruleset", "supporting_families", "--as-of",
               "2023-08-31").output.strip() == "0 draft claims created"
    assert cli("claims", "build", "--ruleset", "supporting_families", "--as-of",
               "2023-09-01").output.strip() == "1 draft claims created"
    assert [(c["family_ref"], c["amount"]) for c in claims_json(cli)] == [("S01", 800)]


def test_equivalent_progress_needs_a_manager_and_a_reason_and_is_frozen_and_audited(
        cli, frame_examples):
    frame_examples("phase2")
    manager = create_user("manager", name="Pat Manager")
    worker = create_user("worker")
    refused = cli("needs", "discretion", "N-302", "--by", worker.email, "--reason", "x",
                  "--on", "2016-09-01")
    assert refused.exit_code == 1 and "only programme managers" in refused.output
    assert cli("needs", "discretion", "N-999", "--by", manager.email, "--reason", "x").exit_code == 1
    for need in ("N-301", "N-302"):
        done = cli("needs", "discretion", need, "--by", manager.email, "--reason",
                   "Completed a pre-employment course and a health plan", "--on", "2016-09-01")
        assert done.exit_code == 0, done.output
    out = json.loads(cli("evaluate", "--ruleset", "phase2", "--as-of", "2016-09-30",
                         "--family", "P03").output)[0]
    assert out["family_outcome"] == "met"
    assert "approved by Pat Manager on 1 Sep 2016" in out["needs"][1]["reason"]
    event = db.session.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "discretion"))
    assert event.user_id == manager.id and "P03: equivalent progress" in event.detail


def test_the_claim_pdf_shows_each_need_and_the_plan(cli, frame_examples, tmp_path):
    frame_examples("phase2")
    auditor = create_user("auditor")
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    for c in claims_json(cli):
        assert cli("claims", "validate", c["id"], "--by", auditor.email).exit_code == 0
    batch_id = cli("claims", "batch", "--window", "October 2016").output.split()[-1]
    out = tmp_path / "batch.pdf"
    result = cli("claims", "pdf", batch_id, "-o", out)
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "P01: Ashdown" in text and "P03: Coldharbour" in text
    assert "N-101 health" in text and "version 2015.1" in text
    assert "Sam Worker (key worker)" in text


def test_the_claim_page_compares_a_later_claim_with_today(client, cli, frame_examples,
                                                          sign_in):
    frame_examples("phase2")
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    claim = db.session.scalar(select(m.Claim).where(m.Claim.result == "family_outcome"))
    sign_in("auditor")
    page = client.get(f"/claims/{claim.id}")
    assert page.status_code == 200
    assert "Family outcome: every need met" in page.text
    assert "records match the frozen evidence." in page.text
    assert 'Outcome Plan "Worked example Outcome Plan for the expanded programme, 2015-20" ' \
        "version 2015.1" in page.text.replace("&#34;", '"').replace("&quot;", '"')
