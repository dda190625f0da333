"""The returns others ask of casework: the Standard Safeguarding Dataset's early help tables
and Ofsted's early help list (Annex A list 2), checked against the specifications' facts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.caseloads.service import allocate, close
from casework.extensions import db

from .factories import create_family, create_person, create_user
from .parsed import Page

# Facts from the SSD's public YAML, data-to-insight/ssd-data-model, data/objects/ (files
# ssd_person.yml, ssd_family.yml, ssd_early_help_episodes.yml, ssd_linked_identifiers.yml,
# ssd_professionals.yml): each table's field names with their item references, the fields
# its validators mark required, and the code sets its guidance gives.
SSD_FIELDS = {
    "ssd_person": {
        "pers_person_id": "PERS001A", "pers_sex": "PERS002A", "pers_gender": "PERS003A",
        "pers_ethnicity": "PERS004A", "pers_dob": "PERS005A",
        "pers_common_child_id": "PERS013A", "pers_legacy_id": "PERS014A",
        "pers_upn_unknown": "PERS007A", "pers_send_flag": "PERS008A",
        "pers_expected_dob": "PERS009A", "pers_death_date": "PERS010A",
        "pers_is_mother": "PERS011A", "pers_nationality": "PERS012A"},
    "ssd_family": {"fami_family_id": "FAMI001A", "fami_person_id": "FAMI002A"},
    "ssd_early_help_episodes": {
        "earl_episode_id": "EARL001A", "earl_person_id": "EARL002A",
        "earl_episode_start_date": "EARL003A", "earl_episode_end_date": "EARL004A",
        "earl_episode_reason": "EARL005A", "earl_episode_end_reason": "EARL006A",
        "earl_episode_organisation": "EARL007A", "earl_episode_worker_id": "EARL008A"},
    "ssd_linked_identifiers": {
        "link_table_id": "LINK001A", "link_person_id": "LINK002A",
        "link_identifier_type": "LINK003A", "link_identifier_value": "LINK004A",
        "link_valid_from_date": "LINK005A", "link_valid_to_date": "LINK006A"},
    "ssd_professionals": {
        "prof_professional_id": "PROF001A", "prof_staff_id": "PROF010A",
        "prof_professional_name": "PROF013A", "prof_social_worker_registration_no": "PROF002A",
        "prof_professional_job_title": "PROF007A", "prof_professional_caseload": "PROF008A",
        "prof_professional_department": "PROF012A", "prof_full_time_equivalency": "PROF011A",
        "prof_agency_worker_flag": "PROF014A"},
}
SSD_REQUIRED = {"ssd_person": ["pers_person_id"],
                "ssd_family": ["fami_family_id", "fami_person_id"],
                "ssd_early_help_episodes": ["earl_episode_id", "earl_person_id"]}
SSD_UNIQUE = {"ssd_person": "pers_person_id", "ssd_early_help_episodes": "earl_episode_id",
              "ssd_linked_identifiers": "link_table_id",
              "ssd_professionals": "prof_professional_id"}
SSD_CODES = {
    "pers_sex": {"F", "M", "U"},
    "pers_gender": {"00", "01", "02", "09"},
    "pers_ethnicity": {"WBRI", "WIRI", "WOTH", "WIRT", "WROM", "MWBC", "MWBA", "MWAS", "MOTH",
                       "AIND", "APKN", "ABAN", "CNHE", "AOTH", "BCRB", "BAFR", "BOTH", "OOTH",
                       "REFU", "NOBT"},
    "pers_upn_unknown": {"UN1", "UN2", "UN3", "UN4", "UN5"},
    "pers_send_flag": {"Y", "N"}, "pers_is_mother": {"Y", "N"},
    "link_identifier_type": {"Case Number", "Unique Pupil Number", "NHS Number",
                             "Home Office Registration", "National Insurance Number",
                             "YOT Number", "Court Case Number", "RAA ID", "Incident ID"},
}
# PERS001A: up to 20 characters, letters and digits only, unique to a child for life.
PERSON_ID = r"[A-Za-z0-9]{1,20}"
DATES = {"pers_dob", "pers_expected_dob", "pers_death_date", "earl_episode_start_date",
         "earl_episode_end_date", "link_valid_from_date", "link_valid_to_date"}

# Ofsted's ILACS Annex A, list 2 (early help): its columns and date format.
LIST_2 = ["CHILD_ID", "GENDER", "ETHNICITY", "DATE_OF_BIRTH", "AGE", "EHA_START_DATE",
          "EHA_END_DATE", "EHA_COMPLETED_BY_TEAM"]


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def check_ssd(folder) -> dict[str, list[dict]]:
    """Every table of the specification, with its columns, required values, unique keys,
    code sets, dates and person identifiers; return the rows."""
    import re

    tables = {}
    for table, fields in SSD_FIELDS.items():
        path = folder / f"{table}.csv"
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            assert next(reader) == list(fields), table
        rows = tables[table] = read(path)
        for field in SSD_REQUIRED.get(table, []):
            assert all(r[field] for r in rows), (table, field)
        if table in SSD_UNIQUE:
            keys = [r[SSD_UNIQUE[table]] for r in rows]
            assert len(keys) == len(set(keys)), table
        for r in rows:
            for field, value in r.items():
                if value and field in SSD_CODES:
                    assert value in SSD_CODES[field], (table, field, value)
                if value and field in DATES:
                    dt.date.fromisoformat(value)
                if field.endswith("person_id"):
                    assert re.fullmatch(PERSON_ID, value), (table, field, value)
    people = {r["pers_person_id"] for r in tables["ssd_person"]}
    assert {r["earl_person_id"] for r in tables["ssd_early_help_episodes"]} <= people
    assert {r["fami_person_id"] for r in tables["ssd_family"]} <= people
    assert {r["link_person_id"] for r in tables["ssd_linked_identifiers"]} <= people
    workers = {r["prof_professional_id"] for r in tables["ssd_professionals"]}
    assert {r["earl_episode_worker_id"] for r in tables["ssd_early_help_episodes"]} - {""} \
        <= workers
    return tables


def test_the_demos_ssd_tables_pass_the_specifications_checks(cli, tmp_path):
    assert cli("demo", "--families", "25").exit_code == 0
    today = clock.today()  # the demo's families are signed up in the months before today
    result = cli("export", "ssd", "--as-of", today.isoformat(), "--out", tmp_path / "ssd")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "ssd").iterdir()) == sorted(
        f"{t}.csv" for t in SSD_FIELDS)
    tables = check_ssd(tmp_path / "ssd")
    assert tables["ssd_early_help_episodes"] and tables["ssd_person"]
    # The demo's people carry what a council's records hold: codes the check has read.
    assert any(r["pers_ethnicity"] for r in tables["ssd_person"])
    assert any(r["pers_gender"] for r in tables["ssd_person"])
    assert {r["link_identifier_type"] for r in tables["ssd_linked_identifiers"]} == {
        "Unique Pupil Number", "NHS Number"}
    # One row per person per episode: each member of each family in an episode.
    episodes = db.session.scalars(select(m.Episode).where(m.Episode.signed_up_on <= today)).all()
    assert len(tables["ssd_early_help_episodes"]) == sum(len(e.family.people) for e in episodes)


@pytest.fixture
def closed_world(app):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North", name="Fran Worker")
    family = create_family("S1", attached_on=dt.date(2013, 1, 10))
    amy = create_person(family, "S1-A", born=dt.date(2005, 3, 1), given_name="Amy", sex="f",
                        gender="02", ethnicity="WBRI", nhs_number="9434765919",
                        upn="B801200005001")
    create_person(family, "S1-U", born=None, given_name="Baby",
                  expected_date_of_birth=dt.date(2013, 11, 1))
    allocate(family, worker, dt.date(2013, 1, 10), lead)
    close(family, dt.date(2013, 8, 1), lead, "Results met, family stable", "turned_around")
    db.session.commit()
    return {"family": family, "amy": amy, "worker": worker}


def test_a_closed_episode_and_what_casework_holds_of_its_people(cli, tmp_path, closed_world):
    assert cli("export", "ssd", "--as-of", "2013-09-30", "--out", tmp_path).exit_code == 0
    tables = check_ssd(tmp_path)
    amy, worker = closed_world["amy"], closed_world["worker"]
    person = {r["pers_legacy_id"]: r for r in tables["ssd_person"]}
    assert person["S1-A"] == {
        "pers_person_id": str(amy.id), "pers_sex": "F", "pers_gender": "02",
        "pers_ethnicity": "WBRI", "pers_dob": "2005-03-01", "pers_common_child_id": "9434765919",
        "pers_legacy_id": "S1-A", "pers_upn_unknown": "", "pers_send_flag": "",
        "pers_expected_dob": "", "pers_death_date": "", "pers_is_mother": "",
        "pers_nationality": ""}
    assert person["S1-U"]["pers_dob"] == "" and person["S1-U"]["pers_expected_dob"] == "2013-11-01"
    episode = next(r for r in tables["ssd_early_help_episodes"]
                   if r["earl_person_id"] == str(amy.id))
    assert episode["earl_episode_start_date"] == "2013-01-10"
    assert episode["earl_episode_end_date"] == "2013-08-01"
    assert episode["earl_episode_end_reason"] == "Outcomes met"
    assert episode["earl_episode_reason"] == ""  # not held: left empty, never guessed
    assert episode["earl_episode_worker_id"] == str(worker.id)
    assert {(r["link_identifier_type"], r["link_identifier_value"])
            for r in tables["ssd_linked_identifiers"]} == {
        ("Unique Pupil Number", "B801200005001"), ("NHS Number", "9434765919")}
    assert tables["ssd_professionals"] == [{
        "prof_professional_id": str(worker.id), "prof_staff_id": "",
        "prof_professional_name": "Fran Worker", "prof_social_worker_registration_no": "",
        "prof_professional_job_title": "FIP worker", "prof_professional_caseload": "0",
        "prof_professional_department": "North", "prof_full_time_equivalency": "",
        "prof_agency_worker_flag": ""}]
    # Before the closure the episode is open: no end date, no end reason.
    assert cli("export", "ssd", "--as-of", "2013-07-31", "--out", tmp_path / "open").exit_code == 0
    open_rows = read(tmp_path / "open" / "ssd_early_help_episodes.csv")
    assert {(r["earl_episode_end_date"], r["earl_episode_end_reason"]) for r in open_rows} == {
        ("", "")}


# Ofsted's list 2 ----------------------------------------------------------------------------

AS_OF = "2013-09-30"  # six months before: 2013-03-30


def _family(ref, attached, closed=None, *people):
    family = create_family(ref, attached_on=attached, closed_on=closed)
    for suffix, born, extra in people or (("C", dt.date(2005, 6, 1), {}),):
        create_person(family, f"{ref}-{suffix}", born=born, given_name=suffix, **extra)
    return family


def list_2(cli, as_of=AS_OF) -> list[dict]:
    result = cli("export", "annex-a-list-2", "--as-of", as_of)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split(",") == LIST_2
    return list(csv.DictReader(io.StringIO(result.output)))


def test_list_2_takes_episodes_from_six_months_before_the_date(cli, app):
    day = dt.date
    _family("ENDED-BEFORE", day(2012, 1, 1), day(2013, 3, 29))  # ended the day before
    _family("ENDED-ON", day(2012, 1, 1), day(2013, 3, 30))  # ended on the first day
    _family("ENDED-AFTER", day(2012, 1, 1), day(2013, 3, 31))
    _family("STARTED-ON", day(2013, 3, 30), day(2013, 3, 30))
    _family("OPEN", day(2011, 1, 1))
    _family("CLOSED-LATER", day(2011, 1, 1), day(2013, 10, 5))  # open on the date
    _family("STARTS-LATER", day(2013, 10, 1))  # not yet started
    _family("NEVER", None)
    rows = list_2(cli)
    refs = {db.session.get(m.Person, int(r["CHILD_ID"])).family.family_ref: r for r in rows}
    assert sorted(refs) == ["CLOSED-LATER", "ENDED-AFTER", "ENDED-ON", "OPEN", "STARTED-ON"]
    assert refs["ENDED-ON"]["EHA_START_DATE"] == "01/01/2012"
    assert refs["ENDED-ON"]["EHA_END_DATE"] == "30/03/2013"
    assert refs["CLOSED-LATER"]["EHA_END_DATE"] == ""  # still open on the date
    assert refs["OPEN"]["DATE_OF_BIRTH"] == "01/06/2005" and refs["OPEN"]["AGE"] == "8"


def test_list_2_a_start_on_the_boundary_day_is_in_and_the_day_before_is_out(cli, app):
    day = dt.date
    _family("START-BEFORE", day(2013, 3, 29), day(2013, 3, 29))
    _family("START-ON", day(2013, 3, 30), day(2013, 4, 2))
    _family("START-AFTER", day(2013, 3, 31), day(2013, 4, 2))
    refs = {db.session.get(m.Person, int(r["CHILD_ID"])).family.family_ref for r in list_2(cli)}
    assert refs == {"START-ON", "START-AFTER"}


def test_list_2_has_children_only_an_unborn_child_aged_minus_one(cli, app):
    day = dt.date
    _family("F1", day(2013, 5, 1), None,
            ("ADULT", day(1995, 9, 30), {}),  # 18 on the date: not a child
            ("SEVENTEEN", day(1995, 10, 1), {"gender": "01", "ethnicity": "BCRB"}),
            ("UNBORN", None, {"expected_date_of_birth": day(2013, 12, 1)}),
            ("BORN-LATER", day(2013, 10, 3), {}))
    rows = {db.session.get(m.Person, int(r["CHILD_ID"])).person_ref: r for r in list_2(cli)}
    assert sorted(rows) == ["F1-BORN-LATER", "F1-SEVENTEEN", "F1-UNBORN"]
    assert rows["F1-SEVENTEEN"] == {
        "CHILD_ID": rows["F1-SEVENTEEN"]["CHILD_ID"], "GENDER": "Male", "ETHNICITY": "BCRB",
        "DATE_OF_BIRTH": "01/10/1995", "AGE": "17", "EHA_START_DATE": "01/05/2013",
        "EHA_END_DATE": "", "EHA_COMPLETED_BY_TEAM": ""}
    assert rows["F1-UNBORN"]["AGE"] == "-1" and rows["F1-UNBORN"]["DATE_OF_BIRTH"] == ""
    assert rows["F1-BORN-LATER"]["AGE"] == "-1"  # not yet born on the date


# The downloads, made by jobs ------------------------------------------------------------------


def test_a_programme_manager_downloads_each_return_made_by_a_job(client, run_jobs, closed_world):
    import zipfile

    from .conftest import login, post_form

    manager = create_user("manager")
    login(client, manager.email)
    files = {}
    for kind in ("ssd", "annex_a_list_2", "quarterly_return"):
        started = post_form(client, "/programme/returns",
                            {"kind": kind, "as_of": ["30", "9", "2013"]})
        assert started.status_code == 302, started.text
        assert run_jobs() == 1
        result = client.get(started.headers["Location"] + "/result")
        assert result.status_code == 200
        files[kind] = result.data
    with zipfile.ZipFile(io.BytesIO(files["ssd"])) as archive:
        assert sorted(archive.namelist()) == sorted(f"{t}.csv" for t in SSD_FIELDS)
        people = list(csv.DictReader(io.StringIO(archive.read("ssd_person.csv").decode())))
    assert {p["pers_legacy_id"] for p in people} == {"S1-A", "S1-U"}
    listed = list(csv.DictReader(io.StringIO(files["annex_a_list_2"].decode())))
    assert [r["AGE"] for r in listed] == ["8", "-1"]
    assert listed[0]["EHA_END_DATE"] == "01/08/2013"
    assert listed[0]["EHA_COMPLETED_BY_TEAM"] == "North"
    quarters = list(csv.DictReader(io.StringIO(files["quarterly_return"].decode())))
    assert quarters[-1]["quarter"] == "2013-Q2" and quarters[-1]["closed_turned_around"] == "1"
    exports = db.session.scalars(select(m.AuditEvent).where(
        m.AuditEvent.action == "export", m.AuditEvent.user_email == manager.email)).all()
    assert {(e.object_type, e.object_ref) for e in exports} >= {
        ("ssd", "2013-09-30"), ("annex_a_list_2", "2013-09-30"),
        ("quarterly_return", "2013-09-30")}


def test_the_returns_page_names_its_problems_and_is_for_programme_managers(client, app):
    from .conftest import login, post_form

    login(client, create_user("manager").email)
    refused = post_form(client, "/programme/returns", {"as_of": ["31", "2", "2013"]})
    assert refused.status_code == 200
    errors = Page(refused.text).errors  # both at once
    assert len(errors) == 2 and [e for e in errors if e.startswith("Select a return")] and [
        e for e in errors if e.startswith("Date must be a real date")]
    other = app.test_client()
    login(other, create_user("worker").email)
    assert other.get("/programme/returns").status_code == 403
