"""The stored evaluation: written by the same rules, kept current after imports and edits."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from casework import clock
from casework import models as m
from casework.evaluation import store
from casework.extensions import db

from .conftest import EXAMPLES, post_form
from .parsed import Page

D = dt.date(2013, 9, 30)


def stored(ref: str) -> m.StoredEvaluation:
    return db.session.scalar(select(m.StoredEvaluation).join(m.Family).where(
        m.Family.family_ref == ref))


def test_a_full_refresh_stores_what_evaluate_prints_for_every_family(cli, examples):
    examples()
    store.refresh(as_of=D)
    expected = json.loads((EXAMPLES / "expected-2013-09-30.json").read_text())
    for family in expected:
        row = stored(family["family_ref"])
        ident = family["identification"]
        assert row.as_of == D and row.ruleset == "phase1"
        assert (row.crime_asb, row.education, row.work, row.local_discretion, row.eligible) == (
            ident["crime_asb"], ident["education"], ident["work"], ident["local_discretion"],
            ident["eligible"])
        assert {r: getattr(row, f"result_{r}") for r in family["results"]} == family["results"]
        claimable = {c["result"]: c["amount"] for c in family["claimable"]}
        assert row.claimable_crime_asb_education == claimable.get("crime_asb_education", 0)
        assert row.claimable_continuous_employment == claimable.get("continuous_employment", 0)
        assert row.claimable_progress_to_work == claimable.get("progress_to_work", 0)
        # "Still claimable" is what a build makes: of both turn-around results, the first.
        # (employment alone, or crime/ASB/education and progress to work).
        builds = claimable.get("continuous_employment") or (
            claimable.get("crime_asb_education", 0) + claimable.get("progress_to_work", 0))
        assert row.claimable_total == builds
    run = store.current_run()
    assert run.as_of == D and run.families == len(expected)


def test_evaluate_store_prints_the_same_json_and_writes_the_rows(cli, examples):
    examples()
    result = cli("evaluate", "--as-of", "2013-09-30", "--store")
    assert result.exit_code == 0, result.output
    expected = json.loads((EXAMPLES / "expected-2013-09-30.json").read_text())
    assert json.loads(result.output) == expected  # the JSON alone, as without --store
    assert store.current_run().as_of == D
    assert stored("E03").claimable_total == 800  # the employment claim a build makes


def test_evaluate_store_without_a_date_holds_for_today(cli, examples):
    examples()
    assert cli("evaluate", "--store").exit_code == 0
    assert store.current_run().as_of == clock.today()
    assert cli("evaluate").exit_code == 2  # without --store the date is still required


def test_an_import_re_evaluates_only_the_families_whose_evidence_changed(cli, examples, tmp_path):
    examples()
    store.refresh(as_of=D)
    before = {r.family_id: r.evaluated_at for r in db.session.scalars(select(m.StoredEvaluation))}
    e01 = stored("E01")
    assert e01.result_asb == "met"
    # Two more ASB incidents for E01 in the recent window: its ASB result is no longer met.
    people = (EXAMPLES / "asb.csv").read_text().splitlines()
    header = people[0].split(",")
    person = db.session.scalar(select(m.Person.person_ref).where(m.Person.family_id == e01.family_id))
    row = {"asb_ref": "", "person_ref": person, "family_ref": "", "date": "2013-09-01",
           "kind": "incident"}
    lines = [",".join(header)] + [",".join({**row, "asb_ref": f"NEW{i}"}.get(c, "") for c in header)
                                  for i in range(2)]
    changed = tmp_path / "asb.csv"
    changed.write_text("\n".join(lines) + "\n")
    result = cli("import", "asb", changed)
    assert result.exit_code == 0, result.output
    assert result.output == "asb: 2 created, 0 updated, 0 unchanged\n"  # the contract's one line
    db.session.expire_all()
    after = {r.family_id: r.evaluated_at for r in db.session.scalars(select(m.StoredEvaluation))}
    assert [fid for fid in after if after[fid] != before[fid]] == [e01.family_id]
    assert stored("E01").result_asb == "not_met"
    assert store.pending_count() == 0
    assert store.current_run().as_of == D  # the stored date stays where it was


def test_an_import_that_changes_nothing_re_evaluates_nothing(cli, examples):
    examples()
    store.refresh(as_of=D)
    before = {r.family_id: r.evaluated_at for r in db.session.scalars(select(m.StoredEvaluation))}
    result = cli("import", "families", EXAMPLES / "families.csv")
    assert result.exit_code == 0
    db.session.expire_all()
    assert before == {r.family_id: r.evaluated_at
                      for r in db.session.scalars(select(m.StoredEvaluation))}


def test_editing_a_family_re_evaluates_it_at_once(app, client, sign_in, examples):
    examples()
    store.refresh(as_of=D)
    sign_in("manager")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    assert stored("E01").local_discretion is False
    page = client.get("/families/E01/edit").text
    assert Page(page).field("version").attrs["value"] == str(family.version)  # the edit form's lock
    form = {"family_name": family.family_name, "address": family.address or "",
            "postcode": family.postcode or "", "ward": family.ward or "",
            "local_discretion": "y", "local_discretion_reason": "Child protection plan",
            "version": str(family.version)}
    for name, day in (("identified_on", family.identified_on), ("attached_on", family.attached_on)):
        if day:
            form |= {f"{name}-day": day.day, f"{name}-month": day.month, f"{name}-year": day.year}
    response = post_form(client, "/families/E01/edit", form)
    assert response.status_code == 302, response.text
    db.session.expire_all()
    assert stored("E01").local_discretion is True
    assert store.current_run().as_of == D
    assert store.pending_count() == 0


def test_some_families_are_refreshed_only_at_the_stored_date(examples):
    examples()
    store.refresh(as_of=D)
    family_id = stored("E01").family_id
    try:
        store.refresh([family_id], as_of=D + dt.timedelta(days=1))
    except ValueError as refused:
        assert "holds for 2013-09-30" in str(refused)
    else:
        raise AssertionError("a refresh of some families at another date was allowed")


def test_the_first_import_stores_every_family_as_of_today(cli):
    assert store.current_run() is None
    result = cli("import", "families", EXAMPLES / "families.csv")
    assert result.exit_code == 0, result.output
    run = store.current_run()
    assert run.as_of == clock.today()
    assert run.families == db.session.query(m.Family).count() == 7


def test_building_claims_leaves_nothing_claimable_for_those_families(cli, examples):
    examples()
    store.refresh(as_of=D)
    assert stored("E03").claimable_total == 800  # the employment claim a build makes
    result = cli("claims", "build", "--as-of", "2013-09-30")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert stored("E03").claimable_total == 0
    assert db.session.query(m.StoredEvaluation).filter(
        m.StoredEvaluation.claimable_total > 0).count() == 0


@pytest.fixture(params=["here", "in workers"])
def refresh_way(request, monkeypatch):
    """A refresh as a few families' runs (in this process, its search documents written
    before it) and as national scale's (a batch a family here: the batches evaluated by
    worker processes while a thread writes the documents)."""
    if request.param == "in workers":
        monkeypatch.setattr(store, "BATCH", 1)
    return request.param


def test_a_full_refresh_writes_again_the_search_documents_of_changed_families_only(
        examples, refresh_way):
    from casework import search

    examples()
    store.refresh(as_of=D)
    documents = dict(db.session.execute(select(m.FamilySearch.family_id,
                                               m.FamilySearch.document)).all())
    assert len(documents) == db.session.query(m.Family).count()
    person = db.session.scalar(select(m.Person).order_by(m.Person.id).limit(1))
    person.given_name = "Zebedee"  # an ORM edit queues the family (store's flush listener)
    untouched = db.session.scalar(select(m.Family).where(m.Family.id != person.family_id)
                                  .order_by(m.Family.id).limit(1))
    db.session.execute(m.FamilySearch.__table__.update()
                       .where(m.FamilySearch.family_id == untouched.id)
                       .values(document="left as it was"))
    db.session.execute(m.FamilySearch.__table__.delete()
                       .where(m.FamilySearch.family_id == untouched.id + 1))
    db.session.commit()
    store.refresh(as_of=D + dt.timedelta(days=1))
    found = db.session.scalars(search.matching("zebedee")).all()
    assert found == [person.family_id]
    after = dict(db.session.execute(select(m.FamilySearch.family_id,
                                           m.FamilySearch.document)).all())
    assert after[untouched.id] == "left as it was"  # not queued: not written again
    assert after[untouched.id + 1] == documents[untouched.id + 1]  # had none: written


def test_a_refresh_stopped_before_it_writes_leaves_its_families_to_evaluate_again(
        examples, refresh_way, monkeypatch):
    """The search documents are committed before the rows: a refresh that stops between the
    two leaves its families marked stale, so the next refresh evaluates them (and writes
    their documents again), and the stored rows are as before."""
    from casework import search

    examples()
    store.refresh(as_of=D)
    person = db.session.scalar(select(m.Person).order_by(m.Person.id).limit(1))
    person.given_name = "Zebedee"
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(m.StoredEvaluation))
    written = store._write

    def stopped(*args, **kwargs):
        raise RuntimeError("the refresh stops here")

    monkeypatch.setattr(store, "_write", stopped)
    with pytest.raises(RuntimeError):
        store.refresh(as_of=D + dt.timedelta(days=1))
    db.session.rollback()
    assert db.session.scalars(search.matching("zebedee")).all() == [person.family_id]
    assert store.pending_count() == 1
    assert db.session.scalar(select(func.count()).select_from(m.StoredEvaluation)) == before
    monkeypatch.setattr(store, "_write", written)
    assert store.refresh(as_of=D + dt.timedelta(days=1)).families == before
    assert store.pending_count() == 0
    assert store.current_run().as_of == D + dt.timedelta(days=1)
    assert db.session.scalars(search.matching("zebedee")).all() == [person.family_id]


def test_a_refresh_whose_search_documents_cannot_be_written_stores_nothing_and_says_why(
        examples, refresh_way, monkeypatch):
    """The documents' error (written on a thread of their own when the families are
    evaluated on other cores) is the refresh's: nothing stored, the families still queued."""
    from casework import search

    examples()
    store.refresh(as_of=D)
    person = db.session.scalar(select(m.Person).order_by(m.Person.id).limit(1))
    person.given_name = "Zebedee"
    db.session.commit()

    def broken(family_ids):
        raise RuntimeError("the search documents could not be written")

    monkeypatch.setattr(search, "rewrite", broken)
    with pytest.raises(RuntimeError, match="search documents could not be written"):
        store.refresh(as_of=D + dt.timedelta(days=1))
    db.session.rollback()
    assert store.current_run().as_of == D
    assert store.pending_count() == 1
    assert db.session.scalars(search.matching("zebedee")).all() == []


