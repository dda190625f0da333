"""The domain rules, pinned at their boundaries (docs/rules.md: dates, identification,
results, payments and claims)."""

import dataclasses
import datetime as dt
from fractions import Fraction

import pytest

from casework.rules import (
    AsbData,
    FamilyData,
    OffenceData,
    PersonData,
    PriorClaim,
    TermData,
    WorkData,
    build_order,
    claimable,
    evaluate,
    get_ruleset,
)
from casework.rules.dates import age_on, months_after, months_before

D = dt.date
RULES = get_ruleset()
ADULT = PersonData("AD", D(1980, 1, 1))
YOUTH = PersonData("YO", D(1997, 6, 15))  # 15 in 2012/13
CHILD = PersonData("CH", D(2003, 3, 1))  # 9-11 during the programme
S = D(2012, 9, 1)  # attachment


def family(**kw) -> FamilyData:
    base = dict(ref="F", identified_on=D(2012, 8, 1), attached_on=S,
                people=(ADULT, YOUTH, CHILD))
    base.update(kw)
    return FamilyData(**base)


def incidents(dates, person="YO"):
    return tuple(AsbData(f"A{i}", d, "incident", person) for i, d in enumerate(dates))


def status(fam, result, as_of=D(2013, 9, 30)):
    return evaluate(fam, as_of, RULES).results[result].value


# Dates --------------------------------------------------------------------------------------


def test_months_before_clamps_to_the_end_of_the_month():
    assert months_before(D(2013, 8, 31), 6) == D(2013, 2, 28)
    assert months_before(D(2012, 8, 31), 6) == D(2012, 2, 29)
    assert months_before(D(2013, 3, 31), 1) == D(2013, 2, 28)
    assert months_after(D(2012, 8, 31), 6) == D(2013, 2, 28)
    assert months_before(D(2013, 1, 15), 12) == D(2012, 1, 15)


@pytest.mark.parametrize("on, age", [(D(2015, 6, 14), 17), (D(2015, 6, 15), 18), (D(2015, 6, 16), 18)])
def test_age_is_whole_years_turning_over_on_the_birthday(on, age):
    assert age_on(D(1997, 6, 15), on) == age


def test_age_of_a_leap_day_birthday():
    assert age_on(D(2000, 2, 29), D(2018, 2, 28)) == 17
    assert age_on(D(2000, 2, 29), D(2018, 3, 1)) == 18


# ASB ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("b, a, expected", [(5, 2, "met"), (5, 3, "not_met"), (1, 0, "met"),
                                            (2, 1, "not_met"), (10, 4, "met"), (0, 0, "not_relevant"),
                                            (0, 1, "not_met")])
def test_asb_reduction_checks_from_the_domain_reference(b, a, expected):
    base = [D(2012, 3, 5) + dt.timedelta(days=i) for i in range(b)]
    recent = [D(2013, 8, 1) + dt.timedelta(days=i) for i in range(a)]
    assert status(family(asb=incidents(base + recent)), "asb") == expected


def test_asb_reduction_of_exactly_sixty_percent_is_met():
    base = [D(2012, 4, 1)] * 5
    fam = family(asb=incidents(base + [D(2013, 9, 1), D(2013, 9, 2)]))
    assert status(fam, "asb") == "met"  # (5-2)/5 = 0.6 exactly


def test_baseline_window_starts_six_months_before_attachment_and_excludes_the_day_itself():
    # S = 2012-09-01: baseline [2012-03-01, 2012-09-01)
    inside = family(asb=incidents([D(2012, 3, 1)]))
    before = family(asb=incidents([D(2012, 2, 29)]))
    on_start = family(asb=incidents([D(2012, 9, 1)]))
    assert status(inside, "asb") == "met"
    assert status(before, "asb") == "not_relevant"
    assert status(on_start, "asb") == "not_relevant"


