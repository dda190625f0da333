"""`casework needs ...`: the later programmes' commands."""

from __future__ import annotations

import click


@click.group("needs")
def needs() -> None:
    """Needs under a later programme's Outcome Plan."""


@needs.command("discretion")
@click.argument("need_ref")
@click.option("--by", "by_email", required=True, help="The programme manager who approves.")
@click.option("--reason", required=True, help="Why the progress is equivalent.")
@click.option("--on", "on", help="YYYY-MM-DD (default today).")
def discretion(need_ref: str, by_email: str, reason: str, on: str | None) -> None:
    """Approve equivalent progress on a need (phase2's local discretion)."""
    import datetime as dt

    from ..auth.service import find_user
    from ..cli import Refused, _parse_date
    from .service import DiscretionRefused, record_discretion

    day = _parse_date(None, None, on) or dt.date.today()
    user = find_user(by_email)
    if user is None:
        raise Refused(f"no user with email {by_email}")
    try:
        record_discretion(need_ref, user, day, reason)
    except DiscretionRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"{need_ref}: equivalent progress approved by {user.name} on {day}")
