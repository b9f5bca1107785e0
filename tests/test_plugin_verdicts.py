"""Who is to blame for an exception in a check: the student's data, or the grader.

The checks run under the real plugin and pytest; only the sandbox is swapped for a scripted session
that answers every call with a fixed value, as the sandbox would after decoding the student's answer.
"""

from __future__ import annotations

import contextlib
import io
from importlib import resources

import pytest

from grader.outcomes import Outcome
from grader.grading.judge import INTERNAL_ERROR_MESSAGE
from grader.grading.plugin import GradingPlugin
from grader.grading.proxy import SubmissionProxy
from grader.sandbox.fake import ScriptedSession, grader_bug
from grader.sandbox.session import CallResult, CallStatus

CHECKS = '''
import numpy as np
import pytest


@pytest.mark.points(1)
def test_overflow_on_a_returned_int(submission):
    float(submission.value())


@pytest.mark.points(1)
def test_indexing_a_returned_number(submission):
    submission.value()[0]


@pytest.mark.points(1)
def test_attribute_of_a_returned_number(submission):
    submission.value().shape


@pytest.mark.points(1)
def test_typo_in_a_name_after_a_value(submission):
    submission.value()
    undefined_helper()


@pytest.mark.points(1)
def test_typo_in_a_numpy_function_after_a_value(submission):
    np.alclose(submission.value(), 1)


@pytest.mark.points(1)
def test_value_error_before_any_value(submission):
    int("not a number")
    submission.value()


@pytest.mark.points(1)
def test_a_runtime_error_after_a_value(submission):
    submission.value()
    raise RuntimeError("the check's own state is broken")


@pytest.mark.points(1)
def test_the_machinery_breaks_on_a_second_call(submission):
    submission.value()
    submission.machinery_bug()


@pytest.mark.points(1)
def test_a_message_that_cannot_be_saved(submission):
    value = submission.value()
    raise KeyError("\\ud800" + "x" * 5000)


@pytest.mark.points(1)
def test_a_lone_surrogate_in_the_message(submission):
    submission.value()
    raise ValueError("\\ud800 is not text")
'''


def answering(value) -> ScriptedSession:
    """Every call of `value` returns it as decoded; `machinery_bug` makes the session itself raise, as a grader
    bug would. (The value is handed over as is: the wire would refuse 10**400 before a check could see it.)"""
    return ScriptedSession({"value": CallResult(CallStatus.OK, value=value),
                            "machinery_bug": grader_bug("child_arguments() missing 1 required positional argument: 'confine'",
                                                         TypeError)})


def verdicts(tmp_path, value, hidden=False):
    checks = tmp_path / "x_checks.py"
    checks.write_text(CHECKS)
    plugin = GradingPlugin(SubmissionProxy(answering(value)), seed=1, hidden_checks=checks if hidden else None,
                           reference_path=None)
    ini = resources.files("grader.grading").joinpath("checks.ini")
    with contextlib.redirect_stdout(io.StringIO()):
        pytest.main([str(checks), "-c", str(ini), "--rootdir", str(tmp_path), "-p", "no:cacheprovider", "-q",
                     "--tb=no", "--import-mode=importlib"], plugins=[plugin])
    return {result.id.split("/", 1)[1]: result for result in plugin.results}


STUDENTS = ["overflow_on_a_returned_int", "indexing_a_returned_number", "attribute_of_a_returned_number",
            "a_message_that_cannot_be_saved", "a_lone_surrogate_in_the_message"]
GRADERS = ["typo_in_a_name_after_a_value", "typo_in_a_numpy_function_after_a_value", "value_error_before_any_value",
           "a_runtime_error_after_a_value", "the_machinery_breaks_on_a_second_call"]


def test_each_exception_is_blamed_on_whoever_caused_it(tmp_path):
    results = verdicts(tmp_path, 10**400)
    assert set(results) == set(STUDENTS) | set(GRADERS)
    for name in STUDENTS:
        result = results[name]
        assert result.outcome is Outcome.ERROR and result.internal_error is None, result
        assert result.message.startswith("`value` returned a value this check cannot compute with"), result
        assert result.score == 0
    for name in GRADERS:
        result = results[name]
        assert result.outcome is Outcome.INTERNAL_ERROR and result.message == INTERNAL_ERROR_MESSAGE, result
        assert result.internal_error, result
    assert "OverflowError: int too large to convert to float" in results["overflow_on_a_returned_int"].message
    assert "NameError" in results["typo_in_a_name_after_a_value"].internal_error
    assert "TypeError: child_arguments()" in results["the_machinery_breaks_on_a_second_call"].internal_error


def test_the_message_is_short_and_can_be_saved(tmp_path):
    message = verdicts(tmp_path, 1.0)["a_message_that_cannot_be_saved"].message
    message.encode("utf-8")   # a lone surrogate would break writing the feedback
    assert "KeyError: '\\ud800xxx" in message and len(message) < 600
    raw = verdicts(tmp_path, 1.0)["a_lone_surrogate_in_the_message"].message
    assert "ValueError: \ufffd is not text" in raw, raw   # grader.text.without_surrogates


def test_hidden_checks_name_only_the_exceptions_type(tmp_path):
    result = verdicts(tmp_path, 10**400, hidden=True)["overflow_on_a_returned_int"]
    assert result.visibility == "hidden" and result.internal_error is None
    assert "(OverflowError)" in result.message and "too large" not in result.message
