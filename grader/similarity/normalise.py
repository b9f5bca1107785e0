"""Python source -> the token streams that identify its author: its structure, and its code as written.

The structure (`normalise`): comments, docstrings, blank lines, indentation and line breaks go; every
name the author chose (variables, parameters, functions, import aliases) becomes `V`; string literals
become `S`. What stays is what a copier cannot change without rewriting the code: keywords, operators,
numbers, builtins and attribute names (`np.exp(z)` is `V . exp ( V )`), so reformatting and renaming
change nothing. The code as written (`read_tokens`' second stream): every token as the author wrote it,
names, strings, docstrings and comments included, only the layout gone. Where an exercise dictates the
structure of every correct solution, what a copy keeps that no two authors write alike is there (the
names chosen, the comments). Python's own `tokenize` reads the code. A file `tokenize` gives up on (a
bad dedent, an unclosed bracket) is read up to the error and resumed on the next line: a broken copy is
still a copy.

Reading is linear in the text whatever it holds (budget.py): `tokenize` is handed each line at most once,
never a line longer than the budget's `long_line` (its string scanning is quadratic in a line) nor a text
larger than `python_tokenize_bytes`; those, and the rest of a stretch after a string `tokenize` found
unclosed (resuming after it would read the rest of the file again, once per such line), are read by
`_regex_tokens`, which gives the same tokens on ordinary code.
"""

from __future__ import annotations

import bisect
import builtins
import hashlib
import itertools
import keyword
import re
import token
import tokenize
from dataclasses import dataclass

from grader.similarity.budget import DEFAULT, SimilarityBudget

NAME_MARK = "V"
STRING_MARK = "S"
LONG_TOKEN = 64   # characters: a longer token as written (a string, a comment) is compared by its digest
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


_PREFIX = r"(?:[rR][bBfF]?|[bBfF][rR]?|[uU])?"
_OPERATORS = "|".join(re.escape(op) for op in sorted(token.EXACT_TOKEN_TYPES, key=len, reverse=True))
_SCAN = re.compile(
    r"[ \t\f]*(?:(?P<newline>\r\n|\r|\n)|(?P<continuation>\\\r?\n)|(?P<comment>#[^\r\n]*)"
    rf"|(?P<triple>{_PREFIX}(?:'''|\"\"\"))|(?P<number>{tokenize.Number})"
    rf"|(?P<quote>{_PREFIX}['\"])|(?P<op>{_OPERATORS})|(?P<name>\w+)|(?P<other>.))")
# How far a single-quoted string's body reaches: to its closing quote, or to a line end no backslash continues.
_REACH = {quote: re.compile(rf"[^\n{quote}\\]*(?:(?:\\\r?\n|\\.)[^\n{quote}\\]*)*") for quote in "'\""}
_LINE_END = re.compile(r"[\r\n]|\Z")


def _line_end(text: str, position: int) -> int:
    """Where the line holding `position` ends (the pattern matches at the end of the text at the latest)."""
    found = _LINE_END.search(text, position)
    assert found is not None
    return found.start()


def _reach(quote: str, text: str, position: int) -> int:
    """How far a string opened by `quote` could reach on its line (the pattern matches the empty string too)."""
    found = _REACH[quote].match(text, position)
    assert found is not None
    return found.end()
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")
_KINDS = {"comment": token.COMMENT, "number": token.NUMBER, "string": token.STRING, "op": token.OP,
          "name": token.NAME, "other": token.ERRORTOKEN}


class _Closers:
    """Where each triple-quoted string of a text ends, found for all of them in one pass over the text.

    A string whose content starts at c ends at the first triple quote at or after c that no odd run of
    backslashes escapes. Whether a run is odd does not depend on c (a run stops at the opening quotes), so
    the first unescaped triple quote at or after each occurrence is computed once, backwards, and each
    string's end is one bisection: an unclosed string never makes the tokenizer scan the rest of the file."""

    def __init__(self, text: str) -> None:
        self.found: dict[str, tuple[list[int], list[int | None]]] = {}
        for quotes in ("'''", '"""'):
            places = [match.start() for match in re.finditer(f"(?={quotes})", text)]
            after: list[int | None] = [None] * (len(places) + 1)
            for index in range(len(places) - 1, -1, -1):
                place, run = places[index], 0
                while place - run > 0 and text[place - run - 1] == "\\":
                    run += 1
                after[index] = place if run % 2 == 0 else after[index + 1]
            self.found[quotes] = (places, after)

    def end(self, quotes: str, content: int) -> int | None:
        """The offset just past the string whose content starts at `content`, or None when it is never closed."""
        places, after = self.found[quotes]
        place = after[bisect.bisect_left(places, content)]
        return None if place is None else place + 3


