"""Evaluate many families on every core, in family_ref order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..workers import map_in_workers
from .service import BATCH, evaluate_batch, to_json


def _evaluate(task: tuple[list[int], str]) -> list[dict]:
    ids, as_of = task
    return [to_json(item) for item in evaluate_batch(ids, dt.date.fromisoformat(as_of))]


def evaluate_to_json(as_of: dt.date, chosen: list[int]) -> Iterator[dict]:
    """Yield the contract's JSON object per family, in the order of the ids given."""
    tasks = [(chosen[i : i + BATCH], as_of.isoformat()) for i in range(0, len(chosen), BATCH)]
    for batch in map_in_workers(_evaluate, tasks):
        yield from batch
