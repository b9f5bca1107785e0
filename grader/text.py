"""Text a submission produced, made safe to show: used by the sandbox's output tail and every view.

Anything a student controls (printed output, exception text, dict keys, file and folder names) may
carry terminal escapes (ESC and the one-byte C1 CSI U+009B), cursor movement, an OSC 52 clipboard
write, or bidirectional overrides (U+202E) that make a line read other than it is. Every view shows
student text through these functions, and every piece of it is bounded.
"""

from __future__ import annotations

import re

# ESC sequences first (so their parameters go too), then single C0 (but tab and newline), DEL and C1 controls,
# and the Unicode format characters that reorder or hide text (bidi embeddings, overrides, isolates, marks).
_ESCAPES = r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]"
# ... and the invisible ones: soft hyphen, zero-width characters, word joiners, line and paragraph separators, BOM, tags.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u00ad\u200b-\u200d\u2028\u2029\u2060-\u2064\ufeff\U000e0000-\U000e007f"
_CONTROL = re.compile(f"{_ESCAPES}|[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}]")
_CONTROL_ONE_LINE = re.compile(f"{_ESCAPES}|[\\x00-\\x1f\\x7f-\\x9f{_BIDI}]")
_SURROGATE = re.compile("[\ud800-\udfff]")

MAX_NAME_CHARS = 200


def printable(text: str) -> str:
    """Strip terminal escapes, control characters and bidi overrides so no text can redraw a terminal;
    `text` itself when there is nothing to strip (the usual case, so callers can tell nothing changed)."""
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def without_surrogates(text: str) -> str:
    """Each lone surrogate (what `surrogateescape` makes of bytes that are not UTF-8) replaced by U+FFFD, so the
    text can be encoded, printed and saved; `text` itself when it has none."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def one_line(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """A name or a table cell: printable, on one line (tabs and newlines become spaces), at most `limit` chars."""
    clean = _CONTROL_ONE_LINE.sub(lambda match: " " if match.group() in "\t\n\r" else "", text)
    return clip(clean, limit)


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    note = f"... [{len(text) - limit} more characters]"
    return text[: max(limit - len(note), 0)] + note
