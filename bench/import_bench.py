"""Benchmark: a whole partner load through `casework import`, refresh included, beside floors
measured in the same run.

    .venv/bin/python bench/import_bench.py --families 120000 --harsh
    .venv/bin/python bench/import_bench.py --families 120000 --harsh --postgres

Writes the demo generator's CSV files to bench/results/ (`--harsh`: every family in one
postcode, nine surnames), starts a throwaway PostgreSQL 15 cluster with production durability
(fsync on, `shared_buffers` 2 GB; tests/pg.py) and, in this order:

1. **reading the rows**: every file read by the csv module, nothing done with the rows;
2. **PostgreSQL's own COPY** of the same files (`COPY ... FROM STDIN (FORMAT csv)` through
   psycopg, each file into a table of its columns typed as casework types them, no index,
   one transaction a file, committed with fsync on): what the database itself needs;
3. **a plain script** (SQLite only): the csv module and `sqlite3`, every row inserted by one
   prepared `executemany` a file into a table of text columns, one transaction;
4. **the import**: `casework import KIND FILE --also KIND FILE ...` into an empty database
   (a new SQLite file, or a database in the same cluster), one process, its start-up
   included, then the refresh of every family it changed, as a council's nightly load runs.
   With `--refresh-later`: the import alone (`casework import ... --refresh-later`, which
   commits the rows and queues the refresh job), then that job run by the worker's code
   (casework.jobs.service.run) in a process of its own, each timed from outside, start-up
   included; the import + refresh figure is their sum.

5. **PostgreSQL's COPY into casework's own tables** (the second floor): the same rows as
   the import stored them in each kind's table (written out after the import, not timed),
   COPYed into an empty database migrated as casework's is, with every key, foreign key and
   index (none dropped or disabled), one transaction for all of them, committed with fsync
   on: what the database itself needs to store the rows where casework must. The first
   floor leaves that work out; the distance from each is told apart.

Prints each figure beside the floors and the ratios, and the peak memory of the largest
process of the import (the refresh runs in worker processes). The files are built once
(`--build-only`, through busy.sh) and reused while the generator and the day are the same;
`--slow-log MS` keeps the server's log of slow statements, checkpoints and autovacuum.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CASEWORK = ROOT / ".venv" / "bin" / "casework"


def copy_file(connection, statement: str, path) -> None:
    """Stream a file into PostgreSQL's COPY ... FROM STDIN a megabyte at a time."""
    with connection.cursor() as cursor, open(path, "rb") as handle:
        with cursor.copy(statement) as copy:
            while block := handle.read(1 << 20):
                copy.write(block)


def _pg_type(kind, name: str) -> str:
    from sqlalchemy import Boolean, Date, Integer

    column = kind.model.__table__.c.get(name)
    kinds = {Date: "date", Integer: "integer", Boolean: "boolean"}
    for sql_type, pg in kinds.items():
        if column is not None and isinstance(column.type, sql_type):
            return pg
    return "text"


def read_rows(files) -> float:
    started = time.perf_counter()
    for _, path, _ in files:
        with open(path, newline="", encoding="utf-8") as handle:
            for _ in csv.reader(handle):
                pass
    return time.perf_counter() - started


def pg_copy(url: str, files) -> float:
    """COPY each file into a table of its columns (typed, no index), one commit a file."""
    import psycopg

    from casework.importer.kinds import KINDS

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS copy_floor")
        admin.execute("CREATE DATABASE copy_floor")
    floor_url = url.replace("+psycopg", "").rsplit("/", 1)[0] + "/copy_floor"
    with psycopg.connect(floor_url) as connection:
        for kind_name, path, _ in files:
            kind = KINDS[kind_name]
            with open(path, encoding="utf-8") as handle:
                header = next(csv.reader(handle))
            table = "floor_" + kind_name.replace("-", "_")
            columns = ", ".join(f'"{c}" {_pg_type(kind, c)}' for c in header)
            connection.execute(f"CREATE TABLE {table} ({columns})")
            connection.commit()
        started = time.perf_counter()
        for kind_name, path, _ in files:
            table = "floor_" + kind_name.replace("-", "_")
            copy_file(connection, f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)", path)
            connection.commit()
        return time.perf_counter() - started


