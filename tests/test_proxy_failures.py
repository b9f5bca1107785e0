"""Every way a call can give no value becomes one outcome and a message a beginner can act on.

The session is the scripted fake: each case is the CallResult the real sandbox gives in that situation.
"""

from __future__ import annotations

import pytest

from grader.grading.checklib import SubmissionFailure
from grader.outcomes import Limit, Outcome
from grader.grading.proxy import SubmissionProxy
from grader.sandbox.fake import (ScriptedSession, crashes, exits, missing, not_importable, out_of_memory, raises,
                                 returns, stopped_by, times_out)
from grader.sandbox.session import CallResult, CallStatus, ErrorInfo

CASES = [
    (raises("ValueError", "shapes (2,) and (3,)", 7), Outcome.ERROR, "`f` raised ValueError: shapes (2,) and (3,) (line 7 of your file)."),
    (raises("NotImplementedError", "TODO", 4), Outcome.ERROR, "`f` is not implemented yet"),
    (raises("RecursionError"), Outcome.ERROR, "`f` recursed too deeply"),
    (exits(9), Outcome.ERROR, "`f` called sys.exit() or exit() (line 9 of your file); return the value instead."),
    (missing(), Outcome.ERROR, "your file has no function named `f`"),
    (returns(object()), Outcome.ERROR, "`f` returned"),
    (times_out(10), Outcome.TIMEOUT, "`f` was stopped: the call did not finish within 10 s."),
    (stopped_by(Limit.CPU_TIME), Outcome.TIMEOUT, "CPU time"),
    (stopped_by(Limit.GRADING_TIME), Outcome.TIMEOUT, "ran out during this call"),
    (out_of_memory(), Outcome.MEMORY, "`f` ran out of memory"),
    (stopped_by(Limit.PROCESSES), Outcome.CRASHED, "the process running `f` was stopped: it tried to start more processes"),
    (stopped_by(Limit.FILE_SIZE), Outcome.ERROR, "it wrote a file larger than allowed"),
    (stopped_by(Limit.SCRATCH_SPACE), Outcome.ERROR, "it filled its scratch space"),
    (crashes("killed by SIGSEGV"), Outcome.CRASHED, "the process running `f` crashed (killed by SIGSEGV)."),
    (CallResult(CallStatus.PROTOCOL, detail="a frame of 2 GB"), Outcome.ERROR, "sent malformed data (a frame of 2 GB)"),
    (CallResult(CallStatus.DEADLINE, detail="the time is used up"), Outcome.TIMEOUT, "`f` was not run: the time is used up."),
    (not_importable(CallStatus.RAISED, error=ErrorInfo("SyntaxError", "invalid syntax", 3)), Outcome.ERROR,
     "your file could not be loaded: SyntaxError on line 3 of your file: invalid syntax."),
    (not_importable(CallStatus.TIMEOUT, "importing your file took longer than 10 s"), Outcome.TIMEOUT, "Move training loops"),
    (not_importable(CallStatus.MEMORY, error=ErrorInfo("MemoryError", "", 12)), Outcome.MEMORY, "while being imported (line 12"),
    (not_importable(CallStatus.MEMORY, error=ErrorInfo("MemoryError", "", None)), Outcome.ERROR, "nested thousands of levels"),
    (not_importable(CallStatus.EXITED, error=ErrorInfo("SystemExit", "", 2)), Outcome.ERROR, "sys.exit() or exit() at the top level"),
    (not_importable(CallStatus.CRASHED, "the process died"), Outcome.CRASHED, "could not be loaded: the process died."),
    (not_importable(CallStatus.BROKEN_FILE, "the file is empty"), Outcome.ERROR, "could not be loaded: the file is empty."),
    (not_importable(CallStatus.RAISED, error=ErrorInfo("ImportError", "no tensorflow_x", 1)), Outcome.ERROR,
     "importing it raised ImportError: no tensorflow_x (line 1 of your file)."),
]


@pytest.mark.parametrize("answer, outcome, words", CASES, ids=[f"{c[0].status.value}-{c[2][:24]}" for c in CASES])
def test_each_failure_has_its_outcome_and_message(answer, outcome, words):
    proxy = SubmissionProxy(ScriptedSession({"f": answer}))
    with pytest.raises(SubmissionFailure) as caught:
        proxy.f(1)
    assert caught.value.outcome is outcome
    assert words in caught.value.message, caught.value.message
    assert caught.value.limit == answer.limit
    assert proxy.called == ["f"] and proxy.answered == []


def test_a_notebook_names_cells_instead_of_lines():
    proxy = SubmissionProxy(ScriptedSession({"f": raises("KeyError", "'w1'", 5)}), locate=lambda line: f"cell 3, line {line}",
                            defined_in=lambda name: "cell 3")
    with pytest.raises(SubmissionFailure, match=r"\(cell 3, line 5\)"):
        proxy.f()
    assert proxy.where_defined() == "`f` is defined in cell 3"


def test_a_value_crosses_as_plain_data_and_mutated_arguments_come_back():
    def scale(values, factor):
        values[0] = values[0] * factor
        return sum(values)

    from grader.sandbox.fake import compute

    proxy = SubmissionProxy(ScriptedSession({"scale": compute(scale)}))
    value, after = proxy.call_with_args("scale", [1.0, 2.0], 3)
    assert value == 5.0 and after == [[3.0, 2.0], 3]
    assert proxy.answered == ["scale"]
