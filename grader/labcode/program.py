"""Cells (of a notebook, or one script) -> the module that is graded, with a map back to cells and lines.

Notebooks and scripts are read the same way: by default only what the graded functions need is kept (see
`slicing`); with `cells: all` every statement stays. Left-out lines become blank lines, so a script keeps
its line numbers and a notebook cell its own. What was left out, and why, is returned for the feedback.

Code Python cannot parse is treated as Jupyter treats a cell that fails: a notebook cell that does not parse is
left out and named when the graded code does not need it (it mentions no name the graded code needs that the
cells Python can read leave undefined); in a script, the part that does not parse (the cell between `# %%` or
`# In[ ]:` markers, else the top-level statement) is blanked the same way. Where graded code needs it, the
syntax error is the student's, named by cell and line (`GradedModule.syntax_problem`), never by the name of
the file the sandbox is given.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import re
from dataclasses import dataclass, field

from grader.labcode.reasons import summarize
from grader.labcode.slicing import Piece, backward_slice, pieces_of

KEEP_NEEDED = "definitions"   # course.yaml's word for "what the graded functions need"
KEEP_ALL = "all"
SCRIPT_CELL = 0               # a .py file is one cell without a number
MAX_STATEMENTS = 5000         # beyond this many top-level statements a file runs whole (reading it stays cheap)
MAX_SCRIPT_REPAIRS = 8        # a script that does not parse: at most this many parts that do not are set aside


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
    unparsed: bool = False          # left out because Python cannot parse it (and nothing graded needs it)

    def where(self) -> str:
        if self.cell == SCRIPT_CELL:
            first, last = self.lines or (1, 1)
            return f"line {first}" if first == last else f"lines {first}-{last}"
        if self.lines is None:
            return f"cell {self.cell}"
        first, last = self.lines
        return f"cell {self.cell}, line {first}" if first == last else f"cell {self.cell}, lines {first}-{last}"


@dataclass(frozen=True)
class Unparsed:
    """A cell (or a part of a script) that Python cannot parse, where, and why."""

    cell: int
    lines: tuple[int, int] | None   # None: the whole cell
    line: int                       # the error's line, in the cell (in the file, for a script)
    kind: str                       # SyntaxError, IndentationError, TabError
    message: str                    # Python's words, without a file name
    needs: tuple[str, ...] = ()     # the names the graded code needs that only this part may define

    def where(self) -> str:
        return f"line {self.line} of your file" if self.cell == SCRIPT_CELL else f"cell {self.cell}, line {self.line}"

    def problem(self) -> str:
        """The student's syntax error, naming the cell and line, and why grading needs that cell."""
        return f"{self.kind} on {self.where()}: {self.message}{self.why_needed()}"

    def why_needed(self) -> str:
        if not self.needs:
            return ""
        shown = [f"`{name}`" for name in self.needs[:5]] + (["others"] if len(self.needs) > 5 else [])
        names = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
        verb = "is" if len(shown) == 1 else "are"
        if self.cell == SCRIPT_CELL:
            return f" (the graded code needs this part of the file: {names} {verb} not defined in any other part)"
        return f" (the graded code needs this cell: {names} {verb} not defined in any cell that Python can read)"


@dataclass(frozen=True)
class GradedModule:
    text: str
    cell_of_line: dict[int, tuple[int, int]] = field(default_factory=dict)   # module line -> (cell, line in cell)
    function_cells: dict[str, int] = field(default_factory=dict)             # graded name -> cell number
    left_out: tuple[LeftOut, ...] = ()
    notes: tuple[str, ...] = ()          # which definition was graded where a name is reused
    kept_anything: bool = True
    unparsed: tuple[Unparsed, ...] = ()  # kept although Python cannot parse them: the graded code needs them

    def syntax_problem(self, tree: ast.Module | None = None) -> str | None:
        """Why the graded module cannot load, in the student's terms (the cell and line, never a generated file
        name): a part the graded code needs does not parse, or the kept code does not compile. None otherwise.
        `tree`: the module's text parsed, if parsed already."""
        if self.unparsed:
            first = self.unparsed[0]
            more = len(self.unparsed) - 1
            return first.problem() + (f"; and {more} more part{'s' if more > 1 else ''} that do not parse" if more else "")
        error = compile_error(self.text, tree)
        if error is None:
            return None
        line = error.lineno or 0
        where = self.locate(line) if line else "an unknown line"
        return f"{type(error).__name__} on {where}: {error.msg}"

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


def syntax_error(source: str) -> SyntaxError | None:
    """The SyntaxError Python's parser gives for `source`, or None when it parses (or fails another way, which
    `parse_cell` reports)."""
    try:
        ast.parse(source)
    except SyntaxError as error:
        return error
    except (RecursionError, MemoryError, ValueError):
        return None
    return None


