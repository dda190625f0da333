"""What the Standard Safeguarding Dataset asks of a person that casework now holds: gender,
ethnicity, NHS number, unique pupil number, expected date of birth, date of death. From the
people file (optional columns), the person's edit page, the family page and subject access."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from casework import models as m
from casework.extensions import db
from casework.rules import identifiers

from .conftest import post_form
from .factories import create_family, create_person
from .htmltables import table
from .parsed import Page

# A valid NHS number (the NHS's own example of the check digit) and a valid UPN (the DfE
# algorithm's worked example as used by python-stdnum's tests).
NHS, UPN = "9434765919", "B801200005001"


@pytest.mark.parametrize("value", ["9434765919", "943 476 5919", "4010232137", "1000000060"])
def test_nhs_numbers_with_the_right_check_digit_are_accepted(value):
    assert identifiers.nhs_number(value) == value.replace(" ", "")


@pytest.mark.parametrize("value, problem", [
    ("9434765918", "check digit is wrong"),   # one off
    ("943476591", "use 10 digits"),           # too short
    ("94347659190", "use 10 digits"),
    ("94347A5919", "use 10 digits"),
    ("0000000060", "check digit is wrong"),   # first nine give 11 - 1 = 10: never issued
])
def test_nhs_numbers_are_refused_naming_the_problem(value, problem):
    with pytest.raises(ValueError, match=problem):
        identifiers.nhs_number(value)


def test_the_nhs_check_digit_is_modulus_11_and_ten_means_none():
    assert identifiers.nhs_check_digit("943476591") == 9
    assert identifiers.nhs_check_digit("000000000") == 0   # 11 - 0 = 11 reads as 0
    assert identifiers.nhs_check_digit("000000006") is None  # 2 * 6 = 12: 11 - 1 = 10


def test_upns_carry_their_check_letter():
    assert identifiers.upn(UPN) == UPN
    assert identifiers.upn(UPN.lower()) == UPN
    assert identifiers.upn_check_letter("801200005001") == "B"
    # A temporary UPN ends in a letter, which counts by its place in the 23 letters.
    temporary = identifiers.upn_check_letter("80120000100A") + "80120000100A"
    assert identifiers.upn(temporary) == temporary
    with pytest.raises(ValueError, match="check letter is wrong"):
        identifiers.upn("A801200005001")
    for bad in ("B80120000500", "B8012000050011", "I801200005001", "B80120000500S"):
        with pytest.raises(ValueError, match="13 characters"):
            identifiers.upn(bad)


NHS_CASES = ["9434765919", "943 476 5919", "4010232137", "1000000060", "9434765918",
             "943476591", "94347659190", "94347A5919", "0000000060", "0000000000",
             "９４３４７６５９１９", "", " 9434765919"]
UPN_CASES = [UPN, UPN.lower(), f" {UPN} ", "A801200005001", "B80120000500",
             "B8012000050011", "I801200005001", "B80120000500S",
             identifiers.upn_check_letter("80120000100A") + "80120000100A",
             identifiers.upn_check_letter("80120000100Z") + "80120000100z", "ß80120000500", ""]


@pytest.mark.parametrize("one, column, cases", [
    (identifiers.nhs_number, identifiers.nhs_numbers, NHS_CASES),
    (identifiers.upn, identifiers.upns, UPN_CASES),
])
def test_a_whole_column_is_checked_as_each_value_is(one, column, cases):
    """The importer's column forms accept exactly the values the one-value forms accept,
    made canonical the same way, and refuse a column holding any other."""
    def single(value):
        try:
            return one(value)
        except ValueError:
            return None

    for value in cases:
        expected = single(value)
        if expected is None:
            with pytest.raises(ValueError):
                column([NHS if column is identifiers.nhs_numbers else UPN, value])
        else:
            assert column([value, value]) == [expected, expected]


# The people file ---------------------------------------------------------------------------


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def _families(cli, tmp_path):
    result = cli("import", "families", _write(tmp_path, "f.csv", "family_ref,family_name\nF1,Ash\n"))
    assert result.exit_code == 0, result.output


def test_the_new_columns_are_imported_checked_and_kept(cli, tmp_path):
    _families(cli, tmp_path)
    path = _write(tmp_path, "people.csv",
                  "person_ref,family_ref,given_name,family_name,date_of_birth,sex,gender,"
                  "ethnicity,nhs_number,upn,expected_date_of_birth,date_of_death\n"
                  f"P1,F1,Amy,Ash,2005-03-01,f,02,wbri,943 476 5919,{UPN.lower()},,\n"
                  "P2,F1,,Ash,,,,,,,2027-02-01,\n"
                  "P3,F1,Old,Ash,1940-01-01,m,01,AIND,,,,2013-06-30\n")
    path.write_text(path.read_text().replace("P2,F1,,", "P2,F1,Baby,"))
    result = cli("import", "people", path)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "people: 3 created, 0 updated, 0 unchanged"
    people = {p.person_ref: p for p in db.session.scalars(select(m.Person))}
    amy, baby, old = people["P1"], people["P2"], people["P3"]
    assert (amy.gender, amy.ethnicity, amy.nhs_number, amy.upn) == ("02", "WBRI", NHS, UPN)
    assert baby.date_of_birth is None and baby.expected_date_of_birth == dt.date(2027, 2, 1)
    assert old.date_of_death == dt.date(2013, 6, 30)
    # The same file again changes nothing; a file without the new columns erases none of them.
    assert cli("import", "people", path).output.strip() == "people: 0 created, 0 updated, 3 unchanged"
    old_style = _write(tmp_path, "old.csv", "person_ref,family_ref,given_name,family_name,"
                       "date_of_birth\nP1,F1,Amy,Ash,2005-03-01\n")
    assert cli("import", "people", old_style).output.strip() == \
        "people: 0 created, 0 updated, 1 unchanged"
    db.session.expire_all()
    assert db.session.get(m.Person, amy.id).nhs_number == NHS


def test_every_problem_in_the_new_columns_is_named_and_nothing_is_written(cli, tmp_path):
    _families(cli, tmp_path)
    path = _write(tmp_path, "people.csv",
                  "person_ref,family_ref,given_name,family_name,date_of_birth,gender,ethnicity,"
                  "nhs_number,upn,expected_date_of_birth,date_of_death\n"
                  "P1,F1,A,Ash,2005-03-01,03,WBRI,,,,\n"
                  "P2,F1,B,Ash,2005-03-01,,WHITE,9434765918,,,\n"
                  "P3,F1,C,Ash,2005-03-01,,,,A801200005001,,\n"
                  "P4,F1,D,Ash,2005-03-01,,,,,2027-01-01,\n"
                  "P5,F1,E,Ash,,,,,,,\n"
                  "P6,F1,F,Ash,2005-03-01,,,,,,2004-12-31\n"
                  "P7,F1,G,Ash,2005-03-01,,,,,,2999-01-01\n")
    result = cli("import", "people", path)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(path))]
    assert lines == [
        f"{path}:2: gender: '03' is not one of 00, 01, 02, 09",
        f"{path}:3: ethnicity: 'WHITE' is not one of " + ", ".join(m.ETHNICITIES),
        f"{path}:3: nhs_number: '9434765918' is not a valid NHS number: its check digit is wrong",
        f"{path}:4: upn: 'A801200005001' is not a valid unique pupil number: its check letter "
        "is wrong",
        f"{path}:5: expected_date_of_birth: give date_of_birth or expected_date_of_birth, not both",
        f"{path}:6: date_of_birth: is required (or expected_date_of_birth for an unborn child)",
        f"{path}:7: date_of_death: 2004-12-31 is before date_of_birth 2005-03-01",
        f"{path}:8: date_of_death: 2999-01-01 is in the future",
    ]
    assert db.session.scalars(select(m.Person)).first() is None


def test_the_date_of_birth_column_is_still_required_in_the_header(cli, tmp_path):
    _families(cli, tmp_path)
    path = _write(tmp_path, "people.csv", "person_ref,family_ref,given_name,family_name,"
                  "expected_date_of_birth\nP1,F1,A,Ash,2027-01-01\n")
    result = cli("import", "people", path)
    assert result.exit_code == 1
    assert f"{path}:1: date_of_birth: required column is missing" in result.output


def test_an_unborn_child_is_left_out_of_the_rules_until_born(cli, tmp_path, examples):
    examples()
    args = ("evaluate", "--as-of", "2013-09-30", "--family", "E01", "--format", "json")
    before = json.loads(cli(*args).output)
    path = _write(tmp_path, "unborn.csv", "person_ref,family_ref,given_name,family_name,"
                  "date_of_birth,expected_date_of_birth\nU1,E01,Baby,Taylor,,2014-01-10\n")
    assert cli("import", "people", path).exit_code == 0
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == before


# The pages -----------------------------------------------------------------------------------


def test_the_family_page_shows_the_new_details_and_an_unborn_child(client, sign_in):
    family = create_family("V1")
    create_person(family, "VP1", born=dt.date(2005, 3, 1), given_name="Amy", gender="02",
                  ethnicity="MWBC", nhs_number=NHS, upn=UPN)
    create_person(family, "VP2", born=None, given_name="Baby",
                  expected_date_of_birth=dt.date(2027, 2, 1))
    sign_in("manager")
    page = client.get("/families/V1").text
    members = {r["Name"]: r for r in table(page, caption="Family members")}
    assert members["Baby Test"]["Date of birth"] == "Unborn, expected 1 February 2027"
    assert members["Baby Test"]["Age today"] == "Unborn"
    details = {r["Name"]: r for r in table(page, id="member-details")}
    assert details["Amy Test"] == {
        "Name": "Amy Test", "Gender": "Female", "Ethnicity": "White and Black Caribbean (MWBC)",
        "NHS number": "943 476 5919", "Unique pupil number": UPN, "Date of death": ""}
    assert details["Baby Test"]["Gender"] == "Not recorded"


def test_the_edit_page_saves_the_new_details_with_their_history(client, sign_in):
    family = create_family("V2")
    create_person(family, "VP1", born=dt.date(2005, 3, 1), given_name="Amy")
    sign_in("manager")
    response = post_form(client, "/people/VP1/edit", {
        "version": "1", "given_name": "Amy", "family_name": "Test",
        "date_of_birth": ["1", "3", "2005"], "sex": "f", "gender": "02", "ethnicity": "BAFR",
        "nhs_number": "943 476 5919", "upn": UPN.lower(), "date_of_death": ["", "", ""]})
    assert response.status_code == 302, response.text
    person = db.session.scalars(select(m.Person)).one()
    db.session.refresh(person)
    assert (person.gender, person.ethnicity, person.nhs_number, person.upn) == (
        "02", "BAFR", NHS, UPN)
    history = db.session.scalars(select(m.RecordHistory)).one()
    assert history.after == {"sex": "f", "gender": "02", "ethnicity": "BAFR", "nhs_number": NHS,
                             "upn": UPN}


def test_the_edit_page_names_every_problem_and_saves_nothing(client, sign_in):
    family = create_family("V3")
    create_person(family, "VP1", born=dt.date(2005, 3, 1), given_name="Amy")
    sign_in("manager")
    response = post_form(client, "/people/VP1/edit", {
        "version": "1", "given_name": "Amy", "family_name": "Test",
        "date_of_birth": ["1", "3", "2005"], "expected_date_of_birth": ["1", "3", "2027"],
        "nhs_number": "9434765918", "upn": "A801200005001",
        "date_of_death": ["1", "1", "2004"]})
    assert response.status_code == 200
    for message in ("Enter a date of birth or an expected date of birth, not both",
                    "9434765918 is not a valid NHS number: its check digit is wrong",
                    "A801200005001 is not a valid unique pupil number: its check letter is wrong",
                    "Date of death must be on or after the date of birth"):
        assert message in Page(response.text).errors
    person = db.session.scalars(select(m.Person)).one()
    db.session.refresh(person)
    assert person.nhs_number is None and person.expected_date_of_birth is None


def test_subject_access_holds_the_new_details(client, sign_in):
    family = create_family("V4")
    create_person(family, "VP1", born=dt.date(2005, 3, 1), gender="01", ethnicity="WBRI",
                  nhs_number=NHS, upn=UPN, date_of_death=dt.date(2013, 1, 2))
    sign_in("manager")
    data = json.loads(client.get("/people/VP1/export.json").data)
    person = data["person"]
    assert (person["gender"], person["ethnicity"], person["nhs_number"], person["upn"]) == (
        "01", "WBRI", NHS, UPN)
    assert person["date_of_death"] == "2013-01-02" and person["expected_date_of_birth"] is None
