"""Claims in the browser-facing pages: who may do what, the claim page, exports, money."""

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from .conftest import login, post_form
from .factories import create_user
from .parsed import Page, parse


def fingerprint(page: str) -> str:
    return re.search(r'name="fingerprint"[^>]*value="([^"]+)"', page).group(1)


@pytest.fixture
def built(app, cli, examples):
    examples()
    cli("claims", "build", "--as-of", "2013-09-30")
    return {c.family.family_ref: c for c in db.session.scalars(select(m.Claim))}


def test_manager_builds_claims_from_the_page_as_a_job(client, sign_in, examples, run_jobs):
    examples()
    sign_in("manager")
    response = post_form(client, "/claims/", {"build-as_of": ["30", "9", "2013"], "build-build": "1"})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    assert run_jobs() == 1
    page = client.get(response.headers["Location"]).text
    [banner] = Page(page).banners
    assert banner.startswith("3 draft claims created for results claimable on 30 September 2013.")


def test_auditor_validates_and_rejects_on_the_claim_page(client, sign_in, built):
    auditor = sign_in("auditor")
    page = client.get(f"/claims/{built['E01'].id}")
    read = Page(page.text)
    assert read.main.find("button", name="validate_claim").text() == "Validate claim"
    assert "When drafted" in read.headings
    post_form(client, f"/claims/{built['E01'].id}", {"validate_claim": "1", "checked": "y"})
    no_reason = post_form(client, f"/claims/{built['E03'].id}",
                          {"reject_claim": "1", "reason": "", "checked": "y"})
    assert Page(no_reason.text).errors == ["Enter the reason for rejecting the claim"]
    post_form(client, f"/claims/{built['E03'].id}",
              {"reject_claim": "1", "reason": "Job not evidenced", "checked": "y"})
    db.session.expire_all()
    assert db.session.get(m.Claim, built["E01"].id).state == "validated"
    rejected = db.session.get(m.Claim, built["E03"].id)
    assert rejected.state == "rejected" and rejected.reject_reason == "Job not evidenced"
    assert rejected.decided_by_id == auditor.id


def test_rejecting_with_no_reason_and_no_tick_says_both_at_once_each_beside_its_field(
        client, sign_in, built):
    """A rejection with neither a reason nor the box ticked names both problems, not only
    the box's and then, once it is ticked, the reason's: every problem at once."""
    sign_in("auditor")
    claim = built["E03"].id
    refused = post_form(client, f"/claims/{claim}", {"reject_claim": "1", "reason": ""})
    page = Page(refused.text)
    assert refused.status_code == 200
    assert page.title.startswith("Error: Claim ")
    assert page.errors == ["Enter the reason for rejecting the claim",
                           "Confirm that you have checked the claim's evidence: a decision "
                           "cannot be undone"]
    assert page.field_errors["reason"] == "Enter the reason for rejecting the claim"
    assert "checked" in page.field_errors
    # Validating needs no reason: only the box is asked for.
    unticked = Page(post_form(client, f"/claims/{claim}", {"validate_claim": "1"}).text)
    assert unticked.errors == ["Confirm that you have checked the claim's evidence: a "
                               "decision cannot be undone"]
    db.session.expire_all()
    assert db.session.get(m.Claim, claim).state == "draft"


def test_a_manager_cannot_validate_and_an_auditor_cannot_build(client, sign_in, built, app):
    sign_in("manager")
    page = client.get(f"/claims/{built['E01'].id}")
    buttons = [b.text() or b.attrs.get("value", "") for b in Page(page.text).main.iter()
               if b.tag in ("button", "input")]
    assert "Validate claim" not in buttons and page.status_code == 200
    assert post_form(client, f"/claims/{built['E01'].id}",
                     {"validate_claim": "1", "checked": "y"}).status_code == 403
    other = app.test_client()
    auditor = create_user("auditor")
    login(other, auditor.email)
    assert post_form(other, "/claims/", {"build-as_of": ["30", "9", "2013"], "build-build": "1"}).status_code == 403


