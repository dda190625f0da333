"""The Splink model: its comparisons, unsupervised training and scoring, on DuckDB.

No Flask and no casework database here: records come in as plain columns (dicts of
lists) and candidates go out as plain dicts, so the benchmark runs the same code.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import normalise

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def _load() -> None:
    """Import DuckDB, pyarrow and Splink, on the first use of the model: they take a third
    of a second, which every `casework` command and web process would otherwise pay for
    (the importer, the pages and the worker import this module through matching's
    services)."""
    global duckdb, pa, cll, cl, DuckDBAPI, Linker, SettingsCreator, block_on
    import duckdb
    import pyarrow as pa
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

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


def _custom(sql: str, label: str) -> cll.CustomLevel:
    """A level written in DuckDB's SQL (translated when the model is exported for Spark)."""
    return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str="duckdb")


# A name written in the other name's field: given and family names swapped, or the family
# name given as the given name too.
# The given name is read whole here as well ('Graham-Jones' written as a given name is
# graham as a first name, grahamjones whole).
def _given_in_family() -> cll.CustomLevel:
    return _custom(
        '"family_name_r" IN ("given_name_l", "given_whole_l") OR '
        '"family_name_l" IN ("given_name_r", "given_whole_r")',
        "Given name is the other's family name (names swapped)")


# The family name's level needs both names crossed: one name in the other's field (a single
# equality, 'Thomas Kingsworth' against 'Oliver Thomas') is the given name's level alone.
# Counted in both comparisons it was worth 13 bits, and linked rows about nobody registered
# to anyone sharing a date of birth with one crossed name.
def _family_in_given() -> cll.CustomLevel:
    return _custom(
        '"family_name_l" IN ("given_name_r", "given_whole_r") AND '
        '"family_name_r" IN ("given_name_l", "given_whole_l")',
        "Family name is the other's given name (names swapped)")


# Two typing errors (a quarter of the typos in partner files): only in names of five
# letters or more, where two letters different still leaves most of the name.
TWO_TYPOS_FROM = 5


def _two_typos(column: str) -> cll.CustomLevel:
    return _custom(
        f'least(length("{column}_l"), length("{column}_r")) >= {TWO_TYPOS_FROM} AND '
        f'damerau_levenshtein("{column}_l", "{column}_r") <= 2',
        "Two letters different, missing, added or swapped (names of five letters or more)"
    ).configure(tf_adjustment_column=column)


def _given_name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_description="Given name",
        comparison_levels=[
            cll.NullLevel("given_name"),
            cll.ExactMatchLevel("given_name").configure(tf_adjustment_column="given_name"),
            _custom('"given_whole_l" = "given_whole_r"',
                    "The same once spaces and hyphens are taken out ('Ja xson', 'Mary Jane')"),
            _custom('"name_group_l" = "name_group_r"', "Same name group (nickname or variant)"),
            _given_in_family(),
            cll.DamerauLevenshteinLevel("given_name", 1).configure(
                label_for_charts="One letter different, missing, added or two swapped",
                tf_adjustment_column="given_name"),
            _two_typos("given_name"),
            cll.JaroWinklerLevel("given_name", 0.92),
            _custom('starts_with("given_name_l", "given_name_r") OR '
                    'starts_with("given_name_r", "given_name_l")',
                    "One is the start of the other (an initial or a short form)"),
            cll.JaroWinklerLevel("given_name", 0.8),
            cll.ElseLevel(),
        ],
    )


def _family_name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="family_name",
        comparison_description="Family name",
        comparison_levels=[
            cll.NullLevel("family_name"),
            cll.ExactMatchLevel("family_name").configure(tf_adjustment_column="family_name"),
            _custom('list_contains("family_parts_r", "family_name_l") OR '
                    'list_contains("family_parts_l", "family_name_r") OR '
                    '(least(length("family_name_l"), length("family_name_r")) >= 4 AND '
                    '(starts_with("family_name_l", "family_name_r") OR '
                    'starts_with("family_name_r", "family_name_l")))',
                    "One half of a double-barrelled name, or the name cut short"),
            _family_in_given(),
            cll.DamerauLevenshteinLevel("family_name", 1).configure(
                label_for_charts="One letter different, missing, added or two swapped",
                tf_adjustment_column="family_name"),
            _two_typos("family_name"),
            cll.JaroWinklerLevel("family_name", 0.92),
            cll.JaroWinklerLevel("family_name", 0.8),
            cll.ElseLevel(),
        ],
    )


