"""`grade batch SUBMISSIONS --exercise ID --out DIR`: grade a class in parallel and resumably, then write the
gradebook's exports (and, when asked, the similarity of every pair)."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
from pathlib import Path

from grader.commands import similarity
from grader.commands.common import console, course_parser, exercise_named, find_course
from grader.errors import UsageError
from grader.exitcodes import ExitCode
from grader.text import one_line


def parser() -> argparse.ArgumentParser:
    from grader.cluster.connect import add_options as cluster_options

    result = course_parser(
        "grade batch", "Grade every student's submission of one exercise, in parallel and resumably.",
        epilog="Re-running the same command grades only what is missing, changed, or failed inside the grader.")
    result.add_argument("submissions", metavar="SUBMISSIONS", type=Path,
                        help="a folder with one file or folder per student (its name is the student id), Canvas's or "
                             "Moodle's submission download (ids, names and lateness read from the LMS's names; "
                             "docs/lms.md), or a zip of one")
    result.add_argument("--exercise", required=True, help="the exercise id, e.g. 02_backprop")
    result.add_argument("--out", required=True, type=Path, help="where feedback, gradebook.sqlite and the exports go")
    result.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers (default: all cores)")
    result.add_argument("--seed", type=int, help="one seed for every submission (default: derived from each file "
                                                  "and the batch's secret key, OUT/seed.key)")
    regrade = result.add_mutually_exclusive_group()
    regrade.add_argument("--preview", action="store_true",
                         help="grade everything again with the current checks into OUT/preview and show whose score "
                              "changes and which checks changed their verdict (also OUT/preview.csv); OUT's gradebook "
                              "and exports stay as they are")
    regrade.add_argument("--apply", action="store_true",
                         help="grade everything again and publish it into OUT's gradebook and exports (after --preview)")
    result.add_argument("--allow-weak-isolation", action="store_true",
                        help="grade in plain child processes when bubblewrap is unavailable (not recommended)")
    similarity.add_options(result, flag=True)
    cluster_options(result)
    return result


LMS_FOLDERS = "lms-folders"   # OUT/lms-folders/<student>: the several files an LMS download gave one student


def _submissions_folder(source: Path, out: Path, report) -> tuple[Path, dict[str, str]]:
    """The folder of submissions: SUBMISSIONS itself, or the zip extracted into OUT/extracted (and what it skipped)."""
    from grader.labcode.safezip import extract

    if not source.exists():
        raise UsageError(f"there is no folder or zip archive {source}")
    if not out.parent.is_dir():
        raise UsageError(f"--out {out}: its folder {out.parent} does not exist; create it first")
    if out.resolve().is_relative_to(source.resolve()) and source.is_dir():
        raise UsageError(f"--out {out} is inside the submissions folder {source}; choose a folder outside it")
    out.mkdir(parents=True, exist_ok=True)
    if not source.is_file():
        return source, {}
    folder = out / "extracted"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    skipped = {item.name: item.reason for item in extract(source, folder)}
    for name, reason in skipped.items():
        report(f"skipped {one_line(name)!r} from the archive: {one_line(reason)}")
    return folder, skipped


def _read_download(collected, report) -> list:
    """Say which format the submissions were read in, and list what did not fit it: never a silent guess."""
    reading = collected.reading
    report(f"read {one_line(str(len(collected.entries)))} students from {reading.shown}")
    for name in reading.unmatched:
        report(f"not named as in {reading.shown}, graded under its own name: {one_line(name)!r}")
    for name in collected.not_submissions:
        report(f"not a file submission (Moodle's online text), not graded: {one_line(name)!r}")
    for entry in collected.entries:
        if entry.superseded:
            report(f"{one_line(entry.student)}: graded the latest upload {one_line(entry.submitted_as)!r}, not the "
                   f"earlier {', '.join(repr(one_line(name)) for name in entry.superseded)}")
    return collected.entries


def _regraded(out: Path, scratch: Path, exercise, preview: bool, fingerprint: str, console) -> bool:
    """Show what the regrade in `scratch` changes (and write OUT/preview.csv); publish it into OUT unless this is a
    preview. Whether OUT's exports are to be written."""
    from grader.atomic import write_text_atomically
    from grader.batch import regrade

    changes = regrade.compare(out, scratch, exercise.id)
    write_text_atomically(regrade.preview_csv(changes), out / regrade.PREVIEW_CSV)
    console.print(f"{len(changes)} students' scores or check verdicts change with the current checks (details: "
                  f"{out / regrade.PREVIEW_CSV}):", markup=False, soft_wrap=True)
    for change in changes:
        console.print("  " + one_line(regrade.shown(change), 600), markup=False, soft_wrap=True)
    if preview:
        console.print("Nothing was published: OUT's gradebook and exports are as they were. Publish with --apply.",
                      markup=False, soft_wrap=True)
        return False
    published = regrade.adopt(out, scratch, exercise.id)
    shutil.rmtree(scratch, ignore_errors=True)
    console.print(f"published the regrade of {published} students into {out}", markup=False, soft_wrap=True)
    return True


