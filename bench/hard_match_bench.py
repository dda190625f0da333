"""The harder matching benchmark: a register built to stress blocking and
precision (common family names, eight families to a postcode, double-barrelled names,
twins and namesakes) and a partner file whose rows about registered people each carry one
named corruption (a name typo with a wrong digit in the date of birth, a blank postcode,
given and family names swapped, a double-barrelled name cut short or given as one half,
transposed digits, the day or month off by one, missing values ...), matched on given
name, family name, date of birth and postcode only. Reports precision, recall and the
share sent to review for each corruption, and the same for the current benchmark's file
(`synthetic.make_partner_file`) beside it. Deterministic: the seeds are fixed.

    .venv/bin/python bench/hard_match_bench.py [--people N] [--rows N] [--model FILE]
                                               [--train] [--check] [--link P]

The model scored is the starting model casework ships (or --model, a file in its form);
--train also trains a model on the hard file without labels, as `casework match train`
does, and scores that. The engine is called directly (the same code `casework match`
runs after loading the register), so no database is needed. --check exits 1 when the
hard file misses a target (precision 99.5%, recall 97%, review under 3%).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casework.config import Config  # noqa: E402
from casework.matching import engine, synthetic  # noqa: E402

STARTING = Path(__file__).resolve().parent.parent / "casework" / "matching" / "starting_model.json"
# casework's default thresholds (config.py); --link scores another
LINK, REVIEW = Config.MATCH_LINK_PROBABILITY, Config.MATCH_REVIEW_PROBABILITY


def prepared_register(register):
    return engine.prepare([
        {"unique_id": p.person_ref, "given_name": p.given_name, "family_name": p.family_name,
         "date_of_birth": p.date_of_birth, "postcode": p.postcode, "sex": p.sex}
        for p in register.people])


def prepared_rows(rows):
    return engine.prepare([
        {"unique_id": r.source_ref, "given_name": r.given_name, "family_name": r.family_name,
         "date_of_birth": dt.date.fromisoformat(r.date_of_birth), "postcode": r.postcode,
         "sex": r.sex} for r in rows])


def scaled(shipped: dict, people: int) -> dict:
    """The model with its prior for this register's size, as casework uses it."""
    model = copy.deepcopy(shipped["model"])
    model["probability_two_random_records_match"] = min(
        0.5, model["probability_two_random_records_match"] * shipped["register_size"]
        / max(people, 1))
    return model


def outcomes(model: dict, rows, register_columns, link: float = LINK) -> dict:
    with engine.Scoring(prepared_rows(rows), register_columns, model) as scoring:
        found = scoring.candidates
    nobody = engine.nobody_share(model, len(register_columns["unique_id"]))
    return engine.decide(found, register_columns, link, REVIEW, nobody), len(found)


def score(rows, decided) -> dict[str, dict]:
    """Per corruption (and 'all'): rows, true pairs, right and wrong links, review share."""
    tally: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        outcome = decided.get(row.source_ref)
        decision = outcome.decision if outcome else "unmatched"
        kind = (row.errors[0] if row.errors else "none") if row.true_person_ref \
            else "not in the register"
        for group in (kind, "all"):
            t = tally[group]
            t["rows"] += 1
            t["true"] += row.true_person_ref is not None
            t[decision] += 1
            if decision == "linked":
                t["right" if outcome.register_id == row.true_person_ref else "wrong"] += 1
    return tally


def table(title: str, tally: dict[str, Counter]) -> None:
    print(f"\n{title}")
    print("| corruption | rows | precision | recall | review | unmatched | wrong links |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    order = [g for g in (*synthetic.HARD_CORRUPTIONS, "not in the register") if g in tally]
    order += sorted(g for g in tally if g not in order and g != "all") + ["all"]
    for group in order:
        t = tally[group]
        linked = t["right"] + t["wrong"]
        precision = f"{t['right'] / linked:.2%}" if linked else "-"
        recall = f"{t['right'] / t['true']:.2%}" if t["true"] else "-"
        name = f"**{group}**" if group == "all" else group
        print(f"| {name} | {t['rows']} | {precision} | {recall} | {t['review'] / t['rows']:.2%} "
              f"| {t['unmatched'] / t['rows']:.2%} | {t['wrong']} |")


def meets(t: Counter) -> bool:
    linked = t["right"] + t["wrong"]
    return (linked and t["right"] / linked >= 0.995 and t["right"] / t["true"] >= 0.97
            and t["review"] / t["rows"] < 0.03)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--model", type=Path, default=STARTING)
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--link", type=float, default=LINK,
                        help=f"the link threshold (default casework's, {LINK})")
    args = parser.parse_args()

    shipped = json.loads(args.model.read_text(encoding="utf-8"))
    hard_register = synthetic.make_hard_register(args.people, seed=21)
    hard_rows = synthetic.make_hard_partner_file(hard_register, args.rows, seed=22)
    easy_register = synthetic.make_register(args.people, seed=1)
    easy_rows = synthetic.make_partner_file(easy_register, args.rows, seed=2)
    hard_columns = prepared_register(hard_register)
    easy_columns = prepared_register(easy_register)
    print(f"{args.rows} rows against {args.people} people; model: {shipped['source']}; "
          f"linked from {args.link}, review from {REVIEW}")

    models = [("starting model" if args.model == STARTING else str(args.model),
               shipped)]
    if args.train:
        started = time.perf_counter()
        incoming = prepared_rows(hard_rows)
        decided, _ = outcomes(scaled(shipped, args.people), hard_rows, hard_columns)
        recall = engine.exact_recall(incoming, hard_columns, decided)
        trained = engine.train(incoming, hard_columns, fallback=shipped["model"], recall=recall)
        print(f"trained on the hard file without labels in {time.perf_counter() - started:.0f} s"
              f" (recall of exact agreement on name and date of birth: {recall:.2f})")
        models.append(("trained on the hard file", {"model": trained,
                                                    "register_size": args.people}))
    hard_all = None
    for label, model in models:
        started = time.perf_counter()
        decided, pairs = outcomes(scaled(model, args.people), hard_rows, hard_columns,
                                  args.link)
        seconds = time.perf_counter() - started
        tally = score(hard_rows, decided)
        hard_all = hard_all or tally["all"]
        table(f"Harder benchmark, {label} ({pairs} candidate pairs, {seconds:.1f} s)", tally)
        decided, pairs = outcomes(scaled(model, args.people), easy_rows, easy_columns,
                                  args.link)
        table(f"Current benchmark (match_bench's file), {label} ({pairs} candidate pairs)",
              score(easy_rows, decided))
    if args.check and not meets(hard_all):
        sys.exit("the harder benchmark misses a target")


if __name__ == "__main__":
    main()
