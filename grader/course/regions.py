"""Solution regions: the stub generated from the reference, so an author writes one file.

An author marks what students must write in the reference solution, as Otter-Grader and nbgrader authors do:

    def mse(y_true, y_pred):
        \"\"\"The mean of the squared differences.\"\"\"
        # BEGIN SOLUTION: compute the mean squared error
        return np.mean((y_true - y_pred) ** 2)
        # END SOLUTION

    rate = 0.1  # SOLUTION                 -> rate = ...
    return total / count  # SOLUTION       -> return ...

A region becomes `raise NotImplementedError("TODO: <the text after BEGIN SOLUTION>")` at the marker's
indentation; `# BEGIN SOLUTION NO PROMPT` regions disappear; a line ending in `# SOLUTION` keeps its assignment
or `return` and loses its value (`...`). Comment lines starting `# AUTHOR:` are notes for authors: they stay in the
reference and never reach the stub. The generated stub must be valid Python. `grade validate` holds a committed
stub to what its reference generates; `grade new --sync ID` writes it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

BEGIN = re.compile(r"^(?P<indent>[ \t]*)#+\s*BEGIN SOLUTION\b(?P<rest>.*)$")
END = re.compile(r"^[ \t]*#+\s*END SOLUTION\b")
INLINE = re.compile(r"^(?P<indent>[ \t]*)(?P<code>[^\s#].*?)\s*#+\s*SOLUTION\s*$")
AUTHOR_NOTE = re.compile(r"^[ \t]*#+\s*AUTHOR:")
NO_PROMPT = "NO PROMPT"
DEFAULT_TODO = "write this part"


class RegionError(ValueError):
    """The reference's solution regions cannot make a stub: the message names the line and what to do."""


@dataclass(frozen=True)
class StubDifference:
    """Where a committed stub first differs from the one its reference generates (1-based line)."""

    line: int
    committed: str
    generated: str

    def __str__(self) -> str:
        return f"line {self.line} is {self.committed!r} but the reference generates {self.generated!r}"


def has_regions(reference: str) -> bool:
    """Whether the reference marks any solution (a region or a `# SOLUTION` line)."""
    return any(BEGIN.match(line) or INLINE.match(line) for line in reference.splitlines())


def stub_from_reference(reference: str, name: str = "the reference") -> str:
    """The stub the reference's solution regions generate; RegionError naming the line when they cannot."""
    lines = reference.splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        begin = BEGIN.match(line)
        if begin:
            end = _region_end(lines, index, name)
            out += _prompt(begin["indent"], begin["rest"], index + 1, name)
            index = end + 1
            continue
        if END.match(line):
            raise RegionError(f"{name}, line {index + 1}: `# END SOLUTION` without a `# BEGIN SOLUTION` before it; "
                              "add the BEGIN line or remove this one")
        if not AUTHOR_NOTE.match(line):
            inline = INLINE.match(line)
            out.append(_without_value(inline["indent"], inline["code"], index + 1, name) if inline else line)
        index += 1
    stub = "\n".join(out) + ("\n" if reference.endswith("\n") else "")
    try:
        ast.parse(stub)
    except SyntaxError as exc:
        raise RegionError(f"{name}: the stub its solution regions generate is not valid Python (line {exc.lineno} "
                          f"of the stub: {exc.msg}); a region must leave a statement behind, e.g. not be a "
                          "function's whole body as NO PROMPT") from None
    return stub


def first_difference(committed: str, generated: str) -> StubDifference | None:
    """The first line where the two stubs differ (a missing line reads as ''), or None when they are equal."""
    if committed == generated:
        return None
    old, new = committed.splitlines(), generated.splitlines()
    for number in range(max(len(old), len(new))):
        a = old[number] if number < len(old) else ""
        b = new[number] if number < len(new) else ""
        if a != b:
            return StubDifference(number + 1, a, b)
    return StubDifference(len(old) + 1, "(end of file)", "a final newline")


def _region_end(lines: list[str], start: int, name: str) -> int:
    for index in range(start + 1, len(lines)):
        if BEGIN.match(lines[index]):
            raise RegionError(f"{name}, line {index + 1}: a `# BEGIN SOLUTION` inside the region opened on line "
                              f"{start + 1}; close that one with `# END SOLUTION` first (regions do not nest)")
        if END.match(lines[index]):
            return index
    raise RegionError(f"{name}, line {start + 1}: `# BEGIN SOLUTION` is never closed; add `# END SOLUTION` "
                      "after the region's last line")


def _prompt(indent: str, rest: str, line: int, name: str) -> list[str]:
    """What a region leaves in the stub: a NotImplementedError saying what to write, or nothing (NO PROMPT)."""
    text = rest.strip().lstrip(":").strip()
    if text.upper() == NO_PROMPT:
        return []
    if not indent:
        raise RegionError(f"{name}, line {line}: a solution region at the top level of the file would make the stub "
                          "raise when it is imported; put the region inside a function, or write "
                          "`# BEGIN SOLUTION NO PROMPT` to leave the lines out of the stub")
    todo = (text or DEFAULT_TODO).replace("\\", "\\\\").replace('"', '\\"')
    return [f'{indent}raise NotImplementedError("TODO: {todo}")']


def _without_value(indent: str, code: str, line: int, name: str) -> str:
    """`x = value  # SOLUTION` -> `x = ...`, `return value  # SOLUTION` -> `return ...`."""
    try:
        statement = ast.parse(code).body[0]
    except (SyntaxError, IndexError):
        statement = None
    if isinstance(statement, ast.Return):
        return f"{indent}return ..."
    if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and statement.value is not None:
        target = code.encode("utf-8")[:statement.value.col_offset].decode("utf-8")   # col_offset counts bytes
        return f"{indent}{target.rstrip()} ..."
    raise RegionError(f"{name}, line {line}: `# SOLUTION` ends a line that is neither an assignment nor a return; "
                      "mark longer solutions with `# BEGIN SOLUTION` and `# END SOLUTION` lines instead")
