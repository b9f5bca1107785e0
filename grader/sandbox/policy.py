"""The sandbox's policy, declared once: what a warm template imports before it forks.

Standard library only: the warm template and every sandboxed child import this module.
"""

from __future__ import annotations

from collections.abc import Iterable

# What every warm template imports before its first fork, and what a requirement of the course adds. Import only:
# a parent that ran a TensorFlow operation before forking deadlocks its children.
BASE_PRELOAD: tuple[str, ...] = ("numpy",)
PRELOAD_FOR_REQUIREMENT: dict[str, tuple[str, ...]] = {"tensorflow": ("tensorflow", "keras")}


def preload_for(requires: Iterable[str]) -> tuple[str, ...]:
    """The modules a warm template imports for an exercise that needs `requires` (course.yaml's `requires`)."""
    modules = list(BASE_PRELOAD)
    for requirement in requires:
        modules += [name for name in PRELOAD_FOR_REQUIREMENT.get(requirement, ()) if name not in modules]
    return tuple(modules)


TEMPLATE_RESTART_AFTER = 200   # submissions a warm template serves before a fresh one replaces it
