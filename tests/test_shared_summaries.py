"""The summaries the job worker counts once for every web process (cache_version.sharing):
after storing the figures, jobs.service.keep_figures_stored counts the dashboard's, the
money page's and the selection page's summaries of every stored scope and writes them to
shared_summaries; a web process reads them there instead of counting every family again,
only while they were counted at the stored figures' version now."""

import datetime as dt
import pickle

from sqlalchemy import select

from casework import cache_version
from casework import models as m
from casework.evaluation import figures
from casework.extensions import db
from casework.jobs.service import keep_figures_stored
from casework.programme import service as programme

from .conftest import login
from .parsed import Page
from .test_figures import EXPECTED, world  # noqa: F401  (the fixture)


def _headline(client) -> str:
    page = Page(client.get("/programme").text)
    return page.main.find_all(cls="app-figure")[0].text()


def _made_up_dashboard(manager) -> None:
    """Change by hand the manager's dashboard figures the worker shared: what a page then
    shows can only have come from the shared row."""
    counted = programme.figures(manager)
    for row in db.session.scalars(select(m.SharedSummary)):
        value = pickle.loads(row.value)
        if value == counted:
            value.funnel["identified"] = 4242
            row.value = pickle.dumps(value)
            break
    else:
        raise AssertionError("the manager's dashboard figures were not shared")
    db.session.commit()


def _another_process() -> None:
    cache_version.clear()  # a web process that has counted nothing yet


def test_every_process_reads_the_summaries_the_worker_counted(app, client, world):  # noqa: F811
    app.config["FIGURES_LIVE_BELOW"] = 0  # as for a council's many thousands of families
    manager = world["manager"]
    assert keep_figures_stored() == 2  # every family's scope and team East's
    shared = db.session.scalars(select(m.SharedSummary)).all()
    assert len(shared) == 2 * 4  # the dashboard's two, the money page's, the agreed numbers
    counted_at = {row.key: row.counted_at for row in shared}

    # Nothing moved: the worker's next minute counts nothing again.
    assert keep_figures_stored() == 2
    assert {row.key: row.counted_at
            for row in db.session.scalars(select(m.SharedSummary))} == counted_at

    _made_up_dashboard(manager)
    _another_process()
    login(client, manager.email)
    assert _headline(client) == "4,242 families identified"

    # The data moves and the figures are stored again, but the summaries are not counted
    # again yet: a process counts its own (the shared row is of an older version).
    db.session.add(m.Contact(family_id=db.session.scalar(select(m.Family.id).limit(1)),
                             author_id=manager.id, contact_at=dt.datetime(2013, 9, 2, 10),
                             kind="home_visit", duration_minutes=30, status="final"))
    db.session.commit()
    assert figures.keep_stored() is not None
    _another_process()
    assert _headline(client) == f"{EXPECTED['identified']} families identified"

    # The worker's minute counts them again at the new version, for every process.
    assert keep_figures_stored() == 2
    _made_up_dashboard(manager)
    _another_process()
    assert _headline(client) == "4,242 families identified"


def test_a_worker_starting_forgets_what_an_earlier_casework_counted(app, world):  # noqa: F811
    app.config["FIGURES_LIVE_BELOW"] = 0
    keep_figures_stored()
    assert db.session.scalar(select(db.func.count()).select_from(m.SharedSummary)) > 0
    cache_version.forget_shared()
    assert db.session.scalar(select(db.func.count()).select_from(m.SharedSummary)) == 0


def test_the_worker_minute_counts_every_familys_scope_first_and_the_rest_later(
        app, world, monkeypatch):  # noqa: F811
    """Out of time after the first scope, the minute stops; the next goes on from there
    (the first, already counted, is not counted again)."""
    import casework.jobs.service as jobs

    app.config["FIGURES_LIVE_BELOW"] = 0
    monkeypatch.setattr(jobs, "SHARE_SECONDS", -1.0)  # out of time once one scope is done
    assert jobs.keep_figures_stored() == 1
    keys = set(db.session.scalars(select(m.SharedSummary.key)))
    assert len(keys) == 4
    monkeypatch.setattr(jobs, "SHARE_SECONDS", 60.0)
    assert jobs.keep_figures_stored() == 2
    assert len(set(db.session.scalars(select(m.SharedSummary.key)))) == 8