def test_re_evaluating_families_whose_results_come_out_the_same_writes_none_of_their_rows(
        examples):
    """Refreshing queued families keeps the stored row of each whose results are the same
    (when it was worked out too), and the figures' version stays, so no summary is counted
    again; a family whose evidence changed gets its new row."""
    from casework import cache_version

    examples()
    store.refresh(as_of=D)
    rows = {r.family_id: r.evaluated_at for r in db.session.scalars(select(m.StoredEvaluation))}
    version = cache_version.current()
    store.mark_stale(rows)  # every family, with nothing about any of them changed
    db.session.commit()
    summary = store.refresh_pending()
    assert summary.families == len(rows) and store.pending_count() == 0
    db.session.expire_all()
    assert {r.family_id: r.evaluated_at
            for r in db.session.scalars(select(m.StoredEvaluation))} == rows
    assert cache_version.current() == version
    # E01's ASB is met; two more incidents in the recent window and it is not.
    e01 = stored("E01")
    assert e01.result_asb == "met"
    person = db.session.scalar(select(m.Person).where(m.Person.family_id == e01.family_id))
    for i in range(2):
        db.session.add(m.AsbRecord(asb_ref=f"SAME{i}", person_id=person.id,
                                   date=dt.date(2013, 9, 1), kind="incident"))
    db.session.commit()
    store.mark_stale(rows)
    db.session.commit()
    store.refresh_pending()
    db.session.expire_all()
    after = {r.family_id: r.evaluated_at for r in db.session.scalars(select(m.StoredEvaluation))}
    assert [fid for fid in after if after[fid] != rows[fid]] == [e01.family_id]
    assert stored("E01").result_asb == "not_met"
    assert cache_version.current() != version
    assert store.current_run().families == len(rows)


