"""`casework worker`: the process that runs queued jobs."""

from __future__ import annotations

import logging

import click
from flask import current_app
from huey import MemoryHuey

from ..command_line import Refused

WORKER_THREADS = 2


@click.command("worker")
@click.option("--threads", default=WORKER_THREADS, show_default=True, type=click.IntRange(1, 16),
              help="Jobs run at the same time by this process.")
def worker_command(threads: int) -> None:
    """Run queued jobs (claims builds, PDFs, large imports) until stopped (Ctrl-C or SIGTERM).

    A job interrupted by a stop is run again when a worker next starts."""
    huey = current_app.extensions["casework_queue"]
    if isinstance(huey, MemoryHuey):
        raise Refused("JOBS_QUEUE_URL=memory:// keeps the queue inside one process, where a "
                      "worker cannot see it: use the SQLite default or a redis:// address")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    consumer = huey.create_consumer(workers=threads, worker_type="thread", max_delay=1.0,
                                    periodic=True, check_worker_health=True)
    consumer.run()


@click.command("housekeeping")
def housekeeping_command() -> None:
    """Delete job files older than JOB_RESULT_DAYS and sign-in counts whose window has passed
    (the worker does this every night at 03:17)."""
    from .service import housekeeping

    click.echo(housekeeping())
