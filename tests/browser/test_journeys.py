"""One journey per role, in a real browser, with screenshots and an accessibility audit."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.caseloads.service import allocate
from casework.extensions import db

from ..conftest import EXAMPLES, PASSWORD
from ..factories import cover_wards, create_family, create_user
from .conftest import sign_in


def _no_serious_violations(axe, page, urls):
    state = page.context.storage_state()
    problems = {url: axe(url, state) for url in urls}
    assert {u: v for u, v in problems.items() if v} == {}


def test_a_worker_finds_their_family_logs_a_contact_and_sees_it_on_the_timeline(
        page, live_server, examples, shot, axe):
    examples()
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North", name="Sam Patel")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    allocate(family, worker, dt.date(2012, 7, 16), lead)

    sign_in(page, live_server, worker.email, PASSWORD)
    page.get_by_role("link", name="My families").click()
    shot("my-families")
    page.get_by_role("link", name="Log a contact with Taylor household").click()
    page.set_viewport_size({"width": 375, "height": 812})
    page.get_by_label("Phone call").check()
    page.get_by_label("Duration in minutes").fill("25")
    page.get_by_label("Casey Roberts").check()
    page.get_by_label("Notes").fill("Casey has been at school every day this week.")
    page.get_by_label("Follow-up action 1").fill("Call the school on Friday")
    shot("contact-form-phone")
    page.get_by_role("button", name="Save contact").click()
    page.wait_for_url("**/timeline")
    expect(page.get_by_text("Phone call by Sam Patel, 25 minutes")).to_be_visible()
    shot("timeline")
    _no_serious_violations(axe, page, [f"{live_server}/my-families",
                                       f"{live_server}/families/E01/contacts/new",
                                       f"{live_server}/families/E01/timeline",
                                       f"{live_server}/families/E01"])


def test_a_team_lead_allocates_is_refused_at_the_limit_and_overrides(page, live_server, shot, axe):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North", name="Jo Clarke")
    for i in range(10):
        allocate(create_family(f"T{i:02d}"), worker, clock.today(), lead)
    create_family("NEW1", family_name="Newcomer household", ward="Park",
                  attached_on=clock.today())  # signed up, waiting for a worker
    cover_wards("North", "Park")
    sign_in(page, live_server, lead.email, PASSWORD)
    page.goto(f"{live_server}/families/NEW1/allocate")
    page.get_by_label("FIP worker").select_option(label="Jo Clarke: 10 active, 10 in 12 months")
    page.get_by_role("button", name="Allocate family").click()
    expect(page.get_by_text("Jo Clarke already has 10 active families (limit 10)").first).to_be_visible()
    shot("refused")
    page.get_by_label("Override reason").fill("Sibling of a family Jo already works with")
    page.get_by_role("button", name="Allocate family").click()
    page.wait_for_url("**/team")
    expect(page.get_by_text("NEW1 allocated to Jo Clarke.")).to_be_visible()
    shot("team")
    _no_serious_violations(axe, page, [f"{live_server}/team", f"{live_server}/families/NEW1/allocate"])


def test_a_manager_uploads_a_csv_with_a_bad_row_fixes_it_and_imports(page, live_server, shot, axe, tmp_path):
    manager = create_user("manager")
    bad = tmp_path / "families.csv"
    bad.write_text("family_ref,family_name,identified_on\nB1,Ok household,2013-01-01\nB2,,2013-02-30\n")
    sign_in(page, live_server, manager.email, PASSWORD)
    page.get_by_role("link", name="Import data").click()
    page.get_by_label("Families", exact=True).check()
    page.get_by_label("Upload a CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import file").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("families.csv:3: family_name: is required")
    expect(summary).to_contain_text("families.csv:3: identified_on: '2013-02-30' is not a real date")
    shot("errors")
    bad.write_text("family_ref,family_name,identified_on\nB1,Ok household,2013-01-01\nB2,Fixed household,2013-02-28\n")
    page.get_by_label("Families", exact=True).check()
    page.get_by_label("Upload a CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import file").click()
    expect(page.get_by_text("families: 2 created, 0 updated, 0 unchanged")).to_be_visible()
    shot("imported")
    _no_serious_violations(axe, page, [f"{live_server}/imports/", f"{live_server}/families",
                                       f"{live_server}/results?as_of=2013-09-30"])


def test_an_auditor_validates_a_claim_and_downloads_the_batch_pdf(page, live_server, cli, shot, axe, tmp_path):
    for kind in ("families", "people", "school-terms", "asb", "offences", "work"):
        cli("import", kind, EXAMPLES / f"{kind}.csv")
    cli("claims", "build", "--as-of", "2013-09-30")
    auditor = create_user("auditor", name="Ann Auditor")
    sign_in(page, live_server, auditor.email, PASSWORD)
    page.get_by_role("link", name="Claims").click()
    page.get_by_label("Result").select_option("crime_asb_education")
    page.get_by_role("button", name="Filter claims").click()
    expect(page.get_by_text("1 claim, £700")).to_be_visible()
    page.set_viewport_size({"width": 375, "height": 812})
    shot("queue-375")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/claims/")
    page.get_by_role("link", name="Claim 1").click()
    shot("claim")
    page.get_by_label("I have checked this claim's evidence").check()
    page.get_by_role("button", name="Validate claim").click()
    expect(page.get_by_text("Claim 1 validated.")).to_be_visible()
    batch_id = cli("claims", "batch", "--window", "October 2013").output.split()[-1]
    page.goto(f"{live_server}/claims/batches/{batch_id}")
    shot("batch")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the claim (PDF)").click()
    path = tmp_path / "batch.pdf"
    download.value.save_as(path)
    assert path.read_bytes()[:4] == b"%PDF"
    _no_serious_violations(axe, page, [f"{live_server}/claims/", f"{live_server}/claims/1",
                                       f"{live_server}/claims/batches/{batch_id}"])


def test_a_manager_reads_the_dashboard_and_costs_and_downloads_the_board_report(
        page, live_server, examples, cli, shot, axe, tmp_path):
    examples()
    # The summary pages read the stored evaluation: the nightly run, here for 30 September 2013.
    assert cli("evaluate", "--as-of", "2013-09-30", "--store").exit_code == 0
    admin = create_user("admin", name="Ada Admin")
    sign_in(page, live_server, admin.email, PASSWORD)
    page.get_by_role("link", name="Unit costs").click()
    page.get_by_label("Anti-social behaviour incident recorded by the police: cost of one incident").fill("700")
    page.get_by_role("button", name="Save unit costs").click()
    page.get_by_text("1 unit cost changed.").wait_for()  # after the redirect, not before
    shot("unit-costs")
    _no_serious_violations(axe, page, [f"{live_server}/admin/unit-costs"])

    page.context.clear_cookies()
    manager = create_user("manager", name="Mo Manager")
    sign_in(page, live_server, manager.email, PASSWORD)
    page.get_by_role("link", name="Programme").click()
    page.get_by_role("heading", name="Programme dashboard on 30 September 2013").wait_for()
    expect(page.locator("svg[role=img]")).to_have_count(5)
    shot("dashboard")
    page.get_by_role("link", name="Cost analysis: estimated costs avoided").click()
    page.get_by_role("heading", name="Estimated costs avoided on 30 September 2013").wait_for()
    expect(page.get_by_role("cell", name="£700.00")).to_be_visible()
    shot("costs")
    page.goto(f"{live_server}/programme/board-report")
    page.get_by_label("Quarter").select_option("2013-Q2")
    page.get_by_role("button", name="Make the report (PDF)").click()
    shot("board-report-job")  # the job page: its progress, then (reloaded by its script) the download
    with page.expect_download() as download:
        page.get_by_role("button", name="Download partnership-board-2013-Q2.pdf").click()
    path = tmp_path / "board.pdf"
    download.value.save_as(path)
    assert path.read_bytes()[:4] == b"%PDF"
    _no_serious_violations(axe, page, [f"{live_server}/programme",
                                       f"{live_server}/programme/costs",
                                       f"{live_server}/programme/board-report"])


def test_forms_work_with_the_keyboard_alone(page, live_server):
    manager = create_user("manager")
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")
    for _ in range(8):
        if page.evaluate("document.activeElement.id") == "email":
            break
        page.keyboard.press("Tab")
    page.keyboard.type(manager.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/programme")  # a manager's home
    expect(page.get_by_role("heading", name="Programme dashboard").first).to_be_visible()


def test_a_large_upload_shows_progress_then_the_summary(page, live_server, shot, tmp_path):
    manager = create_user("manager")
    big = tmp_path / "families.csv"
    big.write_text("family_ref,family_name,ward\n" + "".join(
        f"L{i:06d},Large household {i},Fant\n" for i in range(12000)))
    assert big.stat().st_size > 256 * 1024
    sign_in(page, live_server, manager.email, PASSWORD)
    page.goto(f"{live_server}/imports/")
    page.get_by_label("Families", exact=True).check()
    page.get_by_label("Upload a CSV file").set_input_files(str(big))
    page.get_by_role("button", name="Import file").click()
    page.get_by_text("families: 12000 created, 0 updated, 0 unchanged").wait_for()
    shot("large-upload")
    assert db.session.scalar(select(m.Family.family_ref).where(m.Family.family_ref == "L011999"))


FORM_PAGES = {
    "worker": ["/families/E01/contacts/new"],
    "team_lead": ["/families/E01/allocate", "/families/E01/close"],
    "manager": ["/imports/", "/families/E01/edit", "/claims/", "/results?as_of=2013-09-30",
                "/programme/board-report"],
    "auditor": ["/claims/1"],
}


def _tab_order(page, limit=120):
    seen = []
    page.locator("body").focus()
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const e = document.activeElement;
            if (!e || e === document.body) return null;
            // A radio group is one tab stop; its options are chosen with the arrow keys.
            return e.type === "radio" ? "radio:" + e.name : (e.id || e.name || e.textContent.trim().slice(0, 40));
        }""")
        if focused is None or (seen and focused == seen[0]):
            break
        seen.append(focused)
    return seen


def test_every_main_form_can_be_completed_with_the_keyboard_alone(page, live_server, cli, examples):
    examples()
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    allocate(family, worker, dt.date(2012, 7, 16), lead)
    cli("claims", "build", "--as-of", "2013-09-30")
    users = {"worker": worker, "team_lead": lead, "manager": create_user("manager"),
             "auditor": create_user("auditor")}
    for role, paths in FORM_PAGES.items():
        page.context.clear_cookies()
        sign_in(page, live_server, users[role].email, PASSWORD)
        for path in paths:
            page.goto(f"{live_server}{path}")
            order = set(_tab_order(page))
            fields = page.evaluate("""() => Array.from(document.querySelectorAll(
                'main form input:not([type=hidden]), main form select, main form textarea, main form button'))
                .filter(e => e.offsetParent !== null)
                .map(e => e.type === "radio" ? "radio:" + e.name : (e.id || e.name || e.textContent.trim().slice(0, 40)))""")
            missing = [f for f in fields if f not in order]
            assert missing == [], (role, path, missing)
