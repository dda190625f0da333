"""The cost estimate's windows and arithmetic, the quarters and the chart geometry: pure."""

import datetime as dt
from fractions import Fraction

import pytest

from casework.programme import charts
from casework.programme.service import Quarter
from casework.rules import AsbData, FamilyData, OffenceData, PersonData, Ruleset, TermData, WorkData
from casework.rules.costs import (
    COST_KEYS,
    annual_cost,
    baseline_window,
    counts,
    estimate,
    recent_window,
)

RULES = Ruleset()
S = dt.date(2013, 3, 15)  # attached on
D = dt.date(2013, 9, 30)  # estimated on
DAY = dt.timedelta(days=1)
ZERO = dict.fromkeys(COST_KEYS, 0)


def family(**evidence) -> FamilyData:
    people = (PersonData("ADULT", dt.date(1980, 1, 1)), PersonData("KID", dt.date(1996, 6, 1)))
    return FamilyData("F1", dt.date(2013, 1, 1), S, people=people, **evidence)


def incidents(*days):
    return tuple(AsbData(f"A{i}", d, "incident", "KID") for i, d in enumerate(days))


def test_windows_are_the_rules_baseline_and_recent_windows():
    assert baseline_window(S, RULES).first == dt.date(2012, 9, 15)
    assert baseline_window(S, RULES).last == dt.date(2013, 3, 14)
    assert recent_window(D, RULES).first == dt.date(2013, 3, 31)  # (30 March, 30 September]
    assert recent_window(D, RULES).last == D
    # The month's end is clamped, as in the rules: 31 August minus 6 months is 28 February.
    assert recent_window(dt.date(2013, 8, 31), RULES).first == dt.date(2013, 3, 1)


def test_baseline_counts_the_six_months_before_attachment_not_the_day_itself():
    start = dt.date(2012, 9, 15)
    found = counts(family(asb=incidents(start - DAY, start, start + DAY, S - DAY, S)), [],
                   baseline_window(S, RULES), RULES)
    assert found["asb_incident"] == 3  # on the first day, the day after, the day before S


def test_recent_window_leaves_out_its_first_day_and_counts_the_date_itself():
    opens = dt.date(2013, 3, 30)
    found = counts(family(asb=incidents(opens, opens + DAY, D, D + DAY)), [],
                   recent_window(D, RULES), RULES)
    assert found["asb_incident"] == 2


def test_only_incidents_count_as_asb_and_only_proven_youth_offences():
    asb = incidents(dt.date(2013, 1, 1)) + (AsbData("O1", dt.date(2013, 1, 2), "asbo", "KID"),)
    offences = (
        OffenceData("Y1", "KID", dt.date(2013, 1, 5), True),  # aged 16: counts
        OffenceData("Y2", "KID", dt.date(2013, 1, 6), False),  # not proven
        OffenceData("Y3", "ADULT", dt.date(2013, 1, 7), True),  # an adult's
    )
    found = counts(family(asb=asb, offences=offences), [], baseline_window(S, RULES), RULES)
    assert (found["asb_incident"], found["youth_offence"]) == (1, 1)


@pytest.mark.parametrize("offence_on, counted", [
    (dt.date(2014, 5, 31), 1),  # the day before the 18th birthday
    (dt.date(2014, 6, 1), 0),  # the birthday
])
def test_a_youth_offence_is_one_before_the_18th_birthday(offence_on, counted):
    found = counts(family(offences=(OffenceData("Y", "KID", offence_on, True),)), [],
                   recent_window(dt.date(2014, 6, 30), RULES), RULES)
    assert found["youth_offence"] == counted


def test_exclusions_count_in_the_window_holding_the_terms_end():
    terms = (
        TermData("KID", 2012, "autumn", 100, 0, fixed_exclusions=2),  # ends 31 Dec 2012
        TermData("KID", 2012, "spring", 100, 0, fixed_exclusions=4),  # ends 31 Mar 2013
        TermData("KID", 2011, "summer", 100, 0, fixed_exclusions=8),  # ends 31 Jul 2012
    )
    found = counts(family(terms=terms), [], baseline_window(S, RULES), RULES)
    assert found["fixed_exclusion"] == 2
    assert counts(family(terms=terms), [], recent_window(D, RULES), RULES)["fixed_exclusion"] == 4