def run(argv: list[str]) -> ExitCode:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from grader.batch.collect import gather
    from grader.batch.outputs import write_exports
    from grader.batch import regrade
    from grader.batch.runner import run_batch
    from grader.cluster.connect import connected, target_of, workers_note
    from grader.sandbox.launchers import BwrapLauncher, choose_launcher

    options = parser().parse_args(argv)
    course = find_course(options.course)
    exercise = exercise_named(course, options.exercise)
    cluster = target_of(options)
    # On a cluster, the workers' bubblewrap matters, not this machine's.
    strong = not options.allow_weak_isolation if cluster else \
        isinstance(choose_launcher(require_strong=True, allow_weak=options.allow_weak_isolation), BwrapLauncher)
    out = console(stderr=True, highlight=False)
    source, skipped = _submissions_folder(options.submissions, options.out, lambda line: out.print(line, markup=False))
    entries = _read_download(gather(source, exercise, skipped, staging=options.out / LMS_FOLDERS),
                             lambda line: out.print(line, markup=False, soft_wrap=True))
    if not entries:
        raise UsageError(f"{options.submissions} holds no submissions (no .py, .ipynb, folder or .zip of a student); "
                         f"nothing was graded")
    fingerprint = regrade.checks_fingerprint(exercise)
    regrading = options.preview or options.apply or regrade.checks_changed(options.out, exercise, fingerprint)
    if regrading and not (options.preview or options.apply):
        out.print("The checks changed since OUT was graded: every submission is graded again (grade batch ... --preview "
                  "shows what changes before publishing).", markup=False)
    target = regrade.scratch(options.out) if regrading else options.out
    if not strong:
        out.print("[yellow]Grading without bubblewrap: submissions run as plain processes (--allow-weak-isolation).[/yellow]")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())
    with contextlib.ExitStack() as stack, Progress(*columns, console=out, transient=False) as progress:
        task = progress.add_task(f"grading {exercise.id}", total=None)

        def advance(total: int, done: int, student: str) -> None:
            progress.update(task, total=total, completed=done, description=f"grading {exercise.id} ({student})")

        dispatch, where = None, None
        if cluster is not None:
            from grader.cluster.dispatch import cluster_dispatch, cluster_where

            client = stack.enter_context(connected(cluster))
            out.print(f"grading on {cluster.address}: {workers_note(client)}", markup=False)
            dispatch, where = cluster_dispatch(client, course, exercise, strong), cluster_where(cluster.address)
        summary = run_batch(course.manifest_path, exercise.id, entries, target, jobs=max(1, options.jobs),
                            strong=strong, seed=options.seed, on_progress=advance, dispatch=dispatch, where=where)
    if regrading and not _regraded(options.out, target, exercise, options.preview, fingerprint, out):
        return ExitCode.GRADER_FAILED if summary.grader_failures else ExitCode.OK
    regrade.record_checks(options.out, exercise, fingerprint)
    paths = write_exports(options.out, exercise)   # before similarity: the grades never wait for it, nor fail with it
    out.print(f"{summary.total} students: {summary.graded} graded, {summary.unchanged} unchanged since the last run, "
              f"{summary.problems} without a gradable file, {summary.grader_failures} grader failures "
              f"({summary.retried} retried) in {summary.wall_s:.1f} s", markup=False)
    out.print(f"gradebook: {options.out / 'gradebook.sqlite'}\nCSV: {paths.csv}\nstudent ids: {paths.students}\n"
              f"report: {paths.report}\n"
              f"Gradescope results: {paths.gradescope}/<student>/results.json", markup=False)
    if options.similarity:   # an optional stage: a failure is a warning, and report.html gains its section if it succeeds
        similarity.batch_similarity(options.out, exercise, options.similarity_threshold, out)
    return ExitCode.GRADER_FAILED if summary.grader_failures else ExitCode.OK
