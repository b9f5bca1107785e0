"""What makes course lab code run inside the sandbox: Keras 2 spellings, the course's data served offline,
and a plain-words message when code reaches for the network.

Installed by the child into its own process before the submission is imported (`install`); nothing here
exists in the grader's process or outlives the child. The data served is generated, never read from a
place another submission could write. Standard library only at install time: heavy modules (pandas,
keras) are patched when, and if, the submission imports them.
"""

from __future__ import annotations

from grader.sandbox.lab import data, hooks, keras2, offline


def install() -> None:
    hooks.install()
    keras2.install()
    data.install()
    offline.install()
