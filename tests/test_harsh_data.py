"""The benchmarks' harsh data: `casework demo --harsh` and demo_csv(harsh=True) put
every family in one postcode with nine surnames, a third of them Smith, and change nothing
else the generator makes."""

import csv
import datetime as dt
import io
from collections import Counter

from sqlalchemy import func, select

from casework import models as m
from casework.demo import HARSH_POSTCODE, HARSH_SURNAMES, demo_csv
from casework.extensions import db

TODAY = dt.date(2026, 12, 6)


def rows(files: dict[str, bytes], kind: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files[kind].decode())))


def test_harsh_data_has_one_postcode_and_nine_surnames_a_third_of_families_smith():
    files = dict(demo_csv(3000, 1, TODAY, harsh=True))
    families = rows(files, "families")
    assert {f["postcode"] for f in families} == {HARSH_POSTCODE}
    surnames = Counter(f["family_name"].removesuffix(" household") for f in families)
    assert set(surnames) == set(HARSH_SURNAMES) and len(HARSH_SURNAMES) == 9
    assert 0.30 < surnames["Smith"] / len(families) < 0.37
    people = rows(files, "people")
    assert {p["family_name"] for p in people} == set(HARSH_SURNAMES)


def test_harsh_data_changes_only_postcodes_and_surnames():
    kind = dict(demo_csv(300, 1, TODAY))
    harsh = dict(demo_csv(300, 1, TODAY, harsh=True))
    assert list(kind) == list(harsh)
    for name in kind:
        if name not in ("families", "people"):
            assert harsh[name] == kind[name], name  # the evidence is the same, byte for byte
    for column_set, name in ((("postcode", "family_name"), "families"), (("family_name",), "people")):
        plain, hard = rows(kind, name), rows(harsh, name)
        assert len(plain) == len(hard)
        for a, b in zip(plain, hard, strict=True):
            assert {k: v for k, v in a.items() if k not in column_set} == \
                   {k: v for k, v in b.items() if k not in column_set}


def test_casework_demo_harsh_loads_families_in_one_postcode(app, cli):
    result = cli("demo", "--families", "30", "--harsh")
    assert result.exit_code == 0, result.output
    postcodes = db.session.scalars(select(m.Family.postcode).distinct()).all()
    assert postcodes == [HARSH_POSTCODE]
    names = db.session.scalar(select(func.count(m.Person.family_name.distinct())))
    assert 1 < names <= 9
