"""The Team Around the Family: who of the partners sees a family and when (boundary dates),
what their sharing level shows, consent, the lead professional for a period, meetings and
actions, and the same 404 for what is not theirs."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casework import access, clock
from casework import models as m
from casework.caseloads.service import allocate, close
from casework.extensions import db
from casework.partners import service as taf

from .conftest import PASSWORD, login, post_form
from .factories import create_organisation, create_user
from .parsed import Page, parse

D = dt.date(2013, 3, 1)
DAY = dt.timedelta(days=1)


def family(ref):
    return db.session.scalar(select(m.Family).where(m.Family.family_ref == ref))


@pytest.fixture
def table(app, client, examples):
    """E01 allocated to a FIP worker; a school's and the police's practitioners; a manager."""
    examples()
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    allocate(family("E01"), worker, dt.date(2012, 7, 16), lead)
    school = create_organisation("Fant Primary School", "school")
    police = create_organisation("Kent Police", "police")
    db.session.commit()
    return {"lead": lead, "worker": worker, "manager": create_user("manager"),
            "teacher": create_user("partner", organisation=school, name="Tess Teacher"),
            "officer": create_user("partner", organisation=police, name="Owen Officer")}


def sees(user, ref, on):
    return db.session.scalar(access.visible_families(user, on=on).where(
        m.Family.family_ref == ref)) is not None


def _client(app, user):
    client = app.test_client()
    assert login(client, user.email, PASSWORD).status_code == 302
    return client


# Who sees the family, and when ---------------------------------------------------------------


def test_a_member_sees_the_family_from_their_first_day_to_their_last(table):
    e01, manager, teacher = family("E01"), table["manager"], table["teacher"]
    taf.record_consent(e01, dt.date(2012, 8, 1), "Parent", manager)
    member = taf.add_member(e01, teacher.id, D, None, manager)
    assert [sees(teacher, "E01", D - DAY), sees(teacher, "E01", D),
            sees(teacher, "E01", D + DAY)] == [False, True, True]
    taf.end_member(e01, member, D + 10 * DAY, manager)
    assert [sees(teacher, "E01", D + 9 * DAY), sees(teacher, "E01", D + 10 * DAY),
            sees(teacher, "E01", D + 11 * DAY)] == [True, True, False]
    assert not sees(teacher, "E02", D)  # a family whose team they are not in


def test_consent_given_and_withdrawn_on_a_date(table):
    e01, manager, teacher = family("E01"), table["manager"], table["teacher"]
    taf.add_member(e01, teacher.id, dt.date(2012, 8, 1), None, manager)
    assert not sees(teacher, "E01", D)  # a member, but no consent recorded
    taf.record_consent(e01, D, "Parent", manager)
    assert [sees(teacher, "E01", D - DAY), sees(teacher, "E01", D)] == [False, True]
    taf.withdraw_consent(e01, D + 5 * DAY, "Changed their mind", manager)
    assert [sees(teacher, "E01", D + 4 * DAY), sees(teacher, "E01", D + 5 * DAY),
            sees(teacher, "E01", D + 6 * DAY)] == [True, False, False]
    history = db.session.scalars(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "sharing_consent").order_by(m.RecordHistory.id)).all()
    assert [h.source for h in history] == ["consent to share recorded", "consent to share withdrawn"]
    assert history[1].after == {"withdrawn_on": (D + 5 * DAY).isoformat(),
                                "withdrawn_note": "Changed their mind"}


def test_a_closed_episode_ends_the_partners_access_on_the_next_request(app, table):
    e01, manager, teacher = family("E01"), table["manager"], table["teacher"]
    today = clock.today()
    taf.add_member(e01, teacher.id, dt.date(2012, 8, 1), None, manager)
    taf.record_consent(e01, dt.date(2012, 8, 1), "Parent", manager)
    client = _client(app, teacher)
    assert client.get("/families/E01").status_code == 200
    close(e01, today, table["lead"], "Moved away", "moved_away")
    assert client.get("/families/E01").status_code == 404


def test_consent_withdrawn_mid_session_takes_effect_on_the_next_request(app, table):
    e01, worker, teacher = family("E01"), table["worker"], table["teacher"]
    taf.add_member(e01, teacher.id, dt.date(2012, 8, 1), None, worker)
    staff = _client(app, worker)
    post_form(staff, "/families/E01/consent", {"given_on": ["1", "8", "2012"], "given_by": "Mum"},
              page_url="/families/E01/team")
    partner = _client(app, teacher)
    assert partner.get("/families/E01").status_code == 200
    today = clock.today()
    response = post_form(staff, "/families/E01/consent/withdraw",
                         {"withdrawn_on": [str(today.day), str(today.month), str(today.year)],
                          "withdrawn_note": ""}, page_url="/families/E01/team")
    assert response.status_code == 302
    assert partner.get("/families/E01").status_code == 404
    assert partner.get("/families").status_code == 200
    home = parse(partner.get("/partner").text)
    assert home.by_id("families") is None


def test_sign_up_consent_is_offered_and_consent_needs_an_open_episode(app, table):
    e01, manager = family("E01"), table["manager"]
    episode = access_open_episode(e01)
    episode.consent_by = "Jo Taylor"
    db.session.commit()
    client = _client(app, manager)
    page = parse(client.get("/families/E01/team").text)
    given_by = page.find("input", name="given_by")
    assert given_by.attrs["value"] == "Jo Taylor"
    close(e01, clock.today(), table["lead"], "Moved", "moved_away")
    with pytest.raises(taf.TafRefused, match="has no open episode"):
        taf.record_consent(e01, dt.date(2012, 8, 1), "Jo Taylor", manager)


def access_open_episode(family_row):
    from casework.episodes import open_episode_of

    return open_episode_of(family_row.id)


# What each partner sees -----------------------------------------------------------------------


@pytest.fixture
def seated(table):
    """The teacher and the officer in E01's team under consent; a meeting the officer
    attended with an action each."""
    e01, manager = family("E01"), table["manager"]
    start = dt.date(2012, 8, 1)
    taf.record_consent(e01, start, "Parent", manager)
    teacher = taf.add_member(e01, table["teacher"].id, start, "Attendance officer", manager)
    officer = taf.add_member(e01, table["officer"].id, start, None, manager)
    worker = taf.add_member(e01, table["worker"].id, start, "FIP worker", manager)
    meeting = taf.add_meeting(e01, start, [officer.id, worker.id], "Weekly visits", [
        taf.NewAction("Check attendance weekly", teacher.id, dt.date(2030, 1, 1)),
        taf.NewAction("Visit the family", officer.id, dt.date(2030, 1, 1)),
        taf.NewAction("Ring the housing office", worker.id, dt.date(2012, 9, 1))], manager)
    db.session.add(m.PlanGoal(family_id=e01.id, problem="education", goal="Back to school"))
    db.session.commit()
    by_text = {a.action: a for a in meeting.actions}
    return {**table, "meeting": meeting, "actions": [by_text["Check attendance weekly"],
                                                     by_text["Visit the family"],
                                                     by_text["Ring the housing office"]]}


def _main(response):
    return parse(response.text).find("main").text()


def _sections(page):
    return {h.attrs.get("id") for h in page.find_all("h2") if h.attrs.get("id")}


def test_a_school_sees_the_childrens_education_and_its_actions_not_offences(app, seated):
    page = parse(_client(app, seated["teacher"]).get("/families/E01").text)
    assert _sections(page) == {"household", "education", "actions"}
    # E01's only school terms are Kim Jones's from 2011/12 and 2012/13, when she was ten: an
    # adult today, those are still a child's terms, the school's.
    terms = page.by_id("school-terms").table()
    assert terms[0][:2] == ["Child", "Term"]
    assert sorted(row[1] for row in terms[1:]) == sorted(
        f"{t} {y}" for y in ("2011/12", "2012/13") for t in ("Autumn", "Spring", "Summer"))
    assert {row[0] for row in terms[1:]} == {"Kim Jones"}
    actions = [li.find("a") or li.find("strong") for li in page.by_id("taf-actions").find_all("li")]
    assert [a.text() for a in actions] == ["Check attendance weekly"]
    text = page.find("main").text()
    assert "Visit the family" not in text and "Weekly visits" not in text
    assert page.by_id("offences") is None and page.by_id("work-spells") is None


def test_the_police_see_the_plan_and_the_meetings_they_attended_not_school_terms(app, seated):
    client = _client(app, seated["officer"])
    page = parse(client.get("/families/E01").text)
    assert _sections(page) == {"household", "plan", "actions", "meetings"}
    assert page.by_id("school-terms") is None
    assert [li.text() for li in page.by_id("goals").find_all("li")] == ["Back to school (Open)"]
    assert len(page.by_id("taf-actions").find_all("li")) == 3
    meeting = seated["meeting"]
    shown = parse(client.get(f"/families/E01/team/meetings/{meeting.id}").text)
    assert shown.by_id("decisions").text() == "Weekly visits"
    # The school's partner did not attend: the same 404 as a meeting that does not exist.
    teacher = _client(app, seated["teacher"])
    absent = teacher.get(f"/families/E01/team/meetings/{meeting.id}")
    missing = teacher.get("/families/E01/team/meetings/999999")
    assert absent.status_code == missing.status_code == 404
    assert _main(absent) == _main(missing)


def test_the_case_files_pages_are_the_lead_professionals(app, seated):
    client = _client(app, seated["officer"])
    assert client.get("/families/E01/timeline").status_code == 403
    assert client.get("/families/E01/plan").status_code == 403
    assert client.get("/families/E01/team").status_code == 403  # the staff's page


def test_guessing_another_familys_reference_or_action_is_the_same_404(app, seated):
    e02 = family("E02")
    taf.record_consent(e02, dt.date(2012, 8, 1), "Parent", seated["manager"])
    other = taf.add_member(e02, seated["worker"].id, dt.date(2012, 8, 1), None, seated["manager"])
    theirs = taf.add_action(e02, "Not yours", other.id, dt.date(2030, 1, 1), seated["manager"])
    db.session.commit()
    client = _client(app, seated["teacher"])
    guessed, missing = client.get("/families/E02"), client.get("/families/NOSUCH")
    assert guessed.status_code == missing.status_code == 404 and _main(guessed) == _main(missing)
    guessed = client.get(f"/taf/actions/{theirs.id}")
    missing = client.get("/taf/actions/99999999")
    assert guessed.status_code == missing.status_code == 404 and _main(guessed) == _main(missing)
    # Another organisation's action on their own family: not theirs to open either.
    officers = client.get(f"/taf/actions/{seated['actions'][1].id}")
    assert officers.status_code == 404 and _main(officers) == _main(missing)


def test_a_partner_completes_their_own_action_with_history(app, seated):
    mine = seated["actions"][0]
    client = _client(app, seated["teacher"])
    page = parse(client.get(f"/taf/actions/{mine.id}").text)
    assert page.find("h1").text() == "Check attendance weekly"
    back = page.find("a", cls="govuk-back-link")
    assert (back.text(), back.attrs["href"]) == ("Your families and actions", "/partner")
    blank = parse(post_form(client, f"/taf/actions/{mine.id}", {"done_note": " "}).text)
    assert [a.text() for a in blank.find(cls="govuk-error-summary").find_all("a")] == [
        "Enter what was done"]
    response = post_form(client, f"/taf/actions/{mine.id}", {"done_note": "Rang on Monday"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/partner")
    assert Page(client.get("/partner").text).banners == [
        f"Done: Check attendance weekly ({family('E01').family_name})."]
    db.session.refresh(mine)
    assert (mine.done_on, mine.done_note, mine.done_by_id) == (
        clock.today(), "Rang on Monday", seated["teacher"].id)
    row = db.session.scalars(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "taf_action",
        m.RecordHistory.record_ref == f"E01/{mine.id}").order_by(m.RecordHistory.id)).all()[-1]
    assert row.source == "action completed" and row.after["done_note"] == "Rang on Monday"
    audit = db.session.scalars(select(m.AuditEvent).where(
        m.AuditEvent.object_type == "taf_action", m.AuditEvent.action == "view")
        .order_by(m.AuditEvent.id)).all()
    assert audit and audit[0].user_id == seated["teacher"].id


def test_the_police_see_the_schools_action_but_cannot_complete_it(app, seated):
    schools = seated["actions"][0]
    client = _client(app, seated["officer"])
    page = parse(client.get(f"/taf/actions/{schools.id}").text)
    assert page.find("h1").text() == "Check attendance weekly"
    assert page.find("textarea", name="done_note") is None
    assert post_form(client, f"/taf/actions/{schools.id}", {"done_note": "x"},
                     page_url=f"/taf/actions/{seated['actions'][1].id}").status_code == 403


def test_overdue_actions_are_on_the_owners_task_list_and_home(app, seated):
    worker = _client(app, seated["worker"])
    tasks = parse(worker.get("/").text)
    heading = tasks.by_id("taf-overdue")
    assert heading.text() == "Team Around the Family actions overdue (1)"
    items = heading.parent.find_all("li", cls="app-task")
    assert "Ring the housing office" in [li.find("a").text() for li in items]
    # The teacher's action is due in 2030: on their page, not overdue.
    home = parse(_client(app, seated["teacher"]).get("/partner").text)
    mine = home.by_id("my-actions").find_all("li")
    assert [li.find("a").text() for li in mine] == ["Check attendance weekly"]
    assert mine[0].find(cls="govuk-tag") is None


def test_every_partner_page_is_audited(app, seated):
    client = _client(app, seated["teacher"])
    client.get("/families/E01")
    client.get("/partner")
    client.get(f"/taf/actions/{seated['actions'][0].id}")
    got = {(e.action, e.object_type, e.object_ref) for e in db.session.scalars(
        select(m.AuditEvent).where(m.AuditEvent.user_id == seated["teacher"].id))}
    assert {("view", "family", "E01"), ("view_list", "partner_home", None),
            ("view", "taf_action", f"E01/{seated['actions'][0].id}")} <= got


# The lead professional ------------------------------------------------------------------------


def test_a_partner_leads_for_a_period_and_sees_the_whole_case_file_only_then(app, seated):
    e01, teacher = family("E01"), seated["teacher"]
    lead = taf.set_lead(e01, teacher.id, D, D + 30 * DAY, None, seated["manager"])
    assert [access.shows(teacher, e01, "case_file", on) for on in (D - DAY, D, D + DAY)] == [
        False, True, True]
    assert [access.shows(teacher, e01, "case_file", on)
            for on in (D + 29 * DAY, D + 30 * DAY, D + 31 * DAY)] == [True, True, False]
    assert access.led_by(teacher, D) == [(e01, lead)]
    assert access.led_by(teacher, D + 31 * DAY) == []


def test_a_lead_partner_sees_the_full_family_page_and_their_home_lists_it(app, seated):
    e01, teacher = family("E01"), seated["teacher"]
    taf.set_lead(e01, teacher.id, dt.date(2012, 9, 1), None, None, seated["manager"])
    client = _client(app, teacher)
    page = parse(client.get("/families/E01").text)
    assert page.by_id("member-details") is not None  # the staff's page: the whole case file
    assert client.get("/families/E01/timeline").status_code == 200
    home = parse(client.get("/partner").text)
    assert [a.text() for a in home.by_id("led").find_all("a")] == ["Taylor household"]


def test_handing_over_ends_the_last_period_the_day_before_with_a_note(app, seated):
    e01, manager = family("E01"), seated["manager"]
    first = taf.set_lead(e01, seated["worker"].id, dt.date(2012, 9, 1), None, None, manager)
    with pytest.raises(taf.TafRefused) as refused:
        taf.set_lead(e01, seated["teacher"].id, D, None, "", manager)
    assert refused.value.problems == [("lead_note", "Enter the hand-over note")]
    second = taf.set_lead(e01, seated["teacher"].id, D, None, "School leads now", manager)
    db.session.refresh(first)
    assert first.to_on == D - DAY and second.note == "School leads now"
    assert access.current_lead(e01, D - DAY).user_id == seated["worker"].id
    assert access.current_lead(e01, D).user_id == seated["teacher"].id
    sources = [h.source for h in db.session.scalars(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "lead_professional").order_by(m.RecordHistory.id))]
    assert sources == ["lead professional named", "handed over", "lead professional named"]


def test_a_lead_must_be_in_the_team_and_the_caseload_limit_is_a_fip_workers(app, seated,
                                                                            monkeypatch):
    e01, manager = family("E01"), seated["manager"]
    outsider = create_user("partner", organisation=create_organisation("Housing Trust", "housing"))
    with pytest.raises(taf.TafRefused, match="is not in the Team Around the Family"):
        taf.set_lead(e01, outsider.id, D, None, None, manager)
    full = create_user("worker", team="North")
    taf.add_member(e01, full.id, dt.date(2012, 8, 1), None, manager)

    from casework.caseloads import service as caseloads

    real = caseloads.caseload

    def at_limit(worker, on=None):
        import dataclasses

        load = real(worker, on)
        return dataclasses.replace(load, active=load.max_active)

    monkeypatch.setattr(caseloads, "caseload", at_limit)
    with pytest.raises(taf.TafRefused, match="active families"):
        taf.set_lead(e01, full.id, D, None, None, manager)
    # A partner practitioner has no caseload limit.
    assert taf.set_lead(e01, seated["teacher"].id, D, None, None, manager).user_id == \
        seated["teacher"].id


# Recording the team ---------------------------------------------------------------------------


def test_the_fip_worker_keeps_the_team_on_its_page(app, seated):
    client = _client(app, seated["worker"])
    page = parse(client.get("/families/E01/team").text)
    rows = page.by_id("taf-members").table()
    assert [r[0] for r in rows[1:]] == ["Owen Officer", "Tess Teacher", seated["worker"].name]
    assert page.by_id("consent-status").text().startswith("Consent given on 1 August 2012")
    # Another team's worker may not keep it; nor see it.
    other = _client(app, create_user("worker", team="South"))
    assert other.get("/families/E01/team").status_code == 404


def test_a_meeting_with_bad_input_names_every_problem_and_saves_nothing(app, seated):
    client = _client(app, seated["worker"])
    before = db.session.scalar(select(db.func.count()).select_from(m.TafMeeting))
    page = parse(post_form(client, "/families/E01/team/meetings/new", {
        "held_on": ["31", "2", "2013"], "decisions": "", "action_1": "Do it", "owner_1": "0",
        "due_1": ["", "", ""]}).text)
    links = {a.attrs["href"]: a.text() for a in page.find(cls="govuk-error-summary").find_all("a")}
    assert links["#held_on"] == "Date of the meeting must be a real date"
    page = parse(post_form(client, "/families/E01/team/meetings/new", {
        "held_on": ["1", "3", "2013"], "decisions": "", "action_1": "Do it", "owner_1": "0",
        "due_1": ["", "", ""]}).text)
    links = [a.text() for a in page.find(cls="govuk-error-summary").find_all("a")]
    assert links == ["Select who attended", "Select who owns action 1",
                     "Enter the due date of action 1"]
    assert db.session.scalar(select(db.func.count()).select_from(m.TafMeeting)) == before


def test_adding_a_member_twice_is_refused_naming_the_field(app, seated):
    client = _client(app, seated["worker"])
    page = parse(post_form(client, "/families/E01/team/members", {
        "user": str(seated["teacher"].id), "role_note": "", "from_on": ["1", "3", "2013"]},
        page_url="/families/E01/team").text)
    link = page.find(cls="govuk-error-summary").find("a")
    assert link.attrs["href"] == "#user"
    assert link.text() == "Tess Teacher is already in the Team Around the Family on 1 March 2013"


def test_subject_access_holds_the_team_its_meetings_actions_and_their_history(app, seated):
    import json

    taf.set_lead(family("E01"), seated["teacher"].id, D, None, None, seated["manager"])
    db.session.commit()
    client = _client(app, seated["manager"])
    data = json.loads(client.get("/families/E01/export.json").text)
    assert [x["member"] for x in data["taf_members"]] == [
        "Tess Teacher", "Owen Officer", seated["worker"].name]
    assert data["sharing_consents"][0]["given_by"] == "Parent"
    assert data["taf_meetings"][0]["decisions"] == "Weekly visits"
    assert sorted(a["action"] for a in data["taf_actions"]) == [
        "Check attendance weekly", "Ring the housing office", "Visit the family"]
    assert data["lead_professionals"][0]["lead"] == "Tess Teacher"
    kinds = {h["record_type"] for h in data["history"]}
    assert {"taf_member", "sharing_consent", "taf_meeting", "taf_action",
            "lead_professional"} <= kinds
    person = json.loads(client.get("/people/P00002/export.json").text)
    assert len(person["taf_actions"]) == 3


# What each level shows of the household, and what a partner's search matches ---------------


def _with_a_child(seated):
    """E01's household (three adults today) with a ten-year-old added."""
    e01 = family("E01")
    born = clock.today().replace(year=clock.today().year - 10, day=1)
    db.session.add(m.Person(person_ref="P09001", family_id=e01.id, given_name="Ada",
                            family_name="Jones", date_of_birth=born))
    db.session.commit()
    return born


