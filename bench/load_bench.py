"""Benchmark: the family page, the families list and the team lead's view under load.

    .venv/bin/python bench/load_bench.py --families 120000
    .venv/bin/python bench/load_bench.py --families 120000 --database-url postgresql+psycopg://...

Starts a throwaway PostgreSQL 15 cluster (as the tests do) unless a database is given, loads
the demo families into it, gives the demo team lead's team ten FIP workers with eight
families each, then serves the app with gunicorn (production settings, several workers) and
drives it from a second process on loopback: for each page, USERS virtual users, each
signed in once, request it over and over for SECONDS after a warm-up, either with a think
time of 0.5 to 1.5 s between requests (people reading pages) or none at all (saturation).
Prints p50/p95/p99 latency and requests a second, and a Markdown table for bench/README.md.

`--writes` runs a council's day of writing beside the readers, for the whole timed run (see
WRITE_EVERY): FIP workers logging contacts, team leads allocating waiting families, a
partner's small import every minute, and the job worker storing the summaries' figures again
every minute (casework.jobs.service.keep_figures_stored), each a transaction of its own through
the same services the pages call (and the families a change marks evaluated again as its
request would). A write that fails counts as an error of the run.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
PASSWORD = "demo-casework-2026"
DEMO_LEAD = "teamlead@demo.casework.test"
# A demo account (its password is published) never signs in under production settings: the
# benchmark signs in as users of its own, a manager and a lead of the demo lead's team.
MANAGER = "bench-manager@bench.casework.test"
LEAD = "bench-lead@bench.casework.test"
PAGES = {  # scenario -> (who signs in, what the page is)
    "family": (MANAGER, "the family page of a random family"),
    "list": (MANAGER, "the families list at a random page"),
    "team": (LEAD, "the team lead's view of their team"),
    "results": (MANAGER, "results (a random page of 50)"),
    "screening": (MANAGER, "screening"),
    "programme": (MANAGER, "the programme dashboard"),
    "costs": (MANAGER, "cost analysis (a random page of 50)"),
    "money": (MANAGER, "programme money"),
    "search": (MANAGER, "families list searched for a random name, postcode or reference"),
    "selection": (MANAGER, "selection and sign-up (a random page of those waiting)"),
}
SUMMARY_URLS = {"screening": "/screening", "programme": "/programme", "money": "/claims/money"}
# The writers' pace (seconds between writes), a busy council's day and more: at 120,000
# families some 400 FIP workers each log 10-15 contacts a working day (about 0.2 a second over
# 8 hours) and their team leads allocate a few hundred families (about 0.01 a second); the run
# writes at twice and ten times those rates, and a partner's file of 50 anti-social behaviour
# incidents every minute (a council receives a few such files a day).
WRITE_EVERY = {"contact": 2.0, "allocation": 10.0, "import": 60.0}
IMPORT_ROWS = 50
STORE_EVERY = 60.0  # the job worker's keep_figures_stored
SEARCHES = ["smith", "jones", "taylor", "ME15 7", "ME16 8A", "DF0012", "DF01", "kyle",
            "amy brown", "DP00001"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# The driver: runs in its own process ---------------------------------------------------------


def _session_cookie(response) -> str:
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise SystemExit("the server set no session cookie")


def _sign_in(base: str, email: str) -> str:
    """Sign in through the real form; return the session cookie to send by hand (production
    cookies are Secure, which a client on plain-HTTP loopback would otherwise withhold)."""
    import http.client
    import urllib.parse

    http_ = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc)
    http_.request("GET", "/login")
    page = http_.getresponse()
    text, cookie = page.read().decode(), _session_cookie(page)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1)
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
    http_.request("POST", "/login", body=form, headers={
        "Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded"})
    done = http_.getresponse()
    done.read()
    if done.status != 302:
        raise SystemExit(f"could not sign in as {email}: {done.status}")
    return _session_cookie(done)


def drive(base: str, scenario: str, users: int, seconds: float, think: bool,
          refs: list[str], pages: int) -> dict:
    import http.client
    import urllib.parse

    cookie = _sign_in(base, PAGES[scenario][0])
    host = urllib.parse.urlsplit(base).netloc
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    warm_until = time.monotonic() + 3
    stop_at = warm_until + seconds

    def url() -> str:
        if scenario == "family":
            return f"/families/{random.choice(refs)}"
        if scenario == "list":
            return f"/families?page={random.randint(1, pages)}"
        if scenario == "results":
            return f"/results?page={random.randint(1, pages // 2)}"
        if scenario == "costs":
            return f"/programme/costs?page={random.randint(1, 200)}"
        if scenario == "selection":
            return f"/selection?page={random.randint(1, 200)}"
        if scenario == "search":
            return "/families?" + urllib.parse.urlencode({"q": random.choice(SEARCHES)})
        if scenario in SUMMARY_URLS:
            return SUMMARY_URLS[scenario]
        return "/team"

    def user() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection(host, timeout=60)
        while (now := time.monotonic()) < stop_at:
            started = time.perf_counter()
            connection.request("GET", url(), headers={"Cookie": f"session={cookie}"})
            response = connection.getresponse()
            response.read()
            took = time.perf_counter() - started
            if now >= warm_until:
                with lock:
                    latencies.append(took)
                    errors += response.status != 200
            if think:
                time.sleep(random.uniform(0.5, 1.5))
        connection.close()

    threads = [threading.Thread(target=user) for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "scenario": scenario, "users": users, "think": think, "requests": len(latencies),
        "errors": errors, "per_second": len(latencies) / seconds,
        "p50": _percentile(latencies, 0.50) * 1000, "p95": _percentile(latencies, 0.95) * 1000,
        "p99": _percentile(latencies, 0.99) * 1000, "max": max(latencies) * 1000,
        "mean": statistics.fmean(latencies) * 1000,
    }


# The writers: run in their own process during the timed run ---------------------------------


def write(seconds_stop: str, refs: list[str], out: str) -> dict:
    """Write at WRITE_EVERY's pace until the file `seconds_stop` exists; the job worker's
    minute in a thread of its own. Returns each kind's count, failures and latencies."""
    import datetime as dt
    import traceback

    from sqlalchemy import select

    from casework import clock, create_app
    from casework import models as m
    from casework.auth.service import find_user
    from casework.casefile.service import save_contact
    from casework.caseloads.service import allocate
    from casework.evaluation import store
    from casework.extensions import db
    from casework.importer.service import import_csv
    from casework.jobs.service import keep_figures_stored

    app = create_app()
    stop = Path(seconds_stop)
    done: dict[str, list[float]] = {k: [] for k in (*WRITE_EVERY, "store")}
    failed: dict[str, list[str]] = {k: [] for k in done}
    lock = threading.Lock()

    def timed(kind: str, work) -> None:
        started = time.perf_counter()
        try:
            work()
            db.session.commit()
        except Exception:  # noqa: BLE001 - counted, and the first few kept to show
            db.session.rollback()
            with lock:
                failed[kind].append(traceback.format_exc(limit=3)[-600:])
            return
        with lock:
            done[kind].append(time.perf_counter() - started)

    def writers() -> None:
        with app.app_context():
            lead = find_user(LEAD)
            workers = list(db.session.scalars(select(m.User).where(
                m.User.role == "worker", m.User.team_id == lead.team_id, m.User.active)))
            held = [(a.family_id, a.worker_id) for a in db.session.scalars(
                select(m.Allocation).where(m.Allocation.end_on.is_(None),
                                           m.Allocation.worker_id.in_([w.id for w in workers])))]
            waiting = list(db.session.scalars(
                select(m.Family.id).join(m.Episode, m.Episode.family_id == m.Family.id)
                .where(m.Episode.closed_on.is_(None),
                       m.Family.id.not_in(select(m.Allocation.family_id)))
                .order_by(m.Family.id.desc()).limit(2000)))
            by_id = {w.id: w for w in workers}
            db.session.commit()
            due = {kind: time.monotonic() + every for kind, every in WRITE_EVERY.items()}
            n = 0
            while not stop.exists():
                kind = min(due, key=due.get)
                time.sleep(max(0.0, due[kind] - time.monotonic()))
                due[kind] += WRITE_EVERY[kind]
                n += 1
                if kind == "contact":
                    family_id, worker_id = random.choice(held)

                    def contact(family_id=family_id, worker_id=worker_id):
                        save_contact(db.session.get(m.Family, family_id), by_id[worker_id], {
                            "contact_at": dt.datetime.combine(clock.today(), dt.time(10)),
                            "kind": "home_visit", "duration_minutes": 45,
                            "notes": "Bench contact under load"}, finish=True)
                        db.session.commit()
                        store.keep_current()  # as the page's request does after a change

                    timed(kind, contact)
                elif kind == "allocation" and waiting:
                    family_id = waiting.pop()
                    worker = random.choice(workers)

                    def allocation(family_id=family_id, worker=worker):
                        allocate(db.session.get(m.Family, family_id), worker, clock.today(),
                                 lead, override_reason="Benchmark: a busy morning")
                        db.session.commit()
                        held.append((family_id, worker.id))
                        store.keep_current()

                    timed(kind, allocation)
                elif kind == "import":
                    stamp = f"{int(time.time())}-{n}"
                    rows = "".join(
                        f"BENCH-{stamp}-{i},{ref},{clock.today().isoformat()},incident\n"
                        for i, ref in enumerate(random.sample(refs, IMPORT_ROWS)))

                    def partner_import(rows=rows, stamp=stamp):
                        import_csv("asb", ("asb_ref,family_ref,date,kind\n" + rows).encode(),
                                   f"bench-asb-{stamp}.csv")
                        db.session.commit()
                        store.keep_current()

                    timed(kind, partner_import)

    def job_worker() -> None:
        with app.app_context():
            due = time.monotonic() + STORE_EVERY
            while not stop.exists():
                time.sleep(1)
                if time.monotonic() >= due:
                    due += STORE_EVERY
                    timed("store", keep_figures_stored)

    threads = [threading.Thread(target=writers), threading.Thread(target=job_worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = {kind: {"done": len(times), "failed": len(failed[kind]),
                     "p50": _percentile(times, 0.5) * 1000 if times else None,
                     "p95": _percentile(times, 0.95) * 1000 if times else None,
                     "max": max(times) * 1000 if times else None,
                     "first_failures": failed[kind][:3]}
              for kind, times in done.items()}
    Path(out).write_text(json.dumps(result))
    return result


# The set-up and the server -------------------------------------------------------------------


def _prepare(env: dict, families: int, harsh: bool = False) -> tuple[list[str], int]:
    """Load the demo, give the lead's team ten workers with eight families each; return a
    sample of family refs and the number of pages of the families list."""
    started = time.perf_counter()
    subprocess.run([str(BIN / "casework"), "db", "upgrade"], env=env, check=True,
                   capture_output=True)
    # The demo refuses to load under production settings: it loads (or finds loaded) under
    # development's; the server below runs with production's.
    subprocess.run([str(BIN / "casework"), "demo", "--families", str(families), "--if-empty",
                    *(["--harsh"] if harsh else [])], env={**env, "CASEWORK_ENV": "development"},
                   check=True, capture_output=True)
    print(f"loaded {families:,} demo families in {time.perf_counter() - started:.0f} s")
    os.environ.update(env)
    import datetime as dt

    from sqlalchemy import func, select

    from casework import create_app
    from casework import models as m
    from casework.auth.service import create_user, find_user
    from casework.caseloads.service import allocate
    from casework.extensions import db
    from casework.families.service import search_families

    app = create_app()
    with app.app_context():
        lead = find_user(DEMO_LEAD)
        if find_user(MANAGER) is None:
            create_user(MANAGER, "Bench Manager", "manager", PASSWORD)
        if find_user(LEAD) is None:
            create_user(LEAD, "Bench Lead", "team_lead", PASSWORD, team=lead.team.name)
        workers = list(db.session.scalars(select(m.User).where(
            m.User.role == "worker", m.User.team_id == lead.team_id)))
        for n in range(len(workers), 10):
            workers.append(create_user(f"bench-worker{n}@demo.casework.test",
                                       f"Bench Worker {n}", "worker", PASSWORD,
                                       team=lead.team.name))
        db.session.commit()
        taken = select(m.Allocation.family_id)
        for worker in workers:
            have = db.session.scalar(select(func.count(m.Allocation.id)).where(
                m.Allocation.worker_id == worker.id, m.Allocation.end_on.is_(None)))
            for family in db.session.scalars(
                select(m.Family).where(m.Family.attached_on.is_not(None),
                                       m.Family.id.not_in(taken))
                .order_by(m.Family.attached_on.desc()).limit(max(0, 8 - have))
            ):
                allocate(family, worker, family.attached_on, lead)
                db.session.add(m.Contact(
                    family_id=family.id, author_id=worker.id, kind="home_visit",
                    contact_at=dt.datetime.combine(family.attached_on, dt.time(10)),
                    duration_minutes=60, notes="Bench contact", status="final"))
                db.session.commit()  # allocate() locks its rows before it writes: commit each
        # The summaries' stored figures and the summaries counted from them, as the job
        # worker keeps them (within a minute of a change): stored now if the set-up (or
        # anything since they were stored) moved the data.
        from casework.jobs.service import keep_figures_stored

        stored_at = time.perf_counter()
        scopes = keep_figures_stored()
        print(f"stored the summaries' figures and counted {scopes} scopes' summaries in "
              f"{time.perf_counter() - stored_at:.1f} s")
        total = db.session.scalar(select(func.count(m.Family.id)))
        refs = list(db.session.scalars(select(m.Family.family_ref).order_by(func.random())
                                       .limit(5000)))
        db.session.remove()
        db.engine.dispose()
    per_page = inspect.signature(search_families).parameters["per_page"].default
    return refs, -(-total // per_page)


def _server_cpu(server: subprocess.Popen) -> float:
    """CPU seconds (user and system) used so far by gunicorn's master and its workers, from
    /proc (Linux): divided by the requests of a run, the server's CPU a request. A sync
    worker serves one request at a time, so when USERS users ask for more CPU a second than
    the cores have, requests queue for the workers and p95 grows with the queue."""
    tick = os.sysconf("SC_CLK_TCK")

    def pids(pid: int) -> list[int]:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return [pid]
        return [pid] + [p for c in children for p in pids(int(c))]

    total = 0
    for pid in pids(server.pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a worker that ended meanwhile
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _serve(env: dict, workers: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "casework:create_app()"],
        env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server, base
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=120000)
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--pages", default=",".join(PAGES),
                        help=f"which pages, comma-separated (default: {','.join(PAGES)})")
    parser.add_argument("--think-only", action="store_true",
                        help="only the runs with a think time (not saturation)")
    parser.add_argument("--harsh", action="store_true",
                        help="harsh data: every family in one postcode, nine surnames "
                             "(casework demo --harsh)")
    parser.add_argument("--writes", action="store_true",
                        help="write during the run at a council's pace (WRITE_EVERY): contacts, "
                             "allocations, a partner import a minute, the figures stored a minute")
    parser.add_argument("--drive", help=argparse.SUPPRESS)  # internal: JSON task for the driver
    parser.add_argument("--write", help=argparse.SUPPRESS)  # internal: JSON task for the writers
    opts = parser.parse_args()
    if opts.drive:
        task = json.loads(Path(opts.drive).read_text())
        print(json.dumps(drive(**task)))
        return
    if opts.write:
        write(**json.loads(Path(opts.write).read_text()))
        return

    scenarios = opts.pages.split(",")
    if not set(scenarios) <= set(PAGES):
        raise SystemExit(f"--pages: choose from {', '.join(PAGES)}")
    cluster = None
    url = opts.database_url
    if url is None:
        from tests.pg import Cluster

        cluster = Cluster(durable=True)  # fsync on, production memory
        url = cluster.start()
    env = {**os.environ, "DATABASE_URL": url, "CASEWORK_ENV": "production",
           "CASEWORK_SECRET_KEY": secrets.token_hex(32)}
    server = writer = None
    try:
        refs, pages = _prepare(env, opts.families, opts.harsh)
        server, base = _serve(env, opts.workers)
        if opts.writes:
            results_dir = ROOT / "bench" / "results"
            results_dir.mkdir(parents=True, exist_ok=True)
            stop_file, write_out = results_dir / "write-stop", results_dir / "write-out.json"
            stop_file.unlink(missing_ok=True)
            write_out.unlink(missing_ok=True)
            (results_dir / "write-task.json").write_text(json.dumps(
                {"seconds_stop": str(stop_file), "refs": refs, "out": str(write_out)}))
            writer = subprocess.Popen([sys.executable, __file__, "--write",
                                       str(results_dir / "write-task.json")], env=env)
            time.sleep(5)  # its first writes before the first page is timed
        rows = []
        for scenario in scenarios:
            for think in ((True,) if opts.think_only else (True, False)):
                task = ROOT / "bench" / "results" / "load-task.json"
                task.parent.mkdir(parents=True, exist_ok=True)
                task.write_text(json.dumps({
                    "base": base, "scenario": scenario, "users": opts.users,
                    "seconds": opts.seconds, "think": think, "refs": refs, "pages": pages}))
                cpu, driver = _server_cpu(server), os.times()
                out = subprocess.run([sys.executable, __file__, "--drive", str(task)],
                                     capture_output=True, text=True)
                if out.returncode:
                    raise SystemExit(f"the load driver failed:\n{out.stderr}")
                result = json.loads(out.stdout)
                # the warm-up's requests are not counted: this is an upper bound, close to
                # the CPU a request when the run is long beside its 3 s warm-up
                result["cpu_ms"] = ((_server_cpu(server) - cpu) * 1000
                                    / max(1, result["requests"]))
                done = os.times()  # the driver's own CPU (it shares the cores)
                result["driver_ms"] = ((done.children_user + done.children_system
                                        - driver.children_user - driver.children_system)
                                       * 1000 / max(1, result["requests"]))
                rows.append(result)
                print(f"{scenario:<7} {'think 0.5-1.5 s' if think else 'no think time':<16}"
                      f" {result['requests']:>6} requests {result['per_second']:6.1f}/s"
                      f"  p50 {result['p50']:6.1f} ms  p95 {result['p95']:6.1f} ms"
                      f"  p99 {result['p99']:6.1f} ms  max {result['max']:6.1f} ms"
                      f"  errors {result['errors']}"
                      f"  server CPU {result['cpu_ms']:5.1f} ms a request"
                      f" (driver {result['driver_ms']:.1f} ms)", flush=True)
        writes_failed = 0
        if opts.writes:
            stop_file.touch()
            writer.wait(timeout=600)
            written = json.loads(write_out.read_text())
            print("\nwrites during the run (each its own transaction):")
            for kind, w in written.items():
                writes_failed += w["failed"]
                timing = (f"p50 {w['p50']:.0f} ms, p95 {w['p95']:.0f} ms, max {w['max']:.0f} ms"
                          if w["done"] else "")
                print(f"| {kind} | {w['done']} done | {w['failed']} failed | {timing} |")
                for failure in w["first_failures"]:
                    print(f"  {kind} failed: {failure}")
        # The load targets (bench/README.md): p95 under 300 ms and within 10x the family page's p95 in the
        # same run (same think time), no error.
        family = {r["think"]: r["p95"] for r in rows if r["scenario"] == "family"}
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (2 cores)")
        print("| page | users | think time | requests/s | p50 | p95 | p99 | max | errors "
              "| server CPU a request | p95 / family page's | target |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in rows:
            ratio = r["p95"] / family[r["think"]] if r["think"] in family else None
            met = (r["p95"] < 300 and r["errors"] == 0 and (ratio is None or ratio <= 10)
                   and r["max"] <= 2000 and not writes_failed)
            print(f"| {PAGES[r['scenario']][1]} | {r['users']} | "
                  f"{'0.5-1.5 s' if r['think'] else 'none'} | {r['per_second']:.1f} | "
                  f"{r['p50']:.0f} ms | {r['p95']:.0f} ms | {r['p99']:.0f} ms | "
                  f"{r['max']:.0f} ms | {r['errors']} | "
                  f"{r['cpu_ms']:.0f} ms | "
                  f"{'' if ratio is None else f'{ratio:.1f}x'} | {'met' if met else '**not met**'} |")
    finally:
        if opts.writes and writer is not None and writer.poll() is None:
            stop_file.touch()
            writer.wait(timeout=600)
        if server:
            server.terminate()
            server.wait()
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
