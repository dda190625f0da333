"""Duplicate families (docs/matching.md: the same household imported under two
references): likely duplicate families found by a job, a pair side by side, merging (every
row pointing at the family re-pointed, the other reference kept as an alias that later files
import through), undoing it, what is refused, and two managers merging at once."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
from sqlalchemy import func, select

from casework import models as m
from casework.extensions import db
from casework.importer.service import import_csv
from casework.matching import families as fm

from .conftest import login, post_form
from .factories import create_family, create_person, create_user
from .parsed import Page
from .races import at_once

D = dt.date(2024, 5, 1)


def family(ref: str) -> m.Family | None:
    return db.session.scalar(select(m.Family).where(m.Family.family_ref == ref))


def count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return db.session.scalar(query)


def _every_kind_of_row(target: m.Family, user: m.User) -> None:
    """One row of every kind REPOINTED names (bar the merges and aliases a merge makes),
    pointing at `target`."""
    # recorded as a boy here: perhaps not the same child as P-A1, so left for a person
    person = create_person(target, "P-B1", given_name="Kayleigh", family_name="Smith",
                           born=dt.date(2010, 3, 4), sex="m")
    fid = target.id
    episode = m.Episode(family_id=fid, programme="supporting_families", signed_up_on=D,
                        source="test")
    meeting = m.SelectionMeeting(held_on=D, recorded_by_id=user.id)
    db.session.add_all([episode, meeting])
    db.session.flush()
    contact = m.Contact(family_id=fid, author_id=user.id, contact_at=dt.datetime(2024, 5, 2, 10),
                        kind="visit")
    member = m.TafMember(family_id=fid, user_id=user.id, from_on=D)
    db.session.add_all([contact, member])
    db.session.flush()
    db.session.add_all([
        m.AsbRecord(asb_ref="A-FAM", family_id=fid, date=D, kind="incident"),
        m.DomesticAbuseIncident(incident_ref="DA-FAM", family_id=fid, date=D),
        m.HousingEvent(housing_ref="H-FAM", family_id=fid, date=D, kind="eviction"),
        m.Need(need_ref="N-FAM", family_id=fid, person_id=person.id, problem="education",
               indicator="attendance", identified_on=D),
        m.SignUp(family_id=fid, outcome="declined", decided_on=D, recorded_by_id=user.id),
        m.SelectionDecision(meeting_id=meeting.id, family_id=fid, decision="selected",
                            decided_by_id=user.id),
        m.ContactAttempt(family_id=fid, attempted_on=D, method="phone", outcome="no_answer",
                         recorded_by_id=user.id),
        m.Allocation(family_id=fid, worker_id=user.id, start_on=D, end_on=D),
        m.FollowUp(contact_id=contact.id, family_id=fid, action="Call school"),
        m.PlanGoal(family_id=fid, problem="education", goal="Attend every day"),
        m.Referral(family_id=fid, kind="health", agency="CAMHS", referred_on=D),
        m.Claim(family_id=fid, result="family_outcome", claim_kind="family_outcome",
                amount=800, programme_year=1, as_of=D, ruleset="supporting_families",
                snapshot={}, state="draft"),
        m.SharingConsent(family_id=fid, episode_id=episode.id, given_on=D, given_by="Mum",
                         source="test"),
        m.LeadProfessional(family_id=fid, user_id=user.id, from_on=D),
        m.TafMeeting(family_id=fid, held_on=D),
        m.TafAction(family_id=fid, action="Book GP", owner_id=member.id, due_on=D),
        m.Job(kind="family_pdf", title="Family summary", family_id=fid),
        m.FamilyPlan(family_id=fid, lead_professional="Jo Bloggs"),
    ])
    db.session.commit()


@pytest.fixture
def household(app):
    """F-A and F-B are one household imported twice; F-C, a third copy, was merged into F-B
    before (so F-B holds an earlier merge and an alias); F-B holds a row of every kind."""
    manager = create_user("manager")
    kept = create_family("F-A", family_name="Smith", address="1 High Street",
                         postcode="TN1 2AB")
    create_person(kept, "P-A1", given_name="Kayleigh", family_name="Smith",
                  born=dt.date(2010, 3, 4), sex="f")
    other = create_family("F-B", family_name="Smith", address="1, High Street", postcode="TN12AB",
                          ward="Central")
    third = create_family("F-C", family_name="Smith")
    fm.merge(other, third, manager)
    _every_kind_of_row(other, manager)
    return {"manager": manager, "kept": kept.id, "other": other.id}


def test_every_table_pointing_at_families_is_handled_by_a_merge():
    """A new table with a foreign key to families must be placed in REPOINTED, PLAN,
    DERIVED or FORGOTTEN (casework/matching/families.py), or a merge would leave its rows
    pointing at a family removed."""
    pointing = {(table.name, column.name) for table in db.metadata.tables.values()
                for column in table.columns for fk in column.foreign_keys
                if fk.target_fullname == "families.id"}
    handled = {(model.__tablename__, column) for model, column, _ in fm.REPOINTED}
    handled |= {(model.__tablename__, column) for model, column in (fm.PLAN, *fm.DERIVED,
                                                                    *fm.FORGOTTEN)}
    assert pointing == handled
    assert len(pointing) >= 19


def test_merging_repoints_every_table_the_alias_imports_and_undo_restores_every_row(
        client, sign_in, household):
    kept_id, other_id = household["kept"], household["other"]
    before = {}
    for model, column, _ in fm.REPOINTED:
        before[model.__tablename__] = set(db.session.scalars(
            select(model.id).where(getattr(model, column) == other_id)))
        assert before[model.__tablename__], f"the fixture has no {model.__tablename__} row"
    kept_before = {model.__tablename__: set(db.session.scalars(
        select(model.id).where(getattr(model, column) == kept_id)))
        for model, column, _ in fm.REPOINTED}
    plan_id = db.session.scalar(select(m.FamilyPlan.id).where(m.FamilyPlan.family_id == other_id))
    db.session.add(m.StoredEvaluation(
        family_id=other_id, ruleset="phase1", as_of=D, identification_date=D, screening=False,
        crime_asb=False, education=False, work=False, local_discretion=False, eligible=False,
        result_asb="n", result_offending="n", result_education="n",
        result_crime_asb_education="n", result_progress_to_work="n",
        result_continuous_employment="n"))
    db.session.commit()

    manager = sign_in("manager")
    response = post_form(client, "/matching/family-duplicates/F-A/F-B", {"keep": "F-A"})
    assert response.status_code == 302, Page(response.text).errors
    record = db.session.scalar(select(m.FamilyMerge).where(m.FamilyMerge.merged_ref == "F-B"))
    assert response.location.endswith(f"/matching/family-merges/{record.id}")
    db.session.expire_all()
    assert family("F-B") is None
    for model, column, _ in fm.REPOINTED:
        name = model.__tablename__
        assert count(model, **{column: other_id}) == 0, name
        now = set(db.session.scalars(select(model.id).where(getattr(model, column) == kept_id)))
        assert now >= before[name] | kept_before[name], name
        assert record.moved[f"{name}.{column}"] == sorted(before[name]), name
    assert db.session.scalar(select(m.FamilyPlan.family_id).where(m.FamilyPlan.id == plan_id)) \
        == kept_id  # the kept family had no plan: the other's moved
    assert count(m.StoredEvaluation, family_id=other_id) == 0
    assert count(m.FamilySearch, family_id=other_id) == 0
    assert "p-b1" in db.session.get(m.FamilySearch, kept_id).document
    # marked for re-evaluation (the request then re-evaluates what it marked)
    assert count(m.StaleFamily, family_id=kept_id) + count(m.StoredEvaluation,
                                                           family_id=kept_id) >= 1
    aliases = dict(db.session.execute(select(m.FamilyAlias.alias_ref, m.FamilyAlias.family_id)).all())
    assert aliases == {"F-B": kept_id, "F-C": kept_id}
    # the kept family's dates follow its latest episode, now the one that moved
    assert family("F-A").attached_on == D
    event = db.session.scalar(select(m.AuditEvent).where(
        m.AuditEvent.action == "merge", m.AuditEvent.object_type == "family",
        m.AuditEvent.object_ref == "F-A"))
    moved = sum(len(ids) for ids in record.moved.values())
    assert event.detail == (f"F-B merged into F-A (family merge {record.id}): {moved} records "
                            "re-pointed")
    assert event.user_id == manager.id
    history = {(h.record_ref, h.source) for h in db.session.scalars(select(m.RecordHistory)
               .where(m.RecordHistory.record_type == "families"))}
    assert {("F-A", f"family merge {record.id}"), ("F-B", f"family merge {record.id}")} <= history

    # Later files naming F-B (or F-C, merged into F-B before) import to F-A; matched exactly.
    import_csv("families", b"family_ref,family_name,postcode\nF-B,Smith,TN1 2AB\n",
               "families.csv")
    assert family("F-B") is None and count(m.Family, family_ref="F-A") == 1
    import_csv("people", b"person_ref,family_ref,given_name,family_name,date_of_birth\n"
               b"P-NEW,F-B,Amy,Smith,2015-01-01\n", "people.csv")
    import_csv("asb", b"asb_ref,person_ref,family_ref,date,kind\nA-LATER,,F-C,2024-06-01,"
               b"incident\n", "asb.csv")
    db.session.expire_all()
    new_person = db.session.scalar(select(m.Person).where(m.Person.person_ref == "P-NEW"))
    assert new_person.family_id == kept_id
    assert db.session.scalar(select(m.AsbRecord.family_id).where(
        m.AsbRecord.asb_ref == "A-LATER")) == kept_id
    with pytest.raises(Exception) as refused:
        import_csv("people", b"person_ref,family_ref,given_name,family_name,date_of_birth\n"
                   b"P-LOW,f-b,Amy,Smith,2015-01-01\n", "lower.csv")
    assert "no family with reference f-b exists" in str(refused.value.errors)

    page = Page(client.get(f"/matching/family-merges/{record.id}").text)
    assert page.h1 == "F-B merged into F-A"
    assert page.summary_list()["Merged"] == "Smith (F-B)"
    response = post_form(client, f"/matching/family-merges/{record.id}", {})
    assert response.status_code == 302
    assert response.location.endswith("/families/F-B")
    db.session.expire_all()
    back = family("F-B")
    assert (back.id, back.address, back.postcode, back.ward) == (
        other_id, "1, High Street", "TN12AB", "Central")
    for model, column, _ in fm.REPOINTED:
        name = model.__tablename__
        assert set(db.session.scalars(select(model.id).where(
            getattr(model, column) == other_id))) == before[name], name
    assert db.session.scalar(select(m.FamilyPlan.family_id).where(m.FamilyPlan.id == plan_id)) \
        == other_id
    # what was imported to F-A through the alias since stays with F-A
    assert db.session.get(m.Person, new_person.id).family_id == kept_id
    aliases = dict(db.session.execute(select(m.FamilyAlias.alias_ref, m.FamilyAlias.family_id)).all())
    assert aliases == {"F-C": other_id}
    assert db.session.get(m.FamilyMerge, record.id).undone_by_id == manager.id
    assert family("F-A").attached_on is None
    assert "p-b1" in db.session.get(m.FamilySearch, other_id).document
    assert db.session.scalar(select(m.AuditEvent).where(
        m.AuditEvent.action == "unmerge", m.AuditEvent.object_type == "family")).detail == (
        f"family merge {record.id} undone: F-B is again apart from F-A")
    response = post_form(client, f"/matching/family-merges/{record.id}", {})
    assert response.status_code == 200  # undone once only: the button has gone
    assert "Undone on" in Page(response.text).summary_list()["Status"]


def test_an_earlier_merge_follows_its_family_into_a_later_one_and_still_undoes(app):
    """F-2 merged into F-1, then F-1 into F-3: the first merge now belongs to F-3 (it holds
    F-2's rows), and undoing it takes F-2's rows back from F-3."""
    manager = create_user("manager")
    a, b, c = (create_family(ref) for ref in ("F-1", "F-2", "F-3"))
    create_person(b, "P-2")
    create_person(a, "P-1")
    b_id, c_id = b.id, c.id
    first = fm.merge(a, b, manager)
    fm.merge(c, db.session.get(m.Family, a.id), manager)
    assert db.session.get(m.FamilyMerge, first.id).kept_id == c_id
    fm.undo(db.session.get(m.FamilyMerge, first.id), manager)
    db.session.expire_all()
    people = dict(db.session.execute(select(m.Person.person_ref, m.Person.family_id)).all())
    assert people == {"P-2": b_id, "P-1": c_id}
    aliases = dict(db.session.execute(select(m.FamilyAlias.alias_ref,
                                             m.FamilyAlias.family_id)).all())
    assert aliases == {"F-1": c_id}
    with pytest.raises(fm.FamilyMergeRefused) as refused:
        fm.undo(db.session.get(m.FamilyMerge, first.id), manager)
    assert refused.value.problems[0].startswith("This merge was already undone on ")


def test_members_certainly_one_person_are_merged_with_the_family_and_undone_with_it(app):
    """Same given name, family name and date of birth, and nothing telling them apart: one
    child, merged as a person within the family merge; twins (another given name) and a
    namesake with another NHS number are left; undoing the family merge undoes it first."""
    manager = create_user("manager")
    a, b = create_family("F-A", family_name="Smith"), create_family("F-B", family_name="Smith")
    create_person(a, "P-A1", given_name="Kayleigh", family_name="Smith",
                  born=dt.date(2010, 3, 4), sex="f")
    create_person(a, "P-A2", given_name="Dean", family_name="Smith", born=dt.date(1984, 7, 30),
                  nhs_number="9434765919")
    create_person(b, "P-B1", given_name="kayleigh", family_name="SMITH",
                  born=dt.date(2010, 3, 4))  # no sex given: nothing tells them apart
    create_person(b, "P-B2", given_name="Dean", family_name="Smith", born=dt.date(1984, 7, 30),
                  nhs_number="9434765870")  # another NHS number: not certain
    create_person(b, "P-B3", given_name="Kelly", family_name="Smith",
                  born=dt.date(2010, 3, 4), sex="f")  # her twin
    db.session.add(m.AsbRecord(asb_ref="A-K", person_id=db.session.scalar(
        select(m.Person.id).where(m.Person.person_ref == "P-B1")), date=D, kind="incident"))
    db.session.commit()
    b_id = b.id
    record = fm.merge(a, b, manager)
    db.session.expire_all()
    people = dict(db.session.execute(select(m.Person.person_ref, m.Person.family_id)).all())
    assert people == {"P-A1": a.id, "P-A2": a.id, "P-B2": a.id, "P-B3": a.id}
    person_merge = db.session.scalar(select(m.PersonMerge))
    assert (person_merge.merged_ref, person_merge.kept.person_ref) == ("P-B1", "P-A1")
    assert record.merged["person_merges"] == [person_merge.id]
    assert db.session.scalar(select(m.Person.person_ref).join(
        m.AsbRecord, m.AsbRecord.person_id == m.Person.id)) == "P-A1"
    assert db.session.scalar(select(m.AuditEvent.detail).where(
        m.AuditEvent.object_type == "family", m.AuditEvent.action == "merge")).endswith(
        f", 1 member certainly one person merged (person merge {person_merge.id})")

    fm.undo(db.session.get(m.FamilyMerge, record.id), manager)
    db.session.expire_all()
    people = dict(db.session.execute(select(m.Person.person_ref, m.Person.family_id)).all())
    assert people == {"P-A1": a.id, "P-A2": a.id, "P-B1": b_id, "P-B2": b_id, "P-B3": b_id}
    assert db.session.get(m.PersonMerge, person_merge.id).undone_at is not None
    assert db.session.scalar(select(m.Person.person_ref).join(
        m.AsbRecord, m.AsbRecord.person_id == m.Person.id)) == "P-B1"


def _claim(family_id, result, kind, state="draft"):
    db.session.add(m.Claim(family_id=family_id, result=result, claim_kind=kind, amount=700,
                           programme_year=1, as_of=D, ruleset="phase1", snapshot={},
                           state=state))


def test_what_must_not_merge_is_refused_with_every_reason_and_nothing_changes(client,
                                                                              sign_in):
    worker = create_user("worker")
    a = create_family("F-A", family_name="Smith")
    b = create_family("F-B", family_name="Smith")
    for f in (a, b):
        db.session.add(m.Episode(family_id=f.id, programme="phase1", signed_up_on=D,
                                 source="test"))
        db.session.add(m.Allocation(family_id=f.id, worker_id=worker.id, start_on=D))
    _claim(a.id, "crime_asb_education", "turn_around", "submitted")
    _claim(b.id, "continuous_employment", "turn_around", "submitted")
    _claim(b.id, "progress_to_work", "progress_to_work", "rejected")  # rejected: not counted
    db.session.add_all([m.FamilyPlan(family_id=a.id, lead_professional="Jo Bloggs"),
                        m.FamilyPlan(family_id=b.id, lead_professional="Sam Jones")])
    db.session.commit()
    sign_in("manager")
    response = post_form(client, "/matching/family-duplicates/F-A/F-B", {"keep": "F-B"})
    assert response.status_code == 200
    errors = Page(response.text).errors
    claims = dict(db.session.execute(select(m.Claim.result, m.Claim.id)).all())
    a_claim, b_claim = claims["crime_asb_education"], claims["continuous_employment"]
    assert errors == [
        "F-B and F-A both have an open episode (phase1 from 1 May 2024, phase1 from "
        "1 May 2024): a family has at most one open episode, so close the one opened under "
        "the duplicate reference first",
        "F-B and F-A are both allocated to a worker now: end one of the allocations first (a "
        "family is held by one worker at a time)",
        f"F-B and F-A both have a turn-around claim (claim {b_claim} (continuous employment, "
        f"submitted), claim {a_claim} (crime asb education, submitted)): a family is paid at "
        "most one, so reject the duplicate claim first (a submitted claim is never changed: "
        "correct it with the claims team)",
        f"F-B and F-A both have a claim already submitted for payment (claim {b_claim} "
        f"(continuous employment, submitted), claim {a_claim} (crime asb education, "
        "submitted)): one household was paid under two references, which the claims team "
        "corrects; a merge cannot",
    ]  # the plans' old free-text lead professionals (Jo Bloggs, Sam Jones) refuse nothing
    db.session.expire_all()
    assert family("F-A") is not None and family("F-B") is not None
    assert count(m.FamilyMerge) == 0 and count(m.FamilyAlias) == 0
    # the pair's page says so before anyone chooses
    page = Page(client.get("/matching/family-duplicates/F-A/F-B").text)
    shown_first = [li.text() for li in page.root.by_id("refusals").find_all("li")]
    assert len(shown_first) == 4
    assert shown_first[0] == errors[0].replace("F-B and F-A", "F-A and F-B")


@pytest.mark.parametrize("results, refused", [
    # one continuous employment claim, one progress to work: the deduction never applied
    ((("continuous_employment", "turn_around"), ("progress_to_work", "progress_to_work")),
     True),
    ((("progress_to_work", "progress_to_work"), ("progress_to_work", "progress_to_work")),
     True),
    ((("family_outcome", "family_outcome"), ("family_outcome", "family_outcome")), True),
    # one turn-around claim beside one progress to work claim of crime/ASB: allowed
    ((("crime_asb_education", "turn_around"), ("progress_to_work", "progress_to_work")),
     False),
    ((("crime_asb_education", "turn_around"), None), False),
])
def test_claims_that_would_pay_one_household_twice_are_refused(app, results, refused):
    manager = create_user("manager")
    a, b = create_family("F-A"), create_family("F-B")
    for f, claim in zip((a, b), results, strict=True):
        if claim:
            _claim(f.id, *claim)
    db.session.commit()
    problems = fm.refusals(a, b)
    assert bool(problems) == refused, problems
    if not refused:
        fm.merge(a, b, manager)
        assert count(m.Claim, family_id=a.id) == sum(1 for c in results if c)


def test_an_open_episode_on_one_side_only_merges(app):
    manager = create_user("manager")
    a, b = create_family("F-A"), create_family("F-B")
    db.session.add(m.Episode(family_id=b.id, programme="phase2", signed_up_on=D, source="t"))
    db.session.add(m.Episode(family_id=a.id, programme="phase1", signed_up_on=dt.date(2013, 1, 1),
                             closed_on=dt.date(2014, 1, 1), end_reason="other", source="t"))
    db.session.commit()
    assert fm.refusals(a, b) == []
    fm.merge(a, b, manager)
    kept = family("F-A")
    assert (kept.attached_on, kept.closed_on) == (D, None)


def test_two_managers_merging_the_same_pair_at_once_one_wins(app, household):
    """Each merges the other way round in its own thread and database connection: one merge
    is done, the other refused in words, and no row is left pointing at a family removed."""
    manager = household["manager"]
    kept_id, other_id = household["kept"], household["other"]

    def run(keep: int, merge_in: int):
        user = db.session.get(m.User, manager.id)
        a, b = db.session.get(m.Family, keep), db.session.get(m.Family, merge_in)
        return ("merged", fm.merge(a, b, user).merged_ref)

    outcomes = [("refused", o.problems) if isinstance(o, fm.FamilyMergeRefused) else o
                for o in at_once(app, functools.partial(run, kept_id, other_id),
                                 functools.partial(run, other_id, kept_id),
                                 refused=(fm.FamilyMergeRefused,))]
    db.session.expire_all()
    assert sorted(o[0] for o in outcomes) == ["merged", "refused"], outcomes
    refused = next(o[1] for o in outcomes if o[0] == "refused")
    assert len(refused) == 1 and refused[0].endswith(
        "no longer exists: it has just been merged into another")
    assert count(m.FamilyMerge, undone_at=None) == 2  # F-C's earlier one, and the winner
    survivor = db.session.scalar(select(m.Family.id).where(m.Family.id.in_([kept_id, other_id])))
    assert count(m.Family) == 1 + 0 and survivor in (kept_id, other_id)
    assert count(m.Person) == 2 and {p.family_id for p in db.session.scalars(
        select(m.Person))} == {survivor}


# The pages ----------------------------------------------------------------------------------


def _search(client, run_jobs):
    response = post_form(client, "/matching/family-duplicates/search", {},
                         page_url="/matching/family-duplicates")
    assert response.status_code == 302 and "/jobs/" in response.location
    assert run_jobs() == 1


def test_the_list_shows_the_household_recorded_twice_and_the_pair_side_by_side(
        client, sign_in, household, run_jobs):
    create_family("F-Z", family_name="Jones", postcode="TN1 2AB")  # a neighbour: not proposed
    manager = sign_in("manager")
    page = Page(client.get("/matching/family-duplicates").text)
    assert page.h1 == "Likely duplicate families"
    assert page.paragraph("Nobody has looked for duplicate families yet.")
    _search(client, run_jobs)
    job = db.session.scalar(select(m.Job).where(m.Job.kind == fm.SEARCH_KIND))
    assert job.state == "done", job.error
    assert job.summary == "1 likely duplicate family pair found among 3 families."
    table = Page(client.get("/matching/family-duplicates").text).table("1 pair")
    assert table.rows == [{
        "First": "Smith (F-A), TN1 2AB", "Second": "Smith (F-B), TN12AB",
        "Why": "1 member in common; the same address; the same family name at the same "
               "postcode",
        "Open": "Compare F-A and F-B"}]

    page = Page(client.get("/matching/family-duplicates/F-A/F-B").text)
    assert page.h1 == "Is this one household?"
    side = page.table("The two families side by side")
    assert side.row("Members") == {"": "Members",
                                   "F-A": "Kayleigh Smith (P-A1), born 4 March 2010",
                                   "F-B": "Kayleigh Smith (P-B1), born 4 March 2010"}
    assert side.row("Claims")["F-B"].startswith("Claim ")
    assert side.row("Claims")["F-A"] == "None"
    assert side.row("Episodes")["F-B"] == "supporting_families from 1 May 2024 (open)"
    assert side.row("Contacts") == {"": "Contacts", "F-A": "0", "F-B": "1"}
    assert side.row("Partner evidence about the family and its members")["F-B"] == "3"
    same = page.root.by_id("same-people")
    assert same.text() == "Kayleigh Smith (P-A1) and Kayleigh Smith (P-B1)"
    assert page.root.by_id("refusals") is None
    event = db.session.scalar(select(m.AuditEvent).where(
        m.AuditEvent.object_type == "duplicate_families_pair"))
    assert (event.action, event.object_ref, event.user_id) == ("view", "F-A/F-B", manager.id)
    listed = db.session.scalars(select(m.AuditEvent).where(
        m.AuditEvent.object_type == "duplicate_families").order_by(m.AuditEvent.id)).all()
    assert [(e.action, e.detail) for e in listed][-1] == ("view_list", "F-A/F-B")


def test_two_different_households_are_not_shown_again(client, sign_in, household, run_jobs):
    sign_in("manager")
    _search(client, run_jobs)
    response = post_form(client, "/matching/family-duplicates/F-A/F-B", {"keep": "different"})
    assert response.status_code == 302
    page = Page(client.get("/matching/family-duplicates").text)
    assert page.paragraph("No likely duplicate families.")
    assert db.session.scalar(select(m.AuditEvent).where(
        m.AuditEvent.action == "not_duplicate", m.AuditEvent.object_type == "family")).detail \
        == "F-A and F-B are different households"


def test_no_choice_is_an_error_named_on_the_form(client, sign_in, household):
    sign_in("manager")
    response = post_form(client, "/matching/family-duplicates/F-A/F-B", {})
    assert response.status_code == 200
    assert Page(response.text).errors == [
        "Select the family to keep, or that they are different households"]
    assert count(m.FamilyMerge) == 1  # F-C's, from the fixture


@pytest.mark.parametrize("role", ["worker", "team_lead", "auditor", "admin", "partner"])
def test_only_programme_managers_see_or_merge_families(client, sign_in, household, role):
    sign_in(role)
    assert client.get("/matching/family-duplicates").status_code == 403
    assert client.get("/matching/family-duplicates/F-A/F-B").status_code == 403
    # With a valid token (the refusal page's own), so the refusal is the permission's
    response = post_form(client, "/matching/family-duplicates/F-A/F-B", {"keep": "F-A"})
    assert response.status_code == 403
    assert family("F-B") is not None


def test_a_post_without_its_csrf_token_is_refused(client, sign_in, household):
    sign_in("manager")
    response = client.post("/matching/family-duplicates/F-A/F-B", data={"keep": "F-A"})
    assert response.status_code == 400
    assert family("F-B") is not None


def test_an_unknown_family_is_not_found(client, sign_in, household):
    sign_in("manager")
    assert client.get("/matching/family-duplicates/F-A/F-NONE").status_code == 404
    assert client.get("/matching/family-merges/999").status_code == 404


def test_the_merged_reference_opens_the_family_kept_for_those_who_may_see_it(client, sign_in, app):
    manager = create_user("manager")
    kept, other = create_family("F-K", family_name="Smith"), create_family("F-M", family_name="Smith")
    fm.merge(kept, other, manager)
    sign_in("manager")
    response = client.get("/families/F-M")
    assert response.status_code == 302 and response.headers["Location"] == "/families/F-K"
    page = Page(client.get("/families/F-K").text)
    assert page.banners == ["F-M was merged into F-K: this is the family kept."]
    assert client.get("/families/f-m").status_code == 404  # references are matched exactly
    worker = app.test_client()  # the family kept is not theirs: the old reference is as unknown
    login(worker, create_user("worker").email)
    assert worker.get("/families/F-M").status_code == 404


def _refused(kind: str, body: bytes, filename: str) -> list[str]:
    from casework.importer.service import ImportRefused
    with pytest.raises(ImportRefused) as refused:
        import_csv(kind, body, filename)
    return refused.value.errors


def test_a_file_naming_a_merged_family_and_the_family_kept_is_refused_writing_nothing(app):
    """Merged references are swapped for the kept one before keys are checked again: F-B
    (merged into F-A) and F-A on two lines would both write to F-A, the last winning."""
    manager = create_user("manager")
    kept = create_family("F-A", family_name="Smith", postcode="TN1 2AB")
    fm.merge(kept, create_family("F-B", family_name="Smith"), manager)
    errors = _refused("families", b"family_ref,family_name,postcode\n"
                      b"F-A,Smith,TN1 2AB\nF-X,Jones,TN1 1AA\nF-B,Smythe,TN9 9ZZ\n",
                      "families.csv")
    assert errors == ["families.csv:4: family_ref: F-B was merged into F-A, which is already "
                      "on line 2"]
    errors = _refused("families", b"family_ref,family_name,postcode\n"
                      b"F-B,Smythe,TN9 9ZZ\nF-A,Smith,TN1 2AB\n", "later.csv")
    assert errors == ["later.csv:3: family_ref: F-A is already on line 2 (as F-B, which was "
                      "merged into F-A)"]
    db.session.expire_all()
    assert (family("F-A").family_name, family("F-A").postcode) == ("Smith", "TN1 2AB")
    assert family("F-X") is None


def test_a_file_naming_a_merged_person_and_the_person_kept_is_refused_writing_nothing(app):
    from casework.matching import duplicates
    manager = create_user("manager")
    home = create_family("F-A", family_name="Smith")
    kept = create_person(home, "P-1", given_name="Kayleigh", family_name="Smith",
                         born=dt.date(2010, 3, 4))
    other = create_person(home, "P-2", given_name="Kayleigh", family_name="Smith",
                          born=dt.date(2010, 3, 4))
    duplicates.merge(kept, other, manager)
    errors = _refused("people", b"person_ref,family_ref,given_name,family_name,date_of_birth\n"
                      b"P-1,F-A,Kayleigh,Smith,2010-03-04\nP-2,F-A,Kayla,Smith,2010-04-03\n",
                      "people.csv")
    assert errors == ["people.csv:3: person_ref: P-2 was merged into P-1, which is already "
                      "on line 2"]
    db.session.expire_all()
    person = db.session.scalar(select(m.Person).where(m.Person.person_ref == "P-1"))
    assert (person.given_name, person.date_of_birth) == ("Kayleigh", dt.date(2010, 3, 4))


def _episode(f: m.Family, signed: dt.date, closed: dt.date | None = None) -> m.Episode:
    episode = m.Episode(family_id=f.id, programme="supporting_families", signed_up_on=signed,
                        closed_on=closed, end_reason="stepped_down" if closed else None,
                        source="test")
    db.session.add(episode)
    db.session.flush()
    return episode


@pytest.mark.parametrize("closed, refused", [
    (dt.date(2024, 5, 31), False),  # the day before the other's sign-up
    # on the day: docs/episodes.md lets a family sign up again on the day its last episode
    # closed ("never dated before the last one closed"), so they do not overlap
    (dt.date(2024, 6, 1), False),
    (dt.date(2024, 6, 2), True),  # the day after: both open on 1 June
])
def test_episodes_overlapping_in_time_refuse_a_merge(app, closed, refused):
    create_user("manager")
    a = create_family("F-A", family_name="Smith")
    b = create_family("F-B", family_name="Smith")
    _episode(a, dt.date(2024, 6, 1))
    _episode(b, dt.date(2024, 1, 10), closed)
    db.session.commit()
    expected = [f"F-A and F-B have episodes that overlap in time (supporting_families from "
                f"1 June 2024 still open and supporting_families from 10 January 2024 to "
                f"{closed.day} {closed:%B} 2024): a family's episodes follow one another (a new "
                "one signed up no earlier than the last closed), so correct the dates of the "
                "one under the duplicate reference first"] if refused else []
    assert fm.refusals(a, b) == expected
    assert fm.refusals(b, a) == ([expected[0].replace("F-A and F-B", "F-B and F-A").replace(
        "1 June 2024 still open and supporting_families from 10 January 2024 to "
        f"{closed.day} June 2024", f"10 January 2024 to {closed.day} June 2024 and "
        "supporting_families from 1 June 2024 still open")] if refused else [])
    # two closed episodes overlapping are refused too
    _episode(a, dt.date(2023, 1, 1), dt.date(2023, 3, 1))
    _episode(b, dt.date(2023, 2, 28), dt.date(2023, 4, 1))
    assert "1 January 2023 to 1 March 2023 and supporting_families from 28 February 2023 " \
        "to 1 April 2023" in " ".join(fm.refusals(a, b))


def test_after_a_merge_the_family_follows_its_open_episode(app):
    """An episode of the merged family closed on the day the kept one's open episode was
    signed up for sorts after it (same sign-up date, later id): the family's dates follow
    the open one."""
    manager = create_user("manager")
    a = create_family("F-A", family_name="Smith")
    b = create_family("F-B", family_name="Smith")
    _episode(a, dt.date(2024, 6, 1))
    _episode(b, dt.date(2024, 6, 1), dt.date(2024, 6, 1))
    db.session.commit()
    fm.merge(a, b, manager)
    db.session.expire_all()
    kept = family("F-A")
    assert (kept.attached_on, kept.closed_on) == (dt.date(2024, 6, 1), None)


def test_a_removed_familys_id_is_never_reused_and_undo_refuses_if_it_is_taken(client,
                                                                             sign_in):
    """SQLite reused the highest id once its family was removed (no AUTOINCREMENT): a new
    family took the merged family's id, and undo crashed putting it back."""
    manager = create_user("manager")
    kept = create_family("F-A", family_name="Smith")
    other = create_family("F-B", family_name="Smith")
    other_id = other.id
    record = fm.merge(kept, other, manager)
    newcomer = create_family("F-NEW", family_name="Jones")
    assert newcomer.id > other_id
    sign_in("manager")
    response = post_form(client, f"/matching/family-merges/{record.id}", {})
    assert response.status_code == 302
    db.session.expire_all()
    assert family("F-B").id == other_id

    # A database made before (or a row written with the id by hand): refused in words.
    again = fm.merge(family("F-A"), family("F-B"), manager)
    db.session.add(m.Family(id=other_id, family_ref="F-SQUAT", family_name="Brown"))
    db.session.commit()
    response = post_form(client, f"/matching/family-merges/{again.id}", {})
    assert response.status_code == 200
    assert Page(response.text).errors == [
        "The merged family's record number is now family F-SQUAT's: F-B cannot be put back "
        "as it was"]
    db.session.expire_all()
    assert db.session.get(m.FamilyMerge, again.id).undone_at is None
    assert family("F-B") is None


def test_a_removed_persons_id_is_never_reused(app):
    from casework.matching import duplicates
    manager = create_user("manager")
    home = create_family("F-A", family_name="Smith")
    kept = create_person(home, "P-1", given_name="Amy", family_name="Smith",
                         born=dt.date(2012, 1, 1))
    other = create_person(home, "P-2", given_name="Amy", family_name="Smith",
                          born=dt.date(2012, 1, 1))
    other_id = other.id
    record = duplicates.merge(kept, other, manager)
    assert create_person(home, "P-3", given_name="Bo", family_name="Smith",
                         born=dt.date(2014, 1, 1)).id > other_id
    duplicates.undo(db.session.get(m.PersonMerge, record.id), manager)
    assert db.session.scalar(select(m.Person.id).where(m.Person.person_ref == "P-2")) == other_id


@pytest.mark.parametrize("b_from, refused", [
    (dt.date(2024, 6, 1), False),  # the day after F-A's lead ended: a hand-over
    (dt.date(2024, 5, 31), True),  # on F-A's lead's last day (periods are inclusive)
])
def test_lead_professional_periods_that_overlap_refuse_a_merge(app, b_from, refused):
    jo, sam = create_user("worker", name="Jo Bloggs"), create_user("worker", name="Sam Jones")
    a = create_family("F-A", family_name="Smith")
    b = create_family("F-B", family_name="Smith")
    db.session.add_all([
        m.LeadProfessional(family_id=a.id, user_id=jo.id, from_on=dt.date(2024, 1, 1),
                           to_on=dt.date(2024, 5, 31)),
        m.LeadProfessional(family_id=b.id, user_id=sam.id, from_on=b_from)])
    db.session.commit()
    assert fm.refusals(a, b) == ([
        f"F-A and F-B have lead professional periods that overlap (Jo Bloggs from 1 January "
        f"2024 to 31 May 2024 and Sam Jones from {b_from.day} {b_from:%B} 2024): a family has "
        "one at a time, so correct the periods first"] if refused else [])


def test_plans_whose_old_free_text_names_different_leads_merge(client, sign_in):
    """The plan's own lead professional text is no longer shown or edited (the lead
    professional has one source, access.lead_professional), so nobody could make two plans
    agree: it refuses nothing. The kept family's plan stays; the other's is set aside, and
    the merge page says so."""
    a = create_family("F-A", family_name="Smith")
    b = create_family("F-B", family_name="Smith")
    db.session.add_all([m.FamilyPlan(family_id=a.id, lead_professional="Jo Bloggs"),
                        m.FamilyPlan(family_id=b.id, lead_professional="Sam Jones",
                                     lead_agency="School")])
    db.session.commit()
    assert fm.refusals(a, b) == []
    sign_in("manager")
    page = Page(client.get("/matching/family-duplicates/F-A/F-B").text)
    assert page.root.by_id("refusals") is None
    response = post_form(client, "/matching/family-duplicates/F-A/F-B", {"keep": "F-A"})
    assert response.status_code == 302, Page(response.text).errors
    db.session.expire_all()
    assert db.session.scalars(select(m.FamilyPlan.family_id)).all() == [a.id]
    done = Page(client.get(response.location).text)
    assert ("A family has one plan: F-B's was set aside for F-A's (its goals and referrals "
            "moved with the other records); undoing the merge puts it back.") in done.paragraphs()


def test_two_current_lead_professionals_refuse_a_merge(app):
    """The plans say nothing (the plan check compared only their text), but both families
    have a lead professional now."""
    jo, sam = create_user("worker", name="Jo Bloggs"), create_user("worker", name="Sam Jones")
    a = create_family("F-A", family_name="Smith")
    b = create_family("F-B", family_name="Smith")
    db.session.add_all([
        m.LeadProfessional(family_id=a.id, user_id=jo.id, from_on=dt.date(2024, 1, 1)),
        m.LeadProfessional(family_id=b.id, user_id=sam.id, from_on=dt.date(2025, 1, 1)),
        m.FamilyPlan(family_id=a.id), m.FamilyPlan(family_id=b.id)])
    db.session.commit()
    assert fm.refusals(a, b) == [
        "F-A and F-B both have a current lead professional (Jo Bloggs from 1 January 2024; "
        "Sam Jones from 1 January 2025): a family has one at a time, so hand over or end the "
        "one under the duplicate reference first"]
    with pytest.raises(fm.FamilyMergeRefused):
        fm.merge(a, b, create_user("manager"))


def test_the_search_skips_groups_too_large_to_compare_and_keeps_the_likeliest(app,
                                                                             monkeypatch):
    """Families are compared only within a group sharing a key; a group above GROUP_CAP
    (every family at one postcode with a common name) is skipped, which the summary says;
    only the likeliest STORED pairs are kept."""
    import json
    monkeypatch.setattr(fm, "GROUP_CAP", 3)
    ids = [create_family(f"F-{i}", family_name="Smith", address=f"{i} High Street",
                         postcode="TN1 2AB").id for i in range(4)]
    twin = create_family("F-TWIN", family_name="Jones", address="0 High Street",
                         postcode="TN12AB")
    summary, body = fm.find()
    assert summary == (
        "1 likely duplicate family pair found among 5 families. 1 group of more than 3 "
        "families (or people) sharing an address, a family name at one postcode, or a name "
        "and date of birth (4 in all) was too large to compare and skipped.")
    assert json.loads(body)["pairs"] == [[ids[0], twin.id, [], True, False]]
    monkeypatch.setattr(fm, "GROUP_CAP", 50)
    monkeypatch.setattr(fm, "STORED", 2)
    summary, body = fm.find()
    assert summary == ("7 likely duplicate family pairs found among 5 families. The "
                       "likeliest 2 are kept.")
    assert json.loads(body)["pairs"] == [[ids[0], twin.id, [], True, False],
                                         [ids[0], ids[1], [], False, True]]


def test_undo_is_refused_when_rows_added_since_link_to_rows_going_back(client, sign_in,
                                                                       household):
    """A referral added to F-A since the merge under F-B's episode, and a new team member of
    F-A at F-B's meeting: undoing would leave them linking the two families."""
    manager = household["manager"]
    record = fm.merge(db.session.get(m.Family, household["kept"]),
                      db.session.get(m.Family, household["other"]), manager)
    kept_id = household["kept"]
    episode_id = record.moved["episodes.family_id"][0]
    meeting_id = record.moved["taf_meetings.family_id"][0]
    referral = m.Referral(family_id=kept_id, episode_id=episode_id, kind="health",
                          agency="CAMHS", referred_on=D)
    member = m.TafMember(family_id=kept_id, user_id=create_user("worker").id, from_on=D)
    db.session.add_all([referral, member])
    db.session.flush()
    attendance = m.TafAttendance(meeting_id=meeting_id, member_id=member.id)
    db.session.add(attendance)
    db.session.commit()
    sign_in("manager")
    response = post_form(client, f"/matching/family-merges/{record.id}", {})
    assert response.status_code == 200
    assert Page(response.text).errors == [
        f"Referral {referral.id} stays with F-A (added since the merge) but points at "
        f"episode {episode_id}, which goes back to F-B",
        f"The attendance of team member {member.id} at meeting {meeting_id} would link F-B "
        "and F-A (one goes back, the other stays)",
        "Undoing would leave these linking F-B and F-A: move or remove them first",
    ]
    db.session.expire_all()
    assert family("F-B") is None
    db.session.delete(db.session.get(m.Referral, referral.id))
    db.session.delete(db.session.get(m.TafAttendance, attendance.id))
    db.session.commit()
    assert post_form(client, f"/matching/family-merges/{record.id}", {}).status_code == 302


def test_undo_locks_the_merge_record_and_reads_the_family_kept_again(app, monkeypatch):
    """Undo locks the family kept and the merge record, then reads the record again: a
    record read before a later merge moved its kept_id is refused in words, not undone
    against a family that is gone."""
    manager = create_user("manager")
    a, b, c = (create_family(ref, family_name="Smith") for ref in ("F-A", "F-B", "F-C"))
    a_id, c_id = a.id, c.id
    first = fm.merge(a, b, manager)
    stale = m.FamilyMerge(id=first.id, kept_id=a_id)  # what a page read before the next merge
    fm.merge(c, db.session.get(m.Family, a_id), manager)
    locked = []
    real = fm.lock_rows
    monkeypatch.setattr(fm, "lock_rows", lambda *t: (locked.append(t), real(*t)))
    with pytest.raises(fm.FamilyMergeRefused) as refused:
        fm.undo(stale, manager)
    assert refused.value.problems == ["The family kept has just been merged into another: "
                                      "open this merge again and undo it from there"]
    assert locked == [((m.Family, [a_id]), (m.FamilyMerge, [first.id]))]
    db.session.expire_all()
    record = db.session.get(m.FamilyMerge, first.id)
    assert (record.kept_id, record.undone_at) == (c_id, None)
    fm.undo(record, manager)
    assert family("F-B") is not None


def test_undo_puts_back_the_pairs_said_to_be_different_households(app):
    manager = create_user("manager")
    a, b, x = (create_family(ref, family_name="Smith") for ref in ("F-A", "F-B", "F-X"))
    b_id, x_id = b.id, x.id
    fm.not_the_same(b, x, manager)
    said = db.session.scalar(select(m.NotDuplicateFamily))
    decided = (said.low_id, said.high_id, said.decided_at, said.decided_by_id)
    record = fm.merge(a, b, manager)
    assert count(m.NotDuplicateFamily) == 0
    fm.undo(db.session.get(m.FamilyMerge, record.id), manager)
    db.session.expire_all()
    back = db.session.scalar(select(m.NotDuplicateFamily))
    assert (back.low_id, back.high_id, back.decided_at, back.decided_by_id) == decided
    assert {back.low_id, back.high_id} == {b_id, x_id}


def test_the_pair_page_marks_the_members_a_merge_merges_as_people(client, sign_in):
    a = create_family("F-A", family_name="Smith")
    b = create_family("F-B", family_name="Smith")
    for f, suffix in ((a, "A"), (b, "B")):
        create_person(f, f"P-{suffix}1", given_name="Kayleigh", family_name="Smith",
                      born=dt.date(2010, 3, 4), sex="f")
        create_person(f, f"P-{suffix}2", given_name="Jack", family_name="Smith",
                      born=dt.date(2012, 1, 1), sex="m" if suffix == "A" else "f")
    db.session.commit()
    sign_in("manager")
    page = Page(client.get("/matching/family-duplicates/F-A/F-B").text)
    items = [li.text() for li in page.root.by_id("same-people").find_all("li")]
    assert items == ["Kayleigh Smith (P-A1) and Kayleigh Smith (P-B1) Merged with the family",
                     "Jack Smith (P-A2) and Jack Smith (P-B2)"]
    assert page.paragraph("Pairs marked “merged with the family” are certainly one person (the "
                          "same given name, family name and date of birth, and nothing that "
                          "tells them apart): merging the families merges them as people "
                          "too, which undoing puts back. The others become two members of the "
                          "family kept; then compare each pair and merge the people.")
