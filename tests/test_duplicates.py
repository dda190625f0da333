"""Duplicates inside casework (docs/matching.md): likely duplicate people found with the matching
model, a pair side by side, merging (records re-pointed, the other reference kept as an
alias), undoing a merge, and pairs said to be different people."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from casework import models as m
from casework.extensions import db
from casework.importer.service import ImportRefused, import_csv

from .conftest import post_form
from .matching_data import load_register
from .parsed import Page

# Kayleigh moved: the new family's file recorded her again under another reference.
FAMILIES = "family_ref,family_name,postcode\nFD,Smith-Jones,TN1 2AB\n"
PEOPLE = ("person_ref,family_ref,given_name,family_name,date_of_birth,sex\n"
          "P-KAY2,FD,Kayleigh,Smith Jones,2010-03-04,f\n")
ASB = ("asb_ref,person_ref,family_ref,date,kind\n"
       "A-1,P-KAY,,2012-01-20,incident\n"
       "A-2,P-KAY2,,2013-02-03,incident\n"
       "A-3,P-KAY2,,2013-05-06,incident\n")
TERM = ("person_ref,academic_year,term,sessions_possible,sessions_unauthorised,"
        "fixed_exclusions,permanent_exclusion,alternative_provision,on_roll\n")


@pytest.fixture
def twice(app):
    load_register()
    import_csv("families", FAMILIES.encode(), "families.csv")
    import_csv("people", PEOPLE.encode(), "people.csv")
    import_csv("asb", ASB.encode(), "asb.csv")
    import_csv("school-terms", (TERM + "P-KAY2,2012/13,autumn,130,26,1,n,n,y\n").encode(),
               "terms.csv")
    return {p.person_ref: p.id for p in db.session.scalars(
        select(m.Person).where(m.Person.person_ref.in_(["P-KAY", "P-KAY2", "P-AMY", "P-EMMA"])))}


def person(ref):
    return db.session.scalar(select(m.Person).where(m.Person.person_ref == ref))


def asb_people():
    return dict(db.session.execute(
        select(m.AsbRecord.asb_ref, m.Person.person_ref)
        .join(m.Person, m.AsbRecord.person_id == m.Person.id)
        .where(m.AsbRecord.asb_ref.in_(["A-1", "A-2", "A-3", "A-4"]))).all())


class _Page(HTMLParser):
    """Table rows of a page (each row's cells' text) and its h1."""

    def __init__(self, html):
        super().__init__()
        self.rows: list[list[str]] = []
        self.h1 = ""
        self._cell: list[str] | None = None
        self._in_h1 = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "h1":
            self._in_h1 = True

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_h1:
            self.h1 += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "h1":
            self._in_h1 = False


def _search(client, run_jobs):
    """Look for duplicates as a manager does: the button starts the job, the worker runs it."""
    response = post_form(client, "/matching/duplicates/search", {},
                         page_url="/matching/duplicates")
    assert response.status_code == 302 and "/jobs/" in response.location
    assert run_jobs() == 1
    return response


def test_before_any_search_the_page_says_so_and_offers_one(client, sign_in, twice):
    sign_in("manager")
    html = client.get("/matching/duplicates").text
    page = _Page(html)
    assert page.h1 == "Likely duplicate people"
    assert Page(html).paragraph("Nobody has looked") == "Nobody has looked for duplicates yet."
    assert not [r for r in page.rows if r]
    assert db.session.scalar(select(func.count()).select_from(m.Job)) == 0  # nothing started


def test_the_list_shows_the_child_recorded_twice_and_not_twins(client, sign_in, twice,
                                                               run_jobs):
    sign_in("manager")
    response = _search(client, run_jobs)
    job = db.session.scalar(select(m.Job).where(m.Job.kind == "find_duplicates"))
    assert response.location.endswith(f"/jobs/{job.id}")
    assert job.state == "done", job.error
    people = db.session.scalar(select(func.count()).select_from(m.Person))
    assert job.summary.endswith(f"found among {people:,} people.")
    page = _Page(client.get("/matching/duplicates").text)
    pairs = [r for r in page.rows[1:] if r]
    described = [(r[0].split("(")[1].split(")")[0], r[1].split("(")[1].split(")")[0])
                 for r in pairs]
    assert ("P-KAY", "P-KAY2") in described or ("P-KAY2", "P-KAY") in described
    flat = {ref for pair in described for ref in pair}
    assert "P-AMY" not in flat and "P-EMMA" not in flat  # twins: different given names
    event = db.session.scalar(select(m.AuditEvent).where(
        m.AuditEvent.object_type == "duplicate_people").order_by(m.AuditEvent.id.desc()))
    assert "P-KAY" in event.detail
    # The pair page reads the probability the search found rather than working it out.
    kay, kay2 = twice["P-KAY"], twice["P-KAY2"]
    pair = Page(client.get(f"/matching/duplicates/{kay}/{kay2}").text)
    assert pair.h1 == "Is this one person?"
    said = pair.paragraph("The search for duplicates of ")
    assert said.endswith(" gave these two a match probability of 100.0%."), said


def test_a_search_under_way_is_shown_and_not_started_twice(client, sign_in, twice, run_jobs):
    sign_in("manager")
    first = post_form(client, "/matching/duplicates/search", {},
                      page_url="/matching/duplicates")
    page = Page(client.get("/matching/duplicates").text)
    [under_way] = page.main.find_all(cls="govuk-inset-text")
    assert under_way.text().startswith("casework is looking for duplicates now (started ")
    assert under_way.find("a").attrs["href"] == first.location
    buttons = [b.text() or b.attrs.get("value", "") for b in page.main.iter()
               if b.tag in ("button", "input")]
    assert "Look for duplicates now" not in buttons
    again = post_form(client, "/matching/duplicates/search", {},
                      page_url="/matching/duplicates")
    assert again.location == first.location  # the search under way, not a second one
    assert db.session.scalar(select(func.count()).select_from(m.Job)) == 1
    assert run_jobs() == 1


def test_people_merged_since_the_search_are_left_out(client, sign_in, twice, run_jobs):
    sign_in("manager")
    _search(client, run_jobs)
    kay, kay2 = twice["P-KAY"], twice["P-KAY2"]
    assert post_form(client, f"/matching/duplicates/{kay}/{kay2}",
                     {"keep": str(kay)}).status_code == 302
    rows = _Page(client.get("/matching/duplicates").text).rows
    assert not any("P-KAY2" in cell for row in rows for cell in row)


@pytest.mark.parametrize("role", ["worker", "team_lead", "auditor", "admin"])
def test_only_programme_managers_merge(client, sign_in, twice, role):
    sign_in(role)
    assert client.get("/matching/duplicates").status_code == 403
    url = f"/matching/duplicates/{twice['P-KAY']}/{twice['P-KAY2']}"
    assert client.get(url).status_code == 403


def test_the_pair_side_by_side_with_the_records_each_holds(client, sign_in, twice):
    sign_in("manager")
    page = _Page(client.get(f"/matching/duplicates/{twice['P-KAY']}/{twice['P-KAY2']}").text)
    rows = {r[0]: r[1:] for r in page.rows if r}
    assert rows[""] == ["P-KAY", "P-KAY2"]
    assert rows["Name"] == ["Kayleigh Smith-Jones", "Kayleigh Smith Jones"]
    assert rows["Family"] == ["FA Smith-Jones", "FD Smith-Jones"]
    assert rows["Anti-social behaviour"] == ["1", "2"]
    assert rows["School terms"] == ["0", "1"]
    event = db.session.scalar(select(m.AuditEvent).where(
        m.AuditEvent.object_type == "duplicate_pair"))
    assert event.object_ref == "P-KAY/P-KAY2"


def test_merging_repoints_every_record_keeps_the_reference_and_undoing_puts_it_back(
        client, sign_in, twice):
    manager = sign_in("manager")
    kay, kay2 = twice["P-KAY"], twice["P-KAY2"]
    response = post_form(client, f"/matching/duplicates/{kay}/{kay2}", {"keep": str(kay)})
    assert response.status_code == 302
    merge = db.session.scalar(select(m.PersonMerge))
    assert response.headers["Location"].endswith(f"/matching/merges/{merge.id}")
    db.session.expire_all()
    assert person("P-KAY2") is None
    assert asb_people() == {"A-1": "P-KAY", "A-2": "P-KAY", "A-3": "P-KAY"}
    assert db.session.scalar(select(func.count()).select_from(m.SchoolTerm)
                             .where(m.SchoolTerm.person_id == kay)) == 1
    alias = db.session.scalar(select(m.PersonAlias))
    assert (alias.alias_ref, alias.person_id) == ("P-KAY2", kay)
    assert (merge.kept_id, merge.merged_ref, merge.merged_by_id) == (kay, "P-KAY2", manager.id)
    event = db.session.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "merge"))
    assert event.object_ref == "P-KAY"
    assert event.detail == f"P-KAY2 merged into P-KAY (merge {merge.id}): 3 records re-pointed"
    history = db.session.scalars(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "person",
        m.RecordHistory.record_ref.in_(["P-KAY", "P-KAY2"]))).all()
    assert {(h.record_ref, h.source) for h in history} >= {
        ("P-KAY", f"merge {merge.id}"), ("P-KAY2", f"merge {merge.id}")}

    # A later file naming the merged reference still imports, to the person kept.
    import_csv("asb", b"asb_ref,person_ref,family_ref,date,kind\nA-4,P-KAY2,,2014-01-01,incident\n",
               "later.csv")
    assert asb_people()["A-4"] == "P-KAY"
    import_csv("asb", b"asb_ref,person_ref,family_ref,date,kind\nA-2,P-KAY2,,2013-02-04,incident\n",
               "again.csv")  # the same record again: updated, not a second copy
    assert db.session.scalar(select(func.count()).select_from(m.AsbRecord)
                             .where(m.AsbRecord.asb_ref == "A-2")) == 1

    page = _Page(client.get(f"/matching/merges/{merge.id}").text)
    assert page.h1.strip() == "P-KAY2 merged into P-KAY"
    response = post_form(client, f"/matching/merges/{merge.id}", {})
    assert response.status_code == 302
    db.session.expire_all()
    back = person("P-KAY2")
    assert back.id == kay2 and back.family.family_ref == "FD"
    assert back.family_name == "Smith Jones"
    # the records the merge moved go back; the one imported through the alias stays
    assert asb_people() == {"A-1": "P-KAY", "A-2": "P-KAY2", "A-3": "P-KAY2", "A-4": "P-KAY"}
    assert db.session.scalar(select(func.count()).select_from(m.PersonAlias)) == 0
    assert db.session.get(m.PersonMerge, merge.id).undone_by_id == manager.id
    event = db.session.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "unmerge"))
    assert event.object_ref == "P-KAY2"
    # undone once only
    response = post_form(client, f"/matching/merges/{merge.id}", {})
    assert response.status_code == 200


def test_a_term_both_hold_is_refused_naming_it_and_nothing_changes(client, sign_in, twice):
    sign_in("manager")
    import_csv("school-terms", (TERM + "P-KAY,2012/13,autumn,130,2,0,n,n,y\n").encode(),
               "terms2.csv")
    kay, kay2 = twice["P-KAY"], twice["P-KAY2"]
    response = post_form(client, f"/matching/duplicates/{kay}/{kay2}", {"keep": str(kay)})
    assert response.status_code == 200
    assert [e for e in Page(response.text).errors if e.startswith(
        "Both P-KAY and P-KAY2 have school attendance for 2012/13 term autumn")]
    db.session.expire_all()
    assert person("P-KAY2") is not None
    assert db.session.scalar(select(func.count()).select_from(m.PersonMerge)) == 0


def test_two_different_people_are_not_shown_again(client, sign_in, twice, run_jobs):
    sign_in("manager")
    _search(client, run_jobs)
    assert any("P-KAY2" in cell for row in _Page(client.get("/matching/duplicates").text).rows
               for cell in row)
    kay, kay2 = twice["P-KAY"], twice["P-KAY2"]
    response = post_form(client, f"/matching/duplicates/{kay}/{kay2}",
                         {"keep": "not-the-same"})
    assert response.status_code == 302
    rows = _Page(client.get("/matching/duplicates").text).rows
    assert not any("P-KAY2" in cell for row in rows for cell in row)
    assert db.session.scalar(select(m.AuditEvent).where(
        m.AuditEvent.action == "not_duplicate")).detail == (
        "P-KAY and P-KAY2 are not the same person")


def test_a_person_the_user_may_not_see_is_not_found(client, sign_in, twice):
    sign_in("manager")
    assert client.get(f"/matching/duplicates/{twice['P-KAY']}/999999").status_code == 404


def test_the_merged_reference_cannot_be_imported_as_a_new_person_while_merged(twice):
    from casework.matching import duplicates

    manager = db.session.scalar(select(m.User).limit(1))
    if manager is None:
        from .factories import create_user

        manager = create_user("manager")
    duplicates.merge(person("P-KAY"), person("P-KAY2"), manager)
    # a people file naming the alias updates the person kept
    import_csv("people", PEOPLE.replace("Smith Jones", "Smith-Jones").encode(), "people2.csv")
    assert person("P-KAY2") is None
    with pytest.raises(ImportRefused):
        import_csv("asb", b"asb_ref,person_ref,family_ref,date,kind\nA-9,P-NOBODY,,2014-01-01,incident\n",
                   "bad.csv")
