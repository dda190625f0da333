"""Every time kept for the record in UTC (a job's, a change's, an audit row's, the figures',
a claim's) is shown in England's time, Europe/London: one helper, `clock.local_time` (the
`local_time` filter), with boundary tests on the last Sunday of March (clocks go forward at
01:00 UTC) and of October (back at 01:00 UTC)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.extensions import db
from casework.queue import start

from .factories import create_user
from .parsed import Page

T = dt.datetime


@pytest.mark.parametrize("utc, shown", [
    # The last Sunday of March 2026, 29 March: GMT until 01:00 UTC, then BST (UTC+1).
    (T(2026, 3, 28, 12, 0), "28 March 2026 at 12:00"),       # the day before: GMT
    (T(2026, 3, 29, 0, 59), "29 March 2026 at 00:59"),       # a minute before the change
    (T(2026, 3, 29, 1, 0), "29 March 2026 at 02:00"),        # on it: 01:00 is never read
    (T(2026, 3, 30, 12, 0), "30 March 2026 at 13:00"),       # the day after: BST
    # Summer: 23:30 UTC is half past midnight the next day in England.
    (T(2026, 6, 30, 23, 30), "1 July 2026 at 00:30"),
    # The last Sunday of October 2026, 25 October: BST until 01:00 UTC, then GMT.
    (T(2026, 10, 24, 12, 0), "24 October 2026 at 13:00"),    # the day before: BST
    (T(2026, 10, 25, 0, 59), "25 October 2026 at 01:59"),    # a minute before: BST
    (T(2026, 10, 25, 1, 0), "25 October 2026 at 01:00"),     # on it: GMT, 01:00 again
    (T(2026, 10, 26, 12, 0), "26 October 2026 at 12:00"),    # the day after: GMT
    # Winter: the same as UTC.
    (T(2026, 12, 7, 6, 26), "7 December 2026 at 06:26"),
])
def test_a_utc_timestamp_is_shown_in_englands_time(utc, shown):
    assert clock.local_time(utc) == shown
    assert clock.local_time(utc.replace(tzinfo=dt.UTC)) == shown


def test_no_time_is_shown_as_nothing():
    assert clock.local_time(None) == "" and clock.local(None) is None


def _job(user, created: T, finished: T | None = None) -> m.Job:
    job = start("claims_build", "Build draft claims", user, params={"as_of": "2013-09-30"})
    job.created_at, job.finished_at = created, finished
    if finished:
        job.state = "done"
    db.session.commit()
    return job


def test_the_job_pages_show_when_a_job_was_asked_for_and_finished_in_bst(client, sign_in):
    manager = sign_in("manager")
    job = _job(manager, T(2026, 7, 1, 13, 30), T(2026, 7, 1, 23, 5))
    listed = Page(client.get("/jobs/").text).table("Jobs")
    assert listed.row("Build draft claims")["Asked for"] == "1 July 2026 at 14:30"
    assert "UTC" not in " ".join(listed.headers)
    shown = Page(client.get(f"/jobs/{job.id}").text)
    assert shown.summary["Asked for"] == "1 July 2026 at 14:30"
    assert shown.summary["Finished"] == "2 July 2026 at 00:05"
    assert "UTC" not in shown.main.text()


def test_the_family_pages_history_and_viewers_are_in_englands_time(client, sign_in, examples):
    examples()
    worker = create_user("worker")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    db.session.add(m.RecordHistory(record_type="families", record_ref="E01", family_ref="E01",
                                   before={"family_name": "Jones"}, after={"family_name": "Jones-Smith"},
                                   changed_at=T(2026, 3, 29, 1, 15), changed_by_id=worker.id,
                                   source="edited"))
    db.session.add(m.AuditEvent(at=T(2026, 10, 25, 0, 30), user_id=worker.id,
                                user_email=worker.email, action="view", object_type="family",
                                object_ref="E01"))
    db.session.commit()
    assert family is not None
    sign_in("manager")
    page = Page(client.get("/families/E01").text)
    history = page.table("Changes to these records")
    assert "29 March 2026 at 02:15" in history.column("When")
    viewers = page.table("Recent views of this family's records")
    assert "25 October 2026 at 01:30" in viewers.column("When")


def test_the_audit_log_is_in_englands_time(client, sign_in):
    admin = sign_in("admin")
    db.session.add(m.AuditEvent(at=T(2026, 3, 30, 9, 0), user_id=admin.id, user_email=admin.email,
                                action="export", object_type="claims", object_ref="X1"))
    db.session.commit()
    page = Page(client.get("/admin/audit", query_string={
        "from": "2026-03-30", "to": "2026-03-30", "action": "export"}).text)
    assert page.table("Audit entries").column("When") == ["30 March 2026 at 10:00"]


def test_the_audit_logs_days_are_englands_days(client, sign_in):
    """00:30 on 30 March 2026 in England (BST) is 23:30 UTC on the 29th: a search of the
    30th finds it, a search of the 29th does not."""
    admin = sign_in("admin")
    db.session.add(m.AuditEvent(at=T(2026, 3, 29, 23, 30), user_id=admin.id,
                                user_email=admin.email, action="export", object_type="claims",
                                object_ref="X2"))
    db.session.commit()

    def found(day):
        return Page(client.get("/admin/audit", query_string={
            "from": day, "to": day, "action": "export"}).text).table("Audit entries").column("When")

    assert found("2026-03-30") == ["30 March 2026 at 00:30"]
    assert found("2026-03-29") == []


def _sar_family(examples) -> m.Family:
    """E01 with a change kept in BST and one in GMT, a goal recorded in BST and a contact
    typed in England in summer."""
    examples()
    worker = create_user("worker")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    db.session.add_all([
        m.RecordHistory(record_type="families", record_ref="E01", family_ref="E01",
                        before={"family_name": "Jones"}, after={"family_name": "Jones-Smith"},
                        changed_at=T(2026, 7, 1, 13, 30), changed_by_id=worker.id,
                        source="edited"),
        m.RecordHistory(record_type="families", record_ref="E01", family_ref="E01",
                        before={"family_name": "Jones-Smith"}, after={"family_name": "Smith"},
                        changed_at=T(2026, 12, 1, 13, 30), changed_by_id=worker.id,
                        source="edited"),
        m.PlanGoal(family_id=family.id, problem="education", goal="At school every day",
                   created_at=T(2026, 6, 30, 23, 30)),
        m.Contact(family_id=family.id, author_id=worker.id, contact_at=T(2026, 7, 1, 14, 30),
                  kind="home_visit", status="final", notes="Visited"),
    ])
    db.session.commit()
    return family


def test_the_subject_access_export_gives_englands_time_in_bst_and_gmt(client, sign_in,
                                                                      examples):
    """The JSON export says each time with England's offset: a change kept at 13:30 UTC on
    1 July reads 14:30+01:00 (BST), on 1 December 13:30+00:00 (GMT); a goal recorded at 23:30
    UTC on 30 June was recorded on 1 July in England; a contact typed as 14:30 in July is
    14:30 BST, not moved."""
    import json

    _sar_family(examples)
    sign_in("manager")
    data = json.loads(client.get("/families/E01/export.json").data)
    changed = sorted(h["changed_at"] for h in data["history"]
                     if h["record_type"] == "families" and h["source"] == "edited")
    assert changed == ["2026-07-01 14:30:00+01:00", "2026-12-01 13:30:00+00:00"]
    assert [g["created_at"] for g in data["plan_goals"]] == ["2026-07-01 00:30:00+01:00"]
    assert [c["contact_at"] for c in data["contacts"]] == ["2026-07-01 14:30:00+01:00"]


def test_the_subject_access_pdf_gives_englands_time_in_bst_and_gmt(app, examples, tmp_path):
    import subprocess

    from casework.families.subject_access import family_subject_access_pdf_file

    _sar_family(examples)
    manager = create_user("manager")
    with app.test_request_context():
        name, pdf = family_subject_access_pdf_file(manager, "E01")
    (tmp_path / name).write_bytes(pdf)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / name), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    assert "Changed at 1 July 2026 at 14:30" in text        # BST: 13:30 UTC
    assert "Changed at 1 December 2026 at 13:30" in text    # GMT: as kept
    assert "Recorded at 1 July 2026 at 00:30" in text       # 23:30 UTC on 30 June
    assert "When 1 July 2026 at 14:30" in text              # the contact, as typed
    assert "13:30 UTC" not in text and "at 12:30" not in text


def test_the_command_line_prints_englands_time(cli):
    """`casework match models` and `casework api-tokens list` print England's time: BST in
    summer (an hour on, past midnight into the next day), GMT in winter (as kept)."""
    db.session.add_all([
        m.MatchModel(trained_at=T(2026, 3, 29, 1, 0), source="summer", register_size=10,
                     model={}),
        m.MatchModel(trained_at=T(2026, 10, 25, 1, 0), source="winter", register_size=10,
                     model={}),
        m.ApiToken(token_hash="0" * 64, prefix="cw_abcd", system_name="Partner",
                   system_role="manager", expires_at=T(2027, 1, 5, 9, 0),
                   last_used_at=T(2026, 7, 1, 23, 30)),
    ])
    db.session.commit()
    models = {line.split()[-1]: line for line in cli("match", "models").output.splitlines()}
    assert "2026-03-29 02:00" in models["summer"]   # 01:00 UTC, the first minute of BST
    assert "2026-10-25 01:00" in models["winter"]   # 01:00 UTC, the first minute of GMT again
    [token] = cli("api-tokens", "list").output.splitlines()
    assert "expires 2027-01-05 09:00" in token      # GMT
    assert token.endswith("2026-07-02 00:30")       # 23:30 UTC on 1 July: BST, the next day