def test_recent_window_is_the_six_months_up_to_and_including_the_evaluation_date():
    base = incidents([D(2012, 4, 1)])
    as_of = D(2013, 9, 30)  # recent window (2013-03-30, 2013-09-30]
    on_edge = family(asb=base + incidents([D(2013, 3, 30)], "AD"))
    day_after = family(asb=base + incidents([D(2013, 3, 31)], "AD"))
    on_date = family(asb=base + incidents([D(2013, 9, 30)], "AD"))
    after = family(asb=base + incidents([D(2013, 10, 1)], "AD"))
    assert status(on_edge, "asb", as_of) == "met"
    assert status(day_after, "asb", as_of) == "not_met"
    assert status(on_date, "asb", as_of) == "not_met"
    assert status(after, "asb", as_of) == "met"


def test_results_are_too_early_until_six_months_after_attachment_clamped():
    fam = family(attached_on=D(2012, 8, 31), asb=incidents([D(2012, 4, 1)]))
    assert status(fam, "asb", D(2013, 2, 27)) == "too_early"
    assert status(fam, "asb", D(2013, 2, 28)) == "met"
    assert status(fam, "offending", D(2013, 2, 27)) == "too_early"
    assert status(fam, "crime_asb_education", D(2013, 2, 27)) == "too_early"


def test_family_level_asb_counts_for_the_family():
    fam = family(asb=(AsbData("A1", D(2012, 5, 1), "incident", None),
                      AsbData("A2", D(2013, 8, 1), "incident", None)))
    assert status(fam, "asb") == "not_met"


def test_asb_orders_do_not_count_as_incidents():
    fam = family(asb=(AsbData("A1", D(2012, 5, 1), "asbo", "YO"),))
    assert status(fam, "asb") == "not_relevant"


# Offending ----------------------------------------------------------------------------------


def offences(dates, person="YO", proven=True):
    return tuple(OffenceData(f"O{i}{person}", person, d, proven) for i, d in enumerate(dates))


@pytest.mark.parametrize("b, a, expected", [(3, 2, "met"), (2, 2, "not_met"), (100, 67, "met"),
                                            (100, 68, "not_met"), (0, 0, "not_relevant"),
                                            (0, 1, "not_met")])
def test_offending_reduction_checks_including_33_percent_exactly(b, a, expected):
    kid = PersonData("YO", D(2000, 1, 1))
    fam = family(people=(ADULT, kid), offences=offences(
        [D(2012, 4, 1)] * b + [D(2013, 8, 1)] * a))
    assert status(fam, "offending") == expected


def test_offences_count_only_when_proven_and_committed_under_18():
    # YOUTH (born 1997-06-15) is 17 on 2015-06-14 and 18 on 2015-06-15.
    kw = dict(identified_on=D(2015, 6, 20), attached_on=D(2015, 7, 1))
    at_17 = family(offences=(OffenceData("O1", "YO", D(2015, 6, 14), True),), **kw)
    at_18 = family(offences=(OffenceData("O1", "YO", D(2015, 6, 15), True),), **kw)
    assert status(at_17, "offending", D(2016, 1, 31)) == "met"
    assert status(at_18, "offending", D(2016, 1, 31)) == "not_relevant"
    unproven = family(offences=offences([D(2012, 4, 1)], proven=False))
    assert status(unproven, "offending") == "not_relevant"


# Identification -----------------------------------------------------------------------------


def ident(fam, as_of=D(2013, 9, 30)):
    return evaluate(fam, as_of, RULES).identification


def test_crime_asb_identification_window_is_the_twelve_months_up_to_identification():
    # I = 2012-08-01: window (2011-08-01, 2012-08-01]
    for d, expected in [(D(2011, 8, 1), False), (D(2011, 8, 2), True), (D(2012, 8, 1), True),
                        (D(2012, 8, 2), False)]:
        fam = family(offences=offences([d]))
        assert ident(fam).crime_asb.value is expected, d
        order = family(asb=(AsbData("A1", d, "injunction", "AD"),))
        assert ident(order).crime_asb.value is expected, d


def test_an_asb_incident_alone_does_not_meet_the_crime_asb_criterion():
    assert ident(family(asb=incidents([D(2012, 7, 1)]))).crime_asb.value is False


