"""Students in the service's database: added from a roster, their tokens rotated or revoked, and who a token is."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Engine, select

from grader.errors import UsageError
from grader.service.schema import students
from grader.service.tokens import looks_like_token, new_token, same_hash, token_hash
from grader.text import one_line

MAX_ID_CHARS = 200
_ID = re.compile(r"[^\W][\w.@+-]*")   # letters of any script, digits, and . @ + - _ (an email works as an id)


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    token_hash: str


def check_student_id(student_id: str) -> str:
    """The id in NFC, or a UsageError saying what is wrong with it."""
    normal = unicodedata.normalize("NFC", student_id.strip())
    if not normal or len(normal) > MAX_ID_CHARS or not _ID.fullmatch(normal):
        raise UsageError(f"student id {one_line(student_id)!r}: use letters, digits and . @ + - _ only "
                         f"(at most {MAX_ID_CHARS} characters, starting with a letter or digit)")
    return normal


def add_or_update(engine: Engine, student_id: str, name: str) -> str | None:
    """Add a student with a new token (returned), or update a known student's name (None: their token stays)."""
    student_id, name = check_student_id(student_id), one_line(name, 400)
    with engine.begin() as connection:
        known = connection.execute(select(students.c.id).where(students.c.id == student_id)).first()
        if known is not None:
            connection.execute(students.update().where(students.c.id == student_id).values(name=name))
            return None
        token = new_token()
        connection.execute(students.insert().values(id=student_id, name=name, token_hash=token_hash(token),
                                                    revoked=False, served=0))
        return token


def rotate(engine: Engine, student_id: str) -> str:
    """A new token for the student (the old one stops working, and so do sessions signed in with it)."""
    token = new_token()
    with engine.begin() as connection:
        changed = connection.execute(students.update().where(students.c.id == student_id)
                                     .values(token_hash=token_hash(token), revoked=False)).rowcount
    if not changed:
        raise UsageError(f"no student {one_line(student_id)!r} in the service's roster")
    return token


def revoke(engine: Engine, student_id: str) -> None:
    """The student's token stops working; their submissions and grades stay."""
    with engine.begin() as connection:
        changed = connection.execute(students.update().where(students.c.id == student_id)
                                     .values(revoked=True)).rowcount
    if not changed:
        raise UsageError(f"no student {one_line(student_id)!r} in the service's roster")


def authenticate(engine: Engine, token: str) -> Student | None:
    """The student whose live token this is, else None."""
    if not looks_like_token(token):
        return None
    with engine.connect() as connection:
        row = connection.execute(select(students.c.id, students.c.name, students.c.token_hash)
                                 .where(students.c.token_hash == token_hash(token), students.c.revoked.is_(False))).first()
    if row is None or not same_hash(row.token_hash, token):
        return None
    return Student(row.id, row.name, row.token_hash)


def find(engine: Engine, student_id: str) -> Student | None:
    """The student with this id whose token is live (a session re-checks this on every request)."""
    with engine.connect() as connection:
        row = connection.execute(select(students.c.id, students.c.name, students.c.token_hash)
                                 .where(students.c.id == student_id, students.c.revoked.is_(False))).first()
    if row is None or row.token_hash is None:
        return None
    return Student(row.id, row.name, row.token_hash)
