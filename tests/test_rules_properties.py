"""Invariants of the rules, checked on generated families (hypothesis)."""

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from casework.rules import (
    AsbData,
    FamilyData,
    OffenceData,
    PersonData,
    TermData,
    WorkData,
    evaluate,
    get_ruleset,
)

RULES = get_ruleset()
PEOPLE = (PersonData("AD", dt.date(1980, 1, 1)), PersonData("YO", dt.date(1997, 6, 15)),
          PersonData("CH", dt.date(2004, 3, 1)))
dates = st.dates(min_value=dt.date(2011, 1, 1), max_value=dt.date(2014, 12, 31))


@st.composite
def families(draw):
    asb = draw(st.lists(st.builds(lambda i, d, k, p: AsbData(f"A{i}", d, k, p),
                                  st.integers(0, 10**6), dates,
                                  st.sampled_from(["incident", "incident", "asbo"]),
                                  st.sampled_from(["AD", "YO", None])), max_size=12,
                        unique_by=lambda a: a.ref))
    offences = draw(st.lists(st.builds(lambda i, d, p, pr: OffenceData(f"O{i}", p, d, pr),
                                       st.integers(0, 10**6), dates, st.sampled_from(["YO", "CH"]),
                                       st.booleans()), max_size=8, unique_by=lambda o: o.ref))
    terms = draw(st.lists(st.builds(
        lambda y, t, poss, u, f, pe: TermData("CH", y, t, poss, min(u, poss), f, pe),
        st.integers(2010, 2014), st.sampled_from(["autumn", "spring", "summer"]),
        st.integers(0, 150), st.integers(0, 60), st.integers(0, 2), st.booleans()),
        max_size=10, unique_by=lambda t: (t.start_year, t.term)))
    work = draw(st.lists(st.builds(
        lambda i, k, s, days, b: WorkData(f"W{i}", "AD", k, s, s + dt.timedelta(days=days) if days else None, b),
        st.integers(0, 10**6), st.sampled_from(["benefit", "employment", "work_programme"]),
        dates, st.integers(0, 400), st.sampled_from(["JSA", "ESA", "IS"])),
        max_size=5, unique_by=lambda w: w.ref))
    attached = draw(st.one_of(st.none(), st.dates(dt.date(2012, 4, 1), dt.date(2013, 6, 30))))
    return FamilyData("F", draw(st.one_of(st.none(), dates)), attached, draw(st.booleans()),
                      PEOPLE, tuple(terms), tuple(asb), tuple(offences), tuple(work))


def as_json(evaluation):
    return ({k: v.value for k, v in evaluation.results.items()},
            evaluation.identification.eligible, evaluation.identification.crime_asb.value,
            evaluation.identification.education.value, evaluation.identification.work.value)


@settings(max_examples=200, deadline=None)
@given(families(), st.randoms(), dates)
def test_the_result_never_depends_on_the_order_rows_were_imported(fam, rnd, as_of):
    shuffled = dataclasses.replace(
        fam, **{f: tuple(rnd.sample(list(getattr(fam, f)), len(getattr(fam, f))))
                for f in ("terms", "asb", "offences", "work", "people")})
    assert as_json(evaluate(fam, as_of, RULES)) == as_json(evaluate(shuffled, as_of, RULES))


@settings(max_examples=200, deadline=None)
@given(families(), dates, st.sampled_from(["AD", "YO", None]))
def test_one_more_recent_incident_never_turns_not_met_into_met(fam, as_of, who):
    before = evaluate(fam, as_of, RULES).results
    recent = as_of - dt.timedelta(days=3)
    more = dataclasses.replace(fam, asb=fam.asb + (AsbData("NEW", recent, "incident", who),))
    after = evaluate(more, as_of, RULES).results
    for result in ("asb", "crime_asb_education"):
        if before[result].value == "not_met":
            assert after[result].value != "met"
    if before["asb"].value != "met":
        assert after["asb"].value != "met"


@settings(max_examples=200, deadline=None)
@given(families(), dates)
def test_every_status_is_one_of_the_contract_words_and_evidence_is_named(fam, as_of):
    from casework.rules import STATUSES

    e = evaluate(fam, as_of, RULES)
    for finding in e.results.values():
        assert finding.value in STATUSES and finding.reason
    if fam.attached_on is None:
        assert {f.value for f in e.results.values()} == {"not_attached"}
