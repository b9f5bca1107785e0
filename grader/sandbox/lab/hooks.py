"""Run a patch right after a module is imported (or now, if it already is: a warm child inherits keras)."""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any, Callable

Patch = Callable[[Any], None]


class _AfterImport(importlib.abc.MetaPathFinder):
    """Asks the other finders for the real module and wraps its loader so the patches run after it."""

    def __init__(self) -> None:
        self.watched: list[tuple[Callable[[str], bool], Patch]] = []

    def find_spec(self, fullname, path=None, target=None):
        patches = [patch for matches, patch in self.watched if matches(fullname)]
        if not patches:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        original = getattr(loader, "exec_module", None)
        if original is None:
            return spec

        def exec_module(module, original=original):
            original(module)
            for patch in patches:
                patch(module)

        loader.exec_module = exec_module
        return spec


_FINDER = _AfterImport()


def install() -> None:
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def after_import(matches: Callable[[str], bool], patch: Patch) -> None:
    """`patch(module)` for every module whose name `matches`, already imported or imported later."""
    for name, module in list(sys.modules.items()):
        if module is not None and matches(name):
            patch(module)
    _FINDER.watched.append((matches, patch))
