"""The Splink model: its comparisons, unsupervised training and scoring, on DuckDB.

No Flask and no casework database here: records come in as plain columns (dicts of
lists) and candidates go out as plain dicts, so the benchmark runs the same code.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.waterfall_chart import records_to_waterfall_data

from . import normalise

# Columns the model compares, as each side of a pair is given to Splink.
COLUMNS = ("unique_id", "given_name", "name_group", "family_name", "date_of_birth",
           "dob_swapped", "postcode", "sex")
# Pairs Splink scores below this are not candidates at all: well below any threshold, and
# it keeps a namesake (who differs only in postcode) among the candidates for a row.
CANDIDATE_PROBABILITY = 0.0001
# Splink's working tables for 50,000 rows against 500,000 people stay well inside this.
DUCKDB_MEMORY = "3GB"
# u from this many random pairs: Splink's advice is 1e7 or more for a final model.
U_SAMPLE_PAIRS = 1e7
U_SEED = 42
# The share of a partner file's rows assumed to be about someone already in the register,
# for the deterministic estimate of the prior (recall of exact name and date of birth).
EXACT_RULE_RECALL = 0.7

logging.getLogger("splink").setLevel(logging.ERROR)  # its training notes are not for users


def _given_name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_description="Given name",
        comparison_levels=[
            cll.NullLevel("given_name"),
            cll.ExactMatchLevel("given_name").configure(tf_adjustment_column="given_name"),
            cll.CustomLevel('"name_group_l" = "name_group_r"',
                            label_for_charts="Same name group (nickname or variant)"),
            cll.JaroWinklerLevel("given_name", 0.92),
            cll.JaroWinklerLevel("given_name", 0.8),
            cll.ElseLevel(),
        ],
    )


def _date_of_birth_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="Date of birth",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            cll.CustomLevel('"date_of_birth_l" = "dob_swapped_r"',
                            label_for_charts="Day and month swapped"),
            cll.DamerauLevenshteinLevel("date_of_birth", 1).configure(
                label_for_charts="One digit different or two swapped"),
            cll.AbsoluteDateDifferenceLevel("date_of_birth", input_is_string=True,
                                            threshold=1, metric="month"),
            cll.ElseLevel(),
        ],
    )


def settings() -> SettingsCreator:
    """The model before training: what is compared, how closely, and which pairs are
    looked at all (blocking)."""
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _given_name_comparison(),
            cl.NameComparison("family_name", jaro_winkler_thresholds=[0.92, 0.8]),
            _date_of_birth_comparison(),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("sex"),
        ],
        # Every pair sharing any of these is scored: a row with an error in one field
        # (or two, if the others hold) is still found.
        blocking_rules_to_generate_predictions=[
            block_on("date_of_birth"),
            block_on("given_name", "family_name"),
            block_on("family_name", "postcode"),
            block_on("name_group", "postcode"),
            "l.dob_swapped = r.date_of_birth",
        ],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        max_iterations=20,
        em_convergence=0.001,
    )


def prepare(rows: Sequence[dict[str, Any]]) -> dict[str, list]:
    """Records as the model's columns: `rows` have unique_id, given_name, family_name,
    date_of_birth (a date), and postcode and sex (or None)."""
    out: dict[str, list] = {c: [] for c in COLUMNS}
    for row in rows:
        given = normalise.given_name(row["given_name"])
        born = row["date_of_birth"]
        out["unique_id"].append(row["unique_id"])
        out["given_name"].append(given)
        out["name_group"].append(normalise.name_group(given))
        out["family_name"].append(normalise.family_name(row["family_name"]))
        out["date_of_birth"].append(born.isoformat())
        out["dob_swapped"].append(normalise.swapped(born))
        out["postcode"].append(normalise.postcode(row.get("postcode")))
        out["sex"].append((row.get("sex") or "").lower() or None)
    return out


class _Session:
    """A DuckDB database in memory holding the two sides of a linkage."""

    def __init__(self, incoming: dict[str, list], register: dict[str, list]):
        self.con = duckdb.connect(":memory:")
        self.con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.api = DuckDBAPI(connection=self.con)
        self.incoming = self.api.register(pa.table(incoming), table_name="incoming")
        self.register = self.api.register(pa.table(register), table_name="register")

    def linker(self, model) -> Linker:
        return Linker([self.incoming, self.register], model, log_level=None)

    def close(self) -> None:
        self.con.close()


def train(incoming: dict[str, list], register: dict[str, list]) -> dict[str, Any]:
    """Train the model without labels on a partner file against the register: the prior
    from exact agreements, u by random sampling, m by expectation maximisation on two
    blocking rules (each estimates the comparisons it does not block on)."""
    session = _Session(incoming, register)
    try:
        linker = session.linker(settings())
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "family_name", "date_of_birth")],
            recall=EXACT_RULE_RECALL,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS,
                                                         seed=U_SEED)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("date_of_birth"))
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("family_name", "given_name"))
        return linker.misc.save_model_to_json()
    finally:
        session.close()


@dataclasses.dataclass(frozen=True)
class Candidate:
    incoming_id: Any
    register_id: Any
    match_weight: float
    match_probability: float  # Splink's, for this pair alone


class Scoring:
    """The pairs a trained model scores for incoming rows against the register; the
    DuckDB database behind them stays open for waterfalls until close()."""

    def __init__(self, incoming: dict[str, list], register: dict[str, list],
                 model: dict[str, Any]):
        self._session = _Session(incoming, register)
        self._linker = self._session.linker(model)
        self._predictions = self._linker.inference.predict(
            threshold_match_probability=CANDIDATE_PROBABILITY, warning_mode="never")
        relation = self._predictions.as_duckdbpyrelation()
        self._left_is_incoming = _left_is_incoming(relation)
        self._me, self._them = ("unique_id_l", "unique_id_r") if self._left_is_incoming \
            else ("unique_id_r", "unique_id_l")
        self.candidates = [
            Candidate(i, r, w, p)
            for i, r, w, p in relation.select(self._me, self._them, "match_weight",
                                              "match_probability").fetchall()
        ]

    def waterfalls(self, pairs: set[tuple]) -> dict[tuple, list]:
        """The match weights explaining each (incoming_id, register_id) pair in `pairs`."""
        if not pairs:
            return {}
        me, them = self._me, self._them
        records = [row for row in self._predictions.as_record_list()
                   if (row[me], row[them]) in pairs]
        return _waterfalls(records, self._linker, self._left_is_incoming, me, them)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Scoring:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def _left_is_incoming(relation) -> bool:
    names = relation.columns
    if "source_dataset_l" not in names:
        return True
    found = relation.select("source_dataset_l").limit(1).fetchall()
    return not found or found[0][0] == "incoming"


def _waterfalls(records, linker, left_is_incoming, me, them) -> dict[tuple, list]:
    """Each pair's match weights, comparison by comparison, as Splink's waterfall chart
    shows them: [{"column", "label", "incoming", "register", "weight"}]."""
    out: dict[tuple, list] = {}
    steps = records_to_waterfall_data(records, linker._settings_obj, hide_details=False)
    for step in steps:
        record = records[step["record_number"]]
        key = (record[me], record[them])
        # A comparison reading two columns shows both values ("jack, john"): keep the first.
        incoming, registered = (str(v).split(", ")[0] if v is not None else None
                                for v in (step["value_l"], step["value_r"]))
        if not left_is_incoming:
            incoming, registered = registered, incoming
        weight = step["log2_bayes_factor"]
        out.setdefault(key, []).append({
            "column": step["column_name"],
            "label": step["label_for_charts"],
            "incoming": "" if incoming is None else str(incoming),
            "register": "" if registered is None else str(registered),
            "weight": None if weight is None or math.isnan(weight) else round(weight, 2),
        })
    return out


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What the model says about one incoming row."""

    decision: str  # linked, review or unmatched
    register_id: Any  # the best candidate, or None when there is none
    match_probability: float
    candidates: tuple[tuple[Any, float, float], ...]  # (register_id, probability, weight)