@pytest.mark.parametrize("role", ["worker", "team_lead", "admin"])
def test_claims_pages_are_for_managers_and_auditors_only(client, sign_in, built, role):
    sign_in(role)
    assert client.get("/claims/").status_code == 403
    assert client.get(f"/claims/{built['E01'].id}").status_code == 403


def test_batch_page_and_its_pdf_csv_and_excel(client, sign_in, built, cli, app, run_jobs):
    auditor = create_user("auditor")
    for claim in built.values():
        cli("claims", "validate", claim.id, "--by", auditor.email)
    sign_in("manager")
    response = post_form(client, "/claims/", {"batch-window": "October 2013", "batch-submit_batch": "1"})
    confirm_url = response.headers["Location"]
    response = post_form(client, confirm_url, {"window": "October 2013", "confirm": "1",
                                               "fingerprint": fingerprint(client.get(confirm_url).text)})
    batch_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/claims/batches/{batch_id}").text
    read = Page(page)
    assert read.h1 == "October 2013"
    assert read.table("Claims by result").cell("Total", "Amount") == "£1,600"
    run_jobs()  # the PDF is made once, by the job worker
    pdf = client.get(f"/claims/batches/{batch_id}.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data[:4] == b"%PDF"
    csv_text = client.get(f"/claims/batches/{batch_id}.csv").text
    assert csv_text.splitlines()[0].startswith("claim_id,family_ref") and "E03" in csv_text
    book = load_workbook(io.BytesIO(client.get(f"/claims/batches/{batch_id}.xlsx").data))
    sheet = book.active
    assert sheet.cell(1, 2).value == "family_ref" and sheet.max_row == 5  # header, 3 claims, total
    exports = db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "export")).all()
    assert sorted(e.detail for e in exports) == ["csv", "pdf", "xlsx"]


def test_claim_page_shows_evidence_changed_since_drafting(client, sign_in, built, cli, tmp_path):
    (tmp_path / "a.csv").write_text("asb_ref,person_ref,family_ref,date,kind\nAX1,P00002,,2013-09-01,incident\n")
    cli("import", "asb", tmp_path / "a.csv")
    sign_in("auditor")
    page = client.get(f"/claims/{built['E01'].id}").text
    assert "Evidence that differs from today (1)" in Page(page).headings
    assert Page(page).main.find(cls="govuk-warning-text__text").text() == (
        "Warning The family's records have changed since this claim was drafted. Today the "
        "result is not met. The claim keeps the evidence frozen when it was drafted.")
    # The record in words: its kind, and its fields as a reader says them (no JSON, no ISO date).
    table = next(t for t in parse(page).find_all("table")
                 if t.find("caption").text() == "Evidence differences")
    assert table.table()[1:] == [["ASB record AX1", "Not recorded",
                                  "Date: 1 September 2013; Kind: Incident; Person: Casey Roberts"]]


def test_money_page_counts_fees_and_claims(client, sign_in, built):
    sign_in("manager")
    page = client.get("/claims/money?programme=phase1").text  # the 2012-15 claims
    # Eligible and attached in 2012/13 (year 1): E01 E02 E03 E07 = 4 x £3,200; 2013/14: E05
    # £2,400. E04 is attached but not eligible: no fee.
    read = Page(page)
    fees = read.table("Attachment fees")
    assert fees.row("Year 1")["Fees"] == "£12,800"
    assert fees.row("Year 1")["Funded (5 of every 6)"] == "£10,667"
    assert fees.row("Year 2")["Fees"] == "£2,400"
    # drafts for families attached in year 1: 700 + 800 + 100
    assert read.table("Results payments").cell("Year 1", "Draft") == "£1,600"


