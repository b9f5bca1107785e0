"""Grade every equivalent rewrite of a reference under several seeds: each must earn full marks.

A rewrite that loses a point is a check that fails a right answer written in a student's own style; the
audit reports which check, under which seed, with its message, and does not meet its targets.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.audit.rewrite import Rewrite, rewrites
from grader.course.model import Exercise
from grader.outcomes import Outcome
from grader.grading.engine import grade
from grader.sandbox.session import Launcher

REWRITE_SEEDS = (11, 12, 13)         # numpy exercises
KERAS_REWRITE_SEEDS = (11,)          # each Keras grading trains small models
KERAS_REWRITE_LIMIT = 20            # and every single style, however many apply: pairs are what a limit drops


@dataclass(frozen=True)
class RewriteResult:
    id: str
    style: str
    seeds: tuple[int, ...]
    lost: tuple[str, ...] = ()   # "seed 12: hidden/x (failed): message", for every check that lost points

    @property
    def full_marks(self) -> bool:
        return not self.lost


def audit_rewrites(exercise: Exercise, launcher: Launcher, progress: Callable[[int, int, str], None] | None = None,
                   limit: int | None = None, seeds: tuple[int, ...] | None = None) -> tuple[RewriteResult, ...]:
    keras = "tensorflow" in exercise.requires
    seeds = seeds or (KERAS_REWRITE_SEEDS if keras else REWRITE_SEEDS)
    found = chosen_rewrites(exercise.reference_path.read_text(encoding="utf-8"), keras, limit)
    tell = progress or (lambda done, total, what: None)
    results = []
    folder = Path(tempfile.mkdtemp(prefix="grader-rewrites-"))
    try:
        for index, rewrite in enumerate(found):
            tell(index, len(found), f"{rewrite.id} {rewrite.style}")
            results.append(_grade_rewrite(exercise, rewrite, folder, launcher, seeds))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    tell(len(found), len(found), "done")
    return tuple(results)


def chosen_rewrites(reference: str, keras: bool, limit: int | None = None) -> list[Rewrite]:
    """The rewrites to grade: the first `limit`; by default all of a numpy exercise's, and of a Keras exercise's
    (whose gradings train models) every single style and pairs of them up to KERAS_REWRITE_LIMIT in all."""
    found = rewrites(reference)
    if limit is None and keras:
        limit = max(KERAS_REWRITE_LIMIT, sum(not rewrite.paired for rewrite in found))
    return found[:limit] if limit is not None else found


def _grade_rewrite(exercise: Exercise, rewrite: Rewrite, folder: Path, launcher: Launcher,
                   seeds: tuple[int, ...]) -> RewriteResult:
    path = folder / rewrite.id / exercise.entry
    path.parent.mkdir()
    path.write_text(rewrite.source, encoding="utf-8")
    lost = []
    for seed in seeds:
        feedback = grade(exercise, path, seed=seed, launcher=launcher)
        if feedback.score >= feedback.max_score and feedback.checks:
            continue
        failing = [check for check in feedback.checks if check.outcome is not Outcome.PASSED]
        lost += [f"seed {seed}: {check.id} ({check.outcome.value}): {' '.join(check.message.split())[:300]}"
                 for check in failing] or [f"seed {seed}: {feedback.status.value}: {feedback.message[:300]}"]
    return RewriteResult(rewrite.id, rewrite.style, seeds, tuple(lost))
