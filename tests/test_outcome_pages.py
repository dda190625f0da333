"""The family page under the council's later programme, and the dashboard's additions."""

import datetime as dt
import html as html_text
import json
import re
from html.parser import HTMLParser

from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from .parsed import Page


def _need(page: Page, heading: str) -> dict[str, str]:
    """The rows (key -> value) of the summary list under one need's heading in the needs
    section."""
    rows: dict[str, str] = {}
    under, key = False, None
    for node in page.main.by_id("later-programme").iter():
        if node.tag == "h3":
            under = node.text() == heading
        elif under and node.tag == "dt":
            key = node.text()
        elif under and node.tag == "dd" and key is not None:
            rows.setdefault(key, node.text())
    return rows


def test_the_family_page_shows_each_need_its_evidence_and_when_it_is_claimable(
        app, client, frame_examples, sign_in):
    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    sign_in("manager")
    page = client.get("/families/P02?as_of=2016-09-30")
    assert page.status_code == 200
    read = Page(page.text)
    assert "Needs under the expanded programme, 2015-20" in read.headings
    judged_by = read.main.by_id("later-programme").find("p").text()
    assert "(the worked example shipped with casework: the council has not loaded its own " \
        "plan)" in judged_by
    need = _need(read, "Children need help: P02-C (N-201)")
    assert need["Status"] == "Sustaining Claimable from 1 December 2016"
    assert need["Indicator"] == "child_plan: no open child protection plan or child in need"
    event = db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.object_ref == "P02")).all()
    assert event and event[-1].action == "view"


def test_the_family_page_shows_each_assessment_with_its_author(app, client, frame_examples,
                                                               sign_in):
    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    sign_in("manager")
    text = client.get("/families/P01?as_of=2016-09-30").text
    assessments = [li.text() for li in Page(text).main.by_id("later-programme").find_all("li")]
    assert ("15 January 2016: positive, by Sam Worker (key worker): GP confirms the condition is "
            "managed") in assessments


def test_without_a_chosen_later_programme_the_family_page_has_no_needs_section(
        client, frame_examples, sign_in):
    frame_examples("phase2")
    sign_in("manager")
    read = Page(client.get("/families/P01").text)
    assert read.h1 and not [h for h in read.headings if h.startswith("Needs under")]
    assert "Needs under" not in read.text


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
    needs = Page(page.text).main.by_id("later-programme")
    assert needs.find(cls="govuk-warning-text__text").text() == (
        "Warning The council's Outcome Plan could not be read, so no need can be judged. An "
        "administrator must load a corrected version on the Outcome Plans page.")
    assert [li.text() for li in needs.find("ul").find_all("li")] == [
        "plan.json:1: problems.pets: is not a headline problem of phase2; use crime_asb, "
        "education, children_need_help, worklessness, domestic_abuse, health"]


def test_the_dashboard_counts_families_by_needs_and_claims_by_month(cli, client,
                                                                    frame_examples, sign_in):
    frame_examples("phase2")
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    sign_in("manager")
    page = client.get("/programme?programme=phase2")  # the families' programme
    assert page.status_code == 200
    read = Page(page.text)
    # P01, P02, P03 have 2 needs; P04 has 1.
    assert read.table("Families by number of needs").rows == [
        {"Needs": "1", "Families": "1"}, {"Needs": "2", "Families": "3"}]
    months = read.table("Claims by month of the claim date")
    assert months.cell("September 2016", "Amount") == "£1,600"
    # Under Supporting Families (today's programme) they are none of its families or claims.
    other = Page(client.get("/programme?programme=supporting_families").text)
    assert other.table("Families by number of needs").rows == [
        {"Needs": "No needs recorded"}]
    assert "September 2016" not in other.table("Claims by month of the claim date").column(
        "Month")


class _Rows(HTMLParser):
    """The page's summary-list rows (key, value) and paragraphs, as text."""

    def __init__(self, html):
        super().__init__()
        self.rows, self.paragraphs, self._in, self._depth = [], [], None, 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        if self._in:
            self._depth += tag == self._in[0]
        elif tag == "dt" and "govuk-summary-list__key" in cls:
            self._in, self._depth = ("dt", []), 1
        elif tag == "dd" and "govuk-summary-list__value" in cls:
            self._in, self._depth = ("dd", []), 1
        elif tag == "p" and cls == "govuk-body":
            self._in, self._depth = ("p", []), 1

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            self._depth -= 1
            if self._depth == 0:
                text = " ".join("".join(self._in[1]).split())
                if tag == "dt":
                    self.rows.append([text, None])
                elif tag == "dd":
                    self.rows[-1][1] = text
                else:
                    self.paragraphs.append(text)
                self._in = None

    def handle_data(self, data):
        if self._in:
            self._in[1].append(data)


