"""Admin: teams as a managed list, a user's role and team, and deactivating a worker whose
families are transferred first."""

import datetime as dt

import pytest
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.caseloads.service import allocate
from casework.extensions import db

from .conftest import login, post_form
from .factories import create_family, create_user
from .parsed import Page

D = dt.date


@pytest.fixture
def admin(client, app):
    user = create_user("admin", name="Ruth Okafor")
    login(client, user.email)
    return user


def test_a_team_is_added_once_whatever_its_case(client, admin):
    post_form(client, "/admin/teams", {"name": "North team"})
    again = Page(post_form(client, "/admin/teams", {"name": "north  TEAM"}).text)
    assert again.errors == ["There is already a team called north TEAM"]
    assert db.session.scalars(select(m.Team.name)).all() == ["North team"]
    users = Page(client.get("/admin/users").text)
    assert "North team" in [o.text() for o in users.field("team").find_all("option")]


def test_an_admin_changes_a_users_role_and_team(client, admin):
    north = m.Team(name="North team")
    db.session.add(north)
    db.session.commit()
    user = create_user("worker", name="Jo Clarke")
    page = Page(client.get(f"/admin/users/{user.id}/edit").text)
    assert page.h1 == "Change Jo Clarke's role and team"
    post_form(client, f"/admin/users/{user.id}/edit", {"role": "team_lead", "team": str(north.id)})
    db.session.expire_all()
    changed = db.session.get(m.User, user.id)
    assert (changed.role, changed.team.name) == ("team_lead", "North team")


def test_a_worker_with_families_keeps_their_role_until_the_families_move(client, admin):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North", name="Sam Patel")
    allocate(create_family("A1"), worker, D(2013, 1, 1), lead)
    refused = post_form(client, f"/admin/users/{worker.id}/edit", {"role": "manager", "team": "0"})
    assert Page(refused.text).errors[0].startswith(
        "Sam Patel works with 1 active family: transfer them")
    db.session.expire_all()
    assert db.session.get(m.User, worker.id).role == "worker"


def test_deactivating_a_worker_with_families_transfers_them_first_with_history(client, admin):
    lead = create_user("team_lead", team="North")
    sam = create_user("worker", team="North", name="Sam Patel")
    jo = create_user("worker", team="North", name="Jo Clarke")
    for ref in ("A1", "A2", "A3"):
        allocate(create_family(ref), sam, D(2013, 1, 1), lead)
    page = client.get(f"/admin/users/{sam.id}/deactivate").text
    read = Page(page)
    assert read.main.find(cls="govuk-warning-text").text().startswith(
        "! Warning Sam Patel works with 3 active families.")
    assert [item.text().rsplit(" ", 1)[-1] for item in read.main.find_all("li")] == [
        "(A1)", "(A2)", "(A3)"]  # each family named with its reference
    assert not [o for o in read.field("to").find_all("option") if "selected" in o.attrs]
    refused = post_form(client, f"/admin/users/{sam.id}/deactivate", {"to": "0", "reason": "Leaving"})
    assert Page(refused.text).errors == ["Select the FIP worker who takes over their families"]
    db.session.expire_all()
    assert db.session.get(m.User, sam.id).active
    done = post_form(client, f"/admin/users/{sam.id}/deactivate",
                     {"to": str(jo.id), "reason": "Sam has left the council"})
    assert done.status_code == 302
    db.session.expire_all()
    assert not db.session.get(m.User, sam.id).active
    open_now = db.session.scalars(select(m.Allocation).where(m.Allocation.end_on.is_(None))).all()
    assert {(a.worker_id, a.allocated_by_id) for a in open_now} == {(jo.id, admin.id)}
    ended = db.session.scalars(select(m.Allocation).where(m.Allocation.worker_id == sam.id)).all()
    assert {a.end_kind for a in ended} == {"transfer"}
    assert {a.reason for a in open_now} == {"Sam Patel left: Sam has left the council"}


def test_a_deactivation_that_would_pass_the_limit_changes_nothing(client, admin):
    lead = create_user("team_lead", team="North")
    sam = create_user("worker", team="North", name="Sam Patel")
    jo = create_user("worker", team="North", name="Jo Clarke")
    for i in range(3):
        allocate(create_family(f"S{i}"), sam, D(2013, 1, 1), lead)
    for i in range(8):
        allocate(create_family(f"J{i}"), jo, D(2013, 1, 1), lead)
    refused = post_form(client, f"/admin/users/{sam.id}/deactivate", {"to": str(jo.id), "reason": "Left"})
    assert Page(refused.text).errors == [
        "Jo Clarke has 8 active families: taking 3 more passes the limit of 10. Choose another "
        "worker, or ask a team lead to share them out first"]
    db.session.expire_all()
    assert db.session.get(m.User, sam.id).active
    assert len(db.session.scalars(select(m.Allocation).where(
        m.Allocation.worker_id == sam.id, m.Allocation.end_on.is_(None))).all()) == 3


