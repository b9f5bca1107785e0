"""The feedback's timing separates the student's own code from the grader's overhead (schema 1.2):
the sandbox says how long the student's code ran, and the grader believes it only up to what it measured."""

from __future__ import annotations

import textwrap
import time

from conftest import scripted_grading
from grader.course.model import Limits
from grader.feedback.model import Feedback, schema_errors
from grader.sandbox.launchers import PlainProcessLauncher
from grader.sandbox.session import SandboxSession

SUBMISSION = textwrap.dedent('''
    import time

    time.sleep(0.2)   # the student's own import

    def nap(seconds):
        time.sleep(seconds)
        return seconds

    def boast():
        """Makes the child report that this call ran for a billion seconds."""
        real = time.perf_counter
        time.perf_counter = lambda: real() + 1e9
        return 1
''')


def session_of(tmp_path) -> SandboxSession:
    path = tmp_path / "timed.py"
    path.write_text(SUBMISSION)
    return SandboxSession(path, Limits(), PlainProcessLauncher())


def test_the_student_time_counts_the_import_and_the_calls(tmp_path):
    """At least the 0.2 s import and the 0.3 s call, and never more than the whole session took: relations that
    hold on any machine, not a wall-time range."""
    started = time.perf_counter()
    with session_of(tmp_path) as session:
        assert session.call("nap", (0.3,)).value == 0.3
        assert session.call("nap", (0.0,)).value == 0.0
    report = session.close()
    assert 0.5 <= report.student_s <= time.perf_counter() - started, report.student_s


def test_a_child_cannot_claim_more_time_than_the_grader_measured(tmp_path):
    with session_of(tmp_path) as session:
        started = session.call("nap", (0.0,))
        assert started.ok
        before = session._student_s
        called = time.perf_counter()
        assert session.call("boast").value == 1
        measured = time.perf_counter() - called
        claimed = session._student_s - before
    assert 0 <= claimed <= measured, (claimed, measured)   # the child claimed a billion seconds


def test_feedback_says_both_shares_and_they_add_up():
    feedback = scripted_grading()
    timing = feedback.to_dict()["timing"]
    assert set(timing) == {"started_at", "duration_s", "student_s", "grader_s"}
    assert abs(timing["student_s"] + timing["grader_s"] - timing["duration_s"]) <= 0.002
    assert Feedback.from_dict(feedback.to_dict()) == feedback


def test_an_older_document_without_the_shares_is_read_and_written_as_it_was():
    document = scripted_grading().to_dict()
    document["schema_version"] = "1.1"
    for key in ("student_s", "grader_s"):
        del document["timing"][key]
    feedback = Feedback.from_dict(document)
    assert feedback.student_s is None and feedback.grader_s is None
    again = feedback.to_dict()
    assert set(again["timing"]) == {"started_at", "duration_s"} and schema_errors(again) == []
