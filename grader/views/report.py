"""The instructor's report: one self-contained HTML file (inline SVG, no scripts, nothing fetched)."""

from __future__ import annotations

import html
from collections import Counter
from typing import Any, Iterable

from grader.text import one_line
from grader.views.rows import MAX_NOTE_CHARS, StudentRow
from grader.outcomes import Outcome, Status

BAR_HEIGHT = 22
CHART_WIDTH = 640


MAX_ID_CHARS = 120


def _escape(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _student_text(text: Any, limit: int) -> str:
    """A string a student controls (an id, a note quoting their error): on one line, without terminal or bidi
    controls, bounded, then escaped."""
    return _escape(one_line(str(text), limit))


def _histogram(percentages: list[float]) -> str:
    bins = [0] * 11   # 0-9, 10-19, ..., 90-99, 100
    for value in percentages:
        bins[min(int(value // 10), 10)] += 1
    labels = [f"{10 * i}–{10 * i + 9}%" for i in range(10)] + ["100%"]
    tallest = max(bins) or 1
    width, height, gap = 52, 180, 6
    bars = []
    for index, count in enumerate(bins):
        bar = round(height * count / tallest)
        x = 40 + index * (width + gap)
        bars.append(f'<rect x="{x}" y="{20 + height - bar}" width="{width}" height="{bar}" fill="#3b7dd8">'
                    f'<title>{labels[index]}: {count}</title></rect>'
                    f'<text x="{x + width / 2}" y="{14 + height - bar}" text-anchor="middle" font-size="12">{count}</text>'
                    f'<text x="{x + width / 2}" y="{height + 38}" text-anchor="middle" font-size="10">{labels[index]}</text>')
    total_width = 40 + 11 * (width + gap)
    return (f'<svg role="img" aria-label="score distribution" width="{total_width}" height="{height + 50}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg>')


def _pass_rates(rates: list[tuple[str, float, int]]) -> str:
    label_width = 300
    rows = []
    for index, (name, rate, count) in enumerate(rates):
        y = index * (BAR_HEIGHT + 6)
        bar = round((CHART_WIDTH - label_width - 60) * rate)
        colour = "#2e9e5b" if rate >= 0.7 else ("#e0a020" if rate >= 0.4 else "#d04437")
        rows.append(f'<text x="0" y="{y + 15}" font-size="12">{_escape(name[:48])}</text>'
                    f'<rect x="{label_width}" y="{y}" width="{bar}" height="{BAR_HEIGHT}" fill="{colour}">'
                    f'<title>{_escape(name)}: {rate:.0%} of {count}</title></rect>'
                    f'<text x="{label_width + bar + 6}" y="{y + 15}" font-size="12">{rate:.0%}</text>')
    height = max(1, len(rates)) * (BAR_HEIGHT + 6)
    return (f'<svg role="img" aria-label="pass rate per check" width="{CHART_WIDTH}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(rows)}</svg>')


def _student_row(row: StudentRow) -> str:
    feedback = row.feedback
    score = f"{feedback.score:g} / {feedback.max_score:g}" if feedback else "–"
    return (f'<tr><td class="student">{_student_text(row.student, MAX_ID_CHARS)}</td><td class="score">{score}</td>'
            f'<td class="status">{_student_text(row.status, MAX_ID_CHARS)}</td>'
            f'<td class="reason">{_student_text(row.note, MAX_NOTE_CHARS)}</td></tr>')


def build_report(exercise_id: str, title: str, rows: Iterable[StudentRow], sections: Iterable[str] = ()) -> str:
    """The page: the numbers, then every student (id, score, status, reason), then the charts, the hints and
    `sections`: finished HTML fragments (their builders escape what they show), such as similarity."""
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
    rates = [(f"{check_id}", passed / total if total else 0.0, total) for check_id, (passed, total) in check_totals.items()]

    mean = sum(percentages) / len(percentages) if percentages else 0.0
    median = sorted(percentages)[len(percentages) // 2] if percentages else 0.0
    status_rows = "".join(f"<tr><td>{_student_text(s, MAX_ID_CHARS)}</td><td>{n}</td></tr>" for s, n in sorted(statuses.items(), key=lambda item: (-item[1], item[0])))
    hint_rows = "".join(f"<tr><td>{n}</td><td><code>{_escape(h)}</code></td><td>{_escape(hint_texts[h])}</td></tr>"
                        for h, n in sorted(hints.items(), key=lambda item: (-item[1], item[0]))[:10]) or '<tr><td colspan="3">No hints were given.</td></tr>'
    student_rows = "".join(_student_row(row) for row in rows) or '<tr><td colspan="4">No students.</td></tr>'
    check_rows = "".join(f"<tr><td><code>{_escape(c)}</code></td><td>{_escape(names[c])}</td><td>{rate:.0%}</td></tr>"
                         for c, rate, _ in rates)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{_escape(exercise_id)}: grading report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 960px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; }}
td, th {{ border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }}
td.score {{ white-space: nowrap; text-align: right; }} td.status {{ white-space: nowrap; }}
td.reason, td.student {{ overflow-wrap: anywhere; }}
.numbers {{ display: flex; gap: 2rem; }} .numbers div {{ font-size: 1.4rem; }}
</style></head><body>
<h1>{_escape(exercise_id)}: {_escape(title)}</h1>
<div class="numbers"><div>{len(rows)} students</div><div>{len(graded)} graded</div>
<div>mean {mean:.0f}%</div><div>median {median:.0f}%</div></div>
<h2>Students</h2>
<p>The reason names what stopped a submission: a syntax error (with its cell and line), a timeout, a limit
(time, memory, processes, file size, output) and the checks it stopped, a grader failure, or why nothing was graded.</p>
<table id="students"><tr><th>student</th><th>score</th><th>status</th><th>reason</th></tr>{student_rows}</table>
<h2>Statuses</h2>
<table><tr><th>status</th><th>students</th></tr>{status_rows}</table>
<h2>Score distribution</h2>
{_histogram(percentages)}
<h2>Pass rate per check</h2>
{_pass_rates(rates)}
<table><tr><th>check</th><th>name</th><th>passed</th></tr>{check_rows}</table>
<h2>Most frequent hints</h2>
<table><tr><th>students</th><th>hint</th><th>text</th></tr>{hint_rows}</table>
{"".join(sections)}
</body></html>
"""
