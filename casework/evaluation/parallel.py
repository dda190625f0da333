"""Evaluate many families on every core, in family_ref order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..workers import map_in_workers
from .service import BATCH, evaluate_batch, family_ids, to_json


def _evaluate(task: tuple[list[int], str]) -> list[dict]:
    ids, as_of = task
    return [to_json(item) for item in evaluate_batch(ids, dt.date.fromisoformat(as_of))]


def evaluate_to_json(as_of: dt.date, refs: list[str] | None = None) -> Iterator[dict]:
    """Yield the contract's JSON object per family, in family_ref order."""
    chosen = [fid for fid, _ in family_ids(refs=refs)]
    tasks = [(chosen[i : i + BATCH], as_of.isoformat()) for i in range(0, len(chosen), BATCH)]
    for batch in map_in_workers(_evaluate, tasks):
        yield from batch
