"""The feedback document: built once from results, validated against the schema, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from grader._jsonschema import jsonschema

from grader.outcomes import Status
from grader.results import CheckResult
from grader.sandbox.launchers import Isolation

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class SubmissionInfo:
    path: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class OutputTail:
    stdout: str
    stderr: str
    stdout_bytes: int
    stderr_bytes: int
    truncated: bool


@dataclass(frozen=True)
class Feedback:
    exercise: str
    exercise_title: str
    status: Status
    message: str
    checks: tuple[CheckResult, ...]
    submission: SubmissionInfo
    seed: int
    isolation: Isolation
    started_at: str
    duration_s: float
    output: OutputTail
    grader_version: str
    hidden_checks_run: bool
    grader_error: str | None = None

    @property
    def max_score(self) -> float:
        return round(sum(check.max_score for check in self.checks), 6)

    @property
    def score(self) -> float:
        if self.status is Status.GRADER_FAILED:
            return 0.0
        return round(sum(check.score for check in self.checks), 6)

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "exercise": self.exercise,
            "exercise_title": self.exercise_title,
            "status": self.status.value,
            "message": self.message,
            "score": self.score,
            "max_score": self.max_score,
            "submission": {"path": self.submission.path, "sha256": self.submission.sha256, "bytes": self.submission.bytes},
            "seed": self.seed,
            "hidden_checks_run": self.hidden_checks_run,
            "isolation": {"mode": self.isolation.mode, "strong": self.isolation.strong,
                          "memory_limit": self.isolation.memory_limit, "notes": list(self.isolation.notes)},
            "timing": {"started_at": self.started_at, "duration_s": round(self.duration_s, 3)},
            "output": {"stdout_tail": self.output.stdout, "stderr_tail": self.output.stderr,
                       "stdout_bytes": self.output.stdout_bytes, "stderr_bytes": self.output.stderr_bytes,
                       "truncated": self.output.truncated},
            "grader_version": self.grader_version,
            "checks": [_check_dict(check, self.status) for check in self.checks],
        }
        if self.grader_error:
            document["grader_error"] = self.grader_error
        return document


def _check_dict(check: CheckResult, status: Status) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": check.id,
        "name": check.name,
        "visibility": check.visibility,
        "score": 0.0 if status is Status.GRADER_FAILED else check.score,
        "max_score": check.max_score,
        "outcome": check.outcome.value,
        "message": check.message,
        "duration_s": check.duration_s,
    }
    if check.limit is not None:
        entry["limit"] = check.limit
    if check.hint is not None:
        entry["hint"] = check.hint.text
        entry["hint_id"] = check.hint.id
    return entry


@lru_cache(maxsize=None)
def feedback_schema() -> dict[str, Any]:
    text = resources.files("grader.schemas").joinpath("feedback.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Every way the document breaks the schema, as 'path: problem' lines (empty when valid)."""
    validator = jsonschema.Draft202012Validator(feedback_schema(), format_checker=jsonschema.FormatChecker())
    return [f"/{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))]


def write_json_atomically(document: dict[str, Any], path: Path) -> None:
    """Write to a temporary file beside the target and rename, so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2, ensure_ascii=False)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
