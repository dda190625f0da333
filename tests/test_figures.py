"""One world, every figure the same on every page, export and report that shows it
(docs/figures.md)."""

import csv
import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from casework import models as m
from casework.caseloads.service import allocate
from casework.evaluation import figures, store
from casework.extensions import db

from .conftest import login, post_form
from .factories import create_family, create_user
from .parsed import Page
from .test_programme import eligible_family

D = dt.date(2013, 9, 30)


@pytest.fixture
def world(app):
    """F1 claimed and submitted; F6 validated; F7 drafted; F8 met and claimable; F2 not met
    (its claim rejected); F3 too early; F9 eligible, not attached; F4 not eligible; F5
    identified after D. F2 and F3 are high-contact; F1 has one contact."""
    manager = create_user("manager")
    lead = create_user("team_lead", team="East")
    worker = create_user("worker", team="East")
    auditor = create_user("auditor")
    made = {}
    for ref, identified, attached, baseline, recent in (
        ("F1", dt.date(2012, 9, 1), dt.date(2012, 10, 1), 5, 0),
        ("F2", dt.date(2012, 10, 15), dt.date(2012, 11, 1), 2, 2),
        ("F3", dt.date(2013, 1, 10), dt.date(2013, 8, 1), 1, 0),
        ("F6", dt.date(2012, 9, 1), dt.date(2012, 10, 1), 5, 0),
        ("F7", dt.date(2012, 10, 1), dt.date(2012, 11, 1), 4, 0),
        ("F8", dt.date(2012, 10, 1), dt.date(2012, 11, 1), 3, 0),
    ):
        made[ref], _ = eligible_family(ref, "North" if ref < "F5" else "South", identified,
                                       attached, baseline_asb=baseline, recent_asb=recent)
    made["F9"], _ = eligible_family("F9", "South", dt.date(2013, 3, 1), None)
    create_family("F4", ward="South", identified_on=dt.date(2013, 2, 1))
    create_family("F5", identified_on=dt.date(2013, 11, 1))
    for ref in ("F1", "F2", "F3", "F6"):
        allocate(made[ref], worker, made[ref].attached_on, lead)
    batch = m.ClaimBatch(window="September 2013", as_of=dt.date(2013, 9, 25))
    db.session.add(batch)
    db.session.flush()
    common = dict(result="crime_asb_education", claim_kind="turn_around", programme_year=1,
                  amount=700, ruleset="phase1", snapshot={})
    decided = dict(decided_at=dt.datetime(2013, 9, 20, 10), decided_by_id=auditor.id)
    db.session.add_all([
        m.Claim(family_id=made["F1"].id, as_of=dt.date(2013, 9, 15), state="submitted",
                batch_id=batch.id, **decided, **common),
        m.Claim(family_id=made["F6"].id, as_of=dt.date(2013, 9, 15), state="validated",
                **decided, **common),
        m.Claim(family_id=made["F7"].id, as_of=dt.date(2013, 9, 16), state="draft", **common),
        m.Claim(family_id=made["F2"].id, as_of=dt.date(2013, 9, 1), state="rejected",
                reject_reason="Not met", **common),
        m.Contact(family_id=made["F1"].id, author_id=worker.id,
                  contact_at=dt.datetime(2013, 5, 1, 10), kind="home_visit",
                  duration_minutes=60, status="final"),
        *[m.Contact(family_id=made[ref].id, author_id=worker.id,
                    contact_at=dt.datetime(2013, 8, 1 + i, 10), kind="home_visit",
                    duration_minutes=30, status="final")
          for ref in ("F2", "F3") for i in range(figures.HIGH_CONTACT_CONTACTS)],
    ])
    db.session.commit()
    store.refresh(as_of=D)
    return {"manager": manager, "lead": lead}


EXPECTED = {"identified": 8, "eligible": 7, "attached": 6, "results_met": 4, "claimable": 1,
            "claimed": 3, "validated": 1, "submitted": 1, "high_contact": 2, "waiting": 2}


