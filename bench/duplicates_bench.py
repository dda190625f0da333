"""Finding duplicate people inside casework: a generated register (the match
benchmark's, `synthetic.make_register`) with a share of its people recorded a second time
in another family (a move) or the same one, each copy with the errors partner data has,
and `engine.duplicates` (the code behind the Likely duplicate people page, once the
register is loaded) timed and scored against the truth.

    .venv/bin/python bench/duplicates_bench.py [--people N] [--twice 0.01]

Run it under farm-bench for the time and memory of the whole process.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casework.matching import engine, synthetic  # noqa: E402

STARTING = Path(__file__).resolve().parent.parent / "casework" / "matching" / "starting_model.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--twice", type=float, default=0.01)
    args = parser.parse_args()
    rng = random.Random(31)
    register = synthetic.make_register(args.people, seed=31)
    # The copies: the same person described by another file (errors from the partner-file
    # generator), in another family after a move (two in three) or in their own.
    chosen = rng.sample(register.people, int(args.people * args.twice))
    described = synthetic.make_partner_file(
        synthetic.Register(chosen, register.families, register.family_names), len(chosen),
        seed=32, known=1.0)
    by_ref = {p.person_ref: p for p in chosen}
    families = list(register.families)
    people = list(register.people)
    truth = set()
    for n, row in enumerate(described):
        original = by_ref[row.true_person_ref]
        family = rng.choice(families) if rng.random() < 2 / 3 else original.family_ref
        copy = dataclasses.replace(
            original, person_ref=f"D{n + 1:07d}", family_ref=family,
            given_name=row.given_name, family_name=row.family_name,
            date_of_birth=synthetic.dt.date.fromisoformat(row.date_of_birth),
            postcode=register.families[family])
        people.append(copy)
        truth.add(tuple(sorted((original.person_ref, copy.person_ref))))
    columns = engine.prepare([
        {"unique_id": p.person_ref, "given_name": p.given_name, "family_name": p.family_name,
         "date_of_birth": p.date_of_birth, "postcode": p.postcode, "sex": p.sex}
        for p in people])
    model = json.loads(STARTING.read_text(encoding="utf-8"))["model"]
    started = time.perf_counter()
    found = engine.duplicates(columns, model, 0.5)
    seconds = time.perf_counter() - started
    pairs = {tuple(sorted((c.incoming_id, c.register_id))) for c in found}
    likely = {tuple(sorted((c.incoming_id, c.register_id))) for c in found
              if c.match_probability >= 0.99}
    right = len(pairs & truth)
    print(f"{len(people)} people ({len(truth)} recorded twice): engine.duplicates "
          f"{seconds:.1f} s; {len(pairs)} pairs at 0.5 or more, {right} of them true "
          f"(recall {right / len(truth):.1%}); {len(likely)} at 0.99 or more, "
          f"{len(likely & truth)} true")


if __name__ == "__main__":
    main()
