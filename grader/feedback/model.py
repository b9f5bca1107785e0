"""The feedback document: built once from results, validated against the schema, written atomically,
and read back (`Feedback.from_dict`) into the same types by every view and export."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

# Kept here for the callers that still import them from this module (batch/runner.py, bundles/autograder.py,
# tests/test_feedback.py); grader.atomic is their one home.
from grader.errors import UsageError
from grader.feedback.results import CheckResult, Hint
from grader.outcomes import Isolation, Limit, Outcome, Status

SCHEMA_VERSION = "1.2"          # 1.1: the outcome internal_error; 1.2: timing.student_s and timing.grader_s
OLDEST_READABLE_VERSION = "1.0"  # older documents are newer ones that never use what came later


class FeedbackError(UsageError):
    """A document that is not feedback this grader can read: another schema version, or invalid."""


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
    student_s: float | None = None   # of duration_s, the time the submission's own code ran (None before 1.2)
    grader_s: float | None = None    # the rest: the grader's own work (preparing, sandbox, checks, wire)

    @property
    def max_score(self) -> float:
        return round(sum(check.max_score for check in self.checks), 6)

    @property
    def score(self) -> float:
        return round(sum(self.score_of(check) for check in self.checks), 6)

    def score_of(self, check: CheckResult) -> float:
        """A check's points in this grading: none at all when the grader failed."""
        return 0.0 if self.status is Status.GRADER_FAILED else check.score

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
            "timing": self._timing(),
            "output": {"stdout_tail": self.output.stdout, "stderr_tail": self.output.stderr,
                       "stdout_bytes": self.output.stdout_bytes, "stderr_bytes": self.output.stderr_bytes,
                       "truncated": self.output.truncated},
            "grader_version": self.grader_version,
            "checks": [_check_dict(check, self.score_of(check)) for check in self.checks],
        }
        if self.grader_error:
            document["grader_error"] = self.grader_error
        return document

    def _timing(self) -> dict[str, Any]:
        timing: dict[str, Any] = {"started_at": self.started_at, "duration_s": round(self.duration_s, 3)}
        if self.student_s is not None:
            timing["student_s"] = round(self.student_s, 3)
        if self.grader_s is not None:
            timing["grader_s"] = round(self.grader_s, 3)
        return timing

    @classmethod
    def from_dict(cls, document: Any) -> Feedback:
        """The typed document back from its JSON form; FeedbackError if it is of another schema version,
        breaks the schema, or states a score its checks do not add up to."""
        _check_version(document)
        problems = schema_errors(document)
        if problems:
            raise FeedbackError(f"the feedback document breaks its schema: {'; '.join(problems[:3])}")
        submission, timing, output, isolation = (document[key] for key in ("submission", "timing", "output", "isolation"))
        feedback = cls(
            exercise=document["exercise"], exercise_title=document["exercise_title"], status=Status(document["status"]),
            message=document["message"], checks=tuple(_check_result(check) for check in document["checks"]),
            submission=SubmissionInfo(submission["path"], submission["sha256"], submission["bytes"]),
            seed=document["seed"],
            isolation=Isolation(isolation["mode"], isolation["strong"], isolation["memory_limit"], tuple(isolation["notes"])),
            started_at=timing["started_at"], duration_s=timing["duration_s"],
            output=OutputTail(output["stdout_tail"], output["stderr_tail"], output["stdout_bytes"],
                              output["stderr_bytes"], output["truncated"]),
            grader_version=document["grader_version"], hidden_checks_run=document["hidden_checks_run"],
            grader_error=document.get("grader_error"),
            student_s=timing.get("student_s"), grader_s=timing.get("grader_s"),
        )
        if (feedback.score, feedback.max_score) != (document["score"], document["max_score"]):
            raise FeedbackError(f"the feedback document says {document['score']:g}/{document['max_score']:g} but its "
                                f"checks add up to {feedback.score:g}/{feedback.max_score:g}")
        return feedback


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _check_version(document: Any) -> None:
    """This grader reads documents of its own major version up to its own minor version."""
    version = document.get("schema_version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not all(part.isdigit() for part in version.split(".")):
        raise FeedbackError(f"not a feedback document: it has no schema_version (this grader reads "
                            f"{OLDEST_READABLE_VERSION} to {SCHEMA_VERSION})")
    if _version(version) > _version(SCHEMA_VERSION):
        raise FeedbackError(f"the feedback document has schema_version {version}, newer than {SCHEMA_VERSION}, the "
                            f"newest this grader reads; grade with a newer grader")
    if _version(version) < _version(OLDEST_READABLE_VERSION):
        raise FeedbackError(f"the feedback document has schema_version {version}, older than "
                            f"{OLDEST_READABLE_VERSION}, the oldest this grader (schema {SCHEMA_VERSION}) reads; "
                            f"grade the submission again")


def _check_result(entry: dict[str, Any]) -> CheckResult:
    return CheckResult(
        id=entry["id"], name=entry["name"], visibility=entry["visibility"], max_score=entry["max_score"],
        outcome=Outcome(entry["outcome"]), message=entry["message"],
        hint=Hint(entry["hint_id"], entry["hint"]) if "hint" in entry else None, duration_s=entry["duration_s"],
        internal_error=entry.get("internal_error"), limit=Limit(entry["limit"]) if "limit" in entry else None,
    )


def _check_dict(check: CheckResult, score: float) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": check.id,
        "name": check.name,
        "visibility": check.visibility,
        "score": score,
        "max_score": check.max_score,
        "outcome": check.outcome.value,
        "message": check.message,
        "duration_s": check.duration_s,
    }
    if check.limit is not None:
        entry["limit"] = check.limit.value
    if check.internal_error is not None:
        entry["internal_error"] = check.internal_error
    if check.hint is not None:
        entry["hint"] = check.hint.text
        entry["hint_id"] = check.hint.id
    return entry