def _one_digit(same: str, also_same: str, label: str) -> cll.CustomLevel:
    """The date of birth one digit different or two neighbouring digits swapped, with the
    parts `same` and `also_same` equal: the digit is in the third part."""
    return _custom(f'"{same}_l" = "{same}_r" AND "{also_same}_l" = "{also_same}_r" AND '
                   'damerau_levenshtein("date_of_birth_l", "date_of_birth_r") <= 1', label)


def _date_of_birth_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="Date of birth",
        comparison_levels=[
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            _custom('"date_of_birth_l" = "dob_swapped_r"', "Day and month swapped"),
            _custom('"birth_year_l" = "birth_year_r" AND ('
                    '("birth_month_l" = "birth_month_r" AND '
                    'abs("birth_day_l" - "birth_day_r") = 1) OR '
                    '("birth_day_l" = "birth_day_r" AND '
                    'abs("birth_month_l" - "birth_month_r") = 1))',
                    "Day or month off by one"),
            # One digit wrong (or two swapped) leaves two of the three parts as they were;
            # which part it hit matters, as two random people share a year and day far
            # less often than a month and day.
            _one_digit("birth_year", "birth_day", "The month one digit different"),
            _one_digit("birth_year", "birth_month",
                       "The day one digit different or two swapped"),
            _one_digit("birth_month", "birth_day",
                       "The year one digit different or two swapped"),
            cll.AbsoluteDateDifferenceLevel("date_of_birth", input_is_string=True,
                                            threshold=1, metric="month"),
            cll.ElseLevel(),
        ],
    )


# Postcodes: a UK postcode is compared by its parts (Splink's PostcodeComparison); any other
# (a foreign one, or one typed beyond reading as a UK postcode) only as the same text or one
# character different. "postcode" holds UK postcodes only (models trained before other
# postcodes were kept read it), "postcode_text" any postcode (normalise.postcode_text).
_UK_SECTOR = "^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? [0-9]"
_UK_DISTRICT = "^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?"
_UK_AREA = "^[A-Za-z]{1,2}"


NON_UK_TYPO = "One character different, missing, added or two swapped (other postcodes)"
# Until a file with postcodes that are not UK ones trains it (the starting model is trained
# on UK postcodes only), that level is taken to happen by chance between 1% of pairs (a
# four- or five-character code has some forty codes a character away, among the few
# thousand one region uses; 1.3% of FEBRL's pairs of Australian postcodes are) and among
# true matches as often as a UK postcode one character different.
NON_UK_TYPO_U = 0.01


def _uk_part(pattern: str, label: str) -> cll.CustomLevel:
    return _custom(f"NULLIF(regexp_extract(\"postcode_l\", '{pattern}', 0), '') = "
                   f"NULLIF(regexp_extract(\"postcode_r\", '{pattern}', 0), '')", label)


