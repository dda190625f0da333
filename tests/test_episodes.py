"""Episodes: a family's time in a programme, from sign-up with consent to closure with a
reason; the journey's rules about them; the migration that carries a database over."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from casework import clock
from casework import models as m
from casework.caseloads.service import allocate, close
from casework.extensions import db
from casework.selection import service as selection

from .conftest import login
from .factories import cover_wards, create_family, create_person, create_user

D = dt.date


def _import(cli, tmp_path, kind: str, text: str):
    path = tmp_path / f"{kind}.csv"
    path.write_text(text)
    return cli("import", kind, path)


def _episodes(ref: str) -> list[tuple]:
    return [(e.programme, e.signed_up_on, e.closed_on, e.end_reason) for e in db.session.scalars(
        select(m.Episode).join(m.Family).where(m.Family.family_ref == ref)
        .order_by(m.Episode.signed_up_on))]


@pytest.mark.parametrize("attached, programme", [
    ("2012-03-31", "phase1"),  # before the first programme: its first, which pays nothing
    ("2012-04-01", "phase1"),
    ("2015-03-31", "phase1"),
    ("2015-04-01", "phase2"),
    ("2022-09-30", "phase2"),
    ("2022-10-01", "supporting_families"),
    ("2026-01-05", "supporting_families"),
])
def test_a_families_file_attachment_date_is_the_sign_up_of_an_episode_in_the_programme_holding_it(
        cli, tmp_path, attached, programme):
    result = _import(cli, tmp_path, "families",
                     f"family_ref,family_name,attached_on\nEP1,Episode household,{attached}\n")
    assert result.exit_code == 0, result.output
    assert _episodes("EP1") == [(programme, D.fromisoformat(attached), None, None)]


def test_importing_the_same_file_again_changes_no_episode_and_a_closure_closes_it(cli, tmp_path):
    text = "family_ref,family_name,attached_on\nEP2,Episode household,2013-05-01\n"
    _import(cli, tmp_path, "families", text)
    first = db.session.scalar(select(m.Episode.id))
    _import(cli, tmp_path, "families", text)
    assert db.session.scalars(select(m.Episode.id)).all() == [first]
    _import(cli, tmp_path, "families",
            "family_ref,family_name,attached_on,closed_on\nEP2,Episode household,2013-05-01,"
            "2014-02-01\n")
    assert _episodes("EP2") == [("phase1", D(2013, 5, 1), D(2014, 2, 1), "other")]


def test_a_family_signed_up_to_a_later_programme_gets_a_second_episode_and_the_first_closes(
        cli, tmp_path):
    _import(cli, tmp_path, "families", "family_ref,family_name,attached_on\nEP3,Back again,2013-05-01\n")
    _import(cli, tmp_path, "families", "family_ref,family_name,attached_on\nEP3,Back again,2023-06-01\n")
    assert _episodes("EP3") == [
        ("phase1", D(2013, 5, 1), D(2023, 6, 1), "new_programme"),
        ("supporting_families", D(2023, 6, 1), None, None)]
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "EP3"))
    assert (family.attached_on, family.closed_on) == (D(2023, 6, 1), None)


def test_each_programme_evaluates_the_family_by_its_own_episode(cli, tmp_path):
    _import(cli, tmp_path, "families", "family_ref,family_name,attached_on\nEP4,Twice,2013-05-01\n")
    _import(cli, tmp_path, "families", "family_ref,family_name,attached_on\nEP4,Twice,2023-06-01\n")
    phase1 = json.loads(cli("evaluate", "--as-of", "2024-01-01", "--format", "json").output)
    assert phase1[0]["attached_on"] == "2013-05-01"
    later = json.loads(cli("evaluate", "--ruleset", "supporting_families", "--as-of", "2024-01-01",
                           "--format", "json").output)
    assert later[0]["attached_on"] == "2023-06-01"


def test_the_database_refuses_a_second_open_episode(app):
    family = create_family("EP5", attached_on=D(2013, 5, 1))
    db.session.add(m.Episode(family_id=family.id, programme="phase1", signed_up_on=D(2013, 6, 1),
                             source="test"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_allocating_a_family_not_signed_up_signs_it_up_on_the_allocation_date_with_history(cli, app):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    cover_wards("North", "High Street")
    create_family("EP6", ward="High Street")
    result = cli("allocate", "EP6", worker.email, "--on", "2013-05-01", "--by", lead.email)
    assert result.exit_code == 0, result.output
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "EP6"))
    episode = db.session.scalar(select(m.Episode).where(m.Episode.family_id == family.id))
    allocation = db.session.scalar(select(m.Allocation).where(m.Allocation.family_id == family.id))
    assert (episode.programme, episode.signed_up_on, episode.lead_id) == ("phase1", D(2013, 5, 1),
                                                                         worker.id)
    assert allocation.episode_id == episode.id and family.attached_on == D(2013, 5, 1)
    history = db.session.scalars(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "families", m.RecordHistory.record_ref == "EP6")).all()
    assert [(h.source, h.after) for h in history] == [
        ("signed up and allocated in one step", {"attached_on": "2013-05-01"})]


def test_closing_a_case_closes_its_episode_with_history_and_reopening_starts_a_new_one(app):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    family = create_family("EP7")
    allocate(family, worker, D(2013, 5, 1), lead)
    close(family, D(2014, 1, 31), lead, "Plan completed", "stepped_down")
    db.session.refresh(family)
    assert family.closed_on == D(2014, 1, 31)
    history = db.session.scalars(select(m.RecordHistory).where(
        m.RecordHistory.record_ref == "EP7").order_by(m.RecordHistory.id)).all()
    assert (history[-1].source, history[-1].after) == ("closure", {"closed_on": "2014-01-31"})
    # The day before the closure is refused; the day of it is the earliest a new sign-up may be.
    with pytest.raises(Exception, match="closed on 31 January 2014"):
        allocate(family, worker, D(2014, 1, 30), lead)
    db.session.rollback()
    allocate(family, worker, D(2014, 1, 31), lead)
    db.session.refresh(family)
    assert _episodes("EP7") == [("phase1", D(2013, 5, 1), D(2014, 1, 31), "stepped_down"),
                                ("phase1", D(2014, 1, 31), None, None)]
    assert (family.attached_on, family.closed_on) == (D(2014, 1, 31), None)  # no longer closed


def test_the_waiting_list_holds_signed_up_families_without_a_worker_only(app):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    cover_wards("North", "High Street")
    create_family("EP8", ward="High Street")  # identified, never signed up: not waiting
    waiting = create_family("EP9", attached_on=D(2013, 5, 1), ward="High Street")
    allocated = create_family("EP10", attached_on=D(2013, 4, 1), ward="High Street")
    create_family("EP14", attached_on=D(2013, 5, 1), ward="Elsewhere")  # another team's ward
    allocate(allocated, worker, D(2013, 6, 1), lead)
    assert [f.family_ref for f, _ in selection.waiting_for_allocation(lead)] == ["EP9"]
    close(waiting, D(2013, 7, 1), lead, "Moved", "moved_away")
    assert selection.waiting_for_allocation(lead) == []  # a closed case waits for no one


def _meeting_selecting(family, lead, worker):
    meeting = selection.record_meeting(lead, clock.today(), ["Police"])
    family.identified_on = clock.today() - dt.timedelta(days=30)
    db.session.commit()
    return selection.decide(meeting, family, lead, "selected", lead_worker=worker)


def test_the_lead_person_for_first_contact_sees_it_in_their_task_list_and_my_families(client):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North", name="Sam Patel")
    family = create_family("EP11", family_name="Lead household")
    create_person(family, "EP11A", born=D(1980, 1, 1))
    _meeting_selecting(family, lead, worker)
    login(client, worker.email)
    for url in ("/", "/my-families"):
        page = client.get(url).text
        section = page.split('id="first-contacts"')[1].split("</ul>")[0]
        assert re.findall(r'href="/families/([^/"]+)/first-contact"', section) == ["EP11"], url


def test_deactivating_a_lead_person_hands_their_first_contacts_on(app):
    from casework.admin.service import AdminRefused, deactivate

    admin = create_user("admin")
    lead = create_user("team_lead", team="North")
    leaving = create_user("worker", team="North")
    staying = create_user("worker", team="North")
    family = create_family("EP12")
    decision = _meeting_selecting(family, lead, leaving)
    with pytest.raises(AdminRefused, match="lead person for 1 family"):
        deactivate(leaving, admin)
    deactivate(leaving, admin, to=staying, reason="Left the council")
    db.session.refresh(decision)
    assert decision.lead_worker_id == staying.id


def test_claims_list_names_each_claims_programme_and_episode(cli, app):
    family = create_family("EP13", attached_on=D(2013, 5, 1))
    episode = db.session.scalar(select(m.Episode).where(m.Episode.family_id == family.id))
    db.session.add(m.Claim(family_id=family.id, result="progress_to_work", claim_kind="progress_to_work",
                           amount=200, programme_year=2, as_of=D(2014, 1, 1), ruleset="phase1",
                           episode_id=episode.id, snapshot={}))
    db.session.commit()
    [claim] = json.loads(cli("claims", "list", "--format", "json").output)
    assert (claim["ruleset"], claim["episode"]) == ("phase1", episode.id)


def test_the_migration_carries_attached_families_allocations_and_claims_over(tmp_path):
    """An existing database at the revision before episodes: every attached family gets one
    episode (closed when its case was), and its allocations and claims are linked to it."""
    from pathlib import Path

    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    from casework import create_app

    before = ScriptDirectory(str(Path(__file__).resolve().parent.parent / "migrations")
                             ).get_revision("b7e1d2c3a4f5").down_revision
    url = f"sqlite:///{tmp_path}/old.db"
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade(revision=before)
        db.engine.dispose()
    con = sqlite3.connect(tmp_path / "old.db")
    con.executescript("""
        INSERT INTO teams (id, name) VALUES (1, 'North');
        INSERT INTO users (id, email, name, role, password_hash, active, team_id, session_version, created_at)
            VALUES (1, 'w@x', 'W', 'worker', 'x', 1, 1, 1, '2013-01-01 00:00:00');
        INSERT INTO families (id, family_ref, family_name, attached_on, closed_on, local_discretion, version)
            VALUES (1, 'OLD1', 'Old', '2013-05-01', NULL, 0, 1),
                   (2, 'OLD2', 'Later', '2016-02-01', '2017-01-31', 0, 1),
                   (3, 'OLD3', 'Never', NULL, NULL, 0, 1),
                   (4, 'OLD4', 'Closed by allocation', '2013-01-10', NULL, 0, 1);
        INSERT INTO allocations (id, family_id, worker_id, start_on, allocated_at)
            VALUES (1, 1, 1, '2013-05-02', '2013-05-02 10:00:00');
        INSERT INTO allocations (id, family_id, worker_id, start_on, allocated_at, end_on, end_kind, outcome, end_reason)
            VALUES (2, 4, 1, '2013-01-11', '2013-01-11 10:00:00', '2013-09-30', 'closure', 'moved_away', 'Left');
        INSERT INTO claims (id, family_id, result, claim_kind, amount, programme_year, as_of, state, ruleset, snapshot, created_at)
            VALUES (1, 1, 'crime_asb_education', 'turn_around', 1400, 2, '2014-01-01', 'draft', 'phase1', '{}', '2014-01-01 10:00:00');
        INSERT INTO record_history (record_type, record_ref, changed_at, source, before, after)
            VALUES ('families', 'OLD1', '2013-05-01 10:00:00', 'edited', '{}', '{}');
    """)
    con.commit()
    con.close()
    with app.app_context():
        upgrade()
        rows = db.session.execute(select(
            m.Family.family_ref, m.Episode.programme, m.Episode.signed_up_on, m.Episode.closed_on,
            m.Episode.end_reason).join(m.Family).order_by(m.Family.family_ref)).all()
        assert [tuple(r) for r in rows] == [
            ("OLD1", "phase1", D(2013, 5, 1), None, None),
            ("OLD2", "phase2", D(2016, 2, 1), D(2017, 1, 31), "other"),
            ("OLD4", "phase1", D(2013, 1, 10), D(2013, 9, 30), "moved_away")]
        one = db.session.scalar(select(m.Episode.id).join(m.Family).where(m.Family.family_ref == "OLD1"))
        assert db.session.scalar(select(m.Allocation.episode_id).where(m.Allocation.id == 1)) == one
        assert db.session.scalar(select(m.Claim.episode_id).where(m.Claim.id == 1)) == one
        assert db.session.scalar(select(db.func.count()).select_from(m.RecordHistory)) == 1
        assert db.session.scalar(select(m.Family.closed_on).where(m.Family.family_ref == "OLD4")) == D(2013, 9, 30)
        db.engine.dispose()


def test_each_programmes_claims_add_up_the_same_on_the_claims_page_the_dashboard_and_the_cli(
        client, cli, tmp_path):
    """A world with all three programmes and a family that came back: each programme's
    claims are counted once, under it, wherever they are shown."""
    from .htmltables import table
    from .parsed import parse

    _import(cli, tmp_path, "families", "family_ref,family_name,attached_on\n"
            "TP1,Came back,2013-05-01\nTP2,Later,2016-03-01\n")
    _import(cli, tmp_path, "families", "family_ref,family_name,attached_on\nTP1,Came back,2023-06-01\n")
    claims = [("TP1", "phase1", "crime_asb_education", "turn_around", 1400, "submitted"),
              ("TP1", "supporting_families", "family_outcome", "supporting_families", 800, "validated"),
              ("TP2", "phase2", "family_outcome", "phase2", 800, "draft"),
              ("TP2", "phase2", "family_outcome", "phase2", 800, "rejected")]
    for ref, ruleset, result, kind, amount, state in claims:
        family = db.session.scalar(select(m.Family).where(m.Family.family_ref == ref))
        episode = db.session.scalar(select(m.Episode).where(
            m.Episode.family_id == family.id, m.Episode.programme == ruleset))
        db.session.add(m.Claim(family_id=family.id, result=result, claim_kind=kind, amount=amount,
                               programme_year=1, as_of=D(2024, 1, 1), state=state, ruleset=ruleset,
                               episode_id=episode.id, snapshot={}))
    db.session.commit()
    expected = {"Troubled Families 2012-15": ("1", "£1,400"),
                "Expanded programme 2015-20": ("1", "£800"), "Supporting Families": ("1", "£800")}
    manager = create_user("manager")
    login(client, manager.email)
    rows = table(client.get("/claims/").text, id="claims-by-programme")
    assert {r["Programme"]: (r["Claims"], r["Amount"]) for r in rows} == expected
    for programme, label in (("phase1", "Troubled Families 2012-15"),
                             ("phase2", "Expanded programme 2015-20"),
                             ("supporting_families", "Supporting Families")):
        page = parse(client.get(f"/programme?programme={programme}").text)
        figures = {f.find(cls="app-figure__label").text(): f.find(cls="app-figure__number").text()
                   for f in page.find_all(cls="app-figure")}
        assert figures["families claimed for"] == expected[label][0], programme
        assert figures["families attached"] == "0"  # no stored evaluation finds them eligible
        # The money page of the same programme: its claims, not rejected, add up the same.
        money = table(client.get(f"/claims/money?programme={programme}").text,
                      caption="Results payments, by programme year of the family's attachment")
        pounds = sum(int(row[s].strip("£").replace(",", "")) for row in money
                     for s in ("Draft", "Validated", "Submitted"))
        assert f"£{pounds:,}" == expected[label][1], programme
    listed = json.loads(cli("claims", "list", "--format", "json").output)
    episodes = {e.id: e.programme for e in db.session.scalars(select(m.Episode))}
    assert all(episodes[c["episode"]] == c["ruleset"] for c in listed)


def test_editing_a_familys_attachment_date_moves_its_episode_with_the_change_kept(app):
    from casework.records import save_versioned

    editor = create_user("manager")
    family = create_family("EP15", attached_on=D(2013, 5, 1))
    save_versioned(family, family.version, {"attached_on": D(2013, 6, 1)}, editor, "families",
                   "EP15", "EP15")
    assert _episodes("EP15") == [("phase1", D(2013, 6, 1), None, None)]
    save_versioned(family, family.version, {"closed_on": D(2014, 1, 31)}, editor, "families",
                   "EP15", "EP15")
    assert _episodes("EP15") == [("phase1", D(2013, 6, 1), D(2014, 1, 31), "other")]
