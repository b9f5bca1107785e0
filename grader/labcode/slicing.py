"""A backward slice over top-level statements: what the graded functions need, and nothing else.

Starting from the functions the checks call, keep the statement that last defines each name they read
(for a function body: the last definition in the whole file, since the body runs after the file did;
for a top-level statement: the last one before it), every statement in between that changes the name,
and, transitively, what those read. Training runs, plots and imports that nothing kept reads fall away.
"""

from __future__ import annotations

import ast
import builtins
from bisect import bisect_left
from functools import cached_property
from dataclasses import dataclass

from grader.labcode.names import StatementNames, statement_names

_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Piece:
    """One top-level statement of a cell (or of a script, cell 0)."""

    cell: int
    first: int      # first line in its cell, decorators included
    last: int
    node: ast.stmt

    @cached_property
    def names(self) -> StatementNames:
        """Read only when slicing: a file that runs whole never pays for it."""
        return statement_names(self.node)

    @property
    def is_import(self) -> bool:
        return isinstance(self.node, (ast.Import, ast.ImportFrom))

    @property
    def is_star_import(self) -> bool:
        return isinstance(self.node, ast.ImportFrom) and any(alias.name == "*" for alias in self.node.names)

    @property
    def is_future(self) -> bool:
        return isinstance(self.node, ast.ImportFrom) and self.node.module == "__future__"


def pieces_of(tree: ast.Module, cell: int) -> list[Piece]:
    pieces = []
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        pieces.append(Piece(cell, first, node.end_lineno or node.lineno, node))
    return pieces


def backward_slice(pieces: list[Piece], targets: set[str]) -> set[int]:
    """Indexes of the pieces the targets need. Modules are never "changed in place" (`np.sort(x)` is not
    part of `np`), so only binding statements count for names that an import defines.

    Linear in the size of the file: each name's binding and changing statements are listed once, and a
    walk back through them stops where an earlier walk already went (a 2 MB file cannot make it quadratic).
    """
    imported = {name for piece in pieces if piece.is_import for name in piece.names.binds}
    entries: dict[str, list[int]] = {}
    for index, piece in enumerate(pieces):
        names = piece.names
        for name in names.binds | (names.touches - imported):
            entries.setdefault(name, []).append(index)
    kept: set[int] = set()
    walked: set[tuple[str, int]] = set()
    unresolved: set[str] = set()
    work = [(name, len(pieces)) for name in targets]
    while work:
        name, before = work.pop()
        found = entries.get(name, [])
        position = bisect_left(found, before) - 1
        if position < 0 and name not in _BUILTINS:
            unresolved.add(name)
        while position >= 0 and (name, position) not in walked:
            walked.add((name, position))
            index = found[position]
            if index not in kept:
                kept.add(index)
                names = pieces[index].names
                work += [(used, index) for used in names.reads_now]
                work += [(used, len(pieces)) for used in names.reads_later]
            if name in pieces[index].names.binds:
                break
            position -= 1
    kept |= {index for index, piece in enumerate(pieces) if piece.is_future}
    if unresolved:   # a name nothing defines may come from `from module import *`
        kept |= {index for index, piece in enumerate(pieces) if piece.is_star_import}
    return kept
