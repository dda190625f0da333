"""The drills' set-up: a PostgreSQL primary of their own (fsync on, since they stop it part
way), migrated once and emptied after each drill; Redis, app servers and workers started by
each drill (tests/drills/harness.py). Run with `pytest --drills -m drill tests/drills`;
`make test` leaves them out (.ci/run runs them as a job of their own)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from casework import create_app
from casework.extensions import db

from ..conftest import EXAMPLES
from ..pg import DURABLE, Cluster
from .harness import Redis, scratch


@pytest.fixture(scope="session")
def primary():
    from flask_migrate import upgrade

    cluster = Cluster(settings=DURABLE)
    url = cluster.start()
    app = create_app("test", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    # Alembic's logging set-up turned off the loggers that existed: the drills read casework's.
    for name, logger in logging.Logger.manager.loggerDict.items():
        if name.startswith("casework") and isinstance(logger, logging.Logger):
            logger.disabled = False
    yield cluster
    cluster.stop()


FAILED = pytest.StashKey[bool]()
FOLDER = pytest.StashKey[Path]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A drill that fails keeps its folder (the servers' logs, Redis's files) and its report
    says where; `folder` removes it after a drill that passed."""
    report = (yield).get_result()
    if report.failed:
        item.stash[FAILED] = True
        kept = item.stash.get(FOLDER, None)
        if kept is not None:
            report.sections.append(("drill folder", f"the drill's logs are kept in {kept}"))


@pytest.fixture
def folder(request):
    """The drill's own folder under the system's temporary folder: its processes' logs and
    Redis's files. Removed when the drill passes; kept, and named, when it fails."""
    path = request.node.stash[FOLDER] = scratch("casework-drill-")
    yield path
    if not request.node.stash.get(FAILED, False):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def site(primary, folder, monkeypatch):
    """This process's own view of the drill's database (to set it up and check it), with
    the worked examples imported and helpers to make users."""
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    app = create_app("test", SQLALCHEMY_DATABASE_URI=primary.url)
    with app.app_context():
        yield Site(app, primary, folder)
        db.session.rollback()
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(text(f"DELETE FROM {table.name}"))
        db.engine.dispose()


class Site:
    def __init__(self, app, primary, folder):
        self.app, self.primary, self.folder = app, primary, folder
        self.runner = app.test_cli_runner()

    def cli(self, *args, input=None):
        return self.runner.invoke(args=[str(a) for a in args], input=input)

    def examples(self) -> None:
        for kind in ("families", "people", "school-terms", "asb", "offences", "work"):
            result = self.cli("import", kind, EXAMPLES / f"{kind}.csv")
            assert result.exit_code == 0, result.output

    def user(self, role: str):
        from ..factories import create_user

        user = create_user(role)
        db.session.commit()
        return user

    def scalar(self, sql: str, **params):
        """A fresh read of the database (nothing cached in this process's session)."""
        db.session.rollback()
        value = db.session.execute(text(sql), params).scalar()
        db.session.rollback()
        return value


@pytest.fixture
def redis(folder):
    server = Redis(folder)
    server.start()
    yield server
    server.kill9()
