"""Identification and results on the family page, the results page, CSV and screening."""

import csv
import io

import pytest

from casework.evaluation import store
from casework.rules import evaluate, get_ruleset
from casework.rules.nearly import nearly_there

from .parsed import Page
from .test_rules import D, family, incidents


def _results(html: str) -> tuple[str, list[str]]:
    """The results page as a user reads it: the summary table's caption (the count), and the
    family references of the Statuses of every family table, in order."""
    page = Page(html)
    return (page.tables[0].caption,
            [f.split()[0] for f in page.table("Statuses of every family").column("Family")])


def test_family_page_shows_results_with_reasons_at_a_picked_date(client, sign_in, examples):
    examples()
    sign_in("manager")
    page = Page(client.get("/families/E01?as_of-day=30&as_of-month=9&as_of-year=2013").text)
    assert "Identification and results on 30 September 2013" in page.headings
    assert page.summary["Anti-social behaviour"].startswith(
        "Met ASB incidents: 6 from 16 Jan 2012 to 15 Jul 2012, 2 from 31 Mar 2013 to 30 Sep "
        "2013: down 67%, needs 60%: met Evidence: A00007")
    assert [n.text() for n in page.main.find_all(cls="govuk-inset-text")
            if n.text().startswith("Claimable on")] == [
        "Claimable on 30 September 2013: Crime, ASB and education £700"]


def test_family_page_defaults_to_today_and_explains_a_bad_date(client, sign_in, examples):
    examples()
    sign_in("manager")
    page = client.get("/families/E05?as_of-day=31&as_of-month=2&as_of-year=2013")
    assert Page(page.text).field_errors["as_of"].startswith("Enter a real date.")


def test_screening_family_page_says_it_is_judged_on_the_picked_date(client, sign_in, examples):
    examples()
    sign_in("manager")
    page = client.get("/families/E06?as_of=2013-09-30")
    assert ("Identification (screening: no identification date, so judged on 30 September 2013)"
            in Page(page.text).headings)


def test_results_page_lists_every_family_and_filters_by_status_and_ward(client, sign_in, examples):
    examples()
    store.refresh(as_of=D(2013, 9, 30))
    sign_in("manager")
    page = client.get("/results")
    # What `claims build` would make now: E01 £700, E03 £800 (employment, not also its
    # crime, ASB and education result), E07 £100.
    assert page.status_code == 200
    read = Page(page.text)
    assert read.h1 == "Results on 30 September 2013"
    assert read.tables[0].caption == "7 families; claimable now: £1,600"
    caption, families = _results(client.get("/results?result=crime_asb_education&status=met").text)
    assert caption.startswith("3 families") and families == ["E01", "E03", "E04"]
    assert _results(client.get("/results?ward=Fant").text)[0].startswith("2 families")