def test_every_figure_is_the_same_on_every_page_export_and_report(client, world, cli, run_jobs):
    manager = world["manager"]
    sc = figures.scope(manager)
    assert sc.as_of == D
    assert figures.family_counts(sc) == EXPECTED
    assert figures.claimable_pounds(sc) == 700
    totals = figures.claim_totals(sc)
    assert (totals["claimed"], totals["validated"], totals["submitted"]) == (
        {"claims": 3, "amount": 2100}, {"claims": 1, "amount": 700}, {"claims": 1, "amount": 700})
    login(client, manager.email)

    # The dashboard: funnel (chart and table), headline figures, fees, money, wards.
    dashboard = Page(client.get("/programme").text)
    assert dashboard.images["Families at each stage of the programme"] == (
        "Families at each stage of the programme. Identified: 8; Eligible: 7; Attached: 6; "
        "Results met: 4; Claimed: 3; Submitted for payment: 1.")
    headline = [n.text() for n in dashboard.main.find_all(cls="app-figure")]
    assert headline[:4] == ["8 families identified", "6 families attached",
                            "4 families with results met", "3 families claimed for"]
    assert dashboard.table("6 attached families, by status")
    fees = dashboard.table("Attachment fees, by programme year of attachment")
    assert sum(int(n) for n in fees.column("Families attached")) == EXPECTED["attached"]
    assert dashboard.paragraph("Still claimable", heading="Money") == (
        "Still claimable on 30 September 2013: £700. "
        "Attachment fees and results submitted: £19,100.")  # fees £18,400, F1 £700
    claimed = dashboard.table("Results payments claimed")
    # draft, validated, submitted (F7, F6, F1)
    assert claimed.row("Total") == {"Result": "Total", "Claims": "", "Draft": "£700",
                                    "Validated": "£700", "Submitted": "£700"}
    # Signed up with no worker (F7, F8): the dashboard on its date, and the one waiting list
    # (today) of the team view and the selection page.
    assert dashboard.summary["Signed up, waiting for a FIP worker"] == str(EXPECTED["waiting"])
    for url in ("/team", "/selection"):
        assert (f"Signed up, waiting for a FIP worker ({EXPECTED['waiting']})"
                in Page(client.get(url).text).headings), url

    # The money page: the same fees, claims and claimable amount.
    money = Page(client.get("/claims/money").text)
    fees = money.table("Attachment fees of the families attached")
    assert sum(int(n) for n in fees.column("Families attached")) == EXPECTED["attached"]
    # draft, validated, submitted, rejected
    assert money.table("Results payments, by programme year").row("Year 1") == {
        "Programme year": "Year 1", "Draft": "£700", "Validated": "£700", "Submitted": "£700",
        "Rejected": "£700"}
    assert money.paragraph("Still claimable") == (
        "Still claimable on 30 September 2013 (programme year 2): £700.")

    # The results page and its CSV.
    results = Page(client.get("/results").text)
    assert any(t.caption.endswith("; claimable now: £700") for t in results.tables)
    rows = list(csv.DictReader(io.StringIO(client.get("/results.csv").text)))
    assert sum(1 for r in rows if r["claimable"]) == EXPECTED["claimable"]
    assert sum(int(c.split(":")[1]) for r in rows if r["claimable"]
               for c in r["claimable"].split(";")) == 700
    assert sum(1 for r in rows if r["eligible"] == "y") == EXPECTED["eligible"]

    # High-contact: the cost page and CSV, the high-contact list, the Board report.
    costs = Page(client.get("/programme/costs").text)
    assert f"High-contact families: {EXPECTED['high_contact']} (those" in costs.paragraph(
        "For each family attached 6 months or more")
    cost_rows = list(csv.DictReader(io.StringIO(client.get("/programme/costs.csv").text)))
    assert sum(1 for r in cost_rows if r["high_contact"] == "y") == EXPECTED["high_contact"]
    assert len(cost_rows) == EXPECTED["attached"]
    listed = Page(client.get("/high-contact").text)
    assert listed.paragraph(f"{EXPECTED['high_contact']} high-contact families:")

    # The Partnership Board report.
    started = post_form(client, "/programme/board-report", {"quarter": "2013-Q2"})
    assert run_jobs() == 1
    pdf = client.get(started.headers["Location"] + "/result")
    assert pdf.status_code == 200
    board = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
                     .split())
    assert "8 families identified" in board or "8families identified" in board
    assert "figures as of 30 September 2013" in board
    for label, key in (("Identified on or before the date", "identified"),
                       ("Eligible Identified, and meeting the criteria", "eligible"),
                       ("Attached Eligible, and signed up to the programme", "attached"),
                       ("Results met Attached, with a claimable result", "results_met"),
                       ("Claimed With a claim dated", "claimed"),
                       ("Submitted for payment With a claim in a batch", "submitted")):
        assert re.search(re.escape(label) + r"[^0-9]*" + str(EXPECTED[key]) + r"\b", board), label
    assert f"High-contact families: {EXPECTED['high_contact']} " in board
    assert "Still claimable on 30 September 2013: £700" in board

    # Claims build makes a claim for each claimable family, for the claimable amount.
    result = cli("claims", "build", "--as-of", "2013-09-30")
    assert result.output.strip() == "1 draft claims created"
    db.session.expire_all()
    assert figures.family_counts(figures.scope(manager))["claimable"] == 0
    assert figures.claim_totals(figures.scope(manager))["draft"]["amount"] == 1400


