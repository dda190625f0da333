"""Allocation, transfer and closure; caseload limits at their boundaries; record scope."""

import datetime as dt
import functools

import pytest
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.caseloads.service import AllocationRefused, allocate, caseload, close
from casework.extensions import db

from .factories import cover_wards, create_family, create_person, create_user
from .races import at_once
from .test_families import _listing

D = dt.date


@pytest.fixture
def people(app):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North", name="Sam Patel")
    other = create_user("worker", team="South")
    cover_wards("North", "Park")
    return lead, worker, other


def families(n, prefix="K"):
    return [create_family(f"{prefix}{i:03d}", ward="Park") for i in range(n)]


def test_the_tenth_active_family_is_allowed_and_the_eleventh_refused(people):
    lead, worker, _ = people
    fams = families(11)
    for f in fams[:10]:
        allocate(f, worker, D(2013, 1, 10), lead)
    assert caseload(worker, D(2013, 1, 10)).active == 10
    with pytest.raises(AllocationRefused) as refused:
        allocate(fams[10], worker, D(2013, 1, 10), lead)
    assert "Sam Patel already has 10 active families (limit 10)" in str(refused.value)
    assert caseload(worker, D(2013, 1, 10)).active == 10


def test_an_override_reason_allows_the_eleventh_and_is_recorded(people):
    lead, worker, _ = people
    fams = families(11)
    for f in fams[:10]:
        allocate(f, worker, D(2013, 1, 10), lead)
    allocation = allocate(fams[10], worker, D(2013, 1, 10), lead, override_reason="Sibling of K001")
    assert allocation.override_reason == "Sibling of K001"
    event = db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.object_ref == "K010")).one()
    assert "override: Sibling of K001" in event.detail and event.user_id == lead.id


def test_spare_capacity_is_fewer_than_five(people):
    lead, worker, _ = people
    fams = families(5)
    for f in fams[:4]:
        allocate(f, worker, D(2013, 1, 10), lead)
    assert caseload(worker).spare is True
    allocate(fams[4], worker, D(2013, 1, 10), lead)
    assert caseload(worker).spare is False


def test_closing_a_case_frees_the_place_at_once(people):
    lead, worker, _ = people
    fams = families(11)
    for f in fams[:10]:
        allocate(f, worker, D(2013, 1, 10), lead)
    close(fams[0], D(2013, 2, 1), lead, "Results met", "turned_around")
    allocate(fams[10], worker, D(2013, 2, 1), lead)
    assert caseload(worker, D(2013, 2, 1)).active == 10


def test_a_transfer_frees_the_place_and_keeps_history(people):
    lead, worker, other = people
    fams = families(11)
    for f in fams[:10]:
        allocate(f, worker, D(2013, 1, 10), lead)
    allocate(fams[0], other, D(2013, 3, 1), lead, reason="Worker moved team")
    assert caseload(worker).active == 9 and caseload(other).active == 1
    allocate(fams[10], worker, D(2013, 3, 1), lead)
    rows = db.session.scalars(select(m.Allocation).where(m.Allocation.family_id == fams[0].id)
                              .order_by(m.Allocation.id)).all()
    assert [(r.worker_id, r.end_on, r.end_kind) for r in rows] == [
        (worker.id, D(2013, 3, 1), "transfer"), (other.id, None, None)]


def test_rolling_limit_of_thirty_in_twelve_months_with_boundaries(people):
    lead, worker, _ = people
    fams = families(32)
    # 30 families allocated and closed between 2013-01-01 and 2013-01-30.
    for i, f in enumerate(fams[:30]):
        day = D(2013, 1, 1) + dt.timedelta(days=i)
        allocate(f, worker, day, lead)
        close(f, day, lead, "Short piece of work", "stepped_down")
    assert caseload(worker, D(2013, 1, 30)).rolling == 30
    # On 2013-12-31 the window (2012-12-31, 2013-12-31] still holds all 30.
    with pytest.raises(AllocationRefused) as before:
        allocate(fams[30], worker, D(2013, 12, 31), lead)
    assert "30 families allocated in the 12 months to 31 December 2013 (limit 30)" in str(before.value)
    # Re-allocating one of the 30 does not add to the rolling count.
    allocate(fams[29], worker, D(2013, 12, 31), lead)


def test_rolling_window_rolls_off_on_the_anniversary(people):
    lead, worker, _ = people
    fams = families(31)
    for i, f in enumerate(fams[:30]):
        day = D(2013, 1, 1) + dt.timedelta(days=i)
        allocate(f, worker, day, lead)
        close(f, day, lead, "Short piece of work", "stepped_down")
    allocation = allocate(fams[30], worker, D(2014, 1, 1), lead)
    assert allocation.override_reason is None
    assert caseload(worker, D(2014, 1, 1)).rolling == 30


def test_workers_cannot_allocate(people):
    _, worker, other = people
    with pytest.raises(AllocationRefused, match="only team leads and programme managers"):
        allocate(create_family(), other, D(2013, 1, 1), worker)


def test_allocating_to_someone_who_is_not_a_worker_is_refused(people):
    lead, _, _ = people
    with pytest.raises(AllocationRefused, match="not an active FIP worker"):
        allocate(create_family(), lead, D(2013, 1, 1), lead)