def _copy_text(value) -> str:
    """A value read from SQLite in COPY's text format (PostgreSQL's boolean reads 0 and 1,
    its dates and times SQLite's ISO text)."""
    if value is None:
        return "\\N"
    return str(value).translate(_SPECIAL)


_SPECIAL = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def dump_stored_rows(url: str, files, into: Path) -> list[tuple[str, list[str], Path, int]]:
    """The files' rows as the import stored them, each kind's table written out in COPY's
    text format (not timed): (table, columns, file, rows) in the order of the files."""
    from casework.importer.kinds import KINDS

    into.mkdir(parents=True, exist_ok=True)
    out = []
    for kind_name, _, _ in files:
        table = KINDS[kind_name].model.__table__
        columns = [c.name for c in table.columns]
        path = into / f"{table.name}.copy"
        quoted = ", ".join(f'"{c}"' for c in columns)
        if url.startswith("postgresql"):
            import psycopg

            with psycopg.connect(url.replace("+psycopg", "")) as connection, \
                    connection.cursor() as cursor, open(path, "wb") as handle:
                with cursor.copy(f"COPY (SELECT {quoted} FROM {table.name} ORDER BY id) "
                                 "TO STDOUT") as copy:
                    for block in copy:
                        handle.write(block)
        else:
            connection = sqlite3.connect(url.removeprefix("sqlite:///"))
            with open(path, "w", encoding="utf-8") as handle:
                for row in connection.execute(
                        f"SELECT {quoted} FROM {table.name} ORDER BY id"):  # nosec: the model's
                    handle.write("\t".join(map(_copy_text, row)) + "\n")
            connection.close()
        with open(path, "rb") as handle:
            rows = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
        out.append((table.name, columns, path, rows))
    return out


def pg_copy_into_tables(url: str, dumped) -> float:
    """COPY the rows as the import stored them into casework's own tables, with their keys,
    foreign keys and indexes, in an empty database migrated as casework's is: one
    transaction for all of them, as the import's, committed with fsync on. What PostgreSQL
    itself needs to store the rows where casework must (no constraint dropped or disabled)."""
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS tables_floor")
        admin.execute("CREATE DATABASE tables_floor")
    floor_url = url.rsplit("/", 1)[0] + "/tables_floor"
    env = {**os.environ, "DATABASE_URL": floor_url, "CASEWORK_ENV": "development"}
    subprocess.run([str(CASEWORK), "db", "upgrade"], env=env, check=True, capture_output=True)
    with psycopg.connect(floor_url.replace("+psycopg", "")) as connection:
        started = time.perf_counter()
        for table, columns, path, _ in dumped:
            quoted = ", ".join(f'"{c}"' for c in columns)
            copy_file(connection, f"COPY {table} ({quoted}) FROM STDIN", path)
        connection.commit()
        return time.perf_counter() - started


