"""How students disguise a copy, as functions: rename the variables, reformat, reorder the functions, replace the
comments, add dead code.

Used by tests/test_similarity.py, benchmarks/similarity_scale.py and benchmarks/similarity_distributions.py.
The disguised code still runs and grades as the original: names of the top-level functions and their
parameters (the exercise's API) stay.
"""

from __future__ import annotations

import ast
import io
import random
import tokenize


def local_names(source: str) -> list[str]:
    """Names the author chose inside the functions (assigned, looped over, nested parameters), sorted."""
    tree = ast.parse(source)
    api = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            api |= {arg.arg for arg in node.args.args + node.args.kwonlyargs}
    stored = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    return sorted(stored - api - {"_"})


def rename(source: str, seed: int = 0) -> str:
    """The same code with every local name replaced (consistently, attributes and strings untouched)."""
    rng = random.Random(seed)
    mapping = {name: f"{rng.choice(['val', 'tmp', 'my', 'res', 'q'])}_{index}_{rng.randrange(1000)}"
               for index, name in enumerate(local_names(source))}
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    previous = ""
    for item in tokenize.generate_tokens(io.StringIO(source).readline):
        if item.type == tokenize.NAME and item.string in mapping and previous != ".":
            edits.append((item.start[0], item.start[1], item.end[1], mapping[item.string]))
        if item.type not in (tokenize.NL, tokenize.COMMENT):
            previous = item.string
    for row, start, end, new in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + new + line[end:]
    return "".join(lines)


def reformat(source: str) -> str:
    """The same code with a new header, comments on every def, and blank lines doubled."""
    out = ['"""My own solution, written from scratch."""\n', "# -*- coding: utf-8 -*-\n"]
    for line in source.splitlines(keepends=True):
        if line.startswith("def "):
            out.append(f"# {line.split('(')[0][4:]}: see the lecture notes\n")
        out.append("\n" if not line.strip() else line.rstrip() + "  \n")
        if not line.strip():
            out.append("\n")
    return "".join(out)


def reorder(source: str, seed: int = 0) -> str:
    """The same module with its top-level functions in another order (imports stay first)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    chunks, head_end = [], 0
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        if isinstance(node, ast.FunctionDef):
            chunks.append("".join(lines[first - 1:node.end_lineno]))
        elif not chunks:
            head_end = node.end_lineno
    order = list(range(len(chunks)))
    while order == sorted(order) and len(order) > 1:
        random.Random(seed).shuffle(order)
        seed += 1
    return "".join(lines[:head_end]) + "\n\n" + "\n\n".join(chunks[i] for i in order)


def disguise(source: str, seed: int = 0) -> str:
    """All three at once: what a determined copier hands in."""
    return reformat(reorder(rename(source, seed), seed))


def recomment(source: str, seed: int = 0) -> str:
    """The same code with every comment and docstring replaced by the copier's own words."""
    rng = random.Random(seed)
    words = ["compute", "the", "value", "step", "here", "we", "update", "loop", "result", "check", "my", "note",
             "first", "then", "finally", "gradient", "model", "layer", "output", "input"]

    def phrase() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(3, 8)))

    tree = ast.parse(source)
    docstrings = set()
    for node in [tree, *ast.walk(tree)]:
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            docstrings.add((body[0].lineno, body[0].col_offset))
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, int, str]] = []
    for item in tokenize.generate_tokens(io.StringIO(source).readline):
        if item.type == tokenize.COMMENT:
            edits.append((*item.start, *item.end, ""))
        elif item.type == tokenize.STRING and item.start in docstrings:
            edits.append((*item.start, *item.end, repr(phrase().capitalize() + ".")))
    for row, col, end_row, end_col, new in sorted(edits, reverse=True):
        lines[row - 1:end_row] = [lines[row - 1][:col] + new + lines[end_row - 1][end_col:]]
    out = []
    for line in lines:
        if line.strip() and rng.random() < 0.3:
            out.append(line[:len(line) - len(line.lstrip())] + "# " + phrase() + "\n")
        out.append(line.rstrip() + "\n" if line.strip() else "\n")
    return "".join(out)


def add_dead_code(source: str, seed: int = 0) -> str:
    """The same code with statements that change nothing: a flag and a debug print in every function, and an
    unused helper function of a few lines at the end."""
    rng = random.Random(seed)
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    inserts: list[tuple[int, str]] = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(node.body) > 1:
            first = node.body[1]
        indent = " " * first.col_offset
        flag = f"debug_{rng.randrange(1000)}"
        dead = (f"{indent}{flag} = {rng.choice(['False', '0', 'None'])}\n"
                f"{indent}if {flag}:\n{indent}    print({node.name!r}, {rng.randint(0, 99)})\n")
        inserts.append((first.lineno - 1, dead))
    for index, text in sorted(inserts, reverse=True):
        lines.insert(index, text)
    body = [f"    total = {rng.randint(0, 9)}"]
    for step in range(rng.randint(3, 6)):
        body.append(f"    total = total {rng.choice(['+', '-', '*'])} values[{step}] {rng.choice(['+', '-'])} {rng.randint(1, 99)}")
    helper = f"\n\ndef check_{rng.randrange(1000)}(values):\n" + "\n".join(body) + "\n    return total\n"
    return "".join(lines).rstrip("\n") + "\n" + helper
