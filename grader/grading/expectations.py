"""A returned value against the right one in one call: read in every form the README allows, the message
written, the hint chosen from the mistakes declared with it.

Every check used to write the same three steps by hand: read the value (`as_number`), compare it (`close`), and
fail with "<call> returned <got>, expected <want>" and a hint picked by comparing the value with what each known
mistake gives. `expect_close` does the three: the message shows as many digits as it takes to tell the two values
apart (`show_apart`), and a hint is named only when the value is what one declared mistake gives; when
formulas of different mistakes give it alike, no hint is named (no hint beats a wrong one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from grader.feedback.results import Hint
from grader.grading.checklib import as_array, as_number, close_values, number_of, show, show_apart
from grader.grading.verdicts import fail

__all__ = ["Wrong", "Hinted", "HintFor", "WrongFormulas", "expect_close", "expect_equal", "expect_shape", "matching_hint",
           "hint_of"]

Hinted = Union[Hint, None, Callable[[], Union[Hint, None]]]
"""A hint, no hint, or a function that finds one (called only when the check fails, so a costly search, such as
asking the submission whether a function it uses is right, runs only then)."""

HintFor = Union[Hint, None, Callable[[Any], Union[Hint, None]]]
"""A hint, no hint, or a function of the returned value (as read) that finds one, called only when the check fails:
`hint=lambda got: ROUNDED if rounded_to(got, want) else None`."""


@dataclass(frozen=True)
class Wrong:
    """One known mistake as a formula: `value` is what a submission with the mistake returns here (or a function
    computing it, called only when the check fails); `hint` names the mistake. `rtol`/`atol`, when given, replace
    the check's own tolerance for this formula (a mistake computed another way may need a looser one)."""

    hint: Hint
    value: Any
    rtol: float | None = None
    atol: float | None = None


WrongFormulas = Union[Mapping[Hint, Any], Iterable[Union[Wrong, tuple]]]
"""Declared mistakes: `{HINT: value, ...}`, or a list of `(HINT, value)` pairs or `Wrong`s (a list may name one
hint for several formulas)."""


def hint_of(hint: Hinted) -> Hint | None:
    """The hint itself, or what a hint-finding function returns."""
    return hint() if callable(hint) and not isinstance(hint, Hint) else hint


def _hint_for(hint: HintFor, value: Any) -> Hint | None:
    return hint(value) if callable(hint) and not isinstance(hint, Hint) else hint


def _formulas(wrong: WrongFormulas) -> list[Wrong]:
    items = wrong.items() if isinstance(wrong, Mapping) else wrong
    formulas = []
    for item in items:
        if isinstance(item, Wrong):
            formulas.append(item)
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Hint):
            formulas.append(Wrong(item[0], item[1]))
        else:
            raise TypeError(f"a wrong formula is (Hint, value) or Wrong(hint, value), not {item!r}")
    return formulas


def matching_hint(got: Any, wrong: WrongFormulas, rtol: float = 1e-6, atol: float = 1e-9) -> Hint | None:
    """The hint of the declared mistakes whose value `got` is (within the tolerance); None when it is none of them,
    or when formulas of different mistakes give it alike (then the value does not tell which mistake it is)."""
    found: list[Hint] = []
    for formula in _formulas(wrong):
        value = formula.value() if callable(formula.value) else formula.value
        if close_values(got, value, rtol if formula.rtol is None else formula.rtol,
                        atol if formula.atol is None else formula.atol):
            found.append(formula.hint)
    return found[0] if found and all(hint == found[0] for hint in found) else None


def _is_one_number(want: Any) -> bool:
    return number_of(want) is not None and (not isinstance(want, (np.ndarray, list, tuple)) or np.ndim(want) == 0)


def _read_like(got: Any, want: Any, what: str) -> Any:
    """`got` read as `want` is: one number in any form, a dict of numbers with the same keys, or an array."""
    if _is_one_number(want):
        return as_number(got, what)
    if type(want) is dict:
        if type(got) is not dict:
            fail(f"{what} should be a dict with the keys {', '.join(map(str, want))}, but it is {show(got)}")
        missing = [key for key in want if key not in got]
        if missing:
            fail(f"{what} is a dict without the key(s) {', '.join(map(repr, missing))}; it needs "
                 f"{', '.join(map(str, want))}")
        return {key: _read_like(got[key], want[key], f"{what}[{key!r}]") for key in want}
    return as_array(got, what)


