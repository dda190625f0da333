"""Every programme's figures are its own (docs/figures.md): each programme's families (an
episode in it, or none and identified while it took families) evaluated under its own
rules, its sign-ups and claims; shown so on its dashboard and money page, stored and live
alike."""

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from casework import models as m
from casework.caseloads.service import allocate
from casework.evaluation import figures, store
from casework.extensions import db
from casework.rules.ruleset import PROGRAMMES

from .conftest import login
from .factories import create_family, create_user
from .parsed import Page, Table
from .test_programme import eligible_family

D = dt.date(2023, 9, 1)  # S01's outcome sustained 6 months after its March closure


@pytest.fixture
def programmes(app, cli, frame_examples):
    """Families of the three programmes at D: the 2015-20 worked example (P01-P04, signed up
    June 2015), Supporting Families' (S01-S03, November 2022), and 2012-15 families (F1
    turned around, F2 eligible and never signed up, F3 identified in 2013, not eligible)."""
    frame_examples("phase2")
    frame_examples("supporting_families")
    manager = create_user("manager")
    lead = create_user("team_lead", team="East")
    worker = create_user("worker", team="East")
    f1, _ = eligible_family("F1", "South", dt.date(2012, 9, 1), dt.date(2012, 10, 1),
                            baseline_asb=3)
    eligible_family("F2", "South", dt.date(2013, 3, 1), None)
    create_family("F3", ward="North", identified_on=dt.date(2013, 2, 1))
    F = m.Family
    for refs, ward in ((("P01", "P02", "S01", "S02"), "North"), (("P03", "P04", "S03"), "South")):
        db.session.execute(update(F).where(F.family_ref.in_(refs)).values(ward=ward))
    db.session.commit()
    families = {f.family_ref: f for f in db.session.scalars(select(F))}
    for ref in ("F1", "P01", "S02"):
        allocate(families[ref], worker, D - dt.timedelta(days=30), lead)
    db.session.commit()
    store.refresh(as_of=D)
    return {"manager": manager, "lead": lead, "families": families}


# Each programme's figures at D, worked out by hand from the worked examples' evidence:
# 2012-15: F1 (signed up 2012, ASB down: crime/ASB/education met, £700 in its year 1), F2
# (eligible, never signed up), F3 (not eligible); the 2015-20 and Supporting Families
# families are not 2012-15's, though the 2012 rules evaluate every family.
# 2015-20: P01 (every need met), P02 (its child plan ended and ASB down: met since December
# 2016) and P03 (in work: continuous employment) claimable £800 each; P04 has one problem,
# not eligible. Supporting Families: S01's needs sustained 6 months after its March
# closure (£800); S02's episode open, sustaining; S03 has needs under 2 problems of the 3
# it needs. Each family under its own programme's rules, and not another's.
EXPECTED = {
    "phase1": {"identified": 3, "eligible": 2, "attached": 1, "results_met": 1,
               "claimable": 1, "claimed": 0, "validated": 0, "submitted": 0,
               "high_contact": 0, "waiting": 0},
    "phase2": {"identified": 4, "eligible": 3, "attached": 3, "results_met": 3,
               "claimable": 3, "claimed": 0, "validated": 0, "submitted": 0,
               "high_contact": 0, "waiting": 3},
    "supporting_families": {"identified": 3, "eligible": 2, "attached": 2, "results_met": 1,
                            "claimable": 1, "claimed": 0, "validated": 0, "submitted": 0,
                            "high_contact": 0, "waiting": 0},
}
# Attachment fees: F1 in 2012-15's year 1 (£3,200); three families at £1,000 in 2015-20;
# none in Supporting Families.
FEES = {"phase1": 3200, "phase2": 3000, "supporting_families": 0}
CLAIMABLE = {"phase1": 700, "phase2": 2400, "supporting_families": 800}
RESULTS = {  # attached families by status of each of the programme's results
    "phase2": {"continuous_employment": {"met": 1, "not_met": 2},
               "family_outcome": {"met": 2, "not_met": 1}},
    "supporting_families": {"family_outcome": {"met": 1, "sustaining": 1}},
}


def _sc(user, programme, ward=None):
    return figures.for_programme(figures.scope(user, ward), programme)


def test_each_programme_counts_its_own_families_under_its_own_rules(programmes, cli):
    manager = programmes["manager"]
    for p in PROGRAMMES:
        sc = _sc(manager, p)
        assert figures.stored(sc) is not None, p
        assert figures.family_counts(sc) == EXPECTED[p], p
        assert figures.claimable_pounds(sc) == CLAIMABLE[p], p
        assert figures.money(sc)["claimable"] == CLAIMABLE[p], p
        if p in RESULTS:
            assert {r: dict(c) for r, c in figures.statuses(sc, "attached").items()} == \
                RESULTS[p]
    # The same pounds as each programme's own rules give family by family (`casework
    # evaluate --ruleset`), over the families signed up to it.
    E = m.Episode
    for p in PROGRAMMES:
        signed_up = {ref for (ref,) in db.session.execute(
            select(m.Family.family_ref).join(E, E.family_id == m.Family.id)
            .where(E.programme == p))}
        args = ["evaluate", "--as-of", D.isoformat(), "--format", "json"]
        if p != "phase1":
            args += ["--ruleset", p]
        found = json.loads(cli(*args).output)
        assert sum(c["amount"] for e in found if e["family_ref"] in signed_up
                   for c in e["claimable"]) == CLAIMABLE[p], p


