"""`casework match FILE`, `casework match train FILE` and `casework match models`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import clock
from ..command_line import Refused
from ..importer.service import ImportRefused
from ..reports.exports import csv_writer


class _DefaultGroup(click.Group):
    """A group whose first argument, when it is not one of its commands, is the FILE of
    its default command: `casework match FILE` and `casework match train FILE` both work."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["file", *args]
        return super().parse_args(ctx, args)


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        raise Refused(f"{file}: cannot read the file ({error.strerror})") from None


@click.group("match", cls=_DefaultGroup, help=(
    "Match rows that describe people (no person_ref) to the people in casework.\n\n"
    "casework match FILE [--format json|csv]: say who each row of FILE is (columns "
    "source_ref, given_name, family_name, date_of_birth, postcode, sex); writes nothing."))
def match_group() -> None:
    pass


@match_group.command("file", hidden=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
def match_file(file: Path, fmt: str) -> None:
    """Say who each row of FILE is (source_ref, given_name, family_name, date_of_birth,
    postcode, sex); writes nothing."""
    from .files import read_match_file
    from .service import match, model_for_use

    try:
        rows = read_match_file(_read(file), str(file))
    except ImportRefused as refused:
        raise Refused("\n".join(refused.errors)) from None
    results = match([d for _, d in rows], model_for_use(store=False))
    items = sorted(
        ({"source_ref": ref, "person_ref": r.person_ref,
          "match_probability": round(r.match_probability, 6), "decision": r.decision}
         for (ref, _), r in zip(rows, results)),
        key=lambda item: item["source_ref"],
    )
    if fmt == "json":
        click.echo(json.dumps(items, indent=1))
        return
    columns = list(items[0]) if items else ["source_ref", "person_ref", "match_probability",
                                            "decision"]
    writer = csv_writer(sys.stdout)
    writer.writerow(columns)
    writer.writerows([item[c] for c in columns] for item in items)


@match_group.command("train")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def match_train(file: Path) -> None:
    """Train a new version of the matching model on FILE against the people in casework.

    FILE is any partner file with given_name, family_name and date_of_birth columns."""
    from .files import describe, read_records
    from .service import MatchRefused, train

    try:
        _header, records = read_records(_read(file), str(file))
        errors: list[str] = []
        described = [describe(r, str(file), errors) for r in records]
        if errors:
            raise ImportRefused(errors)
        model = train(described, f"trained on {file.name} ({len(described)} rows)")
    except ImportRefused as refused:
        raise Refused("\n".join(refused.errors)) from None
    except MatchRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"matching model version {model.id} trained on {len(described)} rows "
               f"against {model.register_size} people")
    click.echo(check_table(model.check))
    if model.status == "refused":
        raise Refused(f"version {model.id} is worse than version "
                      f"{model.check['compared_with']} in use and is not used: "
                      f"{model.check['verdict']}")
    click.echo(f"version {model.id} is now in use: {model.check['verdict']}")


def check_table(check: dict) -> str:
    """The check of a trained version against the one in use, as a plain table."""
    in_use = f"version {check['compared_with']} (in use)"
    lines = [f"{'':38}{in_use:>20}{'new version':>14}"]
    for label, key, part in (
        ("decided rows: linked right", "decided", "right"),
        ("decided rows: linked wrong", "decided", "wrong"),
        ("decided rows: sent to review", "decided", "review"),
        ("decided rows: left unmatched", "decided", "missed"),
        ("training file: linked", "file", "linked"),
        ("training file: sent to review", "file", "review"),
        ("training file: unmatched", "file", "unmatched"),
    ):
        lines.append(f"{label:38}{check[f'{key}_in_use'][part]:>20}{check[f'{key}_new'][part]:>14}")
    return "\n".join(lines)


@match_group.command("models")
def match_models() -> None:
    """List the stored versions of the matching model, newest first."""
    from sqlalchemy import select

    from .. import models as m
    from ..extensions import db

    found = db.session.scalars(select(m.MatchModel).order_by(m.MatchModel.id.desc())).all()
    if not found:
        click.echo("no model stored yet: the starting model is used (docs/matching.md)")
    for model in found:
        click.echo(f"{model.id:>4}  {clock.local(model.trained_at):%Y-%m-%d %H:%M}  "
                   f"{model.register_size:>8} people  {model.status:<7}  {model.source}")


@match_group.command("export")
@click.argument("version", type=int, required=False)
@click.option("--backend", type=click.Choice(["duckdb", "spark"]), default="duckdb",
              show_default=True)
def match_export(version: int | None, backend: str) -> None:
    """Print a model version (default: the one in use) as Splink's JSON, for BACKEND."""
    from .. import models as m
    from ..extensions import db
    from .engine import for_backend
    from .service import model_for_use

    model = db.session.get(m.MatchModel, version) if version else model_for_use(store=False)
    if model is None:
        raise Refused(f"no matching model version {version}")
    click.echo(json.dumps(for_backend(model.model, backend), indent=1))
