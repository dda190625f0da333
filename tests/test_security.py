"""Security promises, each proved: audit, throttling, sessions, headers, no lost updates,
upload limit, subject access, backups, and who may see what on every route."""

import datetime as dt
import io
import json
import sqlite3

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from casework import create_app
from casework import models as m
from casework.caseloads.service import allocate
from casework.extensions import db

from .conftest import PASSWORD, FreshContextClient, csrf_token, login, post_form
from .factories import create_family, create_organisation, create_person, create_user
from .parsed import Page, parse


def events(action=None):
    query = select(m.AuditEvent).order_by(m.AuditEvent.id)
    if action:
        query = query.where(m.AuditEvent.action == action)
    return db.session.scalars(query).all()


# Audit ----------------------------------------------------------------------------------------


def test_sign_in_and_failed_sign_in_are_audited_with_the_address(client):
    user = create_user("manager")
    login(client, user.email, "not-the-password")
    login(client, user.email)
    failed, ok = events("sign_in_failed")[0], events("sign_in")[0]
    assert failed.object_ref == user.email.lower() and failed.ip == "127.0.0.1"
    assert ok.user_id == user.id


def test_viewing_changing_and_exporting_personal_data_is_audited(client, sign_in, examples):
    examples()
    manager = sign_in("manager")
    client.get("/families/E01")
    page = client.get("/families/E01/edit")
    client.post("/families/E01/edit", data={"csrf_token": csrf_token(page.text), "version": "1",
                "family_name": "Taylor family", "ward": "Fant"})
    client.get("/results.csv?as_of=2013-09-30")
    client.get("/people/P00002/export.json")
    got = {(e.action, e.object_type, e.object_ref) for e in events() if e.user_id == manager.id}
    assert ("view", "family", "E01") in got
    assert ("update", "families", "E01") in got
    assert ("export", "results", None) in got
    assert ("export", "person", "P00002") in got


def test_managers_see_who_viewed_a_family(client, sign_in, app, examples):
    examples()
    auditor = create_user("auditor", name="Avery Auditor")
    other = app.test_client()
    login(other, auditor.email)
    other.get("/families/E02")
    sign_in("manager")
    page = Page(client.get("/families/E02").text)
    assert "Who viewed this family" in page.headings
    views = page.table("Recent views of this family's records").rows
    assert [(v["Who"], v["What"]) for v in views] == [("Avery Auditor (Internal auditor)", "Family")]


def test_who_viewed_a_family_says_what_they_viewed_in_the_audit_logs_words(client, sign_in, app,
                                                                            examples):
    """The family page's "Who viewed" names what was viewed as the audit log does (one set of
    words, casework.audit.OBJECT_WORDS), never the audit row's own names ("plan", "timeline",
    anything with an underscore)."""
    from casework.audit import record_event

    examples()
    auditor = create_user("auditor", name="Avery Auditor")
    for what in ("family", "timeline", "plan"):
        record_event("view", what, "E02", user=auditor)
    db.session.commit()
    sign_in("manager")
    views = Page(client.get("/families/E02").text).table("Recent views of this family's records")
    assert sorted(views.column("What")) == ["Family", "Family plan", "Timeline"]
    admin = app.test_client()
    login(admin, create_user("admin").email)
    logged = Page(admin.get("/admin/audit", query_string={
        "ref": "E02", "who": auditor.email, "from": "2000-01-01"}).text).table("Audit entries")
    assert sorted((row["Action"], row["Record"]) for row in logged.rows) == [
        ("Viewed", "Family E02"), ("Viewed", "Family plan E02"), ("Viewed", "Timeline E02")]


def test_admins_search_the_audit_log_and_nobody_else_can(client, sign_in, app, examples):
    examples()
    manager = create_user("manager")
    c = app.test_client()
    login(c, manager.email)
    c.get("/families/E03")
    assert c.get("/admin/audit").status_code == 403
    sign_in("admin")
    page = Page(client.get(f"/admin/audit?ref=E03&who={manager.email}").text)
    assert page.paragraphs()[-1] == "1 entries"
    [entry] = page.table("Audit entries").rows
    assert (entry["Who"], entry["Action"], entry["Record"]) == (
        f"{manager.name} (Programme manager) {manager.email}", "Viewed", "Family E03")