def test_results_csv_download_matches_the_page(client, sign_in, examples):
    examples()
    store.refresh(as_of=D(2013, 9, 30))
    sign_in("manager")
    response = client.get("/results.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["family_ref"] for r in rows] == ["E01", "E02", "E03", "E04", "E05", "E06", "E07"]
    assert rows[6]["progress_to_work"] == "met"


def test_nearly_there_names_a_reduction_short_of_its_threshold():
    # 5 -> 3 is a 40% fall; 60% needed: 20 points short counts as nearly there.
    fam = family(asb=incidents([D(2012, 4, 1)] * 5 + [D(2013, 9, 1)] * 3))
    e = evaluate(fam, D(2013, 9, 30), get_ruleset())
    assert "ASB down 40% where 60% is needed" in nearly_there(e)
    far = family(asb=incidents([D(2012, 4, 1)] * 5 + [D(2013, 9, 1)] * 4))
    assert nearly_there(evaluate(far, D(2013, 9, 30), get_ruleset())) == []


def test_nearly_there_names_a_child_with_two_of_three_good_terms(client, sign_in, examples):
    examples()
    store.refresh(as_of=D(2014, 6, 30))
    sign_in("manager")
    page = Page(client.get("/results").text)
    assert "Nearly there (4)" in page.headings
    # E07 at 2014-06-30: P00048 has summer 2012/13 but no 2013/14 terms yet.
    assert page.table("Nearly there").cell("E07", "What is close") == (
        "Education: P00048 has 1 of 3 terms good, waiting for the rest")
    # The family page says it in an inset, "Nearly there:" in bold (its HTML, not written out).
    family = Page(client.get("/families/E07?as_of-day=30&as_of-month=6&as_of-year=2014").text)
    [inset] = [n for n in family.main.find_all(cls="govuk-inset-text")
               if n.text().startswith("Nearly there:")]
    assert inset.find("strong").text() == "Nearly there:"
    assert inset.text() == ("Nearly there: Education: P00048 has 1 of 3 terms good, waiting for "
                            "the rest")


def test_nearly_there_two_of_three_terms_good():
    from casework.rules import TermData

    from .test_rules import edu_family, three_terms

    fam = edu_family(three_terms("CH", year=2012, unauth=2)[:2])
    e = evaluate(fam, D(2013, 9, 30), get_ruleset())
    assert e.results["education"].value == "insufficient_data"
    assert "Education: CH has 2 of 3 terms good, waiting for the rest" in nearly_there(e)
    failing = edu_family((TermData("CH", 2012, "autumn", 100, 50, 0),))
    assert nearly_there(evaluate(failing, D(2013, 9, 30), get_ruleset())) == []


def test_screening_lists_families_that_now_meet_the_criteria(client, sign_in, cli, tmp_path):
    (tmp_path / "f.csv").write_text("family_ref,family_name,local_discretion,local_discretion_reason\n"
                                    "S1,Screened,y,High cost\nS2,Other,n,\n")
    (tmp_path / "p.csv").write_text("person_ref,family_ref,given_name,family_name,date_of_birth\n"
                                    "SP1,S1,A,B,1980-01-01\nSP2,S1,C,B,1997-01-01\nSP3,S2,D,E,1980-01-01\n")
    (tmp_path / "o.csv").write_text("offence_ref,person_ref,offence_date,proven\nSO1,SP2,2013-05-01,y\n")
    (tmp_path / "w.csv").write_text("work_ref,person_ref,kind,benefit,start_date\nSW1,SP1,benefit,JSA,2012-01-01\n")
    for kind, name in (("families", "f"), ("people", "p"), ("offences", "o"), ("work", "w")):
        assert cli("import", kind, tmp_path / f"{name}.csv").exit_code == 0
    sign_in("manager")
    store.refresh(as_of=D(2013, 9, 30))
    page = Page(client.get("/screening").text)
    assert page.table("Meet the criteria, not yet identified").caption == (
        "Meet the criteria, not yet identified (1)")
    assert [f.split()[0] for f in
            page.table("Meet the criteria, not yet identified").column("Family")] == ["S1"]
    store.refresh(as_of=D(2013, 4, 30))
    earlier = Page(client.get("/screening").text)
    assert earlier.table("Meet the criteria, not yet identified").caption == (
        "Meet the criteria, not yet identified (0)")


@pytest.mark.parametrize("role, path, code", [
    ("worker", "/results", 403), ("worker", "/results.csv", 403), ("worker", "/screening", 403),
    ("auditor", "/results", 200), ("auditor", "/screening", 403), ("team_lead", "/results", 200),
    ("admin", "/results", 403),
])
def test_who_may_see_results_and_screening(client, sign_in, role, path, code):
    sign_in(role)
    assert client.get(path).status_code == code


def test_results_pages_run_in_family_ref_order_and_the_last_page_stops_at_the_end(
        client, sign_in):
    from .factories import create_family

    for n in range(1, 56):  # 55 families: a full first page of 50 and five on the second
        create_family(f"R{n:03d}", identified_on=D(2013, 1, 1))
    store.refresh(as_of=D(2013, 9, 30))
    sign_in("manager")
    assert _results(client.get("/results").text)[1] == [f"R{n:03d}" for n in range(1, 51)]
    second = [f"R{n:03d}" for n in range(51, 56)]
    assert _results(client.get("/results?page=2").text)[1] == second
    assert _results(client.get("/results?page=999").text)[1] == second  # past the end: the last
