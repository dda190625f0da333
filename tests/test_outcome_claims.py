"""Results claims under a later programme: one a family, frozen evidence, audit and PDF."""

import datetime as dt
import json
import re
import subprocess

from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from .factories import create_user
from .parsed import Page
from .raising import raise_for


def _paragraphs(page: Page) -> list[str]:
    """The text of each paragraph and list item in <main>, as a user reads them."""
    return [n.text() for n in page.main.iter() if n.tag in ("p", "li")]


def claims_json(cli):
    return json.loads(cli("claims", "list", "--format", "json").output)


def test_claims_build_under_phase2_drafts_one_results_claim_a_family(cli, frame_examples):
    frame_examples("phase2")
    result = cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2 draft claims created"
    made = sorted((c["family_ref"], c["result"], c["amount"]) for c in claims_json(cli))
    assert made == [("P01", "family_outcome", 800), ("P03", "continuous_employment", 800)]
    again = cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-12-31")
    assert again.stdout.strip() == "1 draft claims created"  # P02, met on 1 Dec 2016
    assert cli("claims", "build", "--ruleset", "phase2", "--as-of", "2017-06-30").stdout.strip() \
        == "0 draft claims created"
    out = json.loads(cli("evaluate", "--ruleset", "phase2", "--as-of", "2017-06-30").output)
    assert all(e["claimable"] == [] for e in out)


def test_two_claims_of_one_family_under_two_programmes_are_told_apart_by_ruleset(
        cli, frame_examples):
    frame_examples("phase2")
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    p01 = db.session.scalar(select(m.Claim).where(m.Claim.result == "family_outcome"))
    db.session.add(m.Claim(  # the same result and amount recorded under another programme
        family_id=p01.family_id, result="family_outcome", claim_kind="supporting_families",
        amount=800, programme_year=1, as_of=p01.as_of, state="draft",
        ruleset="supporting_families", snapshot=p01.snapshot))
    db.session.commit()
    listed = [(c["family_ref"], c["result"], c["amount"], c["ruleset"])
              for c in claims_json(cli) if c["family_ref"] == "P01"]
    assert listed == [("P01", "family_outcome", 800, "phase2"),
                      ("P01", "family_outcome", 800, "supporting_families")]


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
               "2023-08-31").stdout.strip() == "0 draft claims created"
    assert cli("claims", "build", "--ruleset", "supporting_families", "--as-of",
               "2023-09-01").stdout.strip() == "1 draft claims created"
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


def _no_discretion_written():
    assert db.session.scalars(select(m.NeedDiscretion)).all() == []
    assert db.session.scalars(select(m.AuditEvent)
                              .where(m.AuditEvent.action == "discretion")).all() == []


def test_equivalent_progress_is_refused_for_a_need_only_supporting_families_has(
        cli, frame_examples, tmp_path):
    frame_examples("phase2")
    manager = create_user("manager")
    needs = tmp_path / "needs.csv"
    needs.write_text("need_ref,family_ref,person_ref,problem,indicator,identified_on\n"
                     "N-109,P01,,housing,housing_secure,2015-06-01\n")
    assert cli("import", "needs", needs).exit_code == 0
    refused = cli("needs", "discretion", "N-109", "--by", manager.email, "--reason", "x",
                  "--on", "2016-09-01")
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        "N-109 is a need under housing and housing is a headline problem of "
        "supporting_families only: supporting_families does not allow equivalent progress "
        "(local discretion is phase2's only)")
    _no_discretion_written()


