"""Keras 2 spellings the course material used, under Keras 3: old module paths and `lr=` for optimizers.

`from keras.layers.convolutional import Conv2D`, `keras.layers.core`, `keras.layers.pooling`,
`keras.layers.recurrent`, `keras.utils.np_utils` (also under `tensorflow.keras`) import as aliases of
today's modules; `SGD(lr=0.01)` means `SGD(learning_rate=0.01)` and Keras 2's `decay=` is ignored.
The grader's feedback says which old spelling a file used (`grader.labcode.spellings`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types

from grader.sandbox.lab.hooks import after_import

OLD_MODULES = {
    "layers.convolutional": "keras.layers", "layers.core": "keras.layers", "layers.pooling": "keras.layers",
    "layers.recurrent": "keras.layers", "layers.normalization": "keras.layers", "layers.merge": "keras.layers",
    "layers.embeddings": "keras.layers", "utils.np_utils": "keras.utils",
}
PREFIXES = ("keras.", "tensorflow.keras.", "tensorflow.python.keras.")


def today(name: str) -> str | None:
    """The Keras 3 module an old module name stands for, or None."""
    for prefix in PREFIXES:
        if name.startswith(prefix) and name[len(prefix):] in OLD_MODULES:
            return OLD_MODULES[name[len(prefix):]]
    return None


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        target = importlib.import_module(self.target)
        module.__getattr__ = lambda name: getattr(target, name)
        module.__all__ = [name for name in dir(target) if not name.startswith("_")]


class _OldModules(importlib.abc.MetaPathFinder):
    """Consulted after every other finder, so it only answers for modules that no longer exist."""

    def find_spec(self, fullname, path=None, target=None):
        replacement = today(fullname)
        if replacement is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(replacement))


_MISSING = object()


def _accept_lr(cls: type) -> None:
    original = cls.__dict__.get("__init__")
    if original is None or getattr(original, "_accepts_lr", False):
        return

    def __init__(self, *args, lr=_MISSING, decay=_MISSING, **kwargs):
        if lr is not _MISSING and "learning_rate" not in kwargs and not args:
            kwargs["learning_rate"] = lr
        original(self, *args, **kwargs)

    setattr(__init__, "_accepts_lr", True)
    setattr(__init__, "__wrapped__", original)
    setattr(cls, "__init__", __init__)


def _patch_optimizers(module: types.ModuleType) -> None:
    base = getattr(module, "Optimizer", None)
    if not isinstance(base, type):
        return
    for value in list(vars(module).values()):
        if isinstance(value, type) and issubclass(value, base):
            _accept_lr(value)


def install() -> None:
    if not any(isinstance(finder, _OldModules) for finder in sys.meta_path):
        sys.meta_path.append(_OldModules())
    after_import(lambda name: name in ("keras.optimizers", "keras.src.optimizers"), _patch_optimizers)