def test_an_import_with_refresh_later_commits_the_rows_and_leaves_the_evaluation_to_a_job(
        cli, examples, tmp_path, run_jobs, client, sign_in):
    """`casework import ... --refresh-later`: the contract's line on standard output, the rows
    saved, the changed family queued and the refresh job started (its number on standard
    error); the stored row changes only when the job has run, and until then the summary
    pages say, beside the figures' date, that the family is waiting."""
    examples()
    store.refresh(as_of=D)
    e01 = stored("E01")
    assert e01.result_asb == "met"
    person = db.session.scalar(select(m.Person.person_ref)
                               .where(m.Person.family_id == e01.family_id))
    changed = tmp_path / "asb.csv"
    changed.write_text("asb_ref,person_ref,family_ref,date,kind\n" + "".join(
        f"LATER{i},{person},,2013-09-01,incident\n" for i in range(2)))
    result = cli("import", "asb", changed, "--refresh-later")
    assert result.exit_code == 0, result.output
    assert result.stdout == "asb: 2 created, 0 updated, 0 unchanged\n"
    job = db.session.scalar(select(m.Job).where(m.Job.kind == store.REFRESH_KIND))
    assert job.state == "queued" and job.params == {"everything": False}
    assert result.stderr == ("1 changed family is waiting to be evaluated: refresh job "
                             f"{job.id} (casework worker runs it)\n")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(m.AsbRecord).where(
        m.AsbRecord.asb_ref.like("LATER%"))) == 2
    assert store.pending_count() == 1 and stored("E01").result_asb == "met"
    sign_in("manager")
    hold = "Figures as of 30 September 2013: every family evaluated on"
    said = Page(client.get("/results").text).main.find("p", cls="app-figures-hold").text()
    assert said.startswith(hold) and (
        "1 changed family is waiting to be evaluated again: until then the figures count it "
        "as before the change.") in said
    assert run_jobs() == 1
    said = Page(client.get("/results").text).main.find("p", cls="app-figures-hold").text()
    assert said.startswith(hold) and "waiting" not in said
    assert stored("E01").result_asb == "not_met" and store.pending_count() == 0
    assert db.session.get(m.Job, job.id).state == "done"
    # Nothing changed, nothing waiting: no job and nothing on standard error.
    again = cli("import", "asb", changed, "--refresh-later")
    assert again.exit_code == 0 and again.stderr == ""
    assert again.stdout == "asb: 0 created, 0 updated, 2 unchanged\n"
    assert db.session.scalar(select(func.count()).select_from(m.Job)) == 1
