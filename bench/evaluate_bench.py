"""Benchmark: evaluate N demo families with `casework evaluate`; print families/s and peak memory.

    .venv/bin/python bench/evaluate_bench.py --families 20000
    .venv/bin/python bench/evaluate_bench.py --families 120000 --postgres   # a throwaway cluster
    .venv/bin/python bench/evaluate_bench.py --families 120000 --database postgresql+psycopg://...

The database is built once per size (a SQLite file under bench/results/ by default) with
`casework demo`, then `casework evaluate --as-of DATE --format json` runs in a child process
whose peak resident memory is read from the kernel.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASEWORK = ROOT / ".venv" / "bin" / "casework"


def run(args, env, **kw):
    return subprocess.run([str(CASEWORK), *args], env=env, check=True, **kw)


def tree_rss(pid: int) -> int:
    """Resident memory (KiB) of a process and all its descendants, summed."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                total += sum(tree_rss(int(child)) for child in children.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--harsh", action="store_true",
                        help="harsh data: every family in one postcode, nine surnames "
                             "(casework demo --harsh)")
    opts = parser.parse_args()

    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    cluster = None
    if opts.postgres:
        sys.path.insert(0, str(ROOT))
        from tests.pg import Cluster

        cluster = Cluster(durable=True)  # fsync on, production memory
        opts.database = cluster.start()
    try:
        measure(opts, results)
    finally:
        if cluster:
            cluster.stop()


def measure(opts, results: Path) -> None:
    url = opts.database or f"sqlite:///{results}/demo-{opts.families}{'-harsh' * opts.harsh}.db"
    env = {**os.environ, "DATABASE_URL": url, "CASEWORK_ENV": "development"}
    run(["db", "upgrade"], env, capture_output=True)
    started = time.perf_counter()
    loaded = run(["demo", "--families", str(opts.families), "--if-empty",
                  *(["--harsh"] if opts.harsh else [])], env,
                 capture_output=True, text=True)
    if "already loaded" not in loaded.stdout:
        print(f"loaded {opts.families} families in {time.perf_counter() - started:.1f} s")
    as_of = opts.as_of or time.strftime("%Y-%m-%d")
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        process = subprocess.Popen([str(CASEWORK), "evaluate", "--as-of", as_of, "--format", "json"],
                                   env=env, stdout=sink)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.1)
    elapsed = time.perf_counter() - started
    if process.returncode:
        sys.exit(f"evaluate failed with status {process.returncode}")
    peak_mib = peak / 1024
    print(f"evaluate: {opts.families} families in {elapsed:.1f} s = "
          f"{opts.families / elapsed:,.0f} families/s; peak memory {peak_mib:,.0f} MiB (all processes) "
          f"({url.split(':')[0]})")


if __name__ == "__main__":
    sys.exit(main())
