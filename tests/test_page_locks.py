"""No page holds the database's write lock while it computes: the page is rendered (every
query done) before its audit row is written, in a short transaction of its own."""

from __future__ import annotations

import datetime as dt
import functools
import threading

import pytest
from flask import before_render_template

from casework import models as m
from casework.extensions import db

from .conftest import PASSWORD, login
from .factories import create_family, create_user
from .races import together

SUMMARIES = ("/programme", "/claims/money", "/results", "/team", "/screening", "/families",
             "/programme/costs", "/selection")


def test_no_audit_row_is_pending_and_no_write_transaction_open_while_a_page_renders(client, app):
    create_family("L1", attached_on=None)
    manager = create_user("manager")
    login(client, manager.email)
    seen = []

    def check(sender, template, context, **extra):
        pending = [o for o in db.session.new if isinstance(o, m.AuditEvent)]
        raw = db.session.connection().connection.dbapi_connection
        writing = getattr(raw, "in_transaction", False) if db.engine.dialect.name == "sqlite" \
            else False
        seen.append((template.name, pending, writing))

    before_render_template.connect(check, app)
    try:
        for url in SUMMARIES + ("/families/L1",):
            assert client.get(url).status_code == 200, url
    finally:
        before_render_template.disconnect(check, app)
    assert seen and all(not pending and not writing for _, pending, writing in seen), seen
    # ... and each page was still audited, once.
    assert db.session.scalar(db.select(db.func.count()).select_from(m.AuditEvent).where(
        m.AuditEvent.user_id == manager.id, m.AuditEvent.action.in_(("view", "view_list")))) \
        >= len(SUMMARIES)


def test_twenty_summary_pages_at_once_all_answer(app, client):
    manager = create_user("manager")
    login(client, manager.email)  # one session, twenty pages at once (as twenty tabs would)
    cookie = client.get_cookie("session")

    def read(url):
        mine = app.test_client()
        mine.set_cookie(cookie.key, cookie.value)
        response = mine.get(url)
        return response.status_code, response.headers.get("Location")

    codes = together(*[functools.partial(read, SUMMARIES[i % len(SUMMARIES)])
                       for i in range(20)])
    assert [c for c, _ in codes] == [200] * 20, codes


def test_twenty_summary_pages_and_exports_at_once_on_a_real_server_see_no_error(app):
    """A real threaded HTTP server over the app on a SQLite file: twenty requests at once for
    the summary pages and the CSV exports (each writing its audit row) all answer 200, and
    each is audited. With a page holding the write lock while it computed, the others would
    wait on it and, past the busy timeout, fail with "database is locked"."""
    import http.client
    import re
    import urllib.parse

    from werkzeug.serving import make_server

    from casework.evaluation import store

    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write lock is SQLite's")
    assert db.engine.url.database and db.engine.url.database != ":memory:"  # a file
    for i in range(30):
        create_family(f"R{i:03d}", identified_on=dt.date(2013, 1, 1),
                      attached_on=dt.date(2013, 2, 1) if i % 2 else None)
    manager = create_user("manager")
    db.session.commit()
    manager_id, email = manager.id, manager.email
    store.refresh(as_of=dt.date(2013, 9, 30))
    db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host = f"127.0.0.1:{server.server_port}"
    try:
        http_ = http.client.HTTPConnection(host, timeout=60)
        http_.request("GET", "/login")
        page = http_.getresponse()
        text = page.read().decode()
        cookie = page.getheader("Set-Cookie").split(";", 1)[0]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1)
        http_.request("POST", "/login", headers={
            "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
            body=urllib.parse.urlencode({"email": email, "password": PASSWORD,
                                         "csrf_token": token}))
        signed_in = http_.getresponse()
        signed_in.read()
        assert signed_in.status == 302
        cookie = signed_in.getheader("Set-Cookie").split(";", 1)[0]
        urls = SUMMARIES + ("/programme/costs.csv", "/results.csv")

        def read(url):
            mine = http.client.HTTPConnection(host, timeout=60)
            mine.request("GET", url, headers={"Cookie": cookie})
            response = mine.getresponse()
            body = response.read()
            return url, response.status, body[:200] if response.status != 200 else b""

        codes = together(*[functools.partial(read, urls[i % len(urls)]) for i in range(20)],
                         seconds=120)
        assert [c for _, c, _ in codes] == [200] * 20, codes
    finally:
        server.shutdown()
    audited = db.session.scalar(db.select(db.func.count()).select_from(m.AuditEvent).where(
        m.AuditEvent.user_id == manager_id, m.AuditEvent.action.in_(("view", "view_list",
                                                                      "export"))))
    assert audited == 20
