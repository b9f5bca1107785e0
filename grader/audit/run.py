"""Audit one exercise: grade every mutant of its reference in the warm sandbox and judge the hints.

A mutant is *killed* when it loses points, *equivalent* when it answers every probe as the reference
does (then no check could tell) or its change is one the README accepts (audit.yaml), a *survivor*
otherwise. A hint on a mutant is *honest* when the mutant has the hint's mistake: it behaves like one of
the hint's case files on a function where that case is wrong (or, for a hint a case lists under `roots`
with function f, the mutant's f is wrong). Any other hint is *misleading*.
"""

from __future__ import annotations

import inspect
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import yaml

from grader.audit.equivalence import (Behaviour, Probe, RecordingLauncher, agrees_on, behaviour, differing,
                                      skeleton, stable, widen)
from grader.audit.explain import DeclaringCase, case_to_add, misleading_lines, mutant_change, survivor_lines
from grader.audit.fairness import RewriteResult, audit_rewrites
from grader.audit.mutate import MODEL_LEVEL, Mutant, baseline, mutants
from grader.audit.cases import Case, CaseFileError, case_submission, cases_of, mismatches
from grader.audit.changes import unified
from grader.grading.checklib import load_module
from grader.course.model import Exercise
from grader.grading.engine import grade
from grader.outcomes import Status
from grader.sandbox.session import Launcher

AUDIT_SEED = 20261121           # mutants are graded with this seed (and the probes recorded under RECORD_SEEDS)
RECORD_SEEDS = (1, 2, 3)
AUDIT_CONFIG = "audit.yaml"
KERAS_MUTANT_LIMIT = 24         # model-level mutants per Keras exercise: each grading trains small models

Progress = Callable[[int, int, str], None]   # (done, total, what)


@dataclass(frozen=True)
class MutantResult:
    mutant: Mutant
    equivalent: bool
    killed: bool = False
    score: float = 0.0
    max_score: float = 0.0
    status: str = ""
    differs_in: tuple[str, ...] = ()
    honest: tuple[str, ...] = ()       # "check: hint" pairs that name the mutant's mistake
    misleading: tuple[str, ...] = ()   # "check: hint" pairs that name a mistake it does not have
    accepted: str | None = None        # why the exercise's README accepts this change (audit.yaml `accepted`)
    explanation: tuple[str, ...] = ()  # for a misleading hint or a survivor: why, and what to do (grader.audit.explain)

    @property
    def survived(self) -> bool:
        return not self.equivalent and not self.killed


@dataclass(frozen=True)
class CaseResult:
    name: str
    kind: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ExerciseAudit:
    exercise: str
    reference: str                     # the reference as the mutants print it, for diffs
    results: tuple[MutantResult, ...]
    cases: tuple[CaseResult, ...]
    probes: int
    seconds: float
    problems: tuple[str, ...] = field(default_factory=tuple)   # the audit itself could not judge something
    rewrites: tuple[RewriteResult, ...] = ()   # equivalent rewrites: each must earn full marks
    mutants_run: bool = True                   # False with --rewrites-only

    @property
    def non_equivalent(self) -> list[MutantResult]:
        return [r for r in self.results if not r.equivalent]

    @property
    def killed(self) -> list[MutantResult]:
        return [r for r in self.non_equivalent if r.killed]

    @property
    def survivors(self) -> list[MutantResult]:
        return [r for r in self.results if r.survived]

    @property
    def hinted(self) -> list[MutantResult]:
        return [r for r in self.killed if r.honest]

    @property
    def misleading(self) -> list[MutantResult]:
        return [r for r in self.results if r.misleading]

    def figures(self) -> dict[str, float | int]:
        total = len(self.non_equivalent)
        return {"mutants": len(self.results), "equivalent": len(self.results) - total, "killed": len(self.killed),
                "survivors": len(self.survivors), "hinted": len(self.hinted), "misleading": len(self.misleading),
                "kill_rate": round(len(self.killed) / total, 4) if total else 1.0,
                "hint_rate": round(len(self.hinted) / total, 4) if total else 1.0,
                "case_failures": sum(1 for case in self.cases if case.problems),
                "rewrites": len(self.rewrites), "rewrites_full_marks": sum(r.full_marks for r in self.rewrites)}


def _audit_config(exercise: Exercise) -> dict:
    path = exercise.solution_dir / AUDIT_CONFIG
    config = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    return config if isinstance(config, dict) else {}


def random_functions(exercise: Exercise) -> set[str]:
    """Functions whose values are random draws (solutions/NN/audit.yaml `random:`): compared by shape only."""
    return set(_audit_config(exercise).get("random", []))


