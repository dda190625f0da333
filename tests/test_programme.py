"""The programme dashboard, cost analysis, unit costs, domestic abuse imports and the
Partnership Board report, checked figure by figure against a world built here."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from casework import cache_version
from casework import models as m
from casework.caseloads.service import allocate, caseload, close
from casework.evaluation import store
from casework.evaluation.figures import HIGH_CONTACT_CONTACTS
from casework.extensions import db
from casework.programme import service
from casework.programme.service import Quarter

from .conftest import login, post_form
from .factories import create_family, create_person, create_user
from .parsed import Page

D = dt.date(2013, 9, 30)
Q = Quarter(2013, 2)  # July to September 2013


def eligible_family(ref, ward, identified, attached, *, baseline_asb=0, recent_asb=0):
    """A family meeting crime/ASB (an ASBO) and work (JSA) with local discretion: eligible.
    Its ASB incidents fall in the baseline window and in the recent window at D."""
    family = create_family(ref, ward=ward, identified_on=identified, attached_on=attached,
                           local_discretion=True, local_discretion_reason="High cost")
    adult = create_person(family, f"{ref}-A", dt.date(1980, 1, 1))
    kid = create_person(family, f"{ref}-K", dt.date(2000, 1, 1))
    db.session.add(m.AsbRecord(asb_ref=f"{ref}-O", person_id=kid.id, date=identified - dt.timedelta(days=30),
                               kind="asbo"))
    db.session.add(m.WorkSpell(work_ref=f"{ref}-W", person_id=adult.id, kind="benefit", benefit="JSA",
                               start_date=dt.date(2011, 1, 1)))
    for i in range(baseline_asb):
        db.session.add(m.AsbRecord(asb_ref=f"{ref}-B{i}", person_id=kid.id,
                                   date=attached - dt.timedelta(days=10 + i), kind="incident"))
    for i in range(recent_asb):
        db.session.add(m.AsbRecord(asb_ref=f"{ref}-R{i}", person_id=kid.id,
                                   date=D - dt.timedelta(days=10 + i), kind="incident"))
    db.session.commit()
    return family, adult


@pytest.fixture
def world(app):
    """F1 turned around, claimed and paid; F2 not met; F3 attached this quarter (too early);
    F4 identified but not eligible; F5 identified after D. Workers, contacts, domestic abuse,
    substance misuse referrals, a rejected claim that must not count."""
    manager = create_user("manager")
    lead = create_user("team_lead", team="East")
    w1, w2 = create_user("worker", team="East", name="Ann Worker"), create_user("worker", team="East", name="Bob Worker")
    auditor = create_user("auditor")
    f1, f1_adult = eligible_family("F1", "North", dt.date(2012, 9, 1), dt.date(2012, 10, 1), baseline_asb=5)
    f2, _ = eligible_family("F2", "North", dt.date(2012, 10, 15), dt.date(2012, 11, 1),
                            baseline_asb=2, recent_asb=2)
    f3, _ = eligible_family("F3", "South", dt.date(2013, 1, 10), dt.date(2013, 8, 1), baseline_asb=1)
    create_family("F4", ward="South", identified_on=dt.date(2013, 2, 1))
    create_family("F5", identified_on=dt.date(2013, 11, 1))
    allocate(f1, w1, dt.date(2012, 10, 1), lead)
    allocate(f2, w1, dt.date(2012, 11, 1), lead)
    close(f2, dt.date(2013, 6, 1), lead, "Stepped down", "stepped_down")
    allocate(f3, w2, dt.date(2013, 8, 1), lead)
    batch = m.ClaimBatch(window="September 2013", as_of=dt.date(2013, 9, 25))
    db.session.add(batch)
    db.session.flush()
    common = dict(claim_kind="turn_around", programme_year=2, ruleset="phase1", snapshot={})
    db.session.add_all([
        m.Claim(family_id=f1.id, result="crime_asb_education", amount=1400, as_of=dt.date(2013, 9, 15),
                state="submitted", decided_at=dt.datetime(2013, 9, 20, 10), decided_by_id=auditor.id,
                batch_id=batch.id, **common),
        m.Claim(family_id=f2.id, result="crime_asb_education", amount=1400, as_of=dt.date(2013, 9, 1),
                state="rejected", reject_reason="Not met", **common),
        m.DomesticAbuseIncident(incident_ref="DV1", person_id=f1_adult.id, date=dt.date(2012, 8, 1)),
        m.DomesticAbuseIncident(incident_ref="DV2", family_id=f1.id, date=dt.date(2012, 9, 1)),
        m.DomesticAbuseIncident(incident_ref="DV3", family_id=f1.id, date=dt.date(2013, 8, 20)),
        m.Referral(family_id=f1.id, kind="substance_misuse", agency="Drug service",
                   referred_on=dt.date(2012, 9, 15)),
        m.Referral(family_id=f1.id, kind="substance_misuse", agency="Drug service",
                   referred_on=dt.date(2013, 2, 1)),
        m.Referral(family_id=f2.id, kind="substance_misuse", agency="Drug service",
                   referred_on=dt.date(2013, 8, 10)),
        m.Referral(family_id=f2.id, kind="mental_health", agency="CAMHS", referred_on=dt.date(2013, 8, 11)),
        *[m.Contact(family_id=f2.id, author_id=w1.id, contact_at=dt.datetime(2013, 5, 1 + i, 10),
                    kind="home_visit", duration_minutes=60, status="final")
          for i in range(HIGH_CONTACT_CONTACTS)],  # F2 is a high-contact family
        m.Contact(family_id=f1.id, author_id=w1.id, contact_at=dt.datetime(2013, 5, 1, 10),
                  kind="home_visit", duration_minutes=60, status="final"),
    ])
    db.session.commit()
    service.save_unit_costs({
        "asb_incident": (10_000, "Police figure"), "youth_offence": (0, "n/a"),
        "fixed_exclusion": (0, "n/a"), "benefit_week": (0, "n/a"),
        "domestic_abuse_incident": (5_000, "Police figure"),
    }, create_user("admin"))
    store.refresh(as_of=D)
    return {"manager": manager, "lead": lead}


def test_the_workers_table_counts_each_workers_families_of_the_chosen_programme(
        app, client, world):
    """A worker's active families on the dashboard are the chosen programme's: a family whose
    2012-15 episode closed and which Ann now holds under Supporting Families is one of her
    Supporting Families families, not one of her 2012-15 ones (figures.held_by_a_worker, as
    the quarterly return's families with a worker)."""
    ann = db.session.scalar(select(m.User).where(m.User.name == "Ann Worker"))
    g, _ = eligible_family("G1", "North", dt.date(2012, 9, 1), dt.date(2012, 10, 1))
    episode = db.session.scalar(select(m.Episode).where(m.Episode.family_id == g.id))
    episode.closed_on, episode.end_reason = dt.date(2013, 3, 1), "stepped_down"
    db.session.add_all([
        m.Episode(family_id=g.id, programme="supporting_families",
                  signed_up_on=dt.date(2013, 3, 2), source="test"),
        m.Allocation(family_id=g.id, worker_id=ann.id, start_on=dt.date(2013, 3, 2))])
    db.session.commit()
    store.refresh(as_of=D)
    login(client, world["manager"].email)

    def active(programme):
        page = Page(client.get(f"/programme?programme={programme}").text)
        table = page.table("Families allocated on 30 September 2013")
        return {row["FIP worker"]: row["Active families"] for row in table.rows}

    assert active("phase1") == {"Ann Worker": "1", "Bob Worker": "1"}  # F1; F3
    assert active("supporting_families") == {"Ann Worker": "1", "Bob Worker": "0"}  # G1
    sf = service.figures(world["manager"], programme="supporting_families")
    assert sf.caseloads["active"] == 1
    # A worker's limit is on their whole caseload, every programme's: Ann holds two families
    # (F1 under 2012-15, G1 under Supporting Families), Bob one; with the limit at two Ann is
    # at it under either programme, as allocating to her is refused.
    app.config["RULESET_OVERRIDES"] = {"caseload_max_active": 2, "caseload_spare_below": 2}
    cache_version.clear()  # the dashboards counted above under the usual limits
    assert caseload(ann, D).at_limit
    for programme in ("phase1", "supporting_families"):
        totals = service.figures(world["manager"], programme=programme).caseloads
        assert (totals["at_limit"], totals["spare"]) == (1, 1), programme


def test_every_dashboard_figure(world):
    f = service.figures(world["manager"])
    assert f.as_of == D
    assert f.funnel == {"identified": 4, "eligible": 3, "attached": 3, "results_met": 1,
                        "claimed": 1, "submitted": 1}
    months = {row["month"]: row for row in f.months}
    assert list(months)[0] == dt.date(2012, 10, 1) and list(months)[-1] == dt.date(2013, 9, 1)
    assert [(d.month, r["identified"]) for d, r in months.items() if r["identified"]] == [(10, 1), (1, 1), (2, 1)]
    assert [(d.month, r["attached"]) for d, r in months.items() if r["attached"]] == [(10, 1), (11, 1), (8, 1)]
    assert months[dt.date(2013, 9, 1)]["claims"] == 1 and months[dt.date(2013, 9, 1)]["submitted"] == 1
    assert sum(r["claims"] for r in f.months) == 1  # the rejected claim is left out
    assert f.wards == [
        {"ward": "North", "identified": 2, "eligible": 2, "attached": 2, "results_met": 1, "claimed": 1},
        {"ward": "South", "identified": 2, "eligible": 1, "attached": 1, "results_met": 0, "claimed": 0},
        {"ward": "No ward recorded", "identified": 0, "eligible": 0, "attached": 0, "results_met": 0,
         "claimed": 0},
    ]
    assert f.workers == [
        {"worker": "Ann Worker", "active": 1, "results_met": 1, "claimed": 1, "caseload": 1},
        {"worker": "Bob Worker", "active": 1, "results_met": 0, "claimed": 0, "caseload": 1}]
    assert f.caseloads["active"] == 2 and f.caseloads["spare"] == 2 and f.caseloads["at_limit"] == 0
    # F2 closed in June: its episode is over, so it waits for no worker (it did before episodes).
    assert f.caseloads["unallocated"] == 0
    assert dict(f.results["crime_asb_education"]) == {"met": 1, "not_met": 1, "too_early": 1}
    assert dict(f.results["asb"]) == {"met": 1, "not_met": 1, "too_early": 1}
    assert f.money["fees"] == {1: {"families": 2, "fee": 6400, "funded": pytest.approx(5333.33, 0.01)},
                               2: {"families": 1, "fee": 2400, "funded": 2000.0}}
    assert f.money["by_state"]["submitted"] == 1400 and f.money["by_state"]["draft"] == 0
    assert f.money["received_or_due"] == 6400 + 2400 + 1400
    assert f.money["claimable"] == 0


def test_figures_stored_for_an_earlier_date_see_only_what_was_known_then(world):
    store.refresh(as_of=dt.date(2013, 5, 31))
    f = service.figures(world["manager"])
    assert f.as_of == dt.date(2013, 5, 31)
    # F3 is eligible but not yet attached; F2's new incidents had not happened yet; the
    # claims are dated later.
    assert f.funnel == {"identified": 4, "eligible": 3, "attached": 2, "results_met": 2,
                        "claimed": 0, "submitted": 0}
    assert f.caseloads["active"] == 2  # F2 still open then


def test_costs_and_additional_measures(world):
    f = service.figures(world["manager"], period=service.Window(Q.first, Q.last))
    pence = {row.key: row.pence for row in f.unit_costs}
    total, _, rows = service.cost_rows(world["manager"], pence)
    by_ref = {e.family_ref: e for e, _, _ in rows}
    assert total == 3 and [e.family_ref for e, _, _ in rows] == ["F1", "F2", "F3"]
    assert set(by_ref) == {"F1", "F2", "F3"} and by_ref["F3"].status == "too_early"
    assert [high for _, _, high in rows] == [False, True, False]
    # F1: 5 incidents at £100 and 2 domestic abuse incidents at £50 before; 1 incident after.
    assert by_ref["F1"].before_pence == (5 * 10_000 + 2 * 5_000) * 2
    assert by_ref["F1"].after_pence == 5_000 * 2
    assert by_ref["F2"].before_pence == by_ref["F2"].after_pence == 2 * 10_000 * 2
    assert (f.cohort.families, f.cohort.before_pence, f.cohort.after_pence) == (2, 160_000, 50_000)
    assert f.high_contact_families == 1
    assert (f.high_contact.families, f.high_contact.reduction_pence) == (1, 0)
    assert f.measures == {
        "abuse": {"families": 2, "before": 2, "after": 1, "families_before": 1, "families_after": 1,
                  "in_period": 1},
        "referrals": {"before": 1, "after": 2, "in_period": 1},
    }
    assert service.quarter_activity(world["manager"], Q.first, Q.last) == {
        "identified": 0, "attached": 1, "claims": 1, "claims_amount": 1400, "submitted": 1,
        "submitted_amount": 1400}


def test_dashboard_page_shows_the_figures_with_charts_and_is_audited(client, world):
    login(client, world["manager"].email)
    page = client.get("/programme")
    assert page.status_code == 200
    read = Page(page.text)
    assert read.h1 == "Programme dashboard on 30 September 2013"
    assert read.main.find(cls="app-figures-hold").text().startswith(
        "Figures as of 30 September 2013: every family evaluated on ")
    # funnel, months, results, wards, workers: each drawn with its title and description
    assert len(read.images) == 5
    assert read.images["Families at each stage of the programme"] == (
        "Families at each stage of the programme. Identified: 4; Eligible: 3; Attached: 3; "
        "Results met: 1; Claimed: 1; Submitted for payment: 1.")
    # fees £8,800 and results submitted £1,400
    assert [n.text() for n in read.main.find_all(cls="app-figure")][-1] == (
        "£10,200 attachment fees and results submitted")
    event = db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.object_type == "programme_dashboard")).one()
    assert event.user_id == world["manager"].id and event.detail == "as of 2013-09-30, phase1"


