"""The families list and the family page."""

import datetime as dt

import pytest
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.extensions import db

from .factories import create_family, create_person, create_user
from .parsed import Page


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok"


def test_login_page_is_a_govuk_page_with_csrf(client):
    page = client.get("/login")
    assert page.status_code == 200
    read = Page(page.text)
    assert read.field("csrf_token") is not None and read.field("email") is not None
    assert any(link.attrs.get("href", "").endswith("govuk-frontend.min.css")
               for link in read.root.find_all("link", rel="stylesheet"))
    assert "Troubled Families casework" in read.title


def _listing(html: str) -> tuple[str, list[str]]:
    """The families list as a user reads it: the count line above the table, and the
    Reference column of the Families table ([] when there is no table)."""
    page = Page(html)
    count = page.main.find("p", **{"aria-live": "polite"}).text()
    tables = [t for t in page.tables if t.caption == "Families"]
    return count, (tables[0].column("Reference") if tables else [])


def test_managers_see_every_family_and_can_search_by_name_ref_and_postcode(client, sign_in, examples):
    examples()
    sign_in("manager")
    page = client.get("/families")
    assert _listing(page.text) == ("Showing 1 to 7 of 7 families",
                                   ["E01", "E02", "E03", "E04", "E05", "E06", "E07"])
    assert "E07" in _listing(client.get("/families?q=brown").text)[1]
    assert _listing(client.get("/families?q=e03").text) == ("Showing 1 to 1 of 1 family", ["E03"])
    assert _listing(client.get("/families?q=ME156JQ").text)[0].endswith(" of 7 families")
    assert sorted(_listing(client.get("/families?ward=Fant").text)[1]) == ["E03", "E06"]


def test_search_finds_a_family_by_a_member_name(client, sign_in, examples):
    examples()
    sign_in("manager")
    page = client.get("/families?q=drew evans")
    assert _listing(page.text) == ("Showing 1 to 1 of 1 family", ["E07"])


def test_families_list_is_paginated(client, sign_in, app):
    for i in range(30):
        create_family(f"G{i:03d}")
    sign_in("manager")
    first = _listing(client.get("/families").text)
    assert first == ("Showing 1 to 25 of 30 families", [f"G{i:03d}" for i in range(25)])
    second = _listing(client.get("/families?page=2").text)
    assert second == ("Showing 26 to 30 of 30 families", [f"G{i:03d}" for i in range(25, 30)])


def test_family_page_shows_members_with_age_today_and_every_kind_of_evidence(client, sign_in, examples):
    examples()
    sign_in("manager")
    page = client.get("/families/E01")
    assert page.status_code == 200
    born = dt.date(1996, 10, 1)
    today = clock.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    read = Page(page.text)
    assert read.table("Family members").cell("Casey Roberts", "Age today") == str(age)
    cells = {cell for table in read.tables for row in table.body for cell in row}
    for ref in ("A00007", "O00005", "W00004"):  # each kind of evidence, in its table
        assert ref in cells
    assert "Summer 2012/13" in cells


@pytest.mark.parametrize("role", ["worker", "team_lead"])
def test_workers_and_team_leads_see_no_family_without_a_caseload(client, sign_in, role):
    family = create_family("H1")
    create_person(family)
    sign_in(role)
    assert _listing(client.get("/families").text) == ("No families found", [])
    assert client.get("/families/H1").status_code == 404


def test_an_unknown_family_is_404(client, sign_in):
    sign_in("manager")
    assert client.get("/families/NOPE").status_code == 404


def test_the_tests_run_on_the_database_backend_requested(app):
    import os

    from casework.extensions import db

    expected = {"sqlite": "sqlite", "postgresql": "postgresql"}[os.environ.get("CASEWORK_TEST_DB", "sqlite")]
    assert db.engine.dialect.name == expected


def test_postgresql_connections_plan_for_data_in_memory(app):
    from sqlalchemy import text

    from casework.extensions import db

    if db.engine.dialect.name != "postgresql":
        return  # the setting is PostgreSQL's own; SQLite has its pragmas (tested with backups)
    assert db.session.execute(text("SHOW random_page_cost")).scalar() == "1.1"
    db.session.rollback()
    db.engine.dispose()  # a new connection, after a rollback, has it too
    assert db.session.execute(text("SHOW random_page_cost")).scalar() == "1.1"


