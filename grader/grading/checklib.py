"""What a check file may use: failing with a named hint, and reading returned values safely.

Checks run in the trusted process and receive decoded plain data from the submission. They
judge with these helpers so that a wrong type becomes a clear failure, not a crash of the check.
"""

from __future__ import annotations

import ast
import math
from typing import Any

import numpy as np

from grader.feedback.results import Hint
from grader.grading.verdicts import CheckFailed, SubmissionFailure, fail
from grader.outcomes import Outcome

__all__ = ["Hint", "CheckFailed", "SubmissionFailure", "Outcome", "fail", "as_number", "number_of", "as_array", "close",
           "close_values", "below", "accuracy_at_least", "gives", "show", "show_apart", "compared", "rounded_to",
           "first_hint", "as_pair", "public_checks_of", "check_written_default", "check_written_argument"]


SHOW_CHARS = 200   # a whole rendering; a returned value of any size or shape stays a short part of a message


def show(value: Any, digits: int = 6) -> str:
    """A short, readable rendering of a value for a message (at most SHOW_CHARS characters)."""
    text = _show(value, digits)
    return text if len(text) <= SHOW_CHARS else text[: SHOW_CHARS - 3] + "..."


def show_apart(got: Any, want: Any) -> tuple[str, str]:
    """`got` and `want` rendered as `show` does, with as many more significant digits as it takes for two
    different values to look different (0.6023 and 0.602286, not 0.6023 and 0.6023): in lists, arrays and
    dicts, every number that differs from its counterpart (beyond rtol 1e-6) looks different too."""
    differing = [(value, exact) for value, exact in _number_pairs(got, want)
                 if not _close_numbers(value, exact, 1e-6, 1e-9)]
    for digits in (6, 8, 10, 12, 14, 17):
        shown = show(got, digits), show(want, digits)
        if shown[0] != shown[1] and all(f"{value:.{digits}g}" != f"{exact:.{digits}g}" for value, exact in differing):
            return shown
    return shown


def compared(got: Any, want: Any) -> str:
    """'<got>, expected <want>' for a message, with the digits that tell them apart (`show_apart`)."""
    shown, expected = show_apart(got, want)
    return f"{shown}, expected {expected}"


