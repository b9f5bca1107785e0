"""`grade audit [EXERCISE ...]`: how strong are the checks, and are the hints honest?"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from grader.audit.report import meets_targets, write_report
from grader.audit.run import ExerciseAudit, audit_exercise
from grader.commands.common import add_course_option, exercises_named, find_course
from grader.exitcodes import ExitCode

COLUMNS = ("mutants", "killed", "equivalent", "survivors", "hinted", "misleading", "rewrites", "rewrites_full_marks")


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="grade audit", description="Grade mutants of each reference solution in the warm sandbox and report "
        "how many lose points, how many get a hint naming their mistake, and which hints mislead.")
    result.add_argument("exercises", nargs="*", metavar="EXERCISE", help="exercise ids (default: all)")
    add_course_option(result)
    result.add_argument("--out", metavar="DIR", type=Path, default=Path("audit"),
                        help="where audit.json and audit.html go (default: ./audit)")
    result.add_argument("--limit", type=int, metavar="N", help="audit at most N mutants per exercise (evenly spread)")
    result.add_argument("--rewrites-only", action="store_true",
                        help="grade only the equivalent rewrites of each reference (fairness), not the mutants")
    result.add_argument("--rewrite-limit", type=int, metavar="N",
                        help="grade at most N rewrites per exercise (default: all for numpy exercises; for Keras "
                             "every single style and pairs up to 20)")
    return result


def _launcher(requires: tuple[str, ...]):
    from grader.sandbox.policy import preload_for
    from grader.sandbox.warm_launcher import WarmTemplateLauncher

    return WarmTemplateLauncher(preload=preload_for(requires))


def summary_line(audit: ExerciseAudit) -> str:
    figures = audit.figures()
    return (f"{audit.exercise:26} " + " ".join(f"{figures[key]:>{len(key)}}" for key in COLUMNS)
            + (f"  {figures['kill_rate']:>6.1%} {figures['hint_rate']:>6.1%}" if audit.mutants_run else f"  {'-':>6} {'-':>6}")
            + f"  {audit.seconds:>6.1f}s  "
            + ("ok" if meets_targets(audit) else "BELOW TARGET"))


def run(argv: list[str]) -> ExitCode:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    options = parser().parse_args(argv)
    course = find_course(options.course)
    chosen = exercises_named(course, options.exercises) or list(course.exercises)
    console = Console(stderr=True, highlight=False)
    audits: list[ExerciseAudit] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        for exercise in chosen:
            task = progress.add_task(f"auditing {exercise.id}", total=None)

            def advance(done: int, total: int, what: str, task=task, name=exercise.id) -> None:
                progress.update(task, total=total, completed=done, description=f"auditing {name}: {what[:50]}")

            launcher = _launcher(exercise.requires)
            try:
                audits.append(audit_exercise(exercise, launcher, advance, options.limit, options.rewrites_only,
                                             options.rewrite_limit))
            finally:
                launcher.close()
            progress.remove_task(task)
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"{'exercise':26} " + " ".join(COLUMNS) + "  killed hinted    time", markup=False)
    for audit in audits:
        out.print(summary_line(audit), markup=False)
        for problem in audit.problems:
            out.print(f"  problem: {problem}", markup=False)
        for rewrite in audit.rewrites:
            for lost in rewrite.lost:
                out.print(f"  rewrite {rewrite.id} ({rewrite.style}) loses points: {lost}", markup=False)
        for case in audit.cases:
            if case.problems:
                out.print(f"  case {case.name}: {'; '.join(case.problems)}".replace("\n", "\n    "), markup=False)
        for result in audit.results:   # survivors and misleading hints: why, and what to do
            if result.explanation:
                out.print(f"  {result.mutant.id} {result.mutant.function}: {result.mutant.description}", markup=False)
                for line in result.explanation:
                    out.print(f"    {line}", markup=False)
    json_path, html_path = write_report(audits, options.out)
    out.print(f"report: {json_path} and {html_path}", markup=False)
    return ExitCode.OK if all(meets_targets(audit) for audit in audits) else ExitCode.VALIDATION_FAILED