def compile_error(source: str, tree: ast.Module | None = None) -> SyntaxError | None:
    """The SyntaxError compiling `source` gives (a `return` or `break` outside its place, a duplicate argument:
    errors the parser lets through), or None. Compiled here, never run; warnings are not shown. `tree`: `source`
    parsed, if parsed already."""
    import warnings

    tree = tree or parsed(source)
    if tree is None:
        return syntax_error(source) if not too_many_tokens(source) else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(tree, "<submission>", "exec", dont_inherit=True)
    except SyntaxError as error:
        return error
    except (RecursionError, MemoryError, ValueError):
        return None
    return None


def _unparsed(error: SyntaxError, cell: int, lines: tuple[int, int] | None) -> Unparsed:
    return Unparsed(cell, lines, error.lineno or 1, type(error).__name__, error.msg or "invalid syntax")


_CELL_MARKER = re.compile(r"#\s*(%%|In\[[\d ]*\]:)")     # VS Code / Spyder / Jupytext cells, Jupyter's .py export
_CONTINUES = re.compile(r"(else|elif|except|finally|case)\b|[)\]}]")   # a line that belongs to the statement above


def _part_around(lines: list[str], line: int, marked: bool) -> tuple[int, int]:
    """The part of a script around `line` (1-based) that is set aside when it does not parse: the cell between two
    cell markers when the script has them, else the top-level statement (decorators and else-branches included)."""
    def starts(number: int) -> bool:
        text = lines[number - 1]
        if marked:
            return bool(_CELL_MARKER.match(text))
        return bool(text) and not text[0].isspace() and not text.startswith("#") and not _CONTINUES.match(text)

    first = line
    while first > 1 and not starts(first):
        first -= 1
    if not marked:
        while first > 1 and lines[first - 2].startswith("@"):
            first -= 1
    elif starts(first) and first < line:
        first += 1   # the marker line stays
    last = line
    while last < len(lines) and not starts(last + 1):
        last += 1
    return first, last


def _repair_script(source: str) -> tuple[str, list[Unparsed]] | None:
    """The script with the parts that do not parse blanked out (line numbers kept), and those parts; None when
    that does not make it parse within MAX_SCRIPT_REPAIRS parts."""
    lines = source.split("\n")
    marked = any(_CELL_MARKER.match(text) for text in lines)
    parts: list[Unparsed] = []
    for _ in range(MAX_SCRIPT_REPAIRS):
        error = syntax_error("\n".join(lines))
        if error is None:
            return "\n".join(lines), parts
        if not error.lineno or not 1 <= error.lineno <= len(lines):
            return None
        first, last = _part_around(lines, error.lineno, marked)
        if not any(text.strip() for text in lines[first - 1:last]):
            return None
        parts.append(_unparsed(error, SCRIPT_CELL, (first, last)))
        lines[first - 1:last] = [""] * (last - first + 1)
    return None


_WORD = re.compile(r"[^\W\d]\w*")
_STAR_IMPORT = re.compile(r"\bimport\s*\*")
_BUILTINS = frozenset(dir(builtins))


def _undefined(pieces: list[Piece], kept: set[int], targets: set[str]) -> set[str]:
    """Names the kept code (and the graded functions themselves) need that no statement that parses defines."""
    defined: set[str] = set()
    for piece in pieces:
        defined |= piece.names.binds | piece.names.touches
    wanted = set(targets)
    for index in kept:
        wanted |= pieces[index].names.reads_now | pieces[index].names.reads_later
    return wanted - defined - _BUILTINS


def _needs(text: str, undefined: set[str]) -> tuple[str, ...]:
    """The undefined names a part that does not parse mentions (it may define them); a star import may define any."""
    if not undefined:
        return ()
    mentioned = set(_WORD.findall(text))
    if _STAR_IMPORT.search(text):
        return tuple(sorted(undefined))
    return tuple(sorted(undefined & mentioned))


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


def _set_aside_unparsed(cells: list[Cell], trees: list[ast.Module | None], keep: str) -> dict[int, list[Unparsed]]:
    """Find what Python cannot parse: a notebook cell as a whole; in a script, the parts to blank so the rest parses
    (the cells between cell markers, else top-level statements), done here in `cells` and `trees`. With `cells:
    all` nothing is set aside. Returns, by position in `cells`, what does not parse."""
    found: dict[int, list[Unparsed]] = {}
    for position, (cell, tree) in enumerate(zip(cells, trees)):
        if tree is not None:
            continue
        error = syntax_error(cell.source)
        if error is None:   # parse_cell gave up another way; it said so already
            continue
        repaired = _repair_script(cell.source) if cell.number == SCRIPT_CELL and keep != KEEP_ALL else None
        if repaired is None:
            found[position] = [_unparsed(error, cell.number, None)]
            continue
        text, parts = repaired
        cells[position] = Cell(cell.number, text)
        trees[position] = parse_cell(text, cell.number)
        found[position] = parts
    return found


