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


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """Commit the session when the block ends normally; roll it back if it raises."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def transactional(function: F) -> F:
    """Run `function` in `transaction()`: its writes are committed together or not at all.
    Functions it calls write in the same transaction and commit nothing themselves."""

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        with transaction():
            return function(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