def test_an_adult_offence_does_not_meet_the_crime_asb_criterion():
    assert ident(family(offences=offences([D(2012, 7, 1)], "AD"))).crime_asb.value is False


def terms(person, rows):
    """rows: (start_year, term, possible, unauthorised, fixed, permanent, ap, on_roll)"""
    return tuple(TermData(person, *r) for r in rows)


def three_terms(person, unauth=0, fixed=(0, 0, 0), possible=100, year=2011, **flags):
    names = [(year, "autumn"), (year, "spring"), (year, "summer")]
    return tuple(
        TermData(person, y, t, possible, unauth, fixed[i], **flags) for i, (y, t) in enumerate(names)
    )


def test_last_three_complete_terms_at_the_worked_example_date():
    from casework.rules.engine import _Facts

    facts = _Facts(family(), RULES)
    assert facts.last_complete_terms(D(2013, 9, 30)) == [(2012, "summer"), (2012, "spring"), (2012, "autumn")]
    assert facts.last_complete_terms(D(2013, 7, 30)) == [(2012, "spring"), (2012, "autumn"), (2011, "summer")]
    assert facts.last_complete_terms(D(2013, 7, 31)) == [(2012, "summer"), (2012, "spring"), (2012, "autumn")]
    assert facts.last_complete_terms(D(2012, 12, 31))[0] == (2012, "autumn")
    assert facts.last_complete_terms(D(2012, 12, 30))[0] == (2011, "summer")


@pytest.mark.parametrize("unauth, expected", [(44, False), (45, True)])
def test_education_criterion_at_fifteen_percent_exactly(unauth, expected):
    # 3 terms x 100 sessions; 45/300 = 15%
    rows = tuple(TermData("CH", 2011, t, 100, u, 0) for t, u in
                 zip(("autumn", "spring", "summer"), (15, 15, unauth - 30)))
    fam = family(identified_on=D(2012, 8, 1), terms=rows)
    assert ident(fam).education.value is expected


@pytest.mark.parametrize("fixed, expected", [((1, 1, 0), False), ((1, 1, 1), True)])
def test_education_criterion_three_fixed_exclusions_summed(fixed, expected):
    fam = family(terms=three_terms("CH", fixed=fixed))
    assert ident(fam).education.value is expected


@pytest.mark.parametrize("flag", ["permanent_exclusion", "alternative_provision"])
def test_education_criterion_any_term_with_exclusion_or_provision(flag):
    rows = (TermData("CH", 2011, "spring", 100, 0, 0, **{flag: True}),)
    assert ident(family(terms=rows)).education.value is True


def test_education_criterion_not_on_roll():
    rows = (TermData("CH", 2011, "spring", 100, 0, 0, on_roll=False),)
    assert ident(family(terms=rows)).education.value is True


def test_education_criterion_ignores_terms_outside_the_last_three():
    rows = (TermData("CH", 2010, "summer", 100, 0, 0, permanent_exclusion=True),)
    assert ident(family(terms=rows)).education.value is False


@pytest.mark.parametrize("born, expected", [
    (D(2007, 8, 1), True),    # 5 on 2012-08-01
    (D(2007, 8, 2), False),   # 4
    (D(1996, 8, 2), True),    # 15
    (D(1996, 8, 1), False),   # 16
])
def test_education_criterion_counts_children_aged_5_to_15_on_the_day(born, expected):
    kid = PersonData("KD", born)
    rows = (TermData("KD", 2011, "spring", 100, 0, 0, permanent_exclusion=True),)
    assert ident(family(people=(ADULT, kid), terms=rows)).education.value is expected


def benefit(ref, person, kind, start, end=None, benefit=None):
    return WorkData(ref, person, kind, start, end, benefit)


def test_work_criterion_needs_an_out_of_work_benefit_covering_identification():
    ident_on = D(2012, 8, 1)
    for start, end, expected in [(D(2012, 8, 1), None, True), (D(2012, 8, 2), None, False),
                                 (D(2010, 1, 1), D(2012, 8, 1), True),
                                 (D(2010, 1, 1), D(2012, 7, 31), False)]:
        fam = family(identified_on=ident_on, work=(benefit("W", "AD", "benefit", start, end, "ESA"),))
        assert ident(fam).work.value is expected, (start, end)


