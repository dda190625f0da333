"""The yardstick for the stored evaluation's refresh: a plain single-process Python script
that reads the six partner CSV files and runs the same pure rules over every family.

    .venv/bin/python bench/plain_evaluate.py DIRECTORY --as-of YYYY-MM-DD

DIRECTORY holds families.csv, people.csv, school-terms.csv, asb.csv, offences.csv and
work.csv in the contract's columns (bench/store_bench.py writes them from its database),
and what else the refresh reads, as files of the same kind: domestic-abuse.csv (the cost
estimate's incidents), housing.csv, child-status.csv, needs.csv, assessments.csv and
need-discretions.csv (the later programmes' evidence), episodes.csv (which programme a
family is in, and its attachment in each) and claims.csv (the claims already made).
It is what an analyst would write with the csv module: read each file into dictionaries
keyed by reference, build each family's evidence, and work out what the stored evaluation
holds (casework.evaluation.store): every family under the 2012 rules (identification,
results, claimable, what a build makes, the "nearly there" notes, the cost estimate's
counts), and each family of a later programme (an episode in it, or none at all and
identified in its time) under that programme's frame and its worked example Outcome Plan,
with its cost counts, each against the family's claims already made (claims.csv: the
2012 rules' kinds, and each later programme's own). No database, no workers, nothing
written. Prints the
families evaluated, the eligible and the claimable, each later programme's families and
eligible, and the seconds it took.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from casework.rules.claims import (  # noqa: E402  (after the path is set)
    PriorClaim,
    build_order,
    claimable,
)
from casework.rules.costs import stored_counts  # noqa: E402
from casework.rules.dates import parse_academic_year  # noqa: E402
from casework.rules.engine import evaluate  # noqa: E402
from casework.rules.evidence import (  # noqa: E402
    AsbData,
    AssessmentData,
    ChildStatusData,
    DiscretionData,
    DomesticAbuseData,
    FamilyData,
    HousingData,
    NeedData,
    OffenceData,
    OutcomeEvidence,
    PersonData,
    TermData,
    WorkData,
)
from casework.rules.nearly import nearly_there  # noqa: E402
from casework.rules.outcomes import evaluate_outcomes, outcome_claimable  # noqa: E402
from casework.rules.plan import load_plan  # noqa: E402
from casework.rules.ruleset import PROGRAMMES, get_ruleset, programme_of  # noqa: E402

PLANS = ROOT / "casework" / "outcomes" / "plans"  # the worked example plans
# The 2012 rules' kinds of claim (casework.models.PHASE1_CLAIM_KINDS: not imported, so that
# the script loads no database library).
PHASE1_CLAIM_KINDS = ("turn_around", "progress_to_work")


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
    abuse: dict[str, list] = defaultdict(list)
    for row in _rows(directory, "domestic-abuse.csv"):
        person = row["person_ref"] or None
        abuse[family_of[person] if person else row["family_ref"]].append(
            DomesticAbuseData(row["incident_ref"], _date(row["date"]), person))
    housing: dict[str, list] = defaultdict(list)
    for row in _rows(directory, "housing.csv"):
        person = row["person_ref"] or None
        housing[family_of[person] if person else row["family_ref"]].append(HousingData(
            row["housing_ref"], _date(row["date"]), row["kind"], _date(row["end_date"]),
            person))
    statuses: dict[str, list] = defaultdict(list)
    for row in _rows(directory, "child-status.csv"):
        statuses[family_of[row["person_ref"]]].append(ChildStatusData(
            row["status_ref"], row["person_ref"], row["status"], _date(row["start_date"]),
            _date(row["end_date"])))
    needs: dict[str, list] = defaultdict(list)
    need_family: dict[str, str] = {}
    for row in _rows(directory, "needs.csv"):
        needs[row["family_ref"]].append(NeedData(
            row["need_ref"], row["problem"], row["indicator"], _date(row["identified_on"]),
            row["person_ref"] or None))
        need_family[row["need_ref"]] = row["family_ref"]
    assessments: dict[str, list] = defaultdict(list)
    for row in _rows(directory, "assessments.csv"):
        assessments[need_family[row["need_ref"]]].append(AssessmentData(
            row["assessment_ref"], row["need_ref"], _date(row["date"]), row["outcome"],
            row["assessed_by"], row["note"] or None))
    discretions: dict[str, list] = defaultdict(list)
    for row in _rows(directory, "need-discretions.csv"):
        discretions[need_family[row["need_ref"]]].append(DiscretionData(
            row["need_ref"], _date(row["approved_on"]), row["approved_by"], row["reason"]))
    latest: dict[str, tuple] = {}  # each family's latest episode, and its latest in each
    episodes: dict[str, dict[str, tuple]] = defaultdict(dict)  # programme (in date order)
    for row in _rows(directory, "episodes.csv"):
        dates = (_date(row["signed_up_on"]), _date(row["closed_on"]))
        latest[row["family_ref"]] = dates
        episodes[row["family_ref"]][row["programme"]] = dates
    claims: dict[str, list] = defaultdict(list)  # the 2012 rules' claims, not rejected
    claims_under: dict[tuple[str, str], list] = defaultdict(list)  # a later programme's
    for row in _rows(directory, "claims.csv"):
        if row["state"] == "rejected":
            continue
        made = PriorClaim(row["result"], int(row["amount"]))
        if row["claim_kind"] in PHASE1_CLAIM_KINDS:
            claims[row["family_ref"]].append(made)
        claims_under[row["family_ref"], row["ruleset"]].append(made)
    later = {name: (get_ruleset(name), load_plan((PLANS / f"{name}.json").read_text("utf-8"),
                                                 name, get_ruleset(name)))
             for name in PROGRAMMES if name != rules.name}

    counts: Counter = Counter()
    for row in _rows(directory, "families.csv"):
        ref = row["family_ref"]
        identified = _date(row["identified_on"])
        theirs = episodes.get(ref, {})
        # The attachment under a programme: its episode's there, else the latest episode's.
        signed_up = theirs.get(rules.name, latest.get(ref, (None, None)))[0]
        family = FamilyData(ref, identified, signed_up, _flag(row["local_discretion"]),
                            tuple(people[ref]), tuple(terms[ref]), tuple(asb[ref]),
                            tuple(offences[ref]), tuple(work[ref]))
        incidents = [d.date for d in abuse[ref]]
        evaluation = evaluate(family, as_of, rules)
        found = claimable(evaluation, claims[ref], rules)
        built = build_order(evaluation, claims[ref], rules) if found else []
        notes = nearly_there(evaluation)
        costs = stored_counts(family, incidents, as_of, rules)
        counts["families"] += 1
        counts["eligible"] += evaluation.identification.eligible
        counts["claimable"] += bool(found)
        counts["built"] += sum(c.amount for c in built) > 0
        counts["notes"] += bool(notes)
        counts["costed"] += costs is not None
        for name, (frame, plan) in later.items():
            # Its families: an episode in it, or none at all and identified in its time.
            if not (name in theirs or (not theirs and identified
                                       and programme_of(identified) == name)):
                continue
            attached, closed = theirs.get(name, latest.get(ref, (None, None)))
            theirs_family = dataclasses.replace(family, attached_on=attached)
            evidence = OutcomeEvidence(closed, tuple(abuse[ref]), tuple(statuses[ref]),
                                       tuple(needs[ref]), tuple(assessments[ref]),
                                       tuple(discretions[ref]), tuple(housing[ref]))
            outcome = evaluate_outcomes(theirs_family, evidence, as_of, frame, plan)
            paid = outcome_claimable(outcome, claims_under[ref, name], frame)
            costs = stored_counts(theirs_family, incidents, as_of, frame)
            counts[name] += 1
            counts[f"{name} eligible"] += outcome.eligible
            counts[f"{name} claimable"] += bool(paid)
            counts[f"{name} costed"] += costs is not None
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today())
    opts = parser.parse_args()
    started = time.perf_counter()
    counts = run(opts.directory, opts.as_of)
    took = time.perf_counter() - started
    others = "; ".join(f"{name} {counts[name]} families, {counts[name + ' eligible']} eligible"
                       for name in PROGRAMMES if name != "phase1")
    print(f"{counts['families']} families, {counts['eligible']} eligible, "
          f"{counts['claimable']} claimable, {counts['built']} with a claim a build makes, "
          f"later programmes: {others} in {took:.2f} s")


if __name__ == "__main__":
    main()
