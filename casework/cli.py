"""The `casework` command line: thin wrappers over the services.

Exit status: 0 success; 1 refused (invalid input, a rule said no), reason on stderr; 2 usage.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup

from . import clock
from .command_line import Refused, parse_date
from .config import ConfigurationError
from .extensions import db
from .importer.kinds import KINDS
from .models import CLAIM_STATES, ROLES
from .rules.ruleset import RULESETS


def _create_app() -> Flask:
    from . import create_app

    return create_app()


class _Group(FlaskGroup):
    """Flask's command group without other packages' plugin commands: flask-limiter's would
    show its internals as `casework limiter` and load rich and pygments (0.2 s) for every
    command."""

    def _load_plugin_commands(self) -> None:
        pass


def main() -> None:
    cli = _Group(
        name="casework",
        create_app=_create_app,
        add_version_option=False,
        load_dotenv=False,
        set_debug_flag=False,
        help="Case management for the Troubled Families programme.",
    )
    try:
        cli.main(prog_name="casework", standalone_mode=True)
    except ConfigurationError as error:
        click.echo(f"casework: {error}", err=True)
        sys.exit(2)
    except Exception as error:  # never show a user a traceback; CASEWORK_DEBUG=1 does
        if os.environ.get("CASEWORK_DEBUG"):
            raise
        click.echo(f"casework: unexpected error ({type(error).__name__}); "
                   "run again with CASEWORK_DEBUG=1 for details", err=True)
        sys.exit(1)


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(team_wards_command)
    app.cli.add_command(import_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(evaluate_command)
    app.cli.add_command(allocate_command)
    app.cli.add_command(claims)
    app.cli.add_command(backup_command)
    from .matching.cli import match_group
    from .outcomes.commands import needs, plans

    app.cli.add_command(needs)
    app.cli.add_command(plans)

    app.cli.add_command(match_group)
    from .api.cli import api_tokens

    app.cli.add_command(api_tokens)
    from .programme.commands import quarterly
    from .returns.cli import export

    export.add_command(quarterly)
    app.cli.add_command(export)
    from .jobs.cli import housekeeping_command, worker_command

    app.cli.add_command(worker_command)
    app.cli.add_command(housekeeping_command)


# users -------------------------------------------------------------------------------------


@click.group(help="Manage the people who sign in.")
def users() -> None:
    pass


@users.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--team", default=None)
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
def create_user_command(email, name, role, team, password_stdin) -> None:
    """Create a user who can sign in."""
    from .auth.service import UserRefused, create_user

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(email, name, role, password, team=team, how="command line")
    except UserRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"created {role} {user.email}")


@click.command("team-wards")
@click.argument("team")
@click.argument("wards", nargs=-1)
def team_wards_command(team, wards) -> None:
    """Set the wards TEAM covers (none: it covers none). Its team lead allocates the families
    nobody holds in those wards; elsewhere a programme manager does."""
    from .admin.service import AdminRefused, set_team_wards

    try:
        found = set_team_wards(team, list(wards))
    except AdminRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"{found.name} covers {', '.join(w.ward for w in found.wards) or 'no wards'}")


# import ------------------------------------------------------------------------------------


@click.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--match", "match", is_flag=True,
              help="Link rows without person_ref to people by their given_name, family_name "
                   "and date_of_birth (and postcode, sex); see docs/matching.md.")
@click.option("--also", "also", multiple=True, metavar="KIND FILE",
              type=(click.Choice(list(KINDS)), click.Path(dir_okay=False, path_type=Path)),
              help="Another file to import after FILE, in the same transaction (repeat for "
                   "more): all the files or none, and the families they change evaluated "
                   "once at the end, not once a file.")
@click.option("--refresh-later", "refresh_later", is_flag=True,
              help="Commit the rows and leave the families they changed to a refresh job "
                   "(run by `casework worker`), instead of evaluating them before the command "
                   "ends; until it has run, the summary pages say how many changed families "
                   "are waiting (docs/stored-evaluation.md).")
def import_command(kind: str, file: Path, match: bool, also: tuple[tuple[str, Path], ...],
                   refresh_later: bool) -> None:
    """Import a partner agency's CSV file of KIND, all or nothing."""
    from .importer.service import ImportRefused, import_csv
    from .transaction import transaction

    if match and also:
        raise Refused("--match imports one file at a time: import the others without --also")
    files = [(kind, file), *also]
    lines = []
    try:
        # Several files: every one or none. One file is its own import's transaction.
        from .evaluation.store import marking_deferred

        # Each family the files change is marked for the refresh once, not once a file.
        with (transaction() if also else contextlib.nullcontext(),
              marking_deferred() if also else contextlib.nullcontext()):
            for kind, file in files:
                try:  # read as it is imported, a part at a time (matching reads it whole)
                    data = file.read_bytes() if match else file.open("rb")
                except OSError as error:  # the files before it are rolled back
                    raise Refused(f"{file}: cannot read the file ({error.strerror})"
                                  + ("\nnone of the files was imported" if also else "")
                                  ) from None
                if match:
                    from .matching.importing import import_with_matching

                    summary = import_with_matching(kind, data, str(file))
                    for line in summary.unmatched_lines:
                        click.echo(f"{file}:{line}: not matched to anyone, not imported",
                                   err=True)
                    lines.append(summary.line())
                    continue
                with data:
                    rows = sum(1 for _ in data) if sys.stderr.isatty() else 0
                    data.seek(0)
                    if rows >= 5000:
                        with click.progressbar(length=rows, label=f"Checking {file.name}",
                                               file=sys.stderr) as bar:
                            summary = import_csv(kind, data, str(file), progress=bar.update)
                            bar.update(rows - bar.pos)  # checked and written: show it done
                    else:
                        summary = import_csv(kind, data, str(file))
                lines.append(summary.line())
    except ImportRefused as refused:
        raise Refused("\n".join(refused.errors) + (
            "\nnone of the files was imported" if also else "")) from None
    for line in lines:
        click.echo(line)
    from .evaluation import store

    if refresh_later:  # a job right after: the rows are committed, the job evaluates them
        with transaction():
            waiting = store.pending_count()
            job = store.start_refresh(None, everything=False) if waiting else None
        if job is not None:
            click.echo(f"{waiting:,} changed famil{'y is' if waiting == 1 else 'ies are'} "
                       f"waiting to be evaluated: refresh job {job.id} (casework worker runs "
                       "it)", err=True)
        return
    store.refresh_pending()  # the families whose evidence changed, in the stored evaluation, once


