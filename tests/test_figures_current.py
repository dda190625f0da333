"""The stored evaluation kept current: every change queues its family, a web request evaluates
a few families again before it ends and leaves many to the refresh job, and a manager can
refresh every family for today by a job, with progress, audited, retried without harm."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import redirect
from sqlalchemy import func, select

from casework import clock
from casework import models as m
from casework.evaluation import figures, store
from casework.extensions import db
from casework.jobs import service
from casework.permissions import requires

from .conftest import FreshContextClient, login, post_form
from .factories import create_family, create_person, create_user
from .parsed import Page
from .test_programme import eligible_family

D = dt.date(2013, 9, 30)


def _stored_refs() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(m.Family.family_ref).join(
        m.StoredEvaluation, m.StoredEvaluation.family_id == m.Family.id)))


def _pending_refs() -> set[str]:
    return set(db.session.scalars(select(m.Family.family_ref).join(
        m.StaleFamily, m.StaleFamily.family_id == m.Family.id)))


def _events(action: str) -> list[m.AuditEvent]:
    return db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.action == action)
                              .order_by(m.AuditEvent.id)).all()


def test_every_change_made_through_the_orm_queues_its_family(app, examples):
    examples()
    store.refresh(as_of=D)
    assert store.pending_count() == 0
    new = create_family("N1", identified_on=D)  # a family made through the ORM
    assert _pending_refs() == {"N1"}
    store.refresh_pending()
    person = db.session.scalar(select(m.Person).join(m.Family).where(m.Family.family_ref == "E02"))
    db.session.add(m.SchoolTerm(person_id=person.id, academic_year="2013/14", term="autumn",
                                sessions_possible=10, sessions_unauthorised=5))
    db.session.commit()
    assert _pending_refs() == {"E02"}  # evidence of a person: the person's family
    store.refresh_pending()
    db.session.add(m.AsbRecord(asb_ref="FAM-ASB", family_id=new.id, date=D, kind="incident"))
    create_person(db.session.scalar(select(m.Family).where(m.Family.family_ref == "E03")), "NEW-P")
    assert _pending_refs() == {"N1", "E03"}  # a family's own record; a new member
    store.refresh_pending()
    assert store.pending_count() == 0 and {"N1", "E03"} <= _stored_refs()


@pytest.mark.own_app  # it adds a route: Flask refuses that on an app that has served
def test_a_family_created_in_a_web_request_is_in_the_figures_when_the_request_ends(
        app, client, sign_in, examples):
    examples()
    store.refresh(as_of=D)

    @app.route("/test-only/new-family", methods=["POST"])
    @requires("edit_records")
    def _new_family():  # a page that makes a family and its evidence through the ORM
        eligible_family("NEW", "North", dt.date(2013, 6, 1), dt.date(2013, 7, 1))
        return redirect("/results")

    manager = sign_in("manager")
    app.config["WTF_CSRF_ENABLED"] = False  # the test's own page has no form
    before = figures.family_counts(figures.scope(manager))
    def listed():
        return [ref for url in ("/results", "/results?page=2")
                for ref in Page(client.get(url).text).table("Statuses of every family").column("Family")]

    assert "NEW" not in listed()
    assert client.post("/test-only/new-family").status_code == 302
    assert "NEW" in _stored_refs() and store.pending_count() == 0
    db.session.expire_all()
    after = figures.family_counts(figures.scope(manager))
    assert after["eligible"] == before["eligible"] + 1
    assert after["attached"] == before["attached"] + 1
    assert "NEW" in listed()
    assert not db.session.scalars(select(m.Job)).all()  # one family: done in the request


def _upload(client, body: bytes, name: str = "families.csv"):
    import io

    return post_form(client, "/imports/", {"kind": "families", "file": (io.BytesIO(body), name)},
                     content_type="multipart/form-data")


def test_a_small_upload_re_evaluates_its_families_in_the_request(client, sign_in, examples):
    examples()
    store.refresh(as_of=D)
    sign_in("manager")
    response = _upload(client, b"family_ref,family_name,identified_on\n"
                               b"U1,One,2013-01-01\nU2,Two,2013-01-01\n")
    assert response.status_code == 200
    assert Page(response.text).banners[0].startswith("families: 2 created, 0 updated, 0 unchanged")
    assert {"U1", "U2"} <= _stored_refs() and store.pending_count() == 0
    assert not db.session.scalars(select(m.Job)).all()


def test_a_change_to_many_families_is_left_to_the_refresh_job(app, client, sign_in, examples,
                                                              run_jobs):
    examples()
    store.refresh(as_of=D)
    app.config["EVALUATE_IN_REQUEST"] = 2  # as a few hundred would be
    manager = sign_in("manager")
    rows = b"".join(b"U%d,Family %d,2013-01-01\n" % (i, i) for i in range(3))
    response = _upload(client, b"family_ref,family_name,identified_on\n" + rows)
    assert response.status_code == 200
    assert Page(response.text).banners[0].startswith("families: 3 created, 0 updated, 0 unchanged")
    assert not {"U0", "U1", "U2"} & _stored_refs()  # not evaluated in the request
    job = db.session.scalars(select(m.Job)).one()
    assert (job.kind, job.state, job.params) == ("refresh_figures", "queued",
                                                 {"everything": False})
    assert Page(client.get("/programme").text).banners == [
        f"The figures are being worked out again for the families changed: job {job.id} shows "
        "how far it has got."]
    # A second change while the job is waiting to start joins it rather than start another.
    _upload(client, b"family_ref,family_name\nU9,Nine\n")
    assert len(db.session.scalars(select(m.Job)).all()) == 1

    assert run_jobs() == 1
    job = db.session.get(m.Job, job.id)
    assert job.state == "done" and job.summary == (
        "4 changed families evaluated: the figures are as of 30 September 2013.")
    assert job.progress_done == job.progress_total == 4
    assert job.progress_label == "families evaluated"
    assert {"U0", "U1", "U2", "U9"} <= _stored_refs() and store.pending_count() == 0
    assert store.current_run().as_of == D  # a partial refresh keeps the stored date
    assert [e.user_id for e in _events("start_job")] == [manager.id]  # whose change it was
    assert client.get(f"/jobs/{job.id}").status_code == 200


def test_a_manager_refreshes_the_figures_from_the_dashboard_by_a_job(client, sign_in, examples,
                                                                    run_jobs):
    examples()
    store.refresh(as_of=D)
    manager = sign_in("manager")
    dashboard = Page(client.get("/programme").text)
    hold = dashboard.main.find(cls="app-figures-hold")
    assert hold.text().startswith("Figures as of 30 September 2013: every family evaluated on ")
    assert hold.find("strong").text() == "30 September 2013"
    assert dashboard.links["Refresh the figures"] == "/figures/refresh"
    confirm = client.get("/figures/refresh")
    assert confirm.status_code == 200
    said = Page(confirm.text).paragraph("The figures on every summary page are as of")
    assert said.startswith("The figures on every summary page are as of 30 September 2013: "
                           "all 7 families were last evaluated on ")
    assert store.current_run().as_of == D  # asking to see the page changes nothing
    response = post_form(client, "/figures/refresh", {"refresh": "Refresh the figures"})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    waiting = Page(client.get(job_url).text).main.find(cls="app-job-progress")
    assert waiting.find(cls="govuk-tag").text() == "Waiting to start"
    assert store.current_run().as_of == D  # nothing evaluated in the request

    assert run_jobs() == 1
    job = db.session.scalars(select(m.Job)).one()
    assert job.state == "done" and job.summary == (
        f"Every family evaluated: the figures are as of {clock.today():%-d %B %Y}.")
    assert job.progress_done == job.progress_total == 7
    assert store.current_run().as_of == clock.today()
    page = Page(client.get(job_url).text)
    assert page.links["Go to the programme dashboard"] == "/programme"
    assert page.summary["Started by"] == manager.name
    assert [e.user_id for e in _events("start_job")] == [manager.id]
    assert [e.detail for e in _events("job_done")] == [f"refresh_figures: {job.summary}"]
    hold = Page(client.get("/programme").text).main.find(cls="app-figures-hold")
    assert hold.find("strong").text() == f"{clock.today():%-d %B %Y}"


def test_only_those_who_see_the_programme_figures_refresh_them_or_see_the_job(app, examples):
    examples()
    store.refresh(as_of=D)
    manager = create_user("manager")
    job = store.start_refresh(manager, everything=True)
    app.test_client_class = FreshContextClient
    for role in ("admin", "auditor"):
        client = app.test_client()
        login(client, create_user(role).email)
        assert client.get("/figures/refresh").status_code == 403
        assert client.get(f"/jobs/{job.id}").status_code == 404
        assert f"/jobs/{job.id}" not in Page(client.get("/jobs/").text).links.values()
    results = Page(client.get("/results").text)  # the auditor sees the figures, not the button
    assert results.main.find(cls="app-figures-hold").text().startswith(
        "Figures as of 30 September 2013: every family evaluated on ")
    assert "Refresh the figures" not in results.links


def test_a_refresh_job_interrupted_part_way_is_retried_and_stores_each_family_once(
        app, sign_in, examples, run_jobs):
    examples()
    store.refresh(as_of=D)
    manager = sign_in("manager")
    job = store.start_refresh(manager, everything=True)
    app.extensions["casework_queue"].flush()  # the message was lost with the killed worker
    # The first run had written its rows (in one transaction) when it was killed, before it
    # could record the job done.
    store.refresh()
    job = db.session.get(m.Job, job.id)
    job.state, job.attempts = "running", 1
    db.session.commit()
    assert service.recover() == 1
    run_jobs()
    job = db.session.get(m.Job, job.id)
    assert job.state == "done" and job.attempts == 2
    families = db.session.scalar(select(func.count()).select_from(m.Family))
    assert db.session.scalar(select(func.count()).select_from(m.StoredEvaluation)) == families
    assert store.current_run().families == families == 7
    assert store.current_run().as_of == clock.today()


def test_a_large_upload_by_job_re_evaluates_its_families_in_the_worker(app, client, sign_in,
                                                                      examples, run_jobs):
    examples()
    store.refresh(as_of=D)
    app.config["IMPORT_JOB_BYTES"] = 100
    sign_in("manager")
    rows = b"".join(b"J%d,Family %d,2013-01-01\n" % (i, i) for i in range(20))
    response = _upload(client, b"family_ref,family_name,identified_on\n" + rows)
    assert "/jobs/" in response.headers["Location"]
    assert run_jobs() == 1  # the import job, which evaluates its families itself
    assert {f"J{i}" for i in range(20)} <= _stored_refs() and store.pending_count() == 0


def test_every_page_that_shows_stored_figures_says_as_of_when_they_hold(app, client, examples):
    from casework.selection import service as selection

    examples()
    store.refresh(as_of=D)
    holds = "30 September 2013"  # "Figures as of 30 September 2013", the date in bold
    manager, lead = create_user("manager"), create_user("team_lead", team="North")
    meeting = selection.record_meeting(lead, clock.today(), ["Police"])
    app.test_client_class = FreshContextClient
    pages = {manager: ["/results", "/screening", "/programme", "/programme/costs",
                       "/claims/money", "/programme/board-report", "/claims/", "/team",
                       f"/selection/meetings/{meeting.id}"],
             lead: ["/", "/team", "/results"]}
    for user, urls in pages.items():
        browser = app.test_client()
        login(browser, user.email)
        for url in urls:
            page = browser.get(url)
            assert page.status_code == 200, url
            hold = Page(page.text).main.find(cls="app-figures-hold")
            assert hold is not None and hold.find("strong").text() == holds, url


def test_a_refresh_that_fails_at_the_end_of_a_request_keeps_the_change_and_its_queue(
        app, client, sign_in, examples, monkeypatch):
    examples()
    store.refresh(as_of=D)
    sign_in("manager")

    def broken():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(store, "refresh_pending", broken)
    response = _upload(client, b"family_ref,family_name\nK1,Kept\n")
    assert response.status_code == 200
    assert Page(response.text).banners[0].startswith("families: 1 created, 0 updated, 0 unchanged")
    assert _pending_refs() == {"K1"}  # saved, and still waiting to be evaluated
    monkeypatch.undo()
    store.refresh_pending()
    assert "K1" in _stored_refs()


def test_marking_families_stale_is_one_statement_that_moves_a_queued_familys_time(app):
    """mark_stale inserts the ids given as one parameter; a family already queued keeps one
    row, its time moved to the later mark (a refresh that started between the two marks
    must evaluate it again), and nothing given writes nothing."""
    first, second = create_family("Q1"), create_family("Q2")
    db.session.execute(m.StaleFamily.__table__.delete())
    db.session.commit()
    store.mark_stale([])
    assert store.pending_count() == 0
    store.mark_stale([first.id, first.id])
    db.session.commit()
    earlier = db.session.get(m.StaleFamily, first.id).queued_at
    db.session.expire_all()
    store.mark_stale([first.id, second.id])
    db.session.commit()
    db.session.expire_all()
    rows = db.session.execute(select(m.StaleFamily.family_id, m.StaleFamily.queued_at)
                              .order_by(m.StaleFamily.family_id)).all()
    assert [fid for fid, _ in rows] == [first.id, second.id]
    assert rows[0][1] > earlier and rows[0][1] == rows[1][1]


@pytest.mark.parametrize("kind", ["housing", "child-status"])
def test_a_later_programmes_evidence_changed_through_the_orm_queues_its_family(app, examples,
                                                                               kind):
    """Housing and child status are read only by the later programmes' rules (their Outcome
    Plans), which the stored evaluation runs too: a record added, changed or removed through
    the ORM queues its family as any other kind's does (they once said the stored
    evaluation did not read them, and their families kept old rows)."""
    examples()
    store.refresh(as_of=D)
    assert store.pending_count() == 0
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E02"))
    person = family.people[0]
    record = (m.HousingEvent(housing_ref="H-NEW", family_id=family.id, date=D, kind="eviction")
              if kind == "housing" else
              m.ChildStatus(status_ref="CS-NEW", person_id=person.id,
                            status="child_protection_plan", start_date=D))
    db.session.add(record)
    db.session.commit()
    assert _pending_refs() == {"E02"}  # added
    store.refresh_pending()
    assert store.pending_count() == 0
    record.end_date = D + dt.timedelta(days=30)
    db.session.commit()
    assert _pending_refs() == {"E02"}  # changed
    store.refresh_pending()
    db.session.delete(record)
    db.session.commit()
    assert _pending_refs() == {"E02"}  # removed


def test_a_refresh_carries_on_past_an_outcome_plan_that_cannot_be_evaluated(
        client, sign_in, examples, run_jobs):
    """The Outcome Plan in force for Supporting Families no longer reads (loaded before a
    check it now fails): the refresh evaluates every other family and programme, leaves that
    programme's rows as they were, and the job's page and the programme's dashboard say what
    is wrong with the plan by file, line and field, never a traceback."""
    import json

    from casework.evaluation.later import EXAMPLES

    examples()
    manager = sign_in("manager")
    # identified while Supporting Families took families, never signed up: its family
    family = create_family("SF1", identified_on=dt.date(2023, 1, 9))
    store.refresh(as_of=D)
    kept = db.session.scalar(select(m.StoredEvaluation).where(
        m.StoredEvaluation.ruleset == "supporting_families",
        m.StoredEvaluation.family_id == family.id))
    assert kept is not None
    kept_at = kept.evaluated_at
    plan = json.loads((EXAMPLES / "supporting_families.json").read_text())
    plan["version"] = "2026.1"
    plan["problems"]["education"]["indicators"]["attendance"]["terms"] = 0
    text = json.dumps(plan, indent=1)
    db.session.add(m.OutcomePlanVersion(
        ruleset="supporting_families", version="2026.1", title=plan["title"],
        effective_from=dt.date(2022, 10, 1), content=text, sha256="f" * 64,
        file_name="sf-2026.json", loaded_by_id=manager.id))
    db.session.commit()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"terms": 0' in t)
    problem = (f"sf-2026.json:{line}: problems.education.indicators.attendance.terms: must be "
               "a whole number, 1 or more")

    summary = store.refresh(as_of=D)  # no exception: every other family evaluated
    assert summary.unreadable == {"supporting_families": [problem]}
    assert summary.families == count_families()
    db.session.expire_all()
    assert db.session.scalar(select(m.StoredEvaluation.evaluated_at).where(
        m.StoredEvaluation.ruleset == "supporting_families",
        m.StoredEvaluation.family_id == family.id)) == kept_at  # as it was

    dashboard = Page(client.get("/programme?programme=supporting_families").text)
    summary_box = dashboard.main.by_id("plan-errors")
    assert summary_box.find("h2").text() == "The Outcome Plan in force cannot be evaluated"
    assert [li.text() for li in summary_box.find_all("li")] == [problem]
    assert Page(client.get("/programme").text).main.by_id("plan-errors") is None  # 2012-15's

    response = post_form(client, "/figures/refresh", {"refresh": "Refresh the figures"})
    assert run_jobs() == 1
    job = Page(client.get(response.headers["Location"]).text)
    said = job.main.find(cls="govuk-notification-banner").text()
    assert "Supporting Families: the Outcome Plan in force cannot be evaluated" in said
    assert problem in said and "Traceback" not in job.text


def count_families() -> int:
    return db.session.scalar(select(func.count()).select_from(m.Family))