def _postcode_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_description="Postcode",
        comparison_levels=[
            # One side a UK postcode and the other not (a district alone, 'ME15', or a
            # postcode typed past reading) says nothing either way: missing, as a blank one,
            # and labelled so (the review page says "No postcode": wording.level_words).
            _custom('"postcode_text_l" IS NULL OR "postcode_text_r" IS NULL OR '
                    '("postcode_l" IS NULL) <> ("postcode_r" IS NULL)',
                    "postcode is NULL"
                    ).configure(is_null_level=True),
            # How common the postcode is counts: a block of flats, a small town's one
            # postcode abroad.
            _custom('"postcode_text_l" = "postcode_text_r"', "Exact match on full postcode"
                    ).configure(tf_adjustment_column="postcode_text"),
            _uk_part(_UK_SECTOR, "Exact match on sector"),
            _uk_part(_UK_DISTRICT, "Exact match on district"),
            # A UK postcode's district typed wrong ('ME15' as 'ME16'): rare between two
            # random people, as the rest of the postcode agrees. Not for other postcodes:
            # four digits one apart are common by chance (1.3% of FEBRL's pairs of
            # Australian postcodes), which this level, learnt on UK postcodes, would not know.
            _custom('"postcode_l" IS NOT NULL AND "postcode_r" IS NOT NULL AND '
                    'damerau_levenshtein("postcode_l", "postcode_r") <= 1',
                    "One character different, missing, added or two swapped (UK postcodes)"),
            _custom('"postcode_l" IS NULL AND "postcode_r" IS NULL AND '
                    'damerau_levenshtein("postcode_text_l", "postcode_text_r") <= 1',
                    NON_UK_TYPO),
            _uk_part(_UK_AREA, "Exact match on area"),
            cll.ElseLevel(),
        ],
    )


# Every pair sharing any of these is scored. The first five find a row with an error in
# one field; the others a row with errors in two (a name typo and a wrong digit in the
# date of birth, and no postcode): each pairs a name that survived with the part of the
# date of birth that did, and the last finds given and family names swapped. Initials or
# the postcode district with the date of birth add nothing: the date of birth alone blocks.
def _blocking_rules() -> tuple:
    return (
        block_on("date_of_birth"),
        block_on("given_name", "family_name"),
        block_on("family_name", "postcode_text"),
        block_on("name_group", "postcode_text"),
        "l.dob_swapped = r.date_of_birth",
        block_on("family_soundex", "birth_year"),
        block_on("family_name", "birth_month_day"),
        block_on("given_name", "birth_year_month"),
        block_on("given_name", "birth_month_day"),
        block_on("given_name", "birth_year", "birth_day"),
        "l.given_name = r.family_name AND l.family_name = r.given_name",
    )


def settings() -> SettingsCreator:
    """The model before training: what is compared, how closely, and which pairs are
    looked at all (blocking)."""
    _load()
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _given_name_comparison(),
            _family_name_comparison(),
            _date_of_birth_comparison(),
            _postcode_comparison(),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=list(_blocking_rules()),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        max_iterations=20,
        em_convergence=0.001,
    )


def prepare(rows: Sequence[dict[str, Any]]) -> dict[str, list]:
    """Records as the model's columns: `rows` have unique_id, given_name, family_name,
    date_of_birth (a date), and postcode and sex (or None)."""
    given = list(map(normalise.given_name, [r["given_name"] for r in rows]))
    family_text = [r["family_name"] for r in rows]
    family = list(map(normalise.family_name, family_text))
    born = [r["date_of_birth"] for r in rows]
    postcodes = [r.get("postcode") for r in rows]
    return {
        "unique_id": [r["unique_id"] for r in rows],
        "given_name": given,
        "name_group": list(map(normalise.name_group, given)),
        "given_whole": list(map(normalise.whole_name, [r["given_name"] for r in rows])),
        "family_name": family,
        "family_parts": list(map(normalise.family_parts, family_text)),
        "family_soundex": list(map(normalise.soundex, family)),
        "date_of_birth": [d.isoformat() for d in born],
        "dob_swapped": list(map(normalise.swapped, born)),
        "birth_year": [d.year for d in born],
        "birth_month": [d.month for d in born],
        "birth_day": [d.day for d in born],
        "birth_year_month": [f"{d.year}-{d.month:02d}" for d in born],
        "birth_month_day": [f"{d.month:02d}-{d.day:02d}" for d in born],
        "postcode": list(map(normalise.postcode, postcodes)),
        "postcode_text": list(map(normalise.postcode_text, postcodes)),
        "sex": [(r.get("sex") or "").lower() or None for r in rows],
    }


class _Session:
    """A DuckDB database in memory holding the two sides of a linkage."""

    def __init__(self, incoming: dict[str, list], register: dict[str, list]):
        _load()
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