def test_the_family_page_says_why_nothing_is_claimable_before_attachment(
        app, client, frame_examples, sign_in):
    frame_examples("phase2")  # P01 is attached on 1 June 2015
    app.config["OUTCOME_RULESET"] = "phase2"
    sign_in("manager")
    page = _Rows(client.get("/families/P01?as_of=2015-05-31").text)
    assert ["Claimable now", "Nothing: The family is attached on 1 Jun 2015, after 31 May "
            "2015: nothing is claimable before attachment"] in page.rows
    page = _Rows(client.get("/families/P01?as_of=2016-09-30").text)
    assert ["Claimable now", "family outcome"] in page.rows
    # phase1 takes its last families on 31 March 2015: P01 is not its family. The page names
    # the programme as its users know it, not by its ruleset's name ("phase1").
    assert ("Nothing is claimable on 30 September 2016. Attached on 1 Jun 2015, after Troubled "
            "Families 2012-15 took its last families on 31 Mar 2015: nothing is claimable under "
            "Troubled Families 2012-15." in page.paragraphs)
    assert not any("phase1" in p for p in page.paragraphs)


def _summary_errors(html):
    """The error summary's messages."""
    found = re.findall(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', html, re.S)
    return [" ".join(html_text.unescape(re.sub(r"<[^>]+>", "", item)).split())
            for block in found for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_a_manager_approves_equivalent_progress_on_the_page(app, client, frame_examples,
                                                             sign_in, cli):
    from .conftest import post_form
    from .test_outcome_plans import assert_stored_as_a_full_refresh_stores

    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    manager = sign_in("manager", name="Pat Manager")
    family = client.get("/families/P03?as_of=2016-09-30").text
    url = "/families/P03/needs/N-302/equivalent-progress"
    assert url in Page(family).links.values()
    wrong = post_form(client, url, {"approved_on": ["31", "2", "2016"], "reason": " "})
    assert _summary_errors(wrong.text) == ["Date of the approval must be a real date",
                                           "Enter why the progress is equivalent"]
    assert db.session.scalars(select(m.NeedDiscretion)).all() == []
    done = post_form(client, url, {"approved_on": ["1", "9", "2016"],
                                   "reason": "Completed a course"})
    assert done.status_code == 302 and done.headers["Location"].endswith(
        "/families/P03#need-N-302")
    approval = db.session.scalars(select(m.NeedDiscretion)).one()
    assert (approval.approved_on, approval.approved_by_id, approval.reason) == (
        dt.date(2016, 9, 1), manager.id, "Completed a course")
    actions = [e.action for e in db.session.scalars(
        select(m.AuditEvent).where(m.AuditEvent.object_ref == "N-302").order_by(m.AuditEvent.id))]
    assert actions == ["view", "view", "view", "discretion"]  # each page shown, then approved
    # The stored evaluation counts the approval at once, as a full refresh would.
    assert_stored_as_a_full_refresh_stores(cli)


def test_the_page_refuses_equivalent_progress_under_supporting_families(app, client, cli,
                                                                         frame_examples,
                                                                         sign_in, tmp_path):
    frame_examples("phase2")
    (tmp_path / "needs.csv").write_text(
        "need_ref,family_ref,person_ref,problem,indicator,identified_on\n"
        "N-109,P01,,housing,housing_secure,2015-06-01\n")
    assert cli("import", "needs", tmp_path / "needs.csv").exit_code == 0
    app.config["OUTCOME_RULESET"] = "phase2"
    sign_in("manager")
    page = Page(client.get("/families/P01/needs/N-109/equivalent-progress").text)
    assert page.h1 == "Equivalent progress on N-109"
    assert page.main.by_id("refused").find(cls="govuk-warning-text__text").text() == (
        "Warning Equivalent progress cannot be approved on this need: N-109 is a need under "
        "housing and housing is a headline problem of supporting_families only: "
        "supporting_families does not allow equivalent progress (local discretion is phase2's "
        "only).")
    assert page.field("reason") is None and page.main.find("form") is None  # nothing to fill in
    app.config["OUTCOME_RULESET"] = "supporting_families"
    assert 'equivalent-progress"' not in client.get("/families/P03?as_of=2016-09-30").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/families/P03").text).group(1)
    refused = client.post("/families/P03/needs/N-302/equivalent-progress", data={
        "csrf_token": token, "approved_on": ["1", "9", "2016"], "reason": "x"})
    assert refused.status_code == 200
    assert _summary_errors(refused.text) == [
        "N-302 is a need under health and the need is judged under supporting_families: "
        "supporting_families does not allow equivalent progress (local discretion is phase2's "
        "only)"]
    assert db.session.scalars(select(m.NeedDiscretion)).all() == []


def test_only_managers_approve_and_only_a_need_of_the_family_in_the_address(
        app, client, frame_examples, sign_in):
    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    sign_in("auditor")
    assert client.get("/families/P03/needs/N-302/equivalent-progress").status_code == 403
    assert 'equivalent-progress"' not in client.get("/families/P03?as_of=2016-09-30").text
    from .conftest import login
    from .factories import create_user

    manager = app.test_client()
    login(manager, create_user("manager").email)
    assert manager.get("/families/P03/needs/N-302/equivalent-progress").status_code == 200
    assert manager.get("/families/P01/needs/N-302/equivalent-progress").status_code == 404
