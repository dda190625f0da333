"""The Outcome Plans pages: each later programme's plan versions, who loaded them, their
content, and loading a new version (checked whole, refused whole), every view audited."""

import hashlib
import io
import json
import re
from pathlib import Path

from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from .conftest import csrf_token
from .factories import create_user
from .parsed import Page

SHIPPED = Path(m.__file__).parent / "outcomes" / "plans" / "phase2.json"


def _plan(version: str, **changes) -> bytes:
    doc = json.loads(SHIPPED.read_text())
    doc.update(version=version, **changes)
    return json.dumps(doc, indent=2).encode()


def _upload(client, body: bytes, name: str = "ours.json", ruleset: str = "phase2"):
    page = client.get(f"/outcome-plans/{ruleset}")
    return client.post(f"/outcome-plans/{ruleset}", data={
        "csrf_token": csrf_token(page.text), "file": (io.BytesIO(body), name), "load": "1"},
        content_type="multipart/form-data")


def _versions():
    db.session.expire_all()
    return db.session.scalars(select(m.OutcomePlanVersion).order_by(m.OutcomePlanVersion.id)
                              ).all()


def _events(action):
    return db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.action == action)).all()


def test_before_any_plan_is_loaded_the_shipped_example_is_in_force(client, sign_in):
    sign_in("admin")
    index = Page(client.get("/outcome-plans/").text)
    for programme in ("The expanded programme, 2015-20 (phase2)",
                      "Supporting Families (supporting_families)"):
        assert index.paragraphs(programme)[0] == (
            "No plan has been loaded: the worked example shipped with casework is in force.")
    history = Page(client.get("/outcome-plans/phase2").text).table("Versions of the Outcome Plan")
    assert history.body == [
        ["The worked example shipped with casework (phase2.json) In force", "casework", "", ""]]
    example = Page(client.get("/outcome-plans/phase2/example").text)
    assert example.h1 == "The worked example shipped with casework"
    assert example.summary["Title"] == json.loads(SHIPPED.read_text())["title"]


def test_an_administrator_loads_a_version_and_it_is_listed_in_force_and_used(
        app, client, sign_in, frame_examples, cli):
    frame_examples("phase2")
    admin = sign_in("admin", name="Ada Admin")
    body = _plan("2017.2")
    response = _upload(client, body, "outcome-plan-2017.json")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert Page(page).banners == ["Version 2017.2 of the Outcome Plan is loaded and now in force."]
    [row] = _versions()
    digest = hashlib.sha256(body).hexdigest()
    assert (row.ruleset, row.version, row.sha256, row.loaded_by_id, row.file_name) == (
        "phase2", "2017.2", digest, admin.id, "outcome-plan-2017.json")
    assert row.content.encode() == body  # stored exactly as loaded
    loaded, example = Page(page).table("Versions of the Outcome Plan").rows
    assert loaded["Version"].startswith("Version 2017.2 ") and loaded["Version"].endswith(
        "file outcome-plan-2017.json In force")
    assert (loaded["Loaded by"], loaded["SHA-256"]) == ("Ada Admin", digest)
    assert example["Version"] == "The worked example shipped with casework (phase2.json) Replaced"
    [event] = _events("load_plan")
    assert (event.user_id, event.object_ref) == (admin.id, "phase2 2017.2")
    assert digest in event.detail
    # Evaluations and claims use it and record its version and hash.
    out = json.loads(cli("evaluate", "--ruleset", "phase2", "--as-of", "2016-09-30",
                         "--family", "P01").output)[0]
    assert out["outcome_plan"]["version"] == "2017.2" and out["outcome_plan"]["sha256"] == digest
    # A second version replaces it; the first stays, shown as replaced.
    assert _upload(client, _plan("2018.1")).status_code == 302
    assert [v.version for v in _versions()] == ["2017.2", "2018.1"]
    versions = Page(client.get("/outcome-plans/phase2").text).table(
        "Versions of the Outcome Plan").column("Version")  # newest first
    assert [(v.split()[1], v.split()[-1]) for v in versions] == [
        ("2018.1", "force"), ("2017.2", "Replaced"), ("worked", "Replaced")]
    first = _versions()[0]
    shown = client.get(f"/outcome-plans/phase2/{first.id}")
    version = Page(shown.text)
    assert version.h1 == "Version 2017.2"
    assert version.summary["Status"] == "Replaced by a newer version"
    # the hash is shown as the hash, in a <code> (not its HTML written out as text)
    assert version.summary["SHA-256"] == digest
    assert version.main.find("code", cls="app-hash").text() == digest
    assert ("view", "phase2 2017.2") in [(e.action, e.object_ref) for e in _events("view")]
    download = client.get(f"/outcome-plans/phase2/{first.id}/download")
    assert download.data == body
    assert "outcome-plan-phase2-2017.2.json" in download.headers["Content-Disposition"]
    assert [e.object_ref for e in _events("export")] == ["phase2 2017.2"]


