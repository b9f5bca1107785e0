"""Reading what a function returns in the shapes the READMEs name: pairs, dicts, lists and training histories.

Each reader fails with a message that uses the README's names ("forward(...)[1] (a2) should be a number ...",
"train(...) should return the pair (params, errors)"), so a check reads the value in one line and judges it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Optional

from grader.feedback.results import Hint
from grader.grading.checklib import as_number, as_pair, show
from grader.grading.verdicts import fail

__all__ = ["Reader", "as_is", "read_pair", "read_dict", "read_list", "read_history"]

Reader = Callable[[Any, str], Any]
"""How one part of a value is read: `reader(value, what)` returns it read or fails (`as_number`, `as_array`,
`as_is`, another reader)."""


def as_is(value: Any, what: str) -> Any:
    """The value unread (a reader for a part judged elsewhere, such as a model)."""
    return value


def read_pair(value: Any, what: str, names: tuple[str, str], read: Reader | tuple[Reader, Reader] = as_number) -> tuple:
    """A returned pair (a tuple or list of two) whose parts the README names (`names`, e.g. ("a1", "a2")), each read
    by `read` (one reader for both, or one each): "<what> should return the pair (a1, a2)" when it is no pair,
    "<what>[1] (a2) should be a number ..." when a part is unreadable."""
    readers = read if isinstance(read, tuple) else (read, read)
    first, second = as_pair(value, what, f"the pair ({names[0]}, {names[1]})")
    return (readers[0](first, f"{what}[0] ({names[0]})"), readers[1](second, f"{what}[1] ({names[1]})"))


def read_dict(value: Any, what: str, keys: Sequence[str], read: Reader = as_number) -> dict[str, Any]:
    """A returned dict holding at least `keys` (the README's names), each value read by `read`; the dict returned
    holds exactly `keys`, in their order."""
    if type(value) is not dict:
        fail(f"{what} should return a dict with the keys {', '.join(keys)}, but it returned {show(value)}")
    missing = [key for key in keys if key not in value]
    if missing:
        fail(f"{what} returned a dict without the key(s) {', '.join(map(repr, missing))}; it needs {', '.join(keys)}")
    return {key: read(value[key], f"{what}[{key!r}]") for key in keys}


def read_list(value: Any, what: str, name: str, read: Reader = as_number) -> list[Any]:
    """A returned list (or tuple) of items, each read by `read`: "<what> should be <name>, but it is ..." otherwise
    (`name`: what the README calls it, "the list of errors")."""
    if type(value) not in (list, tuple):
        fail(f"{what} should be {name}, but it is {show(value)}")
    return [read(item, f"{what}[{index}]") for index, item in enumerate(value)]


def read_history(history: Any, what: str, keys: Sequence[str], *, epochs: int | None = None,
                 missing: Optional[dict[str, Hint]] = None, one_epoch: Hint | None = None) -> dict[str, Any]:
    """A Keras training history as fit returns it (`history.history`: a dict of per-epoch lists) holding `keys`
    ("loss", "val_loss" ...). A key left out fails with the hint `missing[key]` (validation data not passed, say);
    with `epochs`, each of `keys` must hold one entry per epoch, and a list of one entry (model.fit's default
    epochs=1) fails with the hint `one_epoch`. Only a failure and its hint are chosen from a history, the
    submission's own report: never a pass. Returns the history."""
    if type(history) is not dict or not keys or keys[0] not in history:
        fail(f"{what} should be history.history, a dict with {', '.join(map(repr, keys))}, but it is {show(history)}")
    for key in keys:
        if key not in history:
            fail(f"the history has the keys {sorted(history)}; it needs {key!r}", (missing or {}).get(key))
    for key in keys if epochs is not None else ():
        entries = history[key]
        if type(entries) is not list or len(entries) != epochs:
            fail(f"{what} should record one {key} per epoch, {epochs} after epochs={epochs}; its {key!r} is "
                 f"{show(entries)}", one_epoch if type(entries) is list and len(entries) == 1 else None)
    return history
