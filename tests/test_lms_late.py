"""The late policy (issue 26 item 3): course.yaml's due and late keys, with path:line errors, and the arithmetic."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import datetime, timezone

import pytest

from conftest import ROOT
from grader.course.manifest import ManifestError, load_course
from grader.course.model import LatePolicy
from grader.lms.late import lateness

BASE = load_course(ROOT / "course.yaml").exercise("02_backprop")
DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)


def course_with(tmp_path, extra: str):
    folder = tmp_path / "course"
    shutil.copytree(ROOT / "exercises", folder / "exercises")
    text = (ROOT / "course.yaml").read_text().replace("    entry: backprop.py\n", "    entry: backprop.py\n" + extra, 1)
    (folder / "course.yaml").write_text(text)
    return folder / "course.yaml"


def test_course_yaml_gives_due_and_late(tmp_path):
    manifest = course_with(tmp_path, "    due: 2026-12-01T23:59:00+00:00\n    late: {window_days: 7, penalty_per_day: 0.1}\n")
    exercise = load_course(manifest).exercise("02_backprop")
    assert exercise.due == DUE and exercise.late == LatePolicy(7, 0.1, 0.0)


@pytest.mark.parametrize("extra, words", [
    ("    due: 2026-12-01T23:59:00\n", "time zone"),
    ("    due: 2026-12-01\n", "time zone"),
    ("    late: {flat: 0.2}\n", "due"),
    ("    due: 2026-12-01T23:59:00Z\n    late: {flat: 0.2, penalty_per_day: 0.1}\n", "not both"),
    ("    due: 2026-12-01T23:59:00Z\n    late: {flat: 2}\n", "maximum"),
    ("    due: 2026-12-01T23:59:00Z\n    late: {weekly: 1}\n", "unknown key"),
])
def test_a_broken_late_policy_names_its_line(tmp_path, extra, words):
    manifest = course_with(tmp_path, extra)
    with pytest.raises(ManifestError) as caught:
        load_course(manifest, strict=True)   # a broken entry alone leaves only its exercise out
    text = str(caught.value)
    assert f"{manifest}:" in text and words in text


def exercise(**policy):
    return dataclasses.replace(BASE, due=DUE, late=LatePolicy(**policy) if policy else None)


def at(hours: float) -> str:
    return datetime.fromtimestamp(DUE.timestamp() + hours * 3600, timezone.utc).isoformat()


def test_per_day_flat_window_and_on_time():
    assert lateness(exercise(penalty_per_day=0.1), None, None, at(-1)).penalty == 0
    two_days = lateness(exercise(penalty_per_day=0.1), None, None, at(25))   # a started second day counts
    assert (two_days.days, two_days.penalty, two_days.applied(30)) == (2, 0.2, 24.0)
    assert "modification time" in two_days.note and "20%" in two_days.note
    assert lateness(exercise(flat=0.2), "moodle", None, at(100)).penalty == 0.2
    assert "Moodle's download holds no submission time" in lateness(exercise(flat=0.2), "moodle", None, at(1)).note
    past = lateness(exercise(window_days=3, penalty_per_day=0.1), None, None, at(73))
    assert past.penalty == 1 and past.applied(30) == 0 and "past the late window of 3 days: 0" in past.note


def test_canvas_late_marker_is_the_word_that_counts():
    assert lateness(exercise(penalty_per_day=0.1), "canvas", False, at(500)).penalty == 0   # LATE absent: on time
    late = lateness(exercise(penalty_per_day=0.1), "canvas", True, at(-5))
    assert late.penalty == pytest.approx(0.1) and "Canvas marks it LATE" in late.note
    shown = lateness(dataclasses.replace(BASE, due=None), "canvas", True, None)
    assert shown.penalty == 0 and "no due time" in shown.note                           # shown, never silent
    assert lateness(exercise(), None, None, at(5)).note.endswith("no late policy, so no penalty")