def test_a_wrong_plan_is_refused_whole_with_file_line_and_field_and_nothing_changes(
        client, sign_in):
    sign_in("admin")
    assert _upload(client, _plan("1")).status_code == 302
    bad = (b'{"title": "Ours", "ruleset": "phase2", "version": "2",\n'
           b' "effective_from": "2015-04-31",\n'
           b' "problems": {"health": {"indicators": {"gp": {"type": "hunch"}}}}}\n')
    page = _upload(client, bad, "ours-v2.json")
    assert page.status_code == 200
    assert Page(page.text).headings[0] == "The plan was not loaded: fix these problems and upload it again"
    assert Page(page.text).errors == [
        'ours-v2.json:2: effective_from: "2015-04-31" is not a date "YYYY-MM-DD"',
        'ours-v2.json:3: problems.health.indicators.gp.type: "hunch" is not an indicator type; '
        "use count, school_rate, status, assessment"]
    assert [v.version for v in _versions()] == ["1"]
    [refused] = _events("load_plan_refused")
    assert refused.detail.startswith("ours-v2.json: 2 problem(s): ours-v2.json:2:")
    not_json = Page(_upload(client, b'{"title": "x",\n "version": }', "x.json").text)
    assert not_json.errors == ["x.json:2: file: is not valid JSON (Expecting value)"]
    wrong_frame = Page(_upload(client, _plan("3", ruleset="supporting_families")).text)
    assert wrong_frame.errors == [
        "ours.json:3: ruleset: \"supporting_families\" is not 'phase2', the ruleset this plan "
        "is read for"]
    latin = Page(_upload(client, "{\"title\": \"Caf\u00e9\"}".encode("latin-1"), "l.json").text)
    assert latin.errors == ["l.json:1: file: is not UTF-8 text"]
    assert [v.version for v in _versions()] == ["1"]


def test_a_version_already_loaded_is_refused_naming_when_and_by_whom(client, sign_in):
    sign_in("admin", name="Ada Admin")
    _upload(client, _plan("2017.2"))
    [again] = Page(_upload(client, _plan("2017.2", title="Changed")).text).errors
    assert re.fullmatch(r"ours\.json:\d+: version: '2017\.2' was already loaded on .* by Ada Admin; "
                        r"with different content: give this plan a new version", again)
    [same] = Page(_upload(client, _plan("2017.2")).text).errors
    assert re.fullmatch(r"ours\.json:\d+: version: '2017\.2' was already loaded on .* by Ada Admin; "
                        r"this file is the same", same)
    assert len(_versions()) == 1


def test_no_file_is_a_form_error(client, sign_in):
    sign_in("admin")
    page = client.get("/outcome-plans/phase2")
    response = client.post("/outcome-plans/phase2", data={"csrf_token": csrf_token(page.text),
                                                          "load": "1"})
    assert Page(response.text).errors == ["Select the Outcome Plan file to load"]
    assert _versions() == []