def _household(app, user):
    rows = parse(_client(app, user).get("/families/E01").text).by_id("people").table()
    assert rows[0] == ["Name", "Date of birth", "Age"]
    return {r[0]: r[1:] for r in rows[1:]}


def test_a_school_sees_the_children_in_full_and_the_adults_by_name_only(app, seated):
    born = _with_a_child(seated)
    from casework.rules.dates import govdate
    shown = _household(app, seated["teacher"])
    assert shown["Ada Jones"] == [govdate(born), "10"]
    assert shown["Lee Jones"] == ["Not shared", "Not shared"]
    assert shown["Casey Roberts"] == ["Not shared", "Not shared"]


def test_the_police_see_the_adults_in_full_and_the_children_by_name_and_age(app, seated):
    _with_a_child(seated)
    shown = _household(app, seated["officer"])
    assert shown["Ada Jones"] == ["Not shared", "10"]
    assert shown["Lee Jones"] == ["11 April 1983", str(access.age_on(dt.date(1983, 4, 11),
                                                                   clock.today()))]


@pytest.mark.parametrize("kind, child, adult", [
    ("school", {"name", "date_of_birth", "age"}, {"name"}),
    ("police", {"name", "age"}, {"name", "date_of_birth", "age"}),
    ("jobcentre_plus", {"name", "age"}, {"name", "date_of_birth", "age"}),
    ("health", {"name", "age"}, {"name", "age"}),
])
def test_each_sharing_level_shows_its_own_of_the_household(seated, kind, child, adult):
    e01, manager = family("E01"), seated["manager"]
    _with_a_child(seated)
    practitioner = create_user("partner", organisation=create_organisation(f"Org {kind}", kind))
    taf.add_member(e01, practitioner.id, dt.date(2012, 8, 1), None, manager)
    db.session.commit()
    people = list(db.session.scalars(select(m.Person).where(m.Person.family_id == e01.id)))
    shown = {x.name: x for x in access.household(practitioner, e01, people)}
    assert set(shown) == {p.full_name for p in people}

    def fields(x):
        return {f for f in ("name", "date_of_birth", "age") if getattr(x, f) is not None}

    assert fields(shown["Ada Jones"]) == child
    assert fields(shown["Lee Jones"]) == adult
    # The lead professional, whatever their organisation, and staff: everyone in full.
    for who in (seated["manager"], seated["worker"]):
        assert all(fields(x) == {"name", "date_of_birth", "age"}
                   for x in access.household(who, e01, people))


