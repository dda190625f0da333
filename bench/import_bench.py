"""Benchmark: import throughput (rows/s) of the CSV kinds through `casework import`.

    .venv/bin/python bench/import_bench.py --families 20000
    .venv/bin/python bench/import_bench.py --families 20000 --postgres   # a throwaway cluster

Writes the demo generator's CSV files to bench/results/, imports them into an empty database
(a new SQLite file, or a PostgreSQL 15 cluster started as in the tests) and prints each kind's
rows, seconds and rows per second, then the total.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CASEWORK = ROOT / ".venv" / "bin" / "casework"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--postgres", action="store_true")
    opts = parser.parse_args()

    from casework.demo import demo_csv

    results = ROOT / "bench" / "results" / f"csv-{opts.families}"
    results.mkdir(parents=True, exist_ok=True)
    files = []
    for kind, data in demo_csv(opts.families, seed=1):
        path = results / f"{kind}.csv"
        path.write_bytes(data)
        files.append((kind, path, data.count(b"\n") - 1))

    cluster = None
    if opts.postgres:
        from tests.pg import Cluster

        cluster = Cluster(durable=True)  # fsync on, production memory
        url = cluster.start()
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='casework-bench-')}/import.db"
    env = {**os.environ, "DATABASE_URL": url}
    try:
        subprocess.run([str(CASEWORK), "db", "upgrade"], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        subprocess.run([str(CASEWORK), "--help"], env=env, check=True, capture_output=True)
        print(f"start-up of one casework command: {time.perf_counter() - started:.1f} s "
              "(included in each figure below)")
        total_rows, total_seconds = 0, 0.0
        for kind, path, rows in files:
            started = time.perf_counter()
            subprocess.run([str(CASEWORK), "import", kind, str(path)], env=env, check=True,
                           capture_output=True)
            seconds = time.perf_counter() - started
            total_rows += rows
            total_seconds += seconds
            print(f"{kind:<13} {rows:>9,} rows in {seconds:6.1f} s = {rows / seconds:>9,.0f} rows/s")
        print(f"{'all':<13} {total_rows:>9,} rows in {total_seconds:6.1f} s = "
              f"{total_rows / total_seconds:>9,.0f} rows/s ({url.split(':')[0]})")
    finally:
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