def test_audit_rows_cannot_be_changed_or_deleted(app):
    from casework.audit import record_event

    record_event("view", "family", "X1")
    db.session.commit()
    row = events()[0]
    row.detail = "tampered"
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(events()[0])
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()


# Sign-in throttling and passwords ---------------------------------------------------------------


def test_ten_failures_lock_the_account_for_fifteen_minutes_even_with_the_right_password(client):
    user = create_user("manager")
    with freeze_time("2026-11-01 09:00:00"):
        for _ in range(10):
            assert login(client, user.email, "wrong-password-xx").status_code == 200
        locked = login(client, user.email)
        assert locked.status_code == 429
        assert Page(locked.text).h1 == "Sign-in is locked for this account"
    with freeze_time("2026-11-01 09:14:59"):
        assert login(client, user.email).status_code == 429
    with freeze_time("2026-11-01 09:15:01"):
        assert login(client, user.email).status_code == 302


def test_nine_failures_do_not_lock(client):
    user = create_user("manager")
    for _ in range(9):
        login(client, user.email, "wrong-password-xx")
    assert login(client, user.email).status_code == 302


def test_sign_in_is_limited_per_address(app, database_url):
    limited = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    client = limited.test_client()
    codes = [client.post("/login", data={"email": "x@y.z", "password": "p"}).status_code
             for _ in range(31)]
    assert codes[-1] == 429 and 429 not in codes[:30]


def test_admin_deactivates_a_user_and_resets_a_password(client, sign_in, app):
    worker = create_user("worker")
    sign_in("admin")
    post_form(client, f"/admin/users/{worker.id}/deactivate", {"to": "0", "reason": ""})
    other = app.test_client()
    assert login(other, worker.email).status_code == 200  # refused
    weak = post_form(client, f"/admin/users/{worker.id}/password", {"password": "short"})
    assert Page(weak.text).errors == ["Password must be at least 12 characters long"]
    post_form(client, f"/admin/users/{worker.id}/password", {"password": "a-brand-new-passphrase"})
    page = client.get("/admin/users")
    client.post(f"/admin/users/{worker.id}/active", data={"csrf_token": csrf_token(page.text), "active": "1"})
    assert login(app.test_client(), worker.email, "a-brand-new-passphrase").status_code == 302
    assert {"deactivate", "activate", "reset_password"} <= {e.action for e in events()}


# Sessions -------------------------------------------------------------------------------------


def test_idle_sessions_expire_after_30_minutes(client):
    user = create_user("manager")
    with freeze_time("2026-11-01 09:00:00"):
        login(client, user.email)
        assert client.get("/families").status_code == 200
    with freeze_time("2026-11-01 09:29:00"):
        assert client.get("/families").status_code == 200
    with freeze_time("2026-11-01 10:00:00"):
        response = client.get("/families")
        assert response.status_code == 302 and "expired=1" in response.headers["Location"]


def test_sessions_end_after_12_hours_however_busy(client):
    user = create_user("manager")
    with freeze_time("2026-11-01 08:00:00") as frozen:
        login(client, user.email)
        for _ in range(24):
            frozen.tick(dt.timedelta(minutes=29))
            client.get("/families")
        frozen.tick(dt.timedelta(minutes=29))  # 12 h 25 min after signing in
        assert client.get("/families").status_code == 302