def test_cost_page_and_csv_show_each_family(client, world):
    login(client, world["manager"].email)
    page = client.get("/programme/costs")
    read = Page(page.text)
    assert read.main.find(cls="govuk-warning-text__text").text().startswith(
        "Warning These are estimates, not accounts. They price the events partners recorded")
    assert read.table("Estimated annual cost to agencies").row("Whole cohort") == {
        "Families": "Whole cohort", "Number": "2", "Before attachment": "£1,600", "Now": "£500",
        "Reduction": "£1,100 (69%)"}
    used = read.table("Unit costs used")
    # a source two costs share is written once, as a note
    assert used.cell("Anti-social behaviour incident recorded by the police", "Source") == (
        used.cell("Domestic abuse incident recorded by the police", "Source")) == "See note 1"
    assert read.paragraph("Note 1:") == "Note 1: Police figure"
    each = read.table("3 attached families, largest reduction first")
    assert each.column("Now (a year)")[2].startswith("Too early")
    assert "High-contact families: 1 (those with" in read.paragraph("For each family attached")
    rows = client.get("/programme/costs.csv").text.splitlines()
    assert rows[1].startswith("F1,Family") and rows[1].endswith(",1200.00,100.00,1100.00")
    assert rows[2].startswith("F2,") and ",y," in rows[2] and rows[2].endswith(",400.00,400.00,0.00")
    assert rows[3].startswith("F3,") and ",too_early," in rows[3]
    actions = set(db.session.scalars(select(m.AuditEvent.action).where(m.AuditEvent.object_type == "cost_analysis")))
    assert actions == {"view", "export"}