# demo --------------------------------------------------------------------------------------


@click.command("demo")
@click.option("--families", "count", default=200, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing when families already exist.")
@click.option("--harsh", is_flag=True,
              help="Every family in one postcode, with nine surnames (a third of them Smith): "
                   "data that search and the summaries cannot narrow (benchmarks).")
def demo_command(count: int, seed: int, if_empty: bool, harsh: bool) -> None:
    """Load realistic synthetic families and one demo user per role."""
    from .demo import DEMO_PASSWORD, DemoRefused, load_demo

    try:
        loaded = load_demo(count, seed, if_empty=if_empty, harsh=harsh)
    except DemoRefused as refused:
        raise Refused(str(refused)) from None
    if loaded is None:
        click.echo("Demo data is already loaded.")
    else:
        for line in loaded:
            click.echo(line)
    click.echo(f"Demo sign-ins (password for each: {DEMO_PASSWORD}):")
    from .demo import DEMO_PARTNERS, DEMO_USERS

    for email, name, role, _team in DEMO_USERS:
        click.echo(f"  {role:<10} {email}  ({name})")
    for email, name, organisation, _kind in DEMO_PARTNERS:
        click.echo(f"  {'partner':<10} {email}  ({name}, {organisation})")


# evaluate ----------------------------------------------------------------------------------


@click.command("evaluate")
@click.option("--as-of", "as_of", callback=parse_date,
              help="YYYY-MM-DD; required, except with --store (default today).")
@click.option("--family", "families", multiple=True, help="A family_ref; repeat for more.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "table"]), default="json",
              show_default=True)
@click.option("--ruleset", type=click.Choice(list(RULESETS)), default="phase1",
              show_default=True, help="A later programme's ruleset evaluates its Outcome Plan.")
@click.option("--store", is_flag=True,
              help="Also write the stored evaluation that the summary pages read.")
def evaluate_command(as_of: dt.date | None, families: tuple[str, ...], fmt: str, ruleset: str,
                     store: bool) -> None:
    """Evaluate identification and results for every family (or those named)."""
    from .evaluation import output
    from .evaluation.parallel import evaluate_to_json
    from .evaluation.service import family_ids

    if as_of is None:
        if not store:
            raise click.UsageError("Missing option '--as-of'.")
        as_of = clock.today()
    if ruleset != "phase1" and fmt != "json":
        raise click.UsageError(f"--ruleset {ruleset} gives --format json only")
    if ruleset != "phase1" and store:
        raise click.UsageError("--store keeps the phase1 evaluation; give no --ruleset")
    refs = list(families) or None
    chosen = family_ids(refs=refs)
    if refs:
        known = {ref for _, ref in chosen}
        missing = [r for r in dict.fromkeys(refs) if r not in known]
        if missing:
            raise Refused(f"No family with reference {', '.join(missing)}")
    write = {"json": output.write_json, "csv": output.write_csv,
             "table": output.write_table}[fmt]
    if store:
        write(_stored(as_of, [fid for fid, _ in chosen] if refs else None), sys.stdout)
        return
    # A family whose rules raise is left out and named on standard error (the log has its
    # traceback); every other family is printed, as `--store` does.
    failed: list[tuple[int, str, str]] = []
    if ruleset != "phase1":
        items = _outcome_json(as_of, [fid for fid, _ in chosen], ruleset, failed)
    else:
        items = evaluate_to_json(as_of, [fid for fid, _ in chosen], failed)
    write(_with_progress(items, len(chosen), "Evaluating"), sys.stdout)
    if failed:
        from .evaluation.store import failed_words, named_failures

        click.echo(failed_words(named_failures(failed), "left out"), err=True)


def _stored(as_of: dt.date, ids: list[int] | None):
    """Refresh the stored evaluation, yielding each family's JSON as the writers want it
    (the refresh runs to the end first, then its objects are written out)."""
    from .evaluation.store import failed_words, refresh

    found: list[dict] = []
    try:
        summary = refresh(ids, as_of, each_json=found.append)
    except ValueError as wrong:
        raise Refused(str(wrong)) from None
    if summary.failed:
        click.echo(failed_words(summary.failed), err=True)
    yield from found


def _outcome_json(as_of: dt.date, ids: list[int], ruleset: str,
                  failed: list[tuple[int, str, str]]):
    from .outcomes.service import PlanError, council_plan, evaluate_outcome_families, to_json

    try:
        council_plan(ruleset)
    except PlanError as error:
        raise Refused(str(error)) from None
    from .evaluation.service import each_json

    return each_json(evaluate_outcome_families(as_of, ids, ruleset, failed=failed), to_json,
                     ruleset, failed)


def _with_progress(items, total: int, label: str):
    """Show a progress bar on a terminal's standard error; stay quiet when piped."""
    stream = sys.stderr
    if not stream.isatty() or total < 200:
        yield from items
        return
    with click.progressbar(items, length=total, label=label, file=stream) as bar:
        yield from bar


# allocate ----------------------------------------------------------------------------------


@click.command("allocate")
@click.argument("family_ref")
@click.argument("worker_email")
@click.option("--on", "on", callback=parse_date, help="YYYY-MM-DD; default today")
@click.option("--by", "by_email", help="The team lead or manager who allocates.")
@click.option("--override-reason", default=None, help="Allocate past a caseload limit, saying why.")
def allocate_command(family_ref, worker_email, on, by_email, override_reason) -> None:
    """Allocate (or transfer) a family to a FIP worker."""
    from sqlalchemy import select

    from . import models as m
    from .access import may_allocate_family
    from .auth.service import find_user
    from .caseloads.service import AllocationRefused, allocate

    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == family_ref))
    by = None
    if by_email:
        by = find_user(by_email)
        if by is None:
            raise Refused(f"No user with email {by_email}")
    # Another team's family is refused as one that does not exist (as the pages do).
    if family is None or (by is not None and by.role in ("team_lead", "manager")
                          and not may_allocate_family(by, family)):
        raise Refused(f"No family with reference {family_ref}")
    worker = find_user(worker_email)
    if worker is None:
        raise Refused(f"No user with email {worker_email}")
    try:
        allocation = allocate(family, worker, on or clock.today(), by, override_reason)
    except AllocationRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"{family_ref} allocated to {worker.email} on {allocation.start_on}")