def test_equivalent_progress_is_refused_under_supporting_families(app, cli, frame_examples):
    frame_examples("phase2")  # N-302 is health: a problem of both frames
    manager = create_user("manager")
    named = cli("needs", "discretion", "N-302", "--by", manager.email, "--reason", "x",
                "--on", "2016-09-01", "--ruleset", "supporting_families")
    assert named.exit_code == 1
    assert "supporting_families does not allow equivalent progress" in named.output
    app.config["OUTCOME_RULESET"] = "supporting_families"  # the programme the council runs
    chosen = cli("needs", "discretion", "N-302", "--by", manager.email, "--reason", "x",
                 "--on", "2016-09-01")
    assert chosen.exit_code == 1
    assert "supporting_families does not allow equivalent progress" in chosen.output
    _no_discretion_written()
    assert cli("needs", "discretion", "N-302", "--by", manager.email, "--reason", "x",
               "--on", "2016-09-01", "--ruleset", "phase2").exit_code == 0


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
    assert "N-101: Health (health improved, P01-A)" in text and "version 2015.1" in text
    assert "Sam Worker (key worker)" in text


def test_the_claim_page_compares_a_later_claim_with_today(client, cli, frame_examples,
                                                          sign_in):
    frame_examples("phase2")
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    claim = db.session.scalar(select(m.Claim).where(m.Claim.result == "family_outcome"))
    sign_in("auditor")
    response = client.get(f"/claims/{claim.id}")
    assert response.status_code == 200
    page = Page(response.text)
    assert page.h1 == "Family outcome: every need met: £800"
    # The result when drafted, and the same result on today's records, side by side.
    assert page.headings[1:3] == ["When drafted", "On today's records"]
    for drafted_or_today in (page.summary_list(1), page.summary_list(2)):
        assert drafted_or_today["Family outcome: every need met"] == (
            "Met Every need must be met: N-101 met; N-102 met")
    paragraphs = _paragraphs(page)
    assert "None: today's records match the frozen evidence." in paragraphs
    assert any(p.startswith('Judged by the Outcome Plan "Worked example Outcome Plan for the '
                            'expanded programme, 2015-20", version 2015.1 (SHA-256 ')
               for p in paragraphs), paragraphs


def _claims_by_ruleset():
    db.session.expire_all()
    return sorted((c.family.family_ref, c.ruleset, c.result)
                  for c in db.session.scalars(select(m.Claim)))


def test_a_claims_build_started_on_the_claims_page_builds_under_the_councils_later_programme(
        app, client, sign_in, frame_examples, run_jobs):
    from .conftest import post_form

    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    sign_in("manager")
    page = Page(client.get("/claims/").text)
    chosen = [n for n in page.main.find_all("input", name="build-ruleset")
              if "checked" in n.attrs]
    assert [n.attrs["value"] for n in chosen] == ["phase2"]  # the council's choice
    assert page.main.find("label", **{"for": chosen[0].attrs["id"]}).text() == (
        "The expanded programme, 2015-20 (phase2), by the council's Outcome Plan")
    response = post_form(client, "/claims/", {"build-as_of": ["30", "9", "2016"],
                                              "build-ruleset": "phase2", "build-build": "1"})
    assert response.status_code == 302
    assert run_jobs() == 1
    job = db.session.scalars(select(m.Job)).one()
    assert job.state == "done", job.error
    assert job.params["ruleset"] == "phase2" and job.title.endswith("under phase2")
    assert job.summary == ("2 draft claims created for results claimable on 30 September "
                           "2016 under phase2.")
    # The same claims as `claims build --ruleset phase2`: one code path.
    assert _claims_by_ruleset() == [("P01", "phase2", "family_outcome"),
                                    ("P03", "phase2", "continuous_employment")]


def test_the_claims_page_can_still_build_the_2012_results_when_a_later_programme_is_chosen(
        app, client, sign_in, examples, run_jobs):
    from .conftest import post_form

    examples()
    app.config["OUTCOME_RULESET"] = "phase2"
    sign_in("manager")
    post_form(client, "/claims/", {"build-as_of": ["30", "9", "2013"],
                                   "build-ruleset": "phase1", "build-build": "1"})
    run_jobs()
    made = _claims_by_ruleset()
    assert len(made) == 3 and {r for _, r, _ in made} == {"phase1"}


