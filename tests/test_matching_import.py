"""`casework import KIND FILE --match`: linked rows imported as if they named the person,
rows for review waiting with nothing imported until a person decides, decisions
remembered, and the file all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from casework import models as m
from casework.extensions import db
from casework.matching import reviews

from .factories import create_user
from .matching_data import load_register

ASB = """asb_ref,person_ref,given_name,family_name,date_of_birth,postcode,sex,date,kind
A1,,Kayleigh,Smith-Jones,2010-03-04,ME15 7AB,f,2013-01-05,incident
A2,,Bill,Turner,1980-05-06,ME14 2CD,m,2013-02-05,incident
A3,,Jack,Taylor,2012-02-02,ME14 1AA,m,2013-03-05,incident
A4,,Zebedee,Quux,1999-01-01,TN1 1AA,m,2013-04-05,incident
A5,P-AMY,,,,,,2013-05-05,asbo
"""
SUMMARY = "asb: 3 created, 0 updated, 0 unchanged, 2 linked, 1 for review, 1 unmatched"


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def person_of(asb_ref):
    return db.session.scalar(
        select(m.Person.person_ref).join(m.AsbRecord, m.AsbRecord.person_id == m.Person.id)
        .where(m.AsbRecord.asb_ref == asb_ref))


@pytest.fixture
def register(app):
    load_register()


@pytest.fixture
def asb_file(tmp_path):
    path = tmp_path / "asb.csv"
    path.write_text(ASB)
    return path


def test_linked_rows_are_imported_with_their_person_and_the_others_wait_or_are_named(
        cli, register, asb_file):
    result = cli("import", "asb", asb_file, "--match")
    assert result.exit_code == 0, result.output
    assert SUMMARY in result.output
    assert f"{asb_file}:5: not matched to anyone, not imported" in result.output
    assert [person_of(r) for r in ("A1", "A2", "A5")] == ["P-KAY", "P-BILL", "P-AMY"]
    assert count(m.AsbRecord, m.AsbRecord.asb_ref.in_(["A3", "A4"])) == 0
    review = db.session.scalar(select(m.MatchReview))
    assert (review.record_key, review.status, review.line) == ("A3", "waiting", 4)
    assert {c["person_ref"] for c in review.candidates} == {"P-JACK1", "P-JACK2"}
    assert all(c["waterfall"] for c in review.candidates)
    model = db.session.scalar(select(m.MatchModel))
    links = db.session.scalars(select(m.MatchLink).order_by(m.MatchLink.record_key)).all()
    assert [(link.record_key, link.model_id) for link in links] == [("A1", model.id),
                                                                   ("A2", model.id)]
    assert all(link.match_probability >= 0.99 for link in links)


def test_importing_the_same_file_again_asks_nothing_twice(cli, register, asb_file):
    cli("import", "asb", asb_file, "--match")
    result = cli("import", "asb", asb_file, "--match")
    assert result.exit_code == 0, result.output
    assert ("asb: 0 created, 0 updated, 3 unchanged, 2 linked, 1 for review, 1 unmatched"
            in result.output)
    assert count(m.MatchReview) == 1
    assert count(m.MatchLink) == 2
    assert count(m.MatchModel) == 1


def test_one_bad_linked_row_writes_nothing_at_all_and_is_named_by_its_own_line(
        cli, register, tmp_path):
    path = tmp_path / "asb.csv"
    path.write_text(ASB + "A6,,Amy,Brown,2011-07-08,ME15 9EF,f,2013-02-30,incident\n")
    result = cli("import", "asb", path, "--match")
    assert result.exit_code == 1
    assert f"{path}:7: date: '2013-02-30' is not a real date" in result.output
    assert [count(x) for x in (m.AsbRecord, m.MatchReview, m.MatchLink, m.MatchModel)] == [
        0, 0, 0, 0]


def test_a_bad_row_for_review_is_refused_too(cli, register, tmp_path):
    path = tmp_path / "asb.csv"
    path.write_text(ASB.replace("2013-03-05,incident", "2013-03-05,mischief"))
    result = cli("import", "asb", path, "--match")
    assert result.exit_code == 1
    assert f"{path}:4: kind: 'mischief' is not one of" in result.output
    assert count(m.AsbRecord) == 0 and count(m.MatchReview) == 0


def test_a_row_that_describes_nobody_properly_is_named(cli, register, tmp_path):
    path = tmp_path / "asb.csv"
    path.write_text(ASB.replace("A2,,Bill,Turner,1980-05-06", "A2,,Bill,,1980-05-32"))
    result = cli("import", "asb", path, "--match")
    assert result.exit_code == 1
    assert f"{path}:3: family_name: is required" in result.output
    assert f"{path}:3: date_of_birth: '1980-05-32' is not a real date" in result.output
    assert count(m.AsbRecord) == 0


def test_without_match_a_row_without_person_ref_is_refused_as_before(cli, register, asb_file):
    result = cli("import", "asb", asb_file)
    assert result.exit_code == 1
    assert f"{asb_file}:2: person_ref: give person_ref or family_ref (or both)" in result.output


def test_accepting_imports_the_waiting_row_and_is_remembered(cli, register, asb_file):
    cli("import", "asb", asb_file, "--match")
    manager = create_user("manager")
    review = db.session.scalar(select(m.MatchReview))
    jack1 = next(c["person_id"] for c in review.candidates if c["person_ref"] == "P-JACK1")
    summary, others = reviews.accept(review, jack1, manager)
    assert others == 0
    assert summary.created == 1
    assert person_of("A3") == "P-JACK1"
    review = db.session.scalar(select(m.MatchReview))
    assert (review.status, review.decided_by_id, review.person_id) == ("accepted", manager.id,
                                                                       jack1)
    assert review.decided_at is not None
    link = db.session.scalar(select(m.MatchLink).where(m.MatchLink.record_key == "A3"))
    assert (link.review_id, link.model_id, link.linked_by_id) == (review.id, review.model_id,
                                                                   manager.id)
    event = db.session.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "accept"))
    assert event.user_id == manager.id
    assert f"matching model version {review.model_id}" in event.detail
    # The same described person in the next file is linked as decided, not asked again.
    result = cli("import", "asb", asb_file, "--match")
    assert "3 linked, 0 for review, 1 unmatched" in result.output
    assert count(m.MatchReview) == 1


def test_a_decided_row_cannot_be_decided_again(register, cli, asb_file):
    cli("import", "asb", asb_file, "--match")
    manager = create_user("manager")
    review = db.session.scalar(select(m.MatchReview))
    reviews.reject(review, manager)
    with pytest.raises(reviews.ReviewRefused, match="already rejected"):
        reviews.accept(review, review.candidates[0]["person_id"], manager)


def test_rejecting_imports_nothing_and_the_rejected_people_are_not_proposed_again(
        cli, register, asb_file):
    cli("import", "asb", asb_file, "--match")
    manager = create_user("manager")
    review = db.session.scalar(select(m.MatchReview))
    reviews.reject(review, manager)
    assert count(m.AsbRecord, m.AsbRecord.asb_ref == "A3") == 0
    assert db.session.scalar(select(m.MatchReview)).status == "rejected"
    result = cli("import", "asb", asb_file, "--match")
    assert "2 linked, 0 for review, 2 unmatched" in result.output
    assert count(m.MatchReview) == 1
    assert count(m.AsbRecord, m.AsbRecord.asb_ref == "A3") == 0


def test_a_file_whose_rows_all_wait_imports_nothing_and_says_so(cli, register, tmp_path):
    path = tmp_path / "offences.csv"
    path.write_text("offence_ref,given_name,family_name,date_of_birth,offence_date,proven\n"
                    "O1,Jack,Taylor,2012-02-02,2013-01-01,y\n")
    result = cli("import", "offences", path, "--match")
    assert result.exit_code == 0, result.output
    assert ("offences: 0 created, 0 updated, 0 unchanged, 0 linked, 1 for review, 0 unmatched"
            in result.output)
    assert count(m.Offence) == 0


def test_match_is_refused_for_kinds_that_do_not_name_people(cli, register, asb_file):
    result = cli("import", "families", asb_file, "--match")
    assert result.exit_code == 1
    assert "--match is for the evidence kinds" in result.output


def test_deciding_one_row_settles_the_others_waiting_about_the_same_person(
        cli, register, tmp_path):
    path = tmp_path / "asb.csv"
    path.write_text(ASB + "A7,,Jack,Taylor,2012-02-02,ME14 1AA,m,2013-06-05,housing\n")
    assert "2 for review" in cli("import", "asb", path, "--match").output
    first, second = db.session.scalars(select(m.MatchReview).order_by(m.MatchReview.id))
    jack1 = next(c["person_id"] for c in first.candidates if c["person_ref"] == "P-JACK1")
    _summary, others = reviews.accept(first, jack1, create_user("manager"))
    assert others == 1
    assert person_of("A3") == person_of("A7") == "P-JACK1"
    assert db.session.get(m.MatchReview, second.id).status == "accepted"
    assert reviews.waiting_reviews() == []


def test_rejecting_one_row_rejects_the_others_with_the_same_candidates(cli, register, tmp_path):
    path = tmp_path / "asb.csv"
    path.write_text(ASB + "A7,,Jack,Taylor,2012-02-02,ME14 1AA,m,2013-06-05,housing\n")
    cli("import", "asb", path, "--match")
    first = db.session.scalar(select(m.MatchReview).order_by(m.MatchReview.id))
    assert reviews.reject(first, create_user("manager")) == 1
    assert reviews.waiting_reviews() == []
    assert count(m.AsbRecord, m.AsbRecord.asb_ref.in_(["A3", "A7"])) == 0
