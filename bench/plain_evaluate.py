"""The yardstick for the stored evaluation's refresh: a plain single-process Python script
that reads the six partner CSV files and runs the same pure rules over every family.

    .venv/bin/python bench/plain_evaluate.py DIRECTORY --as-of YYYY-MM-DD

DIRECTORY holds families.csv, people.csv, school-terms.csv, asb.csv, offences.csv and
work.csv in the contract's columns (bench/store_bench.py writes them from its database).
It is what an analyst would write with the csv module: read each file into dictionaries
keyed by reference, build each family's evidence, evaluate, and count the results. No
database, no workers, nothing written. Prints the families evaluated, the eligible and the
claimable, and the seconds it took.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from casework.rules.claims import claimable  # noqa: E402  (after the path is set)
from casework.rules.dates import parse_academic_year  # noqa: E402
from casework.rules.engine import evaluate  # noqa: E402
from casework.rules.evidence import (  # noqa: E402
    AsbData,
    FamilyData,
    OffenceData,
    PersonData,
    TermData,
    WorkData,
)
from casework.rules.ruleset import get_ruleset  # noqa: E402


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _flag(text: str) -> bool:
    return text.strip().lower() in ("y", "yes", "true", "1")


def _rows(directory: Path, name: str):
    with open(directory / name, newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def run(directory: Path, as_of: dt.date) -> Counter:
    rules = get_ruleset("phase1")
    family_of: dict[str, str] = {}
    people: dict[str, list] = defaultdict(list)
    for row in _rows(directory, "people.csv"):
        family_of[row["person_ref"]] = row["family_ref"]
        people[row["family_ref"]].append(PersonData(row["person_ref"], _date(row["date_of_birth"])))
    terms: dict[str, list] = defaultdict(list)
    for row in _rows(directory, "school-terms.csv"):
        terms[family_of[row["person_ref"]]].append(TermData(
            row["person_ref"], parse_academic_year(row["academic_year"]), row["term"],
            int(row["sessions_possible"]), int(row["sessions_unauthorised"]),
            int(row["fixed_exclusions"] or 0), _flag(row["permanent_exclusion"]),
            _flag(row["alternative_provision"]), _flag(row["on_roll"] or "y")))
    asb: dict[str, list] = defaultdict(list)
    for row in _rows(directory, "asb.csv"):
        person = row["person_ref"] or None
        family = family_of[person] if person else row["family_ref"]
        asb[family].append(AsbData(row["asb_ref"], _date(row["date"]), row["kind"], person))
    offences: dict[str, list] = defaultdict(list)
    for row in _rows(directory, "offences.csv"):
        offences[family_of[row["person_ref"]]].append(OffenceData(
            row["offence_ref"], row["person_ref"], _date(row["offence_date"]),
            _flag(row["proven"])))
    work: dict[str, list] = defaultdict(list)
    for row in _rows(directory, "work.csv"):
        work[family_of[row["person_ref"]]].append(WorkData(
            row["work_ref"], row["person_ref"], row["kind"], _date(row["start_date"]),
            _date(row["end_date"]), row["benefit"] or None))
    counts: Counter = Counter()
    for row in _rows(directory, "families.csv"):
        ref = row["family_ref"]
        family = FamilyData(ref, _date(row["identified_on"]), _date(row["attached_on"]),
                            _flag(row["local_discretion"]), tuple(people[ref]),
                            tuple(terms[ref]), tuple(asb[ref]), tuple(offences[ref]),
                            tuple(work[ref]))
        evaluation = evaluate(family, as_of, rules)
        counts["families"] += 1
        counts["eligible"] += evaluation.identification.eligible
        counts["claimable"] += bool(claimable(evaluation, [], rules))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today())
    opts = parser.parse_args()
    started = time.perf_counter()
    counts = run(opts.directory, opts.as_of)
    took = time.perf_counter() - started
    print(f"{counts['families']} families, {counts['eligible']} eligible, "
          f"{counts['claimable']} claimable in {took:.2f} s")


if __name__ == "__main__":
    main()
