"""Batch work: a pool of processes on every core, each with its own app and database
connection, mapping a module-level function over tasks and giving results back in order;
threads of this process for work the database does while Python waits, each with its own
app context (so its own session and connection); and pausing the cycle collector while a
batch builds many small objects."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
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


def _workers() -> int:
    return min(os.cpu_count() or 1, MAX_WORKERS)


def in_workers(tasks: list, min_tasks: int = 4) -> bool:
    """Whether map_in_workers gives these tasks to other processes (this one waits)."""
    return _workers() >= 2 and len(tasks) >= min_tasks


def map_in_workers(func: Callable, tasks: Iterable, min_tasks: int = 4) -> Iterator:
    """Yield func(task) for each task, in order; in this process when there is little work."""
    tasks = list(tasks)
    if not in_workers(tasks, min_tasks):
        for task in tasks:
            yield func(task)
        return
    workers = _workers()
    config = {key: current_app.config[key] for key in
              ("SQLALCHEMY_DATABASE_URI", "RULESET", "RULESET_OVERRIDES", "COUNCIL_NAME")}
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no shared connections
    factory = current_app.extensions["casework.app_factory"]  # create_app, by reference
    with context.Pool(workers, initializer=_start, initargs=(factory, config)) as pool:
        yield from pool.imap(_call, [(func, task) for task in tasks])


def _in_context(app, func: Callable, args: tuple) -> Any:
    with app.app_context():  # its own session, rolled back and given up when it ends
        return func(*args)


def on_threads(func: Callable, tasks: list[tuple]) -> list:
    """[func(*task) for task in tasks], on a thread a core of this process at a time, each
    call in an app context of its own; the first error is raised once all have ended."""
    app = current_app._get_current_object()
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        return list(pool.map(lambda task: _in_context(app, func, task), tasks))


@contextlib.contextmanager
def alongside(func: Callable, *args: Any) -> Iterator[None]:
    """Run func(*args) on a thread of its own, in an app context of its own, while the block
    runs; wait for it at the end of the block and raise its error, if any (the block's own
    error, if it raised, instead)."""
    app = current_app._get_current_object()
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_in_context, app, func, args)
        yield
    future.result()


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
