"""Cells (of a notebook, or one script) -> the module that is graded, with a map back to cells and lines.

Notebooks and scripts are read the same way: by default only what the graded functions need is kept (see
`slicing`); with `cells: all` every statement stays. Left-out lines become blank lines, so a script keeps
its line numbers and a notebook cell its own. What was left out, and why, is returned for the feedback.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from grader.labcode.reasons import summarize
from grader.labcode.slicing import Piece, backward_slice, pieces_of

KEEP_NEEDED = "definitions"   # course.yaml's word for "what the graded functions need"
KEEP_ALL = "all"
SCRIPT_CELL = 0               # a .py file is one cell without a number
MAX_STATEMENTS = 5000         # beyond this many top-level statements a file runs whole (reading it stays cheap)


class UnreadableCell(ValueError):
    """Python cannot even parse the cell (nested thousands deep, a NUL character); the message says so."""


@dataclass(frozen=True)
class Cell:
    number: int
    source: str


@dataclass(frozen=True)
class LeftOut:
    cell: int
    lines: tuple[int, int] | None   # None: the whole cell
    why: str

    def where(self) -> str:
        if self.cell == SCRIPT_CELL:
            first, last = self.lines or (1, 1)
            return f"line {first}" if first == last else f"lines {first}-{last}"
        if self.lines is None:
            return f"cell {self.cell}"
        first, last = self.lines
        return f"cell {self.cell}, line {first}" if first == last else f"cell {self.cell}, lines {first}-{last}"


@dataclass(frozen=True)
class GradedModule:
    text: str
    cell_of_line: dict[int, tuple[int, int]] = field(default_factory=dict)   # module line -> (cell, line in cell)
    function_cells: dict[str, int] = field(default_factory=dict)             # graded name -> cell number
    left_out: tuple[LeftOut, ...] = ()
    notes: tuple[str, ...] = ()          # which definition was graded where a name is reused
    kept_anything: bool = True

    def locate(self, line: int) -> str:
        cell = self.cell_of_line.get(line)
        if cell is None or cell[0] == SCRIPT_CELL:
            return f"line {cell[1] if cell else line} of your file"
        return f"cell {cell[0]}, line {cell[1]}"

    def defined_in(self, name: str) -> str | None:
        cell = self.function_cells.get(name)
        return f"cell {cell}" if cell not in (None, SCRIPT_CELL) else None


MAX_PARSED_TOKENS = 100_000   # lab code has a few thousand; ast needs about 1 KB of memory per token
_TOKEN = re.compile(r"\w+|[^\w\s]")


class TooLargeToRead(UnreadableCell):
    """Past the token budget: refused before anything is parsed, in the sandbox too."""


def too_many_tokens(*sources: str) -> bool:
    """Counted before anything is parsed here, in the grader's own process: 2 MB of `a;` is a million
    statements, and Python's parser would take about 2 GB for them."""
    total = 0
    for source in sources:
        total += _tokens_up_to_budget(source)
        if total > MAX_PARSED_TOKENS:
            return True
    return False


def _tokens_up_to_budget(source: str) -> int:
    count = 0
    for _ in _TOKEN.finditer(source):
        count += 1
        if count > MAX_PARSED_TOKENS:
            break
    return count


def parse_bounded(source: str) -> ast.Module:
    """ast.parse, for sources within the token budget; raises ValueError past it (as for a NUL byte)."""
    if too_many_tokens(source):
        raise ValueError(f"more than {MAX_PARSED_TOKENS} tokens")
    return ast.parse(source)


