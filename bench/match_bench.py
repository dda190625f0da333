"""Matching benchmark: a generated register of people (default 500,000) in a casework
database, a generated partner file (default 50,000 rows) with realistic errors, and
`casework match` timed, its memory measured and its automatic links scored against the
truth. `--starting-model FILE` instead trains the model casework ships with.

    .venv/bin/python bench/match_bench.py [--people N] [--rows N] [--train]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casework.matching import engine, synthetic  # noqa: E402


def _incoming(rows):
    return engine.prepare([
        {"unique_id": i, "given_name": r.given_name, "family_name": r.family_name,
         "date_of_birth": dt.date.fromisoformat(r.date_of_birth), "postcode": r.postcode,
         "sex": r.sex} for i, r in enumerate(rows)])


def _register(register):
    return engine.prepare([
        {"unique_id": i, "given_name": p.given_name, "family_name": p.family_name,
         "date_of_birth": p.date_of_birth, "postcode": p.postcode, "sex": p.sex}
        for i, p in enumerate(register.people)])


# How often the starting model's file has a field replaced outright, against each of the
# harder corruptions. As often (1.0) made a different name or date of birth count only -4
# bits against a pair, and the harder benchmark lost recall (96.7% from 97.15%) to
# people who share a name or a date of birth with a row; never (0, before), -8.5 bits, and a
# copy with one field replaced and everything else right was not linked (FEBRL: 88%).
REPLACED_SHARE = 0.25


def starting_model(path: Path, people: int, rows: int) -> None:
    """Trained on a register like the harder benchmark's (other seeds) and a file half of
    whose rows have the ordinary errors and half the harder corruptions (and one field
    replaced outright, or a postcode typo), so that expectation maximisation sees every
    level of every comparison."""
    register = synthetic.make_hard_register(people, seed=11)
    hard = rows - rows // 2
    # The replaced fields come as rows of their own, REPLACED_SHARE as many of each kind as
    # of each harder corruption (about 1% of the rows about registered people each): mixed
    # into the harder half they made every other corruption rarer, and the model trusted a
    # typo or a wrong digit less (0.3 bits) than it had.
    replaced = round(hard * REPLACED_SHARE * len(synthetic.REPLACED_CORRUPTIONS)
                     / len(synthetic.HARD_CORRUPTIONS))
    partner = (synthetic.make_partner_file(register, rows // 2, seed=12)
               + synthetic.make_hard_partner_file(register, hard, seed=13)
               + synthetic.make_hard_partner_file(register, replaced, seed=14, prefix="R",
                                                  kinds=synthetic.REPLACED_CORRUPTIONS))
    incoming, columns = _incoming(partner), _register(register)
    model = engine.train(incoming, columns,
                         recall=_exact_share(partner, register, incoming, columns))
    path.write_text(json.dumps({
        "source": f"starting model: trained without labels on generated data ({rows} rows "
                  f"against {people} people, bench/match_bench.py)",
        "register_size": people, "model": model}, indent=1) + "\n")
    print(f"wrote {path}")


def _exact_share(partner, register, incoming, columns) -> float:
    """The share of the file's rows about registered people that agree exactly with their
    person on given name, family name and date of birth (the generator knows whom each row
    is about): the recall of the rule the prior is estimated from. Assuming 70% when this
    mixed file has fewer put the prior (the share of rows about someone registered) at 61%
    where the file has 80%, and the starting model sent to review rows it should link."""
    where = {p.person_ref: i for i, p in enumerate(register.people)}
    fields = ("given_name", "family_name", "date_of_birth")
    known = [(n, where[row.true_person_ref]) for n, row in enumerate(partner)
             if row.true_person_ref]
    exact = sum(all(incoming[f][a] == columns[f][b] for f in fields) for a, b in known)
    print(f"exact agreement on name and date of birth: {exact / len(known):.1%} of the "
          "rows about registered people")
    return exact / len(known)


def _csv(header, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--train", action="store_true",
                        help="also time `casework match train` on the file first")
    parser.add_argument("--starting-model", type=Path)
    args = parser.parse_args()
    if args.starting_model:
        starting_model(args.starting_model, args.people, args.rows)
        return

    folder = Path(tempfile.mkdtemp(prefix="casework-match-bench-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
    from casework import create_app
    from casework.importer.service import import_csv
    from casework.matching import service

    started = time.perf_counter()
    register = synthetic.make_register(args.people, seed=1)
    partner = synthetic.make_partner_file(register, args.rows, seed=2)
    app = create_app("development", SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"])
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        import_csv("families", _csv(["family_ref", "family_name", "postcode"], [
            (ref, register.family_names[ref], postcode)
            for ref, postcode in register.families.items()]), "families.csv")
        import_csv("people", _csv(
            ["person_ref", "family_ref", "given_name", "family_name", "date_of_birth", "sex"],
            [(p.person_ref, p.family_ref, p.given_name, p.family_name,
              p.date_of_birth.isoformat(), p.sex) for p in register.people]), "people.csv")
        print(f"set up {args.people} people and {args.rows} rows in "
              f"{time.perf_counter() - started:.0f} s")
        described = [service.Described(r.given_name, r.family_name,
                                       dt.date.fromisoformat(r.date_of_birth),
                                       r.postcode or None, r.sex or None) for r in partner]
        if args.train:
            started, cpu_before = time.perf_counter(), _cpu()
            model = service.train(described, "benchmark")
            print(f"casework match train: {time.perf_counter() - started:.1f} s "
                  f"(CPU {_cpu() - cpu_before:.1f} s)")
        model = service.model_for_use(store=False)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu_before = _cpu()
        started = time.perf_counter()
        results = service.match(described, model)
        seconds = time.perf_counter() - started
        cpu = _cpu() - cpu_before
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    shutil.rmtree(folder, ignore_errors=True)
    print(f"CPU time of casework match (all threads): {cpu:.1f} s; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    report(partner, results, seconds, rss_before, rss)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(partner, results, seconds, rss_before, rss) -> None:
    decisions = Counter(r.decision for r in results)
    true_links = sum(1 for p in partner if p.true_person_ref)
    right = sum(1 for p, r in zip(partner, results)
                if r.decision == "linked" and r.person_ref == p.true_person_ref)
    wrong = [(p, r) for p, r in zip(partner, results)
             if r.decision == "linked" and r.person_ref != p.true_person_ref]
    missed = Counter(
        (r.decision, *p.errors) for p, r in zip(partner, results)
        if p.true_person_ref and not (r.decision == "linked" and r.person_ref == p.true_person_ref))
    print(f"casework match: {len(partner)} rows in {seconds:.1f} s; peak memory "
          f"{rss / 1024:.0f} MB (before matching {rss_before / 1024:.0f} MB)")
    print(f"decisions: {dict(decisions)}")
    print(f"automatic links: precision {right / max(1, right + len(wrong)):.4f} "
          f"({len(wrong)} wrong of {right + len(wrong)}), recall {right / true_links:.4f} "
          f"({right} of {true_links} true matches)")
    print("wrong links by the errors in the row:",
          Counter(p.errors for p, _ in wrong).most_common(8))
    print("true matches not linked, by outcome and errors:", missed.most_common(12))


if __name__ == "__main__":
    main()
