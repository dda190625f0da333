"""`casework needs ...`: the later programmes' commands."""

from __future__ import annotations

from pathlib import Path

import click

from .. import clock
from .service import OUTCOME_RULESETS


@click.group("needs")
def needs() -> None:
    """Needs under a later programme's Outcome Plan."""


@needs.command("discretion")
@click.argument("need_ref")
@click.option("--by", "by_email", required=True, help="The programme manager who approves.")
@click.option("--reason", required=True, help="Why the progress is equivalent.")
@click.option("--on", "on", help="YYYY-MM-DD (default today).")
@click.option("--ruleset", default=None,
              help="The programme the need is judged under (default: the council's "
                   "OUTCOME_RULESET). supporting_families does not allow equivalent progress.")
def discretion(need_ref: str, by_email: str, reason: str, on: str | None,
               ruleset: str | None) -> None:
    """Approve equivalent progress on a need (phase2's local discretion; refused under
    supporting_families)."""

    from ..auth.service import find_user
    from ..command_line import Refused, parse_date
    from .service import DiscretionRefused, record_discretion

    day = parse_date(None, None, on) or clock.today()
    user = find_user(by_email)
    if user is None:
        raise Refused(f"no user with email {by_email}")
    try:
        record_discretion(need_ref, user, day, reason, ruleset)
    except DiscretionRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"{need_ref}: equivalent progress approved by {user.name} on {day}")


@click.group("plans")
def plans() -> None:
    """The council's Outcome Plans for the later programmes."""


@plans.command("load")
@click.argument("ruleset", type=click.Choice(OUTCOME_RULESETS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "by_email", required=True, help="The administrator who loads it.")
def load(ruleset: str, file: Path, by_email: str) -> None:
    """Check an Outcome Plan file and make it the plan in force (as the Outcome Plans page)."""
    from ..auth.service import find_user
    from ..command_line import Refused
    from ..evaluation import store
    from ..rules.plan import PlanError
    from ..transaction import transaction
    from .service import load_plan_version

    user = find_user(by_email)
    if user is None:
        raise Refused(f"no user with email {by_email}")
    try:
        row = load_plan_version(ruleset, file.read_bytes(), str(file), user)
    except PlanError as refused:
        raise Refused(f"The Outcome Plan was not loaded:\n{refused}") from None
    click.echo(f"{ruleset}: Outcome Plan version {row.version} loaded and in force "
               f"(SHA-256 {row.sha256})")
    with transaction():  # its programme's families, evaluated again under it
        done = store.refresh_pending()
    if done is not None:
        click.echo(done.line())