def test_the_family_page_evaluates_the_records_it_shows_as_batch_evaluation_reads_them(app, examples):
    """The family page builds the rules' evidence from the records it has just read; it must
    be the evidence load_families reads for the same family, record for record."""
    import dataclasses

    from casework.evaluation.service import load_families
    from casework.families.service import family_data, family_records

    examples()
    extra = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    db.session.add(m.AsbRecord(asb_ref="FAM-ONLY", family_id=extra.id, date=dt.date(2013, 1, 2),
                               kind="incident"))
    db.session.commit()
    families = db.session.scalars(select(m.Family)).all()
    loaded = load_families([f.id for f in families])
    for family in families:
        shown, batch = family_data(family_records(family)), loaded[family.id]
        for field in dataclasses.fields(batch):
            a, b = getattr(shown, field.name), getattr(batch, field.name)
            if isinstance(a, tuple):
                a, b = sorted(a, key=repr), sorted(b, key=repr)
            assert a == b, (family.family_ref, field.name)
    assert any(a.ref == "FAM-ONLY" and a.person_ref is None for a in loaded[extra.id].asb)


def test_a_search_is_ranked_and_counted_only_up_to_its_limit(client, sign_in, app, monkeypatch):
    """A search lists the best matches first: the reference itself, then family names that
    begin with the words, then by reference. One matching more families than
    SEARCH_COUNT_LIMIT counts only that many, says "more than", and lists those."""
    from casework import search
    from casework.families import service

    from .parsed import parse

    for i in range(8):
        create_family(f"S{i:03d}", family_name="Adams-Smith" if i < 6 else "Smith")
    create_family("SMITH", family_name="Brown")
    create_family("Z001", family_name="Jones")
    db.session.commit()
    search.rewrite()
    db.session.commit()
    sign_in("manager")

    def read(url):
        html = client.get(url).text
        page = parse(html)
        rows = [row[1] for row in page.find("table").table()[1:]]
        return page, rows, _listing(html)[0]  # the line that counts what the search found

    page, rows, count = read("/families?q=smith")
    assert rows == ["SMITH", "S006", "S007", "S000", "S001", "S002", "S003", "S004", "S005"]
    assert count == "Showing 1 to 9 of 9 families" and page.by_id("search-more") is None
    # Any case; three letters are looked up in the index, two read without it. Neither is
    # a reference: the family names that begin with them first.
    names_first = ["S006", "S007", "S000", "S001", "S002", "S003", "S004", "S005", "SMITH"]
    assert read("/families?q=SMI")[1] == names_first
    assert read("/families?q=sm")[1] == names_first
    # At the limit exactly: counted, not "more than"; one over: "more than".
    monkeypatch.setattr(service, "SEARCH_COUNT_LIMIT", 9)
    page, rows, count = read("/families?q=smith")
    assert count == "Showing 1 to 9 of 9 families" and page.by_id("search-more") is None
    monkeypatch.setattr(service, "SEARCH_COUNT_LIMIT", 8)
    page, rows, count = read("/families?q=smith")
    assert count == "Showing 1 to 8 of more than 8 families"
    assert page.by_id("search-more").text().startswith(
        "More than 8 families match, so they were not all counted: the first 8 found are listed")
    assert len(rows) == 8 and len(set(rows)) == 8 and set(rows) < {"SMITH", *[f"S{i:03d}" for i in range(8)]}
    # A team's worker finds only the families they may see, however many others match.
    worker = create_user("worker")
    from casework.caseloads.service import allocate

    lead = create_user("team_lead")
    allocate(db.session.scalar(select(m.Family).where(m.Family.family_ref == "S007")), worker,
             dt.date(2013, 1, 1), lead)
    db.session.commit()
    found = service.search_families(worker, "smith")
    assert [f.family_ref for f in found.items] == ["S007"] and found.total == 1 and not found.more


def test_the_families_list_is_counted_once_until_the_data_changes(client, sign_in, app):
    from sqlalchemy import event

    for i in range(3):
        create_family(f"K{i:03d}")
    db.session.commit()
    sign_in("manager")
    counts = []

    def seen(conn, cursor, statement, *args):
        if "count(*)" in statement.lower():
            counts.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert _listing(client.get("/families").text)[0].endswith(" of 3 families")
        assert _listing(client.get("/families?page=2").text)[0].endswith(
            " of 3 families")  # the last page
        assert len(counts) == 1
        create_family("K003")
        db.session.commit()
        assert _listing(client.get("/families").text)[0].endswith(" of 4 families")
        assert len(counts) == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