def test_two_allocations_racing_for_the_last_place_only_one_wins(app, people):
    lead, worker, _ = people
    fams = families(11)
    for f in fams[:9]:
        allocate(f, worker, D(2013, 1, 10), lead)
    ids = [fams[9].id, fams[10].id]

    def attempt(family_id):
        return allocate(db.session.get(m.Family, family_id), db.session.get(m.User, worker.id),
                        D(2013, 1, 10), db.session.get(m.User, lead.id))

    outcomes = ["refused" if isinstance(o, AllocationRefused) else "allocated" for o in
                at_once(app, *[functools.partial(attempt, i) for i in ids],
                        refused=(AllocationRefused,))]
    assert sorted(outcomes) == ["allocated", "refused"]
    db.session.expire_all()
    assert caseload(worker).active == 10


def test_the_database_refuses_two_open_allocations_of_one_family(people):
    from sqlalchemy.exc import IntegrityError

    lead, worker, other = people
    family = create_family()
    allocate(family, worker, D(2013, 1, 1), lead)
    db.session.add(m.Allocation(family_id=family.id, worker_id=other.id, start_on=D(2013, 1, 2)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# The command line ---------------------------------------------------------------------------


def test_allocate_command_allocates_and_refuses_past_the_limit(cli, people):
    lead, worker, _ = people
    fams = families(11)
    for f in fams[:10]:
        result = cli("allocate", f.family_ref, worker.email, "--on", "2013-01-10", "--by", lead.email)
        assert result.exit_code == 0, result.output
    refused = cli("allocate", "K010", worker.email, "--on", "2013-01-10", "--by", lead.email)
    assert refused.exit_code == 1 and "10 active families (limit 10)" in refused.output
    ok = cli("allocate", "K010", worker.email, "--on", "2013-01-10", "--by", lead.email,
             "--override-reason", "Emergency")
    assert ok.exit_code == 0


def test_allocate_command_refuses_a_worker_as_allocator_and_unknown_names(cli, people):
    _, worker, other = people
    create_family("Z1")
    assert cli("allocate", "Z1", worker.email, "--by", other.email).exit_code == 1
    assert cli("allocate", "NOPE", worker.email).exit_code == 1
    assert cli("allocate", "Z1", "nobody@x.test").exit_code == 1
    assert cli("allocate", "Z1", worker.email, "--on", "yesterday").exit_code == 2


def test_allocate_command_defaults_to_today_and_a_second_call_transfers(cli, people):
    lead, worker, other = people
    create_family("Z2")
    assert cli("allocate", "Z2", worker.email).exit_code == 0
    assert cli("allocate", "Z2", other.email, "--by", lead.email).exit_code == 0
    rows = db.session.scalars(select(m.Allocation).order_by(m.Allocation.id)).all()
    assert rows[0].start_on == clock.today() and rows[0].end_kind == "transfer"
    assert rows[1].worker_id == other.id and rows[1].end_on is None


# Record scope -------------------------------------------------------------------------------


def test_a_worker_sees_only_their_allocated_families_everywhere(client, people):
    from .conftest import login

    lead, worker, other = people
    mine, theirs = create_family("MINE"), create_family("THEIRS")
    create_person(mine), create_person(theirs)
    allocate(mine, worker, D(2013, 1, 1), lead)
    allocate(theirs, other, D(2013, 1, 1), lead)
    login(client, worker.email)
    assert _listing(client.get("/families").text)[1] == ["MINE"]
    assert client.get("/families/MINE").status_code == 200
    assert client.get("/families/THEIRS").status_code == 404
    assert _listing(client.get("/families?q=THEIRS").text) == ("No families found", [])


def test_a_team_lead_sees_their_teams_families_only(client, people):
    from .conftest import login

    lead, worker, other = people
    north, south = create_family("NORTH"), create_family("SOUTH")
    allocate(north, worker, D(2013, 1, 1), lead)
    allocate(south, other, D(2013, 1, 1), lead)
    login(client, lead.email)
    assert client.get("/families/NORTH").status_code == 200
    assert client.get("/families/SOUTH").status_code == 404


def test_a_worker_loses_sight_of_a_family_transferred_away(client, people):
    from .conftest import login

    lead, worker, other = people
    family = create_family("MOVED")
    allocate(family, worker, D(2013, 1, 1), lead)
    allocate(family, other, D(2013, 2, 1), lead)
    login(client, worker.email)
    assert client.get("/families/MOVED").status_code == 404


def test_managers_and_auditors_see_every_family_admins_none(client, app):
    from .conftest import login

    create_family("ANY")
    for role, code in (("manager", 200), ("auditor", 200), ("admin", 404)):
        user = create_user(role)
        c = app.test_client()
        login(c, user.email)
        assert c.get("/families/ANY").status_code == code, role


def test_closing_a_case_records_the_familys_closure_date(people):
    lead, worker, _ = people
    family = create_family("K900")
    allocate(family, worker, D(2023, 1, 10), lead)
    close(family, D(2023, 3, 1), lead, "Outcomes achieved", "turned_around")
    assert db.session.get(m.Family, family.id).closed_on == D(2023, 3, 1)