def test_work_criterion_needs_an_adult_on_the_day():
    teen = PersonData("TN", D(1994, 8, 2))  # 17 on 2012-08-01
    fam = family(people=(teen,), work=(benefit("W", "TN", "benefit", D(2012, 1, 1), None, "JSA"),))
    assert ident(fam).work.value is False
    fam18 = family(people=(PersonData("TN", D(1994, 8, 1)),),
                   work=(benefit("W", "TN", "benefit", D(2012, 1, 1), None, "JSA"),))
    assert ident(fam18).work.value is True


def test_eligible_with_three_criteria_or_two_and_local_discretion():
    crime = offences([D(2012, 7, 1)])
    edu = (TermData("CH", 2011, "spring", 100, 0, 0, permanent_exclusion=True),)
    work = (benefit("W", "AD", "benefit", D(2010, 1, 1), None, "IS"),)
    assert ident(family(offences=crime, terms=edu, work=work)).eligible is True
    assert ident(family(offences=crime, terms=edu)).eligible is False
    assert ident(family(offences=crime, terms=edu, local_discretion=True)).eligible is True
    assert ident(family(offences=crime, local_discretion=True)).eligible is False


def test_screening_evaluates_identification_at_the_evaluation_date():
    fam = family(identified_on=None, offences=offences([D(2013, 9, 1)]))
    result = ident(fam, D(2013, 9, 30))
    assert result.date == D(2013, 9, 30) and result.screening and result.crime_asb.value is True


def test_a_family_without_attachment_has_every_result_not_attached():
    results = evaluate(family(attached_on=None), D(2013, 9, 30), RULES).results
    assert set(f.value for f in results.values()) == {"not_attached"}


# Education result -----------------------------------------------------------------------------


def edu_family(rows, identified_terms=None, **kw):
    # Identified on 2012-08-01 meeting education through a permanent exclusion in spring 2011/12.
    ident_rows = identified_terms if identified_terms is not None else (
        TermData("CH", 2011, "spring", 100, 0, 0, permanent_exclusion=True),)
    return family(terms=ident_rows + rows, **kw)


def test_education_met_when_every_child_passes_all_three_recent_terms():
    assert status(edu_family(three_terms("CH", year=2012, unauth=5)), "education") == "met"


def test_education_not_met_when_a_child_fails_recent_terms():
    assert status(edu_family(three_terms("CH", year=2012, unauth=15)), "education") == "not_met"


def test_education_insufficient_data_when_a_term_is_missing():
    assert status(edu_family(three_terms("CH", year=2012)[:2]), "education") == "insufficient_data"


def test_education_missing_term_is_undecided_even_if_other_rows_fail():
    rows = (TermData("CH", 2012, "summer", 100, 0, 0, permanent_exclusion=True),)
    assert status(edu_family(rows), "education") == "insufficient_data"


def test_education_not_met_beats_insufficient_data_across_children():
    other = PersonData("C2", D(2004, 1, 1))
    rows = three_terms("CH", year=2012, unauth=20)
    fam = edu_family(rows, people=(ADULT, CHILD, other))
    assert status(fam, "education") == "not_met"


def test_education_neutral_without_school_age_children():
    fam = family(people=(ADULT,), terms=())
    assert status(fam, "education") == "neutral"


def test_education_not_a_criterion_is_not_relevant_unless_a_new_problem():
    fam = family(terms=three_terms("CH", year=2012, unauth=1))
    assert ident(fam).education.value is False
    assert status(fam, "education") == "not_relevant"
    partial = family(terms=(TermData("CH", 2012, "summer", 100, 40, 0),))
    assert status(partial, "education") == "not_met"


# Combined result ------------------------------------------------------------------------------


