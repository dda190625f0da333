"""A programme manager reviews a row matching could not settle, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from ..conftest import PASSWORD
from ..factories import create_user
from ..matching_data import load_register
from .conftest import sign_in


def test_a_manager_compares_two_namesakes_and_accepts_one(page, live_server, cli, shot, axe,
                                                          tmp_path):
    load_register()
    path = tmp_path / "asb.csv"
    path.write_text("asb_ref,given_name,family_name,date_of_birth,postcode,sex,date,kind\n"
                    "A3,Jack,Taylor,2012-02-02,ME14 1AA,m,2013-03-05,incident\n")
    assert "1 for review" in cli("import", "asb", path, "--match").output
    manager = create_user("manager")
    sign_in(page, live_server, manager.email, PASSWORD)
    page.get_by_role("link", name="Matching").click()
    page.get_by_role("link", name="asb A3").click()
    expect(page.get_by_role("heading", name="Why P-JACK1: the match weights")).to_be_visible()
    shot("review")
    page.set_viewport_size({"width": 375, "height": 812})
    shot("review-narrow")
    review_url = page.url
    state = page.context.storage_state()
    assert axe(review_url, state) == []
    page.get_by_label("Jack Taylor (P-JACK1)").check()
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_url("**/matching/reviews")
    expect(page.get_by_text("Row A3 linked and imported")).to_be_visible()
    shot("accepted")
    record = db.session.scalar(select(m.AsbRecord).where(m.AsbRecord.asb_ref == "A3"))
    assert record.person.person_ref == "P-JACK1"
    assert axe(f"{live_server}/matching/reviews", state) == []


def test_a_manager_sees_how_a_trained_version_compared_with_the_one_in_use(
        page, live_server, shot, axe):
    from casework.matching import service

    first = service.model_for_use(store=True)
    db.session.add(m.MatchModel(
        source="trained on police-asb.csv (4,000 rows)", register_size=52000,
        model=first.model, status="refused",
        check={"compared_with": first.id, "decided_rows": 240, "file_rows": 4000,
               "decided_in_use": {"right": 221, "wrong": 0, "review": 19, "missed": 0},
               "decided_new": {"right": 204, "wrong": 2, "review": 34, "missed": 0},
               "file_in_use": {"linked": 3512, "review": 88, "unmatched": 400},
               "file_new": {"linked": 3510, "review": 352, "unmatched": 138},
               "verdict": "on the 240 rows already decided, version 1 in use 221 right and 0 "
                          "wrong, the new version 204 right and 2 wrong: worse, kept out of use",
               "worse": True}))
    db.session.commit()
    manager = create_user("manager")
    sign_in(page, live_server, manager.email, PASSWORD)
    page.get_by_role("link", name="Matching").first.click()
    page.get_by_role("link", name="Matching model versions").click()
    expect(page.get_by_role("heading", name="Version 2 Refused")).to_be_visible()
    expect(page.get_by_role("heading", name="Version 1 In use")).to_be_visible()
    shot("versions")
    page.set_viewport_size({"width": 375, "height": 812})
    shot("versions-narrow")
    assert axe(page.url, page.context.storage_state()) == []


def test_a_manager_merges_two_records_of_one_child_and_undoes_it(page, live_server, shot, axe):
    from casework.importer.service import import_csv

    load_register()
    import_csv("families", b"family_ref,family_name,postcode\nFD,Smith-Jones,TN1 2AB\n",
               "families.csv")
    import_csv("people", b"person_ref,family_ref,given_name,family_name,date_of_birth,sex\n"
                         b"P-KAY2,FD,Kayleigh,Smith Jones,2010-03-04,f\n", "people.csv")
    import_csv("asb", b"asb_ref,person_ref,family_ref,date,kind\n"
                      b"A-2,P-KAY2,,2013-02-03,incident\n", "asb.csv")
    db.session.commit()
    manager = create_user("manager")
    sign_in(page, live_server, manager.email, PASSWORD)
    page.get_by_role("link", name="Matching").first.click()
    page.get_by_role("link", name="Likely duplicate people").click()
    # Looking for duplicates is a job: the page starts it and reads its result.
    shot("duplicates-not-searched")
    page.get_by_role("button", name="Look for duplicates now").click()
    page.get_by_role("link", name="See the likely duplicate people").click()
    expect(page.get_by_role("link", name="Compare P-KAY and P-KAY2")).to_be_visible()
    shot("duplicates")
    page.set_viewport_size({"width": 375, "height": 812})
    shot("duplicates-narrow")
    assert axe(page.url, page.context.storage_state()) == []
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_role("link", name="Compare P-KAY and P-KAY2").click()
    expect(page.get_by_role("heading", name="Is this one person?")).to_be_visible()
    shot("pair")
    page.set_viewport_size({"width": 375, "height": 812})
    shot("pair-narrow")
    state = page.context.storage_state()
    assert axe(page.url, state) == []
    page.set_viewport_size({"width": 1280, "height": 720})
    page.get_by_label("One person: keep P-KAY and merge P-KAY2 into it").check()
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_role("heading", name="P-KAY2 merged into P-KAY")).to_be_visible()
    shot("merged")
    assert axe(page.url, state) == []
    db.session.expire_all()
    record = db.session.scalar(select(m.AsbRecord).where(m.AsbRecord.asb_ref == "A-2"))
    assert record.person.person_ref == "P-KAY"
    page.get_by_role("button", name="Undo this merge").click()
    page.wait_for_url("**/matching/duplicates")
    expect(page.get_by_text("The merge was undone: P-KAY2 is a person of their own again")
           ).to_be_visible()
    shot("undone")
    db.session.expire_all()
    record = db.session.scalar(select(m.AsbRecord).where(m.AsbRecord.asb_ref == "A-2"))
    assert record.person.person_ref == "P-KAY2"
