"""The shop's Flask-SQLAlchemy object, and the one way the shop writes to its database.

Every write goes through `write(apply)`: `apply` runs in a transaction of its own, is
committed, and is run again from the start when the database is busy. On SQLite that
transaction is `BEGIN IMMEDIATE`, so a writer waits its turn (the driver's busy timeout)
instead of reading first and being refused at once when it tries to write while another
connection holds the write lock (SQLite's deadlock rule for deferred transactions). Reads
never hold a transaction across a provider call: `release()` ends it first, so a slow
Stripe or OAuth answer never keeps the database locked for anyone else.
"""

from __future__ import annotations

import contextvars
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase

T = TypeVar("T")


class Base(DeclarativeBase):
    """Declarative base for the shop's models."""


db = SQLAlchemy(model_class=Base)

#: How many times `write` runs its transaction before giving up on a busy database.
WRITE_ATTEMPTS = 6

# Set while `write` opens its transaction, so the engine's "begin" hook asks SQLite for the
# write lock up front.
_writing: contextvars.ContextVar[bool] = contextvars.ContextVar("demo_writing", default=False)


def is_database_busy(exc: BaseException) -> bool:
    """Whether `exc` is the database refusing a write for now (SQLite's "database is locked")."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc.orig or exc).lower()
    return "locked" in text or "busy" in text


def release() -> None:
    """End the session's transaction (reads only: nothing is pending) before a provider call.

    Loaded objects are expired; touch them again only inside `write`, or after the call.
    """
    db.session.rollback()


def write(apply: Callable[[], T], *, attempts: int | None = None) -> T:
    """Run `apply()` in a write transaction of its own, commit it, and return its result.

    `apply` must read what it changes (by id) inside itself: it may run more than once.
    When the database stays busy, the last `OperationalError` is raised and nothing of
    this write is stored.
    """
    tries = WRITE_ATTEMPTS if attempts is None else attempts
    for attempt in range(1, tries + 1):
        # A read transaction left open would make this one a deferred upgrade (refused at
        # once when another connection writes): start from none.
        db.session.rollback()
        token = _writing.set(True)
        try:
            result = apply()
            db.session.commit()
            return result
        except OperationalError as exc:
            db.session.rollback()
            if not is_database_busy(exc) or attempt == tries:
                raise
        except BaseException:
            db.session.rollback()
            raise
        finally:
            _writing.reset(token)
        time.sleep(random.uniform(0.005, 0.02) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite enforce foreign keys, honour SAVEPOINTs and let writers queue.

    pysqlite opens transactions lazily on its own terms, which breaks SAVEPOINT (the
    test harness's fast mode rolls each test back to one); SQLAlchemy's documented fix is
    to switch that off and emit BEGIN ourselves, IMMEDIATE inside `write`. A database file
    uses write-ahead logging, so readers never block the writer or the other way round.
    """
    if engine.dialect.name != "sqlite":
        return
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")
