"""Batch work: a pool of processes on every core, each with its own app and database
connection, mapping a module-level function over tasks and giving results back in order;
and pausing the cycle collector while a batch builds many small objects."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import current_app

_app = None
MAX_WORKERS = 4


def _start(factory: Callable, config: dict) -> None:
    global _app
    _app = factory(**config)


def _call(job: tuple[Callable, Any]) -> Any:
    func, task = job
    with _app.app_context():
        return func(task)


def map_in_workers(func: Callable, tasks: Iterable, min_tasks: int = 4) -> Iterator:
    """Yield func(task) for each task, in order; in this process when there is little work."""
    tasks = list(tasks)
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2 or len(tasks) < min_tasks:
        for task in tasks:
            yield func(task)
        return
    config = {key: current_app.config[key] for key in
              ("SQLALCHEMY_DATABASE_URI", "RULESET", "RULESET_OVERRIDES", "COUNCIL_NAME")}
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no shared connections
    factory = current_app.extensions["casework.app_factory"]  # create_app, by reference
    with context.Pool(workers, initializer=_start, initargs=(factory, config)) as pool:
        yield from pool.imap(_call, [(func, task) for task in tasks])


@contextlib.contextmanager
def collector_paused():
    """Pause the cycle collector while a batch's many small, acyclic objects are built
    (evidence for evaluation, rows of an import): it would otherwise rescan them over and
    over, a third or more of the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
