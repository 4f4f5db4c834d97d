"""The shop's Flask-SQLAlchemy object, shared by the models and the app factory."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base for the shop's models."""


db = SQLAlchemy(model_class=Base)


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite enforce foreign keys and honour SAVEPOINTs.

    pysqlite opens transactions lazily on its own terms, which breaks SAVEPOINT (the
    test harness's fast mode rolls each test back to one); SQLAlchemy's documented fix is
    to switch that off and emit BEGIN ourselves.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")
