"""Benchmark: render a batch of about 1,000 claims to PDF.

    .venv/bin/python bench/claims_pdf_bench.py [--families 20000] [--claims 1000]
    .venv/bin/python bench/claims_pdf_bench.py --families 120000 --database-url postgresql+psycopg://...

The demo generator's partner files are imported as they are (`casework import`, not `casework
demo`, which leaves attached only the families its few demo workers have room for), so a
20,000-family register has well over 1,000 claimable families.

Builds the database once (bench/results/), builds draft claims as of --as-of (today),
validates and batches the first N through the services, then times the layout of the batch's
PDF (`casework.claims.documents.layout`, what the job run at submission does once; a
download serves the stored bytes), wall clock and the CPU time of this process and the
worker processes it lays chunks out in.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASEWORK = ROOT / ".venv" / "bin" / "casework"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--database-url", help="a database to use (default: a SQLite file)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today())
    opts = parser.parse_args()
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    url = opts.database_url or f"sqlite:///{results / f'claims-csv-{opts.families}.db'}"
    env = {**os.environ, "DATABASE_URL": url}
    os.environ["DATABASE_URL"] = url
    subprocess.run([str(CASEWORK), "db", "upgrade"], env=env, check=True, capture_output=True)
    files = results / f"claims-csv-{opts.families}"
    if not files.exists():
        from casework.demo import demo_csv

        files.mkdir()
        for kind, data in demo_csv(opts.families, seed=1):
            (files / f"{kind}.csv").write_bytes(data)
            subprocess.run([str(CASEWORK), "import", kind, str(files / f"{kind}.csv")],
                           env=env, check=True, capture_output=True)

    from sqlalchemy import select

    from casework import create_app
    from casework import models as m
    from casework.auth.service import create_user, find_user
    from casework.claims import service
    from casework.extensions import db

    app = create_app()
    with app.app_context():
        batch = db.session.scalar(select(m.ClaimBatch).order_by(m.ClaimBatch.id.desc()))
        if batch is None or len(batch.claims) < opts.claims:
            from casework.evaluation import store

            store.refresh(as_of=opts.as_of)
            service.build_claims(opts.as_of)
            auditor = find_user("bench-auditor@bench.test") or create_user(
                "bench-auditor@bench.test", "Bench Auditor", "auditor", "bench-auditor-password")
            db.session.commit()
            drafts = db.session.scalars(select(m.Claim.id).where(m.Claim.state == "draft")
                                        .order_by(m.Claim.id).limit(opts.claims)).all()
            for claim_id in drafts:
                service.validate(claim_id, auditor)
            batch = service.submit_batch("Benchmark window", opts.as_of)
        count = len(batch.claims)
        from casework.claims.documents import layout

        cpu = _cpu()
        started = time.perf_counter()
        body = layout(batch)
        elapsed = time.perf_counter() - started
        cpu = _cpu() - cpu
    out = results / "batch.pdf"
    out.write_bytes(body)
    pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    pages = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages")), "?")
    print(f"claim batch PDF: {count} claims, {pages} pages in {elapsed:.1f} s "
          f"({cpu:.1f} s of CPU, load average {os.getloadavg()[0]:.1f})")


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the layout workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

if __name__ == "__main__":
    sys.exit(main())
