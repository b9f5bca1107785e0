"""grader.text is the one scrubber of student text: the feedback document's bounds use it, and nothing restates
its ranges (a character it strips can no longer survive in a feedback file)."""

from __future__ import annotations

import dataclasses
import json

from conftest import scripted_grading

from grader.feedback.bounds import bounded
from grader.text import one_line, printable, without_surrogates

# Every character text.printable must strip: C0 but tab and newline, DEL, C1, bidi embeddings, overrides and
# isolates, marks, invisible characters (soft hyphen, zero-width, joiners, separators, BOM) and tags.
STRIPPED = ([chr(c) for c in [*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]]
            + list("\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
                   "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff")
            + [chr(c) for c in range(0xE0000, 0xE0080)])
KEPT = "tab\there, newline\nthere, ümlaut, 日本, emoji \U0001f600, RTL text שלום"


def test_printable_strips_every_control_and_invisible_character_and_keeps_text():
    assert printable("".join(f"日{c}" for c in STRIPPED)) == "日" * len(STRIPPED)   # 日 ends no escape sequence
    assert printable("x\x1b[31mred\x1b]52;c;aGk=\x07y\x9b2Jz") == "xredyz"
    assert printable(KEPT) is KEPT   # nothing to strip: the very same string


def test_one_line_also_turns_line_breaks_into_spaces():
    assert one_line("a\tb\nc\rd\u202e", 100) == "a b c d"


def test_without_surrogates_replaces_each_lone_surrogate():
    text = b"caf\xe9 \xff".decode("utf-8", "surrogateescape")
    assert without_surrogates(text) == "caf\ufffd \ufffd"
    without_surrogates(text).encode("utf-8")
    assert without_surrogates(KEPT) is KEPT


def test_a_feedback_document_keeps_nothing_text_py_strips():
    feedback = scripted_grading()
    hostile = "".join(STRIPPED) + "\ud800" + KEPT
    check = dataclasses.replace(feedback.checks[0], message=hostile, name=hostile)
    document = bounded(dataclasses.replace(feedback, message=hostile, checks=(check, *feedback.checks[1:]))).to_dict()
    text = json.dumps(document, ensure_ascii=False)
    assert not [c for c in STRIPPED if c in text.replace("\\n", "").replace("\\t", "")]
    assert document["message"] == "\ufffd" + KEPT and document["checks"][0]["message"] == "\ufffd" + KEPT


def test_a_clean_document_is_the_same_object():
    feedback = scripted_grading()
    assert bounded(feedback) is feedback