@lru_cache(maxsize=None)
def feedback_schema() -> dict[str, Any]:
    text = resources.files("grader.feedback").joinpath("feedback.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def _validator() -> Any:
    """jsonschema, imported when a document is first checked: not before a student's sandbox starts."""
    from grader.jsonschema_quick import jsonschema

    return jsonschema.Draft202012Validator(feedback_schema(), format_checker=jsonschema.FormatChecker())


_COMPILED: list[Any] = []   # the compiled check, once a batch worker asked for it


def compile_validation() -> None:
    """Check this process's documents with fastjsonschema's compiled code of the same schema (about a tenth
    of jsonschema's time per document). Worth its compile (about 10 ms) in a batch worker, not in one `grade`."""
    if not _COMPILED:
        import fastjsonschema

        # Formats judged by jsonschema's own checker: fastjsonschema's date-time pattern also takes "+0000".
        checker = _validator().format_checker
        formats = {"date-time": lambda value: checker.conforms(value, "date-time")}   # the schema's one format
        _COMPILED.append(fastjsonschema.compile(draft7_schema(), formats=formats))


def draft7_schema() -> dict[str, Any]:
    """The schema in draft 7's words for fastjsonschema: its one 2020-12 keyword, dependentRequired, is what
    draft 7 spells `dependencies` with lists of names."""
    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {("dependencies" if key == "dependentRequired" else key): rewrite(value)
                    for key, value in node.items() if key != "$schema"}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return {"$schema": "http://json-schema.org/draft-07/schema#", **rewrite(feedback_schema())}


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Every way the document breaks the schema, as 'path: problem' lines (empty when valid).

    With compiled validation on, a document the compiled check accepts is valid; any other is judged and
    explained by jsonschema, so the compiled check can only make a verdict faster, never change it (the
    tests hold the two to the same verdicts on mutated documents)."""
    if _COMPILED:
        try:
            _COMPILED[0](document)
            return []
        except Exception:  # noqa: BLE001 - fastjsonschema's refusal: jsonschema below says what is wrong
            pass
    validator = _validator()
    return [f"/{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
            for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))]


def read_feedback(path: Path) -> Feedback:
    """A feedback file read back; FeedbackError when it is not JSON or not feedback this grader reads."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise FeedbackError(f"{path} is not JSON ({exc})") from None
    return Feedback.from_dict(document)