def test_a_child_becomes_an_adult_on_their_eighteenth_birthday(seated):
    e01 = family("E01")
    kim = db.session.scalar(select(m.Person).where(m.Person.person_ref == "P00003"))
    birthday = dt.date(2020, 1, 20)  # Kim Jones, born 20 January 2002
    teacher = seated["teacher"]

    def kims(on):
        return next(x for x in access.household(teacher, e01, [kim], on) if x.name == "Kim Jones")

    assert [kims(birthday - DAY).child, kims(birthday).child, kims(birthday + DAY).child] == [
        True, False, False]
    assert kims(birthday - DAY).date_of_birth == dt.date(2002, 1, 20)
    assert kims(birthday).date_of_birth is None


def _found(client, q):
    page = parse(client.get("/families", query_string={"q": q}).text)
    main = page.find("main")
    rows = [r[1] for r in main.find("table").table()[1:]] if main.find("table") else []
    return rows, main.find("p", **{"aria-live": "polite"}).text()


def test_a_partner_searches_their_families_only_by_what_their_level_shows(app, seated):
    client = _client(app, seated["teacher"])
    assert _found(client, "E01")[0] == ["E01"]
    assert _found(client, "taylor")[0] == ["E01"]
    assert _found(client, "Kim Jones")[0] == ["E01"]  # a member's name: the household's
    # Not by where the family lives, nor by a member's reference: their list shows neither.
    nothing = _found(client, "zzzz-nothing")
    assert nothing == ([], "No families found")
    assert _found(client, "ME15 6JQ") == nothing
    assert _found(client, "me156jq") == nothing
    assert _found(client, "P00003") == nothing
    # Staff search the postcode.
    assert "E01" in _found(_client(app, seated["manager"]), "ME15 6JQ")[0]


