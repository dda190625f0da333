"""The Standard Safeguarding Dataset's early help tables (data-to-insight/ssd-data-model,
data/objects/*.yml), and Ofsted's early help list (ILACS Annex A, list 2), from casework's
records. A value casework does not hold is left empty, never guessed; docs/returns.md says
where each column comes from."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path

from flask import current_app
from sqlalchemy import Select, func, or_, select

from .. import models as m
from ..extensions import db
from ..lookups import one_of_chunks
from ..reports.exports import csv_writer
from ..rules.dates import age_on, months_before
from .episodes import EpisodeRow, programme_episodes

# Each table's columns in the specification's order (the YAML's field names).
SSD_TABLES = {
    "ssd_person": ("pers_person_id", "pers_sex", "pers_gender", "pers_ethnicity", "pers_dob",
                   "pers_common_child_id", "pers_legacy_id", "pers_upn_unknown",
                   "pers_send_flag", "pers_expected_dob", "pers_death_date", "pers_is_mother",
                   "pers_nationality"),
    "ssd_family": ("fami_family_id", "fami_person_id"),
    "ssd_early_help_episodes": ("earl_episode_id", "earl_person_id", "earl_episode_start_date",
                                "earl_episode_end_date", "earl_episode_reason",
                                "earl_episode_end_reason", "earl_episode_organisation",
                                "earl_episode_worker_id"),
    "ssd_linked_identifiers": ("link_table_id", "link_person_id", "link_identifier_type",
                               "link_identifier_value", "link_valid_from_date",
                               "link_valid_to_date"),
    "ssd_professionals": ("prof_professional_id", "prof_staff_id", "prof_professional_name",
                          "prof_social_worker_registration_no", "prof_professional_job_title",
                          "prof_professional_caseload", "prof_professional_department",
                          "prof_full_time_equivalency", "prof_agency_worker_flag"),
}
SSD_SEX = {"f": "F", "m": "M"}  # casework's x ("other") is not the SSD's U ("unknown")
# EARL006A's guidance names "Outcomes met / Step-up / NFA": those two in its words, the other
# end reasons in casework's.
CLOSURE_LABELS = {**m.EPISODE_END_REASONS, "turned_around": "Outcomes met",
                  "stepped_up": "Step-up"}
LIST_2_COLUMNS = ("CHILD_ID", "GENDER", "ETHNICITY", "DATE_OF_BIRTH", "AGE", "EHA_START_DATE",
                  "EHA_END_DATE", "EHA_COMPLETED_BY_TEAM")
ADULT = 18


def _iso(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


def _uk(d: dt.date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _people(family_ids: list[int]) -> dict[int, list[m.Person]]:
    found: dict[int, list[m.Person]] = {}
    for where in one_of_chunks(m.Person.family_id, family_ids):
        for p in db.session.scalars(select(m.Person).where(where).order_by(m.Person.id)):
            found.setdefault(p.family_id, []).append(p)
    return found


def _users(ids: Iterable[int]) -> dict[int, m.User]:
    wanted = sorted(set(ids))
    return {u.id: u for where in one_of_chunks(m.User.id, wanted)
            for u in db.session.scalars(select(m.User).where(where))}


def _caseloads(on: dt.date) -> dict[int, int]:
    """Families each worker held on `on` (a count, whoever may see them)."""
    A = m.Allocation
    return dict(db.session.execute(
        select(A.worker_id, func.count(func.distinct(A.family_id)))
        .where(A.start_on <= on, or_(A.end_on.is_(None), A.end_on > on))
        .group_by(A.worker_id)).all())


def previous_30_september(as_of: dt.date) -> dt.date:
    """PROF008A's date: the 30 September before `as_of` (or on it)."""
    this_year = dt.date(as_of.year, 9, 30)
    return this_year if this_year <= as_of else dt.date(as_of.year - 1, 9, 30)


