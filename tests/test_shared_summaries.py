"""The summaries the job worker counts once for every web process (cache_version.sharing):
after storing the figures, jobs.service.keep_figures_stored counts the dashboard's, the
money page's and the selection page's summaries of every stored scope and writes them to
shared_summaries, signed with the app's secret key; a web process reads them there instead
of counting every family again, only while they were counted at the stored figures' version
now, by the same code."""

import datetime as dt
import pickle
import re
from array import array

from sqlalchemy import select

from casework import cache_version, clock
from casework import models as m
from casework.evaluation import figures, listing
from casework.extensions import db
from casework.jobs.service import keep_figures_stored
from casework.programme import service as programme
from casework.selection.figures import agreed_progress_of

from .conftest import login
from .parsed import Page
from .test_figures import EXPECTED, world  # noqa: F401  (the fixture)


def _headline(client) -> str:
    page = Page(client.get("/programme").text)
    return page.main.find_all(cls="app-figure")[0].text()


def _made_up(counted, change, signed: bool = True) -> None:
    """Change by hand the shared row the worker counted as `counted`, signed with the app's
    secret key as casework signs them (or not): what a page then shows can only have come
    from the shared row."""
    for row in db.session.scalars(select(m.SharedSummary)):
        value = pickle.loads(row.value[32:])
        if value == counted:
            payload = pickle.dumps(change(value))
            signature = (cache_version._signature(row.key, row.stamp, payload) if signed
                         else row.value[:32])
            row.value = signature + payload
            break
    else:
        raise AssertionError(f"{counted!r} was not shared")
    db.session.commit()


def _made_up_dashboard(manager, signed: bool = True) -> None:
    """The manager's dashboard shared as 4,242 families identified."""
    def change(value):
        value.funnel["identified"] = 4242
        return value

    _made_up(programme.figures(manager), change, signed)


def _another_process() -> None:
    cache_version.clear()  # a web process that has counted nothing yet


def _shared() -> int:
    return db.session.scalar(select(db.func.count()).select_from(m.SharedSummary))


def test_every_process_reads_the_summaries_the_worker_counted(app, client, world):  # noqa: F811
    app.config["FIGURES_LIVE_BELOW"] = 0  # as for a council's many thousands of families
    manager = world["manager"]
    assert keep_figures_stored() == 2  # every family's scope and team East's
    # Every family's: the dashboard's two, the money page's, the results page's two (its
    # counts and its families' order), the agreed numbers; the team's: the agreed numbers
    # (the selection page, the one summary page a team lead opens).
    assert _shared() == 6 + 1
    counted_at = {row.key: row.counted_at for row in db.session.scalars(select(m.SharedSummary))}

    # Nothing moved: the worker's next minute counts nothing again.
    assert keep_figures_stored() == 2
    assert {row.key: row.counted_at
            for row in db.session.scalars(select(m.SharedSummary))} == counted_at

    _made_up_dashboard(manager)
    _another_process()
    login(client, manager.email)
    assert _headline(client) == "4,242 families identified"

    # The data moves and the figures are stored again (by a refresh), but the worker has
    # yet to count their summaries: until its minute, a process shows those it counted at
    # the earlier store, and says so, rather than every process counting every family.
    _store_again(manager)
    _another_process()
    assert _headline(client) == "4,242 families identified"
    assert _behind_note(client) == _counted_on(counted_at)

    # The worker's minute counts them again at the new version, for every process.
    assert keep_figures_stored() == 2
    _another_process()
    assert _headline(client) == f"{EXPECTED['identified']} families identified"
    assert _behind_note(client) is None
    _made_up_dashboard(manager)
    _another_process()
    assert _headline(client) == "4,242 families identified"


def _store_again(manager) -> None:
    """A change, and the figures stored again by other than the job worker's minute."""
    db.session.add(m.Contact(family_id=db.session.scalar(select(m.Family.id).limit(1)),
                             author_id=manager.id, contact_at=dt.datetime(2013, 9, 2, 10),
                             kind="home_visit", duration_minutes=30, status="final"))
    db.session.commit()
    assert figures.keep_stored() is not None


def _behind_note(client, page: str = "/programme") -> str | None:
    """When the page says the count it shows is of, if it says it shows an older one."""
    note = Page(client.get(page).text).main.find(cls="app-figures-hold").text()
    said = re.search(r"This page still shows them as counted on (.+?), before they were "
                     r"last stored: they are being counted again", note)
    return said and said.group(1)


def _counted_on(counted_at: dict) -> str:
    """How the page writes the earliest of these times (UTC) in the council's time."""
    return clock.local_time(min(counted_at.values()))


def _results(client) -> tuple[str, list[str]]:
    """The results page's count, and the references of the families it lists."""
    page = Page(client.get("/results").text)
    return (page.tables[0].caption,
            [f.split()[0] for f in page.table("Statuses of every family").column("Family")])