def test_a_family_is_evaluated_only_under_the_programmes_it_belongs_to(programmes):
    S = m.StoredEvaluation
    stored = {(ref, ruleset) for ref, ruleset in db.session.execute(
        select(m.Family.family_ref, S.ruleset).join(S, S.family_id == m.Family.id))}
    later = {(ref, ruleset) for ref, ruleset in stored if ruleset != "phase1"}
    assert later == {*((f"P0{i}", "phase2") for i in range(1, 5)),
                     *((f"S0{i}", "supporting_families") for i in range(1, 4))}
    # The council's ruleset (2012-15) keeps every family's row: the lists read them.
    assert {ref for ref, ruleset in stored if ruleset == "phase1"} == set(programmes["families"])
    # Signed up to a later programme: a family of it from then on, evaluated under its rules
    # by the refresh that follows the change (and its figures counted again).
    from casework.episodes import follow_family_dates

    f3 = programmes["families"]["F3"]
    f3.attached_on = dt.date(2023, 8, 1)
    db.session.flush()
    follow_family_dates([f3.id], "test", None)
    db.session.commit()
    store.refresh_pending()
    rows = set(db.session.scalars(select(S.ruleset).where(S.family_id == f3.id)))
    assert rows == {"phase1", "supporting_families"}
    sc = _sc(programmes["manager"], "supporting_families")
    assert figures.family_counts(sc)["identified"] == 4
    assert figures.family_counts(_sc(programmes["manager"], "phase1"))["identified"] == 2


def test_stored_figures_equal_counting_live_for_every_programme(programmes):
    from .test_stored_figures import assert_stored_equals_live

    for user, ward in ((programmes["manager"], None), (programmes["manager"], "North"),
                       (programmes["manager"], "South"), (programmes["lead"], None),
                       (programmes["lead"], "North")):
        assert_stored_equals_live(user, ward)
    # The team lead's families are their team's (F1, P01, S02): each programme's own.
    lead = {p: figures.family_counts(_sc(programmes["lead"], p))["identified"]
            for p in PROGRAMMES}
    assert lead == {"phase1": 1, "phase2": 1, "supporting_families": 1}


def _headline(page: Page) -> dict[str, str]:
    out = {}
    for node in page.main.find_all(cls="app-figure"):
        number = node.find(cls="app-figure__number").text()
        out[node.find(cls="app-figure__label").text()] = number
    return out


@pytest.mark.parametrize("programme", PROGRAMMES)
def test_each_programmes_dashboard_and_money_page_show_its_own_figures(client, programmes,
                                                                      programme):
    login(client, programmes["manager"].email)
    want = EXPECTED[programme]
    pounds = f"£{CLAIMABLE[programme]:,}"
    dashboard = Page(client.get(f"/programme?programme={programme}").text)
    assert _headline(dashboard) == {
        "families identified": str(want["identified"]),
        "families attached": str(want["attached"]),
        "families with results met": str(want["results_met"]),
        "families claimed for": str(want["claimed"]),
        "attachment fees and results submitted": f"£{FEES[programme]:,}"}
    funnel = Table(dashboard.section("From identification to payment").find("table"))
    eligible = {"phase1": "three, or two and local discretion", "phase2": "at least 2 of",
                "supporting_families": "at least 3 of"}[programme]
    assert funnel.body[1][0].startswith("Eligible Identified, and ")
    assert eligible in funnel.body[1][0]
    assert funnel.column("Families") == [str(want[k]) for k in (
        "identified", "eligible", "attached", "results_met", "claimed", "submitted")]
    # The way in is the programme's families' too: it never widens past those identified.
    way_in = [int(n) for n in Table(dashboard.section("From identification to sign-up")
                                    .find("table")).column("Families")]
    assert way_in[0] == want["identified"] and max(way_in) == want["identified"]
    assert dashboard.paragraph("Still claimable", heading="Money").startswith(
        f"Still claimable on 1 September 2023: {pounds}.")
    results = dashboard.table("{:,} attached families, by status".format(want["attached"]))
    if programme in RESULTS:
        assert [row["Result"] for row in results.rows] == [
            m.RESULT_LABELS[r] for r in RESULTS[programme]]
        for r, counts in RESULTS[programme].items():
            row = results.row(m.RESULT_LABELS[r])
            assert {k: int(v) for k, v in row.items() if k != "Result" and v != "0"} == {
                {"met": "Met", "not_met": "Not met", "sustaining": "Sustaining"}[s]: n
                for s, n in counts.items()}
    else:
        assert results.cell("Crime, ASB and education", "Met") == "1"
    money = Page(client.get(f"/claims/money?programme={programme}").text)
    assert money.paragraph("Still claimable").startswith(
        "Still claimable on 1 September 2023") and money.paragraph(
        "Still claimable").endswith(f": {pounds}.")
