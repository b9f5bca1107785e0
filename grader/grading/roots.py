"""Roots of cascades: a check whose function uses another one that is wrong names that one first.

A student whose sigmoid is wrong fails the forward pass, the gradients and the training loop too. Those checks
name the root ("your sigmoid() is wrong, and forward() uses it: fix sigmoid first") instead of guessing at a
mistake of their own. A `Root` declares one such function with what it must give where the checked function uses
it; `wrong_root` asks them in order. Case files list the hints that only claim a root is wrong (`roots:`), and
`grade audit` judges such a hint honest when that function is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from grader.feedback.results import Hint
from grader.grading.checklib import gives
from grader.grading.expectations import Hinted, hint_of
from grader.grading.verdicts import CheckFailed, SubmissionFailure
from grader.outcomes import Outcome

__all__ = ["Root", "wrong_root", "when_raised", "SIGNATURE_MISMATCH"]

SIGNATURE_MISMATCH = "signature-mismatch"   # the proxy's hint for a function that cannot be called as the README says


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


_NOT_GIVEN: Any = _NotGiven()


@dataclass(frozen=True)
class Root:
    """A function the checked one uses, with the hint that names it and how it is judged here: `call` asks the
    submission, and the answer must be `want` (within `rtol`/`atol`; numbers, arrays or a dict of them, as `gives`
    compares) or pass `judge` (a function that fails the value, like a model check).

    With `want`, a call that gives no answer (it raised, hung or crashed) is wrong, as `gives` has it. With
    `judge`, a call that raised is wrong, and one that hung or crashed, or that cannot be called as the README
    says (the signature hint), tells nothing: the check of the function itself says so."""

    hint: Hint
    call: Callable[[], Any]
    want: Any = _NOT_GIVEN
    judge: Callable[[Any], None] | None = None
    rtol: float = 1e-6
    atol: float = 1e-9

    def __post_init__(self) -> None:
        if (self.want is _NOT_GIVEN) == (self.judge is None):
            raise TypeError(f"Root({self.hint.id!r}) needs exactly one of want= and judge=")

    def is_wrong(self) -> bool:
        """Whether the submission's function is wrong here (it is asked now)."""
        if self.judge is None:
            return not gives(self.call, self.want, self.rtol, self.atol)
        try:
            self.judge(self.call())
        except CheckFailed:
            return True
        except SubmissionFailure as failure:
            signature = failure.hint is not None and failure.hint.id == SIGNATURE_MISMATCH
            return failure.outcome is Outcome.ERROR and not signature
        return False


def wrong_root(*roots: Root) -> Hint | None:
    """The hint of the first of `roots` that is wrong, asked in order (declare them in the order the checked
    function uses them); None when all are right."""
    return next((root.hint for root in roots if root.is_wrong()), None)


@contextmanager
def when_raised(hint: Hinted, *, replace: bool = False) -> Iterator[None]:
    """Name a mistake when a call in the block raised (outcome ERROR): the failure goes on with `hint` (or what a
    hint-finding function returns, asked only then), unless it has a hint already and `replace` is False. A call
    that hung or crashed keeps its failure as it is.

        with when_raised(lambda: public.model_root(submission, 8)):
            result = submission.fit_regression_model(predictors, target, epochs=3)
    """
    try:
        yield
    except SubmissionFailure as failure:
        if failure.outcome is Outcome.ERROR and (replace or failure.hint is None):
            failure.hint = hint_of(hint) or (None if replace else failure.hint)
        raise
