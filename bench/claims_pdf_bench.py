"""Benchmark: render a batch of about 1,000 claims to PDF.

    .venv/bin/python bench/claims_pdf_bench.py [--families 20000] [--claims 1000]

Builds the demo database once (bench/results/), builds draft claims at today's date,
validates and batches the first N through the services, then times `casework claims pdf`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
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
    opts = parser.parse_args()
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    db_file = results / f"claims-{opts.families}.db"
    url = f"sqlite:///{db_file}"
    env = {**os.environ, "DATABASE_URL": url}
    os.environ["DATABASE_URL"] = url
    subprocess.run([str(CASEWORK), "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([str(CASEWORK), "demo", "--families", str(opts.families), "--if-empty"],
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
            service.build_claims(dt.date.today())
            auditor = find_user("bench-auditor@bench.test") or create_user(
                "bench-auditor@bench.test", "Bench Auditor", "auditor", "bench-auditor-password")
            db.session.commit()
            drafts = db.session.scalars(select(m.Claim.id).where(m.Claim.state == "draft")
                                        .order_by(m.Claim.id).limit(opts.claims)).all()
            for claim_id in drafts:
                service.validate(claim_id, auditor)
            batch = service.submit_batch("Benchmark window", dt.date.today())
        batch_id, count = batch.id, len(batch.claims)
    out = results / "batch.pdf"
    started = time.perf_counter()
    subprocess.run([str(CASEWORK), "claims", "pdf", str(batch_id), "-o", str(out)], env=env, check=True,
                   capture_output=True)
    elapsed = time.perf_counter() - started
    pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    pages = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages")), "?")
    print(f"claims pdf: {count} claims, {pages} pages in {elapsed:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