def test_the_results_list_follows_the_order_the_worker_counted(app, client, world):  # noqa: F811
    """The results page's families, in order, are counted once for every process too, and
    as current as its counts: an older one shown while the worker counts again, saying so."""
    app.config["FIGURES_LIVE_BELOW"] = 0
    manager = world["manager"]
    keep_figures_stored()
    login(client, manager.email)
    _another_process()
    count, listed = _results(client)
    assert len(listed) > 2
    order = listing.results(figures.scope(manager), "", "", 1)
    _made_up(array("q", [r.stored.family_id for r in order.page.items]), lambda ids: ids[:2])
    _another_process()
    assert _results(client)[1] == listed[:2]

    _store_again(manager)
    _another_process()
    assert _results(client)[1] == listed[:2]
    assert _behind_note(client, "/results")
    keep_figures_stored()
    _another_process()
    assert _results(client) == (count, listed)
    assert _behind_note(client, "/results") is None


def test_a_count_older_than_ten_minutes_is_not_shown(app, client, world):  # noqa: F811
    """A worker that stopped before counting the figures stored since: past ten minutes a
    process counts them itself."""
    app.config["FIGURES_LIVE_BELOW"] = 0
    manager = world["manager"]
    keep_figures_stored()
    _made_up_dashboard(manager)
    _store_again(manager)
    login(client, manager.email)
    for minutes, headline in ((9, "4,242"), (11, EXPECTED["identified"])):
        db.session.execute(m.SharedSummary.__table__.update().values(
            counted_at=m.utcnow() - dt.timedelta(minutes=minutes)))
        db.session.commit()
        _another_process()
        assert _headline(client) == f"{headline} families identified"
    assert _behind_note(client) is None


def test_only_a_page_that_says_so_reads_an_older_count(app, world):  # noqa: F811
    """Outside the pages that say how old a count is (shows_older_counts): a report's job,
    the command line, the API, an export, an older shared count is never read."""
    app.config["FIGURES_LIVE_BELOW"] = 0
    manager = world["manager"]
    keep_figures_stored()
    _made_up_dashboard(manager)
    _store_again(manager)
    _another_process()
    assert programme.figures(manager).funnel["identified"] == EXPECTED["identified"]
    with app.test_request_context("/api/v1/figures"):
        _another_process()
        assert programme.figures(manager).funnel["identified"] == EXPECTED["identified"]
        _another_process()
        cache_version.shows_older_counts(lambda: None)()  # what the dashboard's view does
        assert programme.figures(manager).funnel["identified"] == 4242


def test_a_team_lead_reads_their_teams_summaries_not_the_councils(app, client, world):  # noqa: F811
    """What a team lead reads on the selection page is their team's count, shared for it."""
    app.config["FIGURES_LIVE_BELOW"] = 0
    keep_figures_stored()
    lead = world["lead"]
    counted = agreed_progress_of(lead)
    assert counted != agreed_progress_of(world["manager"])
    _another_process()
    login(client, lead.email)
    rows = Page(client.get("/selection").text).root.by_id("agreed-number").table()[1:]
    assert {row[0]: row[1] for row in rows} == {p.label: f"{p.attached:,}" for p in counted}


def test_a_row_not_signed_with_the_secret_key_is_never_unpickled(app, client, world):  # noqa: F811
    """Bytes written to the table by anyone but casework (no secret key) are counted again,
    not loaded: unpickling them could run anything."""
    app.config["FIGURES_LIVE_BELOW"] = 0
    manager = world["manager"]
    keep_figures_stored()
    _made_up_dashboard(manager, signed=False)
    _another_process()
    login(client, manager.email)
    assert _headline(client) == f"{EXPECTED['identified']} families identified"


def test_a_summary_counted_by_other_code_is_not_read(app, client, world, monkeypatch):  # noqa: F811
    """In a deploy, web processes and the worker may briefly run different casework: a
    summary is read only by the code that counted it."""
    app.config["FIGURES_LIVE_BELOW"] = 0
    manager = world["manager"]
    keep_figures_stored()
    _made_up_dashboard(manager)
    monkeypatch.setattr(cache_version, "_fingerprint", "another casework")
    _another_process()
    login(client, manager.email)
    assert _headline(client) == f"{EXPECTED['identified']} families identified"


def test_a_scope_that_fails_is_logged_and_the_others_are_shared(app, world, monkeypatch):  # noqa: F811
    import casework.jobs.service as jobs

    app.config["FIGURES_LIVE_BELOW"] = 0
    real, logged = jobs.money, []

    def money(user):
        if user.role == "manager":
            raise RuntimeError("a summary that cannot be counted")
        return real(user)

    monkeypatch.setattr(jobs, "money", money)
    monkeypatch.setattr(jobs.log, "exception", lambda *args: logged.append(args[0] % args[1:]))
    assert jobs.keep_figures_stored() == 1  # team East's
    assert logged == [f"the summaries of {world['manager'].email}'s scope were not shared"]
    assert _shared() == 2 + 1  # the dashboard's two, counted before the failure; the team's


def test_a_worker_starting_forgets_what_an_earlier_casework_counted(app, world):  # noqa: F811
    app.config["FIGURES_LIVE_BELOW"] = 0
    keep_figures_stored()
    assert _shared() > 0
    cache_version.forget_shared()
    assert _shared() == 0
