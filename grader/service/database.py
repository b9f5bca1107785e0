"""Engines for the service's database: an embedded SQLite file (WAL, one writer at a time) or PostgreSQL.

SQLite: every transaction begins IMMEDIATE, so a writer holds the write lock from its first read and two
transactions never both read a queue and then write it; `synchronous=FULL` makes a commit durable before it
returns. PostgreSQL (psycopg 3): transactions that must serialise on a student lock its row (`FOR UPDATE`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from grader.errors import UsageError
from grader.service.schema import migrate

SQLITE_NAME = "service.sqlite"


def database_url(db: str | None, data_dir: Path) -> str:
    """The SQLAlchemy URL: `--db` (postgresql://... uses psycopg 3), else the SQLite file in the data folder."""
    if not db:
        return f"sqlite:///{(data_dir / SQLITE_NAME).resolve()}"
    for plain in ("postgresql://", "postgres://"):
        if db.startswith(plain):
            return "postgresql+psycopg://" + db[len(plain):]
    if db.startswith(("postgresql+psycopg://", "sqlite:///")):
        return db
    raise UsageError(f"--db {db!r}: give a postgresql://USER@HOST/DATABASE URL (or leave --db out for the "
                     f"SQLite file in the data folder)")


def open_database(url: str) -> Engine:
    """An engine on `url`, its schema migrated to this service's version."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UsageError(f"the database URL is not one SQLAlchemy reads: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_immediate(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    migrate(engine)
    return engine


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _sqlite_immediate(engine: Engine) -> None:
    """WAL, full synchronous commits, foreign keys, and BEGIN IMMEDIATE for every transaction (SQLAlchemy's
    recipe: the driver's own transaction handling is turned off so that SQLAlchemy's begin is the one sent)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
