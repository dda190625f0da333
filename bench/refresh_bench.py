"""Benchmark: the full refresh beside its floors, one whole process per step, for farm-bench.

    DATABASE_URL=... .venv/bin/python bench/refresh_bench.py read
    DATABASE_URL=... .venv/bin/python bench/refresh_bench.py refresh
    DATABASE_URL=... .venv/bin/python bench/refresh_bench.py export DIRECTORY
    .venv/bin/python bench/plain_evaluate.py DIRECTORY --as-of YYYY-MM-DD
    DATABASE_URL=... .venv/bin/python bench/refresh_bench.py changes

- read: every row the full refresh reads, batch by batch on every core, by the refresh's
  own reading (`store.read_batch`, the later programmes' evidence of their families
  included), without evaluating (the yardstick);
- refresh: `store.refresh()` of every family (read, evaluate, write, commit, then the
  stored figures counted whole), as `casework evaluate --store` runs it each night;
- export: the families' evidence as the six partner CSV files and what else the refresh
  reads, for bench/plain_evaluate.py (the plain script: one process, the csv module and the
  same pure rules, computing what the refresh stores for every programme);
- changes: after a full refresh, what a change costs: 1,000 ASB rows imported for the
  first 1,000 families and their refresh (`refresh_pending`, the stored figures' parts
  moved in its transaction), and one family's refresh as a web request runs it; each
  says whether the stored figures hold for the data afterwards.

Run them as whole processes under farm-bench, each beside its floor (bench/README.md):

    farm-bench -n 3 --vs '.venv/bin/python bench/refresh_bench.py read' -- \\
        .venv/bin/python bench/refresh_bench.py refresh
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    what = sys.argv[1]
    from casework import create_app
    from casework.evaluation import figures, store
    from casework.workers import map_in_workers

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        if what == "read":
            from store_bench import _read_batch

            tasks = store.full_refresh_tasks()
            done = sum(map_in_workers(_read_batch, tasks))
            print(f"read {done:,} families in {time.perf_counter() - started:.2f} s")
        elif what == "refresh":
            summary = store.refresh()
            print(f"{summary.line()}; with the figures {time.perf_counter() - started:.2f} s; "
                  f"figures current: {figures.stored_current()}")
        elif what == "export":
            from store_bench import _export

            _export(Path(sys.argv[2]))
            print(f"exported in {time.perf_counter() - started:.2f} s")
        elif what == "changes":
            _changes()
        else:
            raise SystemExit(f"unknown step {what!r}")


def _changes() -> None:
    from store_bench import asb_change  # the change store_bench times too

    from casework import models as m
    from casework.evaluation import figures, store
    from casework.extensions import db
    from casework.importer.service import import_csv

    if not figures.stored_current():
        took = time.perf_counter()
        store.store_figures()
        print(f"(the figures counted whole first: {time.perf_counter() - took:.2f} s)")
    people, data = asb_change()  # one member of each of 1,000 families
    took = time.perf_counter()
    import_csv("asb", data, "bench.csv")
    imported = time.perf_counter() - took
    pending = store.pending_count()
    took = time.perf_counter()
    store.refresh_pending()
    refreshed = time.perf_counter() - took
    print(f"import of {len(people):,} ASB rows {imported:.2f} s; the refresh of the "
          f"{pending:,} families it changed {refreshed:.2f} s; figures current: "
          f"{figures.stored_current()}")
    for family_id in (60_000, 1):
        family = db.session.get(m.Family, family_id)
        family.ward = family.ward  # no change: a mark as a page's edit makes
        store.mark_stale([family_id])
        db.session.commit()
        took = time.perf_counter()
        store.keep_current()  # what a page's request runs once its change has committed
        print(f"one family's refresh in a request (family {family_id}) "
              f"{time.perf_counter() - took:.3f} s; figures current: "
              f"{figures.stored_current()} (a request leaves its part to the job worker)")


if __name__ == "__main__":
    main()