def test_partnership_board_report_pdf(client, world, run_jobs):
    login(client, world["manager"].email)
    form = Page(client.get("/programme/board-report").text)
    assert "2013/14 quarter 2 (July to September 2013)" in [
        o.text() for o in form.field("quarter").find_all("option")]
    started = post_form(client, "/programme/board-report", {"quarter": "2013-Q2"})
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    assert run_jobs() == 1
    job_page = Page(client.get(started.headers["Location"]).text)
    assert job_page.links["Download partnership-board-2013-Q2.pdf"].endswith("/result")
    response = client.get(started.headers["Location"] + "/result")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    assert "report to the Partnership Board" in text
    assert "2013/14 quarter 2 (July to September 2013)" in text
    assert "figures as of 30 September 2013" in text
    assert "Families attached to a FIP worker 1" in text
    assert "Results claims submitted to DCLG 1: £1,400" in text
    assert "Whole cohort 2 £1,600 £500 £1,100 (69%)" in text
    assert "Domestic abuse incidents" in text and "Referrals to substance misuse services" in text
    assert db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.object_type == "board_report")).one().object_ref == "2013-Q2"
    refused = post_form(client, "/programme/board-report", {"quarter": "1999-Q9"})
    assert refused.status_code == 400 and Page(refused.text).errors == ["Select a quarter from the list"]


