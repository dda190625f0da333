"""The `housing` partner file (tenancy changes, rent arrears, notices seeking possession,
evictions, temporary accommodation): imported from the command line and the upload page,
shown on the family page, frozen into a later programme's claim and printed in its evidence,
held in a subject access export, and read by the rules only through an Outcome Plan's count
of housing events under a `housing` need (a Supporting Families headline outcome)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from casework import models as m
from casework.evidence.kinds import EVIDENCE, KINDS
from casework.extensions import db
from casework.rules import FamilyData, PersonData
from casework.rules.evidence import HousingData, NeedData, OutcomeEvidence
from casework.rules.outcomes import evaluate_outcomes
from casework.rules.plan import HOUSING_KINDS, PlanError, load_plan
from casework.rules.ruleset import RULESETS

from .conftest import EXAMPLES, post_form
from .htmltables import table
from .parsed import Page, parse

D = dt.date.fromisoformat
PLANS = Path(__file__).resolve().parent.parent / "casework" / "outcomes" / "plans"


def _import_examples(cli):
    for kind in ("families", "people", "housing"):
        result = cli("import", kind, EXAMPLES / f"{kind}.csv")
        assert result.exit_code == 0, result.output
    return result


# Importing ----------------------------------------------------------------------------------


def test_the_housing_file_imports_from_the_command_line_and_again_changes_nothing(cli):
    result = _import_examples(cli)
    assert result.output.strip() == "housing: 4 created, 0 updated, 0 unchanged"
    again = cli("import", "housing", EXAMPLES / "housing.csv")
    assert again.output.strip() == "housing: 0 created, 0 updated, 4 unchanged"
    stay = db.session.scalar(select(m.HousingEvent).where(m.HousingEvent.housing_ref == "H00003"))
    assert (stay.kind, stay.date, stay.end_date, stay.person.person_ref, stay.family_id) == (
        "temporary_accommodation", D("2012-08-01"), D("2012-10-31"), "P00002", None)
    arrears = db.session.scalar(select(m.HousingEvent).where(m.HousingEvent.housing_ref == "H00001"))
    assert (arrears.arrears_pounds, arrears.person_id) == (420, None)


def test_a_bad_housing_file_names_every_problem_and_writes_nothing(cli, tmp_path):
    _import_examples(cli)
    bad = tmp_path / "housing-bad.csv"
    bad.write_text("housing_ref,person_ref,family_ref,date,kind,end_date,arrears_pounds\n"
                   "H9,,,2013-01-01,eviction,,\n"                      # no one named
                   "H10,,E01,2013-01-01,repossession,,\n"              # not a kind
                   "H11,,E01,2013-02-01,temporary_accommodation,2013-01-31,\n"  # ends before
                   "H12,,E01,2013-02-01,rent_arrears,,-5\n"            # negative pounds
                   "H13,,E01,2013-02-01,rent_arrears,,\n")             # fine
    result = cli("import", "housing", bad)
    assert result.exit_code == 1
    problems = result.output.strip().splitlines()
    assert [p.split(": ", 2)[:2] for p in problems] == [
        [f"{bad}:2", "person_ref"], [f"{bad}:3", "kind"], [f"{bad}:4", "end_date"],
        [f"{bad}:5", "arrears_pounds"]]
    assert "before date 2013-02-01" in problems[2]
    assert db.session.scalar(select(func.count()).select_from(m.HousingEvent)) == 4


@pytest.mark.parametrize("end, accepted", [("2013-01-31", False), ("2013-02-01", True),
                                           ("2013-02-02", True)])
def test_a_housing_event_ends_on_or_after_its_date(cli, tmp_path, end, accepted):
    _import_examples(cli)
    one = tmp_path / "housing-one.csv"
    one.write_text(f"housing_ref,family_ref,date,kind,end_date\n"
                   f"H20,E01,2013-02-01,temporary_accommodation,{end}\n")
    assert (cli("import", "housing", one).exit_code == 0) is accepted


def test_the_upload_page_offers_and_imports_the_housing_file(client, sign_in, cli):
    for kind in ("families", "people"):
        assert cli("import", kind, EXAMPLES / f"{kind}.csv").exit_code == 0
    sign_in("manager")
    form = parse(client.get("/imports/").text)
    radios = {n.attrs.get("value") for n in form.iter() if n.tag == "input"
              and n.attrs.get("name") == "kind"}
    assert "housing" in radios
    guide = Page(client.get("/imports/housing").text)
    codes = {c.text() for c in guide.main.find_all("code")}
    assert set(KINDS["housing"].column_names) <= codes
    done = post_form(client, "/imports/housing",
                     {"kind": "housing",
                      "file": (io.BytesIO((EXAMPLES / "housing.csv").read_bytes()), "housing.csv")},
                     content_type="multipart/form-data")
    assert done.status_code == 200
    assert Page(done.text).banners == ["housing: 4 created, 0 updated, 0 unchanged"]
    assert db.session.scalar(select(func.count()).select_from(m.HousingEvent)) == 4


# Shown --------------------------------------------------------------------------------------


def test_the_family_page_shows_the_households_and_members_housing_events(client, sign_in, cli):
    _import_examples(cli)
    sign_in("manager")
    page = client.get("/families/E01").text
    heading = [n for n in parse(page).iter() if n.tag == "h2" and n.attrs.get("id") == "housing"]
    assert [h.text() for h in heading] == ["Housing"]
    rows = table(page, caption="Housing")
    assert [(r["Date"], r["What"], r["Until"], r["Who"], r["Reference"]) for r in rows] == [
        ("1 August 2012", "Temporary accommodation", "31 October 2012", "Casey Roberts", "H00003"),
        ("14 May 2012", "Notice seeking possession", "", "The family", "H00002"),
        ("5 March 2012", "Rent arrears (£420 owed)", "", "The family", "H00001"),
    ]
    empty = client.get("/families/E04").text
    assert "No housing events recorded." in [p.text() for p in parse(empty).iter() if p.tag == "p"]


def test_the_demo_families_pages_show_housing_events(client, sign_in, cli):
    """`casework demo` (what `make run` loads) gives about 1 family in 4 housing events, so a
    council trying casework sees the Housing section filled in on a family's page."""
    assert cli("demo", "--families", "30").exit_code == 0
    events = db.session.scalars(select(m.HousingEvent).order_by(m.HousingEvent.id)).all()
    assert len(events) >= 5 and {"rent_arrears", "notice_seeking_possession"} <= {
        e.kind for e in events}
    family_id = events[0].family_id or db.session.get(m.Person, events[0].person_id).family_id
    family = db.session.get(m.Family, family_id)
    sign_in("manager")
    page = Page(client.get(f"/families/{family.family_ref}").text)
    assert "Housing" in page.headings
    [row] = [r for r in page.table("Housing").rows if r["Reference"] == events[0].housing_ref]
    assert row["What"].startswith(m.HOUSING_KIND_LABELS[events[0].kind])