def test_a_partners_search_never_reveals_a_family_outside_their_team(app, seated):
    e02 = family("E02")
    client = _client(app, seated["teacher"])
    nothing = _found(client, "zzzz-nothing")
    assert _found(client, e02.family_ref) == nothing
    assert _found(client, e02.family_name) == nothing
    # Among their families and others alike: only theirs counted ("1 family", not more).
    assert _found(client, "household") == (["E01"], "Showing 1 to 1 of 1 family")


def test_each_members_end_form_has_inputs_of_its_own_and_ends_that_membership(app, seated):
    """WCAG 4.1.1 and 1.3.1: the team page repeats the "end membership" form, once a member;
    each form's ids are its own, each label points at its own form's input."""
    client = _client(app, seated["manager"])
    page = parse(client.get("/families/E01/team").text)
    ends = [f for f in page.find_all("form") if f.attrs["action"].endswith("/end")]
    assert len(ends) == 3  # the teacher, the officer and the worker
    ids = [n.attrs["id"] for n in page.iter() if "id" in n.attrs]
    assert sorted(set(ids)) == sorted(ids)
    for form in ends:
        own = {n.attrs["id"] for n in form.iter() if "id" in n.attrs}
        labels = [label.attrs["for"] for label in form.find_all("label")]
        assert labels and set(labels) <= own
    # The officer's form, posted as the browser does, ends the officer's membership only.
    officer = next(x for x in taf.team(family("E01"), dt.date(2013, 1, 1)).members
                   if x.user_id == seated["officer"].id)
    form = next(f for f in ends if f.attrs["action"].endswith(f"/members/{officer.id}/end"))
    fields = {n.attrs["name"]: n.attrs.get("value", "") for n in form.find_all("input")}
    prefix = f"member-{officer.id}-to_on"
    fields[prefix] = ["1", "3", "2013"]  # day, month, year: the three inputs share its name
    answer = client.post(form.attrs["action"], data=fields)
    assert answer.status_code == 302, parse(answer.text).find("main").text()[:600]
    db.session.expire_all()
    ended = {x.user_id: x.to_on for x in taf.team(family("E01"), dt.date(2013, 1, 1)).members}
    assert ended[seated["officer"].id] == dt.date(2013, 3, 1)
    assert ended[seated["teacher"].id] is None


