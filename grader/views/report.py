"""The instructor's report: one self-contained HTML file (inline SVG, no scripts, nothing fetched).

`build_report` reduces the students' rows to a `ReportPage` of plain values (student text already on one
printable, bounded line) and `templates/report.html.j2` lays it out; the page layer escapes every value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup

from grader.outcomes import Outcome, Status
from grader.text import one_line
from grader.views.pages import render
from grader.views.rows import MAX_NOTE_CHARS, StudentRow

BAR_HEIGHT = 22
CHART_WIDTH = 640
PASS_RATE_LABEL_WIDTH = 300
HISTOGRAM_BAR_WIDTH, HISTOGRAM_HEIGHT, HISTOGRAM_GAP = 52, 180, 6
MAX_ID_CHARS = 120
MAX_HINTS = 10


@dataclass(frozen=True)
class StudentLine:
    student: str
    score: str    # "30/30": one unbreakable word, as the page shows it
    late: str
    status: str
    reason: str


@dataclass(frozen=True)
class StatusLine:
    status: str
    students: int


@dataclass(frozen=True)
class HintLine:
    students: int   # how many students got the hint at least once
    id: str
    text: str


@dataclass(frozen=True)
class HistogramBar:
    x: int
    top: int
    width: int
    height: int
    middle: float
    label: str
    count: int


@dataclass(frozen=True)
class Histogram:
    width: int
    height: int
    label_y: int
    bars: tuple[HistogramBar, ...]


@dataclass(frozen=True)
class PassRateBar:
    check: str
    name: str
    rate: float
    count: int
    y: int
    width: int
    height: int
    colour: str


@dataclass(frozen=True)
class PassRates:
    width: int
    height: int
    label_width: int
    bars: tuple[PassRateBar, ...]


@dataclass(frozen=True)
class ReportPage:
    exercise_id: str
    title: str
    students: tuple[StudentLine, ...]
    graded: int
    mean: float
    median: float
    statuses: tuple[StatusLine, ...]
    histogram: Histogram
    pass_rates: PassRates
    hints: tuple[HintLine, ...]
    sections: tuple[Markup, ...]


def _histogram(percentages: list[float]) -> Histogram:
    bins = [0] * 11   # 0-9, 10-19, ..., 90-99, 100
    for value in percentages:
        bins[min(int(value // 10), 10)] += 1
    labels = [f"{10 * i}–{10 * i + 9}%" for i in range(10)] + ["100%"]
    tallest = max(bins) or 1
    width, height, gap = HISTOGRAM_BAR_WIDTH, HISTOGRAM_HEIGHT, HISTOGRAM_GAP
    bars = []
    for index, count in enumerate(bins):
        bar = round(height * count / tallest)
        x = 40 + index * (width + gap)
        bars.append(HistogramBar(x, 20 + height - bar, width, bar, x + width / 2, labels[index], count))
    return Histogram(40 + 11 * (width + gap), height + 50, height + 38, tuple(bars))


def _colour(rate: float) -> str:
    return "#2e9e5b" if rate >= 0.7 else ("#e0a020" if rate >= 0.4 else "#d04437")


def _pass_rates(check_totals: dict[str, list[int]], names: dict[str, str]) -> PassRates:
    bars = []
    for index, (check_id, (passed, total)) in enumerate(check_totals.items()):
        rate = passed / total if total else 0.0
        width = round((CHART_WIDTH - PASS_RATE_LABEL_WIDTH - 60) * rate)
        bars.append(PassRateBar(check_id, names[check_id], rate, total, index * (BAR_HEIGHT + 6), width, BAR_HEIGHT,
                                _colour(rate)))
    height = max(1, len(bars)) * (BAR_HEIGHT + 6)
    return PassRates(CHART_WIDTH, height, PASS_RATE_LABEL_WIDTH, tuple(bars))


def _student_line(row: StudentRow) -> StudentLine:
    """A student's id, status and note are text the student controls (a file name, their error): each on one
    line, without terminal or bidi controls, bounded."""
    feedback = row.feedback
    score = f"{feedback.score:g}/{feedback.max_score:g}" if feedback else "–"
    return StudentLine(one_line(str(row.student), MAX_ID_CHARS), score, one_line(row.late, MAX_NOTE_CHARS),
                       one_line(str(row.status), MAX_ID_CHARS), one_line(row.note, MAX_NOTE_CHARS))


def report_page(exercise_id: str, title: str, rows: Iterable[StudentRow], sections: Iterable[Markup] = ()) -> ReportPage:
    """What the page shows, in the order it shows it; the same rows in any order give the same hints and statuses."""
    rows = list(rows)
    graded = [row.feedback for row in rows if row.feedback is not None and row.feedback.status is not Status.GRADER_FAILED]
    percentages = [100.0 * f.score / f.max_score if f.max_score else 0.0 for f in graded]
    statuses = Counter(row.status for row in rows)

    check_totals: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    hints: Counter = Counter()   # hint id -> how many students got it (at least once)
    hint_texts: dict[str, str] = {}
    for feedback in graded:
        given: set[str] = set()
        for check in feedback.checks:
            passed_total = check_totals.setdefault(check.id, [0, 0])
            passed_total[0] += check.outcome is Outcome.PASSED
            passed_total[1] += 1
            names[check.id] = check.name
            if check.hint is not None:
                given.add(check.hint.id)
                known = hint_texts.get(check.hint.id)   # the same text whatever order the students came in
                hint_texts[check.hint.id] = check.hint.text if known is None else min(known, check.hint.text)
        hints.update(given)

    return ReportPage(
        exercise_id, title, tuple(_student_line(row) for row in rows), len(graded),
        mean=sum(percentages) / len(percentages) if percentages else 0.0,
        median=sorted(percentages)[len(percentages) // 2] if percentages else 0.0,
        statuses=tuple(StatusLine(one_line(str(status), MAX_ID_CHARS), count)
                       for status, count in sorted(statuses.items(), key=lambda item: (-item[1], item[0]))),
        histogram=_histogram(percentages), pass_rates=_pass_rates(check_totals, names),
        hints=tuple(HintLine(count, hint, hint_texts[hint])
                    for hint, count in sorted(hints.items(), key=lambda item: (-item[1], item[0]))[:MAX_HINTS]),
        sections=tuple(sections))


def build_report(exercise_id: str, title: str, rows: Iterable[StudentRow], sections: Iterable[Markup] = ()) -> str:
    """The page: the numbers, then every student (id, score, lateness, status, reason) where an instructor looks
    first, then the charts, the hints and `sections`: sections rendered by the page layer (similarity, where it
    was graded); a plain string is shown as text."""
    return str(render("report.html.j2", page=report_page(exercise_id, title, rows, sections)))
