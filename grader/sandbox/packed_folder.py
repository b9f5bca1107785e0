"""A submission folder (an entry module with helper modules) packed into one read-only file for the sandbox.

The sandbox receives exactly one file (by bind or by descriptor), so a folder or zip travels packed:
JSON with the entry module's text and each helper module's text. Inside, helpers are served from memory
by a finder placed after every other one (a helper named `numpy` shadows nothing), so the student's
process can import them and no file of theirs is ever written or shared. The grader packs the folder
with `pack`; only the child reads it (`unpack`). Standard library only: the warm template stays light.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import linecache
import posixpath
import sys
from dataclasses import dataclass

SUFFIX = ".grader-bundle"
FORMAT = "grader-bundle/1"


@dataclass(frozen=True)
class Unpacked:
    entry_path: str          # where the entry module says it lives, for tracebacks
    entry_text: str
    helpers: dict[str, tuple[str, str]]   # module name -> (path, source text)


def pack(entry_name: str, entry_text: str, helpers: dict[str, tuple[str, str]]) -> bytes:
    """helpers: module name -> (file name relative to the folder, source text)."""
    return json.dumps({"format": FORMAT, "entry": entry_name, "entry_text": entry_text,
                       "modules": {name: {"file": file, "source": text} for name, (file, text) in helpers.items()}},
                      ensure_ascii=False).encode("utf-8")


def is_packed(path: str) -> bool:
    return path.endswith(SUFFIX)


def unpack(path: str, data: bytes) -> Unpacked:
    """The packed folder's parts; `path` is where the sandbox sees the packed file."""
    document = json.loads(data.decode("utf-8"))
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ImportError("the packed submission is not one this grader wrote")
    folder = posixpath.dirname(path)
    helpers = {name: (posixpath.join(folder, spec["file"]), spec["source"])
               for name, spec in document["modules"].items()}
    return Unpacked(posixpath.join(folder, document["entry"]), document["entry_text"], helpers)


class _HelperLoader(importlib.abc.Loader):
    def __init__(self, path: str, text: str, package: bool) -> None:
        self.path, self.text, self.package = path, text, package

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        linecache.cache[self.path] = (len(self.text), None, self.text.splitlines(keepends=True), self.path)
        exec(compile(self.text, self.path, "exec"), module.__dict__)

    def get_source(self, name: str) -> str:
        return self.text


class HelperFinder(importlib.abc.MetaPathFinder):
    """Finds the packed folder's helper modules (and packages: a folder with `__init__.py`)."""

    def __init__(self, helpers: dict[str, tuple[str, str]]) -> None:
        self.helpers = dict(helpers)

    def find_spec(self, fullname, path=None, target=None):
        found = self.helpers.get(fullname)
        if found is None:
            return None
        file, text = found
        package = posixpath.basename(file) == "__init__.py"
        spec = importlib.util.spec_from_loader(fullname, _HelperLoader(file, text, package), origin=file,
                                               is_package=package)
        spec.has_location = True
        if package:
            spec.submodule_search_locations = []
        return spec


def install(helpers: dict[str, tuple[str, str]]) -> None:
    if helpers:
        sys.meta_path.append(HelperFinder(helpers))