def decide(candidates: Sequence[Candidate], register: dict[str, list], link_above: float,
           review_above: float) -> dict[Any, Outcome]:
    """Each incoming row's outcome from its candidate pairs.

    A row describes one person at most, so the candidates share the probability: each
    gets Splink's odds for its pair over one plus the sum of all the row's odds. Two
    people who fit equally well can each be no more than 50% likely, and go to review
    when together they pass the review threshold.
    A best candidate with a namesake among the others (same name and date of birth, a
    different record) also goes to review whatever the postcodes say: telling such
    people apart is for a person.
    """
    by_row: dict[Any, list[Candidate]] = {}
    for c in candidates:
        by_row.setdefault(c.incoming_id, []).append(c)
    position = {uid: i for i, uid in enumerate(register["unique_id"])}

    def identity(register_id):
        i = position[register_id]
        return (register["given_name"][i], register["family_name"][i],
                register["date_of_birth"][i])

    out = {}
    for row, found in by_row.items():
        found.sort(key=lambda c: -c.match_weight)
        top = found[0].match_weight
        # odds 2**weight, scaled by 2**-top so that large weights do not overflow
        odds = [2.0 ** (c.match_weight - top) for c in found]
        total = 2.0 ** -top + sum(odds)
        shared = [(c.register_id, o / total, c.match_weight) for c, o in zip(found, odds)]
        best_id, best_p, _ = shared[0]
        if best_p >= link_above:
            decision = "linked"
        elif sum(s[1] for s in shared) >= review_above:  # someone, but not sure who
            decision = "review"
        else:
            decision = "unmatched"
        if decision == "linked" and any(
            identity(other) == identity(best_id) for other, _, _ in shared[1:]
        ):
            decision = "review"
        kept = tuple(s for s in shared if s is shared[0] or s[1] >= review_above
                     or identity(s[0]) == identity(best_id))[:5]
        out[row] = Outcome(decision, best_id, best_p, kept)
    return out