def _show(value: Any, digits: int = 6) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, np.ndarray):
        if value.size > 8:
            return f"array of shape {value.shape}"
        return np.array2string(value, precision=digits, separator=", ")
    if isinstance(value, (list, tuple)) and len(value) <= 8:
        inner = ", ".join(show(item, digits) for item in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict) and len(value) <= 8:
        return "{" + ", ".join(f"{show(key, digits)}: {show(item, digits)}" for key, item in value.items()) + "}"
    if isinstance(value, dict):
        return f"a dict of {len(value)} keys"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def number_of(value: Any) -> float | None:
    """The one rule for "a number" in every check: an int, a float, a numpy scalar, or an array
    or list holding exactly one number (a 0-d array arrives as one of shape (1,)); None for anything else."""
    kind = type(value)
    if kind is int or kind is float or isinstance(value, (np.integer, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        return float(value.reshape(-1)[0]) if value.size == 1 and value.dtype.kind in "iuf" else None
    if (kind is list or kind is tuple) and len(value) == 1 and type(value[0]) not in (list, tuple):
        return number_of(value[0])     # [0.5] or [array([0.5])]; a list in a list is not one number
    return None


def as_number(value: Any, what: str) -> float:
    """A returned number as a float (see `number_of`), or a failure saying what it is instead."""
    number = number_of(value)
    if number is None:
        fail(f"{what} should be a number, but it is {_kind(value)}: {show(value)}")
    return number


def _numbers(value: Any) -> Any:
    """A list or tuple with each one-element array in it (up to one axis) read as the number it holds, as a
    number is read where one is expected: [array([0.6]), array([0.7])] is [0.6, 0.7], not a column."""
    if type(value) not in (list, tuple):
        return value
    return [float(item.reshape(-1)[0]) if isinstance(item, np.ndarray) and item.ndim <= 1 and item.size == 1
            and item.dtype.kind in "iuf" else _numbers(item) for item in value]


def as_pair(value: Any, what: str, shape: str) -> tuple[Any, Any]:
    """A returned pair (tuple or list of two), or a failure saying what `what` should return."""
    if type(value) not in (tuple, list) or len(value) != 2:
        fail(f"{what} should return {shape}, but it returned {show(value)}")
    return value[0], value[1]


def as_array(value: Any, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A returned array (or list of numbers) as a float array, optionally of a given shape. In a list, a
    one-element array counts as the number it holds (see `_numbers`)."""
    try:
        if isinstance(value, np.ndarray):
            array = value.astype(float)
        elif type(value) in (list, tuple, int, float):
            array = np.asarray(_numbers(value), dtype=float)
        else:
            raise ValueError
    except (ValueError, TypeError):
        fail(f"{what} should be numbers (a list or numpy array), but it is {_kind(value)}: {show(value)}")
    if shape is not None and array.shape != tuple(shape):
        fail(f"{what} should have shape {tuple(shape)}, but it has shape {array.shape}")
    return array


def close(got: Any, want: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Numerically equal within tolerance; NaN never matches. Where `want` is one number, `got` may be any form of
    one number (`number_of`); where it is an array, `got` must have its shape (a list's one-element arrays read
    as numbers, as `as_array` reads them)."""
    if type(got) in (int, float) and type(want) in (int, float):   # numpy's rule without numpy: checks compare
        return _close_numbers(float(got), float(want), rtol, atol)   # thousands of single numbers per batch
    want_array = np.asarray(_numbers(want), dtype=float)
    if want_array.ndim == 0:
        number = number_of(got)
        if number is not None:
            return _close_numbers(number, float(want_array), rtol, atol)
    got_array = np.asarray(_numbers(got))
    if got_array.dtype.kind not in "biuf" or got_array.shape != want_array.shape:
        return False                                    # text ("0.5") is not a number, whatever numpy makes of it
    got_array = got_array.astype(float)
    if not np.isfinite(got_array).all():
        return bool(np.array_equal(got_array, want_array)) and not np.any(np.isnan(got_array))
    if not np.isfinite(want_array).all():   # np.allclose: a finite number is never close to inf or NaN
        return False
    # np.allclose's own formula, without its general-purpose overhead (checks compare thousands of small arrays)
    with np.errstate(over="ignore", invalid="ignore"):
        return bool((np.abs(got_array - want_array) <= atol + rtol * np.abs(want_array)).all())


def _close_numbers(got: float, want: float, rtol: float, atol: float) -> bool:
    if not (math.isfinite(got) and math.isfinite(want)):
        return got == want
    return abs(got - want) <= atol + rtol * abs(want)


def rounded_to(got: Any, want: Any, decimals: range = range(2, 9)) -> int | None:
    """How many decimals `want` was rounded to to give `got` (0.6023 for 0.602286...: 4): `got` differs from `want`
    and is, number by number, `want` rounded to the same one of `decimals` places. `got` and `want` are numbers,
    arrays or lists of numbers, or dicts of numbers with the same keys; None when that is not so. A hint for a
    rounded result fires only where this finds the rounding."""
    pairs = _number_pairs(got, want)
    if not pairs or all(value == exact for value, exact in pairs) or any(value == 0 != exact for value, exact in pairs):
        return None     # a 0 where the answer is not 0 says nothing about rounding
    for places in decimals:
        if all(abs(value - round(exact, places)) <= 1e-12 * max(1.0, abs(exact)) for value, exact in pairs):
            return places
    return None


def _number_pairs(got: Any, want: Any) -> list[tuple[float, float]]:
    """(got, want) number by number, all finite; empty when they do not pair up."""
    if type(got) is dict and type(want) is dict:
        if got.keys() != want.keys():
            return []
        per_key = [_number_pairs(got[key], want[key]) for key in want]
        return [pair for found in per_key for pair in found] if all(per_key) else []
    value, exact = number_of(got), number_of(want)
    if value is not None and exact is not None:
        pairs = [(value, exact)]
    elif not all(isinstance(item, (list, tuple, np.ndarray)) for item in (got, want)):
        return []
    else:
        try:
            values, exacts = np.asarray(_numbers(got), dtype=float), np.asarray(_numbers(want), dtype=float)
        except (TypeError, ValueError):
            return []
        if values.shape != exacts.shape or values.size == 0:
            return []
        pairs = list(zip(values.ravel().tolist(), exacts.ravel().tolist()))
    return pairs if all(math.isfinite(v) and math.isfinite(e) for v, e in pairs) else []


def public_checks_of(hidden_checks_file: str):
    """The exercise's public checks module, so hidden checks can share its hints and diagnoses.

    solutions/NN_topic/hidden_checks.py -> exercises/NN_topic/public_checks.py
    """
    from pathlib import Path

    from grader.course.model import public_checks_beside

    public = public_checks_beside(Path(hidden_checks_file))
    return load_module(public, f"public_checks_{public.parent.name}")


_COMPILED: dict[str, tuple[tuple[int, int], Any]] = {}


def load_module(path, name: str):
    """Import a trusted course file (checks, the reference solution) by its path, under `name`: a fresh module
    every time, from code compiled once per version of the file (graders load these once per submission)."""
    import importlib.util
    import os

    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    status = os.stat(path)
    version = (status.st_mtime_ns, status.st_size)
    cached = _COMPILED.get(str(path))
    if cached is None or cached[0] != version:
        with open(path, "rb") as stream:
            cached = version, compile(stream.read(), str(path), "exec")
        _COMPILED[str(path)] = cached
    exec(cached[1], module.__dict__)  # noqa: S102 - a trusted course file, as importing it would
    return module


def gives(call: Any, want: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether `call()` (a call into the submission) answers `want`: numbers, sequences of numbers, or a dict
    of them. A call that fails or returns something unreadable does not. Checks use it to find the root of
    a cascade: the function a failing one depends on, when that one is wrong too."""
    try:
        got = call()
    except (CheckFailed, SubmissionFailure):
        return False
    return close_values(got, want, rtol, atol)


def below(value: float, limit: float) -> bool:
    """A learning threshold: the error a trained model reached is under `limit` (NaN never is). One function for
    every such threshold, so the flakiness audit (benchmarks/flakiness.py) can report how close right answers
    came to it."""
    return bool(value < limit)


def accuracy_at_least(accuracy: float, floor: float) -> bool:
    """A learning threshold: a trained model's accuracy reaches `floor` (NaN never does); watched by the
    flakiness audit like `below`."""
    return bool(accuracy >= floor)


def close_values(got: Any, want: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """`close` that also compares dicts (the same keys, each value close) and never raises: whatever `got` is, a
    value unlike `want` is simply not close. What `gives` and the wrong formulas of `expect_close` compare with."""
    if type(want) is dict:
        return type(got) is dict and got.keys() == want.keys() and all(_close_any(got[k], want[k], rtol, atol) for k in want)
    return _close_any(got, want, rtol, atol)


def first_hint(checks: Any, *args: Any) -> Hint | None:
    """The first hint that `check(*args)` fails with, over `checks` in order (checks without a hint are passed
    over), or None: the named mistakes a value has, such as the parts of a model a trained model got wrong."""
    for check in checks:
        try:
            check(*args)
        except CheckFailed as failure:
            if failure.hint is not None:
                return failure.hint
    return None


def _close_any(got: Any, want: Any, rtol: float, atol: float) -> bool:
    try:
        return close(got, want, rtol, atol)
    except (TypeError, ValueError):
        return False


def check_written_default(submission: Any, function: str, parameter: str, documented: Any, hint: Hint | None) -> None:
    """Fail when `function`, as the student wrote it, gives `parameter` no default or another literal one.

    Read from the graded source on the trusted side, for a default too costly to run (a hundred epochs of
    training). Only a number written as the default is held against the documented one: a default the
    source computes (`epochs=EPOCHS`) or fills in later (`epochs=None`), or a function defined where the
    source does not show it, cannot be read, and then nothing is claimed.
    """
    signature = submission.signature_of(function)
    written = signature.default_of(parameter) if signature is not None else None
    if written is None:
        return
    if written == "":
        fail(f"{function}'s {parameter} has no default; the README documents {parameter}={documented!r}, so "
             f"{function} can be called without it", hint)
    value = _written_number(written)
    if value is None:
        return
    if type(value) is not type(documented) or value != documented:
        fail(f"{function} is written with {parameter}={written}, but the README documents {parameter}="
             f"{documented!r}: calling it without {parameter} would not do what the lab does", hint)


def check_written_argument(submission: Any, function: str, method: str, keyword: str, documented: Any,
                           hint: Hint | None) -> None:
    """Fail when `function`, as the student wrote it, passes a number other than `documented` as `keyword` to
    `….method(...)` (`validation_split=1.3` where the README says 0.3, which Keras takes without a word).
    Like `check_written_default`: only numbers written there are claimed."""
    for written in submission.written_arguments(function, method, keyword):
        value = _written_number(written)
        if value is not None and value != documented:
            fail(f"{function} calls {method}(..., {keyword}={written}) as written, but the README says "
                 f"{keyword}={documented!r}", hint)


def _written_number(text: str) -> int | float | None:
    """The int or float a piece of source text spells ("100", "0.3"); None for anything else (names, None, calls)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return value if type(value) in (int, float) else None
