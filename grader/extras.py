"""The instructor's optional stacks, installed as extras: a command that needs one it lacks says which to install.

A student installs only what `grade EXERCISE_DIR` needs; the Dask cluster, nbgrader and the similarity
index come with `pip install 'keras-course-grader[cluster]'` (or `[nbgrader]`, `[similarity]`; in a
checkout of the course, `pip install -e '.[cluster]'`). Each feature calls `require` before its first
import of the stack, so a missing one is a usage error naming the extra, never a traceback.
"""

from __future__ import annotations

import importlib

from grader.errors import UsageError

__all__ = ["EXTRAS", "MissingExtra", "require"]

DISTRIBUTION = "keras-course-grader"

# extra -> the modules its features import (the names in pyproject.toml's [project.optional-dependencies])
EXTRAS: dict[str, tuple[str, ...]] = {
    "cluster": ("distributed",),
    "nbgrader": ("nbgrader",),
    "similarity": ("scipy.sparse",),
    "service": ("starlette", "uvicorn", "multipart", "itsdangerous", "sqlalchemy"),
}


class MissingExtra(UsageError):
    """A command needs an optional stack that is not installed; the message says how to install it."""


def require(extra: str, command: str) -> None:
    """Import the extra's modules now, or raise MissingExtra naming the extra to install for `command`."""
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise MissingExtra(
                f"`{command}` needs the [{extra}] extra ({module} cannot be imported: {exc}); install it with "
                f"`pip install '{DISTRIBUTION}[{extra}]'`, or `pip install -e '.[{extra}]'` in the course's folder"
            ) from None
