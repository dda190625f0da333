"""A family whose rules raise does not stop the refresh of every other family: it is not
stored (its row stays as it was), stays marked to be evaluated again, and the refresh's
summary, the refresh job's page and `casework evaluate --store` name it and the error."""

import datetime as dt

import pytest
from sqlalchemy import select

from casework import models as m
from casework.evaluation import store
from casework.extensions import db

from .factories import create_family
from .raising import raise_for

DAY = dt.date(2013, 9, 30)


@pytest.fixture
def families(app):
    made = [create_family(f"R{n}", identified_on=dt.date(2013, 1, n)) for n in (1, 2, 3)]
    store.refresh(as_of=DAY)
    return made


def _broken_for(monkeypatch, family):
    raise_for(monkeypatch, store, "_evaluated", family.id,
              ValueError("a date the rules cannot read"))


def _stored():
    db.session.expire_all()
    E = m.StoredEvaluation
    return dict(db.session.execute(select(E.family_id, E.evaluated_at)
                                   .where(E.ruleset == "phase1")).all())


def _stale():
    return set(db.session.scalars(select(m.StaleFamily.family_id)))


def test_a_full_refresh_stores_every_other_family_and_keeps_the_failing_ones_row(
        families, monkeypatch, cli):
    before = _stored()
    _broken_for(monkeypatch, families[1])
    summary = store.refresh(as_of=DAY)
    after = _stored()
    assert set(after) == {f.id for f in families}
    assert after[families[1].id] == before[families[1].id]  # as it was
    assert all(after[f.id] > before[f.id] for f in (families[0], families[2]))
    assert summary.failed == {"R2 (phase1)": "ValueError: a date the rules cannot read"}
    assert _stale() == {families[1].id}
    assert ("1 family could not be evaluated and is stored as before, to be tried again at "
            "the next refresh: R2 (phase1): ValueError: a date the rules cannot read"
            ) in summary.line()
    result = cli("evaluate", "--store", "--as-of", DAY.isoformat())
    assert result.exit_code == 0
    assert "R2 (phase1): ValueError: a date the rules cannot read" in result.stderr


def test_a_refresh_of_some_families_carries_on_past_one_that_fails(families, monkeypatch,
                                                                    run_jobs):
    store.mark_stale([f.id for f in families])
    db.session.commit()
    _broken_for(monkeypatch, families[0])
    job = store.start_refresh(None, everything=False)
    db.session.commit()
    assert run_jobs() == 1
    db.session.refresh(job)
    assert job.state == "done"
    assert "R1 (phase1): ValueError: a date the rules cannot read" in job.summary
    assert _stale() == {families[0].id}

    monkeypatch.undo()  # put right: the next refresh stores it
    assert store.refresh_pending().failed == {}
    assert _stale() == set()


def _printed_refs(result):
    import json

    return [item["family_ref"] for item in json.loads(result.stdout)]


def test_evaluate_without_store_prints_every_other_family_and_names_the_failing_one(
        families, monkeypatch, cli):
    from casework.evaluation import service

    raise_for(monkeypatch, service, "_evaluated", families[1].id,
              ValueError("a date the rules cannot read"))
    result = cli("evaluate", "--as-of", DAY.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.output
    assert _printed_refs(result) == ["R1", "R3"]
    assert result.stderr.strip() == (
        "1 family could not be evaluated and is left out: "
        "R2 (phase1): ValueError: a date the rules cannot read")
    # As a table too: the rest printed, no traceback.
    table = cli("evaluate", "--as-of", DAY.isoformat(), "--format", "table")
    assert table.exit_code == 0
    assert "Traceback" not in table.output
    lines = table.stdout.splitlines()
    assert any(line.startswith("R1") for line in lines)
    assert not any(line.startswith("R2") for line in lines)


def test_evaluate_under_a_later_programme_carries_on_past_one_that_fails(
        families, monkeypatch, cli):
    from casework.evaluation import later

    raise_for(monkeypatch, later, "evaluated", families[0].id, KeyError("need"))
    result = cli("evaluate", "--as-of", DAY.isoformat(), "--ruleset", "supporting_families",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert _printed_refs(result) == ["R2", "R3"]
    assert "R1 (supporting_families): KeyError: 'need'" in result.stderr
    assert "is left out" in result.stderr


def test_evaluate_leaves_out_a_family_whose_json_cannot_be_made(families, monkeypatch, cli):
    from casework.evaluation import parallel

    raise_for(monkeypatch, parallel, "to_json", families[2].id, TypeError("not serialisable"))
    result = cli("evaluate", "--as-of", DAY.isoformat(), "--format", "json")
    assert result.exit_code == 0, result.output
    assert _printed_refs(result) == ["R1", "R2"]
    assert "R3 (phase1): TypeError: not serialisable" in result.stderr
