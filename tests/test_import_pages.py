"""The imports pages: a page per kind with its columns and an example file, the history of
imports, and every problem of a refused file downloadable as CSV."""

import csv
import io

import pytest
from sqlalchemy import select

from casework import models as m
from casework.extensions import db
from casework.importer.kinds import KINDS

from .conftest import post_form
from .parsed import Page


def _upload(client, url, kind, body: bytes, name="families.csv"):
    return post_form(client, url, {"kind": kind, "file": (io.BytesIO(body), name)},
                     content_type="multipart/form-data")


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_has_a_page_listing_its_columns_and_marking_the_required(client, sign_in, kind):
    sign_in("manager")
    page = Page(client.get(f"/imports/{kind}").text)
    columns = page.summary_list()  # column name -> what it holds, "Required." first if it is
    assert list(columns) == [column.name for column in KINDS[kind].columns]
    assert [name for name, says in columns.items() if says.startswith("Required.")] == [
        column.name for column in KINDS[kind].columns if column.required]
    assert f"/imports/{kind}/example.csv" in page.links.values()


def test_the_example_files_import_cleanly_in_order(client, sign_in):
    sign_in("manager")
    for kind in KINDS:
        example = client.get(f"/imports/{kind}/example.csv")
        assert example.mimetype == "text/csv"
        assert example.text.splitlines()[0] == ",".join(KINDS[kind].column_names)
        done = _upload(client, f"/imports/{kind}", kind, example.data, f"example-{kind}.csv")
        assert done.status_code == 200
        assert Page(done.text).banners[0].startswith((f"{kind}: 1 created", f"{kind}: 2 created"))


def test_the_history_says_who_imported_which_file_when_and_what_it_did(client, sign_in):
    user = sign_in("manager", name="Mo Manager")
    _upload(client, "/imports/families", "families", b"family_ref,family_name\nF1,X\nF2,Y\n", "june.csv")
    _upload(client, "/imports/families", "families", b"family_ref,family_name\nF3,\n", "july.csv")
    runs = db.session.scalars(select(m.ImportRun).order_by(m.ImportRun.id)).all()
    assert [(r.file_name, r.status, r.created, r.user_id) for r in runs] == [
        ("june.csv", "imported", 2, user.id), ("july.csv", "refused", 0, user.id)]
    history = Page(client.get("/imports/families").text).table("The latest files imported")
    assert history.column("File") == ["july.csv", "june.csv"]  # the latest first
    assert history.column("Who") == ["Mo Manager", "Mo Manager"]
    assert history.row("june.csv")["What it did"] == "2 created, 0 updated, 0 unchanged"
    assert history.row("july.csv")["What it did"].startswith("Not imported 1 problem")
    assert Page(client.get("/imports/").text).links["Families"] == "/imports/families"


def test_every_problem_of_a_refused_file_downloads_as_csv_not_only_the_first_fifty(client, sign_in):
    sign_in("manager")
    body = "family_ref,family_name\n" + "".join(f"F{i},\n" for i in range(400))
    page = Page(_upload(client, "/imports/families", "families", body.encode(), "big.csv").text)
    assert page.headings[0] == "The file was not imported: fix these rows and upload it again"
    assert "400 problems found, the first 50 shown." in page.main.find(cls="govuk-error-summary").text()
    assert len(page.errors) == 50 and page.errors[0] == "big.csv:2: family_name: is required"
    run = db.session.scalars(select(m.ImportRun)).one()
    assert page.links["Download every problem (400 rows, CSV)"] == f"/imports/runs/{run.id}/errors.csv"
    download = client.get(f"/imports/runs/{run.id}/errors.csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["file", "line", "column", "message"]
    assert len(rows) == 401 and rows[1] == ["big.csv", "2", "family_name", "is required"]
    assert rows[-1] == ["big.csv", "401", "family_name", "is required"]


def test_an_unknown_kind_has_no_page(client, sign_in):
    sign_in("manager")
    assert client.get("/imports/pets").status_code == 404
    assert client.get("/imports/pets/example.csv").status_code == 404
