"""A small register for the matching tests: generated people, plus the people each test
case is about (a nickname, a typo, twins, namesakes in two families)."""

from __future__ import annotations

import csv
import io

from casework.importer.service import import_csv
from casework.matching import synthetic

FAMILIES = [  # family_ref, family_name, postcode
    ("FA", "Smith-Jones", "ME15 7AB"),
    ("FB", "Turner", "ME14 2CD"),
    ("FT1", "Taylor", "ME14 1AA"),
    ("FT2", "Taylor", "ME16 8ZZ"),
    ("FC", "Brown", "ME15 9EF"),
]
PEOPLE = [  # person_ref, family_ref, given_name, family_name, date_of_birth, sex
    ("P-KAY", "FA", "Kayleigh", "Smith-Jones", "2010-03-04", "f"),
    ("P-BILL", "FB", "William", "Turner", "1980-05-06", "m"),
    ("P-JACK1", "FT1", "Jack", "Taylor", "2012-02-02", "m"),
    ("P-JACK2", "FT2", "Jack", "Taylor", "2012-02-02", "m"),
    ("P-AMY", "FC", "Amy", "Brown", "2011-07-08", "f"),
    ("P-EMMA", "FC", "Emma", "Brown", "2011-07-08", "f"),
]
MATCH_HEADER = "source_ref,given_name,family_name,date_of_birth,postcode,sex\n"
CASES = {  # source_ref -> (row, expected person_ref, expected decision)
    "S1": ("Kayleigh,Smith-Jones,2010-03-04,ME15 7AB,f", "P-KAY", "linked"),
    "S2": ("Bill,Turner,1980-05-06,ME14 2CD,m", "P-BILL", "linked"),  # nickname
    "S3": ("Kayleigh,Smith Jones,2010-04-03,me157ab,", "P-KAY", "linked"),  # day and month
    "S4": ("Kayliegh,Smith-Jones,2010-03-04,ME15 7AB,f", "P-KAY", "linked"),  # typo
    "S5": ("William,Turner,1980-05-06,CT1 1XY,m", "P-BILL", "linked"),  # moved house
    "S6": ("Jack,Taylor,2012-02-02,ME14 1AA,m", "P-JACK1", "review"),  # namesakes
    "S7": ("Amy,Brown,2011-07-08,ME15 9EF,f", "P-AMY", "linked"),  # not her twin
    "S8": ("Zebedee,Quux,1999-01-01,TN1 1AA,m", None, "unmatched"),
}


def _csv(header: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def load_register(people: int = 2000) -> None:
    """Import a generated register of `people` and the test cases' people."""
    register = synthetic.make_register(people, seed=5)
    families = [(ref, register.family_names[ref], postcode)
                for ref, postcode in register.families.items()] + FAMILIES
    rows = [(p.person_ref, p.family_ref, p.given_name, p.family_name,
             p.date_of_birth.isoformat(), p.sex) for p in register.people] + PEOPLE
    import_csv("families", _csv(["family_ref", "family_name", "postcode"], families),
               "families.csv")
    import_csv("people", _csv(["person_ref", "family_ref", "given_name", "family_name",
                               "date_of_birth", "sex"], rows), "people.csv")


def match_file(tmp_path, refs=None) -> str:
    """A `casework match` file of the cases (or those named)."""
    path = tmp_path / "match.csv"
    chosen = refs or list(CASES)
    path.write_text(MATCH_HEADER + "".join(f"{r},{CASES[r][0]}\n" for r in reversed(chosen)))
    return path