def test_the_family_pages_history_names_the_teams_records_in_words(app, seated):
    """The family page's "Changes to these records" says which of the team's records changed
    as a user calls it ("Team Around the Family action E01/1"), not "Taf action"."""
    client = _client(app, seated["manager"])
    page = Page(client.get("/families/E01").text)
    records = page.table("Changes to these records").column("Record")
    kinds = {r.rsplit(" ", 1)[0] for r in records}
    assert {"Team Around the Family member", "Team Around the Family meeting",
            "Team Around the Family action", "Consent to share"} <= kinds
    assert not [r for r in records if r.startswith("Taf ") or r.startswith("Sharing consent")]
    action = seated["actions"][0]
    assert f"Team Around the Family action E01/{action.id}" in records


# Whose records each level shows: a school the children's school terms, never an adult's ------
# Each record is judged by its subject's age on its own dates (access.section_records), not
# today: a school keeps a pupil's terms once the pupil is grown up.


def _term(person_ref, year="2025/26", term="autumn"):
    person = db.session.scalar(select(m.Person).where(m.Person.person_ref == person_ref))
    db.session.add(m.SchoolTerm(person_id=person.id, academic_year=year, term=term,
                                sessions_possible=120, sessions_unauthorised=3,
                                fixed_exclusions=0, permanent_exclusion=False))


