"""The read API under /api/v1/: tokens (made by an admin, shown once, kept hashed, expiring,
revocable), scope through casework.access, audit and limits, no cookies, and every response
checked against the OpenAPI document by openapi-core, as a generated client would be."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from freezegun import freeze_time
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from casework import models as m
from casework.api import tokens
from casework.api.openapi import api_document
from casework.caseloads.service import allocate
from casework.extensions import db

from .conftest import csrf_token, login, post_form
from .factories import create_user
from .htmltables import table
from .parsed import Page


@pytest.fixture(scope="module")
def spec():
    return OpenAPI.from_dict(api_document())


@pytest.fixture
def world(app, examples):
    examples()
    admin = create_user("admin")
    lead = create_user("team_lead", team="North")
    mine, theirs = create_user("worker", team="North"), create_user("worker", team="North")
    families = {f.family_ref: f for f in db.session.scalars(select(m.Family))}
    allocate(families["E01"], mine, dt.date(2012, 7, 16), lead)
    allocate(families["E02"], theirs, dt.date(2012, 7, 16), lead)
    db.session.commit()
    return {"admin": admin, "mine": mine, "theirs": theirs, "lead": lead}


def make(world, **kwargs):
    token, secret = tokens.create_token(world["admin"], **kwargs)
    return token, {"Authorization": f"Bearer {secret}"}


def call(client, spec, url, headers, method="get", **kwargs):
    """Call the API and check the response against the OpenAPI document."""
    response = getattr(client, method)(url, headers=headers, **kwargs)
    request = response.request
    if method == "post":  # the app has read the body: the same request, built again
        request = Request(EnvironBuilder(url, method="POST", headers=headers,
                                         **kwargs).get_environ())
    spec.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
    return response


def test_the_document_is_openapi_3_and_names_every_route(app, spec):
    document = api_document()
    assert document["openapi"].startswith("3.")
    routes = {r.rule.replace("<", "{").replace(">", "}"): r.methods - {"HEAD", "OPTIONS"}
              for r in app.url_map.iter_rules() if r.rule.startswith("/api/")}
    documented = {path: {m.upper() for m in ops} for path, ops in document["paths"].items()}
    assert routes == documented
    served = app.test_client().get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.json == document


def test_a_workers_token_reads_their_family_and_another_is_the_same_404_as_none(
        client, spec, world):
    _, headers = make(world, user_email=world["mine"].email)
    page = call(client, spec, "/api/v1/families", headers).json
    assert [f["family_ref"] for f in page["items"]] == ["E01"] and page["total"] == 1
    family = call(client, spec, "/api/v1/families/E01", headers)
    assert family.status_code == 200 and family.json["family_name"] == "Taylor household"
    members = call(client, spec, "/api/v1/families/E01/members", headers).json
    assert {p["person_ref"] for p in members} and all("nhs_number" in p for p in members)
    evaluation = call(client, spec, "/api/v1/families/E01/evaluation?as_of=2013-09-30",
                      headers).json
    assert evaluation["family_ref"] == "E01" and evaluation["as_of"] == "2013-09-30"
    episodes = call(client, spec, "/api/v1/families/E01/episodes?as_of=2013-09-30", headers)
    assert [(e["signed_up_on"], e["closed_on"]) for e in episodes.json] == [("2012-07-16", None)]
    assert call(client, spec, "/api/v1/families/E01/episodes?as_of=2013-9-3",
                headers).status_code == 400
    theirs = call(client, spec, "/api/v1/families/E02", headers)
    missing = call(client, spec, "/api/v1/families/NOPE", headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json == missing.json
    for path in ("members", "evaluation", "episodes"):
        assert call(client, spec, f"/api/v1/families/E02/{path}", headers).json == call(
            client, spec, f"/api/v1/families/NOPE/{path}", headers).json
    # A worker's role has no claims, figures or imports: 403, whichever family.
    assert call(client, spec, "/api/v1/families/E01/claims", headers).status_code == 403
    assert call(client, spec, "/api/v1/figures", headers).status_code == 403


def test_the_evaluation_is_the_command_lines(client, spec, world, cli):
    import json

    _, headers = make(world, system_name="BI warehouse", system_role="manager")
    expected = json.loads(cli("evaluate", "--as-of", "2013-09-30", "--family", "E03",
                              "--format", "json").output)[0]
    assert call(client, spec, "/api/v1/families/E03/evaluation?as_of=2013-09-30",
                headers).json == expected
    bad = call(client, spec, "/api/v1/families/E03/evaluation?as_of=2013-02-30", headers)
    assert bad.status_code == 400 and "as_of" in bad.json["message"]


def test_a_managers_system_token_pages_every_family_and_reads_the_dashboards_figures(
        client, spec, world, cli):
    from casework.evaluation import figures, store

    cli("claims", "build", "--as-of", "2013-09-30")
    store.refresh(as_of=dt.date(2013, 9, 30))
    _, headers = make(world, system_name="BI warehouse", system_role="manager")
    first = call(client, spec, "/api/v1/families?per_page=3", headers).json
    second = call(client, spec, "/api/v1/families?per_page=3&page=2", headers).json
    total = db.session.scalar(select(func.count()).select_from(m.Family))
    assert first["total"] == total and first["pages"] == -(-total // 3)
    assert [f["family_ref"] for f in first["items"] + second["items"]] == sorted(
        db.session.scalars(select(m.Family.family_ref)))[:6]
    got = call(client, spec, "/api/v1/figures", headers).json
    sc = figures.scope(world["admin"], families=select(m.Family))
    assert got["families"] == figures.family_counts(sc)
    assert got["claims"] == figures.claim_totals(sc)
    assert got["stored_totals"]["changes_not_counted"] == 0  # stored by the refresh
    counted_at = got["stored_totals"]["counted_at"]
    assert dt.datetime.fromisoformat(counted_at) <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    # A change saved since: read from the stored totals (a council's many families), the
    # figures say they do not count it yet.
    client.application.config["FIGURES_LIVE_BELOW"] = 0
    db.session.add(m.Contact(family_id=db.session.scalar(select(m.Family.id).limit(1)),
                             author_id=world["admin"].id, contact_at=dt.datetime(2013, 9, 2, 10),
                             kind="home_visit", duration_minutes=30, status="final"))
    db.session.commit()
    got = call(client, spec, "/api/v1/figures", headers).json
    assert got["stored_totals"] == {"counted_at": counted_at, "changes_not_counted": 1}
    # Few families: counted live and exact once behind, and the figures say so.
    client.application.config["FIGURES_LIVE_BELOW"] = 10_000
    assert call(client, spec, "/api/v1/figures", headers).json["stored_totals"] is None
    claims = call(client, spec, "/api/v1/families/E01/claims", headers).json
    assert all(c["family_ref"] == "E01" for c in claims)


@pytest.mark.parametrize("how", ["expired", "revoked", "unknown", "deactivated", "none"])
def test_expired_revoked_unknown_or_missing_tokens_get_401(client, spec, world, how):
    token, headers = make(world, user_email=world["mine"].email, days=1)
    assert call(client, spec, "/api/v1/families", headers).status_code == 200
    if how == "revoked":
        tokens.revoke_token(token.id, world["admin"])
    elif how == "unknown":
        headers = {"Authorization": "Bearer cw_" + "x" * 43}
    elif how == "none":
        headers = {}
    elif how == "deactivated":
        world["mine"].active = False
        db.session.commit()
    if how == "expired":
        with freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(days=1, seconds=1)):
            response = call(client, spec, "/api/v1/families", headers)
    else:
        response = call(client, spec, "/api/v1/families", headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"] == "unauthorized"


def test_a_token_is_kept_only_as_its_hash_and_every_call_is_audited(client, spec, world):
    token, headers = make(world, user_email=world["mine"].email)
    secret = headers["Authorization"].split()[1]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(db.session.execute(select(m.ApiToken.__table__)).all())
    before = db.session.scalar(select(func.count()).select_from(m.AuditEvent))
    call(client, spec, "/api/v1/families/E01", headers)
    call(client, spec, "/api/v1/families/E02", headers)
    call(client, spec, "/api/v1/families", {})
    rows = db.session.scalars(select(m.AuditEvent).order_by(m.AuditEvent.id)
                              .offset(before)).all()
    assert [(r.action, r.object_ref, r.user_email) for r in rows] == [
        ("api", "GET /api/v1/families/E01", world["mine"].email),
        ("api", "GET /api/v1/families/E02", world["mine"].email),
        ("api_refused", "GET /api/v1/families", None)]
    assert rows[0].detail.endswith(": 200") and rows[1].detail.endswith(": 404")


def test_cookies_are_never_read_or_set_and_a_browsers_post_gets_401(client, spec, world):
    manager = create_user("manager")
    login(client, manager.email)
    assert client.get("/families").status_code == 200  # the cookie signs in the pages
    response = call(client, spec, "/api/v1/families", {})
    assert response.status_code == 401 and "Set-Cookie" not in response.headers
    token = csrf_token(client.get("/families").text)
    post = client.post("/api/v1/evidence/asb", json={"rows": [
        {"asb_ref": "X1", "family_ref": "E01", "date": "2013-01-01", "kind": "incident"}]},
        headers={"X-CSRFToken": token})
    assert post.status_code == 401 and "Set-Cookie" not in post.headers
    assert db.session.scalar(select(m.AsbRecord).where(m.AsbRecord.asb_ref == "X1")) is None
    _, headers = make(world, user_email=manager.email)
    ok = call(client, spec, "/api/v1/families", headers)
    assert ok.status_code == 200 and "Set-Cookie" not in ok.headers


def test_calls_past_the_limit_get_429(client, spec, world, monkeypatch):
    monkeypatch.setattr(tokens, "CALLS_PER_MINUTE", 3)
    _, headers = make(world, user_email=world["mine"].email)
    codes = [call(client, spec, "/api/v1/families", headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    with freeze_time(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1, seconds=1)):
        assert call(client, spec, "/api/v1/families", headers).status_code == 200


# Evidence posted as JSON ----------------------------------------------------------------------


def test_evidence_rows_are_imported_all_or_nothing_naming_each_row_by_index(
        client, spec, world):
    _, headers = make(world, system_name="Police ASB feed", system_role="manager")
    rows = [{"asb_ref": "J1", "family_ref": "E01", "date": "2013-01-05", "kind": "incident"},
            {"asb_ref": "J2", "person_ref": "NOPE", "date": "2013-02-30", "kind": "riot"},
            {"asb_ref": "J3", "family_ref": "E01", "date": "2013-01-06", "kind": "asbo"}]
    refused = call(client, spec, "/api/v1/evidence/asb", headers, method="post",
                   json={"rows": rows})
    assert refused.status_code == 400
    assert [e["text"] for e in refused.json["errors"]] == [
        "rows:1: date: '2013-02-30' is not a real date",
        "rows:1: kind: 'riot' is not one of incident, asbo, injunction, contract, housing"]
    assert refused.json["errors"][0]["line"] == 1 and refused.json["errors"][0]["field"] == "date"
    assert db.session.scalar(select(func.count()).select_from(m.AsbRecord).where(
        m.AsbRecord.asb_ref.in_(["J1", "J3"]))) == 0
    del rows[1]
    done = call(client, spec, "/api/v1/evidence/asb", headers, method="post", json={"rows": rows})
    assert done.status_code == 200
    assert done.json == {"kind": "asb", "created": 2, "updated": 0, "unchanged": 0}
    again = call(client, spec, "/api/v1/evidence/asb", headers, method="post", json={"rows": rows})
    assert again.json == {"kind": "asb", "created": 0, "updated": 0, "unchanged": 2}


def test_evidence_naming_an_unknown_person_and_a_bad_body_are_refused(client, spec, world):
    _, headers = make(world, system_name="School feed", system_role="manager")
    unknown = call(client, spec, "/api/v1/evidence/offences", headers, method="post", json={
        "rows": [{"offence_ref": "O1", "person_ref": "NOPE", "offence_date": "2013-01-01",
                  "proven": True}]})
    assert [e["text"] for e in unknown.json["errors"]] == [
        "rows:0: person_ref: no person with reference NOPE exists"]
    empty = call(client, spec, "/api/v1/evidence/offences", headers, method="post",
                 json={"rows": []})
    assert empty.status_code == 400 and empty.json["errors"][0]["field"] == "rows"
    nested = call(client, spec, "/api/v1/evidence/offences", headers, method="post",
                  json={"rows": [{"offence_ref": ["O1"]}]})
    assert nested.json["errors"][0]["text"] == (
        "rows:0: offence_ref: is not a text, number, true, false or null")


def test_a_worker_or_auditor_may_not_post_evidence(client, spec, world):
    _, headers = make(world, user_email=world["mine"].email)
    response = call(client, spec, "/api/v1/evidence/asb", headers, method="post",
                    json={"rows": [{"asb_ref": "J9"}]})
    assert response.status_code == 403


# Making and revoking tokens -------------------------------------------------------------------


def test_an_admin_makes_a_token_on_the_page_sees_it_once_and_revokes_it(client, spec, world):
    login(client, world["admin"].email)
    made = post_form(client, "/admin/api-tokens", {
        "holder": "system", "system_name": "BI warehouse", "system_role": "manager",
        "days": "30"})
    assert made.status_code == 200
    secret = made.text.split('<code id="token-secret">', 1)[1].split("</code>", 1)[0]
    assert secret.startswith("cw_")
    listed = client.get("/admin/api-tokens").text
    assert secret not in listed
    row = table(listed, id="tokens")[0]
    assert row["For"] == "system: BI warehouse (manager)" and row["Status"] == "Active"
    headers = {"Authorization": f"Bearer {secret}"}
    assert call(client, spec, "/api/v1/families", headers).status_code == 200
    token_id = db.session.scalars(select(m.ApiToken.id)).one()
    revoked = post_form(client, f"/admin/api-tokens/{token_id}/revoke", {},
                        page_url="/admin/api-tokens")
    assert revoked.status_code == 302
    assert table(client.get("/admin/api-tokens").text, id="tokens")[0]["Status"] == "Revoked"
    assert call(client, spec, "/api/v1/families", headers).status_code == 401


def test_the_page_refuses_a_token_without_a_holder_and_others_may_not_see_it(app, client, world):
    login(client, world["admin"].email)
    refused = post_form(client, "/admin/api-tokens", {"holder": "user", "user_email": "",
                                                      "days": "30"})
    assert [e for e in Page(refused.text).errors if e.startswith("Name a user or a partner system")]
    assert db.session.scalar(select(func.count()).select_from(m.ApiToken)) == 0
    other = app.test_client()
    login(other, create_user("manager").email)
    assert other.get("/admin/api-tokens").status_code == 403


def test_the_command_line_makes_lists_and_revokes_tokens(cli, spec, client, world):
    made = cli("api-tokens", "create", "--user", world["mine"].email, "--days", "7",
               "--by", world["admin"].email)
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("cw_")
    listed = cli("api-tokens", "list").output
    assert world["mine"].email in listed and "active" in listed and secret not in listed
    headers = {"Authorization": f"Bearer {secret}"}
    assert call(client, spec, "/api/v1/families/E01", headers).status_code == 200
    refused = cli("api-tokens", "create", "--system", "X", "--role", "manager",
                  "--by", world["mine"].email)
    assert refused.exit_code == 1 and "is not an active administrator" in refused.output
    token_id = db.session.scalars(select(m.ApiToken.id)).one()
    assert cli("api-tokens", "revoke", token_id, "--by", world["admin"].email).exit_code == 0
    assert call(client, spec, "/api/v1/families/E01", headers).status_code == 401
