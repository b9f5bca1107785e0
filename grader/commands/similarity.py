"""`grade batch ... --similarity` and `grade similarity OUT --exercise ID`: the options and what they run.

Numpy and scipy are imported only when a comparison runs, so `grade EXERCISE_DIR` stays as quick to start as it was.
`grade batch` writes its exports first and then calls `batch_similarity`, which never fails the batch:
a similarity that fails is a warning, and the exports stay as they were written.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from grader.commands.common import course_parser, exercise_named, find_course
from grader.errors import UsageError
from grader.exitcodes import ExitCode
from grader.extras import require
from grader.similarity import DEFAULT_THRESHOLD
from grader.text import one_line

if TYPE_CHECKING:
    from markupsafe import Markup
    from rich.console import Console

    from grader.course.model import Exercise



def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give a share such as 0.5") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value:g} is not a share: give a number above 0 and at most 1, such as 0.5")
    return value


def add_options(parser: argparse.ArgumentParser, *, flag: bool) -> None:
    """The similarity options of a parser; `flag` adds --similarity itself (for `grade batch`)."""
    if flag:
        parser.add_argument("--similarity", action="store_true",
                            help="also compare every pair of submissions, offline: OUT/similarity.csv and a section "
                                 "of OUT/report.html with the pairs that look copied. What the exercise dictates "
                                 "(the stub, the README's and the lab's code, what its correct solutions share) is "
                                 "not counted; identical files are always reported, files that are little more than "
                                 "the stub never")
    parser.add_argument("--similarity-threshold", *([] if flag else ["--threshold"]), type=_threshold, default=DEFAULT_THRESHOLD, metavar="SHARE",
                        help="report pairs sharing at least this share of the smaller submission's fingerprints, "
                             f"beyond what the exercise dictates (default {DEFAULT_THRESHOLD}). Measured by "
                             "benchmarks/similarity_distributions.py on exercises 02, 05 and 06 (222 pairs of "
                             "independent correct solutions, 222 planted copies): independent solutions score at "
                             "most 0.24 (0.37 when the reference is the only correct solution, as in the exercises "
                             "without independent ones); renamed, reordered, re-commented or dead-code copies score "
                             "0.47 or more (one 0.43), except copies of code the exercise dictates almost entirely "
                             "(37 of 222), which no threshold tells from honest work")


def similarity_sections(out: Path, exercise: Exercise, threshold: float, console: Console,
                        submissions: Path | None = None) -> list[Markup]:
    """Compare the batch in OUT, write OUT/similarity.csv, say what was found; the report's section."""
    require("similarity", "grade similarity")
    from grader.similarity.batch import CSV_NAME, NothingToCompare, run_similarity
    from grader.similarity.compare import SimilarityOptions
    from grader.similarity.report import similarity_section

    try:
        result, documents = run_similarity(out, exercise, SimilarityOptions(threshold=threshold), submissions)
    except NothingToCompare as exc:
        raise UsageError(str(exc)) from None
    unpaired = len(result.unpaired)
    cut = sum(1 for pair in result.pairs if pair.note)
    parts = [f"{result.compared} submissions compared", f"{len(result.pairs)} pairs at or above {threshold:g}",
             f"{len(result.skipped)} not compared"]
    if result.partial:
        parts.append(f"{len(result.partial)} compared in part")
    if result.too_little:
        parts.append(f"{len(result.too_little)} with too little code of their own to be paired")
    if unpaired:
        parts.append(f"the {unpaired * (unpaired - 1) // 2} pairs among {unpaired} submissions not compared "
                     f"({result.unpaired_why})")
    if cut:
        parts.append(f"{cut} pairs not compared in full")
    console.print(one_line(f"similarity: {', '.join(parts)}: {out / CSV_NAME}", 1000), markup=False)
    for pair in result.pairs[:5]:
        console.print(f"  {pair.score:.0%}  {one_line(pair.a)}  {one_line(pair.b)}", markup=False)
    return [similarity_section(result, documents)]


def batch_similarity(out: Path, exercise: Exercise, threshold: float, console: Console) -> bool:
    """`grade batch --similarity`, once the batch's exports are written: compare, then write report.html again
    with the similarity section. Whatever fails here is a warning and leaves the exports as they are; True
    when the report has its section."""
    from grader.batch.outputs import write_exports

    try:
        write_exports(out, exercise, similarity_sections(out, exercise, threshold, console))
        return True
    except Exception as exc:  # noqa: BLE001 - an optional stage: the grades are written and stay correct
        console.print(one_line(f"warning: similarity was not completed ({type(exc).__name__}: {exc}); grades.csv, "
                               f"students.csv, the Gradescope results and report.html are written without it. "
                               f"Run `grade similarity {out} --exercise {exercise.id}` to try again.", 1000),
                      markup=False)
        return False


def run(argv: list[str]) -> ExitCode:
    """`grade similarity OUT --exercise ID`: compare a batch graded earlier and rewrite its report."""
    from rich.console import Console

    from grader.batch.outputs import write_exports

    parser = course_parser("grade similarity", "Compare every pair of a graded batch's submissions (offline) and "
                            "write OUT/similarity.csv and the similarity section of OUT/report.html.")
    parser.add_argument("out", metavar="OUT", type=Path, help="the --out folder of `grade batch`")
    parser.add_argument("--exercise", required=True, help="the exercise id the batch graded, e.g. 02_backprop")
    parser.add_argument("--submissions", metavar="FOLDER", type=Path,
                        help="where the submissions are now, if they moved since grading (default: the files the "
                             "feedback names)")
    add_options(parser, flag=False)
    options = parser.parse_args(argv)
    exercise = exercise_named(find_course(options.course), options.exercise)
    if not options.out.is_dir():
        raise UsageError(f"there is no folder {options.out}; give the --out folder of `grade batch`")
    if options.submissions is not None and not options.submissions.is_dir():
        raise UsageError(f"there is no folder {options.submissions}")
    console = Console(stderr=True, highlight=False)
    sections = similarity_sections(options.out, exercise, options.similarity_threshold, console, options.submissions)
    paths = write_exports(options.out, exercise, sections)
    console.print(f"report: {paths.report}", markup=False)
    return ExitCode.OK
