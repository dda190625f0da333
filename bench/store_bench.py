"""Benchmark: the stored evaluation and what reads it, at scale, measured side by side.

    .venv/bin/python bench/store_bench.py --families 120000
    .venv/bin/python bench/store_bench.py --families 120000 --postgres   # a throwaway cluster

Builds the demo once per size (a SQLite file under bench/results/ by default), then, in one
run, one after the other:

- read: every row the full refresh reads, read batch by batch on every core by the
  refresh's own reading (`store.read_batch`: each family's evidence, episodes, claims and
  incidents, and the later programmes' evidence of their families), without evaluating
  (the yardstick for the refresh);
- refresh: `store.refresh()` for every family (read, evaluate, write, commit);
- plain: the same families' evidence written out as the six partner CSV files and what
  else the refresh reads (incidents, housing, statuses, needs, assessments, discretions,
  episodes, claims), then bench/plain_evaluate.py (one process, the csv module and the same pure
  rules, computing what the refresh stores for every programme, nothing written) timed over
  them, checked to count the same eligible families as the refresh;
- import: 1,000 ASB incidents for 1,000 families through the importer, then the
  re-evaluation of the families it changed (`refresh_pending`), each timed;
- summaries and search: each summary's figures read as the pages read them (counted afresh,
  as after a change to the data, and kept, as casework/cache_version.py serves them until the
  data changes), and the
  families list searched for a name, a postcode and a reference, REPEAT times each in one
  process (p50 and p95 of the server-side work, no HTTP; bench/load_bench.py has the pages
  under load).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CASEWORK = ROOT / ".venv" / "bin" / "casework"
REPEAT = 20


def _read_batch(task: tuple) -> int:
    """The floor: what a full refresh reads of one batch (store.read_batch, the function its
    workers read with), every row once, and nothing evaluated or written."""
    from casework.evaluation.store import _read_only

    return _read_only(task)


def _timed(label: str, action) -> float:
    started = time.perf_counter()
    action()
    took = time.perf_counter() - started
    print(f"{label}: {took:.2f} s", flush=True)
    return took


def _repeated(label: str, action) -> None:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"{label:<40} p50 {statistics.median(times):7.1f} ms  "
          f"p95 {times[int(0.95 * (len(times) - 1))]:7.1f} ms", flush=True)


def _export(directory: Path) -> None:
    """Write every family's evidence as the partner files would carry it (contract columns)."""
    from sqlalchemy import select

    from casework import models as m
    from casework.extensions import db

    F, P, T, A, Off, W = (m.Family, m.Person, m.SchoolTerm, m.AsbRecord, m.Offence,
                        m.WorkSpell)
    D, H, CS, N, As, X, U, E, C = (m.DomesticAbuseIncident, m.HousingEvent, m.ChildStatus,
                                   m.Need, m.Assessment, m.NeedDiscretion, m.User, m.Episode,
                                   m.Claim)
    yn = {True: "y", False: "n", None: ""}
    files = {
        "families.csv": (("family_ref", "identified_on", "attached_on", "local_discretion"),
                         select(F.family_ref, F.identified_on, F.attached_on,
                                F.local_discretion)),
        "people.csv": (("person_ref", "family_ref", "date_of_birth"),
                       select(P.person_ref, F.family_ref, P.date_of_birth).join(F)),
        "school-terms.csv": (("person_ref", "academic_year", "term", "sessions_possible",
                              "sessions_unauthorised", "fixed_exclusions",
                              "permanent_exclusion", "alternative_provision", "on_roll"),
                             select(P.person_ref, T.academic_year, T.term,
                                    T.sessions_possible, T.sessions_unauthorised,
                                    T.fixed_exclusions, T.permanent_exclusion,
                                    T.alternative_provision, T.on_roll).join(P)),
        "asb.csv": (("asb_ref", "person_ref", "family_ref", "date", "kind"),
                    select(A.asb_ref, P.person_ref, F.family_ref, A.date, A.kind)
                    .outerjoin(P, A.person_id == P.id).outerjoin(F, A.family_id == F.id)),
        "offences.csv": (("offence_ref", "person_ref", "offence_date", "proven"),
                         select(Off.offence_ref, P.person_ref, Off.offence_date, Off.proven)
                         .join(P)),
        "work.csv": (("work_ref", "person_ref", "kind", "benefit", "start_date", "end_date"),
                     select(W.work_ref, P.person_ref, W.kind, W.benefit, W.start_date,
                            W.end_date).join(P)),
        # What else the refresh reads (the cost estimate's incidents, each later
        # programme's evidence and which programme a family is in), as files of the same
        # kind, so that the plain script computes everything the refresh stores.
        "domestic-abuse.csv": (("incident_ref", "person_ref", "family_ref", "date"),
                               select(D.incident_ref, P.person_ref, F.family_ref, D.date)
                               .outerjoin(P, D.person_id == P.id)
                               .outerjoin(F, D.family_id == F.id)),
        "housing.csv": (("housing_ref", "person_ref", "family_ref", "date", "kind",
                         "end_date"),
                        select(H.housing_ref, P.person_ref, F.family_ref, H.date, H.kind,
                               H.end_date)
                        .outerjoin(P, H.person_id == P.id).outerjoin(F, H.family_id == F.id)),
        "child-status.csv": (("status_ref", "person_ref", "status", "start_date", "end_date"),
                             select(CS.status_ref, P.person_ref, CS.status, CS.start_date,
                                    CS.end_date).join(P)),
        "needs.csv": (("need_ref", "family_ref", "person_ref", "problem", "indicator",
                       "identified_on"),
                      select(N.need_ref, F.family_ref, P.person_ref, N.problem, N.indicator,
                             N.identified_on).join(F, N.family_id == F.id)
                      .outerjoin(P, N.person_id == P.id)),
        "assessments.csv": (("assessment_ref", "need_ref", "date", "outcome", "assessed_by",
                             "note"),
                            select(As.assessment_ref, As.need_ref, As.date, As.outcome,
                                   As.assessed_by, As.note)),
        "need-discretions.csv": (("need_ref", "approved_on", "approved_by", "reason"),
                                 select(N.need_ref, X.approved_on, U.name, X.reason)
                                 .join(N, X.need_id == N.id)
                                 .join(U, X.approved_by_id == U.id)),
        "claims.csv": (("family_ref", "result", "amount", "claim_kind", "ruleset", "state"),
                       select(F.family_ref, C.result, C.amount, C.claim_kind, C.ruleset,
                              C.state).join(F, C.family_id == F.id).order_by(C.id)),
        "episodes.csv": (("family_ref", "programme", "signed_up_on", "closed_on"),
                         select(F.family_ref, E.programme, E.signed_up_on, E.closed_on)
                         .join(F, E.family_id == F.id).order_by(E.signed_up_on, E.id)),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, (header, query) in files.items():
        with open(directory / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for row in db.session.execute(query):
                writer.writerow(["" if v is None else yn[v] if isinstance(v, bool) else v
                                 for v in row])
    db.session.commit()


def _load_from_csv(env: dict, families: int, harsh: bool) -> None:
    """The demo generator's partner files imported with `casework import ... --refresh-later`
    (minutes, where `casework demo` also allocates, selects and claims: an hour and more at
    120,000 harsh families on a loaded machine). Families and evidence only: no workers'
    allocations, contacts or claims."""
    from casework.demo import demo_csv

    directory = ROOT / "bench" / "results" / f"store-csv-{families}{'-harsh' * harsh}"
    directory.mkdir(parents=True, exist_ok=True)
    args = [str(CASEWORK), "import"]
    for kind, data in demo_csv(families, seed=1, harsh=harsh):
        if data.count(b"\n") > 1:
            path = directory / f"{kind}.csv"
            path.write_bytes(data)
            args += [kind, str(path)] if len(args) == 2 else ["--also", kind, str(path)]
    subprocess.run([*args, "--refresh-later"], env=env, check=True, capture_output=True)


def asb_change(count: int = 1000) -> tuple[list[str], bytes]:
    """The change both benches time (this one and refresh_bench.py changes): one new ASB
    incident, dated today, for one member of each of the first `count` families, as an ASB
    file: (the people's references, the file's bytes). References are new on every run."""
    from sqlalchemy import func, select

    from casework import models as m
    from casework.extensions import db

    people = list(db.session.scalars(
        select(func.min(m.Person.person_ref)).group_by(m.Person.family_id)
        .order_by(m.Person.family_id).limit(count)))
    stamp = time.strftime("%H%M%S")
    today = dt.date.today().isoformat()
    rows = "".join(f"BENCH{stamp}{i:05d},{ref},,{today},incident\n"
                   for i, ref in enumerate(people))
    return people, ("asb_ref,person_ref,family_ref,date,kind\n" + rows).encode()


def measure(url: str, families: int, harsh: bool = False, from_csv: bool = False,
            refresh_only: bool = False) -> None:
    env = {**os.environ, "DATABASE_URL": url, "CASEWORK_ENV": "development"}
    os.environ.update(env)  # before casework is imported here: its settings read them
    subprocess.run([str(CASEWORK), "db", "upgrade"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    if from_csv:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as connection:
            empty = not connection.execute(text("SELECT count(*) FROM families")).scalar()
        engine.dispose()
        if empty:
            _load_from_csv(env, families, harsh)
            print(f"imported {families:,} families' partner files in "
                  f"{time.perf_counter() - started:.0f} s")
    else:
        loaded = subprocess.run([str(CASEWORK), "demo", "--families", str(families),
                                 "--if-empty", *(["--harsh"] if harsh else [])],
                                env=env, check=True, capture_output=True, text=True)
        if "already" not in loaded.stdout:
            print(f"loaded {families:,} demo families in {time.perf_counter() - started:.0f} s")
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)

    from sqlalchemy import func, select

    from casework import cache_version, create_app
    from casework import models as m
    from casework.auth.service import find_user
    from casework.claims.service import money
    from casework.evaluation import store
    from casework.extensions import db
    from casework.families.service import search_families
    from casework.importer.service import import_csv
    from casework.programme import service as programme
    from casework.workers import map_in_workers

    app = create_app()
    with app.app_context():
        if from_csv and store.pending_count():
            # What the refresh job queued by the import does: every family is evaluated
            # and its search document written once, so that the refresh timed below is the
            # nightly one (nothing queued), not the first after a load.
            _timed("the refresh job the import queued (not a figure)",
                   lambda: store.refresh_pending())
        tasks = store.full_refresh_tasks()
        ids = [fid for task in tasks for fid in task[0]]
        read = _timed(f"read the evidence of {len(ids):,} families (every core)",
                      lambda: sum(map_in_workers(_read_batch, tasks)))
        refresh = _timed("refresh every family (read, evaluate, write)", lambda: store.refresh())
        print(f"refresh / read = {refresh / read:.2f}")
        csv_dir = ROOT / "bench" / "results" / f"plain-{families}{'-harsh' * harsh}"
        _export(csv_dir)
        started = time.perf_counter()
        plain_out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "plain_evaluate.py"), str(csv_dir),
             "--as-of", dt.date.today().isoformat()],
            check=True, capture_output=True, text=True).stdout.strip()
        whole = time.perf_counter() - started
        plain = float(plain_out.rsplit(" in ", 1)[1].split()[0])  # its own time, start-up aside
        print(f"plain script over the same CSVs: {plain:.2f} s ({whole:.2f} s with start-up; "
              f"{plain_out})")
        print(f"refresh / plain script = {refresh / plain:.2f}")
        stored = db.session.scalar(select(func.count()).select_from(m.StoredEvaluation).where(
            m.StoredEvaluation.eligible.is_(True), m.StoredEvaluation.ruleset == "phase1"))
        db.session.commit()
        print(f"eligible: stored {stored:,}; plain script: {plain_out.split(', ')[1]}")
        print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
        if refresh_only:
            db.session.remove()
            db.engine.dispose()
            return

        people, data = asb_change()  # one member of each of 1,000 families
        _timed(f"import {len(people):,} ASB rows", lambda: import_csv("asb", data, "bench.csv"))
        pending = store.pending_count()
        _timed(f"re-evaluate the {pending:,} families it changed",
               lambda: store.refresh_pending())

        manager = find_user("manager@demo.casework.test")
        pence = {row.key: row.pence for row in programme.unit_costs()}

        def cold(action):  # counted afresh, as after any change to the data
            cache_version.clear()
            return action()

        _repeated("dashboard figures, counted", lambda: cold(lambda: programme.figures(manager)))
        _repeated("dashboard figures, kept", lambda: programme.figures(manager))
        _repeated("cost analysis page of 50", lambda: programme.cost_rows(manager, pence, 0, 50))
        _repeated("money page, counted", lambda: cold(lambda: money(manager)))
        _repeated("money page, kept", lambda: money(manager))
        for q in ("smith", "ME15 7", "DF0001"):
            _repeated(f"search {q!r}", lambda q=q: search_families(manager, q))
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--harsh", action="store_true",
                        help="harsh data: every family in one postcode, nine surnames "
                             "(casework demo --harsh)")
    parser.add_argument("--from-csv", action="store_true",
                        help="build the database by importing the demo generator's partner "
                             "files (casework import), not with casework demo")
    parser.add_argument("--refresh-only", action="store_true",
                        help="stop after the read, the full refresh and the plain script")
    opts = parser.parse_args()
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    cluster = None
    url = opts.database or (f"sqlite:///{results}/store-{opts.families}{'-harsh' * opts.harsh}"
                            f"{'-csv' * opts.from_csv}.db")
    if opts.postgres:
        from tests.pg import Cluster

        cluster = Cluster(durable=True)  # fsync on, production memory
        url = cluster.start()
    try:
        measure(url, opts.families, opts.harsh, opts.from_csv, opts.refresh_only)
    finally:
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