# claims ------------------------------------------------------------------------------------


@click.group(help="Payment-by-results claims: build, audit, batch and PDF.")
def claims() -> None:
    pass


def _user(email: str):
    from .auth.service import find_user

    user = find_user(email)
    if user is None:
        raise Refused(f"No user with email {email}")
    return user


@claims.command("build")
@click.option("--as-of", "as_of", required=True, callback=parse_date, help="YYYY-MM-DD")
@click.option("--by", "by_email", help="The programme manager who builds them.")
@click.option("--ruleset", type=click.Choice(list(RULESETS)), default="phase1",
              show_default=True, help="A later programme's ruleset claims by its Outcome Plan.")
def claims_build(as_of, by_email, ruleset) -> None:
    """Create draft claims for every result claimable on the date."""
    from .claims.outcome_plans import example_warnings
    from .claims.service import ClaimRefused, build_claims
    from .evaluation.store import LEFT_OUT_OF_BUILD, failed_words, named_failures
    from .rules.plan import PlanError

    failed: list[tuple[int, str, str]] = []
    try:
        created = build_claims(as_of, _user(by_email) if by_email else None, ruleset=ruleset,
                               failed=failed)
    except (ClaimRefused, PlanError) as refused:
        raise Refused(str(refused)) from None
    for warning in example_warnings([ruleset]):
        click.echo(f"Warning: {warning}", err=True)
    if failed:
        click.echo(failed_words(named_failures(failed), LEFT_OUT_OF_BUILD), err=True)
    click.echo(f"{len(created)} draft claims created")