def _partner_in_team(seated, kind, name):
    practitioner = create_user("partner", organisation=create_organisation(f"Org {kind}", kind),
                               name=name)
    taf.add_member(family("E01"), practitioner.id, dt.date(2012, 8, 1), None, seated["manager"])
    db.session.commit()
    return practitioner


def _shown(user, section, model, on=None):
    """E01's records of `model` in the section that `user` sees on `on` (today)."""
    return list(db.session.scalars(access.section_records(user, family("E01"), section, model, on)))


def _terms_of(user, on=None):
    return sorted((t.person.person_ref, t.academic_year, t.term)
                  for t in _shown(user, "education", m.SchoolTerm, on))


def test_a_school_sees_the_terms_of_a_pupil_now_grown_up_not_an_adults_terms(app, seated):
    """Kim Jones (born 20 January 2002, an adult today) has terms from 2011/12 and 2012/13,
    when she was ten: the school sees them (the example family's pupils). A term that began
    after her 18th birthday (autumn 2020/21) and Lee Jones's term at 30 (born 1983) are an
    adult's: never the school's. Ada, ten, is a child today."""
    _with_a_child(seated)
    _term("P09001")
    _term("P00003", "2020/21", "autumn")
    _term("P00001", "2013/14", "autumn")
    db.session.commit()
    page = Page(_client(app, seated["teacher"]).get("/families/E01").text)
    terms = page.main.by_id("school-terms").table()
    assert terms[0][0] == "Child"
    shown = [(row[0], row[1]) for row in terms[1:]]
    assert sorted(shown) == sorted(
        [("Ada Jones", "Autumn 2025/26")]
        + [("Kim Jones", f"{t.capitalize()} {y}") for y in ("2011/12", "2012/13")
           for t in ("autumn", "spring", "summer")])
    # The FIP worker (staff) and a school practitioner who is the lead professional see all.
    staff = Page(_client(app, seated["worker"]).get("/families/E01").text)
    assert "Kim Jones" in staff.main.text()
    assert len(_terms_of(seated["teacher"])) == 7
    taf.set_lead(family("E01"), seated["teacher"].id, dt.date(2012, 8, 1), None, None,
                 seated["manager"])
    db.session.commit()
    assert len(_terms_of(seated["teacher"])) == 9