def test_crime_asb_education_never_passes_automatically_when_nothing_is_relevant():
    fam = family(people=(ADULT,))
    r = evaluate(fam, D(2013, 9, 30), RULES).results
    assert (r["asb"].value, r["offending"].value, r["education"].value) == (
        "not_relevant", "not_relevant", "neutral")
    assert r["crime_asb_education"].value == "not_relevant"


def test_crime_asb_education_met_with_one_met_and_the_rest_not_relevant():
    fam = family(people=(ADULT, YOUTH), asb=incidents([D(2012, 5, 1)]))
    assert status(fam, "crime_asb_education") == "met"


def test_crime_asb_education_not_met_beats_insufficient_data():
    fam = edu_family(three_terms("CH", year=2012)[:2], asb=incidents([D(2012, 5, 1), D(2013, 9, 1)]))
    assert status(fam, "education") == "insufficient_data"
    assert status(fam, "crime_asb_education") == "not_met"


# Progress to work -----------------------------------------------------------------------------


def test_progress_to_work_needs_a_provider_record_after_attachment_in_the_recent_window():
    for start, expected in [(D(2012, 8, 31), "not_met"), (D(2013, 3, 30), "not_met"),
                            (D(2013, 3, 31), "met"), (D(2013, 9, 30), "met"), (D(2013, 10, 1), "not_met")]:
        fam = family(work=(benefit("WP", "AD", "work_programme", start),))
        assert status(fam, "progress_to_work") == expected, start
    esf = family(work=(benefit("E", "AD", "esf", D(2013, 5, 1)),))
    assert status(esf, "progress_to_work") == "met"


def test_progress_to_work_needs_an_adult_at_the_record_date():
    kid = PersonData("KD", D(1995, 5, 2))  # 18 on 2013-05-02
    fam = family(people=(kid,), work=(benefit("WP", "KD", "work_programme", D(2013, 5, 1)),))
    assert status(fam, "progress_to_work") == "not_met"
    fam2 = family(people=(kid,), work=(benefit("WP", "KD", "work_programme", D(2013, 5, 2)),))
    assert status(fam2, "progress_to_work") == "met"


# Continuous employment ------------------------------------------------------------------------


def employment_family(kind="ESA", job_start=D(2013, 1, 7), job_end=None, extra=()):
    return family(work=(benefit("B", "AD", "benefit", D(2010, 1, 1), D(2013, 1, 6), kind),
                        benefit("J", "AD", "employment", job_start, job_end)) + extra)


def test_continuous_employment_13_weeks_boundary_for_esa():
    # 2013-01-07 + 13 weeks = 2013-04-08
    fam = employment_family("ESA")
    assert status(fam, "continuous_employment", D(2013, 4, 7)) == "not_met"
    assert status(fam, "continuous_employment", D(2013, 4, 8)) == "met"


def test_continuous_employment_26_weeks_after_jsa():
    # 2013-01-07 + 26 weeks = 2013-07-08
    fam = employment_family("JSA")
    assert status(fam, "continuous_employment", D(2013, 4, 8)) == "not_met"
    assert status(fam, "continuous_employment", D(2013, 7, 7)) == "not_met"
    assert status(fam, "continuous_employment", D(2013, 7, 8)) == "met"


def test_continuous_employment_job_must_last_the_whole_period():
    assert status(employment_family(job_end=D(2013, 4, 7)), "continuous_employment") == "not_met"
    assert status(employment_family(job_end=D(2013, 4, 8)), "continuous_employment") == "met"


def test_continuous_employment_job_must_start_on_or_after_attachment():
    fam = employment_family(job_start=D(2012, 8, 31))
    assert status(fam, "continuous_employment") == "not_met"
    # The benefit covering S = 2012-09-01 ends that day: a job from that day overlaps it,
    # a job from the next day does not.
    same_day = family(work=(benefit("B", "AD", "benefit", D(2010, 1, 1), D(2012, 9, 1), "ESA"),
                            benefit("J", "AD", "employment", D(2012, 9, 1))))
    assert status(same_day, "continuous_employment") == "not_met"
    next_day = family(work=(benefit("B", "AD", "benefit", D(2010, 1, 1), D(2012, 9, 1), "ESA"),
                            benefit("J", "AD", "employment", D(2012, 9, 2))))
    assert status(next_day, "continuous_employment") == "met"


