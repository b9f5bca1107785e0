"""How a check calls a function the lab writes differently: a model builder without arguments.

The course's labs build models from notebook globals (`regression_model()` reads `n_cols`). A check "as in
the lab" calls such a builder as the lab does and judges the model against the sizes the lab's data
gives; the check's message says so. Other checks call with arguments, and a builder without
parameters earns the signature hint there.
"""

from __future__ import annotations

from typing import Any

from grader.grading.checklib import show


def call_as_in_the_lab(submission: Any, name: str, args: tuple, lab_args: tuple | None = None) -> tuple[Any, tuple]:
    """`name(*args)`; or, when the student's function takes no arguments, `name()` as the lab calls it.
    Returns the value and the sizes to judge it by: `args`, or for the lab's call `lab_args` (the sizes the
    lab's data gives, when they differ from the check's)."""
    signature = submission.signature_of(name)
    if signature is None or not signature.takes_nothing or not args:
        return submission.call(name, *args), tuple(args)
    sizes = tuple(lab_args if lab_args is not None else args)
    submission.note(f"`{name}()` takes no arguments, as in the lab: it was called that way and judged as the "
                    f"lab's model for {', '.join(show(size) for size in sizes)}")
    return submission.call(name), sizes
