"""The family page under the council's later programme, and the dashboard's additions."""

import datetime as dt
import json

from sqlalchemy import select

from casework import models as m
from casework.extensions import db


def test_the_family_page_shows_each_need_its_evidence_and_when_it_is_claimable(
        app, client, frame_examples, sign_in):
    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    sign_in("manager")
    page = client.get("/families/P02?as_of=2016-09-30")
    assert page.status_code == 200
    text = page.text
    assert "Needs under the expanded programme, 2015-20" in text
    assert "the worked example shipped with casework" in text
    assert "Children need help: P02-C (N-201)" in text
    assert "Claimable from 1 December 2016" in text
    assert "no open child protection plan or child in need" in text
    event = db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.object_ref == "P02")).all()
    assert event and event[-1].action == "view"


def test_the_family_page_shows_each_assessment_with_its_author(app, client, frame_examples,
                                                               sign_in):
    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    sign_in("manager")
    text = client.get("/families/P01?as_of=2016-09-30").text
    assert "by Sam Worker (key worker): GP confirms the condition is managed" in text


def test_without_a_chosen_later_programme_the_family_page_has_no_needs_section(
        client, frame_examples, sign_in):
    frame_examples("phase2")
    sign_in("manager")
    assert "Needs under" not in client.get("/families/P01").text


def test_a_plan_in_force_that_no_longer_passes_is_named_on_the_family_page_not_an_error(
        app, client, frame_examples, sign_in):
    frame_examples("phase2")
    manager = sign_in("manager")
    # Loaded when the checks were looser: stored, but refused when read now.
    db.session.add(m.OutcomePlanVersion(
        ruleset="phase2", version="1", title="T", effective_from=dt.date(2015, 4, 1),
        content=json.dumps({"title": "T", "ruleset": "phase2", "version": "1",
                            "effective_from": "2015-04-01", "problems": {"pets": {}}}),
        sha256="0" * 64, file_name="plan.json", loaded_by_id=manager.id))
    db.session.commit()
    app.config.update(OUTCOME_RULESET="phase2")
    page = client.get("/families/P01")
    assert page.status_code == 200
    assert "Outcome Plan could not be read" in page.text
    assert "problems.pets: is not a headline problem of phase2" in page.text


def test_the_dashboard_counts_families_by_needs_and_claims_by_month(cli, client,
                                                                    frame_examples, sign_in):
    frame_examples("phase2")
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    sign_in("manager")
    page = client.get("/programme")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Families by number of needs" in text
    # P01, P02, P03 have 2 needs; P04 has 1.
    assert ('numeric">1</td> <td class="govuk-table__cell govuk-table__cell--numeric">1</td>'
            in text)
    assert ('numeric">2</td> <td class="govuk-table__cell govuk-table__cell--numeric">3</td>'
            in text)
    assert "September 2016" in text and "£1,600" in text
