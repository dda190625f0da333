"""Referrals between agencies (docs/partners.md): sent from the family's page, answered by the
organisation referred to, overdue on both task lists, counted in the substance misuse
measure, in the timeline, history, audit log and subject access export."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from casework import access, clock, episodes
from casework import models as m
from casework.caseloads.service import allocate
from casework.evaluation import figures
from casework.extensions import db
from casework.partners import service as taf
from casework.referrals import service

from .conftest import login, post_form
from .factories import create_family, create_organisation, create_person, create_user
from .htmltables import table
from .parsed import Page, parse

TODAY = clock.today()


def _date(d: dt.date) -> list[str]:
    return [str(d.day), str(d.month), str(d.year)]


@pytest.fixture
def case(app):
    lead = create_user("team_lead", team="North", name="Priya Shah")
    worker = create_user("worker", team="North", name="Sam Patel")
    family = create_family("R1", family_name="Roberts")
    create_person(family, "R1-C", born=dt.date(2014, 3, 1), given_name="Casey",
                  family_name="Roberts")
    create_person(family, "R1-T", born=dt.date(2011, 5, 1), given_name="Taylor",
                  family_name="Roberts")
    other = create_family("R2", family_name="Other")
    db.session.commit()
    episodes.sign_up(family, TODAY - dt.timedelta(days=90), lead, "test", consent_by="Parent")
    db.session.commit()
    allocate(family, worker, TODAY - dt.timedelta(days=90), lead)
    taf.record_consent(family, TODAY - dt.timedelta(days=90), "Parent", worker)
    school = create_organisation("Fant Primary School", "school")
    yos = create_organisation("Kent Youth Offending Service", "youth_offending")
    teacher = create_user("partner", organisation=school, name="Jo Teacher")
    colleague = create_user("partner", organisation=school, name="Al Colleague")
    officer = create_user("partner", organisation=yos, name="Yas Officer")
    return {"lead": lead, "worker": worker, "family": family, "other": other,
            "school": school, "yos": yos, "teacher": teacher, "colleague": colleague,
            "officer": officer}


def _send(case, *, organisation=None, practitioner=None, kind="education", person_ref="R1-C",
          due_on=None, family=None):
    return service.send(
        family or case["family"], case["worker"],
        organisation_id=(organisation or case["school"]).id,
        practitioner_id=practitioner.id if practitioner else None, person_ref=person_ref,
        kind=kind, reason="Attendance below 80%", may_share="Name, school terms",
        due_on=due_on or TODAY + dt.timedelta(days=14))


def _errors(html: str) -> list[str]:
    return Page(html).errors


def test_a_worker_sends_a_referral_from_the_familys_page(client, case):
    login(client, case["worker"].email)
    page = parse(client.get("/families/R1").text)
    assert page.find_all("a", href="/families/R1/referrals/new")
    bad = post_form(client, "/families/R1/referrals/new", {
        "organisation": "0", "person_ref": "R1-C", "kind": "", "reason": " ",
        "may_share": "", "due_on": _date(TODAY - dt.timedelta(days=1))})
    errors = _errors(bad.text)  # every problem at once, one error each
    starts = ("Select the organisation", "Select the need", "Enter the reason",
              "Say what may be shared", "The due date must be today or later")
    assert len(errors) == len(starts)
    for words in starts:
        assert len([e for e in errors if e.startswith(words)]) == 1, (words, errors)
    assert db.session.scalar(select(m.Referral.id)) is None
    sent = post_form(client, "/families/R1/referrals/new", {
        "organisation": str(case["school"].id), "practitioner": str(case["teacher"].id),
        "person_ref": "R1-C", "kind": "education", "reason": "Attendance below 80%",
        "may_share": "Name, date of birth, school terms", "due_on": _date(TODAY)})
    assert sent.status_code == 302
    referral = db.session.scalar(select(m.Referral))
    assert (referral.organisation_id, referral.practitioner_id, referral.status,
            referral.referred_on, referral.due_on) == (
        case["school"].id, case["teacher"].id, "made", TODAY, TODAY)
    rows = table(client.get("/families/R1").text, id="referrals-table")
    assert rows[0]["To"] == "Fant Primary School, Jo Teacher"
    assert rows[0]["Need"] == "School attendance and education (R1-C)"
    history = db.session.scalar(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "referral"))
    assert history.family_ref == "R1" and history.after["organisation"] == "Fant Primary School"
    event = db.session.scalar(select(m.AuditEvent).where(m.AuditEvent.object_type == "referral",
                                                         m.AuditEvent.action == "create"))
    assert event.object_ref == f"R1/{referral.id}"


def test_a_practitioner_of_another_family_or_a_manager_cannot_send(client, case):
    practitioner = case["teacher"]
    login(client, practitioner.email)
    assert client.get("/families/R1/referrals/new").status_code == 403
    other = app_client(client)
    login(other, create_user("worker", team="South").email)
    assert other.get("/families/R1/referrals/new").status_code == 404


def app_client(client):
    return client.application.test_client()


def test_the_school_accepts_and_records_the_outcome_and_the_timeline_shows_it(client, case):
    referral = _send(case)
    login(client, case["teacher"].email)
    listed = table(client.get("/referrals").text, id="referrals")
    assert [r["Family"] for r in listed] == ["Roberts (R1)"]
    page = client.get(f"/referrals/{referral.id}")
    assert page.status_code == 200 and "Attendance below 80%" in parse(page.text).text()
    accepted = post_form(client, f"/referrals/{referral.id}/accept", {},
                         page_url=f"/referrals/{referral.id}")
    assert accepted.status_code == 302
    db.session.refresh(referral)
    assert (referral.status, referral.decided_by_id, referral.practitioner_id) == (
        "accepted", case["teacher"].id, case["teacher"].id)
    again = post_form(client, f"/referrals/{referral.id}/accept", {},
                      page_url=f"/referrals/{referral.id}")
    assert again.status_code == 400 and _errors(again.text) == ["The referral is already accepted"]
    empty = post_form(client, f"/referrals/{referral.id}/outcome", {"outcome": " "},
                      page_url=f"/referrals/{referral.id}")
    assert empty.status_code == 400 and _errors(empty.text) == ["Enter the referral's outcome"]
    done = post_form(client, f"/referrals/{referral.id}/outcome",
                     {"outcome": "Attendance plan agreed with the school"},
                     page_url=f"/referrals/{referral.id}")
    assert done.status_code == 302
    db.session.refresh(referral)
    assert referral.status == "completed" and referral.status_on == TODAY
    changes = db.session.scalars(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "referral").order_by(m.RecordHistory.id)).all()
    assert [c.source for c in changes] == ["referred to Fant Primary School",
                                           "referral accepted", "referral outcome recorded"]
    staff = app_client(client)
    login(staff, case["worker"].email)
    timeline = parse(staff.get("/families/R1/timeline").text).text()
    assert "Referred to Fant Primary School (school attendance and education)" in timeline
    assert "Referral to Fant Primary School accepted by Jo Teacher" in timeline
    assert "Referral to Fant Primary School completed: Attendance plan agreed" in timeline


def test_declining_needs_a_reason(client, case):
    referral = _send(case)
    login(client, case["teacher"].email)
    refused = post_form(client, f"/referrals/{referral.id}/decline", {"decline_reason": ""},
                        page_url=f"/referrals/{referral.id}")
    assert refused.status_code == 400
    assert _errors(refused.text) == ["Enter the reason the referral is declined"]
    db.session.refresh(referral)
    assert referral.status == "made"
    post_form(client, f"/referrals/{referral.id}/decline",
              {"decline_reason": "Not on our roll"}, page_url=f"/referrals/{referral.id}")
    db.session.refresh(referral)
    assert (referral.status, referral.decline_reason) == ("declined", "Not on our roll")


def test_another_organisation_or_practitioner_gets_the_same_404_as_for_none(client, case):
    to_school = _send(case)
    named = _send(case, practitioner=case["teacher"])
    login(client, case["officer"].email)
    missing = client.get("/referrals/999999")
    assert missing.status_code == 404
    for referral in (to_school, named):
        guessed = client.get(f"/referrals/{referral.id}")
        assert guessed.status_code == 404 and parse(guessed.text).text() == parse(missing.text).text()
        assert post_form(client, f"/referrals/{referral.id}/accept", {},
                         page_url="/referrals").status_code == 404
    listed = Page(client.get("/referrals").text)
    assert listed.paragraphs()[-1] == "No referrals." and listed.tables == []
    colleague = app_client(client)
    login(colleague, case["colleague"].email)
    assert colleague.get(f"/referrals/{to_school.id}").status_code == 200
    assert colleague.get(f"/referrals/{named.id}").status_code == 404  # named for Jo only
    staff = app_client(client)
    login(staff, create_user("worker", team="South").email)
    assert staff.get(f"/referrals/{to_school.id}").status_code == 404
    assert db.session.get(m.Referral, to_school.id).status == "made"


@pytest.mark.parametrize("due, overdue", [
    (TODAY - dt.timedelta(days=1), True),   # due yesterday: overdue today
    (TODAY, False),                          # due today
    (TODAY + dt.timedelta(days=1), False),   # due tomorrow
])
def test_an_open_referral_past_its_due_date_is_on_both_task_lists(client, case, due, overdue):
    referral = _send(case)
    db.session.execute(m.Referral.__table__.update().values(due_on=due))
    db.session.commit()
    for user in (case["worker"], case["teacher"]):
        assert (service.overdue(user, TODAY) == [db.session.get(m.Referral, referral.id)]) is overdue
    assert service.overdue(case["officer"], TODAY) == []
    login(client, case["worker"].email)
    tasks = parse(client.get("/").text).find_all(id="referrals-overdue")[0].text()
    assert tasks == f"Referrals overdue ({1 if overdue else 0})"


def test_a_referral_of_a_case_since_closed_leaves_both_task_lists(client, case):
    """Once the family's case closes the organisation no longer sees the referral, so it
    waits for nobody: neither the sender's nor the receiver's task list shows it, nor after
    the family signs up again (it is the closed episode's)."""
    from casework.caseloads.service import close

    referral = _send(case)
    db.session.execute(m.Referral.__table__.update().values(due_on=TODAY - dt.timedelta(days=1)))
    db.session.commit()
    assert [r.id for r in service.overdue(case["worker"], TODAY)] == [referral.id]
    close(case["family"], TODAY, case["lead"], "Outcomes met", next(iter(m.CLOSURE_OUTCOMES)))
    db.session.commit()
    for user in (case["worker"], case["teacher"]):
        assert service.overdue(user, TODAY) == []
    login(client, case["worker"].email)
    tasks = parse(client.get("/").text).find_all(id="referrals-overdue")[0].text()
    assert tasks == "Referrals overdue (0)"
    # Signed up again with the same worker: the family is theirs again, the referral not.
    episodes.sign_up(case["family"], TODAY, case["lead"], "test", consent_by="Parent")
    db.session.commit()
    allocate(case["family"], case["worker"], TODAY, case["lead"])
    db.session.commit()
    assert service.overdue(case["worker"], TODAY) == []


def test_a_referral_with_an_outcome_is_not_overdue(case):
    referral = _send(case)
    referral.status, referral.due_on = "completed", TODAY - dt.timedelta(days=10)
    db.session.commit()
    assert service.overdue(case["worker"], TODAY) == []


def test_substance_misuse_referrals_count_in_the_programmes_measure(client, case):
    manager = create_user("manager")
    _send(case, kind="substance_misuse", person_ref="R1-T", organisation=case["yos"])
    _send(case, kind="education")
    sc = figures.scope(manager, as_of=TODAY)
    counts = figures.substance_misuse_referrals(sc, TODAY - dt.timedelta(days=1), TODAY)
    assert counts == {"before": 0, "after": 1, "in_period": 1}


def test_the_subject_access_export_includes_referrals(client, case):
    _send(case)
    login(client, create_user("manager").email)
    data = json.loads(client.get("/families/R1/export.json").data)
    text = json.dumps(data)
    assert "Attendance below 80%" in text and "Name, school terms" in text


def test_accepting_puts_the_practitioner_in_the_familys_team(case):
    referral = _send(case)
    assert db.session.scalar(access.visible_families(case["teacher"]).where(
        m.Family.family_ref == "R1")) is None  # not in the team before accepting
    service.accept(referral, case["teacher"], TODAY)
    members = access.taf_members_now(case["family"], TODAY)
    assert [(mb.user_id, mb.from_on) for mb in members] == [(case["teacher"].id, TODAY)]
    assert db.session.scalar(access.visible_families(case["teacher"]).where(
        m.Family.family_ref == "R1")) is not None
    # Accepting a second referral to someone already in the team adds nobody.
    second = _send(case, practitioner=case["teacher"])
    service.accept(second, case["teacher"], TODAY)
    assert len(access.taf_members_now(case["family"], TODAY)) == 1


def test_withdrawn_consent_hides_the_referral_on_the_next_request(client, case):
    referral = _send(case)
    login(client, case["teacher"].email)
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    taf.withdraw_consent(case["family"], TODAY, "Changed their mind", case["worker"])
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    listed = Page(client.get("/referrals").text)
    assert listed.paragraphs()[-1] == "No referrals." and listed.tables == []
    assert service.overdue(case["teacher"], TODAY + dt.timedelta(days=30)) == []



def test_a_new_episode_lists_only_its_own_referrals_the_last_ones_on_the_episode_history(
        client, case):
    """Referrals belong to an episode: a family that signs up again starts with none of the
    last episode's on its page, its plan or its organisations' lists; they stay on the
    episode history (and the timeline)."""
    from casework.caseloads.service import close

    family, worker, lead = case["family"], case["worker"], case["lead"]
    first = episodes.open_episode_of(family.id)
    old = _send(case, organisation=case["yos"], kind="offending", person_ref="R1-T")
    assert old.episode_id == first.id
    close(family, TODAY - dt.timedelta(days=10), lead, "Outcomes met",
          next(iter(m.CLOSURE_OUTCOMES)))
    db.session.commit()
    # Noted while the family has no open episode: the next episode's, once it signs up.
    between = m.Referral(family_id=family.id, kind="housing", agency="Housing options",
                         referred_on=TODAY - dt.timedelta(days=8), created_by_id=worker.id)
    db.session.add(between)
    db.session.commit()
    assert between.episode_id is None
    second = episodes.sign_up(family, TODAY - dt.timedelta(days=5), lead, "test",
                              consent_by="Parent")
    db.session.commit()
    allocate(family, worker, TODAY - dt.timedelta(days=5), lead)
    taf.record_consent(family, TODAY - dt.timedelta(days=5), "Parent", worker)
    db.session.commit()
    db.session.refresh(between)
    assert between.episode_id == second.id
    new = _send(case)
    assert new.episode_id == second.id

    login(client, worker.email)
    page = parse(client.get("/families/R1").text)
    rows = table(client.get("/families/R1").text, id="referrals-table")
    # The page's one list: the one sent this episode and the one noted between episodes.
    assert [(r["To"], r["How"]) for r in rows] == [("Fant Primary School", "Sent through casework"),
                                                   ("Housing options", "Noted on the plan")]
    # The earlier episode's referral is under its heading in the episode history.
    heading = page.by_id(f"episode-{first.id}-referrals")
    assert heading.text().startswith("Referrals of the ")
    siblings = [n for n in heading.parent.children if isinstance(n, type(heading))]
    listed = siblings[siblings.index(heading) + 1]
    assert [li.text() for li in listed.find_all("li")] == [
        f"{service.govdate(TODAY)}: Kent Youth Offending Service (offending and anti-social "
        "behaviour, R1-T), made"]
    earlier = service.of_earlier_episodes(family)
    assert [(e.id, [r.id for r in rs]) for e, rs in earlier] == [(first.id, [old.id])]
    # The plan lists the new episode's referrals (the one noted between episodes too).
    from casework.casefile.service import referrals as plan_referrals

    assert {r.id for r in plan_referrals(family, current_only=True)} == {new.id, between.id}
    assert {r.id for r in plan_referrals(family)} == {new.id, between.id, old.id}
    # The youth offending service no longer sees the closed episode's referral.
    officer = app_client(client)
    login(officer, case["officer"].email)
    assert officer.get(f"/referrals/{old.id}").status_code == 404


# One list of referrals: the plan and the family page, sent and noted, labelled and linked -------


def test_the_plan_and_the_family_page_show_one_list_of_sent_and_noted_referrals(client, case):
    sent = _send(case)
    login(client, case["worker"].email)
    noted = post_form(client, "/families/R1/plan", {
        "referral-kind": "substance_misuse", "referral-agency": "CGL Kent",
        "referral-person_ref": "", "referral-referred_on": _date(TODAY),
        "referral-status": "made", "referral-save_referral": "1"})
    assert noted.status_code == 302
    plan = Page(client.get("/families/R1/plan").text)
    rows = plan.table("Referrals").rows
    assert sorted((r["To"], r["How"]) for r in rows) == [
        ("CGL Kent (substance misuse)", "Noted on the plan"),
        ("Fant Primary School (school attendance and education)", "Sent through casework")]
    # The sent one links to its page, where the partner answers it; its status is theirs.
    link = plan.main.by_id("plan-referrals").find("a")
    assert (link.text(), link.attrs["href"]) == ("Fant Primary School", f"/referrals/{sent.id}")
    assert plan.main.by_id(f"referral-status-{sent.id}") is None
    assert plan.main.find("select", name="status") is not None  # the noted one's
    family = Page(client.get("/families/R1").text)
    listed = family.table("Referrals, latest first").rows
    assert sorted((r["To"], r["How"]) for r in listed) == [
        ("CGL Kent", "Noted on the plan"), ("Fant Primary School", "Sent through casework")]
    refused = post_form(client, f"/families/R1/plan/referrals/{sent.id}",
                        {"status": "completed", "save_status": "1"}, page_url="/families/R1/plan")
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(m.Referral, sent.id).status == "made"
