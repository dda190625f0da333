"""The review page: a manager sees each candidate beside the row with the match weights,
and accepts or rejects; others may not see it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from .conftest import post_form
from .matching_data import load_register
from .parsed import Page

ASB = """asb_ref,given_name,family_name,date_of_birth,postcode,sex,date,kind
A3,Jack,Taylor,2012-02-02,ME14 1AA,m,2013-03-05,incident
"""


@pytest.fixture
def waiting(app, cli, tmp_path):
    load_register()
    path = tmp_path / "asb.csv"
    path.write_text(ASB)
    assert "1 for review" in cli("import", "asb", path, "--match").output
    return db.session.scalar(select(m.MatchReview))


@pytest.mark.parametrize("role", ["worker", "team_lead", "auditor", "admin"])
def test_only_programme_managers_see_the_review_queue(client, sign_in, waiting, role):
    sign_in(role)
    assert client.get("/matching/reviews").status_code == 403
    assert client.get(f"/matching/reviews/{waiting.id}").status_code == 403


def test_the_queue_lists_the_waiting_row_and_the_page_shows_both_candidates_and_weights(
        client, sign_in, waiting):
    sign_in("manager")
    queue = client.get("/matching/reviews")
    assert queue.status_code == 200
    assert Page(queue.text).table().cell("asb A3", "Describes") == (
        "Jack Taylor, born 2 February 2012")
    page = client.get(f"/matching/reviews/{waiting.id}")
    assert page.status_code == 200
    read = Page(page.text)
    side_by_side = read.table("The person the row describes")
    assert side_by_side.headers[2:] == ["P-JACK1", "P-JACK2"]
    assert "Why P-JACK1: the match weights" in read.headings
    weights = read.table("Match weights for P-JACK1")
    assert weights.cell("Date of birth", "What the model saw") == "Same date of birth"
    assert weights.cell("Prior", "What the model saw") == "Starting match weight (prior)"
    assert side_by_side.row("Family") == {"": "Family", "The row says": "",
                                          "P-JACK1": "FT1 Taylor", "P-JACK2": "FT2 Taylor"}
    event = db.session.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "view",
                                                         m.AuditEvent.object_type == "match_review"))
    assert event.object_ref == str(waiting.id)


def test_accepting_on_the_page_imports_the_row_and_records_who_and_which_model(
        client, sign_in, waiting):
    manager = sign_in("manager")
    jack2 = next(c["person_id"] for c in waiting.candidates if c["person_ref"] == "P-JACK2")
    url = f"/matching/reviews/{waiting.id}"
    response = post_form(client, url, {"person": str(jack2)})
    assert response.status_code == 302
    db.session.expire_all()  # the request saved in its own session
    record = db.session.scalar(select(m.AsbRecord).where(m.AsbRecord.asb_ref == "A3"))
    assert record.person_id == jack2
    review = db.session.get(m.MatchReview, waiting.id)
    assert (review.status, review.decided_by_id) == ("accepted", manager.id)
    page = client.get(url)
    decided = Page(page.text).summary
    assert decided["Decision"] == "Accepted: P-JACK2 Jack Taylor"
    assert decided["Matching model"].startswith("Version ")
    assert Page(page.text).field("person") is None  # decided: no form to decide again


def test_rejecting_on_the_page_imports_nothing(client, sign_in, waiting):
    sign_in("manager")
    response = post_form(client, f"/matching/reviews/{waiting.id}", {"person": "none"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(m.AsbRecord)) is None
    assert db.session.get(m.MatchReview, waiting.id).status == "rejected"
    queue = Page(client.get("/matching/reviews").text)
    assert not queue.tables and any(p.text().startswith("No rows are waiting")
                                    for p in queue.main.find_all("p"))


def test_saving_without_choosing_says_what_to_do(client, sign_in, waiting):
    sign_in("manager")
    page = post_form(client, f"/matching/reviews/{waiting.id}", {})
    assert page.status_code == 200
    assert Page(page.text).errors == ["Select the person this row is about, or none of them"]
    assert db.session.get(m.MatchReview, waiting.id).status == "waiting"


def test_an_unknown_review_is_not_found(client, sign_in, app):
    sign_in("manager")
    assert client.get("/matching/reviews/999").status_code == 404


def test_the_upload_page_matches_when_asked_and_links_to_the_rows_waiting_for_review(client, sign_in, app):
    import io

    load_register()
    sign_in("manager")
    data = (ASB + "A4,Zebedee,Quux,1999-01-01,TN1 1AA,m,2013-04-05,incident\n"
            "A1,Kayleigh,Smith-Jones,2010-03-04,ME15 7AB,f,2013-01-05,incident\n").encode()
    page = post_form(client, "/imports/", {"kind": "asb", "match": "y",
                                           "file": (io.BytesIO(data), "asb.csv")},
                     content_type="multipart/form-data")
    assert page.status_code == 200, page.text
    [banner] = Page(page.text).banners
    assert banner.startswith("asb: 1 created, 0 updated, 0 unchanged, 1 linked, 1 for review, "
                             "1 unmatched Not matched to anyone, so not imported: line 3.")
    assert "/matching/reviews" in Page(page.text).links.values()
    record = db.session.scalar(select(m.AsbRecord).where(m.AsbRecord.asb_ref == "A1"))
    assert record.person.person_ref == "P-KAY"
    # The history counts what the importer did, written in its transaction.
    run = db.session.scalars(select(m.ImportRun)).one()
    assert (run.kind, run.file_name, run.status, run.created) == ("asb", "asb.csv", "imported", 1)


def test_the_queue_shows_fifty_rows_a_page(client, sign_in, waiting):
    import datetime as dt

    for n in range(50):
        db.session.add(m.MatchReview(
            kind="asb", record_key=f"B{n:02d}", filename="asb.csv", line=n + 2, row={},
            given_name="Jack", family_name="Taylor", date_of_birth=dt.date(2012, 2, 2),
            identity_key=f"key{n}", candidates=waiting.candidates, model_id=waiting.model_id))
    db.session.commit()
    sign_in("manager")
    first = client.get("/matching/reviews")
    table = Page(first.text).table()
    assert table.caption.startswith("51 rows waiting, page 1 of 2") and "asb B48" in table.column("Row")
    second = client.get("/matching/reviews?page=2")
    assert Page(second.text).table().column("Row") == ["asb B49"] and "asb A3" not in second.text


def test_an_accepted_row_is_in_its_familys_stored_evaluation_when_the_request_ends(
        client, sign_in, waiting):
    from casework.evaluation import store

    store.refresh()  # every family stored; the row waiting is nobody's evidence yet
    jack2 = next(c["person_id"] for c in waiting.candidates if c["person_ref"] == "P-JACK2")
    family_id = db.session.get(m.Person, jack2).family_id
    # A mark the refresh can only remove by evaluating the family again: it rewrites only the
    # rows that come out different, and accepting this row changes none of the results.
    db.session.get(m.StoredEvaluation, (family_id, "phase1")).nearly_there = "not evaluated since"
    db.session.commit()
    sign_in("manager")
    post_form(client, f"/matching/reviews/{waiting.id}", {"person": str(jack2)})
    db.session.expire_all()
    assert store.pending_count() == 0
    assert db.session.get(m.StoredEvaluation, (family_id, "phase1")).nearly_there != (
        "not evaluated since")


def test_a_large_upload_to_match_is_matched_and_imported_by_a_job_not_in_the_request(
        client, sign_in, app, run_jobs, caplog):
    import io

    load_register()
    app.config["IMPORT_JOB_BYTES"] = 100
    sign_in("manager")
    data = (ASB + "A4,Zebedee,Quux,1999-01-01,TN1 1AA,m,2013-04-05,incident\n"
            "A1,Kayleigh,Smith-Jones,2010-03-04,ME15 7AB,f,2013-01-05,incident\n").encode()
    response = post_form(client, "/imports/", {"kind": "asb", "match": "y",
                                               "file": (io.BytesIO(data), "asb.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    assert db.session.scalars(select(m.AsbRecord)).all() == []  # nothing done in the request
    assert run_jobs() == 1
    job = db.session.scalars(select(m.Job)).one()
    assert (job.state, job.summary, job.error) == (
        "done", "asb: 1 created, 0 updated, 0 unchanged, 1 linked, 1 for review, 1 unmatched. "
        "Not matched to anyone, so not imported: line 3", None)
    record = db.session.scalar(select(m.AsbRecord).where(m.AsbRecord.asb_ref == "A1"))
    assert record.person.person_ref == "P-KAY"
    assert db.session.scalars(select(m.MatchReview.record_key)).all() == ["A3"]
    run = db.session.scalars(select(m.ImportRun)).one()
    assert (run.file_name, run.status, run.created) == ("asb.csv", "imported", 1)
    # Its progress never waited for the write lock its own work held (10 s each time).
    assert "progress not recorded" not in caplog.text


class _Versions(HTMLParser):
    """The versions page read as a person reads it: each h2 heading, and each table's body
    rows (the row heading, then its cells), in order."""

    def __init__(self, html: str):
        super().__init__()
        self.headings: list[str] = []
        self.tables: list[dict[str, list[str]]] = []
        self.check: list[str] = []
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._in_tbody = self._in_dd = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "th", "td", "dd"):
            self._text = []
        if tag == "dd":
            self._in_dd = True
        if tag == "tbody":
            self._in_tbody = True
            self.tables.append({})
        if tag == "tr" and self._in_tbody:
            self._row = []

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag in ("h2", "th", "td", "dd") and self._text is not None:
            text = " ".join("".join(self._text).split())
            self._text = None
            if tag == "h2":
                self.headings.append(text)
            elif tag == "dd":
                self.check.append(text)
            elif self._row is not None:
                self._row.append(text)
        if tag == "tr" and self._row:
            self.tables[-1][self._row[0]] = self._row[1:]
            self._row = None
        if tag == "tbody":
            self._in_tbody = False


@pytest.mark.parametrize("role", ["worker", "team_lead", "auditor", "admin"])
def test_only_programme_managers_see_the_model_versions(client, sign_in, role):
    sign_in(role)
    assert client.get("/matching/models").status_code == 403


def test_the_model_versions_page_shows_a_trained_version_beside_the_one_in_use(
        app, client, sign_in):
    from casework.matching import service

    with app.app_context():
        first = service.model_for_use(store=True)
        refused = m.MatchModel(
            source="trained on asb.csv (400 rows)", register_size=2006, model=first.model,
            status="refused",
            check={"compared_with": first.id, "decided_rows": 25, "file_rows": 400,
                   "decided_in_use": {"right": 20, "wrong": 0, "review": 5, "missed": 0},
                   "decided_new": {"right": 18, "wrong": 1, "review": 6, "missed": 0},
                   "file_in_use": {"linked": 316, "review": 4, "unmatched": 80},
                   "file_new": {"linked": 316, "review": 17, "unmatched": 67},
                   "verdict": "on the 25 rows already decided, version 1 in use 20 right and 0 "
                              "wrong, the new version 18 right and 1 wrong: worse, kept out of use",
                   "worse": True})
        db.session.add(refused)
        db.session.commit()
        refused_id, first_id = refused.id, first.id
    sign_in("manager")
    page = _Versions(client.get("/matching/models").text)
    assert page.headings == [f"Version {refused_id} Refused", f"Version {first_id} In use"]
    assert len(page.tables) == 1  # version 1, the starting model, was never checked
    rows = page.tables[0]
    assert rows["Rows already decided (25): linked to the person chosen"] == ["20", "18"]
    assert rows["Rows already decided: linked to someone else"] == ["0", "1"]
    assert rows["Training file: sent to review"] == ["4", "17"]
    assert page.check[2] == ("On the 25 rows already decided, version 1 in use 20 right and "
                             "0 wrong, the new version 18 right and 1 wrong: worse, kept out "
                             "of use")
    event = db.session.scalar(select(m.AuditEvent).where(
        m.AuditEvent.object_type == "match_models"))
    assert event.action == "view_list"