def _text_of(cell: Cell, part: Unparsed) -> str:
    if part.lines is None:
        return cell.source
    first, last = part.lines
    return "\n".join(cell.source.split("\n")[first - 1:last])


def _judge_unparsed(found: dict[int, list[Unparsed]], originals: list[Cell], cells: list[Cell],
                    trees: list[ast.Module | None], undefined: set[str]) -> tuple[list[Unparsed], list[LeftOut], set[int]]:
    """Which parts that do not parse the graded code needs (they mention a name it needs that nothing else defines):
    those are kept whole, their error the student's; the others are left out and named, as Jupyter would run the
    other cells. A script with a part it needs is kept whole again. Returns the needed parts, the left-out
    entries, and the positions of notebook cells left out."""
    needed: list[Unparsed] = []
    left_out: list[LeftOut] = []
    skipped: set[int] = set()
    for position, parts in found.items():
        judged = [dataclasses.replace(part, needs=_needs(_text_of(originals[position], part), undefined))
                  for part in parts]
        if cells[position].number == SCRIPT_CELL:
            wanted = [part if part.lines is not None else dataclasses.replace(part, needs=())   # a script with no
                      for part in judged if part.needs or part.lines is None]                   # part set aside is
            if wanted:                                                                           # the student's whole
                needed += wanted
                cells[position], trees[position] = originals[position], None
                continue
        needed += [part for part in judged if part.needs]
        for part in judged:
            if part.needs:
                continue
            left_out.append(LeftOut(part.cell, part.lines, f"does not parse: {part.kind} on line {part.line}: "
                                                           f"{part.message}", unparsed=True))
            if part.lines is None:
                skipped.add(position)
    return needed, left_out, skipped


def build_module(cells: list[Cell], targets: set[str], keep: str = KEEP_NEEDED,
                 lab_names: dict[str, str] | None = None) -> GradedModule:
    """The graded module's text. Code that Python cannot parse is left out and named when the graded code does not
    need it, else kept whole (its error is the student's, `GradedModule.syntax_problem` says where)."""
    cells = list(cells)
    if too_many_tokens(*(cell.source for cell in cells)):
        biggest = max(cells, key=lambda cell: _tokens_up_to_budget(cell.source))
        where = "" if biggest.number == SCRIPT_CELL else f" (most of them in cell {biggest.number})"
        raise TooLargeToRead(f"your code has more than {MAX_PARSED_TOKENS} tokens (names, numbers, operators){where}, "
                             "far more than an exercise needs; hand in only the code of this exercise")
    originals = list(cells)
    trees = [parse_cell(cell.source, cell.number) for cell in cells]
    found = _set_aside_unparsed(cells, trees, keep)
    notes = _rename_redefinitions(cells, trees, lab_names or {}) if keep == KEEP_NEEDED else []
    pieces = [piece for cell, tree in zip(cells, trees) if tree is not None for piece in pieces_of(tree, cell.number)]
    if keep != KEEP_ALL and len(pieces) > MAX_STATEMENTS:
        notes.append(f"your code has more than {MAX_STATEMENTS} top-level statements, so all of it runs, "
                     "as with --all-cells")
        keep = KEEP_ALL
    kept = set(range(len(pieces))) if keep == KEEP_ALL else backward_slice(pieces, targets)
    if keep == KEEP_ALL:
        unparsed_left_out: list[LeftOut] = []
        skipped: set[int] = set()
        unparsed = [part for parts in found.values() for part in parts]
    else:
        unparsed, unparsed_left_out, skipped = _judge_unparsed(found, originals, cells, trees,
                                                               _undefined(pieces, kept, targets) if found else set())
        if any(tree is None and cell.number == SCRIPT_CELL for cell, tree in zip(cells, trees)):
            # a script kept whole, as it does not parse: nothing of it is sliced
            pieces, kept = [], set()
    notes += _reuse_notes(pieces, targets)
    kept_lines: dict[int, set[int]] = {}
    for index in kept:
        piece = pieces[index]
        kept_lines.setdefault(piece.cell, set()).update(range(piece.first, piece.last + 1))

    parts: list[str] = []
    cell_of_line: dict[int, tuple[int, int]] = {}
    function_cells: dict[str, int] = {}
    for position, (cell, tree) in enumerate(zip(cells, trees)):
        if position in skipped:
            continue
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
    kept_anything = bool(kept) or bool(unparsed)
    left_out = [] if keep == KEEP_ALL else _left_out(pieces, kept) + unparsed_left_out
    left_out.sort(key=lambda item: (item.cell, item.lines[0] if item.lines else 0))
    return GradedModule("\n".join(parts) + "\n", cell_of_line, function_cells, tuple(left_out), tuple(notes),
                        kept_anything, tuple(unparsed))