def _born(ref, born):
    db.session.add(m.Person(person_ref=ref, family_id=family("E01").id, given_name=ref,
                            family_name="Jones", date_of_birth=born))
    db.session.commit()


def test_a_term_is_a_childs_when_it_began_before_the_pupils_eighteenth_birthday(seated):
    """Autumn 2025/26 begins on 1 August 2025 (the day after summer ends, 31 July). Its pupil
    turning 18 the day after it began, on that day, or the day before: the school sees the
    first only, whatever day it looks (before their birthdays, on, or years later)."""
    start = dt.date(2025, 8, 1)
    for ref, eighteenth in (("B1", start + DAY), ("B2", start), ("B3", start - DAY)):
        _born(ref, eighteenth.replace(year=eighteenth.year - 18))
        _term(ref)
    db.session.commit()
    teacher = seated["teacher"]
    for on in (start - 2 * DAY, start, start + DAY, dt.date(2040, 1, 1)):
        assert [t[0] for t in _terms_of(teacher, on)
                if t[0].startswith("B")] == ["B1"], on
    # Spring 2025/26 begins on 1 January 2026: the 18th birthday the day after, on, before.
    spring = dt.date(2026, 1, 1)
    for ref, eighteenth in (("C1", spring + DAY), ("C2", spring), ("C3", spring - DAY)):
        _born(ref, eighteenth.replace(year=eighteenth.year - 18))
        _term(ref, "2025/26", "spring")
    db.session.commit()
    assert [t[0] for t in _terms_of(teacher) if t[0].startswith("C")] == ["C1"]


def test_a_29_february_birthday_turns_18_on_1_march(seated):
    """Born 29 February 2008: 18 on 1 March 2026 (age_on's rule), in SQL as in Python."""
    _born("F29", dt.date(2008, 2, 29))
    person = db.session.scalar(select(m.Person).where(m.Person.person_ref == "F29"))
    adviser = _partner_in_team(seated, "jobcentre_plus", "Jay Adviser")
    for n, ends in enumerate((dt.date(2026, 2, 28), dt.date(2026, 3, 1))):
        db.session.add(m.WorkSpell(work_ref=f"WF{n}", person_id=person.id, kind="employment",
                                   start_date=dt.date(2025, 9, 1), end_date=ends))
    db.session.commit()
    assert [w.work_ref for w in _shown(adviser, "work", m.WorkSpell)
            if w.work_ref.startswith("WF")] == ["WF1"]


def test_jobcentre_plus_sees_a_spell_running_on_or_after_the_18th_birthday(seated):
    """A spell is an adult's when its subject was 18 on its last day (today while it is
    open): ended the day before the 18th birthday, never; on it or the day after, seen; begun
    at 16 and still open, seen once they are 18 and not before."""
    birthday = dt.date(2024, 5, 10)
    _born("J1", birthday.replace(year=2006))
    person = db.session.scalar(select(m.Person).where(m.Person.person_ref == "J1"))
    for ref, ends in (("WB", birthday - DAY), ("WO", birthday), ("WA", birthday + DAY),
                      ("WN", None)):
        db.session.add(m.WorkSpell(work_ref=ref, person_id=person.id, kind="benefit",
                                   benefit="JSA", start_date=dt.date(2022, 9, 1), end_date=ends))
    db.session.commit()
    adviser = _partner_in_team(seated, "jobcentre_plus", "Jay Adviser")

    def spells(on=None):
        return sorted(w.work_ref for w in _shown(adviser, "work", m.WorkSpell, on)
                      if w.person_id == person.id)

    assert spells() == ["WA", "WN", "WO"]
    # Looked at on a day before the birthday, no spell is an adult's yet (a spell is judged
    # up to that day, never by a date still to come); from the birthday, as today.
    assert spells(birthday - DAY) == []
    assert spells(birthday) == ["WA", "WN", "WO"]
    assert spells(birthday + DAY) == ["WA", "WN", "WO"]


def test_a_partner_outside_the_section_sees_no_records_and_offences_are_the_leads(seated):
    """The police's level shows no school terms nor work; a school's no offences."""
    assert _shown(seated["officer"], "education", m.SchoolTerm) == []
    assert _shown(seated["officer"], "work", m.WorkSpell) == []
    assert _shown(seated["teacher"], "offending", m.Offence) == []
    assert _shown(seated["teacher"], "offending", m.AsbRecord) == []
    everyone = len(_shown(seated["worker"], "offending", m.Offence))
    assert everyone > 0
    taf.set_lead(family("E01"), seated["officer"].id, dt.date(2012, 8, 1), None, None,
                 seated["manager"])
    db.session.commit()
    assert len(_shown(seated["officer"], "offending", m.Offence)) == everyone