def test_a_ruleset_the_council_has_not_chosen_is_refused_and_starts_no_job(
        app, client, sign_in, frame_examples):
    from .conftest import post_form

    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    sign_in("manager")
    page = post_form(client, "/claims/", {"build-as_of": ["30", "9", "2016"],
                                          "build-ruleset": "supporting_families",
                                          "build-build": "1"})
    assert page.status_code == 200
    assert Page(page.text).errors == ["Not a valid choice."]
    assert Page(page.text).field_errors["build-ruleset"] == "Not a valid choice."
    assert db.session.scalars(select(m.Job)).all() == []


def test_without_a_later_programme_the_claims_page_offers_no_choice_and_builds_phase1(
        client, sign_in, examples, run_jobs):
    from .conftest import post_form

    examples()
    sign_in("manager")
    # one programme open to claims: the build form asks no "Claim under" question
    assert Page(client.get("/claims/").text).field("build-ruleset") is None
    post_form(client, "/claims/", {"build-as_of": ["30", "9", "2013"], "build-build": "1"})
    run_jobs()
    assert db.session.scalars(select(m.Job)).one().params["ruleset"] == "phase1"
    assert {r for _, r, _ in _claims_by_ruleset()} == {"phase1"}


def _pdf_of_claims(cli, tmp_path, window="October 2016"):
    auditor = create_user("auditor")
    for c in claims_json(cli):
        assert cli("claims", "validate", c["id"], "--by", auditor.email).exit_code == 0
    batch_id = cli("claims", "batch", "--window", window).output.split()[-1]
    out = tmp_path / "batch.pdf"
    assert cli("claims", "pdf", batch_id, "-o", out).exit_code == 0
    return out


def test_the_claim_pdf_shows_every_assessment_that_decided_a_need_over_more_pages(
        cli, frame_examples, tmp_path):
    from pypdf import PdfReader

    frame_examples("phase2")
    many = tmp_path / "assessments.csv"
    rows = ["assessment_ref,need_ref,date,outcome,assessed_by,note"]
    day = dt.date(2015, 5, 4)
    for i in range(90):  # every other day, alternating, the last (29 Oct 2015) negative
        rows.append(f"AS-5{i:02d},N-101,{day + dt.timedelta(days=2 * i)},"
                    f"{'negative' if i % 2 else 'positive'},Sam Worker (key worker),"
                    f"Visit {i}: discussed the GP appointments and the medication review")
    rows.append("AS-999,N-101,2016-10-05,negative,Sam Worker (key worker),After the claim date")
    many.write_text("\n".join(rows) + "\n")
    assert cli("import", "assessments", many).exit_code == 0
    assert json.loads(cli("evaluate", "--ruleset", "phase2", "--as-of", "2016-09-30",
                          "--family", "P01").output)[0]["family_outcome"] == "met"
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    out = _pdf_of_claims(cli, tmp_path)
    pages = PdfReader(out).pages
    text = "\n".join(p.extract_text() for p in pages)
    listed = set(re.findall(r"\(AS-\d+\)", text))
    assert {f"(AS-5{i:02d})" for i in range(90)} | {"(AS-101)"} <= listed  # none cut
    assert "(AS-999)" not in listed  # after the claim date: it decided nothing
    assert "Practitioners' assessments of N-101 to 30 Sep 2016 (91)" in text
    p01 = [n for n, p in enumerate(pages) if "P01: Ashdown" in p.extract_text()]
    assert len(p01) >= 2 and p01 == list(range(p01[0], p01[0] + len(p01)))  # runs on


