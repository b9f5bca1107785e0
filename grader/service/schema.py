"""The service's tables, one schema for SQLite and PostgreSQL, and the migrations that bring a database to it.

A database records its schema version in `schema_version`; `migrate` applies every later step in order, each in
one transaction, so an older service's database is upgraded when a newer one opens it and a newer database is
refused by an older service instead of being misread.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (DDL, BigInteger, Boolean, Column, Connection, Engine, Float, ForeignKey, Index, Integer,
                        MetaData, String, Table, false, inspect, select)
from sqlalchemy.schema import CreateColumn

from grader.errors import UsageError

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, nullable=False),
)

students = Table(
    "students", metadata,
    Column("id", String(200), primary_key=True),
    Column("name", String(400), nullable=False),
    Column("token_hash", String(64), unique=True),          # sha256 hex of the student's secret; None: no token yet
    Column("revoked", Boolean, nullable=False, default=False),
    Column("served", BigInteger, nullable=False, default=0),  # the scheduler's turn counter: lowest is served next
)

submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("student", String(200), ForeignKey("students.id"), nullable=False),
    Column("exercise", String(200), nullable=False),
    Column("received_at", String(40), nullable=False),      # ISO 8601, UTC
    Column("sha256", String(64), nullable=False),
    Column("stored_path", String(400), nullable=False),     # relative to the data folder
    Column("original_name", String(400), nullable=False),   # as the student named it, for display only
    Column("status", String(20), nullable=False),           # queued, grading, graded, failed
    Column("attempts", Integer, nullable=False, default=0),
    # version 3: which service's grading slot holds a `grading` submission, and until when (services sharing one
    # database take over only what a dead one held: grader/service/queue.py)
    Column("claimed_by", String(200), nullable=True),
    Column("lease_until", String(40), nullable=True),       # ISO 8601, UTC
    # version 4: queued again by the instructor's regrade: graded after every student's new work, and not counted
    # against the student's queue limit (the student did not hand it in again)
    Column("regrade", Boolean, nullable=False, default=False, server_default=false()),
    Index("submissions_by_status", "status", "student", "id"),
    Index("submissions_by_student", "student", "id"),
    Index("submissions_by_exercise", "student", "exercise", "received_at"),   # version 2: the rate limit's reads
)

gradings = Table(
    "gradings", metadata,
    Column("submission", Integer, ForeignKey("submissions.id"), primary_key=True),   # one grading per submission
    Column("feedback_path", String(400), nullable=False),   # relative to the data folder
    Column("score", Float, nullable=False),
    Column("max_score", Float, nullable=False),
    Column("status", String(40), nullable=False),           # the feedback's status
    Column("grader_version", String(40), nullable=False),
    Column("graded_at", String(40), nullable=False),
    # version 2: the grader's own fault (it failed, or one of its checks broke): not counted against a rate limit
    Column("grader_fault", Boolean, nullable=False, default=False, server_default=false()),
)

Step = Callable[[Connection], None]


def _create_version_1(connection: Connection) -> None:
    """The tables (a new database gets them in their latest shape; later steps add only what is missing)."""
    metadata.create_all(connection, tables=[students, submissions, gradings])


def _add_missing(connection: Connection, table: Table, column: str) -> None:
    if column not in {known["name"] for known in inspect(connection).get_columns(table.name)}:
        spec = CreateColumn(table.c[column]).compile(dialect=connection.dialect)
        connection.execute(DDL(f"ALTER TABLE {table.name} ADD COLUMN {spec}"))


def _version_2_policies(connection: Connection) -> None:
    """The exercises' policies: the grader's own faults are marked (the rate limit does not count them) and a
    student's submissions of one exercise are found by time."""
    _add_missing(connection, gradings, "grader_fault")
    connection.execute(gradings.update().where(gradings.c.status == "grader_failed").values(grader_fault=True))
    index = next(index for index in submissions.indexes if index.name == "submissions_by_exercise")
    index.create(connection, checkfirst=True)


def _version_3_leases(connection: Connection) -> None:
    """Claims with an owner and a lease, so two services may share one database (a submission a service left
    `grading` before this version has neither, and is taken over as abandoned)."""
    _add_missing(connection, submissions, "claimed_by")
    _add_missing(connection, submissions, "lease_until")


def _version_4_regrades(connection: Connection) -> None:
    """Regrades are told apart from new work (queued after it, outside the student's queue limit)."""
    _add_missing(connection, submissions, "regrade")


# The migrations, in order: STEPS[n] brings a database of version n to version n + 1.
STEPS: tuple[Step, ...] = (_create_version_1, _version_2_policies, _version_3_leases, _version_4_regrades)
VERSION = len(STEPS)


def current_version(connection: Connection) -> int:
    """The database's schema version: 0 for an empty database."""
    if not inspect(connection).has_table("schema_version"):
        return 0
    return connection.execute(select(schema_version.c.version)).scalar_one_or_none() or 0


def migrate(engine: Engine) -> int:
    """Bring the database to this service's schema, one step per transaction; the version it ends at."""
    with engine.begin() as connection:
        metadata.create_all(connection, tables=[schema_version])
        if connection.execute(select(schema_version.c.version)).first() is None:
            connection.execute(schema_version.insert().values(version=0))
    while True:
        with engine.begin() as connection:
            version = current_version(connection)
            if version > VERSION:
                raise UsageError(f"the service's database is of schema version {version}, newer than this grader's "
                                 f"({VERSION}); run the grader version that wrote it, or a newer one")
            if version == VERSION:
                return version
            STEPS[version](connection)
            connection.execute(schema_version.update().values(version=version + 1))