def test_jobcentre_plus_sees_the_adults_work_not_a_childs(app, seated):
    _with_a_child(seated)
    ada = db.session.scalar(select(m.Person).where(m.Person.person_ref == "P09001"))
    db.session.add(m.WorkSpell(work_ref="W09001", person_id=ada.id, kind="employment",
                               start_date=clock.today() - 30 * DAY))
    db.session.commit()
    adviser = _partner_in_team(seated, "jobcentre_plus", "Jay Adviser")
    page = Page(_client(app, adviser).get("/families/E01").text)
    spells = page.main.by_id("work-spells").table()
    assert spells[0][0] == "Person"
    assert {row[0] for row in spells[1:]} == {"Lee Jones"}


@pytest.mark.parametrize("kind", ["police", "health", "housing", "voluntary"])
def test_police_health_and_others_see_no_school_work_or_offence_records(app, seated, kind):
    _with_a_child(seated)
    _term("P09001")
    db.session.commit()
    practitioner = _partner_in_team(seated, kind, f"Pat {kind}")
    page = Page(_client(app, practitioner).get("/families/E01").text)
    assert page.main.by_id("school-terms") is None and page.main.by_id("work-spells") is None
    assert page.main.by_id("education") is None and page.main.by_id("work") is None
    assert "2025/26" not in page.main.text()


# History and the audit log name people, never by their email ---------------------------------


def test_the_family_pages_history_names_the_team_by_name_not_email(app, seated):
    taf.set_lead(family("E01"), seated["officer"].id, dt.date(2012, 9, 1), None, None,
                 seated["manager"])
    db.session.commit()
    page = Page(_client(app, seated["manager"]).get("/families/E01").text)
    history = page.table("Changes to these records")
    changes = " ".join(history.column("Change"))
    assert "@" not in changes and "@" not in " ".join(history.column("By"))
    assert "Owner: none → Tess Teacher (Fant Primary School)" in changes
    assert "Attended: none → Owen Officer (Kent Police), " in changes
    assert "User: none → Owen Officer (Kent Police)" in changes  # member, lead professional
    assert set(history.column("By")) >= {f"{seated['manager'].name} (Programme manager) "
                                         "meeting recorded"}
    # Who viewed the family: names with their role or organisation.
    _client(app, seated["officer"]).get("/families/E01")
    viewers = Page(_client(app, seated["manager"]).get("/families/E01").text).table(
        "Recent views of this family's records")
    assert "Owen Officer (Kent Police)" in viewers.column("Who")
    assert not [w for w in viewers.column("Who") if "@" in w]


def test_the_audit_log_names_users_and_the_people_its_details_name(app, seated, sign_in, client):
    sign_in("admin")
    _client(app, seated["officer"]).get("/families/E01")
    found = Page(client.get("/admin/audit", query_string={
        "from": "2000-01-01", "who": "owen offi"}).text).table("Audit entries").column("Who")
    # Searched by name; the name now, and the email the entry was recorded with, which a
    # renamed account cannot change.
    assert found and set(found) == {f"Owen Officer (Kent Police) {seated['officer'].email}"}
    rows = Page(client.get("/admin/audit", query_string={"from": "2000-01-01"}).text).table(
        "Audit entries").rows
    assert rows and not [r for r in rows if "@" in r["Detail"]]
    assert any(r["Detail"].startswith("Owen Officer (Kent Police) from") for r in rows)


# The lead professional: one source, the same words everywhere -----------------------------------


def _leads_shown(app, staff, partner):
    """The lead professional as each page names them."""
    client = _client(app, staff)
    family_page = Page(client.get("/families/E01").text)
    episodes = family_page.table("The family's time in each programme, the first first")
    plan = Page(client.get("/families/E01/plan").text)
    team = Page(client.get("/families/E01/team").text)
    partner_page = Page(_client(app, partner).get("/families/E01").text)
    marked = [li.text() for li in partner_page.main.by_id("team").find_all("li")
              if li.text().endswith(": lead professional")]
    return {"details": family_page.summary["Lead professional"],
            "episode": episodes.column("Lead professional")[-1],
            "plan": plan.main.by_id("lead-professional").text().rstrip("."),
            "team": team.main.by_id("lead-now").text().rstrip("."),
            "partner": marked}


def test_the_lead_professional_is_named_the_same_on_every_page(app, seated):
    worker, officer, teacher = seated["worker"], seated["officer"], seated["teacher"]
    before = _leads_shown(app, worker, teacher)
    fip = f"{worker.name} (FIP worker), the family's worker"  # none named: the episode's worker
    assert {k: v for k, v in before.items() if k != "partner"} == {
        "details": fip, "episode": fip, "plan": fip, "team": fip}
    assert before["partner"] == [f"{worker.name} (Council: FIP worker): lead professional"]
    taf.set_lead(family("E01"), officer.id, dt.date(2012, 9, 1), None, None, seated["manager"])
    db.session.commit()
    after = _leads_shown(app, worker, teacher)
    named = "Owen Officer (Kent Police) from 1 September 2012"
    assert {k: v for k, v in after.items() if k != "partner"} == {
        "details": named, "episode": named, "plan": named, "team": named}
    assert after["partner"] == ["Owen Officer (Kent Police): lead professional"]
