"""Module-level extensions, bound to the app in create_app()."""

from contextvars import ContextVar

import flask_sqlalchemy.session
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

# Named constraints let Alembic's batch mode (SQLite) drop and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The read replica's bind (DATABASE_REPLICA_URL): reads inside casework.replica.reads() go
# there; everything else, and every write, to the primary (DATABASE_URL).
REPLICA = "replica"
reading_replica: ContextVar[bool] = ContextVar("casework_reading_replica", default=False)
WROTE = "casework_wrote"  # Session.info: this transaction has flushed a change


class Session(flask_sqlalchemy.session.Session):
    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (bind is None and reading_replica.get() and not self._flushing
                and not getattr(clause, "is_dml", False)):
            engine = self._db.engines.get(REPLICA)
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@event.listens_for(Session, "after_flush")
def _wrote(session, _context) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _ended(session) -> None:
    session.info.pop(WROTE, None)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def _configure_sqlite(dbapi_connection, _record) -> None:
    # WAL lets pages read while an import writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # 64 MiB of page cache (the default is 2 MiB): big imports and evaluations touch
    # indexes far larger than that.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


# The planner's cost of reading a page out of order, for this connection. PostgreSQL's
# default (4) is for spinning disks; with casework's working set in memory or on SSD (1.1 is
# the usual advice) it picks index lookups for a batch of families' evidence instead of
# reading every school term: 40 ms rather than 190 ms a batch of 900 families.
POSTGRESQL_SETTINGS = {"random_page_cost": "1.1"}


def _configure_postgresql(dbapi_connection, _record) -> None:
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a SET in a transaction would be rolled back with it
    with dbapi_connection.cursor() as cursor:
        for name, value in POSTGRESQL_SETTINGS.items():
            cursor.execute(f"SET {name} = {value}")
    dbapi_connection.autocommit = autocommit


def init_engine_events(app) -> None:
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _configure_sqlite)
            elif engine.dialect.name == "postgresql":
                event.listen(engine, "connect", _configure_postgresql)
