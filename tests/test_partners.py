"""Partner organisations and their practitioners: recorded by an administrator, signing in
with the partner role, seeing no family until they are in its Team Around the Family."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from casework import models as m
from casework.auth.service import UserRefused
from casework.auth.service import create_user as make_user
from casework.extensions import db

from .conftest import PASSWORD, login, post_form
from .factories import create_organisation, create_user
from .parsed import Page, parse


def _organisations(client):
    return parse(client.get("/admin/organisations").text).by_id("organisations").table()


def test_an_admin_records_an_organisation_with_its_kinds_sharing_level(client, sign_in):
    admin = sign_in("admin")
    response = post_form(client, "/admin/organisations",
                         {"name": "  Fant   Primary School ", "kind": "school", "sharing_level": ""})
    assert response.status_code == 302
    police = post_form(client, "/admin/organisations",
                       {"name": "Kent Police", "kind": "police", "sharing_level": "plan"})
    assert police.status_code == 302
    rows = _organisations(client)
    assert rows[1:] == [
        ["Fant Primary School", "School", m.SHARING_LEVEL_LABELS["education"], "0"],
        ["Kent Police", "Police", m.SHARING_LEVEL_LABELS["plan"], "0"]]
    school = db.session.scalar(select(m.PartnerOrganisation).where(
        m.PartnerOrganisation.name == "Fant Primary School"))
    history = db.session.scalar(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "partner_organisation",
        m.RecordHistory.record_ref == str(school.id)))
    assert history.after == {"name": "Fant Primary School", "kind": "school",
                             "sharing_level": "education"}
    assert history.changed_by_id == admin.id
    event = db.session.scalars(select(m.AuditEvent).where(
        m.AuditEvent.action == "create", m.AuditEvent.object_type == "organisation")
        .order_by(m.AuditEvent.id)).first()
    assert event.object_ref == "Fant Primary School"


def test_a_bad_organisation_names_every_problem_and_saves_nothing(client, sign_in):
    sign_in("admin")
    create_organisation("Kent Police", "police")
    page = parse(post_form(client, "/admin/organisations",
                           {"name": "kent police", "kind": "bakery", "sharing_level": "all"}).text)
    summary = page.find(cls="govuk-error-summary")
    assert summary is not None
    assert {a.attrs["href"] for a in summary.find_all("a")} == {"#kind", "#sharing_level"}
    blank = parse(post_form(client, "/admin/organisations",
                            {"name": "", "kind": "", "sharing_level": ""}).text)
    blank_messages = [li.text() for li in blank.find(cls="govuk-error-summary").find_all("li")]
    assert "Enter the organisation's name" in blank_messages
    assert "Select the kind of organisation" in blank_messages
    assert db.session.scalar(select(db.func.count()).select_from(m.PartnerOrganisation)) == 1


def test_a_duplicate_name_is_refused_naming_the_field(client, sign_in):
    sign_in("admin")
    create_organisation("Kent Police", "police")
    page = parse(post_form(client, "/admin/organisations",
                           {"name": "KENT police", "kind": "police", "sharing_level": ""}).text)
    summary = page.find(cls="govuk-error-summary")
    link = summary.find("a")
    assert link.text() == "There is already an organisation called KENT police"
    assert link.attrs["href"] == "#name"


def test_an_admin_adds_a_practitioner_who_signs_in_and_sees_no_family(app, client, sign_in,
                                                                     examples):
    examples()
    sign_in("admin")
    school = create_organisation("Fant Primary School", "school")
    response = post_form(client, f"/admin/organisations/{school.id}",
                         {"email": "attendance@fant.sch.uk", "name": "Alex Attendance",
                          "password": "a-long-enough-passphrase", "create": "Add practitioner"})
    assert response.status_code == 302
    page = parse(client.get(f"/admin/organisations/{school.id}").text)
    assert page.by_id("practitioners").table()[1:] == [
        ["Alex Attendance", "attendance@fant.sch.uk", "Active"]]
    user = db.session.scalar(select(m.User).where(m.User.email == "attendance@fant.sch.uk"))
    assert (user.role, user.organisation_id, user.team_id) == ("partner", school.id, None)
    partner = app.test_client()
    assert login(partner, "attendance@fant.sch.uk", "a-long-enough-passphrase").status_code == 302
    assert partner.get("/families/E01").status_code == 404
    assert partner.get("/families/NOPE").status_code == 404
    listing = parse(partner.get("/families").text)
    assert not [a for a in listing.find_all("a") if (a.attrs.get("href") or "").startswith(
        "/families/E")]
    assert partner.get("/admin/organisations").status_code == 403
    assert partner.get("/admin/users").status_code == 403


def test_a_weak_password_or_taken_email_is_refused_on_the_organisations_page(client, sign_in):
    sign_in("admin")
    school = create_organisation()
    taken = create_user("worker")
    page_html = post_form(client, f"/admin/organisations/{school.id}",
                          {"email": taken.email, "name": "Someone", "password": PASSWORD,
                           "create": "Add practitioner"}).text
    assert [e for e in Page(page_html).errors
            if e.startswith(f"A user with email {taken.email} already exists")]
    assert db.session.scalar(select(db.func.count()).select_from(m.User).where(
        m.User.role == "partner")) == 0


def test_the_sharing_level_is_changed_with_history(client, sign_in):
    admin = sign_in("admin")
    school = create_organisation()
    post_form(client, f"/admin/organisations/{school.id}/sharing-level",
              {"sharing_level": "plan"}, page_url=f"/admin/organisations/{school.id}")
    db.session.refresh(school)
    assert school.sharing_level == "plan"
    rows = db.session.scalars(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "partner_organisation")).all()
    assert [(r.before, r.after, r.changed_by_id) for r in rows if r.before.get("sharing_level")
            ] == [({"sharing_level": "education"}, {"sharing_level": "plan"}, admin.id)]


def test_a_partner_needs_an_organisation_and_staff_have_none(app):
    school = create_organisation()
    with pytest.raises(UserRefused, match="belongs to a partner organisation"):
        make_user("p@x.example", "P", "partner", "a-long-enough-passphrase")
    with pytest.raises(UserRefused, match="Only a partner practitioner"):
        make_user("w@x.example", "W", "worker", "a-long-enough-passphrase", organisation=school)
    db.session.rollback()
    # The database holds the rule too.
    db.session.add(m.User(email="raw@x.example", name="Raw", role="partner", password_hash="x"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_partners_role_is_not_changed_on_the_users_page(client, sign_in):
    sign_in("admin")
    partner = create_user("partner")
    page = parse(post_form(client, f"/admin/users/{partner.id}/edit",
                           {"role": "manager", "team": "0"}).text)
    assert "their role is not changed here" in page.find(cls="govuk-error-summary").text()
    db.session.refresh(partner)
    assert partner.role == "partner"
    users = parse(client.get("/admin/users").text)
    assert ["Partner practitioner", "Test School"] in [row[2:4] for row in users.find("table").table()]


def test_a_partner_gets_no_api_token(app):
    from casework.api.tokens import TokenRefused, create_token

    admin, partner = create_user("admin"), create_user("partner")
    with pytest.raises(TokenRefused, match="is a partner practitioner"):
        create_token(admin, user_email=partner.email)
