"""Text a submission produced, made safe to show: used by the sandbox's output tail and every view."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f]")


def printable(text: str) -> str:
    """Strip terminal escapes and control characters so a tail cannot redraw anyone's terminal."""
    return _CONTROL.sub("", text)
