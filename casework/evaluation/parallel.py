"""Evaluate many families on every core: workers load and evaluate batches, in order."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Iterator

from .service import BATCH, evaluate_batch, family_ids, to_json

_app = None


def _start_worker(overrides: dict) -> None:
    global _app
    from .. import create_app

    _app = create_app(**overrides)


def _work(task: tuple[list[int], str]) -> list[dict]:
    ids, as_of = task
    with _app.app_context():
        return [to_json(item) for item in evaluate_batch(ids, dt.date.fromisoformat(as_of))]


def evaluate_to_json(
    as_of: dt.date, refs: list[str] | None = None, workers: int | None = None
) -> Iterator[dict]:
    """Yield the contract's JSON object per family, in family_ref order."""
    from flask import current_app

    chosen = [fid for fid, _ in family_ids(refs=refs)]
    tasks = [(chosen[i : i + BATCH], as_of.isoformat()) for i in range(0, len(chosen), BATCH)]
    workers = workers or min(os.cpu_count() or 1, 4)
    if workers < 2 or len(tasks) < 4:
        for ids, _ in tasks:
            for item in evaluate_batch(ids, as_of):
                yield to_json(item)
        return
    overrides = {
        "SQLALCHEMY_DATABASE_URI": current_app.config["SQLALCHEMY_DATABASE_URI"],
        "RULESET": current_app.config["RULESET"],
        "RULESET_OVERRIDES": current_app.config["RULESET_OVERRIDES"],
    }
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_start_worker, initargs=(overrides,)) as pool:
        for batch in pool.imap(_work, tasks):
            yield from batch
