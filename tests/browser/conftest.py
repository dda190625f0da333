"""Browser journeys: the app served on 127.0.0.1 in a thread, driven by Playwright in
Debian's Chromium (Playwright cannot download browsers here)."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# axe's rules for WCAG 2.0, 2.1 and 2.2 at levels A and AA, and its best practices.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
# axe rules that fail a page at any impact: "region", all content inside landmarks (a back
# link before <main> was reported on 11 of 18 pages).
ALWAYS = {"region"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item):
    """The journeys serve the app and drive Chromium: they run apart, without -n (README,
    Tests); given to a pytest-xdist worker, each fails saying so."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.fail("the browser tests (tests/browser) run without -n: add -m 'not browser' "
                    "to a run with -n and run them in a run of their own", pytrace=False)


def _install_chromium() -> None:
    """Install Debian's Chromium when it is missing and we may (root); Playwright's own
    browser download is not reachable here."""
    if Path(CHROMIUM).exists() or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env,
                   capture_output=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    _install_chromium()
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: install Debian's chromium package (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stop = threading.Event()
    worker = threading.Thread(target=_run_jobs, args=(app, stop), daemon=True)
    worker.start()
    yield f"http://127.0.0.1:{server.server_port}"
    stop.set()
    worker.join(timeout=30)
    server.shutdown()
    thread.join(timeout=5)


def _run_jobs(app, stop: threading.Event) -> None:
    """The job worker beside the server: run each queued job as `casework worker` would."""
    huey = app.extensions["casework_queue"]
    while not stop.is_set():
        task = huey.dequeue()
        if task is None:
            stop.wait(0.2)
        else:
            huey.execute(task)


@pytest.fixture
def shot(page, request):
    """Save a full-page screenshot (of the test's page, or the one given) as a test artefact."""
    ARTIFACTS.mkdir(exist_ok=True)

    def _shot(name: str, of=None) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        (of or page).screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture
def axe(browser):
    """Run axe-core on a URL (in a context that lets the audit script run under our CSP) and
    return the serious and critical violations, and those of the rules in ALWAYS whatever
    their impact (content outside the landmarks is "moderate" to axe, a failure to us)."""

    def _check(url: str, storage_state: dict, viewport: dict | None = None) -> list[dict]:
        context = browser.new_context(bypass_csp=True, storage_state=storage_state,
                                      viewport=viewport or {"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async (WCAG) => await axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: WCAG}})",
                               WCAG_TAGS)
        context.close()
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical") or v["id"] in ALWAYS
        ]

    return _check


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    if "/login" not in page.url:
        # Still signed in as the journey's previous user: a response that was in flight when
        # the test cleared the cookies brought the session cookie back. Clear them again.
        page.context.clear_cookies()
        page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.keyboard.press("Enter")  # keyboard only
    page.wait_for_url(lambda url: "/login" not in url)