def test_continuous_employment_refused_when_a_benefit_overlaps_the_job_period():
    # Job 2013-01-07 .. +13 weeks = [2013-01-07, 2013-04-08)
    overlap = employment_family(extra=(benefit("B2", "AD", "benefit", D(2013, 4, 7), None, "IS"),))
    assert status(overlap, "continuous_employment") == "not_met"
    after = employment_family(extra=(benefit("B2", "AD", "benefit", D(2013, 4, 8), None, "IS"),))
    assert status(after, "continuous_employment") == "met"


def test_continuous_employment_needs_a_benefit_covering_attachment():
    fam = family(work=(benefit("B", "AD", "benefit", D(2010, 1, 1), D(2012, 8, 31), "ESA"),
                       benefit("J", "AD", "employment", D(2012, 10, 1))))
    assert status(fam, "continuous_employment") == "not_met"


def test_continuous_employment_excluded_by_a_work_programme_record_after_attachment():
    fam = employment_family(extra=(benefit("WP", "AD", "work_programme", D(2012, 12, 1)),))
    assert status(fam, "continuous_employment") == "not_met"
    before = employment_family(extra=(benefit("WP", "AD", "esf", D(2012, 8, 31)),))
    assert status(before, "continuous_employment") == "met"


# Claims and amounts ---------------------------------------------------------------------------


def test_programme_years_change_on_1_april():
    assert RULES.programme_year(D(2012, 3, 31)) is None
    assert RULES.programme_year(D(2012, 4, 1)) == 1
    assert RULES.programme_year(D(2013, 3, 31)) == 1
    assert RULES.programme_year(D(2013, 4, 1)) == 2
    assert RULES.programme_year(D(2014, 3, 31)) == 2
    assert RULES.programme_year(D(2014, 4, 1)) == 3
    assert RULES.programme_year(D(2016, 4, 1)) == 3


@pytest.mark.parametrize("result, amounts", [
    ("continuous_employment", (800, 1600, 2400)),
    ("crime_asb_education", (700, 1400, 2100)),
    ("progress_to_work", (100, 200, 300)),
])
def test_result_amounts_by_programme_year(result, amounts):
    got = tuple(RULES.result_amount(result, d) for d in (D(2012, 4, 1), D(2013, 4, 1), D(2014, 4, 1)))
    assert got == amounts


def test_attachment_fees_and_the_funded_share():
    assert [RULES.attachment_fee(d) for d in (D(2012, 6, 1), D(2013, 6, 1), D(2014, 6, 1))] == [3200, 2400, 1600]
    assert 1082 * RULES.funded_share * 3200 == Fraction(8656000, 3)  # Kent: £2,885,333


def met_everything():
    return employment_family(extra=(), job_start=D(2013, 1, 7))


def eligible(fam):
    crime = offences([D(2012, 7, 1)])
    edu = (TermData("CH", 2011, "spring", 100, 0, 0, permanent_exclusion=True),
           ) + three_terms("CH", year=2012)
    return FamilyData(**{**{f: getattr(fam, f) for f in fam.__dataclass_fields__},
                         "offences": crime, "terms": edu})


def test_claimable_lists_employment_then_turn_around_and_build_takes_employment_only():
    fam = eligible(met_everything())
    e = evaluate(fam, D(2013, 9, 30), RULES)
    assert e.identification.eligible
    assert [(c.result, c.amount) for c in claimable(e, [], RULES)] == [
        ("continuous_employment", 800), ("crime_asb_education", 700)]  # attached in year 1
    assert [c.result for c in build_order(e, [], RULES)] == ["continuous_employment"]


def test_nothing_is_claimable_for_a_family_that_is_not_eligible():
    fam = met_everything()  # work only
    e = evaluate(fam, D(2013, 9, 30), RULES)
    assert not e.identification.eligible and claimable(e, [], RULES) == []