def accepted_changes(exercise: Exercise) -> dict[tuple[str, str], str]:
    """(function, change) -> why: mutants the README accepts as right (solutions/NN/audit.yaml `accepted:`, each
    with `function`, `change` as the audit words it, and `why`). They count as equivalent, and one that loses
    points is a problem: the checks would fail a right answer."""
    return {(item["function"], item["change"]): item["why"] for item in _audit_config(exercise).get("accepted", [])}


def _signatures(exercise: Exercise) -> dict[str, list[str]]:
    """Each reference function's parameters with defaults, last first (the probes leave them out)."""
    module = load_module(exercise.reference_path, f"audit_reference_{exercise.id}")
    found = {}
    for name, value in vars(module).items():
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            found[name] = [p.name for p in inspect.signature(value).parameters.values() if p.default is not p.empty]
    return found


def record_probes(exercise: Exercise, launcher: Launcher) -> tuple[list[Probe], list[str]]:
    """The calls the checks make on the reference under several seeds, widened; and any grading problem."""
    recorder = RecordingLauncher(launcher)
    problems = []
    for seed in RECORD_SEEDS:
        feedback = grade(exercise, exercise.reference_path, seed=seed, launcher=recorder)
        if feedback.score != feedback.max_score or feedback.status is not Status.GRADED or not feedback.checks:
            problems.append(f"the reference scores {feedback.score:g}/{feedback.max_score:g} under seed {seed}")
    keras = "tensorflow" in exercise.requires
    return widen(recorder.calls, _signatures(exercise), variants=1 if keras else 3), problems


def _hint_pairs(feedback) -> list[tuple[str, str]]:
    return [(check.id, check.hint.id) for check in feedback.checks if check.hint is not None]


class _Judge:
    """Decides whether a hint names a mistake the mutant has, from the hint's case files."""

    def __init__(self, reference: Behaviour, cases: dict[str, tuple[Case, Behaviour]], probes: list[Probe],
                 diffs: dict[str, str] | None = None) -> None:
        self.reference, self.cases, self.probes, self.diffs = reference, cases, probes, diffs or {}
        self.wrong_in = {name: differing(reference, seen, probes) for name, (_, seen) in cases.items()}

    def roots(self) -> dict[str, str]:
        """Every hint the cases list under `roots`, and its function."""
        return {hint: function for case, _ in self.cases.values() for hint, function in case.roots.items()}

    def declaring(self, hint: str) -> list[DeclaringCase]:
        """The mistake cases that declare `hint`, for the explanation of a misleading one."""
        return [DeclaringCase(case, seen, frozenset(self.wrong_in[name]), self.diffs.get(name, ""))
                for name, (case, seen) in self.cases.items() if hint in case.hints]

    def honest(self, hint: str, seen: Behaviour, differs: set[str]) -> bool:
        for name, (case, case_seen) in self.cases.items():
            if hint not in case.hints:
                continue
            if hint in case.roots:
                if case.roots[hint] in differs:
                    return True
            elif any(agrees_on(function, seen, case_seen, self.probes) for function in self.wrong_in[name]):
                return True
        return False


def audit_exercise(exercise: Exercise, launcher: Launcher, progress: Progress | None = None,
                   limit: int | None = None, rewrites_only: bool = False,
                   rewrite_limit: int | None = None) -> ExerciseAudit:
    """Mutants (check strength) and equivalent rewrites (fairness) of the exercise's reference."""
    started = time.monotonic()
    rewritten = audit_rewrites(exercise, launcher, progress, rewrite_limit)
    if rewrites_only:
        source = exercise.reference_path.read_text(encoding="utf-8")
        return ExerciseAudit(exercise.id, baseline(source), (), (), 0, round(time.monotonic() - started, 1), (),
                             rewritten, mutants_run=False)
    audit = _audit_mutants(exercise, launcher, progress, limit)
    return replace(audit, rewrites=rewritten, seconds=round(time.monotonic() - started, 1))


