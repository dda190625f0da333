"""The job queue's broker: Huey, with its SQLite storage in instance/ by default and Redis when
JOBS_QUEUE_URL names a Redis server (several app and worker machines).

The queue carries only job ids; the jobs table is the record of what was asked for and how it
went. A message lost with a killed worker is made up by the recovery below, and a message
delivered twice does nothing the second time (see service.run).
"""

from __future__ import annotations

import logging
import os

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

QUEUE_NAME = "casework"
log = logging.getLogger(__name__)


def make_huey(app: Flask) -> Huey:
    url = app.config.get("JOBS_QUEUE_URL") or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        huey = RedisHuey(QUEUE_NAME, url=url, results=False)
    elif url == "memory://":  # tests: the test runs the queued jobs itself
        huey = MemoryHuey(QUEUE_NAME, results=False)
    elif url and not url.startswith("sqlite:///"):
        from ..config import ConfigurationError

        raise ConfigurationError(
            f"JOBS_QUEUE_URL={url!r} is not a redis:// address or a sqlite:///FILE")
    else:
        filename = url.removeprefix("sqlite:///") or os.path.join(app.instance_path,
                                                                  "jobs-queue.db")
        huey = SqliteHuey(QUEUE_NAME, filename=filename, results=False)

    @huey.task(name="run_job")
    def run_job(job_id: int) -> None:
        from .service import run

        with app.app_context():
            run(job_id)

    @huey.periodic_task(crontab(minute="*"), name="recover_jobs")
    def recover_jobs() -> None:
        from .service import recover

        with app.app_context():
            recover()

    @huey.periodic_task(crontab(minute="*"), name="keep_figures_stored")
    def keep_figures_stored() -> None:
        from .service import keep_figures_stored

        with app.app_context():
            keep_figures_stored()

    @huey.periodic_task(crontab(hour="3", minute="17"), name="housekeeping")
    def daily_housekeeping() -> None:
        from .service import housekeeping

        with app.app_context():
            log.info(housekeeping())

    @huey.on_startup()
    def recover_on_startup() -> None:
        from ..cache_version import forget_shared
        from .service import recover

        with app.app_context():
            recover()
            forget_shared()  # counted by an earlier casework: never read again (their code)

    huey.casework_run_job = run_job
    return huey


def init_queue(app: Flask) -> None:
    app.extensions["casework_queue"] = make_huey(app)
