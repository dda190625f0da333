"""No page holds the database's write lock while it computes: the page is rendered (every
query done) before its audit row is written, in a short transaction of its own."""

from __future__ import annotations

import threading

from flask import before_render_template

from casework import models as m
from casework.extensions import db

from .conftest import login
from .factories import create_family, create_user

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
    errors, codes = [], []

    def read(url):
        try:
            mine = app.test_client()
            mine.set_cookie(cookie.key, cookie.value)
            response = mine.get(url)
            codes.append((response.status_code, response.headers.get("Location")))
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            errors.append(repr(error))

    threads = [threading.Thread(target=read, args=(SUMMARIES[i % len(SUMMARIES)],))
               for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and [c for c, _ in codes] == [200] * 20, (errors, codes)