def plain_sqlite(files) -> float:
    """What an analyst would write: csv and sqlite3, one executemany a file, one commit."""
    with tempfile.TemporaryDirectory(prefix="casework-bench-plain-") as directory:
        started = time.perf_counter()
        connection = sqlite3.connect(f"{directory}/plain.db")
        connection.execute("PRAGMA journal_mode=WAL")
        for kind_name, path, _ in files:
            with open(path, newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                header = next(reader)
                table = "plain_" + kind_name.replace("-", "_")
                connection.execute(f"CREATE TABLE {table} ({', '.join(header)})")
                marks = ", ".join("?" * len(header))
                connection.executemany(f"INSERT INTO {table} VALUES ({marks})", reader)  # nosec
        connection.commit()
        connection.close()
        return time.perf_counter() - started  # taken before the folder is removed


def _as_time(value) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


RUN_JOB = """
import sys
from sqlalchemy import select
from casework import create_app, models as m
from casework.extensions import db
from casework.jobs.service import run
app = create_app()
with app.app_context():
    job = db.session.scalar(select(m.Job).where(m.Job.kind == "refresh_figures"))
    run(job.id)
    db.session.expire_all()
    job = db.session.get(m.Job, job.id)
    if job.state != "done":
        sys.exit(f"the refresh job ended {job.state}: {job.error}")
"""


def import_all(url: str, files, later: bool = False) -> tuple[float, float | None, float]:
    """Seconds for the one `casework import ... --also ...` process, the refresh's share of
    them (from the import's last audit row to the stored evaluation's time), and the peak
    memory (MiB) of the largest process it ran. `later`: the import with --refresh-later,
    then the refresh job in a process of its own: (import alone, the job, peak)."""
    env = {**os.environ, "DATABASE_URL": url, "CASEWORK_ENV": "development"}
    subprocess.run([str(CASEWORK), "db", "upgrade"], env=env, check=True, capture_output=True)
    (first_kind, first_path, _), *rest = files
    args = [str(CASEWORK), "import", first_kind, str(first_path)]
    for kind, path, _ in rest:
        args += ["--also", kind, str(path)]
    if later:
        args.append("--refresh-later")
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"the import failed:\n{done.stderr[-3000:]}")
    if later:
        started = time.perf_counter()
        job = subprocess.run([sys.executable, "-c", RUN_JOB], env=env, cwd=ROOT,
                             capture_output=True, text=True)
        refresh = time.perf_counter() - started
        if job.returncode:
            sys.exit(f"the refresh job failed:\n{job.stderr[-3000:]}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return seconds, refresh, peak
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        imported = connection.execute(text(
            "SELECT max(at) FROM audit_events WHERE action = 'import'")).scalar()
        refreshed = connection.execute(text(
            "SELECT max(refreshed_at) FROM evaluation_runs")).scalar()
    engine.dispose()
    share = None
    if imported and refreshed:
        share = (_as_time(refreshed) - _as_time(imported)).total_seconds()
    return seconds, share, peak


def build_files(results: Path, families: int, harsh: bool) -> list[tuple[str, Path, int]]:
    """The demo generator's partner files for `families` families, written once and reused
    while the generator, the kinds and the day are the same (the stamp says so): building
    120,000 families' files takes minutes that need not be inside a timed call."""
    import hashlib

    from casework import clock

    digest = hashlib.sha256(str(clock.today()).encode())
    for source in ("casework/demo.py", "casework/evidence/kinds.py", "casework/evidence/fields.py"):
        digest.update((ROOT / source).read_bytes())
    stamp = f"{families} {harsh} {digest.hexdigest()}\n"
    listing = results / "files.txt"
    if listing.exists() and listing.read_text().startswith(stamp):
        files = []
        for line in listing.read_text().splitlines()[1:]:
            kind, rows = line.split()
            files.append((kind, results / f"{kind}.csv", int(rows)))
        return files
    from casework.demo import demo_csv

    results.mkdir(parents=True, exist_ok=True)
    files = []
    for kind, data in demo_csv(families, seed=1, harsh=harsh):
        rows = data.count(b"\n") - 1
        if rows:
            path = results / f"{kind}.csv"
            path.write_bytes(data)
            files.append((kind, path, rows))
    listing.write_text(stamp + "".join(f"{kind} {rows}\n" for kind, _, rows in files))
    return files


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--postgres", action="store_true",
                        help="import into PostgreSQL (default: a new SQLite file)")
    parser.add_argument("--refresh-later", action="store_true",
                        help="time the import alone (--refresh-later) and then the refresh "
                             "job it queued, each in its own process")
    parser.add_argument("--harsh", action="store_true",
                        help="harsh data: every family in one postcode, nine surnames "
                             "(casework demo --harsh)")
    parser.add_argument("--build-only", action="store_true",
                        help="only write the partner files (reused by later runs while the "
                             "generator and the day are the same), nothing timed: run it "
                             "through busy.sh before a timed call")
    parser.add_argument("--slow-log", type=int, metavar="MS",
                        help="log the server's statements slower than MS milliseconds and "
                             "autovacuum's work, kept in bench/results/ (diagnosis)")
    opts = parser.parse_args()

    results = ROOT / "bench" / "results" / f"csv-{opts.families}{'-harsh' * opts.harsh}"
    files = build_files(results, opts.families, opts.harsh)
    if opts.build_only:
        print(f"{sum(rows for _, _, rows in files):,} rows in {len(files)} files in {results}")
        return
    total = sum(rows for _, _, rows in files)
    print(f"{total:,} rows in {len(files)} files ({', '.join(k for k, _, _ in files)}); "
          f"load average {os.getloadavg()[0]:.1f}")

    from tests.pg import PRODUCTION, Cluster

    settings = PRODUCTION  # fsync on (the server's default), production memory
    if opts.slow_log is not None:  # the server's log of slow statements and autovacuum
        settings += (f" -c log_min_duration_statement={opts.slow_log}"
                     " -c log_autovacuum_min_duration=0 -c log_checkpoints=on")
    cluster = Cluster(durable=True, settings=settings)
    pg_url = cluster.start()
    scratch = tempfile.TemporaryDirectory(prefix="casework-bench-")  # the SQLite database's
    try:
        read = read_rows(files)
        copy = pg_copy(pg_url, files)
        plain = None if opts.postgres else plain_sqlite(files)
        url = pg_url if opts.postgres else f"sqlite:///{scratch.name}/import.db"
        seconds, refresh, peak = import_all(url, files, opts.refresh_later)
        # The second floor, from the rows the import stored (read after it, not timed).
        dumped = dump_stored_rows(url, files, results.parent / "stored-rows")
        into_tables = pg_copy_into_tables(pg_url, dumped)
        stored_rows = sum(rows for *_, rows in dumped)
    finally:
        if opts.slow_log is not None:
            log = results.parent / f"import-{opts.families}-server.log"
            log.write_bytes((cluster.root / "server.log").read_bytes())
            print(f"the server's log: {log}")
        cluster.stop()
        scratch.cleanup()
    if opts.refresh_later:
        alone, seconds = seconds, seconds + refresh

    def line(label: str, secs: float) -> str:
        return (f"{label:<44} {secs:7.1f} s {total / secs:>10,.0f} rows/s "
                f"{secs / copy:5.2f}x COPY")

    database = "PostgreSQL" if opts.postgres else "SQLite"
    print(line("floor: reading the rows (csv module)", read))
    print(line("floor: PostgreSQL COPY of the same files", copy))
    print(line("floor: COPY into casework's own tables", into_tables)
          + f" ({stored_rows:,} rows, keys and indexes)")
    if plain is not None:
        print(line("floor: plain script (csv + sqlite3)", plain))
    print(line(f"casework import, {database}, refresh included", seconds)
          + (f", {seconds / plain:.2f}x the plain script" if plain else ""))
    if opts.refresh_later:
        print(line(f"casework import --refresh-later, {database}", alone))
        print(line("the refresh job it queued (own process)", refresh))
        print(f"  import + refresh: {seconds:.1f} s, {total / seconds:,.0f} rows/s")
    elif refresh is not None:
        print(f"  of which the refresh after it: about {refresh:.1f} s "
              f"({refresh / seconds:.0%}); the import alone about "
              f"{total / (seconds - refresh):,.0f} rows/s")
    print(f"  peak memory of its largest process: {peak:,.0f} MiB; load average now "
          f"{os.getloadavg()[0]:.1f}")
    print(f"targets, import with its refresh: at least 50,000 rows/s "
          f"({'met' if total / seconds >= 50000 else 'NOT met'}); "
          f"at most 2x COPY ({'met' if seconds <= 2 * copy else 'NOT met'})")
    if opts.refresh_later:
        print(f"the import alone: {total / alone:,.0f} rows/s "
              f"({'met' if total / alone >= 50000 else 'NOT met'}), {alone / copy:.1f}x COPY "
              f"({'met' if alone <= 2 * copy else 'NOT met'})")
    print(f"beside the COPY into casework's own tables ({into_tables:.1f} s): "
          + (f"the import alone {alone / into_tables:.1f}x, " if opts.refresh_later else "")
          + f"the import with its refresh {seconds / into_tables:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
