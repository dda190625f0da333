"""`casework evaluate` as the contract writes it."""

import csv
import io
import json

import pytest

from .conftest import EXAMPLES


@pytest.mark.parametrize("as_of", ["2013-09-30", "2014-06-30"])
def test_the_worked_examples_give_exactly_the_expected_json(cli, examples, as_of):
    examples()
    result = cli("evaluate", "--as-of", as_of, "--format", "json")
    assert result.exit_code == 0, result.output
    expected = json.loads((EXAMPLES / f"expected-{as_of}.json").read_text())
    assert json.loads(result.output) == expected


def test_json_is_the_default_and_families_can_be_named(cli, examples):
    examples()
    result = cli("evaluate", "--as-of", "2013-09-30", "--family", "E07", "--family", "E01")
    data = json.loads(result.output)
    assert [d["family_ref"] for d in data] == ["E01", "E07"]


def test_an_unknown_family_is_refused(cli, examples):
    examples()
    result = cli("evaluate", "--as-of", "2013-09-30", "--family", "NOPE")
    assert result.exit_code == 1 and "No family with reference NOPE" in result.output


def test_a_malformed_date_is_wrong_usage(cli):
    assert cli("evaluate", "--as-of", "30/09/2013").exit_code == 2


def test_empty_database_gives_an_empty_array(cli):
    result = cli("evaluate", "--as-of", "2013-09-30")
    assert result.exit_code == 0 and json.loads(result.output) == []


def test_csv_format_has_a_row_per_family(cli, examples):
    examples()
    result = cli("evaluate", "--as-of", "2013-09-30", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    e03 = next(r for r in rows if r["family_ref"] == "E03")
    assert e03["continuous_employment"] == "met" and e03["eligible"] == "y"
    assert e03["claimable"] == "continuous_employment:800;crime_asb_education:700"


def test_table_format_is_readable(cli, examples):
    examples()
    result = cli("evaluate", "--as-of", "2013-09-30", "--format", "table")
    lines = result.output.splitlines()
    assert lines[0].startswith("family") and len(lines) == 8
    assert "progress_to_work £100" in next(line for line in lines if line.startswith("E07"))


def test_output_is_sorted_by_family_ref_code_points_on_every_database(cli, tmp_path):
    refs = ["F_2", "F-10", "f1", "F2", "E9", "F10"]
    (tmp_path / "f.csv").write_text("family_ref,family_name\n" + "".join(f"{r},X\n" for r in refs))
    assert cli("import", "families", tmp_path / "f.csv").exit_code == 0
    data = json.loads(cli("evaluate", "--as-of", "2013-09-30").output)
    assert [d["family_ref"] for d in data] == sorted(refs)
    named = json.loads(cli("evaluate", "--as-of", "2013-09-30", "--family", "f1", "--family", "F-10").output)
    assert [d["family_ref"] for d in named] == ["F-10", "f1"]
