"""`casework export`: the returns others ask of the council's data (docs/returns.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..command_line import parse_date


@click.group("export", help="Returns for others: the SSD's early help tables, Ofsted's "
                            "list 2, the quarterly return (docs/returns.md).")
def export() -> None:
    pass


@export.command("ssd")
@click.option("--as-of", "as_of", required=True, callback=parse_date, help="YYYY-MM-DD")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="The folder to write (default ./ssd-DATE).")
def ssd(as_of, out) -> None:
    """Write the Standard Safeguarding Dataset's early help tables as CSV files."""
    from sqlalchemy import select

    from .. import models as m
    from .ssd import ssd_tables, write_ssd

    tables = ssd_tables(select(m.Family), as_of)
    folder = out or Path(f"ssd-{as_of.isoformat()}")
    for path in write_ssd(tables, folder):
        click.echo(f"{path}: {len(tables[path.stem])} rows")


@export.command("annex-a-list-2")
@click.option("--as-of", "as_of", required=True, callback=parse_date, help="YYYY-MM-DD")
def annex_a_list_2(as_of) -> None:
    """Print Ofsted's early help list (ILACS Annex A, list 2) on the date as CSV."""
    from sqlalchemy import select

    from .. import models as m
    from .ssd import list_2_rows, write_list_2

    write_list_2(list_2_rows(select(m.Family), as_of), sys.stdout)

