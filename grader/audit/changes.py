"""A case's change to the reference: `old`/`new` replacements applied in order, and the readable ones between two texts.

A case file holds only what its submission changes, so a fix to the reference reaches every case at once; a
replacement whose `old` text is gone (or has become ambiguous) is reported by its number and text, never guessed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Replacement:
    old: str   # whole lines of the text it is applied to, occurring there exactly once
    new: str


class ChangeDoesNotApply(ValueError):
    """Replacement number `index` (from 0) found its `old` text `count` times instead of once."""

    def __init__(self, index: int, total: int, old: str, count: int) -> None:
        super().__init__(f"change {index + 1} of {total}: its old text occurs {count} times")
        self.index, self.total, self.old, self.count = index, total, old, count


def occurrences(text: str, part: str) -> int:
    """How many times `part` occurs in `text`, overlapping ones too (0, 1 or 2: 2 means more than once)."""
    first = text.find(part)
    if first < 0:
        return 0
    return 1 if text.find(part, first + 1) < 0 else 2


def apply_changes(text: str, changes: tuple[Replacement, ...]) -> str:
    """`text` with each replacement made in order; each `old` must occur exactly once in the text it meets."""
    for index, change in enumerate(changes):
        count = occurrences(text, change.old) if change.old else 0
        if count != 1:
            raise ChangeDoesNotApply(index, len(changes), change.old, count)
        text = text.replace(change.old, change.new, 1)
    return text


def replacements_between(before: str, after: str, gap: int = 2) -> tuple[Replacement, ...]:
    """Replacements that turn `before` into `after`: whole changed lines, with as few neighbouring lines as make each
    `old` unique in the text it is applied to; changes at most `gap` lines apart are one replacement."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    hunks = [[i1, i2, j1, j2] for tag, i1, i2, j1, j2
             in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if tag != "equal"]
    merged: list[list[int]] = []
    for hunk in hunks:
        if merged and hunk[0] - merged[-1][1] <= gap:
            merged[-1][1], merged[-1][3] = hunk[1], hunk[3]
        else:
            merged.append(hunk)
    found: list[Replacement] = []
    done_a = done_b = 0       # the text so far is b[:done_b] + a[done_a:]
    k = 0
    while k < len(merged):
        i1, i2, j1, j2 = merged[k]
        current = b[:done_b] + a[done_a:]
        start, end = done_b + i1 - done_a, done_b + i2 - done_a        # the hunk's old lines in `current`
        limit = done_b + merged[k + 1][0] - done_a if k + 1 < len(merged) else len(current)
        low, high, upward = start, end, True
        whole = "".join(current)
        while not (low < high and occurrences(whole, "".join(current[low:high])) == 1):
            if (upward or high >= limit) and low > 0:
                low -= 1
            elif high < limit:
                high += 1
            elif k + 1 < len(merged):          # the context reached the next change: make them one
                break
            else:
                raise ValueError("no unique text to replace: the text before the change is empty")
            upward = not upward
        else:
            found.append(Replacement("".join(current[low:high]),
                                     "".join(current[low:start]) + "".join(b[j1:j2]) + "".join(current[end:high])))
            done_a, done_b = i2 + (high - end), j2 + (high - end)
            k += 1
            continue
        merged[k:k + 2] = [[i1, merged[k + 1][1], j1, merged[k + 1][3]]]
    return tuple(found)


def unified(before: str, after: str, names: tuple[str, str] = ("reference", "case"), context: int = 1) -> str:
    """A short unified diff, for people."""
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), *names, n=context))


def _block(text: str) -> str:
    """`text` as a YAML literal block under a key at column 2 (content at column 4), read back exactly."""
    if text == "":
        return ' ""\n'
    chomp = "" if text.endswith("\n") and not text.endswith("\n\n") and text != "\n" else ("+" if text.endswith("\n") else "-")
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
    indentation = "2" if text[:1] in (" ", "\n") else ""   # the first line's own leading spaces are kept
    return f" |{indentation}{chomp}\n" + "".join(("    " + line if line else "") + "\n" for line in lines)


def change_yaml(changes: tuple[Replacement, ...]) -> str:
    """The `change:` list of a case file, in block scalars so each line reads as it does in the code."""
    return "change:\n" + "".join(f"- old:{_block(c.old)}  new:{_block(c.new)}" for c in changes)
