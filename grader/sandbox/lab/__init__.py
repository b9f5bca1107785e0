"""What makes course lab code run inside the sandbox: Keras 2 spellings, the course's data served offline,
and a plain-words message when code reaches for the network.

Installed by the child into its own process before the submission is imported (`install`), or by the warm
template before it forks its children; nothing here exists in the grader's process or outlives the sandbox.
The data served is generated, never read from a place another submission could write. Standard library only
at install time: heavy modules (pandas, keras) are patched when, and if, the submission imports them.
"""

from __future__ import annotations

from grader.sandbox.lab import data, hooks, keras2, offline


_installed = False


def install() -> None:
    """Once per process: a warm template installs it before forking, so its children inherit it and pay nothing
    (walking sys.modules for modules to patch costs about half a millisecond, far more with TensorFlow loaded)."""
    global _installed
    if _installed:
        return
    _installed = True
    hooks.install()
    keras2.install()
    data.install()
    offline.install()
