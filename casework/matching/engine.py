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

from . import normalise

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
    given = list(map(normalise.given_name, [r["given_name"] for r in rows]))
    born = [r["date_of_birth"] for r in rows]
    return {
        "unique_id": [r["unique_id"] for r in rows],
        "given_name": given,
        "name_group": list(map(normalise.name_group, given)),
        "family_name": list(map(normalise.family_name, [r["family_name"] for r in rows])),
        "date_of_birth": [d.isoformat() for d in born],
        "dob_swapped": list(map(normalise.swapped, born)),
        "postcode": list(map(normalise.postcode, [r.get("postcode") for r in rows])),
        "sex": [(r.get("sex") or "").lower() or None for r in rows],
    }


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
        wanted = pa.table({"i": [p[0] for p in pairs], "r": [p[1] for p in pairs]})
        self._session.con.register("wanted_pairs", wanted)
        # Only Splink's own table name and its fixed id columns are put in the text; the pairs
        # travel as a registered Arrow table, never as SQL.
        relation = self._session.con.sql(
            f"SELECT p.* FROM {self._predictions.physical_name} p JOIN wanted_pairs w "  # nosec B608
            f"ON p.{me} = w.i AND p.{them} = w.r")
        records = [dict(zip(relation.columns, row)) for row in relation.fetchall()]
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
    """Each pair's match weights, step by step as Splink's waterfall chart draws them (the
    prior, each comparison and its term-frequency adjustment, the final score):
    [{"column", "label", "incoming", "register", "weight"}]. Read straight from the scored
    pairs' columns: Splink's own waterfall data re-parses the SQL of every level for every
    pair, a second a dozen pairs."""
    settings = linker._settings_obj
    prior = settings._probability_two_random_records_match
    labels = {
        c.output_column_name: {level.comparison_vector_value: level.label_for_charts
                               for level in c.comparison_levels}
        for c in settings.comparisons
    }
    side = ("_l", "_r") if left_is_incoming else ("_r", "_l")

    def shown(value):
        return "" if value is None else str(value)

    out: dict[tuple, list] = {}
    for record in records:
        steps = [{"column": "Prior", "label": "Starting match weight (prior)", "incoming": "",
                  "register": "", "weight": round(math.log2(prior / (1 - prior)), 2)}]
        for column, by_value in labels.items():
            values = (shown(record[column + side[0]]), shown(record[column + side[1]]))
            steps.append({"column": column, "label": by_value[record[f"gamma_{column}"]],
                          "incoming": values[0], "register": values[1],
                          "weight": round(record[f"mw_{column}"], 2)})
            adjustment = record.get(f"mw_tf_adj_{column}")
            if adjustment:
                steps.append({"column": f"tf_{column}",
                              "label": f"How common the {column.replace('_', ' ')} is",
                              "incoming": values[0], "register": values[1],
                              "weight": round(adjustment, 2)})
        steps.append({"column": "Final score", "label": "Final score", "incoming": "",
                      "register": "", "weight": round(record["match_weight"], 2)})
        out[(record[me], record[them])] = steps
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


def for_backend(model: dict[str, Any], dialect: str) -> dict[str, Any]:
    """A trained model for another Splink backend ("spark", "postgres", ...): the same
    comparisons written in that backend's SQL, with the trained parameters copied over."""
    out = settings().get_settings(dialect).as_dict()
    out["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    for comparison, trained in zip(out["comparisons"], model["comparisons"], strict=True):
        for level, learnt in zip(comparison["comparison_levels"], trained["comparison_levels"],
                                 strict=True):
            for name in ("m_probability", "u_probability", "tf_minimum_u_value"):
                if name in learnt:
                    level[name] = learnt[name]
    return out