def test_loading_needs_the_forms_csrf_token(client, sign_in):
    sign_in("admin")
    response = client.post("/outcome-plans/phase2", data={
        "file": (io.BytesIO(_plan("9")), "p.json"), "load": "1"},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert _versions() == []


def test_a_manager_reads_the_plans_but_cannot_load_one(client, sign_in):
    sign_in("manager")
    page = client.get("/outcome-plans/phase2")
    assert page.status_code == 200 and "Load a new version" not in Page(page.text).headings
    assert Page(page.text).field("file") is None
    response = client.post("/outcome-plans/phase2", data={
        "csrf_token": csrf_token(page.text), "file": (io.BytesIO(_plan("9")), "p.json")},
        content_type="multipart/form-data")
    assert response.status_code == 403
    assert _versions() == []
    assert [e.object_ref for e in _events("view_list") if e.object_type == "outcome_plan"] == [
        "phase2"]


def test_other_roles_may_not_see_the_plans(client, sign_in):
    sign_in("worker")
    assert client.get("/outcome-plans/").status_code == 403
    assert client.get("/outcome-plans/phase2").status_code == 403


def test_a_version_of_another_ruleset_or_an_unknown_ruleset_is_not_found(client, sign_in):
    sign_in("admin")
    _upload(client, _plan("1"))
    [row] = _versions()
    assert client.get(f"/outcome-plans/phase2/{row.id}").status_code == 200
    assert client.get(f"/outcome-plans/supporting_families/{row.id}").status_code == 404
    assert client.get("/outcome-plans/phase1").status_code == 404


def test_the_family_page_names_the_loaded_version_not_the_example(app, client, cli, sign_in,
                                                                 frame_examples, tmp_path):
    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    plan = tmp_path / "ours.json"
    plan.write_bytes(_plan("2017.2"))
    assert cli("plans", "load", "phase2", plan, "--by", create_user("admin").email
               ).exit_code == 0
    sign_in("manager")
    judged = Page(client.get("/families/P01?as_of=2016-09-30").text).paragraph(
        "Judged on 30 September 2016 by the Outcome Plan")
    # the loaded version, not the example ("... (the worked example shipped with casework ...)")
    assert re.fullmatch(r'Judged on 30 September 2016 by the Outcome Plan "[^"]+", version '
                        r"2017\.2\.( Versions of the plan)?", judged), judged



def _stored_results():
    db.session.expire_all()
    E = m.StoredEvaluation
    return dict(db.session.execute(select(E.family_id, E.result_family_outcome)
                                   .where(E.ruleset == "phase2")).all())


def _stale() -> int:
    return db.session.scalar(select(db.func.count()).select_from(m.StaleFamily))


def assert_stored_as_a_full_refresh_stores(cli):
    """Every family's stored evaluation (each programme's) is what a full refresh of every
    family stores now: nothing changed was left unevaluated."""
    E = m.StoredEvaluation
    columns = [c for c in E.__table__.columns if c.name != "evaluated_at"]

    def stored():
        db.session.expire_all()
        return sorted(tuple(row) for row in db.session.execute(select(*columns)))

    kept = stored()
    assert cli("evaluate", "--store").exit_code == 0
    assert kept == stored()


def test_loading_a_plan_evaluates_the_programmes_families_again_under_it(
        app, client, sign_in, frame_examples, cli, run_jobs, tmp_path):
    """A plan corrected and loaded again is in the figures at once: its programme's families
    are marked stale with the load and evaluated again at the request's end (or by the
    refresh job when many), not left judged by the plan it replaced until someone refreshes."""
    frame_examples("phase2")
    assert_stored_as_a_full_refresh_stores(cli)  # the assessments imported last too
    shipped = _stored_results()
    sign_in("admin")
    # Outcomes sustained for twenty years, not six months: fewer are met yet.
    assert _upload(client, _plan("2017.2", sustain_months=240)).status_code == 302
    assert _stale() == 0
    longer = _stored_results()
    assert "sustaining" in longer.values() and longer != shipped
    assert_stored_as_a_full_refresh_stores(cli)

    # Many families (more than a request evaluates): the refresh job evaluates them.
    app.config["EVALUATE_IN_REQUEST"] = 0
    page = client.get(_upload(client, _plan("2017.3")).headers["Location"])
    assert _stale() == len(shipped)
    [job] = db.session.scalars(select(m.Job).where(m.Job.kind == "refresh_figures")).all()
    assert f"job {job.id} shows how far it has got" in " ".join(Page(page.text).banners)
    run_jobs()
    assert _stale() == 0 and _stored_results() == shipped  # 2017.3 is the shipped plan again

    # The command line evaluates them itself.
    plan = tmp_path / "ours.json"
    plan.write_bytes(_plan("2018.1", sustain_months=240))
    done = cli("plans", "load", "phase2", plan, "--by", create_user("admin").email)
    assert done.exit_code == 0, done.output
    assert f"{len(shipped)} changed families evaluated" in done.output
    assert _stale() == 0 and _stored_results() == longer
    assert_stored_as_a_full_refresh_stores(cli)