def ssd_tables(families: Select, as_of: dt.date) -> dict[str, list[dict]]:
    """The five early help tables of these families (a SELECT already scoped: a user's
    visible_families, or every family for the command line), on `as_of`: one row per person
    per episode (each member of a family in an episode that started by then)."""
    episodes = programme_episodes(families, as_of)
    people = _people(sorted({e.family_id for e in episodes}))
    organisation = current_app.config["COUNCIL_NAME"]
    tables: dict[str, list[dict]] = {name: [] for name in SSD_TABLES}
    seen_people: set[int] = set()
    for e in episodes:
        for p in people.get(e.family_id, []):
            tables["ssd_early_help_episodes"].append({
                "earl_episode_id": f"{e.episode_id}P{p.id}", "earl_person_id": str(p.id),
                "earl_episode_start_date": _iso(e.start), "earl_episode_end_date": _iso(e.end),
                "earl_episode_reason": "",  # casework records needs, not the SSD's reasons
                "earl_episode_end_reason": CLOSURE_LABELS.get(e.end_reason or "", ""),
                "earl_episode_organisation": organisation,
                "earl_episode_worker_id": str(e.worker_id) if e.worker_id else ""})
            if p.id in seen_people:
                continue
            seen_people.add(p.id)
            tables["ssd_person"].append({
                "pers_person_id": str(p.id), "pers_sex": SSD_SEX.get(p.sex or "", ""),
                "pers_gender": p.gender or "", "pers_ethnicity": p.ethnicity or "",
                "pers_dob": _iso(p.date_of_birth), "pers_common_child_id": p.nhs_number or "",
                "pers_legacy_id": p.person_ref, "pers_upn_unknown": "", "pers_send_flag": "",
                "pers_expected_dob": _iso(p.expected_date_of_birth),
                "pers_death_date": _iso(p.date_of_death), "pers_is_mother": "",
                "pers_nationality": ""})
            tables["ssd_family"].append({"fami_family_id": e.family_ref,
                                         "fami_person_id": str(p.id)})
            for kind, value in (("Unique Pupil Number", p.upn), ("NHS Number", p.nhs_number)):
                if value:
                    short = "UPN" if kind.startswith("Unique") else "NHS"
                    tables["ssd_linked_identifiers"].append({
                        "link_table_id": f"{p.id}{short}", "link_person_id": str(p.id),
                        "link_identifier_type": kind, "link_identifier_value": value,
                        "link_valid_from_date": "", "link_valid_to_date": ""})
    workers = _users(e.worker_id for e in episodes if e.worker_id)
    caseloads = _caseloads(previous_30_september(as_of))
    for uid in sorted(workers):
        u = workers[uid]
        tables["ssd_professionals"].append({
            "prof_professional_id": str(u.id), "prof_staff_id": "",
            "prof_professional_name": u.name, "prof_social_worker_registration_no": "",
            "prof_professional_job_title": m.ROLE_LABELS[u.role],
            "prof_professional_caseload": str(caseloads.get(u.id, 0)),
            "prof_professional_department": u.team.name if u.team else "",
            "prof_full_time_equivalency": "", "prof_agency_worker_flag": ""})
    return tables


def write_ssd(tables: dict[str, list[dict]], folder: Path) -> list[Path]:
    """Write each table as FOLDER/NAME.csv; return the files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, columns in SSD_TABLES.items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            _write(out, columns, tables[name])
        written.append(path)
    return written


def _write(out, columns, rows) -> None:
    writer = csv_writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])


def ssd_zip(tables: dict[str, list[dict]]) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, columns in SSD_TABLES.items():
            text = io.StringIO()
            _write(text, columns, tables[name])
            archive.writestr(f"{name}.csv", text.getvalue())
    return buffer.getvalue()


# Ofsted's list 2 --------------------------------------------------------------------------------


def in_list_2(e: EpisodeRow, as_of: dt.date) -> bool:
    """An episode that started in the six months up to the date (from the same day six months
    before, inclusive), ended in them, or is still open on the date."""
    since = months_before(as_of, 6)
    return (since <= e.start <= as_of or (e.end is not None and since <= e.end <= as_of)
            or (e.start <= as_of and e.end is None))


def list_2_rows(families: Select, as_of: dt.date) -> list[dict]:
    """One row a child (under 18 on the date, or unborn on it) per episode in list 2, of
    these families (a SELECT already scoped)."""
    episodes = [e for e in programme_episodes(families, as_of) if in_list_2(e, as_of)]
    people = _people(sorted({e.family_id for e in episodes}))
    workers = _users(e.worker_id for e in episodes if e.worker_id)
    rows = []
    for e in episodes:
        worker = workers.get(e.worker_id) if e.worker_id else None
        for p in people.get(e.family_id, []):
            if p.date_of_birth is None or p.date_of_birth > as_of:
                age = -1  # unborn on the date
            else:
                age = age_on(p.date_of_birth, as_of)
                if age >= ADULT:
                    continue
            rows.append({
                "CHILD_ID": str(p.id), "GENDER": m.GENDERS.get(p.gender or "", ""),
                "ETHNICITY": p.ethnicity or "", "DATE_OF_BIRTH": _uk(p.date_of_birth),
                "AGE": age, "EHA_START_DATE": _uk(e.start), "EHA_END_DATE": _uk(e.end),
                "EHA_COMPLETED_BY_TEAM": worker.team.name if worker and worker.team else ""})
    return rows


def write_list_2(rows: list[dict], out) -> None:
    _write(out, LIST_2_COLUMNS, rows)
