"""`grade` ends every failure with one line and the exit code of its kind; a bug is never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import cli
from grader.labcode.safezip import UnsafeArchive
from grader.errors import CourseInvalid, GraderError, UsageError
from grader.exitcodes import ExitCode
from grader.course.manifest import CourseNotFound, ManifestError, ManifestProblem
from grader.notebooks.nbgrader_grade import NbgraderSetupError


def _raising(exc: BaseException):
    def run(argv: list[str]) -> ExitCode:
        raise exc

    return run


def test_an_unexpected_exception_is_one_line_and_the_grader_failure_code(monkeypatch, capsys):
    monkeypatch.delenv(cli.DEBUG_VARIABLE, raising=False)
    monkeypatch.setitem(cli.SUBCOMMANDS, "validate", _raising(KeyError("checks")))
    code = cli.main(["validate"])
    err = capsys.readouterr().err
    assert code == ExitCode.GRADER_FAILED == 3
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "`grade validate` failed with KeyError: 'checks'" in err
    assert "bug in the grader" in err and "report" in err and "GRADER_DEBUG=1" in err


def test_the_traceback_is_shown_when_asked_for(monkeypatch, capsys):
    monkeypatch.setenv(cli.DEBUG_VARIABLE, "1")
    monkeypatch.setitem(cli.SUBCOMMANDS, "release", _raising(RuntimeError("half\nwritten")))
    assert cli.main(["release", "out"]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: half" in err
    assert err.splitlines()[-1].startswith("grade: internal error: `grade release` failed with RuntimeError: half written")


def test_grading_that_raises_is_reported_the_same_way(monkeypatch, capsys):
    monkeypatch.delenv(cli.DEBUG_VARIABLE, raising=False)
    monkeypatch.setattr(cli, "_grade", _raising(AttributeError("no attribute 'x'")))
    assert cli.main(["exercises/02_backprop"]) == 3
    assert "`grade` failed with AttributeError" in capsys.readouterr().err


MANIFEST = ManifestError([ManifestProblem(Path("course.yaml"), 3, "exercises[0].points", "must be a number", "Fix it.")])


@pytest.mark.parametrize("error, code", [
    (UsageError("no such exercise"), ExitCode.USAGE),
    (CourseNotFound("no course.yaml"), ExitCode.USAGE),
    (UnsafeArchive("not a zip"), ExitCode.USAGE),
    (NbgraderSetupError("run nbgrader db assignment add"), ExitCode.USAGE),
    (MANIFEST, ExitCode.COURSE_INVALID),
    (GraderError("the sandbox cannot start"), ExitCode.GRADER_FAILED),
])
def test_each_error_ends_with_its_own_exit_code(monkeypatch, capsys, error, code):
    monkeypatch.setitem(cli.SUBCOMMANDS, "notebooks", _raising(error))
    assert cli.main(["notebooks"]) == error.exit_code == code
    err = capsys.readouterr().err
    assert str(error) in err and "bug" not in err and "Traceback" not in err


def test_a_broken_manifest_names_the_file_line_and_key(monkeypatch, capsys):
    monkeypatch.setitem(cli.SUBCOMMANDS, "notebooks", _raising(MANIFEST))
    cli.main(["notebooks"])
    assert isinstance(MANIFEST, CourseInvalid)
    assert capsys.readouterr().err == "grade: course.yaml is broken:\ncourse.yaml:3 [exercises[0].points]: must be a number. Fix it.\n"


def test_help_documents_every_exit_code(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for code in ExitCode:
        assert f"\n  {code.value}  " in out, code
    assert "GRADER_DEBUG=1" in out
