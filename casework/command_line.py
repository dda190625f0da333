"""What every `casework` command shares, whichever module defines it (casework/cli.py and
the areas' own commands, which cli.register() adds): a refusal and the date option."""

from __future__ import annotations

import datetime as dt

import click

from .dates_input import RANGE, in_range


class Refused(click.ClickException):
    """A refusal: the reason on standard error, exit status 1."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def parse_date(ctx, param, value):
    """A YYYY-MM-DD option (a click callback), within the dates casework accepts."""
    if value is None:
        return None
    try:
        date = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in the form YYYY-MM-DD") from None
    if not in_range(date):
        raise click.BadParameter(f"{value} is not a date {RANGE}")
    return date
