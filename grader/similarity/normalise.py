"""Python source -> the token stream that identifies its author, and nothing else.

Comments, docstrings, blank lines, indentation and line breaks go; every name the author chose
(variables, parameters, functions, import aliases) becomes `V`; string literals become `S`. What stays
is what a copier cannot change without rewriting the code: keywords, operators, numbers, builtins and
attribute names (`np.exp(z)` is `V . exp ( V )`). Python's own `tokenize` reads the code, so
reformatting and renaming change nothing. A file `tokenize` gives up on (a bad dedent, an unclosed
bracket) is read up to the error and resumed on the next line: a broken copy is still a copy.
"""

from __future__ import annotations

import builtins
import keyword
import token
import tokenize
from dataclasses import dataclass

NAME_MARK = "V"
STRING_MARK = "S"
_BUILTINS = frozenset(dir(builtins))
_DROPPED = {token.COMMENT, token.NL, token.NEWLINE, token.INDENT, token.DEDENT, token.ENCODING, token.ENDMARKER}
_STATEMENT_START = {token.NEWLINE, token.INDENT, token.DEDENT}
_FSTRING_START = getattr(token, "FSTRING_START", None)   # Python 3.12+: f-strings are several tokens
_FSTRING_END = getattr(token, "FSTRING_END", None)


@dataclass(frozen=True)
class Tokens:
    """Normalised tokens and the 1-based line of the text each one came from."""

    values: tuple[str, ...]
    lines: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class _Raw:
    type: int
    string: str
    line: int


def _tokenize_from(lines: list[str], first: int, out: list[_Raw]) -> int | None:
    """Append the tokens of lines[first:] to `out`; the 0-based line to resume after on an error, else None."""
    cursor = iter(range(first, len(lines)))   # O(1) per line: a file with an error on every line stays linear

    def reader() -> str:
        index = next(cursor, None)
        return "" if index is None else lines[index]

    try:
        for item in tokenize.generate_tokens(reader):
            out.append(_Raw(item.type, item.string, item.start[0] + first))
    except tokenize.TokenError as exc:
        position = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else (len(lines) - first, 0)
        return first + max(1, position[0])
    except SyntaxError as exc:   # IndentationError, and the C tokenizer's errors on Python 3.12+
        return first + max(1, exc.lineno or 1)
    return None


def _raw_tokens(text: str) -> list[_Raw]:
    lines = text.splitlines(keepends=True)
    out: list[_Raw] = []
    first: int | None = 0
    while first is not None and first < len(lines):
        first = _tokenize_from(lines, first, out)
    return out


def _merge_fstrings(raw: list[_Raw]) -> list[_Raw]:
    """One STRING token per f-string, as Python 3.11 and earlier produce."""
    if _FSTRING_START is None:
        return raw
    merged: list[_Raw] = []
    depth = 0
    for item in raw:
        if item.type == _FSTRING_START:
            if depth == 0:
                merged.append(_Raw(token.STRING, item.string, item.line))
            depth += 1
        elif item.type == _FSTRING_END:
            depth = max(0, depth - 1)
        elif depth == 0:
            merged.append(item)
    return merged


def _docstring_positions(raw: list[_Raw]) -> set[int]:
    """Indexes of string tokens that form a statement on their own (docstrings, strings used as comments)."""
    found: set[int] = set()
    significant = [i for i, item in enumerate(raw) if item.type not in (token.COMMENT, token.NL)]
    for rank, index in enumerate(significant):
        if raw[index].type != token.STRING:
            continue
        previous = raw[significant[rank - 1]].type if rank else token.NEWLINE
        if previous not in _STATEMENT_START:
            continue
        end = rank
        while end + 1 < len(significant) and raw[significant[end + 1]].type == token.STRING:
            end += 1
        after = raw[significant[end + 1]].type if end + 1 < len(significant) else token.ENDMARKER
        if after in (token.NEWLINE, token.ENDMARKER, token.DEDENT):
            found.update(significant[rank:end + 1])
    return found


def normalise(text: str) -> Tokens:
    """The tokens of `text` that say how it was written, with the author's names and comments removed."""
    raw = _merge_fstrings(_raw_tokens(text))
    docstrings = _docstring_positions(raw)
    values: list[str] = []
    lines: list[int] = []
    previous = ""
    for index, item in enumerate(raw):
        if item.type in _DROPPED or index in docstrings or not item.string.strip():
            continue
        if item.type == token.NAME:
            keep = keyword.iskeyword(item.string) or previous == "." or item.string in _BUILTINS
            value = item.string if keep else NAME_MARK
        elif item.type == token.STRING:
            value = STRING_MARK
        else:
            value = item.string
        values.append(value)
        lines.append(item.line)
        previous = item.string
    return Tokens(tuple(values), tuple(lines))
