"""Keras 2 spellings in the graded code, named for the feedback (the sandbox's compatibility layer,
`grader.sandbox.lab.keras2`, is what makes them run)."""

from __future__ import annotations

import ast
import re

from grader.labcode.program import parsed
from grader.sandbox.lab.keras2 import today

OPTIMIZERS = {"SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl"}


# Every spelling found below shows in an ASCII text as one of these words: such a file without them needs no
# walk (Python reads identifiers NFKC-normalized, so in other text `ｌｒ` is `lr`).
_MAY_HAVE_ONE = re.compile(r"keras|\b(?:lr|decay)\b")


def old_spellings(source: str, tree: ast.Module | None = None) -> list[str]:
    """"`keras.layers.convolutional` (today `keras.layers`)", "`SGD(lr=...)` (today `learning_rate=`)" ...

    `tree` is `source` already parsed, if the caller has it."""
    if source.isascii() and not _MAY_HAVE_ONE.search(source):
        return []
    if tree is None:
        tree = parsed(source)
    if tree is None:
        return []
    found: dict[str, None] = {}
    for node in ast.walk(tree):
        modules = []
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        for module in modules:
            if today(module):
                found[f"`{module}` (today `{today(module)}`)"] = None
        if isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if name in OPTIMIZERS:
                for keyword in node.keywords:
                    if keyword.arg == "lr":
                        found[f"`{name}(lr=...)` (today `learning_rate=`)"] = None
                    elif keyword.arg == "decay":
                        found[f"`{name}(decay=...)` (gone in Keras 3; ignored)"] = None
    return list(found)