# Reviewed decisions teach the m probabilities only when there are at least this many.
MIN_LABELS = 20


def exact_recall(incoming: dict[str, list], register: dict[str, list],
                 outcomes: dict[Any, Outcome]) -> float:
    """The share of true matches that agree exactly on given name, family name and date of
    birth, as seen in the rows the model in use links: the recall Splink needs to turn the
    count of exact agreements into the prior. A file with many errors has far fewer exact
    agreements than the usual 70%, and taking 70% would tell the model that few of the
    file's rows are about registered people at all. EXACT_RULE_RECALL when too few rows
    are linked to tell."""
    where = {uid: i for i, uid in enumerate(register["unique_id"])}
    row = {uid: i for i, uid in enumerate(incoming["unique_id"])}
    linked = [(row[i], where[o.register_id]) for i, o in outcomes.items()
              if o.decision == "linked" and i in row]
    if len(linked) < 50:
        return EXACT_RULE_RECALL
    fields = ("given_name", "family_name", "date_of_birth")
    exact = sum(all(incoming[f][a] == register[f][b] for f in fields) for a, b in linked)
    return min(0.95, max(0.2, exact / len(linked)))


def train(incoming: dict[str, list], register: dict[str, list],
          labels: Sequence[tuple[Any, Any]] = (),
          fallback: dict[str, Any] | None = None,
          recall: float = EXACT_RULE_RECALL) -> dict[str, Any]:
    """Train the model without labels on a partner file against the register: the prior
    from exact agreements (`recall`: the share of true matches that agree exactly, see
    exact_recall), u by random sampling, m by expectation maximisation on two blocking
    rules (each estimates the comparisons it does not block on).

    `labels` are pairs (incoming unique_id, register unique_id) a person decided are the
    same: with MIN_LABELS or more they are one more estimate of the m probabilities (Splink
    averages it with the others). A level the file never showed (m or u not learnt: nobody
    with the day and month swapped, no sex given) keeps its value from `fallback`, the
    model in use, instead of scoring every such pair as impossible."""
    session = _Session(incoming, register)
    try:
        linker = session.linker(settings())
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "family_name", "date_of_birth")],
            recall=recall,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS,
                                                         seed=U_SEED)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("date_of_birth"))
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("family_name", "given_name"))
        if len(labels) >= MIN_LABELS:
            session.con.register("reviewed_labels", pa.table({
                "source_dataset_l": ["incoming"] * len(labels),
                "unique_id_l": [i for i, _ in labels],
                "source_dataset_r": ["register"] * len(labels),
                "unique_id_r": [r for _, r in labels],
            }))
            linker.training.estimate_m_from_pairwise_labels("reviewed_labels")
        return _monotone(_unobserved(_filled(linker.misc.save_model_to_json(), fallback)))
    finally:
        session.close()


def _monotone(model: dict[str, Any]) -> dict[str, Any]:
    """No level counts for less than "All other comparisons": a name a typo away, or the
    start of the other, is never stronger evidence against than a different name. (Generated
    or tidy training data can leave a level almost unseen among true matches, and
    expectation maximisation then gives it an m near zero: a weight of -40 that would make
    the first real typo of another kind impossible.)"""
    for comparison in model["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        floor = levels[-1]
        if not floor.get("m_probability") or not floor.get("u_probability"):
            continue
        ratio = floor["m_probability"] / floor["u_probability"]
        for level in levels[:-1]:
            u = level.get("u_probability")
            if u and (level.get("m_probability") or 0) < u * ratio:
                level["m_probability"] = u * ratio
    return model


def _learnt(value) -> bool:
    return isinstance(value, (int, float)) and 0 < value < 1


def _unobserved(model: dict[str, Any]) -> dict[str, Any]:
    """The level for other postcodes one character different, when neither the file nor the
    version in use showed it: NON_UK_TYPO_U by chance, and among true matches as often as
    the UK postcodes' level (rather than Splink's 1e-6, which would make such a pair all but
    impossible)."""
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] != "postcode":
            continue
        levels = {lv.get("label_for_charts"): lv for lv in comparison["comparison_levels"]}
        other, uk = levels.get(NON_UK_TYPO), levels.get(
            "One character different, missing, added or two swapped (UK postcodes)")
        if not other or not uk:
            continue
        if not _learnt(other.get("u_probability")):
            other["u_probability"] = NON_UK_TYPO_U
        if not _learnt(other.get("m_probability")) and _learnt(uk.get("m_probability")):
            other["m_probability"] = uk["m_probability"]
    return model


