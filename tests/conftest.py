"""Test set-up: a migrated database (SQLite, or PostgreSQL with CASEWORK_TEST_DB=postgresql),
emptied after each test, and helpers to sign in through the real form."""

from __future__ import annotations

import copy
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from casework import cache_version, create_app
from casework.extensions import db

from .parsed import Page

# The worked examples are the project's own test data (tests/fixtures/examples/basic/README.md).
EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "examples" / "basic"
# The later programmes' worked examples, one folder a ruleset (tests/fixtures/outcomes/README.md).
OUTCOMES = Path(__file__).resolve().parent / "fixtures" / "outcomes"
PASSWORD = "correct-horse-battery-9"


def pytest_addoption(parser):
    parser.addoption("--drills", action="store_true",
                     help="run the drills (tests/drills, marked drill): real Redis, app "
                          "servers, workers, a PostgreSQL replica, faults; slow")


def pytest_collection_modifyitems(config, items):
    """The drills run only when asked for (`--drills`): .ci/run runs them as a job of their
    own after the main suite, which `make test` is."""
    if config.getoption("--drills"):
        return
    kept, drills = [], []
    for item in items:
        (drills if item.get_closest_marker("drill") else kept).append(item)
    if drills:
        config.hook.pytest_deselected(items=drills)
        items[:] = kept


def worker_name() -> str:
    """This process's name under pytest-xdist (`gw0`, `gw1`, ...), `main` without it."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url():
    """The run's database, one per process: under pytest-xdist (`-n 2`) each worker has a
    PostgreSQL cluster of its own (its own folder and port, tests/pg.py) or a SQLite file in
    a folder of its own, so that no worker sees or deletes another's rows."""
    backend = os.environ.get("CASEWORK_TEST_DB", "sqlite")
    if backend == "postgresql":
        from .pg import Cluster

        cluster = Cluster()  # raises, failing the run, if PostgreSQL cannot be started
        url = cluster.start()
        yield url
        cluster.stop()
    else:
        folder = tempfile.mkdtemp(prefix=f"casework-test-{worker_name()}-")
        yield f"sqlite:///{folder}/casework.db"
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def _migrated(database_url):
    """Run the real Alembic migrations once: the schema under test is the shipped one."""
    from flask_migrate import upgrade

    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        upgrade()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        db.engine.dispose()
    return tables


@pytest.fixture(scope="session")
def _session_app(database_url, _migrated):
    """The one app of the run: its templates, routes and SQL are compiled once, not per test
    (building an app and compiling its templates again was most of a small test's time)."""
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables(tables: list[str]) -> None:
    """Delete every row the test left, children first: whatever committed it (the code
    commits itself: @transactional, after_commit hooks, jobs, the audit's own transaction)."""
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))
        # The connection goes back to the pool as a new one would be: what was noted on it
        # (cache_version marks a connection that wrote a watched table, and these DELETEs
        # did) must not carry into the next test's first commit.
        conn.info.clear()


@pytest.fixture
def app(request, database_url, _migrated, monkeypatch):
    """The session's app, as new to each test: its configuration as built, an empty job
    queue and empty tables afterwards. A test that changes the app itself (adds a route)
    is marked `own_app` and gets an app of its own, as every test did before."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    if request.node.get_closest_marker("own_app"):
        app = create_app("test", SQLALCHEMY_DATABASE_URI=database_url)
    else:
        app = request.getfixturevalue("_session_app")
    config = copy.deepcopy(dict(app.config))
    extensions = dict(app.extensions)
    client_class = app.test_client_class
    with app.app_context():
        try:
            yield app
        finally:
            db.session.rollback()
            db.session.remove()
            app.extensions["casework_queue"].flush()
            _empty_tables(_migrated)
            # The DELETEs took the data versions back to none, which never happens in use:
            # what this process cached under a version must not be served to the next test
            # when it reaches the same version.
            cache_version.clear()
            if request.node.get_closest_marker("own_app"):
                db.engine.dispose()
    app.config.clear()
    app.config.update(config)
    app.extensions.clear()
    app.extensions.update(extensions)
    app.test_client_class = client_class


class FreshContextClient(FlaskClient):
    """Give each request its own app context (and `g`), as a real server does, even though
    the test keeps one pushed for its own database work."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(args=[str(a) for a in args], input=input)

    return invoke


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client, email: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
    )


def post_form(client, url: str, data: dict, page_url: str | None = None, **kwargs):
    """POST a form the way a browser does: with the CSRF token from the page that shows it."""
    page = client.get(page_url or url)
    return client.post(url, data={**data, "csrf_token": csrf_token(page.text)}, **kwargs)


class ClientRequest:
    """Requests that read the answer as a user does (as Notify's client_request): the status
    checked, the page parsed (tests/parsed.py `Page`: title, headings, tables by header,
    error summary, summary lists, banners)."""

    def __init__(self, client):
        self.client = client

    def _page(self, response, expected_status: int) -> Page:
        assert response.status_code == expected_status, (
            f"{response.status_code}, not {expected_status}: {response.location or ''}"
            f"{response.text[:500]}")
        return Page(response.text, response.status_code, response.location)

    def get(self, url: str, expected_status: int = 200, **kwargs) -> Page:
        return self._page(self.client.get(url, **kwargs), expected_status)

    def post(self, url: str, data: dict | None = None, expected_status: int = 302,
             page_url: str | None = None, follow: bool = False, **kwargs) -> Page:
        """POST a form with the CSRF token of the page that shows it; with follow, the page
        the answer redirects to (200 unless expected_status says otherwise)."""
        response = post_form(self.client, url, data or {}, page_url=page_url,
                             follow_redirects=follow, **kwargs)
        return self._page(response, 200 if follow and expected_status == 302
                          else expected_status)


@pytest.fixture
def client_request(client):
    return ClientRequest(client)


@pytest.fixture
def sign_in(client):
    """Sign in as a new user of `role`; returns the user."""
    from .factories import create_user

    def _sign_in(role: str, **kwargs):
        user = create_user(role, **kwargs)
        response = login(client, user.email)
        assert response.status_code == 302, response.text
        return user

    return _sign_in


@pytest.fixture
def lead(app):
    """Team North's team lead, Priya Shah."""
    from .factories import create_user

    return create_user("team_lead", team="North", name="Priya Shah")


@pytest.fixture
def worker(app):
    """A FIP worker of team North, Sam Patel."""
    from .factories import create_user

    return create_user("worker", team="North", name="Sam Patel")


def run_queued(app) -> int:
    """Run the app's queued jobs here, each in its own app context as the worker process
    would; return how many ran."""
    huey = app.extensions["casework_queue"]
    count = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        count += 1
    db.session.expire_all()
    return count


@pytest.fixture
def run_jobs(app):
    """run_queued for the test's app: `run_jobs()`."""
    return lambda: run_queued(app)


@pytest.fixture
def examples(cli):
    """Import the worked examples through the command line."""

    def _load():
        for kind in ("families", "people", "school-terms", "asb", "offences", "work"):
            result = cli("import", kind, EXAMPLES / f"{kind}.csv")
            assert result.exit_code == 0, result.output

    return _load


@pytest.fixture
def frame_examples(cli):
    """Import a later programme's worked example through the command line."""

    def _load(name):
        for kind in ("families", "people", "domestic-abuse", "asb", "child-status", "work",
                     "needs", "assessments"):
            path = OUTCOMES / name / f"{kind}.csv"
            if path.exists():
                result = cli("import", kind, path)
                assert result.exit_code == 0, result.output

    return _load