def test_a_subject_access_export_holds_the_housing_events(client, sign_in, cli):
    _import_examples(cli)
    sign_in("manager")
    person = json.loads(client.get("/people/P00002/export.json").data)
    assert sorted((h["housing_ref"], h["recorded_for"]) for h in person["housing_events"]) == [
        ("H00001", "family"), ("H00002", "family"), ("H00003", "person")]
    family = json.loads(client.get("/families/E01/export.json").data)
    assert [h["housing_ref"] for h in family["family_level_records"]["housing_events"]] == [
        "H00001", "H00002"]
    member = next(p for p in family["members"] if p["person"]["person_ref"] == "P00002")
    assert [(h["housing_ref"], h["kind"], h["end_date"]) for h in member["housing_events"]] == [
        ("H00003", "temporary_accommodation", "2012-10-31")]


def test_the_2012_rules_never_read_housing(cli, app):
    """Phase 1 has no housing criterion: importing housing changes no evaluation."""
    for kind in ("families", "people", "school-terms", "asb", "offences", "work"):
        assert cli("import", kind, EXAMPLES / f"{kind}.csv").exit_code == 0
    before = cli("evaluate", "--as-of", "2013-09-30", "--format", "json").output
    assert cli("import", "housing", EXAMPLES / "housing.csv").exit_code == 0
    assert cli("evaluate", "--as-of", "2013-09-30", "--format", "json").output == before


# The rules: a count of housing events under a housing need ---------------------------------


def _plan(name="supporting_families", indicator=None):
    spec = json.loads((PLANS / f"{name}.json").read_text())
    spec["problems"].setdefault("housing", {"description": "Secure housing", "indicators": {}})
    spec["problems"]["housing"]["indicators"]["no_housing_crisis"] = indicator or {
        "type": "count", "evidence": "housing", "window_months": 6, "at_most": 0,
        "kinds": ["rent_arrears", "notice_seeking_possession", "eviction",
                  "temporary_accommodation"]}
    return load_plan(json.dumps(spec), f"{name}.json", RULESETS[name])


FAMILY = FamilyData("F1", attached_on=D("2022-11-01"),
                    people=(PersonData("MUM", D("1985-01-01")),))