def parsed(source: str) -> ast.Module | None:
    """`source`'s syntax tree within the parser's budget, or None when it cannot be parsed."""
    try:
        return parse_bounded(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def parse_cell(source: str, number: int) -> ast.Module | None:
    """The cell's syntax tree, or None on a syntax error (kept whole, so the student sees Python's message)."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return None
    except (RecursionError, MemoryError):
        place = "the file" if number == SCRIPT_CELL else f"cell {number}"
        raise UnreadableCell(f"{place} is too deeply nested for Python to read (an expression with thousands "
                             "of nested brackets or chained operators); split it into smaller steps") from None
    except ValueError:
        place = "the file" if number == SCRIPT_CELL else f"cell {number}"
        raise UnreadableCell(f"{place} contains a NUL character, which Python code cannot hold; "
                             "delete it and save again") from None


def _place(cell: int) -> str:
    return "your file" if cell == SCRIPT_CELL else f"cell {cell}"


def _rename_redefinitions(cells: list[Cell], trees: list[ast.Module | None], lab_names: dict[str, str]) -> list[str]:
    """A lab that defines `original` twice (the CNN lab's second, two-block model) has its second definition
    graded as `alias` when the file has no `alias` of its own. Rewrites that `def` line; returns notes."""
    notes = []
    defs: dict[str, list[tuple[int, ast.FunctionDef | ast.AsyncFunctionDef]]] = {}
    for position, tree in enumerate(trees):
        for node in tree.body if tree is not None else ():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs.setdefault(node.name, []).append((position, node))
    for alias, original in lab_names.items():
        if alias in defs or len(defs.get(original, ())) < 2:
            continue
        position, node = defs[original][-1]
        lines = cells[position].source.split("\n")
        lines[node.lineno - 1] = re.sub(rf"\bdef\s+{re.escape(original)}\b", f"def {alias}", lines[node.lineno - 1], count=1)
        cells[position] = Cell(cells[position].number, "\n".join(lines))
        trees[position] = ast.parse(cells[position].source)
        first = defs[original][-2][0]
        notes.append(f"`{original}` is defined twice: the definition in {_place(cells[first].number)} was graded as "
                     f"`{original}`, the one in {_place(cells[position].number)} as `{alias}`")
    return notes


def _reuse_notes(pieces: list[Piece], targets: set[str]) -> list[str]:
    places: dict[str, list[int]] = {}
    for piece in pieces:
        if isinstance(piece.node, (ast.FunctionDef, ast.AsyncFunctionDef)) and piece.node.name in targets:
            places.setdefault(piece.node.name, []).append(piece.cell)
    notes = []
    for name, cells in places.items():
        if len(cells) > 1:
            where = ", ".join(_place(cell) for cell in cells[:-1])
            notes.append(f"`{name}` is defined more than once ({where} and {_place(cells[-1])}): the last definition, "
                         f"in {_place(cells[-1])}, was graded, as Python keeps the last")
    return notes


def _is_docstring(node: ast.stmt) -> bool:
    """A bare string (a docstring, a string used as a comment) does nothing: leaving it out is not worth a word."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _left_out(pieces: list[Piece], kept: set[int]) -> list[LeftOut]:
    by_cell: dict[int, list[int]] = {}
    for index, piece in enumerate(pieces):
        by_cell.setdefault(piece.cell, []).append(index)
    result = []
    for cell, indexes in by_cell.items():
        dropped = {i for i in indexes if i not in kept and not _is_docstring(pieces[i].node)}
        if not dropped:
            continue
        if not any(i in kept for i in indexes) and cell != SCRIPT_CELL:
            result.append(LeftOut(cell, None, summarize([pieces[i].node for i in sorted(dropped)])))
            continue
        run: list[int] = []
        for i in indexes + [-1]:
            if i in dropped and (not run or run[-1] == i - 1):
                run.append(i)
                continue
            if run:
                result.append(LeftOut(cell, (pieces[run[0]].first, pieces[run[-1]].last),
                                      summarize([pieces[j].node for j in run])))
            run = [i] if i in dropped else []
    return result


def build_module(cells: list[Cell], targets: set[str], keep: str = KEEP_NEEDED,
                 lab_names: dict[str, str] | None = None) -> GradedModule:
    """The graded module's text. Cells that Python cannot parse are kept whole (their error is the student's)."""
    cells = list(cells)
    if too_many_tokens(*(cell.source for cell in cells)):
        biggest = max(cells, key=lambda cell: _tokens_up_to_budget(cell.source))
        where = "" if biggest.number == SCRIPT_CELL else f" (most of them in cell {biggest.number})"
        raise TooLargeToRead(f"your code has more than {MAX_PARSED_TOKENS} tokens (names, numbers, operators){where}, "
                             "far more than an exercise needs; hand in only the code of this exercise")
    trees = [parse_cell(cell.source, cell.number) for cell in cells]
    notes = _rename_redefinitions(cells, trees, lab_names or {}) if keep == KEEP_NEEDED else []
    pieces = [piece for cell, tree in zip(cells, trees) if tree is not None for piece in pieces_of(tree, cell.number)]
    if keep != KEEP_ALL and len(pieces) > MAX_STATEMENTS:
        notes.append(f"your code has more than {MAX_STATEMENTS} top-level statements, so all of it runs, "
                     "as with --all-cells")
        keep = KEEP_ALL
    kept = set(range(len(pieces))) if keep == KEEP_ALL else backward_slice(pieces, targets)
    notes += _reuse_notes(pieces, targets)
    kept_lines: dict[int, set[int]] = {}
    for index in kept:
        piece = pieces[index]
        kept_lines.setdefault(piece.cell, set()).update(range(piece.first, piece.last + 1))

    parts: list[str] = []
    cell_of_line: dict[int, tuple[int, int]] = {}
    function_cells: dict[str, int] = {}
    for cell, tree in zip(cells, trees):
        lines = cell.source.split("\n")
        if tree is not None:
            keep_here = kept_lines.get(cell.number, set())
            lines = [text if number in keep_here else "" for number, text in enumerate(lines, start=1)]
            if not any(text.strip() for text in lines):
                continue
        if cell.number != SCRIPT_CELL:
            parts.append(f"# ---- notebook cell {cell.number} ----")
        for offset, text in enumerate(lines, start=1):
            parts.append(text)
            cell_of_line[len(parts)] = (cell.number, offset)
    for index in sorted(kept):
        node = pieces[index].node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            function_cells[node.name] = pieces[index].cell
    kept_anything = bool(kept) or any(tree is None for tree in trees)
    left_out = [] if keep == KEEP_ALL else _left_out(pieces, kept)
    return GradedModule("\n".join(parts) + "\n", cell_of_line, function_cells, tuple(left_out), tuple(notes),
                        kept_anything)
