"""GRADER_DEBUG=1 shows the traceback of a failure of ours that a grading survived as `grader_failed` (Gradescope's
run_autograder, `grade`, a batch's workers): the feedback keeps one line, stderr gets the rest. Without it, nothing."""

from __future__ import annotations

import pytest

from conftest import scripted_grading
from grader.grading import engine
from grader.outcomes import Status


def _broken_checks(*args, **kwargs):
    raise RuntimeError("the check runner broke")


@pytest.mark.parametrize("debug", [True, False])
def test_a_grader_failure_prints_its_traceback_only_when_debugging(monkeypatch, capsys, debug):
    monkeypatch.setattr(engine, "run_checks", _broken_checks)
    if debug:
        monkeypatch.setenv("GRADER_DEBUG", "1")
    else:
        monkeypatch.delenv("GRADER_DEBUG", raising=False)
    feedback = scripted_grading()
    assert feedback.status is Status.GRADER_FAILED
    assert feedback.grader_error == "RuntimeError: the check runner broke"
    stderr = capsys.readouterr().err
    if debug:
        assert "Traceback (most recent call last)" in stderr and "_broken_checks" in stderr
        assert "RuntimeError: the check runner broke" in stderr
    else:
        assert stderr == ""
