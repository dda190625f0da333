"""The database's disk fills up in the middle of an import: PostgreSQL's data folder is on a
small tmpfs (mounted here, as root), sized to leave some 40 MB once casework is installed.
Nothing of the file is saved, the job finishes or says why, and once the disk has room again
the pages answer within seconds and the import can be done, once."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from casework import create_app
from casework import models as m
from casework.extensions import db
from casework.queue import start

from ..conftest import PASSWORD
from ..factories import create_user
from ..pg import DURABLE, Cluster
from .harness import AppServer, Client, Worker, casework_env, wait_for
from .test_faults import SECONDS_TO_ANSWER, _big_families_csv, answers_within

pytestmark = pytest.mark.drill

ROWS = 60_000
ROOM = 40 * 1024 * 1024  # free space left on the database's disk before the import


def _mount(path, size: int) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=1777", "tmpfs", str(path)],
                   check=True, capture_output=True)


def _resize(path, size: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True,
                   capture_output=True)


@pytest.fixture
def small_disk(folder):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("the disk drill mounts a tmpfs, which needs root")
    folder.chmod(0o755)  # the postgres user reaches its data folder through it
    disk = folder / "disk"
    disk.mkdir()
    _mount(disk, 512 * 1024 * 1024)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _job(app, job_id: int) -> dict:
    with app.app_context():
        try:
            job = db.session.get(m.Job, job_id)
            return {"state": job.state, "error": job.error, "summary": job.summary}
        finally:
            db.session.remove()


def _count(app, sql: str) -> int:
    from sqlalchemy import text

    with app.app_context():
        try:
            return db.session.execute(text(sql)).scalar()
        finally:
            db.session.remove()


def test_the_database_disk_full_in_the_middle_of_an_import(small_disk, redis, folder):
    from flask_migrate import upgrade

    cluster = Cluster(settings=DURABLE, parent=small_disk)
    url = cluster.start()
    processes = []
    try:
        app = create_app("test", SQLALCHEMY_DATABASE_URI=url, JOBS_QUEUE_URL=redis.url)
        with app.app_context():
            upgrade()
            manager = create_user("manager")
            manager_id, email = manager.id, manager.email
            db.session.remove()
        _resize(small_disk, shutil.disk_usage(small_disk).used + ROOM)

        env = casework_env(url, redis.url)
        server, worker = AppServer("app", env, folder), Worker("worker", env, folder)
        processes += [worker, server]
        worker.start()
        server.start()
        client = Client(server.base)
        client.sign_in(email, PASSWORD)
        with app.app_context():
            job_id = start("import", "Import of families.csv (families)",
                           db.session.get(m.User, manager_id),
                           params={"kind": "families", "filename": "families.csv",
                                   "match": False},
                           input=_big_families_csv(ROWS)).id
            db.session.remove()

        # The disk fills: the job fails saying so, or PostgreSQL itself stops.
        def stuck():
            if not cluster.running():
                return "database down"
            try:
                job = _job(app, job_id)
            except Exception:
                return None
            return job["state"] in ("done", "failed") and job["state"]

        outcome = wait_for(stuck, 300, "the import to fill the disk")
        assert outcome != "done", "the disk did not fill: make ROOM smaller"
        # It was the full disk that stopped it (the server's log says so).
        assert "No space left on device" in (cluster.root / "server.log").read_text()

        # Room again; PostgreSQL started if it stopped.
        _resize(small_disk, 1024 * 1024 * 1024)
        if not cluster.running():
            cluster.start_server()
        with app.app_context():
            db.engine.dispose()
        assert answers_within(client, "/jobs/") < SECONDS_TO_ANSWER
        job = wait_for(lambda: (j := _job(app, job_id))["state"] in ("done", "failed") and j,
                       180, "the job to finish or say why")
        families = _count(app, "SELECT count(*) FROM families")
        if job["state"] == "failed":  # nothing half-written, and the reason in words
            assert families == 0, families
            assert job["error"].startswith("The database ran out of disk space"), job
            assert _count(app, "SELECT count(*) FROM import_runs") == 0
        else:  # taken up again once there was room: every row, once
            assert families == ROWS
            assert _count(app, "SELECT count(*) FROM import_runs") == 1
        with app.app_context():
            db.engine.dispose()
    finally:
        for process in processes:
            process.stop()
        cluster.stop()