def _regex_tokens(lines: list[str], first: int, end: int, out: list[_Raw]) -> None:
    """Append the tokens of lines[first:end] to `out`, reading each character a bounded number of times: names,
    numbers, operators, strings and comments as Python's tokenize finds them (the same tokens on every .py file
    of the course, the grader and the standard library), NEWLINE at the end of a logical line. A quote that
    opens no closed string is an error token, as in tokenize, but its body is read once per kind of quote
    and line, not once per quote; a triple-quoted string never closed runs to the end of its line."""
    text = "".join(lines[first:end])
    starts = list(itertools.accumulate((len(line) for line in lines[first:end - 1]), initial=0))
    closers: _Closers | None = None
    unclosed = {"'": -1, '"': -1}   # a quote of this kind before this offset opens no string: its body was read
    depth, pending, position = 0, False, 0

    def add(kind: int, start: int, stop: int) -> None:
        out.append(_Raw(kind, text[start:stop], first + bisect.bisect_right(starts, start)))

    while position < len(text):
        match = _SCAN.match(text, position)
        if match is None:   # only blanks are left
            break
        group = match.lastgroup or "other"   # every alternative of _SCAN is a named group
        start, position = match.start(group), match.end()
        if group == "newline":
            add(token.NEWLINE if pending and depth == 0 else token.NL, start, position)
            pending = pending and depth > 0
            continue
        if group == "continuation":
            continue
        if group == "triple":
            closers = closers or _Closers(text)
            stop = closers.end(text[position - 3:position], position)
            position = stop if stop is not None else _line_end(text, position)
            group = "string"
        elif group == "quote":   # closed: one STRING; never closed: as Python's tokenize, the quote is an error
            quote = text[position - 1]
            reach = position if position < unclosed[quote] else _reach(quote, text, position)
            if reach < len(text) and text[reach] == quote:
                position, group = reach + 1, "string"
            else:
                # Read from any later quote of this kind up to `reach`, the body would end where this one did
                # (that quote was escaped here, so the state after it is the same): never read it again.
                unclosed[quote] = max(unclosed[quote], reach)
                if position - 1 > start:
                    add(token.NAME, start, position - 1)   # the prefix letters, as a name
                    pending = True
                start, group = position - 1, "other"
        elif group == "op":
            value = match.group(group)
            depth = depth + 1 if value in _OPENING else max(0, depth - 1) if value in _CLOSING else depth
        add(_KINDS[group], start, position)
        pending = pending or group != "comment"
    if pending:
        add(token.NEWLINE, len(text), len(text))


def _python_tokens(lines: list[str], first: int, end: int, out: list[_Raw]) -> tuple[int, int]:
    """Append the tokens Python's tokenize finds in lines[first:end] to `out`. Returns the 0-based line to go
    on from (`end` when it read them all) and how far it read (the line after the last it was handed)."""
    read = first

    def reader() -> str:   # O(1) per line, and each line is handed out once
        nonlocal read
        if read >= end:
            return ""
        read += 1
        return lines[read - 1]

    try:
        for item in tokenize.generate_tokens(reader):
            out.append(_Raw(item.type, item.string, item.start[0] + first))
    except tokenize.TokenError as exc:   # an unclosed bracket or string: go on after the line it started on
        position = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else (end - first, 0)
        return min(end, first + max(1, position[0])), read
    except SyntaxError as exc:   # IndentationError, and the C tokenizer's errors on Python 3.12+
        return min(end, first + max(1, exc.lineno or 1)), read
    return end, read


def _raw_tokens(text: str, budget: SimilarityBudget = DEFAULT) -> list[_Raw]:
    """The raw tokens of `text`: by Python's tokenize, or by `_regex_tokens` (which reads ordinary code as Python
    does, in linear time) for a text larger than the budget's or with a line longer than its `long_line`, and for
    the rest of the text once Python's tokenize stopped at an error it found past the line it resumes from (an
    unclosed string or bracket). A whole text is read in one state: a string or bracket opened before a long
    line is read on past it as what it is."""
    lines = text.splitlines(keepends=True)
    out: list[_Raw] = []
    if len(text) > budget.python_tokenize_bytes or any(len(line) > budget.long_line for line in lines):
        _regex_tokens(lines, 0, len(lines), out)
        return out
    first = 0
    while first < len(lines):
        resume, read = _python_tokens(lines, first, len(lines), out)
        if resume < read:   # tokenize would read again what it read: the regex tokenizer reads the rest
            _regex_tokens(lines, resume, len(lines), out)
            return out
        first = resume
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


def _as_written(item: _Raw) -> str:
    """A token as written, for the second stream: a comment's words with their spacing made one, and a long
    token (a string, a comment) as a digest of it, so that no token costs more than LONG_TOKEN characters."""
    value = " ".join(item.string.split()) if item.type == token.COMMENT else item.string
    if len(value) <= LONG_TOKEN:
        return value
    return "#" + hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def read_tokens(text: str, budget: SimilarityBudget = DEFAULT) -> tuple[Tokens, Tokens]:
    """The structure of `text` (`normalise`) and its code as written (names, strings, docstrings and comments
    as the author wrote them, without the layout), from one reading of the text."""
    raw = _merge_fstrings(_raw_tokens(text, budget))
    docstrings = _docstring_positions(raw)
    values: list[str] = []
    lines: list[int] = []
    written: list[str] = []
    written_lines: list[int] = []
    previous = ""
    for index, item in enumerate(raw):
        if not item.string.strip() or (item.type in _DROPPED and item.type != token.COMMENT):
            continue
        written.append(_as_written(item))
        written_lines.append(item.line)
        if item.type == token.COMMENT or index in docstrings:
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
    return Tokens(tuple(values), tuple(lines)), Tokens(tuple(written), tuple(written_lines))


def normalise(text: str, budget: SimilarityBudget = DEFAULT) -> Tokens:
    """The tokens of `text` that say how it was written, with the author's names and comments removed."""
    return read_tokens(text, budget)[0]