@pytest.mark.parametrize("role", ["worker", "team_lead", "auditor", "admin"])
def test_programme_pages_are_for_programme_managers(client, sign_in, role):
    sign_in(role)
    for url in ("/programme", "/programme/costs", "/programme/costs.csv", "/programme/board-report"):
        assert client.get(url).status_code == 403


def test_admin_changes_unit_costs_with_history_and_clear_errors(client, sign_in):
    admin = sign_in("admin")
    form = Page(client.get("/admin/unit-costs").text)
    assert form.field("asb_incident_amount").attrs["value"] == "673.00"
    assert form.paragraphs("Anti-social behaviour incident")[0] == "The shipped default."
    values = {f"{row.key}_{part}": value for row in service.unit_costs()
              for part, value in (("amount", f"{row.pence / 100:.2f}"), ("source", row.source))}
    bad = post_form(client, "/admin/unit-costs", {**values, "asb_incident_amount": "12.345",
                                                 "benefit_week_amount": "lots", "youth_offence_source": ""})
    errors = Page(bad.text).errors
    assert len(errors) == 3
    assert [e for e in errors if e.startswith("Enter the amount to the nearest penny")]
    assert [e for e in errors if e.startswith("Enter an amount in pounds")]
    assert [e for e in errors if e.startswith("Say where the figure comes from")]
    assert db.session.scalars(select(m.UnitCost)).all() == []
    done = post_form(client, "/admin/unit-costs", {**values, "asb_incident_amount": "£1,250.50",
                                                  "asb_incident_source": "Kent Police 2013"})
    assert done.status_code == 302
    assert Page(client.get(done.location).text).banners == ["1 unit cost changed."]
    saved = db.session.get(m.UnitCost, "asb_incident")
    assert (saved.pence, saved.source, saved.updated_by_id) == (125_050, "Kent Police 2013", admin.id)
    history = db.session.scalars(select(m.RecordHistory).where(m.RecordHistory.record_type == "unit_cost")).one()
    assert history.before["pence"] == 67_300
    assert history.after == {"pence": 125_050, "source": "Kent Police 2013"}
    assert db.session.scalars(select(m.AuditEvent.detail).where(m.AuditEvent.object_type == "unit_cost")).one() \
        == "£673.00 to £1,250.50"
    assert client.post("/admin/unit-costs", data=values).status_code == 400  # no CSRF token