NEED = NeedData("N-HO", "housing", "no_housing_crisis", D("2023-01-10"))


def _housing_need(as_of, housing, name="supporting_families", closed=None):
    evidence = OutcomeEvidence(closed_on=closed, needs=(NEED,), housing=housing)
    e = evaluate_outcomes(FAMILY, evidence, D(as_of), RULESETS[name], _plan(name))
    return e.needs


@pytest.mark.parametrize("as_of, status", [
    ("2023-08-31", "not_met"),     # arrears of 1 March 2023 inside (28 Feb, 31 Aug]
    ("2023-09-01", "sustaining"),  # the window (1 Mar, 1 Sep] no longer holds them
    ("2023-09-02", "sustaining")])
def test_a_housing_need_is_positive_once_six_months_pass_without_a_housing_crisis(as_of, status):
    housing = (HousingData("H1", D("2022-12-01"), "notice_seeking_possession"),
               HousingData("H2", D("2023-03-01"), "rent_arrears"))
    (need,) = _housing_need(as_of, housing)
    assert need.status == status
    assert "housing events" in need.reason


def test_a_tenancy_change_is_not_a_housing_crisis_for_a_count_of_the_other_kinds():
    housing = (HousingData("H3", D("2023-08-01"), "tenancy_change"),)
    (need,) = _housing_need("2023-09-01", housing)
    assert need.status == "sustaining" and need.evidence == ()


def test_housing_is_read_only_under_a_frame_whose_headline_problems_have_it():
    """phase2's six headline problems have no housing: a housing need is not phase2's."""
    assert "housing" not in RULESETS["phase2"].headline_problems
    housing = (HousingData("H2", D("2023-03-01"), "rent_arrears"),)
    evidence = OutcomeEvidence(needs=(NEED,), housing=housing)
    plan2 = load_plan((PLANS / "phase2.json").read_text(), "phase2.json", RULESETS["phase2"])
    e = evaluate_outcomes(FAMILY, evidence, D("2023-09-01"), RULESETS["phase2"], plan2)
    assert e.needs == () and e.family_outcome == "insufficient_data"


def test_a_plan_counting_housing_names_only_housing_event_kinds():
    with pytest.raises(PlanError) as refused:
        _plan(indicator={"type": "count", "evidence": "housing", "at_most": 0,
                         "kinds": ["incident"]})
    assert "is a list of housing event kinds for evidence housing" in str(refused.value)
    assert tuple(m.HOUSING_KIND_LABELS) == m.HOUSING_KINDS == HOUSING_KINDS


# Frozen into a claim and printed in its evidence --------------------------------------------


def test_a_later_claim_freezes_the_housing_events_and_its_evidence_prints_them(app):
    from casework.claims.outcome_plans import snapshot
    from casework.outcomes.service import OutcomeFamilyEvaluation
    from casework.reports.claim_evidence import outcome_evidence

    housing = (HousingData("H1", D("2022-12-01"), "notice_seeking_possession"),
               HousingData("H2", D("2023-03-01"), "rent_arrears"),
               HousingData("H5", D("2023-04-03"), "temporary_accommodation", D("2023-05-30"),
                           "MUM"))
    evidence = OutcomeEvidence(closed_on=D("2023-06-30"), needs=(NEED,), housing=housing)
    e = evaluate_outcomes(FAMILY, evidence, D("2023-08-31"), RULESETS["supporting_families"],
                          _plan())
    family = m.Family(family_ref="F1", family_name="Sample", attached_on=D("2022-11-01"))
    frozen = snapshot(OutcomeFamilyEvaluation(1, e, [], FAMILY, evidence), family)
    assert frozen["evidence"]["housing"] == [
        {"ref": "H1", "date": "2022-12-01", "kind": "notice_seeking_possession", "end": None,
         "person_ref": None},
        {"ref": "H2", "date": "2023-03-01", "kind": "rent_arrears", "end": None,
         "person_ref": None},
        {"ref": "H5", "date": "2023-04-03", "kind": "temporary_accommodation",
         "end": "2023-05-30", "person_ref": "MUM"}]
    (need,) = outcome_evidence(json.loads(json.dumps(frozen)), "family_outcome")["needs"]
    assert need["status"] == "not met"  # the baseline, and what the window still holds
    assert [(r.ref, r.date, r.text) for r in need["records"]] == [
        ("H1", "1 Dec 2022", "notice seeking possession, the household"),
        ("H2", "1 Mar 2023", "rent arrears, the household"),
        ("H5", "3 Apr 2023", "temporary accommodation, MUM, until 30 May 2023")]