def test_the_funded_share_in_the_money_headings_is_the_rulesets(client, sign_in, built,
                                                                monkeypatch):
    """"Funded (5 of every 6)" is read from the ruleset's funded_share, the one declaration:
    a ruleset funding 3 of every 4 changes the heading and the amounts under it together."""
    import dataclasses
    from fractions import Fraction

    from casework.evaluation import figures

    real = figures.get_ruleset
    monkeypatch.setattr(figures, "get_ruleset", lambda name="phase1", overrides=None: (
        dataclasses.replace(real(name, overrides), funded_share=Fraction(3, 4))))
    sign_in("manager")
    fees = Page(client.get("/claims/money?programme=phase1").text).table("Attachment fees")
    assert fees.headers[-1] == "Funded (3 of every 4)"
    assert fees.row("Year 1")["Funded (3 of every 4)"] == "£9,600"  # of £12,800
    dashboard = Page(client.get("/programme?programme=phase1").text)
    on_dashboard = dashboard.table("Attachment fees, by programme year of attachment")
    assert on_dashboard.headers[-1] == "Funded by DCLG (3 of every 4)"
    assert on_dashboard.cell("Year 1", "Funded by DCLG (3 of every 4)") == "£9,600"


@pytest.mark.parametrize("programme, day, funder", [
    ("phase1", dt.date(2013, 9, 30), "DCLG"),
    ("phase2", dt.date(2018, 1, 7), "DCLG"),   # the day before the department was renamed
    ("phase2", dt.date(2018, 1, 8), "MHCLG"),   # the day it was
    ("supporting_families", dt.date(2021, 9, 18), "MHCLG"),
    ("supporting_families", dt.date(2021, 9, 19), "DLUHC"),
    ("supporting_families", dt.date(2024, 7, 7), "DLUHC"),
    ("supporting_families", dt.date(2024, 7, 8), "MHCLG"),
])
def test_the_department_funding_each_programme_is_named_as_it_was_on_the_date(
        programme, day, funder):
    """Each programme names the department that funds it by its name on the figures' date
    (the ruleset's `funders`): renamed while the 2015-20 and Supporting Families programmes
    ran."""
    from casework.rules import get_ruleset

    assert get_ruleset(programme).funder(day) == funder
    assert get_ruleset(programme).funder(day - dt.timedelta(days=4000)) == (
        get_ruleset(programme).funders[0][1])  # before its first name: that name


def test_the_dashboard_names_the_funder_on_the_figures_date(client, sign_in, built):
    from casework.evaluation import figures
    from casework.rules import get_ruleset

    manager = sign_in("manager")
    as_of = figures.scope(manager).as_of
    for programme in ("phase1", "phase2"):
        dashboard = Page(client.get(f"/programme?programme={programme}").text)
        fees = dashboard.table("Attachment fees, by programme year of attachment")
        funder = get_ruleset(programme).funder(as_of)
        assert fees.headers[-1].startswith(f"Funded by {funder} (")
    assert get_ruleset("phase2").funder(as_of) == ("MHCLG" if as_of >= dt.date(2018, 1, 8)
                                                   else "DCLG")


@pytest.mark.parametrize("programme, most", [
    ("phase1", "£4,000"), ("phase2", "£1,800"), ("supporting_families", "£800")])
def test_the_money_page_says_the_most_a_family_is_paid_under_the_programme_shown(
        client, sign_in, built, programme, most):
    """The most a family is paid is the programme's own (its ruleset's
    max_payment_per_family), not the 2012-15 programme's £4,000 under every programme."""
    sign_in("manager")
    read = Page(client.get(f"/claims/money?programme={programme}").text)
    [said] = [p.text() for p in read.main.find_all("p")
              if p.text().startswith("A family's results are paid")]
    assert said.endswith(f"so fee and results never pass {most} a family.")


