"""Selection meetings, the agreed number, first contact and sign-up."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from casework import clock
from casework import models as m
from casework.caseloads.service import allocate
from casework.evaluation import figures as fig
from casework.evaluation import store
from casework.extensions import db
from casework.selection import figures, service
from casework.selection.service import SelectionRefused

from .conftest import login, post_form
from .factories import create_family, create_person, create_user
from .parsed import Page

TODAY = clock.today()


def eligible_family(ref: str, ward: str = "Fant", asb: int = 1, **fields) -> m.Family:
    """A family meeting crime/ASB and work, with local discretion: eligible on any recent date."""
    family = create_family(ref, ward=ward, identified_on=TODAY - dt.timedelta(days=60),
                           local_discretion=True, local_discretion_reason="High cost", **fields)
    adult = create_person(family, f"{ref}-A", born=dt.date(1980, 1, 1), given_name="Casey",
                          family_name="Roberts")
    db.session.add(m.WorkSpell(work_ref=f"{ref}-W", person_id=adult.id, kind="benefit",
                               benefit="JSA", start_date=dt.date(2010, 1, 1)))
    for i in range(asb):
        db.session.add(m.AsbRecord(asb_ref=f"{ref}-ASB{i}", person_id=adult.id,
                                   date=TODAY - dt.timedelta(days=90 + i), kind="asbo"))
    db.session.commit()
    store.refresh_pending()  # as the end of the request that made it would
    return family


def candidates(user, on, **filters):
    """The meeting's list, once the families the test made through the ORM are evaluated
    (as the end of the request that made them would)."""
    store.refresh_pending()
    return service.candidates(user, on, **filters)


def refs(found) -> list[str]:
    return [c.family.family_ref for c in found]


def meeting_on(lead, day=TODAY, agencies=("Police", "Schools")):
    return service.record_meeting(lead, day, list(agencies))


# Meetings and the screening list ------------------------------------------------------------


def test_the_list_for_a_meeting_holds_eligible_unattached_families_not_yet_discussed(app, lead):
    eligible_family("S1")
    eligible_family("S2")
    create_family("S3", identified_on=TODAY)  # not eligible: no evidence
    eligible_family("S4", attached_on=TODAY - dt.timedelta(days=5))
    meeting = meeting_on(lead)
    assert refs(candidates(lead, meeting.held_on)) == ["S1", "S2"]
    s1 = db.session.scalar(select(m.Family).where(m.Family.family_ref == "S1"))
    service.decide(meeting, s1, lead, "not_suitable", reason="Moving out of the borough")
    assert refs(candidates(lead, meeting.held_on)) == ["S2"]


def test_the_list_reads_the_stored_evaluation_not_the_records_live(app, lead):
    family = eligible_family("L1")
    eligible_family("L2")
    # L1's benefit ends in the stored evaluation's eyes only once it is evaluated again.
    db.session.execute(update(m.WorkSpell).where(m.WorkSpell.work_ref == "L1-W")
                       .values(kind="employment", benefit=None))
    db.session.commit()
    assert refs(service.candidates(lead, TODAY)) == ["L1", "L2"]  # the stored rows say so
    store.mark_stale([family.id])
    db.session.commit()
    assert refs(candidates(lead, TODAY)) == ["L2"]  # evaluated again: no longer eligible


def test_the_list_filters_by_criteria_ward_agencies_and_recent_incidents(app, lead):
    eligible_family("F1", ward="Fant", asb=3)
    eligible_family("F2", ward="Bridge", asb=1)
    child_school = eligible_family("F3", ward="Fant", asb=1)
    child = create_person(child_school, "F3-C", born=TODAY.replace(year=TODAY.year - 10))
    db.session.add(m.SchoolTerm(person_id=child.id, academic_year="2010/11", term="autumn",
                                sessions_possible=100, sessions_unauthorised=0))
    db.session.commit()
    on = TODAY
    assert refs(candidates(lead, on, ward="Fant")) == ["F1", "F3"]
    assert refs(candidates(lead, on, min_incidents=2)) == ["F1"]
    assert refs(candidates(lead, on, min_agencies=3)) == ["F3"]  # schools, police, jobcentre
    assert refs(candidates(lead, on, criteria=("crime_asb", "work"))) == ["F1", "F2", "F3"]
    assert refs(candidates(lead, on, criteria=("education",))) == []
    found = {c.family.family_ref: c for c in candidates(lead, on)}
    assert found["F1"].agencies == ["police", "jobcentre"] and found["F1"].recent_incidents == 3


@pytest.mark.parametrize("days_after_review, listed", [(-1, False), (0, True), (1, True)])
def test_a_family_put_off_comes_back_to_the_list_on_its_review_date(
        app, lead, days_after_review, listed):
    family = eligible_family("R1")
    first = meeting_on(lead, TODAY - dt.timedelta(days=40))
    review = TODAY - dt.timedelta(days=10)
    service.decide(first, family, lead, "not_now", review_on=review, reason="Court case first")
    on = review + dt.timedelta(days=days_after_review)
    assert ("R1" in refs(candidates(lead, on))) is listed
    if listed:
        later = meeting_on(lead, on)
        service.decide(later, family, lead, "selected", lead_contact="Jane Doe",
                       lead_agency="Youth offending service")
        assert service.current_selection(family).lead_name == "Jane Doe (Youth offending service)"
    else:
        with pytest.raises(SelectionRefused, match="not waiting to be discussed"):
            service.decide(meeting_on(lead, on), family, lead, "selected", lead_contact="X",
                           lead_agency="Y")


def test_a_decision_needs_its_review_date_reason_or_lead_person(app, lead, worker):
    family = eligible_family("D1")
    meeting = meeting_on(lead)
    with pytest.raises(SelectionRefused, match="date to discuss the family again"):
        service.decide(meeting, family, lead, "not_now")
    with pytest.raises(SelectionRefused, match="review date must be after the meeting"):
        service.decide(meeting, family, lead, "not_now", review_on=meeting.held_on)
    with pytest.raises(SelectionRefused, match="reason the family is not suitable"):
        service.decide(meeting, family, lead, "not_suitable", reason="  ")
    with pytest.raises(SelectionRefused, match="Name the lead person"):
        service.decide(meeting, family, lead, "selected", lead_contact="Jane Doe")
    other_team = create_user("worker", team="South")
    with pytest.raises(SelectionRefused, match="not a FIP worker you can name"):
        service.decide(meeting, family, lead, "selected", lead_worker=other_team)
    assert db.session.scalar(select(m.SelectionDecision)) is None
    service.decide(meeting, family, lead, "selected", lead_worker=worker)
    event = db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "decide")).one()
    assert event.object_ref == "D1" and "Selected" in event.detail and "Sam Patel" in event.detail


def test_a_meeting_is_recorded_with_its_date_and_agencies_and_refuses_a_future_date(app, lead):
    with pytest.raises(SelectionRefused, match="today or in the past"):
        meeting_on(lead, TODAY + dt.timedelta(days=1))
    with pytest.raises(SelectionRefused, match="agencies present"):
        meeting_on(lead, agencies=())
    meeting = meeting_on(lead, agencies=("Police", "Housing"))
    assert meeting.agencies == ["Police", "Housing"]
    assert db.session.scalar(select(m.AuditEvent.detail).where(
        m.AuditEvent.object_type == "selection_meeting")).endswith("present: Police, Housing")


def test_a_team_lead_runs_a_meeting_through_the_pages(client, app, lead, worker):
    for ref in ("P1", "P2"):
        eligible_family(ref)
    login(client, lead.email)
    response = post_form(client, "/selection/meetings/new", {
        "held_on": [str(TODAY.day), str(TODAY.month), str(TODAY.year)],
        "agencies": ["police", "schools"], "other_agencies": "Health visitor"})
    assert response.status_code == 302
    meeting_url = response.headers["Location"]
    page = Page(client.get(meeting_url).text)
    assert [f.split()[0] for f in page.table("2 families").column("Family")] == ["P1", "P2"]
    assert page.paragraph("Agencies present:") == "Agencies present: Police, Schools, Health visitor."
    decide = f"{meeting_url}/families/P1"
    bad = post_form(client, decide, {"decision": "not_now"})
    assert bad.status_code == 200
    [error] = Page(bad.text).errors
    assert "date to discuss the family again" in error
    done = post_form(client, decide, {"decision": "selected", "lead_worker": str(worker.id)})
    assert done.status_code == 302
    page = client.get(meeting_url)
    read = Page(page.text)
    [decided] = [r for r in read.table("Decisions at this meeting").rows
                 if r["Family"].split()[0] == "P1"]
    assert (decided["Decision"], decided["Details"]) == (
        m.SELECTION_DECISIONS["selected"], "Lead person: Sam Patel")
    assert "Decide on P1" not in read.links


def test_workers_cannot_run_meetings_and_see_only_families_they_lead(client, app, lead, worker):
    led, other = eligible_family("W1"), eligible_family("W2")
    meeting = meeting_on(lead)
    service.decide(meeting, led, lead, "selected", lead_worker=worker)
    service.decide(meeting, other, lead, "selected", lead_contact="Jane Doe", lead_agency="YOS")
    login(client, worker.email)
    assert client.get("/selection").status_code == 403
    assert client.get(f"/selection/meetings/{meeting.id}").status_code == 403
    assert client.get("/families/W1").status_code == 200
    assert client.get("/families/W2").status_code == 404
    assert client.get("/families/W2/first-contact").status_code == 404


def test_a_team_lead_sees_only_their_teams_meetings(client, app, lead):
    south = create_user("team_lead", team="South")
    meeting = meeting_on(south)
    login(client, lead.email)
    assert client.get(f"/selection/meetings/{meeting.id}").status_code == 404


# The agreed number -----------------------------------------------------------------------------


def test_the_agreed_number_is_set_for_each_programme_year_with_history(app):
    manager = create_user("manager")
    assert service.set_agreed_numbers({1: 1082, 2: None, 3: None}, manager) == 1
    assert service.set_agreed_numbers({1: 1082, 2: 900}, manager) == 1
    assert service.set_agreed_numbers({1: 1100}, manager) == 1
    assert service.agreed_numbers() == {1: 1100, 2: 900}
    changes = db.session.scalars(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "agreed_number").order_by(m.RecordHistory.id)).all()
    assert [(c.record_ref, c.before, c.after) for c in changes] == [
        ("programme year 1", {"families": None}, {"families": 1082}),
        ("programme year 2", {"families": None}, {"families": 900}),
        ("programme year 1", {"families": 1082}, {"families": 1100})]
    with pytest.raises(SelectionRefused, match="no programme year 4"):
        service.set_agreed_numbers({4: 10}, manager)


@pytest.mark.parametrize("attached_on, year", [
    (dt.date(2013, 3, 31), 1), (dt.date(2013, 4, 1), 2), (dt.date(2014, 3, 31), 2),
    (dt.date(2014, 4, 1), 3)])
def test_progress_counts_families_attached_in_each_programme_year_against_its_number(
        app, attached_on, year):
    manager = create_user("manager")
    service.set_agreed_numbers({1: 1082, 2: 4}, manager)
    family = create_family("Y1", identified_on=attached_on - dt.timedelta(days=30),
                           attached_on=attached_on, local_discretion=True,
                           local_discretion_reason="High cost")  # eligible: ASB order, work
    adult = create_person(family, "Y1-A", born=dt.date(1980, 1, 1))
    db.session.add_all([
        m.WorkSpell(work_ref="Y1-W", person_id=adult.id, kind="benefit", benefit="JSA",
                    start_date=dt.date(2010, 1, 1)),
        m.AsbRecord(asb_ref="Y1-O", person_id=adult.id, kind="asbo",
                    date=attached_on - dt.timedelta(days=40))])
    create_family("Y2", attached_on=attached_on)  # attached, but not eligible: not counted
    db.session.commit()
    store.refresh(as_of=dt.date(2015, 1, 1))
    progress = {p.year: p for p in figures.agreed_progress(fig.scope(
        None, families=select(m.Family), as_of=dt.date(2015, 1, 1)))}
    assert {n: p.attached for n, p in progress.items()} == {1: 0, 2: 0, 3: 0} | {year: 1}
    assert progress[1].agreed == 1082 and progress[3].agreed is None
    assert progress[2].percent == (25 if year == 2 else 0)
    before = figures.agreed_progress(fig.scope(
        None, families=select(m.Family), as_of=attached_on - dt.timedelta(days=1)))
    assert sum(p.attached for p in before) == 0


def test_the_programme_manager_sets_the_agreed_number_on_its_page(client, app):
    manager = create_user("manager")
    login(client, manager.email)
    bad = post_form(client, "/selection/agreed-numbers", {"year_1": "-3"})
    assert Page(bad.text).errors == ["Enter a whole number of families, 0 or more"]
    assert post_form(client, "/selection/agreed-numbers", {"year_1": "1082"}).status_code == 302
    for url in ("/selection", "/claims/money?programme=phase1"):  # the council's programme
        agreed = Page(client.get(url).text).table("Against the agreed number of families")
        assert agreed.row("2012/13 (year 1)")["Agreed"] == "1,082", url
        assert agreed.row("2013/14 (year 2)")["Agreed"] == "Not set", url
    # The selection page has no programme chooser: its table names whose years these are.
    caption = Page(client.get("/selection").text).table("Against the agreed number").caption
    assert caption == "Against the agreed number of families: Troubled Families 2012-15"
    lead = create_user("team_lead", team="North")
    other = app.test_client()
    login(other, lead.email)
    assert other.get("/selection/agreed-numbers").status_code == 403


# First contact and sign-up ---------------------------------------------------------------------


def selected(ref, lead, worker=None, held_on=TODAY - dt.timedelta(days=20)):
    family = eligible_family(ref)
    meeting = meeting_on(lead, held_on)
    if worker is not None:
        service.decide(meeting, family, lead, "selected", lead_worker=worker)
    else:
        service.decide(meeting, family, lead, "selected", lead_contact="Jane Doe",
                       lead_agency="Youth offending service")
    return family


def history_of_attachment(family):
    return [(h.source, h.before, h.after) for h in db.session.scalars(
        select(m.RecordHistory).where(m.RecordHistory.family_ref == family.family_ref,
                                      m.RecordHistory.record_type == "families")
        .order_by(m.RecordHistory.id)) if "attached_on" in (h.after or {})]


def test_signing_up_with_consent_attaches_the_family_on_that_date_with_history(app, lead, worker):
    family = selected("U1", lead, worker)
    service.log_attempt(family, worker, TODAY - dt.timedelta(days=10), "phone", "no_answer")
    service.log_attempt(family, worker, TODAY - dt.timedelta(days=8), "home_visit", "visit_agreed")
    signed_on = TODAY - dt.timedelta(days=5)
    service.sign_up(family, worker, signed_on, True, True, "Casey Roberts")
    db.session.refresh(family)
    assert family.attached_on == signed_on
    assert history_of_attachment(family) == [
        ("sign-up", {"attached_on": None}, {"attached_on": signed_on.isoformat()})]
    actions = db.session.scalars(select(m.AuditEvent.action).where(
        m.AuditEvent.object_ref == "U1").order_by(m.AuditEvent.id)).all()
    assert actions == ["decide", "contact_attempt", "contact_attempt", "sign_up"]
    episode = db.session.scalar(select(m.Episode).where(m.Episode.family_id == family.id))
    assert (episode.signed_up_on, episode.consent_by, episode.lead_id, episode.closed_on) == (
        signed_on, "Casey Roberts", worker.id, None)
    assert service.waiting_for_allocation(lead) == [(family, episode)]
    allocate(family, worker, TODAY, lead)
    assert service.waiting_for_allocation(lead) == []


def test_a_sign_up_needs_the_agreement_consent_and_who_gave_it(app, lead, worker):
    family = selected("U2", lead, worker)
    with pytest.raises(SelectionRefused, match="information-sharing agreement"):
        service.sign_up(family, worker, TODAY, True, False, "Casey Roberts")
    with pytest.raises(SelectionRefused, match="Enter who gave consent"):
        service.sign_up(family, worker, TODAY, True, True, " ")
    with pytest.raises(SelectionRefused, match="today or in the past"):
        service.sign_up(family, worker, TODAY + dt.timedelta(days=1), True, True, "Casey")
    with pytest.raises(SelectionRefused, match="before the family was selected"):
        service.sign_up(family, worker, TODAY - dt.timedelta(days=21), True, True, "Casey")
    db.session.refresh(family)
    assert family.attached_on is None and service.sign_up_of(family) is None


def test_a_family_that_declines_is_not_attached_and_leaves_the_list(app, lead, worker):
    family = selected("U3", lead, worker)
    with pytest.raises(SelectionRefused, match="reason the family declined"):
        service.decline(family, worker, TODAY, "")
    service.decline(family, worker, TODAY, "Already working with Early Help")
    db.session.refresh(family)
    assert family.attached_on is None
    assert service.sign_up_of(family).reason == "Already working with Early Help"
    assert service.awaiting_page(lead, 1).items == []
    with pytest.raises(SelectionRefused, match="already given its answer"):
        service.log_attempt(family, worker, TODAY, "phone", "spoke")
    assert ("Sign-up", "Declined: Already working with Early Help (recorded by Sam Patel)") in [
        (kind, text) for _, kind, text in service.timeline_events(family)]


def test_only_the_lead_worker_or_a_team_lead_records_first_contact(client, app, lead, worker):
    family = selected("U4", lead, worker)
    partner_led = selected("U5", lead)
    other = create_user("worker", team="North")
    with pytest.raises(SelectionRefused, match="Only the lead person, Sam Patel"):
        service.log_attempt(family, other, TODAY, "phone", "spoke")
    service.log_attempt(partner_led, lead, TODAY, "through_agency", "spoke")
    login(client, other.email)
    assert client.get("/families/U4/first-contact").status_code == 404


def test_the_attachment_date_keeps_its_history_whichever_way_it_was_set(client, app, cli, tmp_path):
    manager = create_user("manager")
    new = tmp_path / "families.csv"
    new.write_text("family_ref,family_name,attached_on\nI1,Import household,2012-09-01\n"
                   "I2,Other household,\n")
    assert cli("import", "families", new).exit_code == 0
    changed = tmp_path / "families2.csv"
    changed.write_text("family_ref,family_name,attached_on\nI1,Import household,2012-10-01\n")
    assert cli("import", "families", changed).exit_code == 0
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "I1"))
    assert history_of_attachment(family) == [
        (f"import of {new}", {"attached_on": None}, {"attached_on": "2012-09-01"}),
        (f"import of {changed}", {"attached_on": "2012-09-01"}, {"attached_on": "2012-10-01"})]
    other = db.session.scalar(select(m.Family).where(m.Family.family_ref == "I2"))
    assert history_of_attachment(other) == []
    login(client, manager.email)
    edit = post_form(client, "/families/I1/edit", {
        "family_name": "Import household", "attached_on": ["1", "11", "2012"],
        "version": str(family.version)})
    assert edit.status_code == 302
    changes = Page(client.get("/families/I1").text).table("Changes to these records")
    assert changes.column("By")[1:] == [f"import of {changed}", f"import of {new}"]  # latest first
    assert history_of_attachment(family)[-1] == (
        "edited", {"attached_on": "2012-10-01"}, {"attached_on": "2012-11-01"})


def test_the_lead_worker_logs_attempts_and_signs_the_family_up_through_the_pages(
        client, app, lead, worker):
    selected("V1", lead, worker)
    login(client, worker.email)
    family_page = Page(client.get("/families/V1").text)
    assert family_page.links["First contact and sign-up"] == "/families/V1/first-contact"
    assert family_page.summary["Selection"].startswith("Selected at the meeting of ")
    assert family_page.summary["Selection"].endswith("; lead person Sam Patel")
    day = [str(TODAY.day), str(TODAY.month), str(TODAY.year)]
    for method, outcome in (("phone", "no_answer"), ("home_visit", "visit_agreed")):
        done = post_form(client, "/families/V1/first-contact",
                         {"attempted_on": day, "method": method, "outcome": outcome})
        assert done.status_code == 302
    missing = post_form(client, "/families/V1/sign-up", {"outcome": "signed_up", "decided_on": day,
                                                         "sharing_agreed": "y"})
    assert Page(missing.text).errors == ["The family must give consent to sign up",
                                         "Enter who gave consent"]
    done = post_form(client, "/families/V1/sign-up", {
        "outcome": "signed_up", "decided_on": day, "sharing_agreed": "y", "consent_given": "y",
        "consent_by": "Casey Roberts"})
    assert done.status_code == 302
    page = Page(client.get("/families/V1/first-contact").text)
    assert page.summary["Answer"].endswith("waiting for a FIP worker")
    assert "Contact attempts (2)" in page.headings
    timeline = client.get("/families/V1/timeline").text
    for text in ("Selected at the selection meeting; lead person Sam Patel",
                 "Phone call: no answer or no one in", "Home visit: a visit was agreed",
                 "Signed up: information-sharing agreement and consent given by Casey Roberts"):
        assert text in timeline


# The funnel ------------------------------------------------------------------------------------

# Supporting Families' headline problems with its worked-example Outcome Plan's indicators.
SF_NEEDS = (("health", "health_managed"), ("housing", "housing_secure"),
            ("financial_stability", "finances_stable"))


def supporting_families_needs(family: m.Family, problems: int = 3) -> None:
    """Needs under `problems` of Supporting Families' headline problems, identified 30 days
    ago: with 3 (the frame's minimum) the family is eligible under its own rules, which is
    what a family signed up today is judged by (it joins the programme that takes families
    today; a need belongs to the programme of the family's episode: docs/outcome-plans.md)."""
    for n, (problem, indicator) in enumerate(SF_NEEDS[:problems]):
        db.session.add(m.Need(need_ref=f"{family.family_ref}-N{n}", family_id=family.id,
                              problem=problem, indicator=indicator,
                              identified_on=TODAY - dt.timedelta(days=30)))
    db.session.commit()
    store.refresh_pending()


@pytest.mark.parametrize("problems", [2, 3])
def test_a_family_signed_up_today_is_signed_up_in_its_programme_when_eligible_under_its_rules(
        app, lead, worker, problems):
    """Signed up today, a family joins Supporting Families (the programme taking families
    today) and is judged by its rules: with needs under 3 of its headline problems it is
    eligible there and counts as signed up (attached) from the sign-up date (the day before:
    not yet; on it; after it); with needs under 2 it is not eligible there (a family selected
    by the 2012 criteria), so it is not attached there, nothing is claimable for it, and it is
    still signed up and waiting for a FIP worker. The funnel's stages are each within the one
    before: signed up (attached) within eligible. Live and stored counts agree."""

    from .test_stored_figures import assert_stored_equals_live

    manager = create_user("manager")
    family = selected("U1", lead, worker, held_on=TODAY - dt.timedelta(days=10))
    supporting_families_needs(family, problems)
    signed = TODAY - dt.timedelta(days=5)
    service.log_attempt(family, worker, signed, "home_visit", "spoke")
    service.sign_up(family, worker, signed, True, True, "Casey Roberts")
    store.refresh()  # every family for today, and the figures stored
    assert list(db.session.scalars(select(m.Episode.programme).where(
        m.Episode.family_id == family.id))) == ["supporting_families"]
    eligible = problems >= 3

    def counts(as_of=None):
        sc = (fig.scope(manager, as_of=as_of, programme="supporting_families") if as_of
              else fig.for_programme(fig.scope(manager), "supporting_families"))
        found = fig.family_counts(sc)
        return {k: found[k] for k in ("identified", "eligible", "attached", "waiting",
                                      "claimable")}

    for as_of, is_signed_up in ((signed - dt.timedelta(days=1), False), (signed, True),
                                (signed + dt.timedelta(days=1), True), (None, True)):
        assert counts(as_of) == {"identified": 1, "eligible": int(eligible),
                                 "attached": int(eligible and is_signed_up),
                                 "waiting": int(is_signed_up), "claimable": 0}, as_of
    assert fig.stored(fig.for_programme(fig.scope(manager), "supporting_families")) is not None
    assert_stored_equals_live(manager)
    # The way in: contacted and signed up (attached) the same family, when eligible there.
    from casework.programme.service import figures as programme_figures

    way = figures.way_in(select(m.Family), TODAY,
                         programme_figures(manager, programme="supporting_families"))
    assert (way.funnel["contacted"], way.funnel["attached"]) == (1, int(eligible))




def test_the_funnel_counts_each_stage_once_by_month_and_ward(app, lead, worker):
    from casework.programme.service import figures as programme_figures

    manager = create_user("manager")
    service.set_agreed_numbers({1: 1082}, manager)

    def counts():  # a family signed up today joins the programme that takes families today
        families = select(m.Family)
        w = figures.way_in(families, TODAY, programme_figures(manager,
                                                              programme="supporting_families"))
        return w, {k: w.funnel[k] for k in ("discussed", "selected", "contacted", "attached",
                                            "allocated")}

    family = selected("N1", lead, worker, held_on=TODAY)
    supporting_families_needs(family)
    put_off = eligible_family("N2", ward="Bridge")
    service.decide(meeting_on(lead), put_off, lead, "not_now", review_on=TODAY + dt.timedelta(days=30))
    _, before = counts()
    assert before == {"discussed": 2, "selected": 1, "contacted": 0, "attached": 0, "allocated": 0}
    service.log_attempt(family, worker, TODAY, "phone", "no_answer")
    service.log_attempt(family, worker, TODAY, "home_visit", "spoke")
    service.sign_up(family, worker, TODAY, True, True, "Casey Roberts")
    store.refresh_pending()  # as the end of the sign-up's request does
    w, after = counts()
    assert after == {"discussed": 2, "selected": 1, "contacted": 1, "attached": 1, "allocated": 0}
    allocate(family, worker, TODAY, lead)
    w, after = counts()
    assert after["allocated"] == 1
    month = next(r for r in w.months if r["month"] == TODAY.replace(day=1))
    assert (month["discussed"], month["selected"], month["contacted"], month["allocated"]) == (2, 1, 1, 1)
    wards = {r["ward"]: r for r in w.wards}
    assert (wards["Fant"]["selected"], wards["Bridge"]["discussed"], wards["Bridge"]["selected"]) == (1, 1, 0)


def test_the_dashboard_and_board_report_show_the_way_in_against_the_agreed_number(
        client, app, monkeypatch):
    manager = create_user("manager")
    service.set_agreed_numbers({1: 1082}, manager)
    login(client, manager.email)
    page = Page(client.get("/programme?programme=phase1").text)  # the agreed numbers' programme
    assert "From identification to sign-up" in page.headings
    way_in = [t for t in page.tables if "Stage" in t.headers
              and any(s.startswith("Discussed") for s in t.column("Stage"))]
    assert len(way_in) == 1
    assert any(s.startswith("Signed up (attached)") for s in way_in[0].column("Stage"))
    agreed = page.table("Against the agreed number of families")
    assert agreed.row("2012/13 (year 1)")["Agreed"] == "1,082"
    from casework.programme import board

    made = {}
    monkeypatch.setattr(board, "render_pdf", lambda html: made.setdefault("html", html) and b"%PDF")
    name, body = board.board_report_pdf(manager, "2012-Q4")  # as the job worker makes it
    assert body == b"%PDF" and "From identification to sign-up" in made["html"]
    assert "1,082" in made["html"]


def test_a_subject_access_export_holds_the_familys_selection_contact_attempts_and_consent(
        client, app, lead, worker):
    import json

    family = selected("X1", lead, worker)
    service.log_attempt(family, worker, TODAY, "letter", "no_answer")
    service.sign_up(family, worker, TODAY, True, True, "Casey Roberts")
    manager = create_user("manager")
    login(client, manager.email)
    data = json.loads(client.get("/people/X1-A/export.json").data)
    assert [d["decision"] for d in data["selection_decisions"]] == ["selected"]
    assert data["selection_decisions"][0]["lead_person"] == "Sam Patel"
    assert [(a["method"], a["outcome"]) for a in data["contact_attempts"]] == [("letter", "no_answer")]
    assert data["sign_up"][0]["consent_by"] == "Casey Roberts" and data["sign_up"][0]["consent_given"]


def test_the_family_page_says_what_the_latest_meeting_decided(client, app, lead):
    family = eligible_family("Z1")
    review = TODAY + dt.timedelta(days=30)
    service.decide(meeting_on(lead), family, lead, "not_now", review_on=review)
    login(client, create_user("manager").email)
    page = client.get("/families/Z1").text
    assert Page(page).summary["Selection"].endswith(
        f": to discuss again from {review.day} {review:%B %Y}")
    assert "First contact and sign-up" not in Page(page).links


def test_the_families_awaiting_an_answer_are_those_whose_latest_decision_selected_them(
        app, lead, worker):
    """Each family's latest decision counts: one put off at an earlier meeting and selected
    at a later one is listed once; one signed up or put off is not; in reference order,
    with its contact attempts; another team's lead sees none of them."""
    z1 = selected("Z1", lead, worker)
    later = eligible_family("A2")
    first = meeting_on(lead, TODAY - dt.timedelta(days=40))
    service.decide(first, later, lead, "not_now", review_on=TODAY - dt.timedelta(days=30),
                   reason="Wait for the school's report")
    second = meeting_on(lead, TODAY - dt.timedelta(days=10))
    service.decide(second, later, lead, "selected", lead_worker=worker)
    put_off = eligible_family("A3")
    service.decide(second, put_off, lead, "not_now", review_on=TODAY + dt.timedelta(days=30),
                   reason="Moving house")
    signed = selected("A4", lead, worker)
    service.sign_up(signed, worker, TODAY, True, True, "Casey Roberts")
    service.log_attempt(z1, worker, TODAY - dt.timedelta(days=2), "phone", "no_answer")
    service.log_attempt(z1, worker, TODAY - dt.timedelta(days=1), "home_visit", "no_answer")
    page = service.awaiting_page(lead, 1)
    found = [(d.family.family_ref, d.meeting_id, count, last) for d, count, last in page.items]
    assert found == [("A2", second.id, 0, None),
                     ("Z1", found[1][1], 2, TODAY - dt.timedelta(days=1))]
    assert (page.total, page.pages) == (2, 1)
    assert [d.family.family_ref for d, _, _ in service.first_contacts_led(worker)] == ["A2", "Z1"]
    # A page at a time: the second of one a page holds Z1; a page past the end is the last.
    assert [(p.page, [d.family.family_ref for d, _, _ in p.items], p.total) for p in (
        service.awaiting_page(lead, 2, per_page=1), service.awaiting_page(lead, 9, per_page=1))
    ] == [(2, ["Z1"], 2), (2, ["Z1"], 2)]
    other = create_user("team_lead", team="South", name="Alex Brown")
    assert service.awaiting_page(other, 1).total == 0


def test_the_selection_page_lists_the_families_awaiting_an_answer_a_page_at_a_time(
        client, app, lead, worker, monkeypatch):
    monkeypatch.setattr(service, "WAITING_PER_PAGE", 2)
    for ref in ("W3", "W1", "W2"):
        selected(ref, lead, worker)
    login(client, lead.email)
    page = Page(client.get("/selection").text)
    assert "Selected, waiting for an answer (3)" in page.headings
    table = page.table("Selected families not yet signed up (page 1 of 2)")
    assert [row["Family"].split()[0] for row in table.rows] == ["W1", "W2"]
    pager = page.main.find("nav", cls="govuk-pagination")
    assert [(a.text(), a.attrs["href"]) for a in pager.find_all(
        "a", cls="govuk-pagination__link")] == [
        ("1", "/selection?answer_page=1#awaiting"), ("2", "/selection?answer_page=2#awaiting"),
        ("Next page", "/selection?answer_page=2#awaiting")]
    second = Page(client.get("/selection?answer_page=2").text)
    assert [row["Family"].split()[0] for row in second.table(
        "Selected families not yet signed up (page 2 of 2)").rows] == ["W3"]
    # A page past the end is the last; a page number that is not one is the first.
    assert second.table("Selected families not yet signed up (page 2 of 2)").rows == Page(
        client.get("/selection?answer_page=99").text).table(
        "Selected families not yet signed up (page 2 of 2)").rows
    assert Page(client.get("/selection?answer_page=x").text).table(
        "Selected families not yet signed up (page 1 of 2)")