def _audit_mutants(exercise: Exercise, launcher: Launcher, progress: Progress | None,
                   limit: int | None) -> ExerciseAudit:
    started = time.monotonic()
    keras = "tensorflow" in exercise.requires
    source = exercise.reference_path.read_text(encoding="utf-8")
    found = mutants(source, MODEL_LEVEL if keras else None)
    limit = limit if limit is not None else (KERAS_MUTANT_LIMIT if keras else None)
    if limit is not None and len(found) > limit:
        step = len(found) / limit
        found = [found[int(i * step)] for i in range(limit)]
    cases = cases_of(exercise)
    total = len(found) + len(cases) + 2
    tell = progress or (lambda done, all_, what: None)
    tell(0, total, "recording the checks' calls")
    probes, problems = record_probes(exercise, launcher)
    randoms = random_functions(exercise)

    def observe(path: Path) -> Behaviour:
        seen = behaviour(path, exercise, probes, launcher)
        return tuple(skeleton(a) if p.function in randoms else a for p, a in zip(probes, seen))

    reference = observe(exercise.reference_path)
    keep = stable(reference, observe(exercise.reference_path))
    probes = [p for p, ok in zip(probes, keep) if ok]
    reference = tuple(a for a, ok in zip(reference, keep) if ok)
    tell(2, total, "grading the case files")
    case_results, case_behaviour, case_diffs = [], {}, {}
    for index, case in enumerate(cases):
        try:
            with case_submission(case) as submission:
                feedback = grade(exercise, submission, seed=AUDIT_SEED, launcher=launcher)
                case_results.append(CaseResult(case.name, case.kind, tuple(mismatches(case, feedback))))
                if case.kind == "mistake":
                    case_behaviour[case.name] = (case, observe(submission))
                    case_diffs[case.name] = unified(source, case.source(), ("reference", case.name))
        except CaseFileError as exc:   # its change no longer applies: reported, and it declares no hint meanwhile
            case_results.append(CaseResult(case.name, case.kind, (str(exc),)))
        tell(3 + index, total, f"case {case.name}")
    judge = _Judge(reference, case_behaviour, probes, case_diffs)
    accepted = accepted_changes(exercise)
    results: list[MutantResult] = []
    folder = Path(tempfile.mkdtemp(prefix="grader-mutants-"))
    try:
        for index, mutant in enumerate(found):
            results.append(_audit_mutant(exercise, source, mutant, folder, probes, reference, judge, launcher, observe))
            tell(3 + len(cases) + index, total, f"{mutant.id} {mutant.function}: {mutant.description}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    failed = [r.mutant.id for r in results if r.status == Status.GRADER_FAILED.value]
    if failed:
        problems.append(f"the grader failed on {len(failed)} mutants ({', '.join(failed[:8])}); they count as survivors")
    results, wrongly_failed = apply_accepted(results, accepted)
    problems += wrongly_failed
    tell(total, total, "done")
    return ExerciseAudit(exercise.id, baseline(source), tuple(results), tuple(case_results), len(probes),
                         round(time.monotonic() - started, 1), tuple(problems))


def apply_accepted(results: list[MutantResult], accepted: dict[tuple[str, str], str]) -> tuple[list[MutantResult], list[str]]:
    """Mutants whose change the README accepts count as equivalent; each that lost points is a problem."""
    settled, problems = [], []
    for result in results:
        why = accepted.get((result.mutant.function, result.mutant.description))
        if why is None:
            settled.append(result)
            continue
        settled.append(replace(result, equivalent=True, accepted=why, honest=(), misleading=(), explanation=()))
        if result.killed:
            problems.append(f"{result.mutant.id} ({result.mutant.function}: {result.mutant.description}) loses points, "
                            f"but the README accepts it: {why}")
    return settled, problems


def _audit_mutant(exercise: Exercise, source: str, mutant: Mutant, folder: Path, probes: list[Probe],
                  reference: Behaviour, judge: _Judge, launcher: Launcher,
                  observe: Callable[[Path], Behaviour]) -> MutantResult:
    path = folder / mutant.id / exercise.entry
    path.parent.mkdir()
    path.write_text(mutant.source, encoding="utf-8")
    seen = observe(path)
    differs = differing(reference, seen, probes)
    feedback = grade(exercise, path, seed=AUDIT_SEED, launcher=launcher)
    killed = feedback.status is not Status.GRADER_FAILED and feedback.score < feedback.max_score
    if not differs:
        return MutantResult(mutant, equivalent=True, killed=killed, score=feedback.score, max_score=feedback.max_score,
                            status=feedback.status.value)
    honest: list[str] = []
    misleading: list[str] = []
    for check_id, hint in _hint_pairs(feedback):
        (honest if judge.honest(hint, seen, differs) else misleading).append(f"{check_id}: {hint}")
    explanation = [] if killed else survivor_lines(probes, reference, seen)
    if misleading:
        change, text = mutant_change(source, mutant)
        addition = case_to_add(source, mutant, text, feedback, judge.roots()) if text is not None else None
        declaring = {hint: judge.declaring(hint) for hint in {pair.split(": ", 1)[1] for pair in misleading}}
        explanation += misleading_lines(misleading, declaring, seen, differs, probes, exercise.id, change, addition)
    return MutantResult(mutant, False, killed, feedback.score, feedback.max_score, feedback.status.value,
                        tuple(sorted(differs)), tuple(honest), tuple(misleading), explanation=tuple(explanation))