@claims.command("list")
@click.option("--state", type=click.Choice(CLAIM_STATES))
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json",
              show_default=True)
def claims_list(state, fmt) -> None:
    """List claims as JSON (or a table)."""
    import json

    from .claims.service import list_claims

    rows = [{"id": c.id, "family_ref": ref, "result": c.result, "amount": c.amount,
             "state": c.state, "as_of": c.as_of.isoformat(), "ruleset": c.ruleset,
             "episode": c.episode_id} for c, ref in list_claims(state)]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=1))
        return
    for r in rows:
        click.echo(f"{r['id']:>6}  {r['family_ref']:<12} {r['ruleset']:<19} {r['result']:<22} "
                   f"£{r['amount']:>5}  {r['state']:<9} {r['as_of']}")


@claims.command("validate")
@click.argument("claim_id", type=int)
@click.option("--by", "by_email", required=True, help="The internal auditor.")
def claims_validate(claim_id, by_email) -> None:
    """Validate a draft claim (internal auditors only)."""
    from .claims.service import ClaimRefused, validate

    try:
        validate(claim_id, _user(by_email))
    except ClaimRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"claim {claim_id} validated")


@claims.command("reject")
@click.argument("claim_id", type=int)
@click.option("--by", "by_email", required=True, help="The internal auditor.")
@click.option("--reason", required=True)
def claims_reject(claim_id, by_email, reason) -> None:
    """Reject a draft claim with a reason (internal auditors only)."""
    from .claims.service import ClaimRefused, reject

    try:
        reject(claim_id, _user(by_email), reason)
    except ClaimRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"claim {claim_id} rejected")


@claims.command("batch")
@click.option("--window", required=True, help="The claim window's label, e.g. 'July 2013'.")
@click.option("--as-of", "as_of", callback=parse_date, help="YYYY-MM-DD; default today")
def claims_batch(window, as_of) -> None:
    """Submit every validated claim not yet in a batch as a new batch."""
    from .claims.service import ClaimRefused, submit_batch

    try:
        batch = submit_batch(window, as_of or clock.today())
    except ClaimRefused as refused:
        raise Refused(str(refused)) from None
    click.echo(f"{len(batch.claims)} claims submitted in batch {batch.id}")


@claims.command("pdf")
@click.argument("batch_id", type=int)
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def claims_pdf(batch_id, output) -> None:
    """Write a claim batch's PDF: a summary, then an evidence page per family. The PDF stored
    at submission if there is one; if not, it is laid out now and stored."""
    from .claims import documents

    try:
        pdf, made = documents.make(batch_id, None)
    except LookupError as missing:
        raise Refused(str(missing)) from None
    try:
        output.write_bytes(pdf.pdf)
    except OSError as error:
        raise Refused(f"{output}: cannot write the file ({error.strerror})") from None
    click.echo(f"wrote {output} ({'laid out now and stored' if made else 'the stored PDF'}, "
               f"SHA-256 {pdf.sha256})")


# backup ------------------------------------------------------------------------------------


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Copy the SQLite database consistently while the app runs (PostgreSQL: use pg_dump)."""
    import sqlite3

    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise Refused("casework backup copies SQLite databases: for PostgreSQL use pg_dump "
                      "(see the README)")
    if file.exists():
        raise Refused(f"{file} already exists: choose a new file name")
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(str(file))
        with target:
            raw.driver_connection.backup(target)  # SQLite's online backup: consistent, no lock-out
        target.close()
    except sqlite3.Error as error:
        file.unlink(missing_ok=True)
        raise Refused(f"{file}: backup failed ({error})") from None
    finally:
        raw.close()
    click.echo(f"backed up to {file}")