def test_session_cookie_is_httponly_and_lax(client):
    user = create_user("manager")
    response = login(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("CASEWORK_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="CASEWORK_SECRET_KEY"):
        create_app("production", SECRET_KEY=None)


def test_production_sets_secure_cookies_and_hsts(database_url):
    app = create_app("production", SECRET_KEY="0123456789abcdefghijklmnopqrstuv", SQLALCHEMY_DATABASE_URI=database_url)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/login")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


# Headers on every page --------------------------------------------------------------------------


def test_every_page_sends_the_security_headers(client, sign_in, app):
    sign_in("manager")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint in ("static",):
            continue
        response = client.get(rule.rule)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp, rule.rule
        assert response.headers["X-Frame-Options"] == "DENY", rule.rule
        assert response.headers["Referrer-Policy"] == "same-origin", rule.rule
        assert response.headers["Cache-Control"] == "no-store", rule.rule


def test_inline_script_carries_the_request_nonce(client):
    page = client.get("/login")
    nonce = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    scripts = Page(page.text).root.find_all("script")
    inline = [s for s in scripts if "src" not in s.attrs]
    assert inline and all(s.attrs.get("nonce") == nonce for s in inline)


# No lost updates --------------------------------------------------------------------------------


def test_a_save_over_someone_elses_newer_change_is_refused_showing_both(client, sign_in, app):
    family = create_family("V1", family_name="Original", ward="Fant")
    sign_in("manager")
    other_user = create_user("manager")
    other = app.test_client()
    login(other, other_user.email)
    mine, theirs = client.get("/families/V1/edit"), other.get("/families/V1/edit")
    saved = other.post("/families/V1/edit", data={"csrf_token": csrf_token(theirs.text), "version": "1",
                       "family_name": "Their name", "ward": "Fant"})
    assert saved.status_code == 302
    refused = client.post("/families/V1/edit", data={"csrf_token": csrf_token(mine.text), "version": "1",
                          "family_name": "My name", "ward": "Bridge"})
    assert refused.status_code == 200
    shown = Page(refused.text)
    assert shown.root.find(cls="govuk-error-summary__title").text() == (
        "Someone else changed these details while you were editing")
    assert shown.errors == [
        "Nothing was saved. Check their changes below, then save again if yours should still apply."]
    assert shown.table("Their version and yours").body == [
        ["family name", "Their name", "My name"], ["ward", "Fant", "Bridge"]]
    db.session.expire_all()
    family = db.session.get(m.Family, family.id)
    assert (family.family_name, family.ward, family.version) == ("Their name", "Fant", 2)


def test_an_import_makes_an_open_edit_form_stale(client, sign_in, cli, tmp_path):
    create_family("V2", family_name="Before")
    sign_in("manager")
    page = client.get("/families/V2/edit")
    (tmp_path / "f.csv").write_text("family_ref,family_name\nV2,Imported\n")
    cli("import", "families", tmp_path / "f.csv")
    refused = client.post("/families/V2/edit", data={"csrf_token": csrf_token(page.text), "version": "1",
                          "family_name": "Mine"})
    assert Page(refused.text).table("Their version and yours").body == [
        ["family name", "Imported", "Mine"]]


def test_editing_a_person_keeps_the_change_in_history(client, sign_in):
    family = create_family("V3")
    create_person(family, "VP1", born=dt.date(2001, 2, 3), given_name="Kim")
    sign_in("manager")
    response = post_form(client, "/people/VP1/edit", {"version": "1", "given_name": "Kimberley",
                         "family_name": "Test", "date_of_birth": ["3", "2", "2001"], "sex": "f"})
    assert response.status_code == 302
    history = db.session.scalars(select(m.RecordHistory)).one()
    assert history.before == {"given_name": "Kim", "sex": None}
    assert history.after == {"given_name": "Kimberley", "sex": "f"}
    page = Page(client.get("/families/V3").text)
    assert page.table("Family members").cell("Kimberley Test", "Reference") == "VP1"
    assert "Kimberley Test's details saved." in page.banners  # by the name saved, not the old one


# Uploads ----------------------------------------------------------------------------------------


def test_uploads_over_10_mb_are_refused_with_a_clear_page(client, sign_in):
    sign_in("manager")
    page = client.get("/imports/")
    big = io.BytesIO(b"family_ref,family_name\n" + b"F1,X\n" * (2_200_000))
    response = client.post("/imports/", data={"csrf_token": csrf_token(page.text), "kind": "families",
                           "file": (big, "big.csv")}, content_type="multipart/form-data")
    assert response.status_code == 413
    refused = Page(response.text)
    assert (refused.h1, refused.paragraphs()) == (
        "The file is too large", ["Files must be smaller than 10 MB."])


def test_error_pages_carry_no_personal_data(client, sign_in, examples):
    examples()
    sign_in("manager")
    page = client.get("/families/NOPE-E01")
    assert page.status_code == 404 and "Taylor" not in page.text


# Subject access ---------------------------------------------------------------------------------


def test_subject_access_export_has_everything_about_the_person_and_is_audited(client, sign_in, examples,
                                                                            run_jobs):
    examples()
    sign_in("manager")
    data = json.loads(client.get("/people/P00002/export.json").data)
    assert data["person"]["given_name"] == "Casey" and data["family"]["family_ref"] == "E01"
    assert {a["asb_ref"] for a in data["asb"]} >= {"A00007", "A00013"}
    assert {o["offence_ref"] for o in data["offences"]} == {"O00005", "O00006", "O00015"}
    started = post_form(client, "/people/P00002/subject-access-pdf", {}, page_url="/families/E01")
    assert started.status_code == 302 and run_jobs() == 1
    pdf = client.get(started.headers["Location"] + "/result")
    assert pdf.mimetype == "application/pdf" and pdf.data[:4] == b"%PDF"
    assert [e.detail for e in events("export") if e.object_type == "person"] == [
        "subject access (json)", "subject access (pdf)"]


def test_subject_access_is_for_managers_only(client, sign_in, examples):
    examples()
    sign_in("auditor")
    assert client.get("/people/P00002/export.json").status_code == 403


# Backups ----------------------------------------------------------------------------------------


def test_backup_makes_a_copy_that_restores_every_row(cli, examples, tmp_path, app):
    from casework.extensions import db as database

    if database.engine.dialect.name != "sqlite":
        result = cli("backup", tmp_path / "x.db")
        assert result.exit_code == 1 and "pg_dump" in result.output
        return
    examples()
    target = tmp_path / "backup.db"
    result = cli("backup", target)
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(target)
    counts = {t: copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("families", "people", "school_terms", "asb_records", "offences", "work_spells")}
    assert counts == {"families": 7, "people": 18, "school_terms": 33, "asb_records": 17,
                      "offences": 8, "work_spells": 9}
    restored = create_app("test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{target}")
    with restored.app_context():
        from casework.evaluation.service import evaluate_families

        assert [i.evaluation.family_ref for i in evaluate_families(dt.date(2013, 9, 30))] == [
            "E01", "E02", "E03", "E04", "E05", "E06", "E07"]
    assert cli("backup", target).exit_code == 1  # never overwrites


# Every route, every role ------------------------------------------------------------------------

ROLES = ("worker", "team_lead", "manager", "auditor", "admin", "partner")


@pytest.fixture
def world(app, cli, examples):
    examples()
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    allocate(family, worker, dt.date(2012, 7, 16), lead)
    cli("claims", "build", "--as-of", "2013-09-30")
    auditor = create_user("auditor")
    claim_id = db.session.scalar(select(m.Claim.id).order_by(m.Claim.id).limit(1))
    cli("claims", "validate", claim_id, "--by", auditor.email)  # ids go on across tests on PostgreSQL
    cli("claims", "batch", "--window", "Test")
    batch_id = db.session.scalar(select(m.ClaimBatch.id))
    contact = m.Contact(family_id=family.id, author_id=worker.id, contact_at=dt.datetime(2013, 1, 1, 10),
                        kind="phone", status="final")
    goal = m.PlanGoal(family_id=family.id, problem="education", goal="School")
    referral = m.Referral(family_id=family.id, kind="other", agency="X", referred_on=dt.date(2013, 1, 1))
    db.session.add_all([contact, goal, referral])
    db.session.flush()
    action = m.FollowUp(contact_id=contact.id, family_id=family.id, action="Ring the school")
    db.session.add(action)
    db.session.commit()
    extra = _every_page_has_a_record(family, lead, worker, auditor)
    extra.update(_partners(extra["manager"]))
    return {"lead": lead, "worker": worker, "contact": contact.id, "goal": goal.id,
            "referral": referral.id, "user": worker.id, "action": action.id,
            "claim": claim_id, "batch": batch_id,
            "people": db.session.scalars(select(m.Person.id).order_by(m.Person.id).limit(2)).all(),
            **extra}


def _partners(manager) -> dict:
    """Partners of two organisations (the police, a school) and two families: the police
    officer in E01's Team Around the Family, the school's attendance officer in E02's, each
    family consenting; a meeting of E01's team the officer attended, with an action they
    own; a referral of E01 to the police. The walk signs in as the officer ("partner")."""
    from casework.partners import service as partners

    police = create_organisation("Kent Police", "police")
    school = create_organisation("Fant Primary School", "school")
    officer = create_user("partner", organisation=police)
    teacher = create_user("partner", organisation=school)
    e01, e02 = (db.session.scalar(select(m.Family).where(m.Family.family_ref == ref))
                for ref in ("E01", "E02"))
    start = dt.date(2012, 8, 1)
    member = partners.add_member(e01, officer.id, start, "Neighbourhood officer", manager)
    # A second member: the team page repeats its forms (one to end each membership).
    partners.add_member(e01, teacher.id, start, "Attendance officer", manager)
    partners.add_member(e02, teacher.id, start, "Attendance officer", manager)
    for family in (e01, e02):
        partners.record_consent(family, start, "Parent", manager)
    meeting = partners.add_meeting(e01, start, [member.id], "Attend school daily", [
        partners.NewAction("Visit the family", member.id, dt.date(2012, 9, 1))], manager)
    # A referral of E01 sent to the police: its practitioner and E01's staff see it.
    referral = m.Referral(family_id=e01.id, kind="offending", agency=police.name,
                          referred_on=dt.date(2013, 1, 2), organisation_id=police.id,
                          reason="Anti-social behaviour", may_share="The plan",
                          due_on=dt.date(2013, 2, 1))
    db.session.add(referral)
    db.session.commit()
    return {"partner": officer, "teacher": teacher, "organisation": police.id,
            "school": school.id, "member": member.id, "taf_meeting": meeting.id,
            "taf_action": meeting.actions[0].id, "referral": referral.id}


def _every_page_has_a_record(family, lead, worker, auditor) -> dict:
    """The records the other pages show, so that every GET answers 200 to the roles that
    may see it (not 404 for want of a record): a refused import run, a selection meeting with
    E01 selected for the worker, a need, a matching review, an Outcome Plan version, and a
    finished job with a file that each role may see."""
    from casework.imports import guide
    from casework.outcomes.service import example_text, load_plan_version

    admin = create_user("admin")
    manager = create_user("manager")
    guide.import_recorded("families", b"family_ref,family_name\nBAD1,\n", "bad.csv", manager)
    run = db.session.scalars(select(m.ImportRun).order_by(m.ImportRun.id.desc())).first()
    meeting = m.SelectionMeeting(held_on=dt.date(2012, 7, 1), recorded_by_id=lead.id,
                                 agencies=["Police"])
    db.session.add(meeting)
    db.session.flush()
    db.session.add(m.SelectionDecision(meeting_id=meeting.id, family_id=family.id,
                                       decision="selected", lead_worker_id=worker.id,
                                       decided_by_id=lead.id))
    db.session.add(m.Need(need_ref="N-1", family_id=family.id, problem="education",
                          indicator="attendance", identified_on=dt.date(2015, 5, 1)))
    # A retired model version: the review names it; finding duplicates uses the one in use.
    model = m.MatchModel(source="test", register_size=1, model={}, status="retired")
    db.session.add(model)
    db.session.flush()
    review = m.MatchReview(kind="asb", record_key="R1", filename="asb.csv", line=2,
                           row={"asb_ref": "R1"}, given_name="Casey", family_name="Roberts",
                           date_of_birth=dt.date(1996, 10, 1), identity_key="k",
                           candidates=[], model_id=model.id)
    db.session.add(review)
    kept = db.session.scalar(select(m.Person).where(m.Person.person_ref == "P00002"))
    merge = m.PersonMerge(kept_id=kept.id, merged_ref="P00099", merged={"person_ref": "P00099"},
                          moved={}, merged_by_id=manager.id, undone_at=dt.datetime(2013, 1, 2))
    db.session.add(merge)
    family_merge = m.FamilyMerge(kept_id=family.id, merged_ref="E99",
                                 merged={"family_ref": "E99", "family_name": "Gone"}, moved={},
                                 merged_by_id=manager.id, undone_at=dt.datetime(2013, 1, 2))
    db.session.add(family_merge)
    pledge = m.MatchContribution(programme="phase1", source_kind="school", source_name="Fant "
                                 "Primary", financial_year=2013, pledged_pence=100000,
                                 pledged_on=dt.date(2013, 5, 1))
    db.session.add(pledge)
    db.session.commit()
    plan = load_plan_version("phase2", example_text("phase2").encode(), "phase2.json", admin)
    from casework.api.tokens import create_token

    token, _secret = create_token(admin, system_name="Police records", system_role="auditor")
    jobs = {}
    for role, kind, user, family_id, params in (
            ("manager", "subject_access_pdf", manager, family.id, {"family_ref": "E01"}),
            ("auditor", "claim_batch_pdf", auditor, None, {"batch_id": 1}),
            ("admin", "import", admin, None, {"kind": "families", "filename": "f.csv",
                                              "match": False}),
            ("team_lead", "board_report", lead, None, {}),
            ("worker", "board_report", worker, None, {})):
        job = m.Job(kind=kind, title=f"{role}'s job", state="done", params=params,
                    family_id=family_id, started_by_id=user.id, summary="Done.",
                    result_name="result.pdf", result_mimetype="application/pdf",
                    result=b"%PDF-1.4", finished_at=dt.datetime(2013, 1, 1))
        db.session.add(job)
        db.session.flush()
        jobs[role] = job.id
    db.session.commit()
    return {"run": run.id, "meeting": meeting.id, "review": review.id, "version": plan.id,
            "merge": merge.id, "family_merge": family_merge.id, "contribution": pledge.id, "token": token.id,
            "jobs": jobs, "manager": manager, "admin": admin}


ARGS = {"kind": "families", "run_id": 1, "job_id": 1, "review_id": 1, "family_ref": "E01", "person_ref": "P00002", "claim_id": 1, "batch_id": 1, "fmt": "csv",
        "meeting_id": 1, "token_id": 1, "first_id": 1, "second_id": 2, "merge_id": 1,
        "first_ref": "E01", "second_ref": "E02", "family_merge_id": 1,
        "ruleset": "phase2", "version_id": 1, "need_ref": "N-1",
        "filename": "images/favicon.ico"}


# The subject access exports are JSON (their PDFs are jobs).
FORMATS = {"families.subject_access": "json", "families.family_subject_access": "json"}


def _url(rule, world, role=None):
    values = {}
    for arg in rule.arguments:
        values[arg] = {"contact_id": world["contact"], "goal_id": world["goal"], "action_id": world["action"],
                       "referral_id": world["referral"], "user_id": world["user"],
                       "run_id": world.get("run"), "meeting_id": world.get("meeting"),
                       "review_id": world.get("review"), "version_id": world.get("version"),
                       "merge_id": world.get("merge"),
                       "family_merge_id": world.get("family_merge"), "claim_id": world.get("claim"),
                       "batch_id": world.get("batch"),
                       "contribution_id": world.get("contribution"),
                       "token_id": world.get("token"),
                       "organisation_id": world.get("organisation"),
                       "member_id": world.get("member"), "taf_meeting_id": world.get("taf_meeting"),
                       "taf_action_id": world.get("taf_action"),
                       "first_id": world["people"][0], "second_id": world["people"][1],
                       "job_id": world.get("jobs", {}).get(role), "need_ref": "N-1",
                       "fmt": FORMATS.get(rule.endpoint),
                       }.get(arg) or ARGS.get(arg)
    from flask import url_for

    return url_for(rule.endpoint, **values)


# Pages that answer a role by sending it elsewhere: the home page to a role's own start page;
# a new claim batch, asked for with no window named, to the claims list.
REDIRECTS = {"manager": {"home.index", "claims.confirm_batch"}, "auditor": {"home.index"},
             "admin": {"home.index"}, "partner": {"home.index"}}
# Roles that see no family at all (their pages are about users, teams and the audit log).
NO_FAMILIES = {"admin"}
# A partner practitioner sees E01 (in its team, under consent) but only their sharing level's
# sections: the case file's pages are the lead professional's (403 for a police officer).
PARTNER_SECTION_PAGES = {"casefile.timeline", "casefile.plan"}


def _walker(world, role):
    """The world's user of `role`, signed in on a client of its own."""
    from flask import current_app

    user = world.get({"worker": "worker", "team_lead": "lead"}.get(role, role))
    if user is None:
        user = world[role] = create_user(role)
    # Each request in an app context of its own, as a server gives it (a plain test client
    # shares the test's `g`, and with it the first request's CSRF token and signed-in user).
    client = FreshContextClient(current_app, current_app.response_class, use_cookies=True)
    login(client, user.email, PASSWORD)
    return client


def _get_routes(app, world, role):
    """(endpoint, url, the statuses `role` may get) of every GET route with a permission: 403
    without it, 200 with it (the world holds a record for every page), 302 where a page sends
    the role elsewhere, 404 where the role sees no family at all."""
    from casework.permissions import PERMISSIONS

    with app.test_request_context():
        rules = [(r, _url(r, world, role)) for r in app.url_map.iter_rules()
                 if "GET" in r.methods and r.endpoint != "static"]
    walk = []
    for rule, url in rules:
        view = app.view_functions[rule.endpoint]
        if view.permission is None:
            continue
        if role not in PERMISSIONS[view.permission]:
            expected = {403}
        elif rule.endpoint in REDIRECTS.get(role, ()):
            expected = {302}
        elif role in NO_FAMILIES and {"family_ref", "person_ref"} & set(rule.arguments):
            expected = {404}  # the role sees no family: record scope, not a missing record
        elif role == "partner" and rule.endpoint in PARTNER_SECTION_PAGES:
            expected = {403}
        else:
            expected = {200}
        walk.append((rule.endpoint, url, expected))
    return walk


def _repeated_ids(response) -> list[str]:
    """The ids an HTML page gives more than one element (WCAG 4.1.1, 1.3.1: a label, an
    error summary's link or aria-describedby then points at the first of them only)."""
    if response.status_code != 200 or response.mimetype != "text/html":
        return []
    seen: dict[str, int] = {}
    for node in parse(response.text).iter():
        if "id" in node.attrs:
            seen[node.attrs["id"]] = seen.get(node.attrs["id"], 0) + 1
    return sorted(i for i, n in seen.items() if n > 1)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as_every_role(app, world, role):
    """Every GET page answers each role as its permission says, and no page it may see
    repeats an id (the walk reads each page once for both)."""
    client = _walker(world, role)
    walk = _get_routes(app, world, role)
    wrong, repeated = [], []
    for _endpoint, url, expected in walk:
        response = client.get(url)
        if response.status_code not in expected:
            wrong.append((url, response.status_code))
        if ids := _repeated_ids(response):
            repeated.append((url, ids))
    assert wrong == []
    assert repeated == []
    assert len(walk) > 20


def _post_routes(app, world, role=None, only=True):
    """(endpoint, view, url) of every POST route with a permission (only: those with no GET,
    else those with both, the forms), signing out last so the others run signed in. The
    API's are token-authenticated and never read the session (test_api.py shows a signed-in
    browser's POST there is refused with 401 and writes nothing)."""
    with app.test_request_context():
        rules = [(r.endpoint, app.view_functions[r.endpoint], _url(r, world, role))
                 for r in app.url_map.iter_rules()
                 if "POST" in r.methods and ("GET" not in r.methods) == only
                 and not r.endpoint.startswith("api.")
                 and getattr(app.view_functions[r.endpoint], "permission", None) is not None]
    return sorted(rules, key=lambda rule: rule[2] == "/logout")


# Forms that a role may see but not send: the view checks a second permission when the form
# is posted (test_post_permissions_are_the_views_own checks each view says so) ...
POST_PERMISSIONS = {"claims.index": "manage_claims", "claims.show": "audit_claims",
                    "outcomes.history": "manage_outcome_plans"}
# ... or the record's write access: the manager, the auditor and a partner in its Team Around
# the Family read E01's plan, its worker and team lead change it; a Team Around the Family
# action is completed by its owner, not by the auditor who reads it.
WRITE_REFUSED = {"manager": {"casefile.plan"}, "auditor": {"casefile.plan", "partners.action"},
                 "partner": {"casefile.plan"}}


def _post_expected(endpoint, view, role, rule_args=()) -> set[int]:
    from casework.permissions import PERMISSIONS

    post_permission = POST_PERMISSIONS.get(endpoint, view.permission)
    if (role not in PERMISSIONS[view.permission] or role not in PERMISSIONS[post_permission]
            or endpoint in WRITE_REFUSED.get(role, ())):
        return {403}
    if role in NO_FAMILIES and {"family_ref", "person_ref"} & set(rule_args):
        return {404}
    # Done (302), or the form shown again with what is missing (200 or 400): never a 404
    # (the world holds every record) and never a 500.
    return {200, 302, 400}


def _walk_posts(app, world, role, only):
    client = _walker(world, role)
    token = csrf_token(client.get("/", follow_redirects=True).text)
    arguments = {r.endpoint: r.arguments for r in app.url_map.iter_rules()}
    routes = _post_routes(app, world, role, only)
    wrong = []
    for endpoint, view, url in routes:
        # Without the token the form is refused before anything else, whoever sends it.
        if (status := client.post(url, data={}).status_code) != 400:
            wrong.append((url, "no token", status))
        status = client.post(url, data={"csrf_token": token}).status_code
        if status not in _post_expected(endpoint, view, role, arguments[endpoint]):
            wrong.append((url, status))
    return routes, wrong


@pytest.mark.parametrize("role", ROLES)
def test_every_post_only_route_as_every_role_with_and_without_csrf(app, world, role):
    routes, wrong = _walk_posts(app, world, role, only=True)
    assert not wrong, "\n".join(map(str, wrong))
    assert len(routes) > 5


@pytest.mark.parametrize("role", ROLES)
def test_every_form_posted_as_every_role_with_and_without_csrf(app, world, role):
    """The routes that show a form and take it (GET and POST), posted empty by every role:
    refused with 403 where the role may not send it, even when it may see the page."""
    routes, wrong = _walk_posts(app, world, role, only=False)
    assert not wrong, "\n".join(map(str, wrong))
    assert len(routes) > 20


def test_post_permissions_are_the_views_own(app):
    import inspect

    for endpoint, permission in POST_PERMISSIONS.items():
        source = inspect.getsource(inspect.unwrap(app.view_functions[endpoint]))
        assert f'if not can(current_user, "{permission}"):\n            abort(403)' in source, endpoint


def test_every_post_only_route_sends_signed_out_visitors_to_sign_in(app, client, world):
    token = csrf_token(client.get("/login").text)
    for _endpoint, _view, url in _post_routes(app, world):
        assert client.post(url, data={}).status_code == 400, url
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("path", ["/families", "/families/E01", "/results", "/claims/", "/team",
                                  "/my-families", "/admin/users", "/imports/"])
def test_signed_out_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_family_routes_are_404_outside_a_workers_scope(app, world):
    other = create_user("worker", team="South")
    client = app.test_client()
    login(client, other.email)
    for path in ("/families/E01", "/families/E01/timeline", "/families/E01/plan",
                 "/families/E01/contacts/new", f"/families/E01/contacts/{world['contact']}/edit"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("env, message", [
    ({"CASEWORK_ENV": "production"}, "casework: CASEWORK_SECRET_KEY must be set to run casework in production"),
    ({"CASEWORK_ENV": "prod"}, "casework: CASEWORK_ENV='prod' is not one of development, test, production"),
])
def test_the_command_line_names_a_missing_production_setting(tmp_path, env, message):
    import os
    import subprocess
    import sys
    from pathlib import Path

    clean = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    done = subprocess.run([str(Path(sys.executable).parent / "casework"), "db", "upgrade"],
                          env={**clean, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env},
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith(message) and "Traceback" not in done.stderr