def test_a_user_with_no_families_is_deactivated_after_confirming(client, admin):
    auditor = create_user("auditor")
    page = Page(client.get(f"/admin/users/{auditor.id}/deactivate").text)
    assert page.h1.startswith("Deactivate") and page.field("to") is None
    post_form(client, f"/admin/users/{auditor.id}/deactivate", {})
    db.session.expire_all()
    assert not db.session.get(m.User, auditor.id).active


def _unchanged(sam, jo, families: int) -> None:
    db.session.expire_all()
    assert db.session.get(m.User, sam.id).active
    open_now = db.session.scalars(select(m.Allocation).where(m.Allocation.end_on.is_(None))).all()
    assert sorted(a.worker_id for a in open_now) == [sam.id] * families
    assert db.session.scalars(select(m.Allocation).where(m.Allocation.worker_id == jo.id)).all() == []
    actions = db.session.scalars(select(m.AuditEvent.action)).all()
    assert "transfer" not in actions and "deactivate" not in actions


def test_a_deactivation_refused_at_its_last_family_leaves_every_family_where_it_was(client, admin):
    lead = create_user("team_lead", team="North")
    sam = create_user("worker", team="North", name="Sam Patel")
    jo = create_user("worker", team="North", name="Jo Clarke")
    allocate(create_family("A1"), sam, D(2013, 1, 1), lead)
    allocate(create_family("A2"), sam, D(2013, 1, 1), lead)
    # Allocated from tomorrow: it cannot be transferred today, after A1 and A2 would have been.
    tomorrow = clock.today() + dt.timedelta(days=1)
    allocate(create_family("A3"), sam, tomorrow, lead)
    refused = post_form(client, f"/admin/users/{sam.id}/deactivate",
                        {"to": str(jo.id), "reason": "Sam has left the council"})
    assert refused.status_code == 200
    [error] = Page(refused.text).errors
    assert error.startswith("A3 was allocated on") and "a transfer cannot be dated before" in error
    _unchanged(sam, jo, 3)


def test_a_deactivation_that_fails_part_way_unexpectedly_changes_nothing(app, admin, monkeypatch):
    from casework.admin import service
    from casework.caseloads import service as caseloads

    lead = create_user("team_lead", team="North")
    sam = create_user("worker", team="North", name="Sam Patel")
    jo = create_user("worker", team="North", name="Jo Clarke")
    for ref in ("A1", "A2", "A3"):
        allocate(create_family(ref), sam, D(2013, 1, 1), lead)
    place, calls = caseloads.place, []

    def fails_on_the_second(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return place(*args, **kwargs)

    monkeypatch.setattr(caseloads, "place", fails_on_the_second)
    with pytest.raises(RuntimeError):
        service.deactivate(sam, admin, jo, "Left")
    assert len(calls) == 2
    _unchanged(sam, jo, 3)


def test_a_deactivation_writes_each_familys_transfer_in_its_history_and_the_audit_log(client, admin):
    lead = create_user("team_lead", team="North")
    sam = create_user("worker", team="North", name="Sam Patel")
    jo = create_user("worker", team="North", name="Jo Clarke")
    allocate(create_family("A1"), sam, D(2013, 1, 1), lead)
    allocate(create_family("A2"), sam, D(2013, 1, 1), lead)
    done = post_form(client, f"/admin/users/{sam.id}/deactivate", {"to": str(jo.id), "reason": "Left"})
    assert done.status_code == 302
    ended = db.session.scalars(select(m.Allocation).where(m.Allocation.worker_id == sam.id)).all()
    assert {(a.end_kind, a.ended_by_id, a.end_reason) for a in ended} == {
        ("transfer", admin.id, "Sam Patel left: Left")}
    events = db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.action.in_(
        ["transfer", "deactivate"])).order_by(m.AuditEvent.id)).all()
    assert [(e.action, e.object_ref, e.user_id) for e in events] == [
        ("transfer", "A1", admin.id), ("transfer", "A2", admin.id),
        ("deactivate", sam.email, admin.id)]
    assert events[-1].detail == f"2 families transferred to {jo.email}"
    assert Page(client.get("/admin/users").text).banners == [
        f"{sam.email} can no longer sign in. 2 families transferred to Jo Clarke."]