def test_nothing_is_claimable_before_the_programme_starts():
    fam = eligible(met_everything())
    e = evaluate(fam, D(2012, 3, 31), RULES)
    assert claimable(e, [], RULES) == []


def test_employment_after_progress_to_work_pays_the_difference():
    fam = eligible(met_everything())
    e = evaluate(fam, D(2013, 9, 30), RULES)
    got = claimable(e, [PriorClaim("progress_to_work", 100)], RULES)
    assert ("continuous_employment", 700) in [(c.result, c.amount) for c in got]


def test_progress_to_work_never_after_employment_and_at_most_once():
    fam = eligible(family(work=(benefit("WP", "AD", "work_programme", D(2013, 5, 1)),
                                benefit("B", "AD", "benefit", D(2010, 1, 1), None, "JSA"))))
    e = evaluate(fam, D(2013, 9, 30), RULES)
    assert [c.result for c in claimable(e, [], RULES)] == ["crime_asb_education", "progress_to_work"]
    assert "progress_to_work" not in [c.result for c in claimable(e, [PriorClaim("progress_to_work", 200)], RULES)]
    assert "progress_to_work" not in [c.result for c in claimable(e, [PriorClaim("continuous_employment", 1600)], RULES)]


def test_one_turn_around_claim_per_family():
    fam = eligible(met_everything())
    e = evaluate(fam, D(2013, 9, 30), RULES)
    assert claimable(e, [PriorClaim("crime_asb_education", 1400)], RULES) == []


def test_ruleset_parameters_can_be_overridden():
    strict = get_ruleset("phase1", {"asb_reduction": "0.8"})
    base = [D(2012, 4, 1)] * 5
    fam = family(asb=incidents(base + [D(2013, 9, 1)]))
    assert evaluate(fam, D(2013, 9, 30), RULES).results["asb"].value == "met"  # 80%
    fam2 = family(asb=incidents(base + [D(2013, 9, 1), D(2013, 9, 2)]))
    assert evaluate(fam2, D(2013, 9, 30), strict).results["asb"].value == "not_met"  # 60% < 80%


def test_reasons_name_the_counts_windows_and_threshold():
    base = [D(2012, 3, 5)] * 6
    fam = family(asb=incidents(base + [D(2013, 8, 1)] * 2))
    finding = evaluate(fam, D(2013, 9, 30), RULES).results["asb"]
    assert finding.reason == ("ASB incidents: 6 from 1 Mar 2012 to 31 Aug 2012, 2 from 31 Mar 2013 "
                              "to 30 Sep 2013: down 67%, needs 60%: met")
    assert len(finding.evidence) == 8


# Amounts by the programme year of attachment (docs/rules.md) ---------------------------------


@pytest.mark.parametrize(("attached_on", "fee", "turn_around"), [
    (D(2012, 3, 31), None, None),  # the day before the programme: nothing claimable
    (D(2012, 4, 1), 3200, 700),
    (D(2013, 3, 31), 3200, 700),
    (D(2013, 4, 1), 2400, 1400),
    (D(2014, 3, 31), 2400, 1400),
    (D(2014, 4, 1), 1600, 2100),
    (D(2015, 3, 31), 1600, 2100),  # phase1's last attachment date
    (D(2015, 4, 1), None, None),  # the day after: not phase1's family, never "year 3"
    (D(2025, 6, 1), None, None),
])
def test_fee_and_results_follow_the_programme_year_of_attachment(attached_on, fee, turn_around):
    assert RULES.attachment_fee(attached_on) == fee
    assert RULES.result_amount("crime_asb_education", attached_on) == turn_around
    # The statuses stay those evaluated for the real attachment; only the money moves (the
    # claim is dated after every attachment: nothing is claimable before attachment).
    e = dataclasses.replace(evaluate(eligible(met_everything()), D(2013, 9, 30), RULES),
                            attached_on=attached_on, as_of=D(2026, 1, 31))
    got = dict((c.result, c.amount) for c in claimable(e, [], RULES))
    assert got.get("crime_asb_education") == turn_around


