"""`casework export quarterly-return`: the programme's quarterly return as CSV."""

from __future__ import annotations

import sys

import click


@click.command("quarterly-return")
@click.option("--from", "first", help="The first quarter, such as 2013-Q1 (default the "
                                      "programme's first).")
@click.option("--to", "last", help="The last quarter (default today's).")
def quarterly(first, last) -> None:
    """Print the programme's quarterly return as CSV, a row a quarter and programme."""
    from sqlalchemy import select

    from .. import models as m
    from ..command_line import Refused
    from ..reports.exports import csv_writer
    from .quarterly import COLUMNS, quarterly_return
    from .service import Quarter

    chosen = []
    for key in (first, last):
        quarter = Quarter.parse(key) if key else None
        if key and quarter is None:
            raise Refused(f"{key!r} is not a quarter such as 2013-Q1 (Q1 is April to June)")
        chosen.append(quarter)
    writer = csv_writer(sys.stdout)
    writer.writerow(COLUMNS)
    for row in quarterly_return(select(m.Family), *chosen):
        writer.writerow([row[c] for c in COLUMNS])