# One declaration ----------------------------------------------------------------------------


def _sample(kind):
    values = {"academic_year": "2012/13", "term": "spring", "sessions_possible": 120,
              "sessions_unauthorised": 7, "fixed_exclusions": 1, "permanent_exclusion": False,
              "alternative_provision": True, "on_roll": True, "asb_ref": "A1",
              "offence_ref": "O1", "work_ref": "W1", "incident_ref": "D1", "status_ref": "S1",
              "housing_ref": "H1", "date": D("2013-02-01"), "offence_date": D("2013-02-01"),
              "start_date": D("2013-02-01"), "end_date": D("2013-03-01"), "proven": True,
              "kind": {"asb": "incident", "work": "benefit", "housing": "eviction"}.get(
                  kind.name), "benefit": "JSA", "status": "child_in_need"}
    return kind.rules.make([values[c] for c in kind.rules.columns], "KID")


@pytest.mark.parametrize("kind", EVIDENCE, ids=lambda k: k.name)
def test_each_kind_of_evidence_thaws_from_a_claim_as_it_was_frozen(kind):
    data = _sample(kind)
    row = json.loads(json.dumps(kind.rules.frozen(data)))  # as a claim's JSON column keeps it
    assert kind.rules.thawed(row) == data
    # ... and it is a field of the rules' data: FamilyData, or OutcomeEvidence for the later
    # programmes' kinds.
    holder = OutcomeEvidence() if kind.rules.later else FamilyData("F")
    assert getattr(holder, kind.rules.field) == ()


def test_a_merge_of_duplicates_moves_every_kind_of_evidence():
    from casework.matching.duplicates import HELD, POINTING

    for kind in EVIDENCE:
        assert (kind.model, "person_id") in POINTING
        assert (kind.shown.heading, kind.model) in HELD


def test_a_supporting_families_claim_prints_the_housing_events_that_decided_its_need(
        cli, frame_examples, tmp_path):
    """End to end, by the command line: a council's plan counts housing events under its
    housing need, the housing file is imported, the claim is built, validated and batched,
    and the claim evidence PDF prints the events that decided the need beside it."""
    import subprocess

    from .factories import create_user

    frame_examples("supporting_families")
    spec = json.loads((PLANS / "supporting_families.json").read_text()) | {"version": "2023.2"}
    spec["problems"]["housing"]["indicators"]["no_housing_crisis"] = {
        "type": "count", "evidence": "housing", "window_months": 6, "at_most": 0,
        "kinds": ["rent_arrears", "notice_seeking_possession", "eviction",
                  "temporary_accommodation"]}
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(spec))
    loaded = cli("plans", "load", "supporting_families", plan, "--by", create_user("admin").email)
    assert loaded.exit_code == 0, loaded.output
    needs = tmp_path / "needs.csv"  # S01's housing need judged by the count
    needs.write_text("need_ref,family_ref,person_ref,problem,indicator,identified_on\n"
                     "N-S12,S01,,housing,no_housing_crisis,2022-11-01\n")
    assert cli("import", "needs", needs).exit_code == 0
    housing = tmp_path / "housing.csv"
    housing.write_text("housing_ref,person_ref,family_ref,date,kind,end_date,arrears_pounds\n"
                       "HS1,,S01,2022-07-01,notice_seeking_possession,,\n"
                       "HS2,,S01,2022-08-01,rent_arrears,,650\n")
    assert cli("import", "housing", housing).exit_code == 0
    # positive from 1 May 2023 (six months after the need was identified), sustained six
    # months on 1 November 2023
    built = cli("claims", "build", "--ruleset", "supporting_families", "--as-of", "2023-11-30")
    assert built.output.strip() == "1 draft claims created", built.output
    auditor = create_user("auditor")
    for c in json.loads(cli("claims", "list", "--format", "json").output):
        assert cli("claims", "validate", c["id"], "--by", auditor.email).exit_code == 0
    batch_id = cli("claims", "batch", "--window", "December 2023").output.split()[-1]
    out = tmp_path / "batch.pdf"
    assert cli("claims", "pdf", batch_id, "-o", out).exit_code == 0
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert ("N-S12: Housing (no housing crisis), identified 1 Nov 2022: met housing events: 2 "
            "in the 6 months before 1 Nov 2022, 0 in the 6 months to 30 Nov 2023;") in text
    assert ("Records (2) HS1, 1 Jul 2022: notice seeking possession, the household HS2, "
            "1 Aug 2022: rent arrears, the household") in text
