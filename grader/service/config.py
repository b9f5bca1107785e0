"""What a running service is configured with: the course, where its data lives, and its limits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.course.model import Course
from grader.service.queue import DEFAULT_QUEUE_LIMIT


@dataclass(frozen=True)
class ServiceConfig:
    course: Course
    data_dir: Path                   # blobs/, feedback/, the SQLite file and the keys
    db_url: str                      # SQLAlchemy URL (grader.service.database.database_url)
    jobs: int = 1                    # grading slots
    strong: bool = True              # grade inside bubblewrap (False: --allow-weak-isolation)
    queue_limit: int = DEFAULT_QUEUE_LIMIT   # submissions one student may have waiting
    header_timeout_s: float = 10.0   # a request's line and headers must arrive within this
    chunk_timeout_s: float = 10.0    # the longest pause between two pieces of a request's body
    body_timeout_s: float = 60.0     # a whole request body must arrive within this
    https_only: bool = False         # the session cookie is Secure (behind TLS)
    session_hours: float = 12.0

    @property
    def largest_upload(self) -> int:
        """The largest file any exercise accepts, in bytes."""
        return max((exercise.limits.max_file_kib for exercise in self.course.exercises), default=2048) * 1024

    @property
    def largest_body(self) -> int:
        """The largest request body read at all: the largest upload and a form's other fields."""
        return self.largest_upload + 64 * 1024
