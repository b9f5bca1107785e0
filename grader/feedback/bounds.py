"""Every feedback document is bounded and writable, whatever the submission returned, raised or printed.

A check's message quotes what the student's code returned or raised, the output tails are what it
printed, and a file name is whatever the student chose: each is clipped here, lone surrogates (from
text that was not UTF-8) are replaced, and the whole document stays under MAX_DOCUMENT_BYTES (the
limit PrairieLearn sets on results.json), so no mode (the terminal, a batch, the cluster's answer
limit, Gradescope) ever meets a document too big to show or carry.
"""

from __future__ import annotations

import dataclasses
import json
from functools import lru_cache
from typing import Any

from grader.text import clip, printable, without_surrogates

MAX_DOCUMENT_BYTES = 1_000_000
MAX_MESSAGE_CHARS = 4000     # a check's message, the document's message, the grader's error
MAX_HINT_CHARS = 1000
MAX_NAME_CHARS = 300         # a check's name, a hint id, a file path
MAX_NOTE_CHARS = 500         # an isolation note
_REST_BYTES = 100_000   # keys, numbers, ids, notes and the document's own message, at most
_TEXT_PER_CHECK = MAX_MESSAGE_CHARS * 2 + MAX_HINT_CHARS + 3 * MAX_NAME_CHARS   # message, internal error, hint, names

# Field name -> its limit; fields not listed (ids of the course, numbers, enums) are the grader's own.
_LIMITS = {"message": MAX_MESSAGE_CHARS, "grader_error": MAX_MESSAGE_CHARS, "internal_error": MAX_MESSAGE_CHARS,
           "text": MAX_HINT_CHARS, "name": MAX_NAME_CHARS, "path": MAX_NAME_CHARS, "notes": MAX_NOTE_CHARS}


def bounded(feedback: Any) -> Any:
    """The same Feedback with every text field clipped and made UTF-8, and output tails cut until the whole
    document fits in MAX_DOCUMENT_BYTES."""
    feedback = _walk(feedback, None)
    output = feedback.output
    most = 4 * (len(output.stdout) + len(output.stderr) + _TEXT_PER_CHECK * len(feedback.checks)) + _REST_BYTES
    if most < MAX_DOCUMENT_BYTES:
        return feedback   # every field is clipped: it cannot reach the limit even at 4 bytes a character
    while _size(feedback) > MAX_DOCUMENT_BYTES and (output.stdout or output.stderr):
        keep = max(len(output.stdout), len(output.stderr)) // 2
        output = dataclasses.replace(output, stdout=output.stdout[-keep:] if keep else "",
                                     stderr=output.stderr[-keep:] if keep else "", truncated=True)
        feedback = dataclasses.replace(feedback, output=output)
    return feedback


def _size(feedback: Any) -> int:
    return len(json.dumps(feedback.to_dict(), ensure_ascii=False).encode("utf-8"))


def _walk(value: Any, limit: int | None) -> Any:
    """`value` with its text made safe; the very same object where nothing needed to change (the usual case)."""
    if type(value) is str:   # not str-valued enums such as Status
        if limit is not None and len(value) > limit:
            value = clip(value, limit)
        return printable(without_surrogates(value))   # each returns `value` itself when it has nothing to change
    if isinstance(value, tuple):
        items = tuple(_walk(item, limit) for item in value)
        return value if all(new is old for new, old in zip(items, value)) else items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in _fields(type(value)):
            old = getattr(value, field)
            new = _walk(old, _LIMITS.get(field))
            if new is not old:
                changes[field] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


@lru_cache(maxsize=None)
def _fields(kind: type) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))
