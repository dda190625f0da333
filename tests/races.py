"""The race tests' one harness: calls made at the same instant, each in a thread of its
own; at_once also gives each its own app context and database session, as two requests or
two commands would have."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from casework.extensions import db


def together(*calls: Callable[[], object], refused: tuple[type[BaseException], ...] = (),
             seconds: float = 60) -> list:
    """Run the calls together (none starts before every thread is ready) and return what each
    returned, in the order given; a call that raised one of the `refused` exceptions gives
    that exception instead. Any other exception is raised here, once every call has ended."""
    start = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            start.wait(seconds)
            outcomes[index] = call()
        except BaseException as error:  # given back, or raised in the test's thread
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds)
    assert not any(thread.is_alive() for thread in threads), f"a call ran over {seconds} s"
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, refused):
            raise outcome
    return outcomes


def at_once(app, *calls: Callable[[], object], refused: tuple[type[BaseException], ...] = (),
            seconds: float = 60) -> list:
    """together(), each call in an app context of its own, its session removed after."""

    def in_context(call: Callable[[], object]) -> object:
        with app.app_context():
            try:
                return call()
            finally:
                db.session.remove()

    return together(*[functools.partial(in_context, call) for call in calls], refused=refused,
                    seconds=seconds)
