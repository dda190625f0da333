"""The kinds of job: what each runs, who may see it, and where its result lives."""

from __future__ import annotations

import datetime as dt

from flask import url_for

from .service import JobFailed, Kind, Outcome, Work, register


def _claims_build(work: Work) -> Outcome:
    from ..claims.service import ClaimRefused, build_claims

    as_of = dt.date.fromisoformat(work.params["as_of"])
    try:
        created = build_claims(as_of, work.user, progress=work.progress)
    except ClaimRefused as refused:
        raise JobFailed(str(refused)) from None
    # A retry after an interruption finds the claims the first run saved, and builds none.
    return Outcome(f"{len(created)} draft claims created for results claimable on "
                   f"{as_of:%-d %B %Y}.")


register(Kind(
    "claims_build", "a claims build", "manage_claims", _claims_build,
    link=lambda job: ("See the draft claims", url_for("claims.index", state="draft")),
    back=lambda job: ("Claims", url_for("claims.index")),
))
