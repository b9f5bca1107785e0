"""Auto-grader for the course *Introduction to Deep Learning & Neural Networks with Keras*.

Kept light on purpose: the sandboxed child imports `grader.sandbox.wire` through this package.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.feedback.model import Feedback

__version__ = "0.1.0"
__all__ = ["__version__", "check"]


def check(exercise_id: str, notebook=None, show: bool = True, submit: bool = False, server=None) -> "Feedback":
    """Grade your saved notebook from inside Jupyter: `from grader import check; check("02_backprop")`;
    `check("02_backprop", submit=True)` hands it in to your course's grading service and shows its grade."""
    from grader.notebooks.jupyter import check as _check

    return _check(exercise_id, notebook, show, submit, server)
