"""Benchmark: every GET route, as a programme manager, slowest first.

    .venv/bin/python bench/routes_bench.py --families 5000
    .venv/bin/python bench/routes_bench.py --families 5000 --database-url postgresql+psycopg://...

Builds the demo database once per size (a SQLite file under bench/results/), builds the
draft claims and submits a batch through the services (so claim, batch and job pages have
something to show), then signs in as the demo programme manager and requests every GET
route in the app's URL map through the app itself (no network: the time is the server's),
each twice, filling a route's parameters from the first family, person, claim, batch and
job. Prints each route's slower time, slowest first, and says which are over the 2 s that
no request may take.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
MANAGER = "manager@demo.casework.test"
PASSWORD = "demo-casework-2026"
LIMIT_SECONDS = 2.0  # bench/README.md: no GET over 2 s, CSV exports included
FORMATS = ("csv", "json", "xlsx", "pdf")


def build(url: str, families: int) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([BIN / "casework", "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([BIN / "casework", "demo", "--families", str(families), "--if-empty"], env=env,
                   check=True)


def prepare(app) -> dict:
    """Claims and a batch to look at; the values to fill routes' parameters with."""
    from sqlalchemy import func, select

    from casework import models as m
    from casework.claims import service as claims
    from casework.extensions import db

    manager = db.session.scalar(select(m.User).where(m.User.email == MANAGER))
    if not db.session.scalar(select(func.count()).select_from(m.Claim)):
        claims.build_claims(dt.date.today(), manager)
        auditor = db.session.scalar(select(m.User).where(m.User.role == "auditor"))
        for claim in db.session.scalars(select(m.Claim).limit(20)).all():
            claims.validate(claim.id, auditor)
        claims.submit_batch("Benchmark", dt.date.today(), manager)

    def first(column):
        return db.session.scalar(select(column).order_by(column).limit(1))

    values = {
        "family_ref": first(m.Family.family_ref), "person_ref": first(m.Person.person_ref),
        "claim_id": first(m.Claim.id), "batch_id": first(m.ClaimBatch.id),
        "job_id": first(m.Job.id), "contact_id": first(m.Contact.id),
        "goal_id": first(m.PlanGoal.id), "referral_id": first(m.Referral.id),
        "user_id": manager.id,
    }
    db.session.commit()
    return {k: v for k, v in values.items() if v is not None}


def sign_in(client) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": MANAGER, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, "could not sign in as the demo manager"


def urls(app, values: dict) -> tuple[list[str], list[str]]:
    from flask import url_for

    chosen, skipped = [], []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or rule.endpoint in ("static", "system.assets"):
                continue
            missing = [a for a in rule.arguments if a not in values and a != "fmt"]
            if missing:
                skipped.append(f"{rule.rule} (no value for {', '.join(missing)})")
                continue
            given = {a: values[a] for a in rule.arguments if a != "fmt"}
            if "fmt" in rule.arguments:
                chosen.extend(url_for(rule.endpoint, **given, fmt=f) for f in FORMATS)
            else:
                chosen.append(url_for(rule.endpoint, **given))
    return chosen, skipped


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=5000)
    parser.add_argument("--database-url")
    parser.add_argument("--top", type=int, default=15, help="routes to list, slowest first")
    opts = parser.parse_args()
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    url = opts.database_url or f"sqlite:///{results}/routes-{opts.families}.db"
    build(url, opts.families)
    os.environ["DATABASE_URL"] = url
    os.environ["CASEWORK_JOBS_QUEUE_URL"] = f"sqlite:///{results}/routes-queue.db"
    from casework import create_app

    app = create_app("development", RATELIMIT_ENABLED=False)
    with app.app_context():
        values = prepare(app)
    chosen, skipped = urls(app, values)
    client = app.test_client()
    sign_in(client)
    timings = []
    for path in chosen:
        slowest, status = 0.0, None
        for _ in range(2):
            start = time.perf_counter()
            response = client.get(path)
            slowest = max(slowest, time.perf_counter() - start)
            status = response.status_code
        if status != 404:  # a format the route does not serve
            timings.append((slowest, status, path))
    timings.sort(reverse=True)
    over = [t for t in timings if t[0] > LIMIT_SECONDS]
    print(f"{len(timings)} GET routes as {MANAGER} at {opts.families:,} families "
          f"({'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}), slowest of two requests:")
    print("| route | status | seconds |\n| --- | --- | --- |")
    for seconds, status, path in timings[: opts.top]:
        print(f"| `{path}` | {status} | {seconds:.2f} |")
    print(f"over {LIMIT_SECONDS:.0f} s: {len(over)}" + (": " + ", ".join(p for _, _, p in over)
                                                         if over else ""))
    for line in skipped:
        print(f"skipped {line}")


if __name__ == "__main__":
    main()
