"""Only the sandbox's own set-up can fail as the grader's; no exit code of the student's can pretend to be it.

A child writes `wire.SANDBOX_READY` once its sandbox is set up and before any student code runs. A child
that dies before that frame is the grader's failure whatever its exit code; one that dies after it is the
student's, whatever its exit code (96, 97 and 98 are the launcher's own set-up codes).
"""

from __future__ import annotations

import json
import re
import shutil
import sys

import pytest

from conftest import reference_source, run_grade
from grader.course.model import Limits
from grader.sandbox import launchers
from grader.sandbox.launchers import PlainProcessLauncher
from grader.sandbox.policy import SETUP_EXIT_MEANINGS
from grader.sandbox import session as session_module
from grader.sandbox.session import CallStatus, SandboxSession, SandboxSetupFailed

REFERENCE = reference_source("02_backprop")
SETUP_CODES = sorted(SETUP_EXIT_MEANINGS)   # 96, 97, 98


class _FailingSetupLauncher(PlainProcessLauncher):
    """Stands for a launcher whose set-up fails (a cgroup it cannot join, a filter it cannot load)."""

    def __init__(self, shell: str) -> None:
        super().__init__()
        self.shell = shell

    def spawn(self, spec):
        return launchers._start(["/bin/sh", "-c", self.shell], spec, {"PATH": "/usr/bin:/bin"}, spec.scratch,
                                self.isolation)


def _limits() -> Limits:
    return Limits(call_seconds=5, total_seconds=20, memory_mb=512)


@pytest.mark.parametrize("code", SETUP_CODES)
def test_a_set_up_that_exits_before_the_ready_frame_is_the_graders_failure(tmp_path, code):
    path = tmp_path / "submission.py"
    path.write_text("def f():\n    return 1\n")
    with SandboxSession(path, _limits(), _FailingSetupLauncher(f"exit {code}")) as session:
        with pytest.raises(SandboxSetupFailed, match=re.escape(SETUP_EXIT_MEANINGS[code])):
            session.call("f")


def test_a_set_up_killed_or_silent_before_the_ready_frame_is_the_graders_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(session_module, "SETUP_TIMEOUT_S", 1.0)
    path = tmp_path / "submission.py"
    path.write_text("def f():\n    return 1\n")
    for shell, why in (("kill -9 $$", "signal 9"), ("exit 0", "exited with code 0"), ("sleep 30", "not ready")):
        with SandboxSession(path, _limits(), _FailingSetupLauncher(shell)) as session:
            with pytest.raises(SandboxSetupFailed, match=why):
                session.call("f")


@pytest.mark.parametrize("code", SETUP_CODES)
def test_the_students_own_set_up_codes_are_the_students_crash(tmp_path, code):
    path = tmp_path / "submission.py"
    path.write_text(f"import os\ndef f():\n    os._exit({code})\ndef g():\n    return 2\n")
    with SandboxSession(path, _limits()) as session:
        crashed = session.call("f")
        assert crashed.status is CallStatus.CRASHED
        assert f"exited with code {code}" in crashed.detail
        assert session.call("g").value == 2   # a fresh child for the next call


def test_a_set_up_code_at_import_is_the_students_broken_import(tmp_path):
    path = tmp_path / "submission.py"
    path.write_text("import os\nos._exit(97)\n")
    with SandboxSession(path, _limits()) as session:
        result = session.call("f")
    assert result.status is CallStatus.NOT_IMPORTABLE and result.import_status is CallStatus.CRASHED


FORGERS = {code: "import os\n" + REFERENCE.replace("def sigmoid(z):", f"def sigmoid(z):\n    os._exit({code})", 1)
           for code in SETUP_CODES}


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
@pytest.mark.parametrize("code", SETUP_CODES)
def test_exit_codes_of_the_set_up_grade_as_the_students_crash_in_a_single_grade(tmp_path, code):
    path = tmp_path / "backprop.py"
    path.write_text(FORGERS[code])
    run = run_grade("exercises/02_backprop", "--submission", path, "--json", "-")
    assert run.returncode == 0, run.stderr
    document = run.document
    assert document["status"] == "graded" and document["isolation"]["strong"]
    sigmoid = [check for check in document["checks"] if check["id"] == "public/sigmoid_worked_example"][0]
    assert sigmoid["outcome"] == "crashed" and f"code {code}" in sigmoid["message"]
    assert "grader" not in document.get("message", "").lower()


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_exit_codes_of_the_set_up_grade_as_the_students_crash_in_a_batch(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for code, source in FORGERS.items():
        (submissions / f"forger{code}.py").write_text(source)
    (submissions / "honest.py").write_text(REFERENCE)
    out = tmp_path / "out"
    run = run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out, "--jobs", "1")
    assert run.returncode == 0, run.stderr
    for code in SETUP_CODES:
        document = json.loads((out / f"feedback/forger{code}.json").read_text())
        assert document["status"] == "graded", document.get("grader_error")
        assert 0 < document["score"] < 30   # the checks that never call sigmoid still pass
    honest = json.loads((out / "feedback/honest.json").read_text())
    assert honest["score"] == 30
    again = run_grade("batch", submissions, "--exercise", "02_backprop", "--out", out, "--jobs", "1")
    assert again.returncode == 0 and "regrad" not in again.stdout.lower()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