def test_manager_cannot_change_unit_costs(client, sign_in):
    sign_in("manager")
    assert client.get("/admin/unit-costs").status_code == 403


# The domestic-abuse CSV kind -----------------------------------------------------------------


def test_domestic_abuse_import_and_family_page(app, cli, client, sign_in, tmp_path):
    family = create_family("DF1", family_name="Khan household")
    create_person(family, "DP1", given_name="Aisha", family_name="Khan")
    other = create_family("DF2")
    create_person(other, "DP2")
    good = tmp_path / "da.csv"
    good.write_text("incident_ref,person_ref,family_ref,date\nDV1,DP1,,2013-01-05\nDV2,,DF1,2013-02-06\n")
    result = cli("import", "domestic-abuse", good)
    assert db.session.query(m.StoredEvaluation).count() == 2  # evaluated once imported
    assert result.exit_code == 0 and result.output.strip() == "domestic-abuse: 2 created, 0 updated, 0 unchanged"
    assert cli("import", "domestic-abuse", good).output.strip() == "domestic-abuse: 0 created, 0 updated, 2 unchanged"
    bad = tmp_path / "bad.csv"
    bad.write_text("incident_ref,person_ref,family_ref,date\nDV3,,,2013-01-05\nDV4,DP2,DF1,2013-01-05\n"
                   "DV5,DP9,,2013-01-05\nDV6,DP1,,5 Jan\n")
    refused = cli("import", "domestic-abuse", bad)
    assert refused.exit_code != 0
    assert f"{bad}:2: person_ref: give person_ref or family_ref (or both)" in refused.output
    assert f"{bad}:3: family_ref: DP2 belongs to family DF2, not DF1" in refused.output
    assert f"{bad}:4: person_ref: no person with reference DP9 exists" in refused.output
    assert f"{bad}:5: date:" in refused.output
    assert db.session.scalars(select(m.DomesticAbuseIncident.incident_ref).order_by(
        m.DomesticAbuseIncident.incident_ref)).all() == ["DV1", "DV2"]
    sign_in("manager")
    incidents = Page(client.get("/families/DF1").text).table("Domestic abuse incidents")
    assert incidents.rows == [  # the latest first
        {"Date": "6 February 2013", "Who": "The family", "Reference": "DV2"},
        {"Date": "5 January 2013", "Who": "Aisha Khan", "Reference": "DV1"}]
