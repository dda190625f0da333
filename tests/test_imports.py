"""Every import rule of the contract, through the command line and the upload page."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from casework import clock
from casework import models as m
from casework.extensions import db

from .conftest import EXAMPLES, post_form
from .parsed import Page


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_importing_the_examples_creates_every_row_and_again_reports_all_unchanged(cli):
    expected = {"families": 7, "people": 18, "school-terms": 33, "asb": 17, "offences": 8, "work": 9}
    for kind, n in expected.items():
        result = cli("import", kind, EXAMPLES / f"{kind}.csv")
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"{kind}: {n} created, 0 updated, 0 unchanged"
    for kind, n in expected.items():
        result = cli("import", kind, EXAMPLES / f"{kind}.csv")
        assert result.output.strip() == f"{kind}: 0 created, 0 updated, {n} unchanged"
    assert count(m.SchoolTerm) == 33 and count(m.WorkSpell) == 9


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_row(cli, tmp_path):
    path = write(tmp_path, "fam.csv",
                 "family_ref,family_name,identified_on\nA1,Ok,2012-01-01\nA2,Bad,2012-02-30\n")
    result = cli("import", "families", path)
    assert result.exit_code == 1
    assert f"{path}:3: identified_on: '2012-02-30' is not a real date" in result.output
    assert count(m.Family) == 0


def test_every_invalid_row_is_reported_not_only_the_first(cli, tmp_path):
    path = write(tmp_path, "fam.csv", "family_ref,family_name\nbad ref!,X\nA2,\nA3,Fine\n")
    result = cli("import", "families", path)
    assert result.exit_code == 1
    assert f"{path}:2: family_ref:" in result.output
    assert f"{path}:3: family_name: is required" in result.output
    assert count(m.Family) == 0


def test_missing_required_column_is_reported_on_the_header_line(cli, tmp_path):
    path = write(tmp_path, "people.csv", "person_ref,family_ref,given_name\nP1,F1,Sam\n")
    result = cli("import", "people", path)
    assert result.exit_code == 1
    assert f"{path}:1: family_name: required column is missing" in result.output
    assert f"{path}:1: date_of_birth: required column is missing" in result.output


def test_columns_may_come_in_any_order_with_a_byte_order_mark_and_any_case_flags(cli, tmp_path):
    path = write(tmp_path, "fam.csv",
                 "\ufefflocal_discretion_reason,local_discretion,family_name,family_ref\n"
                 "Cost,YES,Jones,F1\n,No,Smith,F2\n")
    assert cli("import", "families", path).exit_code == 0
    f1 = db.session.scalar(select(m.Family).where(m.Family.family_ref == "F1"))
    assert f1.local_discretion is True and f1.local_discretion_reason == "Cost"


def test_local_discretion_needs_a_reason(cli, tmp_path):
    path = write(tmp_path, "fam.csv", "family_ref,family_name,local_discretion\nF1,X,y\n")
    result = cli("import", "families", path)
    assert "fam.csv:2: local_discretion_reason: is required when local_discretion is y" in result.output


@pytest.mark.parametrize(
    "row, column, message",
    [
        ("P1,F1,2012/13,autumn,-1,0", "sessions_possible", "negative"),
        ("P1,F1,2012/13,autumn,10,11", "sessions_unauthorised", "more than sessions_possible"),
        ("P1,F1,2012/13,winter,10,1", "term", "not one of"),
        ("P1,F1,2012/14,autumn,10,1", "academic_year", "not an academic year"),
        ("P1,F1,2012/13,autumn,ten,1", "sessions_possible", "not a whole number"),
    ],
)
def test_school_term_values_out_of_range_are_refused(cli, tmp_path, row, column, message):
    cli("import", "families", write(tmp_path, "f.csv", "family_ref,family_name\nF1,X\n"))
    cli("import", "people", write(tmp_path, "p.csv",
        "person_ref,family_ref,given_name,family_name,date_of_birth\nP1,F1,A,B,2005-01-01\n"))
    header = "person_ref,family,academic_year,term,sessions_possible,sessions_unauthorised\n"
    result = cli("import", "school-terms", write(tmp_path, "t.csv", header + row + "\n"))
    assert result.exit_code == 1
    assert f"t.csv:2: {column}:" in result.output and message in result.output
    assert count(m.SchoolTerm) == 0


def test_date_of_birth_in_the_future_is_refused(cli, tmp_path):
    cli("import", "families", write(tmp_path, "f.csv", "family_ref,family_name\nF1,X\n"))
    tomorrow = clock.today() + dt.timedelta(days=1)
    result = cli("import", "people", write(tmp_path, "p.csv",
        f"person_ref,family_ref,given_name,family_name,date_of_birth\nP1,F1,A,B,{tomorrow}\n"))
    assert result.exit_code == 1 and "p.csv:2: date_of_birth:" in result.output
    assert "in the future" in result.output


def test_work_end_before_start_and_benefit_without_name_are_refused(cli, tmp_path):
    cli("import", "families", write(tmp_path, "f.csv", "family_ref,family_name\nF1,X\n"))
    cli("import", "people", write(tmp_path, "p.csv",
        "person_ref,family_ref,given_name,family_name,date_of_birth\nP1,F1,A,B,1980-01-01\n"))
    result = cli("import", "work", write(tmp_path, "w.csv",
        "work_ref,person_ref,kind,benefit,start_date,end_date\n"
        "W1,P1,employment,,2013-05-01,2013-04-01\nW2,P1,benefit,,2013-01-01,\n"
        "W3,P1,benefit,XYZ,2013-01-01,\n"))
    assert "w.csv:2: end_date:" in result.output
    assert "w.csv:3: benefit: is required when kind is benefit" in result.output
    assert "w.csv:4: benefit: 'XYZ' is not one of" in result.output
    assert count(m.WorkSpell) == 0


def test_unknown_references_are_refused(cli, tmp_path):
    result = cli("import", "people", write(tmp_path, "p.csv",
        "person_ref,family_ref,given_name,family_name,date_of_birth\nP1,NOPE,A,B,1980-01-01\n"))
    assert result.exit_code == 1
    assert "p.csv:2: family_ref: no family with reference NOPE exists" in result.output


def test_asb_needs_person_or_family_and_both_must_agree(cli, tmp_path):
    cli("import", "families", write(tmp_path, "f.csv", "family_ref,family_name\nF1,X\nF2,Y\n"))
    cli("import", "people", write(tmp_path, "p.csv",
        "person_ref,family_ref,given_name,family_name,date_of_birth\nP1,F1,A,B,1980-01-01\n"))
    result = cli("import", "asb", write(tmp_path, "a.csv",
        "asb_ref,person_ref,family_ref,date,kind\nA1,,,2013-01-01,incident\n"
        "A2,P1,F2,2013-01-01,incident\nA3,P1,F1,2013-01-01,incident\n"))
    assert "a.csv:2: person_ref: give person_ref or family_ref" in result.output
    assert "a.csv:3: family_ref: P1 belongs to family F1, not F2" in result.output
    assert count(m.AsbRecord) == 0


def test_a_duplicate_key_within_the_file_is_refused(cli, tmp_path):
    result = cli("import", "families", write(tmp_path, "f.csv",
        "family_ref,family_name\nF1,X\nF2,Y\nF1,Z\n"))
    assert result.exit_code == 1
    assert "f.csv:4: family_ref: F1 is already on line 2" in result.output


def test_school_terms_are_keyed_by_person_year_and_term(cli, tmp_path):
    cli("import", "families", write(tmp_path, "f.csv", "family_ref,family_name\nF1,X\n"))
    cli("import", "people", write(tmp_path, "p.csv",
        "person_ref,family_ref,given_name,family_name,date_of_birth\nP1,F1,A,B,2005-01-01\n"))
    header = "person_ref,academic_year,term,sessions_possible,sessions_unauthorised\n"
    result = cli("import", "school-terms", write(tmp_path, "t.csv",
        header + "P1,2012/13,autumn,100,1\nP1,2012/13,spring,100,1\nP1,2012/13,autumn,90,1\n"))
    assert "t.csv:4: person_ref: P1/2012/13/autumn is already on line 2" in result.output
    ok = cli("import", "school-terms", write(tmp_path, "t2.csv",
        header + "P1,2012/13,autumn,100,1\nP1,2012/13,spring,100,1\n"))
    assert ok.output.strip() == "school-terms: 2 created, 0 updated, 0 unchanged"
    again = cli("import", "school-terms", write(tmp_path, "t3.csv",
        header + "P1,2012/13,autumn,100,5\nP1,2012/13,spring,100,1\n"))
    assert again.output.strip() == "school-terms: 0 created, 1 updated, 1 unchanged"


def test_a_changed_row_updates_the_record_and_keeps_the_change_in_history(cli, tmp_path):
    cli("import", "families", write(tmp_path, "f.csv", "family_ref,family_name,ward\nF1,X,Fant\n"))
    result = cli("import", "families", write(tmp_path, "f2.csv",
        "family_ref,family_name,ward\nF1,X,Bridge\n"))
    assert result.output.strip() == "families: 0 created, 1 updated, 0 unchanged"
    family = db.session.scalar(select(m.Family))
    assert family.ward == "Bridge"
    history = db.session.scalars(select(m.RecordHistory)).all()
    assert [(h.record_ref, h.before, h.after) for h in history] == [
        ("F1", {"ward": "Fant"}, {"ward": "Bridge"})
    ]


def test_importing_never_deletes(cli, tmp_path):
    cli("import", "families", write(tmp_path, "f.csv", "family_ref,family_name\nF1,X\nF2,Y\n"))
    result = cli("import", "families", write(tmp_path, "f2.csv", "family_ref,family_name\nF2,Y\n"))
    assert result.output.strip() == "families: 0 created, 0 updated, 1 unchanged"
    assert count(m.Family) == 2


def test_a_binary_file_is_one_clear_error(cli, tmp_path):
    result = cli("import", "families", write(tmp_path, "f.csv", b"\x89PNG\r\n\x1a\n\x00\x00"))
    assert result.exit_code == 1
    assert result.output.strip() == f"{tmp_path}/f.csv:1: file: is not a CSV text file (it has binary content)"


def test_a_file_that_is_not_utf8_is_one_clear_error(cli, tmp_path):
    path = write(tmp_path, "f.csv", "family_ref,family_name\nF1,Bront\u00eb\n", encoding="latin-1")
    result = cli("import", "families", path)
    assert result.exit_code == 1
    assert "f.csv:2: file: is not UTF-8 text" in result.output
    assert "Traceback" not in result.output


def test_an_empty_file_and_a_missing_file_are_refused(cli, tmp_path):
    assert "the file is empty" in cli("import", "families", write(tmp_path, "e.csv", "")).output
    missing = cli("import", "families", tmp_path / "nope.csv")
    assert missing.exit_code == 1 and "cannot read the file" in missing.output


def test_an_unknown_kind_is_wrong_usage(cli, tmp_path):
    assert cli("import", "pets", write(tmp_path, "f.csv", "a\n")).exit_code == 2


def test_blank_lines_are_skipped_and_line_numbers_stay_physical(cli, tmp_path):
    path = write(tmp_path, "f.csv", "family_ref,family_name\n\nF1,X\n\nF2,\n")
    result = cli("import", "families", path)
    assert "f.csv:5: family_name: is required" in result.output


def test_short_and_long_rows_are_named_and_blank_cells_leave_columns_empty(cli, tmp_path):
    header = "family_ref,family_name,ward,postcode\n"
    bad = cli("import", "families", write(tmp_path, "f.csv",
        header + "F1,X\nF2,Y,Fant,AB1 2CD\nF3,Z,Fant,AB1,extra\n"))
    assert bad.exit_code == 1
    assert bad.output.strip().splitlines() == [
        f"{tmp_path}/f.csv:2: row: has 2 values but the header has 4 columns",
        f"{tmp_path}/f.csv:4: row: has 5 values but the header has 4 columns"]
    ok = cli("import", "families", write(tmp_path, "g.csv", header + "F1,X,,\nF2,Y,Fant,AB1 2CD\n"))
    assert ok.output.strip() == "families: 2 created, 0 updated, 0 unchanged"
    wards = dict(db.session.execute(select(m.Family.family_ref, m.Family.ward)).all())
    assert wards == {"F1": None, "F2": "Fant"}


def test_one_file_may_create_some_records_and_update_others(cli, tmp_path):
    cli("import", "families", write(tmp_path, "f.csv", "family_ref,family_name\nF1,X\nF2,Y\n"))
    result = cli("import", "families", write(tmp_path, "g.csv",
        "family_ref,family_name,local_discretion,local_discretion_reason\n"
        "F3,New,y,Known to police\nF1,X,,\nF2,Renamed,n,\n"))
    assert result.output.strip() == "families: 1 created, 1 updated, 1 unchanged"
    rows = db.session.execute(select(m.Family.family_ref, m.Family.family_name,
                                     m.Family.local_discretion).order_by(m.Family.family_ref))
    assert [tuple(r) for r in rows] == [("F1", "X", False), ("F2", "Renamed", False),
                                        ("F3", "New", True)]


@pytest.mark.parametrize("cell", ["\tTab", "Nbsp\u00a0", '" Quoted "', "Vtab\x0b", "Plain"])
def test_cells_lose_surrounding_white_space_of_every_kind(cli, tmp_path, cell):
    result = cli("import", "families", write(tmp_path, "f.csv", f"family_ref,family_name\nF1,{cell}\n"))
    assert result.exit_code == 0, result.output
    name = db.session.scalar(select(m.Family.family_name))
    assert name == cell.strip('"').strip() and name.strip() == name


def test_upload_page_shows_errors_in_an_error_summary_and_writes_nothing(client, sign_in):
    import io

    sign_in("manager")
    bad = b"family_ref,family_name\nF1,X\nF2,\n"
    response = post_form(client, "/imports/", {"kind": "families",
                         "file": (io.BytesIO(bad), "families.csv")},
                         content_type="multipart/form-data")
    assert Page(response.text).errors == ["families.csv:3: family_name: is required"]
    assert response.text.count("<title>Error:") == 1
    assert count(m.Family) == 0
    good = b"family_ref,family_name\nF1,X\nF2,Y\n"
    response = post_form(client, "/imports/", {"kind": "families",
                         "file": (io.BytesIO(good), "families.csv")},
                         content_type="multipart/form-data")
    assert Page(response.text).banners == ["families: 2 created, 0 updated, 0 unchanged"]
    assert count(m.Family) == 2


@pytest.mark.parametrize("role", ["worker", "team_lead", "auditor"])
def test_only_managers_and_admins_may_upload(client, sign_in, role):
    sign_in(role)
    assert client.get("/imports/").status_code == 403


def test_the_column_wise_read_gives_what_the_row_by_row_read_gives(app):
    """A valid file is read a column at a time for speed; any problem sends it to the
    row-by-row read that names every problem. Both must read a valid file alike."""
    from casework.importer import service
    from casework.importer.kinds import KINDS

    kind = KINDS["school-terms"]
    header = ("person_ref,academic_year,term,sessions_possible,sessions_unauthorised,"
              "fixed_exclusions,permanent_exclusion,alternative_provision,on_roll\n")
    text = (header + "P1,2012/13,Autumn,120, 7,,y,,n\n\n ,,\nP1,2012/13,spring,100,0,3,n,n,\n"
            "P2,2011/12,summer,90,90,0,,y,y\n")
    with app.app_context():
        family = m.Family(family_ref="F1", family_name="Test")
        db.session.add(family)
        db.session.flush()
        db.session.add_all(m.Person(person_ref=ref, family_id=family.id, given_name="A",
                                    family_name="Test", date_of_birth=dt.date(2000, 1, 1))
                           for ref in ("P1", "P2"))
        db.session.flush()
        fast = service._read_columns(kind, text, "f.csv", None)
        slow, _ = service._read_rows(kind, text, "f.csv", None)
        assert fast == slow
        assert fast.keys == [("P1", "2012/13", "autumn"), ("P1", "2012/13", "spring"),
                             ("P2", "2011/12", "summer")]
        assert fast.columns["on_roll"] == [False, True, True]
        assert fast.columns["fixed_exclusions"] == [0, 3, 0]
        assert fast.columns["permanent_exclusion"] == [True, False, False]
        assert fast.columns["sessions_unauthorised"] == [7, 0, 90]
        # Anything the column-wise read cannot be sure of goes row by row.
        for problem in ("P2,2011/12,summer,1,0,0,n,n,y\n",  # a second key
                        "P2,2011/12,autumn,1,2,0,n,n,y\n",  # more missed than possible
                        "P2,2011/12,autumn,1,0,0,n,n\n",  # a short row
                        '"P2\nP3",2011/12,autumn,1,0,0,n,n,y\n',  # a newline in a reference
                        "P2,2011/12,autumn,+1,0,0,n,n,y\n",  # a number with a sign
                        "P2,2011/12,autumn,1,0,0,maybe,n,y\n"):
            assert service._read_columns(kind, text + problem, "f.csv", None) is None
