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


def _upload(client, url, kind, body: bytes, name="families.csv"):
    return post_form(client, url, {"kind": kind, "file": (io.BytesIO(body), name)},
                     content_type="multipart/form-data")


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_has_a_page_listing_its_columns_and_marking_the_required(client, sign_in, kind):
    sign_in("manager")
    page = client.get(f"/imports/{kind}").text
    for column in KINDS[kind].columns:
        assert f"<code>{column.name}</code>" in page
    assert page.count("Required") >= sum(c.required for c in KINDS[kind].columns)
    assert f"/imports/{kind}/example.csv" in page


def test_the_example_files_import_cleanly_in_order(client, sign_in):
    sign_in("manager")
    for kind in KINDS:
        example = client.get(f"/imports/{kind}/example.csv")
        assert example.mimetype == "text/csv"
        assert example.text.splitlines()[0] == ",".join(KINDS[kind].column_names)
        done = _upload(client, f"/imports/{kind}", kind, example.data, f"example-{kind}.csv")
        assert done.status_code == 200 and f"{kind}: 1 created" in done.text or f"{kind}: 2 created" in done.text


def test_the_history_says_who_imported_which_file_when_and_what_it_did(client, sign_in):
    user = sign_in("manager", name="Mo Manager")
    _upload(client, "/imports/families", "families", b"family_ref,family_name\nF1,X\nF2,Y\n", "june.csv")
    _upload(client, "/imports/families", "families", b"family_ref,family_name\nF3,\n", "july.csv")
    runs = db.session.scalars(select(m.ImportRun).order_by(m.ImportRun.id)).all()
    assert [(r.file_name, r.status, r.created, r.user_id) for r in runs] == [
        ("june.csv", "imported", 2, user.id), ("july.csv", "refused", 0, user.id)]
    page = client.get("/imports/families").text
    assert "june.csv" in page and "july.csv" in page and "Mo Manager" in page
    assert "2 created, 0 updated, 0 unchanged" in page
    assert "/imports/families" in client.get("/imports/").text


def test_every_problem_of_a_refused_file_downloads_as_csv_not_only_the_first_fifty(client, sign_in):
    sign_in("manager")
    body = "family_ref,family_name\n" + "".join(f"F{i},\n" for i in range(400))
    page = _upload(client, "/imports/families", "families", body.encode(), "big.csv")
    assert "400 problems found, the first 50 shown" in page.text
    run = db.session.scalars(select(m.ImportRun)).one()
    assert f"/imports/runs/{run.id}/errors.csv" in page.text
    download = client.get(f"/imports/runs/{run.id}/errors.csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["file", "line", "column", "message"]
    assert len(rows) == 401 and rows[1] == ["big.csv", "2", "family_name", "is required"]
    assert rows[-1] == ["big.csv", "401", "family_name", "is required"]


def test_an_unknown_kind_has_no_page(client, sign_in):
    sign_in("manager")
    assert client.get("/imports/pets").status_code == 404
    assert client.get("/imports/pets/example.csv").status_code == 404
