"""Evaluate many families on every core, in family_ref order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..workers import map_in_workers
from .service import BATCH, current_ruleset, each_json, evaluate_batch, to_json


def _evaluate(task: tuple[list[int], str]) -> tuple[list[dict], list[tuple[int, str, str]]]:
    ids, as_of = task
    failed: list[tuple[int, str, str]] = []
    items = evaluate_batch(ids, dt.date.fromisoformat(as_of), failed=failed)
    return list(each_json(items, to_json, current_ruleset().name, failed)), failed


def evaluate_to_json(as_of: dt.date, chosen: list[int],
                     failed: list[tuple[int, str, str]]) -> Iterator[dict]:
    """Yield the contract's JSON object per family, in the order of the ids given; a family
    whose rules raise is left out and added to `failed` (service.failure)."""
    tasks = [(chosen[i : i + BATCH], as_of.isoformat()) for i in range(0, len(chosen), BATCH)]
    for batch, failures in map_in_workers(_evaluate, tasks):
        failed += failures
        yield from batch
