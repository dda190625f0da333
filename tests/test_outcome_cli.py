"""`casework evaluate --ruleset` and the later programmes' CSV kinds, end to end."""

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from .conftest import OUTCOMES
from .factories import create_user


@pytest.mark.parametrize("name, as_of", [("phase2", "2016-09-30"),
                                         ("supporting_families", "2023-09-30")])
def test_each_frames_worked_example_gives_exactly_the_expected_json(cli, frame_examples, name,
                                                                    as_of):
    frame_examples(name)
    result = cli("evaluate", "--ruleset", name, "--as-of", as_of)
    assert result.exit_code == 0, result.output
    expected = json.loads((OUTCOMES / name / f"expected-{as_of}.json").read_text())
    assert json.loads(result.output) == expected


@pytest.mark.parametrize("name, as_of", [("phase2", "2016-09-30"),
                                         ("supporting_families", "2023-09-30")])
def test_eligible_is_a_plain_boolean_with_the_problems_beside_it(cli, frame_examples, name,
                                                                 as_of):
    frame_examples(name)
    out = json.loads(cli("evaluate", "--ruleset", name, "--as-of", as_of).output)
    eligible = [e for e in out if e["eligible"] is True]
    not_eligible = [e for e in out if e["eligible"] is False]
    assert len(eligible) + len(not_eligible) == len(out) and eligible and not_eligible
    least = 2 if name == "phase2" else 3
    for e in out:
        assert isinstance(e["problems"], list)
        assert (len(set(e["problems"])) >= least) is e["eligible"]
        assert e["eligibility_reason"].startswith("Needs under ")


def test_phase1_stays_the_default_and_its_json_has_none_of_the_new_keys(cli, frame_examples):
    frame_examples("phase2")
    default = json.loads(cli("evaluate", "--as-of", "2016-09-30").output)
    named = json.loads(cli("evaluate", "--ruleset", "phase1", "--as-of", "2016-09-30").output)
    assert default == named
    assert set(default[0]) == {"family_ref", "as_of", "identification", "attached_on",
                               "results", "claimable"}


def test_other_rulesets_give_json_only(cli):
    result = cli("evaluate", "--ruleset", "phase2", "--as-of", "2016-09-30", "--format", "csv")
    assert result.exit_code == 2 and "json only" in result.output


def test_an_invalid_council_plan_is_refused_naming_file_line_and_field(cli, tmp_path):
    admin = create_user("admin")
    plan = tmp_path / "outcome-plan-phase2.json"
    plan.write_text('{"title": "Ours", "ruleset": "phase2", "version": "2",\n'
                    ' "effective_from": "2015-04-01",\n'
                    ' "problems": {"health": {"indicators": {"gp": {"type": "hunch"}}}}}\n')
    result = cli("plans", "load", "phase2", plan, "--by", admin.email)
    assert result.exit_code == 1
    assert f'{plan.name}:3: problems.health.indicators.gp.type: "hunch" is not an indicator ' \
        "type" in result.output
    assert db.session.scalars(select(m.OutcomePlanVersion)).all() == []
    out = json.loads(cli("evaluate", "--ruleset", "phase2", "--as-of", "2016-09-30").output)
    assert out == []  # no families, but the shipped example still evaluates


def test_the_councils_own_plan_is_used_and_its_version_and_hash_recorded(cli, frame_examples,
                                                                         tmp_path):
    frame_examples("phase2")
    admin = create_user("admin")
    shipped = json.loads((Path(m.__file__).parent / "outcomes" / "plans" / "phase2.json")
                         .read_text())
    shipped["version"] = "2017.2"
    shipped["problems"]["health"]["indicators"]["health_improved"]["sustain_months"] = 12
    plan = tmp_path / "outcome-plan-phase2.json"
    plan.write_text(json.dumps(shipped, indent=1))
    result = cli("plans", "load", "phase2", plan, "--by", admin.email)
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(plan.read_bytes()).hexdigest()
    loaded, evaluated = result.output.strip().splitlines()
    assert loaded == f"phase2: Outcome Plan version 2017.2 loaded and in force (SHA-256 {digest})"
    # its programme's families, evaluated again under it at once
    assert evaluated.startswith("stored evaluation (phase1): 4 changed families evaluated as of ")
    out = json.loads(cli("evaluate", "--ruleset", "phase2", "--as-of", "2016-09-30",
                         "--family", "P01").output)[0]
    assert out["outcome_plan"]["version"] == "2017.2"
    assert out["outcome_plan"]["sha256"] == digest
    health = next(n for n in out["needs"] if n["problem"] == "health")
    assert (health["status"], health["claimable_from"]) == ("sustaining", "2017-01-15")


def test_only_an_administrator_loads_a_plan(cli):
    manager = create_user("manager")
    shipped = Path(m.__file__).parent / "outcomes" / "plans" / "phase2.json"
    result = cli("plans", "load", "phase2", shipped, "--by", manager.email)
    assert result.exit_code == 1
    assert f"{manager.email} is not an administrator" in result.output
    assert db.session.scalars(select(m.OutcomePlanVersion)).all() == []


def test_the_new_kinds_import_and_a_bad_row_refuses_the_whole_file(cli, frame_examples,
                                                                   tmp_path):
    frame_examples("phase2")
    assert db.session.scalar(select(m.Family.closed_on).where(m.Family.family_ref == "P01")) \
        is None
    bad = tmp_path / "needs.csv"
    bad.write_text("need_ref,family_ref,person_ref,problem,indicator,identified_on\n"
                   "N-900,P01,,health,gp,2015-05-01\n"
                   "N-901,P01,P02-A,pets,gp,2015-05-01\n"
                   "N-902,NOPE,,health,gp,2015-13-01\n")
    result = cli("import", "needs", bad)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert f"{bad}:3: problem: 'pets' is not one of" in lines[0]
    assert f"{bad}:4: identified_on: '2015-13-01' is not a real date" in result.output
    assert db.session.scalar(select(m.Need).where(m.Need.need_ref == "N-900")) is None
    statuses = tmp_path / "child-status.csv"
    statuses.write_text("status_ref,person_ref,status,start_date,end_date\n"
                        "CS-9,P01-C,adopted,2016-01-01,2015-01-01\n"
                        "CS-10,P01-C,child_in_need,2016-01-01,2015-01-01\n")
    result = cli("import", "child-status", statuses)
    assert result.exit_code == 1
    assert f"{statuses}:2: status: 'adopted' is not one of child_in_need" in result.output
    assert f"{statuses}:3: end_date: 2015-01-01 is before start_date 2016-01-01" in result.output
    assessments = tmp_path / "assessments.csv"
    assessments.write_text("assessment_ref,need_ref,date,outcome,assessed_by\n"
                           "AS-9,N-101,2016-02-01,positive,Sam\n"
                           "AS-10,N-999,2016-02-01,good,\n")
    result = cli("import", "assessments", assessments)
    assert result.exit_code == 1
    assert f"{assessments}:3: outcome: 'good' is not one of positive, negative" in result.output
    assert f"{assessments}:3: assessed_by: is required" in result.output
    assessments.write_text("assessment_ref,need_ref,date,outcome,assessed_by\n"
                           "AS-10,N-999,2016-02-01,positive,Sam\n")
    result = cli("import", "assessments", assessments)
    assert f"{assessments}:2: need_ref: no need with reference N-999 exists" in result.output


def test_families_closed_on_imports(cli, frame_examples):
    frame_examples("supporting_families")
    closed = db.session.scalar(select(m.Family.closed_on).where(m.Family.family_ref == "S01"))
    assert closed.isoformat() == "2023-03-01"
