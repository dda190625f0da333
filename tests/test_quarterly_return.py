"""The quarterly return: per quarter and programme, from the dashboard's figure definitions
(casework/evaluation/figures.py), so that the two agree; as CSV and in the Board report."""

from __future__ import annotations

import csv
import datetime as dt
import io

from pypdf import PdfReader
from sqlalchemy import select

from casework import models as m
from casework.caseloads.service import allocate, close
from casework.evaluation import figures, store
from casework.extensions import db

from .conftest import login, post_form
from .factories import create_family, create_user

D = dt.date(2013, 9, 30)  # the end of 2013/14 Q2


def _world(cli, examples):
    examples()
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    families = {f.family_ref: f for f in db.session.scalars(select(m.Family))}
    allocate(families["E01"], worker, dt.date(2012, 7, 16), lead)
    allocate(families["E05"], worker, dt.date(2013, 6, 3), lead)
    close(families["E01"], dt.date(2013, 7, 1), lead, "Turned around", "turned_around")
    # Identified on the first day of 2013/14 Q1, and on the day before it (2012/13 Q4).
    create_family("Q-ON", identified_on=dt.date(2013, 4, 1))
    create_family("Q-BEFORE", identified_on=dt.date(2013, 3, 31))
    db.session.commit()
    assert cli("claims", "build", "--as-of", "2013-09-30").exit_code == 0
    store.refresh(as_of=D)


def _return(cli, *args) -> list[dict]:
    result = cli("export", "quarterly-return", *args)
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_the_quarters_add_up_to_the_dashboards_figures(cli, examples, app):
    _world(cli, examples)
    rows = _return(cli, "--to", "2013-Q2")
    assert rows[0]["quarter"] == "2012-Q1" and rows[-1]["quarter"] == "2013-Q2"
    assert {r["programme"] for r in rows} == {"phase1"}
    sc = figures.scope(None, families=select(m.Family), as_of=D)
    counts, claims = figures.family_counts(sc), figures.claim_totals(sc)
    total = lambda column: sum(int(r[column]) for r in rows)  # noqa: E731
    assert total("identified") == counts["identified"]
    assert total("eligible") == counts["eligible"]
    assert total("signed_up") == counts["attached"]
    assert total("claims_made") == claims["claimed"]["claims"]
    assert total("claims_made_pounds") == claims["claimed"]["amount"]
    assert total("claims_validated") == claims["validated"]["claims"]
    assert total("claims_submitted") == claims["submitted"]["claims"]
    by_quarter = {r["quarter"]: r for r in rows}
    # The day a quarter starts is in it; the day before, in the one before.
    assert by_quarter["2013-Q1"]["identified"] == "2"  # E05 (20 May) and Q-ON (1 April)
    assert by_quarter["2012-Q4"]["identified"] == "1"  # Q-BEFORE (31 March)
    assert by_quarter["2013-Q1"]["first_day"] == "2013-04-01"
    assert by_quarter["2013-Q1"]["last_day"] == "2013-06-30"
    # E01 closed on 1 July 2013 (2013-Q2), turned around; E05's worker holds it at each end.
    assert by_quarter["2013-Q2"]["closed"] == "1"
    assert by_quarter["2013-Q2"]["closed_turned_around"] == "1"
    assert by_quarter["2013-Q1"]["closed"] == "0"
    assert by_quarter["2013-Q1"]["with_worker_at_end"] == "2"  # E01 and E05 on 30 June
    assert by_quarter["2013-Q2"]["with_worker_at_end"] == "1"  # E05 only
    only = _return(cli, "--from", "2013-Q2", "--to", "2013-Q2")
    assert only == [by_quarter["2013-Q2"]]


def test_a_quarter_not_named_properly_is_refused(cli):
    result = cli("export", "quarterly-return", "--from", "2013-5")
    assert result.exit_code == 1 and "is not a quarter such as 2013-Q1" in result.output


def test_the_board_report_has_the_returns_table(client, cli, examples, run_jobs):
    _world(cli, examples)
    manager = create_user("manager")
    login(client, manager.email)
    started = post_form(client, "/programme/board-report", {"quarter": "2013-Q2"})
    assert run_jobs() == 1
    pdf = client.get(started.headers["Location"] + "/result")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
                    .split())
    row = _return(cli, "--from", "2013-Q2", "--to", "2013-Q2")[0]
    assert "The quarterly return" in text
    assert f"Episodes closed {row['closed']}" in text
    assert f"closed: Outcomes met: turned around {row['closed_turned_around']}" in text
    assert f"Families signed up {row['signed_up']}" in text
    assert f"Claims made (not rejected) {row['claims_made']}" in text


def test_each_programme_has_its_row_and_its_own_identification(cli, app):
    # A family signed up under phase1, closed, and signed up again under phase2 in 2015-Q1.
    family = create_family("P2", identified_on=dt.date(2012, 5, 1),
                           attached_on=dt.date(2012, 6, 1))
    family.closed_on = dt.date(2015, 3, 1)
    db.session.commit()
    from casework.episodes import follow_family_dates

    follow_family_dates([family.id], "test", None)
    family.closed_on, family.attached_on = None, dt.date(2015, 5, 1)
    follow_family_dates([family.id], "test", None)
    db.session.commit()
    episodes = db.session.scalars(select(m.Episode).order_by(m.Episode.signed_up_on)).all()
    assert [(e.programme, e.signed_up_on) for e in episodes] == [
        ("phase1", dt.date(2012, 6, 1)), ("phase2", dt.date(2015, 5, 1))]
    rows = {r["programme"]: r for r in _return(cli, "--from", "2015-Q1", "--to", "2015-Q1")}
    assert sorted(rows) == ["phase1", "phase2"]
    # Signed up is the dashboard's "attached" (eligible and signed up) for each programme.
    def attached(programme, day):
        sc = figures.scope(None, families=select(m.Family), as_of=day, programme=programme)
        return figures.family_counts(sc, ("attached",))["attached"]

    for programme in ("phase1", "phase2"):
        assert rows[programme]["signed_up"] == str(
            attached(programme, dt.date(2015, 6, 30)) - attached(programme, dt.date(2015, 3, 31)))
    # Each programme's identification is its own (its families, under its own rules): the
    # family, identified in 2012, was identified in neither programme in 2015's first quarter.
    assert rows["phase2"]["identified"] == "0" and rows["phase1"]["identified"] == "0"
    before = {r["programme"]: r for r in _return(cli, "--from", "2014-Q4", "--to", "2014-Q4")}
    assert before["phase1"]["closed"] == "1"  # closed 1 March 2015: 2014/15 Q4
    assert sorted(before) == ["phase1"]