def _filled(model: dict[str, Any], fallback: dict[str, Any] | None) -> dict[str, Any]:
    """The trained model with each level that was not learnt taken from `fallback` (the same
    comparison and level, by their labels)."""
    if not fallback:
        return model
    known = {(c["output_column_name"], level.get("label_for_charts")): level
             for c in fallback.get("comparisons", ()) for level in c["comparison_levels"]}
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            old = known.get((comparison["output_column_name"], level.get("label_for_charts")))
            for name in ("m_probability", "u_probability"):
                if not level.get(name) and old and old.get(name):
                    level[name] = old[name]
    return model


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


def nobody_share(model: dict[str, Any], register_size: int) -> float:
    """How likely a row is to be about nobody in the register before its fields are looked
    at: one less the prior for a pair times the people it could be (the model's prior is
    learnt as the share of a file's rows found in the register, spread over its people)."""
    prior = model["probability_two_random_records_match"]
    return min(1.0, max(0.05, 1 - prior / (1 - prior) * register_size))


def decide(candidates: Sequence[Candidate], register: dict[str, list], link_above: float,
           review_above: float, nobody: float = 1.0) -> dict[Any, Outcome]:
    """Each incoming row's outcome from its candidate pairs.

    A row describes one person at most, so the candidates share the probability with
    each other and with "nobody in the register": each gets Splink's odds for its pair
    (the prior odds for a pair times the evidence) over the sum of all the row's odds plus
    `nobody` (nobody_share: the prior chance that the row is about nobody registered). Two
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
        total = nobody * 2.0 ** -top + sum(odds)
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


# Duplicates inside the register ------------------------------------------------------------

# The share of a register's people assumed to be recorded twice, for the prior of a pair
# of people being one person (the model's own prior is for a partner row against a person).
DUPLICATE_SHARE = 0.01


def duplicates(register: dict[str, list], model: dict[str, Any], threshold: float
               ) -> list[Candidate]:
    """Pairs of people in the register that the same model says may be one person, with a
    match probability of at least `threshold`: person against person, the same comparisons
    and blocking (the rules that compare one side's column with the other's made
    symmetrical), and a prior for duplicates (DUPLICATE_SHARE of the people). A pair whose
    given names are simply different is left out: in one register that is twins or
    siblings (the same family name, date of birth and address), not one child twice."""
    settings = copy.deepcopy(model)
    settings["link_type"] = "dedupe_only"
    people = max(len(register["unique_id"]), 2)
    settings["probability_two_random_records_match"] = min(
        0.5, DUPLICATE_SHARE * 2 / (people - 1))
    rules = [dict(r) if isinstance(r, dict) else {"blocking_rule": r}
             for r in settings["blocking_rules_to_generate_predictions"]]
    mirrored = [{**r, "blocking_rule": "r.dob_swapped = l.date_of_birth"}
                for r in rules if "dob_swapped" in r["blocking_rule"]]
    settings["blocking_rules_to_generate_predictions"] = rules + mirrored
    _load()
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        con.execute("SET preserve_insertion_order = false")
        api = DuckDBAPI(connection=con)
        table = api.register(pa.table(register), table_name="register")
        linker = Linker(table, settings, log_level=None)
        relation = linker.inference.predict(threshold_match_probability=threshold,
                                            warning_mode="never").as_duckdbpyrelation()
        return [Candidate(a, b, w, p) for a, b, w, p in relation.filter(
            "gamma_given_name <> 0").select(
            "unique_id_l", "unique_id_r", "match_weight", "match_probability").fetchall()]
    finally:
        con.close()
