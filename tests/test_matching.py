"""Matching rows without person_ref to people: `casework match`, `casework match train`,
and `casework import KIND FILE --match` with its review queue."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from casework import models as m
from casework.extensions import db

from .matching_data import CASES, MATCH_HEADER, load_register, match_file


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def register(app):
    load_register()


def test_match_says_who_each_row_is_sorted_by_source_ref(cli, register, tmp_path):
    result = cli("match", match_file(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert [i["source_ref"] for i in items] == sorted(CASES)
    for item in items:
        assert set(item) == {"source_ref", "person_ref", "match_probability", "decision"}
        _row, person, decision = CASES[item["source_ref"]]
        assert (item["person_ref"], item["decision"]) == (person, decision), item
        assert 0 <= item["match_probability"] <= 1
    linked = [i["match_probability"] for i in items if i["decision"] == "linked"]
    assert min(linked) >= 0.99


def test_namesakes_in_two_families_go_to_review_even_when_the_postcode_fits_one(
        cli, register, tmp_path):
    items = json.loads(cli("match", match_file(tmp_path, ["S6"])).output)
    assert items[0]["decision"] == "review"


def test_match_writes_nothing(cli, register, tmp_path):
    before = [count(model) for model in (m.MatchModel, m.MatchReview, m.MatchLink, m.AuditEvent)]
    assert cli("match", match_file(tmp_path)).exit_code == 0
    after = [count(model) for model in (m.MatchModel, m.MatchReview, m.MatchLink, m.AuditEvent)]
    assert after == before


def test_match_names_every_bad_row_and_the_missing_column(cli, register, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(MATCH_HEADER + "S1,Amy,Brown,2011-02-30,,f\nS1,Amy,Brown,2011-07-08,,q\n"
                    "S3,,Brown,2011-07-08,,\n")
    result = cli("match", path)
    assert result.exit_code == 1
    assert f"{path}:2: date_of_birth: '2011-02-30' is not a real date" in result.output
    assert f"{path}:3: source_ref: S1 is already on line 2" in result.output
    assert f"{path}:3: sex: 'q' is not one of f, m, x" in result.output
    assert f"{path}:4: given_name: is required" in result.output
    path.write_text("source_ref,given_name,date_of_birth\nS1,Amy,2011-07-08\n")
    result = cli("match", path)
    assert result.exit_code == 1
    assert f"{path}:1: family_name: required column is missing" in result.output


def test_match_with_nobody_in_the_register_says_unmatched(cli, app, tmp_path):
    items = json.loads(cli("match", match_file(tmp_path, ["S1"])).output)
    assert items == [{"source_ref": "S1", "person_ref": None, "match_probability": 0.0,
                      "decision": "unmatched"}]


def test_training_stores_a_new_model_version_that_matching_then_uses(cli, register, tmp_path):
    from casework.matching import synthetic

    register = synthetic.make_register(2000, seed=5)
    rows = synthetic.make_partner_file(register, 400, seed=9)
    path = tmp_path / "partner.csv"
    path.write_text(MATCH_HEADER + "".join(
        f"{r.source_ref},{r.given_name},{r.family_name},{r.date_of_birth},{r.postcode},{r.sex}\n"
        for r in rows))
    result = cli("match", "train", path)
    assert result.exit_code == 0, result.output
    model = db.session.scalar(select(m.MatchModel))
    assert result.output.strip() == (f"matching model version {model.id} trained on 400 rows "
                                     "against 2006 people")
    assert model.register_size == 2006
    assert model.model["probability_two_random_records_match"] > 0
    assert "comparisons" in model.model
    listed = cli("match", "models")
    assert "trained on partner.csv (400 rows)" in listed.output
    items = json.loads(cli("match", match_file(tmp_path, ["S1", "S8"])).output)
    assert [i["decision"] for i in items] == ["linked", "unmatched"]


def test_training_refuses_a_file_too_small_to_learn_from(cli, register, tmp_path):
    result = cli("match", "train", match_file(tmp_path))
    assert result.exit_code == 1
    assert "training needs at least 100 rows" in result.output
    assert count(m.MatchModel) == 0


def test_a_model_exports_for_spark_with_the_same_parameters(cli, app):
    duckdb = json.loads(cli("match", "export").output)
    spark = json.loads(cli("match", "export", "--backend", "spark").output)
    assert spark["sql_dialect"] == "spark"
    assert (spark["probability_two_random_records_match"]
            == duckdb["probability_two_random_records_match"])
    levels = [(lvl.get("m_probability"), lvl.get("u_probability"))
              for c in spark["comparisons"] for lvl in c["comparison_levels"]]
    assert levels == [(lvl.get("m_probability"), lvl.get("u_probability"))
                      for c in duckdb["comparisons"] for lvl in c["comparison_levels"]]
    assert cli("match", "export", "99").exit_code == 1