def test_money_page_reports_claims_recorded_at_the_old_claim_year_rates_under_the_year_of_attachment(
        client, sign_in, built):
    # A claim recorded before results were paid by the year of attachment: E01 (attached in
    # programme year 1) claimed in year 3 at the year-3 rate, £2,100, and submitted.
    e01 = built["E01"]
    db.session.add(m.Claim(family_id=e01.family_id, result="progress_to_work",
                           claim_kind="progress_to_work", amount=300, programme_year=3,
                           as_of=dt.date(2014, 6, 30), state="submitted", ruleset="phase1",
                           snapshot=e01.snapshot))
    e01.amount, e01.programme_year = 2100, 3
    db.session.commit()
    sign_in("manager")
    page = client.get("/claims/money?programme=phase1").text  # the 2012-15 claims
    rows = re.findall(r"<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">(Year \d)</td>\s*"
                      r"((?:<td[^>]*>£[\d,]+</td>)+)</tr>", page)
    results = {year: re.findall(r"£([\d,]+)", cells) for year, cells in rows}
    # Year 1 (draft, validated, submitted, rejected): E01's frozen £2,100 and E03's £800 and
    # E07's £100 drafts; the £300 submitted. Nothing under year 3, the year of the claims.
    assert results == {"Year 1": ["3,000", "0", "300", "0"]}
    assert [n.text() for n in Page(page).main.find_all(cls="govuk-inset-text")
            if "frozen when drafted" in n.text()][0].startswith(
        "Programme year 1: 2 claims (not rejected) keep the amount frozen when drafted, £1,600 "
        "above what a family attached in that year is paid for the result.")


class _Cells(HTMLParser):
    """The text of every table row's cells (th and td), and every summary-list row's key and
    value (dt and dd)."""

    def __init__(self, html):
        super().__init__()
        self.rows, self.summary, self._cell, self._row = [], [], None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("th", "td", "dt", "dd"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("dt", "dd") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if tag == "dt":
                self.summary.append([text, None])
            elif self.summary and self.summary[-1][1] is None:
                self.summary[-1][1] = text
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_the_claims_pages_and_csv_show_each_claims_programme(client, sign_in, built, cli):
    sign_in("manager")
    rows = [r for r in _Cells(client.get("/claims/").text).rows if len(r) == 9]  # the claims
    header = rows[0]
    assert header[4:6] == ["Programme", "Result"]
    listed = {r[1].split()[0]: r[4] for r in rows[1:]}
    assert listed == {"E01": "Troubled Families 2012-15", "E03": "Troubled Families 2012-15",
                      "E07": "Troubled Families 2012-15"}
    claim = built["E01"]
    page = client.get(f"/claims/{claim.id}").text
    summary = [r for r in _Cells(page).summary if r[0] == "Programme"]
    assert summary == [["Programme", "Troubled Families 2012-15 (phase1)"]]
    auditor = create_user("auditor")
    for c in built.values():
        cli("claims", "validate", c.id, "--by", auditor.email)
    batch_id = cli("claims", "batch", "--window", "October 2013").output.split()[-1]
    lines = list(csv.reader(io.StringIO(client.get(f"/claims/batches/{batch_id}.csv").text)))
    assert lines[0] == ["claim_id", "family_ref", "family_name", "result", "amount",
                        "claim_date", "programme_year", "validated_by", "validated_at",
                        "window", "batch_id", "ruleset"]
    assert [line[-1] for line in lines[1:]] == ["phase1"] * 3


def test_a_build_job_names_the_family_whose_rules_raised(client, sign_in, examples, run_jobs,
                                                         monkeypatch):
    from .test_claims import _broken

    examples()
    _broken(monkeypatch, "E07")
    sign_in("manager")
    response = post_form(client, "/claims/", {"build-as_of": ["30", "9", "2013"],
                                              "build-build": "1"})
    assert run_jobs() == 1
    [banner] = Page(client.get(response.headers["Location"]).text).banners
    assert banner.startswith("2 draft claims created for results claimable on 30 September 2013.")
    assert ("1 family could not be evaluated and is left out of this build, to be claimed at "
            "a later build once put right: E07 (phase1): ValueError: a date the rules cannot "
            "read") in banner