def test_equivalent_progress_is_shown_to_internal_audit_with_its_approver_and_reason(
        client, cli, frame_examples, sign_in, tmp_path):
    frame_examples("phase2")
    manager = create_user("manager", name="Pat Manager")
    reason = "The child protection plan was stepped down to early help in August"
    assert cli("needs", "discretion", "N-201", "--by", manager.email, "--reason", reason,
               "--on", "2016-09-01").exit_code == 0
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    claim = db.session.scalar(select(m.Claim).join(m.Family)
                              .where(m.Family.family_ref == "P02"))
    assert claim.result == "family_outcome"  # met only by the approval
    sign_in("auditor")
    page = Page(client.get(f"/claims/{claim.id}").text)
    assert "Needs when drafted (2)" in page.headings
    assert "Equivalent progress (local discretion)" in page.headings
    approval = next(n for n in page.main.iter() if n.tag in ("p", "li")
                    and n.text().startswith("N-201: approved"))
    assert approval.text() == (
        f"N-201: approved by Pat Manager on 1 September 2016. Reason: {reason}")
    assert approval.find("strong").text() == "Pat Manager"  # the approver stands out
    need = next(row for row in page.main.find_all(cls="govuk-summary-list__row")
                if row.find(cls="govuk-summary-list__key").text().startswith("N-201"))
    assert [t.text() for t in need.find_all("strong")] == ["Met", "equivalent progress"]
    pdf = _pdf_of_claims(cli, tmp_path)
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    assert f"N-201: approved by Pat Manager on 1 Sep 2016: {reason}" in text


def test_a_claims_build_job_under_a_plan_that_no_longer_passes_fails_saying_why(
        app, client, sign_in, frame_examples, run_jobs):
    from .conftest import post_form

    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    manager = sign_in("manager")
    db.session.add(m.OutcomePlanVersion(  # loaded when the checks were looser
        ruleset="phase2", version="1", title="T", effective_from=dt.date(2015, 4, 1),
        content=json.dumps({"title": "T", "ruleset": "phase2", "version": "1",
                            "effective_from": "2015-04-01", "problems": {"pets": {}}}),
        sha256="1" * 64, file_name="old.json", loaded_by_id=manager.id))
    db.session.commit()
    post_form(client, "/claims/", {"build-as_of": ["30", "9", "2016"],
                                   "build-ruleset": "phase2", "build-build": "1"})
    run_jobs()
    job = db.session.scalars(select(m.Job)).one()
    assert job.state == "failed"
    assert job.error.startswith("The phase2 Outcome Plan could not be read, so nothing was "
                                "built:\nold.json:1: problems.pets: is not a headline problem")
    assert db.session.scalars(select(m.Claim)).all() == []


def _raising_for(monkeypatch, module, name, ref, error):
    """module.name raises `error` for the family `ref`."""
    family_id = db.session.scalar(select(m.Family.id).where(m.Family.family_ref == ref))
    raise_for(monkeypatch, module, name, family_id, error)


def test_a_later_programmes_build_carries_on_past_a_family_whose_rules_raise(
        cli, frame_examples, monkeypatch):
    from casework.evaluation import later

    frame_examples("phase2")
    _raising_for(monkeypatch, later, "evaluated", "P01", ValueError("a need it cannot read"))
    result = cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 draft claims created"
    assert "P01 (phase2): ValueError: a need it cannot read" in result.stderr
    assert [(c["family_ref"], c["result"]) for c in claims_json(cli)] == [
        ("P03", "continuous_employment")]


def test_a_family_whose_claim_cannot_be_drafted_is_left_out_of_the_build(
        cli, frame_examples, monkeypatch):
    from casework.claims import outcome_plans

    frame_examples("phase2")
    _raising_for(monkeypatch, outcome_plans, "snapshot", "P03", KeyError("evidence"))
    result = cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 draft claims created"
    assert result.stderr.splitlines()[-1] == (
        "1 family could not be evaluated and is left out of this build, to be claimed at a "
        "later build once put right: P03 (phase2): KeyError: 'evidence'")
    assert [c["family_ref"] for c in claims_json(cli)] == ["P01"]
