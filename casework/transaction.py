"""The one way a use case ends its database transaction (as GOV.UK Notify's @transactional):
commit when it returns, roll back when it raises, and re-raise.

- A service function that writes is `@transactional`; what it calls writes in the same
  transaction and commits nothing itself. A refusal is an exception: raising it rolls back
  whatever the use case had done, so nothing is undone by hand.
- A page that shows personal data writes its audit row and renders inside `transaction()`:

      with transaction():
          record_event("view", "family", family.family_ref)
          return render_template(...)

  The row commits once the page has rendered (a page that fails to render was not shown),
  and the template reads the records the view loaded without reloading them, as a commit
  expires them.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import TypeVar

from .extensions import db

F = TypeVar("F", bound=Callable)


DEPTH = "casework_transaction_depth"  # session.info: how many blocks are open
AFTER = "casework_after_commit"  # session.info: what waits for the outermost commit
FAILED = "casework_inner_failed"  # session.info: a block inside the open one raised


class PartlyFailed(RuntimeError):
    """A use case inside a transaction raised, and the code around it went on as if it had
    not: committing would save half of the inner use case, so nothing is saved."""


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """Commit the session when the block ends normally; roll it back if it raises.

    A block inside another joins it: only the outermost commits, or rolls back if the
    exception reaches it, so a use case made of other use cases is still all or nothing.
    If an inner block raised and the code around it caught the exception and went on, the
    outermost block rolls back and raises PartlyFailed rather than commit half a use case:
    a refusal to be recorded after a failed use case is written in a transaction of its own,
    after the failed one (as `imports.guide.import_recorded` does)."""
    info = db.session.info
    depth = info.get(DEPTH, 0)
    info[DEPTH] = depth + 1
    try:
        yield
    except BaseException:
        if depth == 0:
            info.pop(AFTER, None)
            info.pop(FAILED, None)
            db.session.rollback()
        else:
            info[FAILED] = True
        raise
    else:
        if depth == 0:
            if info.pop(FAILED, False):
                info.pop(AFTER, None)
                db.session.rollback()
                raise PartlyFailed("a use case inside this transaction failed: nothing was saved")
            try:
                db.session.commit()
            except BaseException:  # refused at the commit itself (a unique index, a lock)
                info.pop(AFTER, None)
                db.session.rollback()
                raise
    finally:
        info[DEPTH] = depth
    if depth == 0:
        for callback in info.pop(AFTER, []):
            callback()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the transaction open now has committed (at once if none is open);
    never if it rolls back. For what must not happen before the data is there for others to
    read, such as queueing a job for the worker."""
    if db.session.info.get(DEPTH, 0) == 0:
        callback()
    else:
        db.session.info.setdefault(AFTER, []).append(callback)


def transactional(function: F) -> F:
    """Run `function` in `transaction()`: its writes are committed together or not at all.
    Functions it calls write in the same transaction, and a transactional one among them
    joins it rather than committing early."""

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        with transaction():
            return function(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