def test_a_year_one_family_claimed_in_year_three_is_paid_year_one_amounts():
    e = dataclasses.replace(evaluate(eligible(met_everything()), D(2013, 9, 30), RULES),
                            as_of=D(2014, 9, 30))  # attached 2012-09-01, claimed in year 3
    assert [(c.result, c.amount) for c in claimable(e, [], RULES)] == [
        ("continuous_employment", 800), ("crime_asb_education", 700)]


@pytest.mark.parametrize("attached_on", [D(2012, 9, 1), D(2013, 9, 1), D(2014, 9, 1)])
@pytest.mark.parametrize("first", ["progress_to_work", "continuous_employment",
                                   "crime_asb_education"])
def test_fee_and_claims_never_pass_the_family_maximum_whatever_the_order(attached_on, first):
    e = dataclasses.replace(evaluate(eligible(met_everything()), D(2013, 9, 30), RULES),
                            attached_on=attached_on, as_of=D(2015, 3, 31))
    fee = RULES.attachment_fee(attached_on)
    prior = [PriorClaim(first, RULES.result_amount(first, attached_on))]
    while True:
        more = claimable(e, prior, RULES)
        if not more:
            break
        prior.append(PriorClaim(more[0].result, more[0].amount))
    assert fee + sum(c.amount for c in prior) <= RULES.max_payment_per_family


@pytest.mark.parametrize("attached_on, as_of, claimed", [
    (D(2012, 3, 31), D(2013, 9, 30), False),  # before phase1's first attachment date
    (D(2012, 4, 1), D(2013, 9, 30), True),
    (D(2012, 4, 2), D(2013, 9, 30), True),
    (D(2015, 3, 30), D(2016, 3, 31), True),
    (D(2015, 3, 31), D(2016, 3, 31), True),  # its last attachment date
    (D(2015, 4, 1), D(2016, 3, 31), False),
    (D(2025, 6, 1), D(2026, 1, 31), False),  # never paid as "year 3"
    (D(2013, 9, 29), D(2013, 9, 30), True),  # nothing claimable before attachment
    (D(2013, 9, 30), D(2013, 9, 30), True),
    (D(2013, 10, 1), D(2013, 9, 30), False),
])
def test_phase1_takes_attachments_from_april_2012_to_march_2015_and_none_later(
        attached_on, as_of, claimed):
    from casework.rules.claims import attachment_bars

    e = dataclasses.replace(evaluate(eligible(met_everything()), D(2013, 9, 30), RULES),
                            attached_on=attached_on, as_of=as_of)
    assert bool(claimable(e, [], RULES)) is claimed
    reason = attachment_bars(RULES, attached_on, as_of)
    assert (reason is None) is claimed
    if attached_on > D(2015, 3, 31) and attached_on <= as_of:
        assert reason == (f"Attached on {attached_on.day} {attached_on:%b %Y}, after Troubled "
                          "Families 2012-15 took its last families on 31 Mar 2015: nothing is "
                          "claimable under Troubled Families 2012-15")
    assert RULES.attachment_year(attached_on) == (
        RULES.programme_year(attached_on) if D(2012, 4, 1) <= attached_on <= D(2015, 3, 31)
        else None)


def test_the_attachment_dates_are_parameters_a_council_may_override():
    later = get_ruleset("phase1", {"last_attachment": "2016-03-31"})
    assert later.last_attachment == D(2016, 3, 31) and later.attachment_fee(D(2015, 6, 1)) == 1600
    assert get_ruleset("phase1", {"last_attachment": None}).takes_attachment(D(2030, 1, 1))
    assert later.parameters()["first_attachment"] == "2012-04-01"
    assert get_ruleset("phase1", later.parameters()) == later  # a claim's frozen parameters


def test_a_claim_dated_before_the_programme_is_never_claimable():
    e = dataclasses.replace(evaluate(eligible(met_everything()), D(2013, 9, 30), RULES),
                            as_of=D(2012, 3, 31))
    assert claimable(e, [], RULES) == []