def test_a_quarters_activity_is_the_sum_of_its_months_in_the_month_table(world):
    """The Board report's quarter (quarter_activity) and the dashboard's month table count
    with one definition (figures.activity): July to September 2013 is their sum."""
    from casework.programme import service

    f = service.figures(world["manager"])
    months = {row["month"]: row for row in f.months}
    quarter = service.quarter_activity(world["manager"], dt.date(2013, 7, 1), D)
    keys = figures.ACTIVITY
    summed = {k: sum(months[dt.date(2013, mo, 1)][k] for mo in (7, 8, 9)) for k in keys}
    assert quarter == summed
    # F3 attached on 1 August; F1's claim (submitted, in the batch of 25 September), F6's and
    # F7's made in September; F2's rejected claim is not counted.
    assert quarter == {"identified": 0, "attached": 1, "claims": 3, "claims_amount": 2100,
                       "submitted": 1, "submitted_amount": 700}
    # The last day of a period is in it; the day after is in the next (month boundaries).
    september = figures.activity(figures.scope(world["manager"]),
                                 [(dt.date(2013, 9, 16), dt.date(2013, 9, 16)),
                                  (dt.date(2013, 9, 17), D)])
    assert [row["claims"] for row in september] == [1, 0]  # F7's, dated 16 September


def test_the_dashboard_and_the_money_page_read_one_money_figure(world):
    from casework.claims import service as claims
    from casework.programme import service

    sc = figures.for_programme(figures.scope(world["manager"]))
    money = figures.money(sc)
    assert service.figures(world["manager"]).money == money
    page = claims.money(world["manager"])
    assert page["fees"] == money["fees"] and page["results"] == money["by_year"]
    assert page["claimable_now"] == money["claimable"] == 700
    assert money["by_state"] == {"draft": 700, "validated": 700, "submitted": 700}
    assert money["by_year"][1]["rejected"] == 700  # counted on the money page only
    totals = figures.claim_totals(sc)
    assert {s: totals[s]["amount"] for s in ("draft", "validated", "submitted")} == \
        dict(money["by_state"])


def test_each_figures_meaning_is_written_once_and_the_docs_table_says_it_word_for_word():
    import pathlib

    from casework.programme.service import FUNNEL

    docs = (pathlib.Path(__file__).parent.parent / "docs" / "figures.md").read_text()
    rows = {}
    for line in docs.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[1].startswith("`") and cells[1] != "key":
            rows[cells[1].strip("`")] = cells[2]
    assert rows == figures.MEANING
    assert set(figures.MEANING) == set(figures.FAMILY_FIGURES)
    assert all(meaning == figures.MEANING[key] for key, _, meaning in FUNNEL)
    from casework.selection.figures import WAY_IN

    assert all(meaning == figures.MEANING[key] for key, _, meaning, whose in WAY_IN
               if whose == "programme")
