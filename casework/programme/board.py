"""The Partnership Board report: the dashboard's figures for a quarter, as a PDF. The
board_report job (casework/jobs/kinds.py) makes it; the page only starts the job."""

from __future__ import annotations

from flask import current_app, render_template

from .. import clock
from .. import models as m
from ..access import visible_families
from ..audit import record_event
from ..evaluation import figures as fig
from ..evaluation.figures import HIGH_CONTACT_CONTACTS
from ..replica import reads
from ..reports.pdf import render_pdf
from ..rules.ruleset import programme_label, programme_of
from ..selection.figures import WAY_IN
from ..transaction import transaction
from . import charts, service
from .quarterly import quarter_rows


def board_report_pdf(user, key: str) -> tuple[str, bytes]:
    """The Board report for the quarter `key`, with the figures `user` may see, as of the
    quarter's end (or today, for a quarter still running), of the programme that took
    families then (a 2012 quarter is the 2012-15 programme's): (file name, PDF)."""
    quarter = service.Quarter.parse(key)
    today = clock.today()
    last = min(quarter.last, today)  # a quarter still running: its activity so far
    # A job, not a page: the stored totals are first brought up to the data (they may be a
    # minute behind, which a page says), so the report counts every change saved before it.
    fig.keep_stored()
    with reads():  # from the read replica, if there is one (casework/replica.py)
        f = service.figures(user, period=service.Window(quarter.first, last),
                            programme=programme_of(last))
        html = render_template(
            "reports/board.html", f=f, quarter=quarter, charts=charts.dashboard(f),
            activity=service.quarter_activity(user, quarter.first, last, f.programme),
            quarterly=quarter_rows(visible_families(user), quarter, today),
            closure_labels=m.EPISODE_END_REASONS, programme_label=programme_label,
            match=fig.match_funding(fig.for_programme(fig.scope(user), f.programme)),
            funnel=f.stages, high_contact_contacts=HIGH_CONTACT_CONTACTS, period_last=last,
            way_in=service.dashboard_extras(user, f).way_in, stages=WAY_IN,
            council=current_app.config["COUNCIL_NAME"], prepared=today,
            # changes saved after the totals were stored above (or not yet on the replica)
            counted=fig.freshness(user))
    body = render_pdf(html)
    with transaction():
        record_event("export", "board_report", quarter.key, user=user)
    return f"partnership-board-{quarter.key}.pdf", body
