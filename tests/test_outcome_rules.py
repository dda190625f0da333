"""The later programmes' rules (docs/outcome-plans.md), pinned with boundary dates."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from casework.rules import AsbData, FamilyData, PersonData, PriorClaim, TermData, WorkData
from casework.rules.evidence import (
    AssessmentData,
    ChildStatusData,
    DiscretionData,
    DomesticAbuseData,
    NeedData,
    OutcomeEvidence,
)
from casework.rules.outcomes import evaluate_outcomes, outcome_claimable
from casework.rules.plan import PlanError, load_plan
from casework.rules.ruleset import PROGRAMME_LABELS, RULESETS

PLANS = Path(__file__).resolve().parent.parent / "casework" / "outcomes" / "plans"
D = dt.date.fromisoformat


def plan(name):
    return load_plan((PLANS / f"{name}.json").read_text(), f"{name}.json", RULESETS[name])


PEOPLE = (PersonData("MUM", D("1980-01-01")), PersonData("KID", D("2005-03-01")))


def family(attached="2015-06-01", **kwargs):
    return FamilyData("F1", attached_on=D(attached) if attached else None, people=PEOPLE,
                      **kwargs)


def positive(ref, need, on, outcome="positive"):
    return AssessmentData(ref, need, D(on), outcome, "Sam Worker", "note")


def run(evidence, as_of, name="phase2", fam=None):
    rules = RULESETS[name]
    e = evaluate_outcomes(fam or family(), evidence, D(as_of), rules, plan(name))
    return e, outcome_claimable(e, [], rules)


HEALTH = NeedData("N-H", "health", "health_improved", D("2015-06-01"), "MUM")
WORK = NeedData("N-W", "worklessness", "work_ready", D("2015-06-01"), "MUM")
TWO = OutcomeEvidence(needs=(HEALTH, WORK), assessments=(
    positive("A1", "N-H", "2016-01-15"), positive("A2", "N-W", "2016-01-15")))


@pytest.mark.parametrize("as_of, status", [
    ("2016-07-14", "sustaining"), ("2016-07-15", "met"), ("2016-07-16", "met")])
def test_phase2_a_positive_outcome_is_met_once_sustained_for_six_months(as_of, status):
    e, claimable = run(TWO, as_of)
    need = e.needs[0]
    assert (need.status, need.sustained_from, need.claimable_from) == (
        status, D("2016-01-15"), D("2016-07-15"))
    assert e.family_outcome == status
    assert [(c.result, c.amount) for c in claimable] == (
        [("family_outcome", 800)] if status == "met" else [])


def test_phase2_a_negative_assessment_after_a_positive_one_starts_the_count_again():
    evidence = OutcomeEvidence(needs=(HEALTH, WORK), assessments=TWO.assessments + (
        positive("A3", "N-H", "2016-03-01", "negative"), positive("A4", "N-H", "2016-04-01")))
    e, _ = run(evidence, "2016-09-30")
    assert (e.needs[0].status, e.needs[0].sustained_from, e.needs[0].claimable_from) == (
        "sustaining", D("2016-04-01"), D("2016-10-01"))
    e, _ = run(evidence, "2016-03-15")
    assert e.needs[0].status == "not_met" and e.family_outcome == "not_met"


def test_phase2_a_need_with_no_assessment_is_insufficient_data():
    e, _ = run(OutcomeEvidence(needs=(HEALTH, WORK)), "2016-09-30")
    assert {n.status for n in e.needs} == {"insufficient_data"}
    assert e.family_outcome == "insufficient_data"


DA = NeedData("N-D", "domestic_abuse", "no_incidents", D("2015-06-01"))


@pytest.mark.parametrize("as_of, status", [
    ("2016-09-09", "sustaining"), ("2016-09-10", "met"), ("2016-09-11", "met")])
def test_phase2_no_domestic_abuse_for_six_months_counts_from_the_last_incident(as_of, status):
    # Incidents before identification and one since: none in the 6 months to a date from
    # 10 Mar 2016 on, so positive from then and sustained 6 months later, on 10 Sep 2016.
    abuse = (DomesticAbuseData("DA1", D("2015-05-20")), DomesticAbuseData("DA2", D("2015-09-10")))
    evidence = OutcomeEvidence(needs=(DA, HEALTH), domestic_abuse=abuse,
                               assessments=(positive("A1", "N-H", "2015-07-01"),))
    e, _ = run(evidence, as_of)
    need = next(n for n in e.needs if n.need.ref == "N-D")
    assert (need.status, need.sustained_from, need.claimable_from) == (
        status, D("2016-03-10"), D("2016-09-10"))


def test_phase2_a_count_is_not_judged_until_its_window_has_passed_since_identification():
    e, _ = run(OutcomeEvidence(needs=(DA, HEALTH)), "2015-11-30")
    assert e.needs[0].status == "insufficient_data" and "1 Dec 2015" in e.needs[0].reason
    e, _ = run(OutcomeEvidence(needs=(DA, HEALTH)), "2015-12-01")
    assert e.needs[0].status == "sustaining" and e.needs[0].sustained_from == D("2015-12-01")


def test_phase2_an_asb_reduction_of_sixty_percent_is_positive_and_fifty_is_not():
    need = NeedData("N-A", "crime_asb", "asb_incidents", D("2015-06-01"))
    before = tuple(AsbData(f"B{i}", D(f"2015-0{i}-01"), "incident") for i in range(1, 6))
    two = before + (AsbData("R1", D("2016-01-10"), "incident"),
                    AsbData("R2", D("2016-02-10"), "incident"))
    e, _ = run(OutcomeEvidence(needs=(need, HEALTH)), "2016-03-31", fam=family(asb=two))
    assert e.needs[0].status == "sustaining"  # 5 before, 2 since: down 60%
    three = two + (AsbData("R3", D("2016-03-10"), "incident"),)
    e, _ = run(OutcomeEvidence(needs=(need, HEALTH)), "2016-03-31", fam=family(asb=three))
    assert e.needs[0].status == "not_met"  # 5 before, 3 since: down 40%


@pytest.mark.parametrize("as_of, status", [
    ("2016-04-30", "sustaining"), ("2016-05-01", "met"), ("2016-05-02", "met")])
def test_phase2_a_child_protection_plan_is_positive_from_the_day_after_it_ended(as_of, status):
    need = NeedData("N-C", "children_need_help", "child_plan", D("2015-06-01"), "KID")
    cpp = ChildStatusData("CS1", "KID", "child_protection_plan", D("2015-03-01"), D("2015-10-31"))
    evidence = OutcomeEvidence(needs=(need, HEALTH), child_status=(cpp,),
                               assessments=(positive("A1", "N-H", "2015-07-01"),))
    e, _ = run(evidence, as_of)
    assert (e.needs[0].status, e.needs[0].sustained_from) == (status, D("2015-11-01"))
    e, _ = run(evidence, "2015-10-31")
    assert e.needs[0].status == "not_met"


def test_phase2_school_attendance_is_judged_over_the_last_three_complete_terms():
    need = NeedData("N-E", "education", "attendance", D("2015-09-01"), "KID")

    def term(year, name, missed):
        return TermData("KID", year, name, 100, missed)

    terms = (term(2015, "autumn", 5), term(2015, "spring", 9), term(2015, "summer", 10))
    e, _ = run(OutcomeEvidence(needs=(need, HEALTH)), "2016-07-30", fam=family(terms=terms))
    assert e.needs[1].status == "insufficient_data"  # only two terms have ended
    e, _ = run(OutcomeEvidence(needs=(need, HEALTH)), "2016-07-31", fam=family(terms=terms))
    assert (e.needs[1].status, e.needs[1].sustained_from) == ("sustaining", D("2016-07-31"))
    worse = terms[:2] + (term(2015, "summer", 20),)  # 34 of 300 sessions: over 10%
    e, _ = run(OutcomeEvidence(needs=(need, HEALTH)), "2016-07-31", fam=family(terms=worse))
    assert e.needs[1].status == "not_met"


def test_phase2_a_need_added_mid_intervention_holds_the_family_until_it_too_is_sustained():
    late = NeedData("N-L", "domestic_abuse", "no_incidents", D("2016-03-01"))
    evidence = dataclasses.replace(TWO, needs=TWO.needs + (late,))
    e, claimable = run(evidence, "2016-07-15")
    assert [n.status for n in e.needs] == ["met", "met", "insufficient_data"]
    assert e.family_outcome == "insufficient_data" and claimable == []
    e, _ = run(evidence, "2016-09-01")  # judged from 1 Sep, sustained 6 months later
    assert e.needs[2].claimable_from == D("2017-03-01") and e.family_outcome == "sustaining"
    assert e.claimable_from == D("2017-03-01")
    e, claimable = run(evidence, "2017-03-01")
    assert e.family_outcome == "met" and [c.result for c in claimable] == ["family_outcome"]
    e, _ = run(evidence, "2016-02-29")  # the late need not yet identified: two needs
    assert len(e.needs) == 2 and e.claimable_from == D("2016-07-15")


def test_phase2_discretion_is_equivalent_progress_with_a_named_approver_and_reason():
    evidence = OutcomeEvidence(needs=(HEALTH, WORK), assessments=(
        positive("A1", "N-H", "2016-01-15"), positive("A2", "N-W", "2016-01-15", "negative")),
        discretions=(DiscretionData("N-W", D("2016-08-01"), "Pat Manager",
                                    "in full-time training"),))
    e, _ = run(evidence, "2016-07-31")
    assert e.needs[1].status == "not_met"
    e, claimable = run(evidence, "2016-08-01")
    assert e.needs[1].status == "met" and e.needs[1].claimable_from == D("2016-08-01")
    assert "approved by Pat Manager on 1 Aug 2016: in full-time training" in e.needs[1].reason
    assert [c.result for c in claimable] == ["family_outcome"]


def test_phase2_eligibility_needs_two_headline_problems():
    one = OutcomeEvidence(needs=(HEALTH,), assessments=(positive("A1", "N-H", "2015-07-01"),))
    e, claimable = run(one, "2016-07-01")
    assert (e.eligible, e.problems, e.family_outcome, claimable) == (
        False, ("health",), "met", [])
    e, _ = run(TWO, "2016-07-01")
    assert e.eligible and e.problems == ("health", "worklessness")


def employed(start="2015-07-01", end=None):
    return (WorkData("W1", "MUM", "benefit", D("2015-01-01"), D(start) - dt.timedelta(1), "ESA"),
            WorkData("W2", "MUM", "employment", D(start), D(end) if end else None))


@pytest.mark.parametrize("as_of, claimed", [("2015-09-29", []), ("2015-09-30", [
    ("continuous_employment", 800)])])
def test_phase2_continuous_employment_is_a_results_route_on_its_own(as_of, claimed):
    # ESA: 13 weeks of work from 1 Jul 2015 are up on 30 Sep 2015.
    e, claimable = run(OutcomeEvidence(needs=(HEALTH, WORK)), as_of, fam=family(work=employed()))
    assert e.family_outcome == "insufficient_data"
    assert [(c.result, c.amount) for c in claimable] == claimed


def test_one_results_claim_a_family_whatever_the_route():
    rules = RULESETS["phase2"]
    e = evaluate_outcomes(family(work=employed()), TWO, D("2016-08-01"), rules, plan("phase2"))
    assert [c.result for c in outcome_claimable(e, [], rules)] == [
        "continuous_employment", "family_outcome"]
    assert outcome_claimable(e, [PriorClaim("continuous_employment", 800)], rules) == []


def test_phase2_nothing_is_claimable_for_a_family_attached_before_april_2015():
    e, claimable = run(TWO, "2016-08-01", fam=family(attached="2015-03-31"))
    assert e.family_outcome == "met" and claimable == []


SF_NEEDS = (NeedData("S1", "health", "health_managed", D("2022-11-01"), "MUM"),
            NeedData("S2", "housing", "housing_secure", D("2022-11-01")),
            NeedData("S3", "financial_stability", "finances_stable", D("2022-11-01")))
SF_ASSESSED = tuple(positive(f"SA{i}", n.ref, "2023-01-10") for i, n in enumerate(SF_NEEDS))


@pytest.mark.parametrize("as_of, status", [
    ("2023-08-31", "sustaining"), ("2023-09-01", "met"), ("2023-09-02", "met")])
def test_supporting_families_sustained_six_months_after_the_case_closed(as_of, status):
    evidence = OutcomeEvidence(closed_on=D("2023-03-01"), needs=SF_NEEDS, assessments=SF_ASSESSED)
    e, claimable = run(evidence, as_of, "supporting_families", family("2022-11-01"))
    assert {(n.status, n.sustained_from, n.claimable_from) for n in e.needs} == {
        (status, D("2023-01-10"), D("2023-09-01"))}
    assert [(c.result, c.amount) for c in claimable] == (
        [("family_outcome", 800)] if status == "met" else [])


@pytest.mark.parametrize("as_of, outcome", [
    ("2023-10-14", "sustaining"), ("2023-10-15", "met"), ("2023-10-16", "met")])
def test_supporting_families_a_need_added_mid_intervention_counts_from_its_own_positive_outcome(
        as_of, outcome):
    # Identified a month before the case closed, positive only six weeks after it closed:
    # sustained from the later of the two, so met on 15 Oct 2023 (the others on 1 Sep).
    late = NeedData("S4", "family_relationships", "relationships", D("2023-02-01"))
    evidence = OutcomeEvidence(
        closed_on=D("2023-03-01"), needs=SF_NEEDS + (late,),
        assessments=SF_ASSESSED + (positive("SA9", "S4", "2023-02-20", "negative"),
                                   positive("SA10", "S4", "2023-04-15")))
    e, claimable = run(evidence, as_of, "supporting_families", family("2022-11-01"))
    assert [n.status for n in e.needs[:3]] == ["met"] * 3
    assert (e.needs[3].status, e.needs[3].sustained_from, e.needs[3].claimable_from) == (
        outcome, D("2023-04-15"), D("2023-10-15"))
    assert (e.family_outcome, e.claimable_from) == (outcome, D("2023-10-15"))
    assert [c.result for c in claimable] == (["family_outcome"] if outcome == "met" else [])
    e, claimable = run(evidence, "2023-09-01", "supporting_families", family("2022-11-01"))
    assert e.family_outcome == "sustaining" and claimable == []  # the late need holds it
    e, _ = run(evidence, "2023-01-31", "supporting_families", family("2022-11-01"))
    assert len(e.needs) == 3  # not yet identified


def test_supporting_families_an_open_case_is_still_sustaining_with_no_date_yet():
    evidence = OutcomeEvidence(needs=SF_NEEDS, assessments=SF_ASSESSED)
    e, _ = run(evidence, "2024-01-01", "supporting_families", family("2022-11-01"))
    assert {(n.status, n.claimable_from) for n in e.needs} == {("sustaining", None)}
    assert "after the case closes" in e.needs[0].reason


def test_supporting_families_needs_three_headline_outcomes_and_has_no_employment_route():
    evidence = OutcomeEvidence(closed_on=D("2023-03-01"), needs=SF_NEEDS[:2],
                               assessments=SF_ASSESSED)
    e, claimable = run(evidence, "2024-01-01", "supporting_families",
                       family("2022-11-01", work=employed("2022-12-01")))
    assert not e.eligible and claimable == [] and e.continuous_employment is None


def test_supporting_families_allows_no_discretion():
    evidence = OutcomeEvidence(closed_on=D("2023-03-01"), needs=SF_NEEDS,
                               assessments=SF_ASSESSED[:2],
                               discretions=(DiscretionData("S3", D("2023-02-01"), "Pat", "x"),))
    e, _ = run(evidence, "2024-01-01", "supporting_families", family("2022-11-01"))
    assert e.needs[2].status == "insufficient_data"


def test_a_need_naming_an_indicator_the_plan_lacks_is_insufficient_data():
    odd = NeedData("N-X", "health", "yoga", D("2015-06-01"))
    e, _ = run(OutcomeEvidence(needs=(odd,)), "2016-01-01")
    assert e.needs[0].status == "insufficient_data"
    assert "has no indicator yoga under health" in e.needs[0].reason


# The plan file ---------------------------------------------------------------------------


def test_the_shipped_example_plans_load_and_are_stamped_with_version_and_hash():
    p = plan("phase2")
    assert p.version == "2015.1" and len(p.sha256) == 64
    assert set(p.problems) == set(RULESETS["phase2"].headline_problems)
    assert set(plan("supporting_families").problems) == set(
        RULESETS["supporting_families"].headline_problems)


def refused(text, name="phase2"):
    with pytest.raises(PlanError) as error:
        load_plan(text, "plan.json", RULESETS[name])
    return error.value.errors


GOOD_HEAD = '{"title": "T", "ruleset": "phase2", "version": "1", "effective_from": "2015-04-01",\n'


def test_a_plan_naming_an_unknown_indicator_type_or_evidence_kind_is_refused_with_its_line():
    errors = refused(GOOD_HEAD + ' "problems": {"health": {"indicators": {\n'
                     '   "a": {"type": "vibes"},\n'
                     '   "b": {"type": "count", "evidence": "burglary", "at_most": 0}}}}}')
    assert errors == [
        'plan.json:3: problems.health.indicators.a.type: "vibes" is not an indicator type; '
        "use count, school_rate, status, assessment",
        'plan.json:4: problems.health.indicators.b.evidence: "burglary" is not an evidence '
        "kind to count; use asb, offences, domestic-abuse, housing",
    ]


def test_a_plan_names_only_its_frames_headline_problems_and_fields():
    errors = refused(GOOD_HEAD + ' "problems": {"housing": {"indicators": {"a": {"type": '
                     '"assessment"}}},\n "health": {"indicators": {"a": {"type": "assessment",'
                     '\n "colour": "red"}}}}}')
    assert errors[0].startswith("plan.json:2: problems.housing: is not a headline problem of "
                                "phase2")
    assert errors[1].startswith("plan.json:4: problems.health.indicators.a.colour: is not a "
                                "field here")


def test_a_plan_for_another_ruleset_or_with_missing_fields_or_bad_json_is_refused():
    assert refused(GOOD_HEAD + '"problems": {"health": {"indicators": {"a": {"type": '
                   '"assessment"}}}}}', "supporting_families")[0] == (
        'plan.json:1: ruleset: "phase2" is not \'supporting_families\', the ruleset this plan '
        "is read for")
    assert refused('{"title": "T"}') == [
        "plan.json:1: effective_from: is required", "plan.json:1: problems: is required",
        "plan.json:1: ruleset: is required", "plan.json:1: version: is required"]
    assert refused('{"title": "T",\n}')[0].startswith("plan.json:2: file: is not valid JSON")


def test_a_plan_may_not_sustain_for_less_than_the_frame_requires():
    errors = refused(GOOD_HEAD + '"sustain_months": 3, "problems": {"health": {"indicators": '
                     '{"a": {"type": "assessment"}}}}}')
    assert errors == ["plan.json:2: sustain_months: must be a whole number, 6 or more"]


# Rulings where the Outcome Plan and the frames leave a gap (docs/outcome-plans.md) ---------


def attendance(year_terms, identified="2015-09-01"):
    need = NeedData("N-E", "education", "attendance", D(identified), "KID")
    terms = tuple(TermData("KID", y, t, 100, missed) for y, t, missed in year_terms)
    return need, terms


GOOD_YEAR = ((2015, "autumn", 5), (2015, "spring", 5), (2015, "summer", 5),
             (2016, "autumn", 5))


@pytest.mark.parametrize("as_of, status, since", [
    ("2016-07-30", "insufficient_data", None),  # two terms after identification so far
    ("2016-07-31", "sustaining", D("2016-07-31")),  # the term that completes the window
    ("2016-08-01", "sustaining", D("2016-07-31")),
    ("2017-01-30", "sustaining", D("2016-07-31")),
    ("2017-01-31", "met", D("2016-07-31")),  # six months on: never from 31 Dec 2015
    ("2017-02-01", "met", D("2016-07-31")),
])
def test_ruling_school_attendance_is_positive_from_the_end_of_the_term_completing_the_window(
        as_of, status, since):
    need, terms = attendance(GOOD_YEAR)
    e, _ = run(OutcomeEvidence(needs=(need,)), as_of, fam=family(terms=terms))
    assert (e.needs[0].status, e.needs[0].sustained_from) == (status, since)
    if since:
        assert e.needs[0].claimable_from == D("2017-01-31")


def test_ruling_school_attendance_counts_only_terms_ending_after_identification():
    # Identified on the day autumn 2015 ends: that term is not after identification, so the
    # first full window ends with autumn 2016, and positive from 31 Dec 2016.
    need, terms = attendance(GOOD_YEAR, identified="2015-12-31")
    e, _ = run(OutcomeEvidence(needs=(need,)), "2016-12-30", fam=family(terms=terms))
    assert e.needs[0].status == "insufficient_data"
    e, _ = run(OutcomeEvidence(needs=(need,)), "2016-12-31", fam=family(terms=terms))
    assert (e.needs[0].status, e.needs[0].sustained_from) == ("sustaining", D("2016-12-31"))


ASB_NEED = NeedData("N-A", "crime_asb", "asb_incidents", D("2015-06-01"))


@pytest.mark.parametrize("as_of, status", [
    ("2015-11-30", "insufficient_data"),  # the window has not passed since identification
    ("2015-12-01", "not_met"), ("2015-12-02", "not_met"), ("2017-06-01", "not_met")])
@pytest.mark.parametrize("recent", [(), ("2015-07-01",)])
def test_ruling_a_reduction_with_no_baseline_is_never_positive(as_of, status, recent):
    asb = tuple(AsbData(f"R{i}", D(d), "incident") for i, d in enumerate(recent))
    e, claimable = run(dataclasses.replace(TWO, needs=(ASB_NEED, HEALTH, WORK)), as_of,
                       fam=family(asb=asb))
    assert e.needs[0].status == status and e.needs[0].sustained_from is None
    if status == "not_met":
        assert "a reduction needs a baseline" in e.needs[0].reason
        assert e.family_outcome == "not_met" and claimable == []


@pytest.mark.parametrize("as_of, status", [
    ("2015-11-30", "insufficient_data"), ("2015-12-01", "sustaining"), ("2016-06-01", "met")])
def test_ruling_one_baseline_record_and_none_since_is_a_reduction(as_of, status):
    asb = (AsbData("B1", D("2015-05-31"), "incident"),)  # the day before identification
    e, _ = run(OutcomeEvidence(needs=(ASB_NEED,)), as_of, fam=family(asb=asb))
    assert e.needs[0].status == status


def test_ruling_a_record_on_the_identification_day_is_not_baseline():
    asb = (AsbData("B1", D("2015-06-01"), "incident"),)
    e, _ = run(OutcomeEvidence(needs=(ASB_NEED,)), "2016-06-01", fam=family(asb=asb))
    assert e.needs[0].status == "not_met"


# TWO's needs are identified on 1 Jun 2015 and met on 15 Jul 2016.
@pytest.mark.parametrize("attached, as_of, claimed", [
    ("2016-07-20", "2016-07-19", False), ("2016-07-20", "2016-07-20", True),
    ("2016-07-20", "2016-07-21", True),
    ("2016-06-01", "2016-07-15", True),
])
def test_ruling_nothing_is_claimable_before_the_family_is_attached(attached, as_of, claimed):
    e, claimable = run(TWO, as_of, fam=family(attached))
    assert e.family_outcome == "met"
    assert bool(claimable) is claimed


def test_ruling_nothing_is_claimable_for_a_family_never_attached():
    e, claimable = run(TWO, "2016-08-01", fam=family(None))
    assert e.family_outcome == "met" and claimable == []


@pytest.mark.parametrize("name, attached, as_of, claimed", [
    ("phase2", "2015-03-31", "2016-08-01", False),  # before the first payment date
    ("phase2", "2015-04-01", "2016-08-01", True),
    ("phase2", "2015-04-02", "2016-08-01", True),
    ("phase2", "2020-03-30", "2021-01-31", True),
    ("phase2", "2020-03-31", "2021-01-31", True),  # phase2's last attachment date
    ("phase2", "2020-04-01", "2021-01-31", False),
    ("phase2", "2025-06-01", "2026-01-31", False),
    ("supporting_families", "2022-09-30", "2024-01-31", False),
    ("supporting_families", "2022-10-01", "2024-01-31", True),
    ("supporting_families", "2022-10-02", "2024-01-31", True),
    ("supporting_families", "2025-06-01", "2026-01-31", True),
])
def test_ruling_each_programme_takes_attachments_between_its_first_and_last_dates(
        name, attached, as_of, claimed):
    from casework.rules.claims import attachment_bars

    frame = RULESETS[name]
    e, _ = run(TWO if name == "phase2" else SF_MET, "2016-08-01" if name == "phase2"
               else "2023-09-01", name, family(attached))
    e = dataclasses.replace(e, attached_on=D(attached), as_of=D(as_of))
    assert e.family_outcome == "met"
    assert bool(outcome_claimable(e, [], frame)) is claimed
    reason = attachment_bars(frame, D(attached), D(as_of))
    assert (reason is None) is claimed
    if not claimed:
        # The programme by the name its users know, not its ruleset's ("phase2").
        assert reason.startswith(f"Attached on {D(attached).day} ")
        assert PROGRAMME_LABELS[name] in reason and name not in reason


SF_MET = OutcomeEvidence(closed_on=D("2023-03-01"), needs=SF_NEEDS, assessments=SF_ASSESSED)


def test_ruling_the_attachment_dates_are_dated_parameters_of_each_ruleset():
    assert (RULESETS["phase1"].first_attachment, RULESETS["phase1"].last_attachment) == (
        D("2012-04-01"), D("2015-03-31"))
    assert (RULESETS["phase2"].first_attachment, RULESETS["phase2"].last_attachment) == (
        D("2015-04-01"), D("2020-03-31"))
    assert (RULESETS["supporting_families"].first_attachment,
            RULESETS["supporting_families"].last_attachment) == (D("2022-10-01"), None)
    assert RULESETS["phase2"].result_amount("family_outcome", D("2020-04-01")) is None


HOUSING = NeedData("N-X", "housing", "housing_secure", D("2015-06-01"))


@pytest.mark.parametrize("as_of, outcome", [
    ("2016-07-14", "sustaining"), ("2016-07-15", "met"), ("2016-07-16", "met")])
def test_ruling_a_need_outside_the_frame_is_neither_listed_nor_counted(as_of, outcome):
    evidence = dataclasses.replace(TWO, needs=TWO.needs + (HOUSING,))
    e, claimable = run(evidence, as_of)
    assert [n.need.ref for n in e.needs] == ["N-H", "N-W"]
    assert e.problems == ("health", "worklessness") and e.family_outcome == outcome
    assert [c.result for c in claimable] == (["family_outcome"] if outcome == "met" else [])


def test_ruling_a_family_whose_only_needs_are_outside_the_frame_has_no_needs_there():
    e, claimable = run(OutcomeEvidence(needs=(HOUSING,)), "2016-08-01")
    assert (e.needs, e.problems, e.eligible, e.family_outcome, claimable) == (
        (), (), False, "insufficient_data", [])
    # and a phase2-only problem is not supporting_families'
    crime = NeedData("S9", "crime_asb", "asb_incidents", D("2022-11-01"))
    evidence = dataclasses.replace(SF_MET, needs=SF_MET.needs + (crime,))
    e, claimable = run(evidence, "2023-09-01", "supporting_families", family("2022-11-01"))
    assert [n.need.ref for n in e.needs] == ["S1", "S2", "S3"]
    assert e.family_outcome == "met" and [c.result for c in claimable] == ["family_outcome"]


@pytest.mark.parametrize("as_of, identified", [
    ("2015-05-31", False), ("2015-06-01", True), ("2015-06-02", True)])
def test_ruling_a_child_status_need_is_positive_never_before_it_was_identified(as_of, identified):
    need = NeedData("N-C", "children_need_help", "child_plan", D("2015-06-01"), "KID")
    cpp = ChildStatusData("CS1", "KID", "child_protection_plan", D("2014-10-01"),
                          D("2015-03-31"))
    e, _ = run(OutcomeEvidence(needs=(need,), child_status=(cpp,)), as_of)
    if not identified:
        assert e.needs == () and e.family_outcome == "insufficient_data"
    else:  # ended 31 Mar 2015, but positive only from the day it was identified
        assert (e.needs[0].status, e.needs[0].sustained_from, e.needs[0].claimable_from) == (
            "sustaining", D("2015-06-01"), D("2015-12-01"))


def test_ruling_a_child_status_need_with_no_status_record_is_insufficient_data():
    need = NeedData("N-C", "children_need_help", "child_plan", D("2015-06-01"), "KID")
    e, _ = run(OutcomeEvidence(needs=(need,)), "2017-01-01")
    assert e.needs[0].status == "insufficient_data" and e.family_outcome == "insufficient_data"


def test_ruling_a_family_with_no_needs_is_insufficient_data_with_nothing_claimable():
    e, claimable = run(OutcomeEvidence(), "2017-01-01", fam=family(work=employed()))
    assert (e.needs, e.family_outcome, e.claimable_from, e.eligible, claimable) == (
        (), "insufficient_data", None, False, [])


@pytest.mark.parametrize("as_of, status, claimable_from", [
    ("2016-07-31", "sustaining", D("2016-10-01")), ("2016-08-01", "met", D("2016-08-01")),
    ("2016-08-02", "met", D("2016-08-01"))])
def test_ruling_equivalent_progress_is_claimable_from_approval_and_keeps_the_indicators_dates(
        as_of, status, claimable_from):
    evidence = OutcomeEvidence(needs=(HEALTH, WORK), assessments=(
        positive("A1", "N-H", "2016-01-15"), positive("A2", "N-W", "2016-04-01")),
        discretions=(DiscretionData("N-W", D("2016-08-01"), "Pat Manager", "training"),))
    e, claimable = run(evidence, as_of)
    need = e.needs[1]
    assert (need.status, need.sustained_from, need.claimable_from) == (
        status, D("2016-04-01"), claimable_from)
    assert [c.result for c in claimable] == (["family_outcome"] if status == "met" else [])


@pytest.mark.parametrize("statuses, outcome", [
    (("met", "not_met", "insufficient_data", "sustaining"), "not_met"),
    (("met", "insufficient_data", "sustaining"), "insufficient_data"),
    (("met", "sustaining"), "sustaining"),
    (("met", "met"), "met"),
])
def test_ruling_the_family_outcome_orders_not_met_insufficient_sustaining_met(statuses,
                                                                            outcome):
    made = {"met": ("2015-07-01", "positive"), "not_met": ("2015-07-01", "negative"),
            "sustaining": ("2016-12-01", "positive"), "insufficient_data": None}
    needs, assessed = [], []
    for i, status in enumerate(statuses):
        needs.append(NeedData(f"N{i}", "health" if i % 2 else "worklessness",
                              "health_improved" if i % 2 else "work_ready", D("2015-06-01")))
        if made[status]:
            assessed.append(positive(f"A{i}", f"N{i}", made[status][0], made[status][1]))
    e, _ = run(OutcomeEvidence(needs=tuple(needs), assessments=tuple(assessed)), "2017-01-01")
    assert tuple(n.status for n in e.needs) == statuses
    assert e.family_outcome == outcome


# Equivalent progress: phase2's only ---------------------------------------------------------


def refusal(problem, attached=None, chosen=None):
    from casework.rules.outcomes import discretion_refusal

    frames = {n: r for n, r in RULESETS.items() if n != "phase1"}
    return discretion_refusal("N-1", problem, D(attached) if attached else None, chosen, frames)


def test_ruling_equivalent_progress_is_refused_for_a_problem_only_supporting_families_has():
    assert refusal("housing", "2016-01-01", "phase2") == (
        "N-1 is a need under housing and housing is a headline problem of supporting_families "
        "only: supporting_families does not allow equivalent progress (local discretion is "
        "phase2's only)")
    assert refusal("worklessness", "2023-01-01", "supporting_families") is None  # phase2 only
    assert "no later programme" in refusal("astrology")


@pytest.mark.parametrize("attached, refused", [
    ("2022-09-30", False), ("2022-10-01", True), ("2022-10-02", True)])
def test_ruling_equivalent_progress_is_refused_under_supporting_families(attached, refused):
    # health is a problem of both frames: the need is supporting_families' when the
    # programme is named so, or (none named) when the family was attached in its years.
    assert (refusal("health", attached) is not None) is refused
    assert refusal("health", attached, "supporting_families") is not None
    assert refusal("health", attached, "phase2") is None