def expect_close(got: Any, want: Any, what: str, *, hint: HintFor = None, wrong: WrongFormulas = (),
                 root: Hinted = None, rtol: float = 1e-6, atol: float = 1e-9, verb: str = "returned",
                 note: str = "") -> Any:
    """Pass when `got` is `want` within the tolerance, and return `got` as read; otherwise fail with
    "<what> <verb> <got>, expected <want><note>", both written with the digits that tell them apart.

    `got` is read as `want` is: where `want` is one number, any form of one number (int, float, numpy scalar,
    a 0-d or one-element array); where it is a dict, a dict with its keys; otherwise an array (or list) of
    numbers. A value that cannot be read so fails with a message saying what it is instead.

    The failure's hint: `root` first (a function the checked one uses that is wrong, see `wrong_root`), then the
    declared mistake whose value `got` is (`wrong`, see `matching_hint`), then `hint`. Each may be a function,
    called only when the check fails: `root()`, a formula's `value()`, and `hint(got)` with the value as read.
    """
    value = _read_like(got, want, what)
    if close_values(value, want, rtol, atol):
        return value
    shown, expected = show_apart(value, want)
    fail(f"{what} {verb} {shown}, expected {expected}{note}",
         hint_of(root) or matching_hint(value, wrong, rtol, atol) or _hint_for(hint, value))


def _equal(got: Any, want: Any) -> bool:
    number, wanted = number_of(got), number_of(want)
    if number is not None and wanted is not None and _is_one_number(want):
        return number == wanted
    if isinstance(got, np.ndarray) or isinstance(want, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(got), np.asarray(want)))
        except (TypeError, ValueError):
            return False
    if isinstance(got, (list, tuple)) and isinstance(want, (list, tuple)):
        return len(got) == len(want) and all(_equal(a, b) for a, b in zip(got, want))
    try:
        return bool(got == want)
    except (TypeError, ValueError):
        return False


def expect_equal(got: Any, want: Any, what: str, *, hint: HintFor = None, wrong: WrongFormulas = (),
                 root: Hinted = None, verb: str = "returned", note: str = "") -> Any:
    """Pass when `got` equals `want` exactly (a list and a tuple of equal items are equal; one number equals it in
    any form), and return `got`; otherwise fail with "<what> <verb> <got>, expected <want><note>". For names,
    counts, layer kinds, class labels: values where "close" has no meaning. The hint is chosen as in
    `expect_close`, each declared wrong value compared exactly."""
    if _equal(got, want):
        return got
    found = [formula.hint for formula in _formulas(wrong)
             if _equal(got, formula.value() if callable(formula.value) else formula.value)]
    matched = found[0] if found and all(hint == found[0] for hint in found) else None
    fail(f"{what} {verb} {show(got)}, expected {show(want)}{note}", hint_of(root) or matched or _hint_for(hint, got))


def expect_shape(got: Any, shape: tuple[int, ...], what: str, *, hint: HintFor = None, wrong: WrongFormulas = (),
                 note: str = "") -> np.ndarray:
    """`got` read as an array of numbers (`as_array`) that must have `shape`; otherwise fail with "<what> returned
    shape <its shape>; expected <shape><note>", with the hint of the declared wrong shape it has (`wrong`:
    `{HINT: shape}`) or else `hint` (or `hint(array)`). Returns the array."""
    array = as_array(got, what)
    if array.shape != tuple(shape):
        found = [formula.hint for formula in _formulas(wrong)
                 if array.shape == tuple(formula.value() if callable(formula.value) else formula.value)]
        matched = found[0] if found and all(hint == found[0] for hint in found) else None
        fail(f"{what} returned shape {array.shape}; expected {tuple(shape)}{note}", matched or _hint_for(hint, array))
    return array

