"""The race tests' one harness: calls made at the same instant, each in a thread, app
context and database session of its own, as two requests or two commands would be."""

from __future__ import annotations

import threading
from collections.abc import Callable

from casework.extensions import db


def at_once(app, *calls: Callable[[], object], refused: tuple[type[BaseException], ...] = (),
            seconds: float = 60) -> list:
    """Run the calls together (none starts before every thread is ready) and return what each
    returned, in the order given; a call that raised one of the `refused` exceptions gives
    that exception instead. Any other exception is raised here, once every call has ended."""
    start = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        with app.app_context():
            try:
                start.wait(seconds)
                outcomes[index] = call()
            except BaseException as error:  # given back, or raised in the test's thread
                outcomes[index] = error
            finally:
                db.session.remove()

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