def test_benefit_weeks_are_the_days_an_out_of_work_benefit_covers_over_seven():
    window = recent_window(D, RULES)  # 31 March to 30 September 2013: 184 days
    work = (
        WorkData("W1", "ADULT", "benefit", dt.date(2013, 1, 1), dt.date(2013, 4, 6), "JSA"),  # 7 days
        WorkData("W2", "ADULT", "benefit", dt.date(2013, 9, 24), None, "ESA"),  # 7 days
        WorkData("W3", "ADULT", "employment", dt.date(2013, 4, 7), None),
        WorkData("W4", "ADULT", "benefit", dt.date(2013, 4, 7), None, "DLA"),  # not out of work
    )
    assert counts(family(work=work), [], window, RULES)["benefit_week"] == 2
    whole = (WorkData("W5", "ADULT", "benefit", dt.date(2010, 1, 1), None, "IS"),)
    assert counts(family(work=whole), [], window, RULES)["benefit_week"] == Fraction(184, 7)


def test_annual_cost_prices_each_count_and_scales_six_months_to_a_year():
    found = {**ZERO, "asb_incident": 3, "benefit_week": Fraction(7, 2)}
    pence = {**ZERO, "asb_incident": 10_000, "benefit_week": 7_000}
    assert annual_cost(found, pence, 6) == (3 * 10_000 + Fraction(7, 2) * 7_000) * 2


@pytest.mark.parametrize("as_of, status", [
    (dt.date(2013, 9, 14), "too_early"),
    (dt.date(2013, 9, 15), "estimated"),  # six months after attachment
    (dt.date(2013, 9, 16), "estimated"),
])
def test_an_estimate_needs_six_months_since_attachment(as_of, status):
    assert estimate(family(), [], as_of, ZERO, RULES).status == status


def test_estimate_before_and_after_with_domestic_abuse_and_none_before_attachment():
    data = family(asb=incidents(dt.date(2012, 10, 1), dt.date(2013, 1, 1), dt.date(2013, 6, 1)))
    abuse = [dt.date(2013, 2, 1), dt.date(2013, 2, 2), dt.date(2013, 7, 1)]
    pence = {**ZERO, "asb_incident": 5_000, "domestic_abuse_incident": 20_000}
    found = estimate(data, abuse, D, pence, RULES)
    assert found.before == {**ZERO, "asb_incident": 2, "domestic_abuse_incident": 2}
    assert found.after == {**ZERO, "asb_incident": 1, "domestic_abuse_incident": 1}
    assert found.before_pence == (2 * 5_000 + 2 * 20_000) * 2
    assert found.after_pence == (5_000 + 20_000) * 2
    assert found.reduction_pence == 50_000
    assert estimate(data, abuse, S - DAY, pence, RULES) is None
    assert estimate(FamilyData("F2"), [], D, pence, RULES) is None


@pytest.mark.parametrize("key, first, last, label", [
    ("2013-Q1", dt.date(2013, 4, 1), dt.date(2013, 6, 30), "2013/14 quarter 1 (April to June 2013)"),
    ("2013-Q3", dt.date(2013, 10, 1), dt.date(2013, 12, 31), "2013/14 quarter 3 (October to December 2013)"),
    ("2013-Q4", dt.date(2014, 1, 1), dt.date(2014, 3, 31), "2013/14 quarter 4 (January to March 2014)"),
])
def test_quarters_are_financial_year_quarters(key, first, last, label):
    quarter = Quarter.parse(key)
    assert (quarter.first, quarter.last, quarter.label, quarter.key) == (first, last, label, key)
    assert Quarter.containing(first) == Quarter.containing(last) == quarter
    assert Quarter.containing(last + DAY) != quarter


@pytest.mark.parametrize("bad", ["", "2013", "2013-Q5", "2013-Q0", "x-Q1", "2013-Q1-Q2"])
def test_a_bad_quarter_is_refused(bad):
    assert Quarter.parse(bad) is None


def test_horizontal_bars_are_proportional_and_described():
    chart = charts.horizontal("c", "Families", ["Identified", "Attached"], [("Families", [40, 10])])
    bars = [r for r in chart.rects]
    assert len(bars) == 2 and bars[0].width == pytest.approx(4 * bars[1].width)
    assert bars[0].tooltip == "Identified, Families: 40"
    assert chart.description == "Families. Identified: 40; Attached: 10."
    assert {t.text for t in chart.texts} >= {"Identified", "Attached", "40", "10"}


def test_columns_have_a_round_scale_a_legend_and_two_line_labels():
    chart = charts.columns("m", "By month", ["Dec\n2012", "Jan\n2013"],
                           [("Identified", [27, 3]), ("Attached", [0, 5])])
    texts = {t.text for t in chart.texts}
    assert {"0", "10", "20", "30", "40", "Dec", "2012", "Identified", "Attached"} <= texts
    legend, bars = chart.rects[:2], chart.rects[2:]
    assert [r.tooltip for r in legend] == ["Identified", "Attached"]
    assert len(bars) == 4 and bars[1].height == 0
    assert "Dec 2012: Identified 27, Attached 0" in chart.description
