"""A programme manager merges two records of one household (one family imported under two
references) in a real browser, and undoes it (docs/matching.md)."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from ..conftest import PASSWORD
from ..factories import create_user
from .conftest import sign_in


def test_a_manager_merges_two_records_of_one_household_and_undoes_it(page, live_server, shot,
                                                                      axe):
    from casework.importer.service import import_csv

    import_csv("families", b"family_ref,family_name,address,postcode\n"
                           b"F-A,Smith,1 High Street,TN1 2AB\n"
                           b"F-B,Smith,\"1, High Street\",TN12AB\n", "families.csv")
    import_csv("people", b"person_ref,family_ref,given_name,family_name,date_of_birth,sex\n"
                         b"P-A1,F-A,Kayleigh,Smith,2010-03-04,f\n"
                         b"P-B1,F-B,Kayleigh,Smith,2010-03-04,f\n"
                         b"P-B2,F-B,Dean,Smith,1984-07-30,m\n", "people.csv")
    import_csv("asb", b"asb_ref,person_ref,family_ref,date,kind\n"
                      b"A-1,,F-B,2013-02-03,incident\n", "asb.csv")
    db.session.commit()
    manager = create_user("manager")
    sign_in(page, live_server, manager.email, PASSWORD)
    page.get_by_role("link", name="Matching").first.click()
    page.get_by_role("link", name="Likely duplicate people").click()
    page.get_by_role("link", name="likely duplicate families").click()
    expect(page.get_by_role("heading", name="Likely duplicate families")).to_be_visible()
    # Looking for duplicate families is a job: the page starts it and reads its result.
    page.get_by_role("button", name="Look for duplicates now").click()
    page.get_by_role("link", name="See the likely duplicate families").click()
    expect(page.get_by_role("link", name="Compare F-A and F-B")).to_be_visible()
    shot("family-duplicates")
    page.set_viewport_size({"width": 375, "height": 812})
    shot("family-duplicates-narrow")
    state = page.context.storage_state()
    assert axe(page.url, state) == []
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_role("link", name="Compare F-A and F-B").click()
    expect(page.get_by_role("heading", name="Is this one household?")).to_be_visible()
    expect(page.get_by_role("link", name="Kayleigh Smith (P-A1) and Kayleigh Smith (P-B1)")
           ).to_be_visible()
    shot("family-pair")
    page.set_viewport_size({"width": 375, "height": 812})
    shot("family-pair-narrow")
    assert axe(page.url, state) == []
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_label("One household: keep F-A and merge F-B into it").check()
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_role("heading", name="F-B merged into F-A")).to_be_visible()
    shot("family-merged")
    page.set_viewport_size({"width": 375, "height": 812})
    shot("family-merged-narrow")
    assert axe(page.url, state) == []
    page.set_viewport_size({"width": 1280, "height": 720})
    db.session.expire_all()
    people = dict(db.session.execute(select(m.Person.person_ref, m.Family.family_ref)
                                     .join(m.Family)).all())
    # Kayleigh, the same child under both references, is merged as one person too
    assert people == {"P-A1": "F-A", "P-B2": "F-A"}
    expect(page.get_by_role("heading", name="Members merged as one person")).to_be_visible()
    expect(page.get_by_role("link", name="P-B1 merged into P-A1")).to_be_visible()
    page.get_by_role("button", name="Undo this merge").click()
    page.wait_for_url("**/families/F-B")
    expect(page.get_by_text("The merge was undone: F-B is a family of its own again")
           ).to_be_visible()
    shot("family-undone")
    db.session.expire_all()
    people = dict(db.session.execute(select(m.Person.person_ref, m.Family.family_ref)
                                     .join(m.Family)).all())
    assert people == {"P-A1": "F-A", "P-B1": "F-B", "P-B2": "F-B"}
    assert db.session.scalar(select(m.Family.family_ref).join(
        m.AsbRecord, m.AsbRecord.family_id == m.Family.id)) == "F-B"
