"""The corruptions matching knows (docs/matching.md): names swapped, a double-barrelled name cut
short or given as one half, transposed digits, the day or month off by one, a typo with a
wrong digit and no postcode, a placeholder for a missing name; and the normalising and
blocking behind them."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from casework.importer.service import import_csv
from casework.matching import engine, normalise

from .matching_data import MATCH_HEADER, load_register

FAMILIES = "family_ref,family_name,postcode\nFX1,Graham-Jones,ME15 7AB\nFX2,Okonkwo,ME14 5QQ\n"
PEOPLE = ("person_ref,family_ref,given_name,family_name,date_of_birth,sex\n"
          "P-AMELIA,FX1,Amelia,Graham-Jones,2009-06-19,f\n"
          "P-CHIDI,FX2,Chidi,Okonkwo,2013-02-27,m\n"
          "P-NGOZI,FX2,Ngozi,Okonkwo,1984-10-03,f\n")
# source_ref -> (row, expected person_ref, expected decision)
CASES = {
    "C01": ("Okonkwo,Chidi,2013-02-27,ME14 5QQ,", "P-CHIDI", "linked"),  # names swapped
    "C02": ("Okonkwo,Chidi,2013-02-27,,", "P-CHIDI", "linked"),  # swapped, no postcode
    "C03": ("Okonkwo,Okonkwo,2013-02-27,ME14 5QQ,", "P-CHIDI", "linked"),  # family as given
    "C04": ("Amelia,Graham,2009-06-19,ME15 7AB,", "P-AMELIA", "linked"),  # one half
    "C05": ("Amelia,Jones,2009-06-19,ME15 7AB,", "P-AMELIA", "linked"),  # the other half
    "C06": ("Amelia,Graham-Jo,2009-06-19,ME15 7AB,", "P-AMELIA", "linked"),  # cut short
    "C08": ("Chidi,Okonkwo,2013-03-27,ME14 5QQ,", "P-CHIDI", "linked"),  # month off by one
    "C09": ("Chidi,Okonkwo,2013-02-26,ME14 5QQ,", "P-CHIDI", "linked"),  # day off by one
    "C10": ("Ngozi,Okonkwo,1948-10-03,ME14 5QQ,", "P-NGOZI", "linked"),  # transposed digits
    "C11": ("Ngozy,Okonkwo,1984-10-08,,", "P-NGOZI", None),  # typo, wrong digit, no postcode
    "C12": ("Unknown,Okonkwo,2013-02-27,ME14 5QQ,", "P-CHIDI", "linked"),  # given missing
    "C13": ("Emeka,Okonkwo,2001-07-14,ME14 5QQ,", None, "unmatched"),  # someone else
    # one field replaced outright, the other two and the postcode right (FEBRL's copies)
    "C14": ("Amelia,Stanley,2009-06-19,ME15 7AB,", "P-AMELIA", "linked"),  # family name
    "C15": ("Ngozi,Okonkwo,1979-01-22,ME14 5QQ,", "P-NGOZI", "linked"),  # date of birth
    "C16": ("Tess,Graham-Jones,2009-06-19,ME15 7AB,", "P-AMELIA", "linked"),  # given name
    # replaced without the postcode to back it: not linked
    "C17": ("Amelia,Stanley,2009-06-19,,", "P-AMELIA", "not linked"),
}


@pytest.fixture
def register(app):
    load_register()
    import_csv("families", FAMILIES.encode(), "families.csv")
    import_csv("people", PEOPLE.encode(), "people.csv")


def _match(cli, tmp_path, refs):
    path = tmp_path / "cases.csv"
    path.write_text(MATCH_HEADER + "".join(f"{r},{CASES[r][0]}\n" for r in refs))
    result = cli("match", path)
    assert result.exit_code == 0, result.output
    return {i["source_ref"]: i for i in json.loads(result.output)}


def test_each_corruption_is_linked_to_the_right_person(cli, register, tmp_path):
    refs = [r for r, (_, _, decision) in CASES.items() if decision in ("linked", "unmatched")]
    found = _match(cli, tmp_path, refs)
    for ref in refs:
        _row, person, decision = CASES[ref]
        assert (found[ref]["person_ref"], found[ref]["decision"]) == (person, decision), ref


def test_a_typo_with_a_wrong_digit_and_no_postcode_is_still_found(cli, register, tmp_path):
    """The blocking on a name with part of the date of birth makes it a candidate; whether
    it is sure enough to link depends on the model (here: at least sent to review)."""
    found = _match(cli, tmp_path, ["C11"])["C11"]
    assert found["person_ref"] == "P-NGOZI"
    assert found["decision"] in ("linked", "review")


def test_one_field_replaced_is_linked_only_with_the_postcode_to_back_it(cli, register,
                                                                       tmp_path):
    """A different family name with the given name and date of birth right is linked when
    the postcode agrees too; without a postcode the same row is at most sent to review."""
    found = _match(cli, tmp_path, ["C14", "C17"])
    assert (found["C14"]["person_ref"], found["C14"]["decision"]) == ("P-AMELIA", "linked")
    assert found["C17"]["decision"] in ("review", "unmatched")


def test_normalising_for_the_new_comparisons():
    assert normalise.family_parts("Graham-Jones") == ("graham", "jones")
    assert normalise.family_parts("O'Brien") == ("obrien",)
    assert normalise.whole_name("Ja xson") == "jaxson" and normalise.given_name("Ja xson") == "ja"
    assert normalise.given_name("UNKNOWN") is None and normalise.family_name("N/K") is None
    assert normalise.given_name("Baby") is None and normalise.given_name("Nia") == "nia"
    assert [normalise.soundex(n) for n in ("robert", "rupert", "ashcraft", "tymczak",
                                           "pfister", "smith", "smyth")] == [
        "r163", "r163", "a261", "t522", "p236", "s530", "s530"]
    assert normalise.soundex(None) is None


def _levels(row: dict, person: dict) -> dict[str, str]:
    """The level each comparison reaches for one row against one person (the starting
    model), by its label."""
    from casework.matching.service import STARTING_MODEL

    shipped = json.loads(STARTING_MODEL.read_text())["model"]
    incoming = engine.prepare([{"unique_id": "i", **row}])
    register = engine.prepare([{"unique_id": "r", **person}])
    kept, engine.CANDIDATE_PROBABILITY = engine.CANDIDATE_PROBABILITY, 0.0  # every level shown
    try:
        with engine.Scoring(incoming, register, shipped) as scoring:
            steps = scoring.waterfalls({("i", "r")})[("i", "r")]
    finally:
        engine.CANDIDATE_PROBABILITY = kept
    return {s["column"]: s["label"] for s in steps}


PERSON = {"given_name": "Amelia", "family_name": "Graham-Jones",
          "date_of_birth": dt.date(2009, 6, 19), "postcode": "ME15 7AB", "sex": "f"}


@pytest.mark.parametrize("change, column, label", [
    ({"given_name": "Graham-Jones", "family_name": "Amelia"}, "given_name",
     "Given name is the other's family name (names swapped)"),
    ({"given_name": "Graham-Jones", "family_name": "Amelia"}, "family_name",
     "Family name is the other's given name (names swapped)"),
    ({"family_name": "Jones"}, "family_name",
     "One half of a double-barrelled name, or the name cut short"),
    ({"family_name": "Graham-Jon"}, "family_name",
     "One half of a double-barrelled name, or the name cut short"),
    ({"given_name": "Amleia"}, "given_name",
     "One letter different, missing, added or two swapped"),
    ({"given_name": "Am elia"}, "given_name",
     "The same once spaces and hyphens are taken out ('Ja xson', 'Mary Jane')"),
    ({"date_of_birth": dt.date(2009, 6, 18)}, "date_of_birth", "Day or month off by one"),
    ({"date_of_birth": dt.date(2009, 6, 20)}, "date_of_birth", "Day or month off by one"),
    ({"date_of_birth": dt.date(2009, 5, 19)}, "date_of_birth", "Day or month off by one"),
    ({"date_of_birth": dt.date(2009, 7, 19)}, "date_of_birth", "Day or month off by one"),
    # two days out is not one off (and one digit): the day before the boundary of the level
    ({"date_of_birth": dt.date(2009, 6, 17)}, "date_of_birth",
     "The day one digit different or two swapped"),
    ({"date_of_birth": dt.date(2009, 6, 21)}, "date_of_birth",
     "Abs difference of 'transformed date_of_birth <= 1 month'"),
    ({"date_of_birth": dt.date(2009, 6, 29)}, "date_of_birth",
     "The day one digit different or two swapped"),
    ({"date_of_birth": dt.date(2009, 6, 11)}, "date_of_birth",  # 19 and 11: one digit
     "The day one digit different or two swapped"),
    ({"date_of_birth": dt.date(2009, 8, 19)}, "date_of_birth", "The month one digit different"),
    ({"date_of_birth": dt.date(2009, 11, 19)}, "date_of_birth",  # 06 and 11: two digits
     "All other comparisons"),
    ({"date_of_birth": dt.date(2090, 6, 19)}, "date_of_birth",
     "The year one digit different or two swapped"),
    ({"date_of_birth": dt.date(2019, 6, 19)}, "date_of_birth",
     "The year one digit different or two swapped"),
    # a digit wrong in two parts is not one digit different
    ({"date_of_birth": dt.date(2019, 6, 18)}, "date_of_birth", "All other comparisons"),
    # one name in the other's field is the given name's level only; both, the family's too
    ({"given_name": "Zoe", "family_name": "Amelia"}, "given_name",
     "Given name is the other's family name (names swapped)"),
    ({"given_name": "Zoe", "family_name": "Amelia"}, "family_name", "All other comparisons"),
    ({"family_name": "Gra"}, "family_name",  # cut short below four letters: not the level
     "Jaro-Winkler distance of family_name >= 0.8"),
    ({"family_name": "Grah"}, "family_name",  # four letters: the shortest that is
     "One half of a double-barrelled name, or the name cut short"),
    # two typing errors: only where the shorter name has five letters or more
    ({"given_name": "Amxlya"}, "given_name",
     "Two letters different, missing, added or swapped (names of five letters or more)"),
    ({"given_name": "Amxla"}, "given_name",  # five letters, two different from amelia
     "Two letters different, missing, added or swapped (names of five letters or more)"),
    ({"given_name": "Amea"}, "given_name",  # two letters missing, but four left: not the level
     "Jaro-Winkler distance of given_name >= 0.92"),
    ({"given_name": "Axlxa"}, "given_name", "All other comparisons"),  # three different
    ({"date_of_birth": dt.date(2009, 6, 19), "postcode": ""}, "postcode",
     "postcode is NULL"),
    # UK postcodes by their parts; one character different only where the district differs
    ({"postcode": "me15 7ad"}, "postcode", "Exact match on sector"),
    ({"postcode": "ME15 8AB"}, "postcode", "Exact match on district"),  # also one character
    ({"postcode": "ME16 7AB"}, "postcode",
     "One character different, missing, added or two swapped (UK postcodes)"),
    ({"postcode": "ME51 7AB"}, "postcode",  # two neighbouring characters swapped
     "One character different, missing, added or two swapped (UK postcodes)"),
    ({"postcode": "ME26 7AB"}, "postcode", "Exact match on area"),  # two characters
    ({"postcode": "TN15 7AB"}, "postcode", "All other comparisons"),
    # a district alone, or a postcode typed past reading, against a UK postcode: missing
    ({"postcode": "ME15"}, "postcode", "postcode is NULL"),
    ({"postcode": "ME15 7A"}, "postcode", "postcode is NULL"),
])
def test_each_corruption_reaches_its_level(change, column, label):
    levels = _levels({**PERSON, **change}, PERSON)
    assert levels[column] == label


FOREIGN = {**PERSON, "postcode": "4223"}


@pytest.mark.parametrize("postcode, label", [
    ("4223", "Exact match on full postcode"),
    (" 42 23 ", "Exact match on full postcode"),
    ("4224", "One character different, missing, added or two swapped (other postcodes)"),
    ("2423", "One character different, missing, added or two swapped (other postcodes)"),
    ("4232", "One character different, missing, added or two swapped (other postcodes)"),
    ("4242", "All other comparisons"),  # two digits different
    ("3223x", "All other comparisons"),  # one changed and one added
    ("ME15 7AB", "postcode is NULL"),
    ("N/A", "postcode is NULL"),
])
def test_a_postcode_that_is_not_a_uk_one_is_compared_as_text(postcode, label):
    levels = _levels({**FOREIGN, "postcode": postcode}, FOREIGN)
    assert levels["postcode"] == label


def test_postcodes_normalised_for_comparing():
    assert normalise.postcode_text("me157ab") == "ME15 7AB" == normalise.postcode("ME15  7ab")
    assert normalise.postcode("4223") is None and normalise.postcode_text("4223") == "4223"
    assert normalise.postcode_text("75011") == "75011"
    assert normalise.postcode_text("me15") == "ME15"  # a district alone: not a UK postcode
    assert normalise.postcode_text("D02 X285") == "D02X285"  # an Eircode
    assert normalise.postcode_text("12") is None  # two characters: too short to tell
    assert normalise.postcode_text("123") == "123"  # three: the shortest kept
    assert normalise.postcode_text("1234567890") == "1234567890"  # ten: the longest kept
    assert normalise.postcode_text("12345678901") is None
    for missing in ("N/A", "unknown", "-", "0000", "XXXX", "", None):
        assert normalise.postcode_text(missing) is None, missing


def test_a_common_postcode_counts_for_less_than_a_rare_one():
    """Term-frequency adjustment on the postcode, as on names: twenty people at one
    postcode (a block of flats, a small town abroad) make sharing it weaker evidence."""
    from casework.matching.service import STARTING_MODEL

    shipped = json.loads(STARTING_MODEL.read_text())["model"]
    born = dt.date(2012, 3, 4)
    people = [{"unique_id": f"F{n}", "given_name": f"Kid{chr(97 + n)}", "family_name": "Flat",
               "date_of_birth": dt.date(1990 + n, 1, 9), "postcode": "4740", "sex": None}
              for n in range(20)]
    people += [{"unique_id": "CROWDED", "given_name": "Ada", "family_name": "Cole",
                "date_of_birth": born, "postcode": "4740", "sex": None},
               {"unique_id": "RARE", "given_name": "Ada", "family_name": "Cole",
                "date_of_birth": born, "postcode": "2612", "sex": None}]
    rows = [{"unique_id": f"r-{p}", "given_name": "Ada", "family_name": "Cole",
             "date_of_birth": born, "postcode": p, "sex": None} for p in ("4740", "2612")]
    wanted = {("r-4740", "CROWDED"), ("r-2612", "RARE")}
    with engine.Scoring(engine.prepare(rows), engine.prepare(people), shipped) as scoring:
        steps = scoring.waterfalls(wanted)

    def postcode_weight(pair):
        return sum(s["weight"] for s in steps[pair] if s["column"] in ("postcode", "tf_postcode"))

    label = {s["column"]: s["label"] for s in steps[("r-4740", "CROWDED")]}["postcode"]
    assert label == "Exact match on full postcode"
    assert postcode_weight(("r-2612", "RARE")) > postcode_weight(("r-4740", "CROWDED")) + 3


def test_the_other_postcodes_level_has_a_weight_before_any_such_file_trains_it():
    """The starting model never saw a postcode that is not a UK one: its level one character
    different is given engine.NON_UK_TYPO_U by chance, and a UK typo's m, not Splink's
    1e-6 that would make the pair impossible."""
    from casework.matching.service import STARTING_MODEL

    shipped = json.loads(STARTING_MODEL.read_text())["model"]
    postcode = next(c for c in shipped["comparisons"] if c["output_column_name"] == "postcode")
    levels = {lv["label_for_charts"]: lv for lv in postcode["comparison_levels"]}
    other = levels[engine.NON_UK_TYPO]
    uk = levels["One character different, missing, added or two swapped (UK postcodes)"]
    assert other["u_probability"] == engine.NON_UK_TYPO_U
    assert other["m_probability"] == uk["m_probability"]
    unseen = {"comparisons": [{"output_column_name": "postcode", "comparison_levels": [
        {**uk}, {**other, "m_probability": "level not observed in training dataset",
                 "u_probability": None}]}]}
    filled = engine._unobserved(unseen)["comparisons"][0]["comparison_levels"][1]
    assert (filled["m_probability"], filled["u_probability"]) == (
        uk["m_probability"], engine.NON_UK_TYPO_U)
    learnt = {"comparisons": [{"output_column_name": "postcode", "comparison_levels": [
        {**uk}, {**other, "m_probability": 0.12, "u_probability": 0.013}]}]}
    kept = engine._unobserved(learnt)["comparisons"][0]["comparison_levels"][1]
    assert (kept["m_probability"], kept["u_probability"]) == (0.12, 0.013)


def test_a_missing_name_is_missing_not_different():
    levels = _levels({**PERSON, "given_name": "Unknown"}, PERSON)
    assert levels["given_name"] == "given_name is NULL"


def test_every_level_of_the_starting_model_weighs_at_least_a_different_value():
    from casework.matching.service import STARTING_MODEL

    shipped = json.loads(STARTING_MODEL.read_text())["model"]
    for comparison in shipped["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        floor = levels[-1]["m_probability"] / levels[-1]["u_probability"]
        for level in levels[:-1]:
            assert level["m_probability"] / level["u_probability"] >= floor * 0.999, level


def test_blocking_finds_a_pair_sharing_only_a_name_and_part_of_the_date_of_birth():
    """No shared date of birth, full name or postcode: only the new blocking rules (given
    name with year and month; family name with day and month; phonetic family name with
    year; given name with year and day) make the pair a candidate at all."""
    from casework.matching import synthetic
    from casework.matching.service import STARTING_MODEL

    shipped = json.loads(STARTING_MODEL.read_text())["model"]
    others = synthetic.make_register(500, seed=3).people
    register = engine.prepare([{"unique_id": "r", **PERSON}] + [
        {"unique_id": p.person_ref, "given_name": p.given_name, "family_name": p.family_name,
         "date_of_birth": p.date_of_birth, "postcode": p.postcode, "sex": p.sex}
        for p in others])
    for ref, row in (("given+month", {**PERSON, "family_name": "Grahm-Jonse",
                                      "date_of_birth": dt.date(2009, 6, 29), "postcode": ""}),
                     ("family+day", {**PERSON, "given_name": "Amilie",
                                     "date_of_birth": dt.date(2019, 6, 19), "postcode": ""}),
                     ("soundex+year", {**PERSON, "given_name": "Amilie",
                                       "family_name": "Graham-Jomes",
                                       "date_of_birth": dt.date(2009, 8, 19), "postcode": ""}),
                     # a typo that changes the family name's sound, and the month's digit
                     ("given+year+day", {**PERSON, "family_name": "Braham-Jones",
                                         "date_of_birth": dt.date(2009, 8, 19),
                                         "postcode": ""})):
        incoming = engine.prepare([{"unique_id": ref, **row}])
        settings = json.loads(json.dumps(shipped))
        with engine.Scoring(incoming, register, settings) as scoring:
            assert (ref, "r") in [(c.incoming_id, c.register_id) for c in scoring.candidates]


def test_a_typo_in_a_rare_name_counts_for_more_than_in_a_common_one():
    """Term-frequency adjustment on the typo levels, as on the exact ones: 'Smiht' for one of
    forty Smiths says less than 'Okonkow' for the one Okonkwo."""
    from casework.matching.service import STARTING_MODEL

    shipped = json.loads(STARTING_MODEL.read_text())["model"]
    born = dt.date(2012, 3, 4)
    people = [{"unique_id": f"S{n}", "given_name": f"Kid{chr(97 + n % 26)}",
               "family_name": "Smith", "date_of_birth": dt.date(2000 + n % 20, 1 + n % 12, 9),
               "postcode": None, "sex": None} for n in range(40)]
    people += [{"unique_id": "SMITH", "given_name": "Ada", "family_name": "Smith",
                "date_of_birth": born, "postcode": None, "sex": None},
               {"unique_id": "OKONKWO", "given_name": "Ada", "family_name": "Okonkwo",
                "date_of_birth": born, "postcode": None, "sex": None}]
    rows = [{"unique_id": "r-smith", "given_name": "Ada", "family_name": "Smiht",
             "date_of_birth": born, "postcode": None, "sex": None},
            {"unique_id": "r-okonkwo", "given_name": "Ada", "family_name": "Okonkow",
             "date_of_birth": born, "postcode": None, "sex": None}]
    wanted = {("r-smith", "SMITH"), ("r-okonkwo", "OKONKWO")}
    with engine.Scoring(engine.prepare(rows), engine.prepare(people), shipped) as scoring:
        steps = scoring.waterfalls(wanted)

    def family_weight(pair):
        return sum(s["weight"] for s in steps[pair] if s["column"] in
                   ("family_name", "tf_family_name"))

    label = {s["column"]: s["label"] for s in steps[("r-smith", "SMITH")]}["family_name"]
    assert label == "One letter different, missing, added or two swapped"
    assert family_weight(("r-okonkwo", "OKONKWO")) > family_weight(("r-smith", "SMITH")) + 3


def _decided(nobody: float, link_above: float = 0.8, review_above: float = 0.5) -> str:
    """The decision on a row whose one candidate has a match weight of 0: its probability is
    1 / (1 + nobody)."""
    register = {"unique_id": ["P1"], "given_name": ["amy"], "family_name": ["cole"],
                "date_of_birth": [dt.date(2010, 1, 2)]}
    found = [engine.Candidate("R1", "P1", 0.0, 0.5)]
    return engine.decide(found, register, link_above, review_above, nobody)["R1"].decision


def test_a_row_is_linked_from_the_link_threshold_on_and_reviewed_just_below_it():
    assert _decided(0.2499) == "linked"  # 0.80002: above
    assert _decided(0.25) == "linked"  # 1 / 1.25 = 0.8: on the threshold
    assert _decided(0.2501) == "review"  # 0.79994: just below
    assert _decided(1.0) == "review"  # 0.5: on the review threshold
    assert _decided(1.0001) == "unmatched"  # just below it


def test_the_default_link_threshold_is_0_9_and_review_from_0_5(app):
    from casework.matching import service

    link_above, review_above = service.thresholds()
    assert (link_above, review_above) == (0.9, 0.5)
    assert _decided(0.11, link_above) == "linked"  # 0.9009
    assert _decided(0.1112, link_above) == "review"  # 0.89992
