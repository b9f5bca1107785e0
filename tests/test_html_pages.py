"""Hostile text renders inert in every HTML page the grader writes: report.html (with its similarity and
where-it-was-graded sections) and audit.html, all rendered by the one page layer (grader.views.pages).

A student chooses their id (the file name), what their code raises (the message and the note quoting it)
and the code the similarity section shows; the pages are parsed as a browser would read them."""

from __future__ import annotations

import dataclasses
from collections import Counter
from html.parser import HTMLParser

import pytest
from conftest import ROOT, reference_source, scripted_grading
from similarity_copies import rename

from grader.audit.report import render_html
from grader.course.manifest import load_course
from grader.feedback.results import Hint
from grader.outcomes import Status
from grader.similarity.compare import compare
from grader.similarity.report import similarity_section
from grader.similarity.sources import Document, given_code
from grader.views.report import build_report
from grader.views.rows import StudentRow
from grader.views.where import where_section

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>{{ 7*7 }}{% raw %}'
EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")


class Page(HTMLParser):
    """The elements, attributes and text a browser would find."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(name for name, _ in attrs)

    def handle_data(self, data):
        self.text.append(data)


def assert_inert(html: str, shown: int) -> Page:
    """No script or img element and no event attribute anywhere (none of our templates has one, so any would
    be the student's), and the hostile text shown literally, as text, at least `shown` times: `{{ 7*7 }}` and
    `{% raw %}` too, since values are data and never templates."""
    page = Page(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert not [name for name in page.attributes if name.startswith("on")]
    assert "".join(page.text).count(HOSTILE) >= shown
    return page


def _hostile_feedback():
    feedback = scripted_grading()
    check = dataclasses.replace(feedback.checks[0], hint=Hint("update-sign", HOSTILE), name=HOSTILE)
    return dataclasses.replace(feedback, checks=(check, *feedback.checks[1:]))


def test_report_html_shows_a_hostile_id_note_hint_and_place_as_text():
    broken = dataclasses.replace(scripted_grading(), status=Status.SUBMISSION_BROKEN, message=HOSTILE)
    rows = [StudentRow(HOSTILE, "graded", _hostile_feedback()), StudentRow("bob", "submission_broken", broken),
            StudentRow("di", "no_submission", None, HOSTILE)]
    page = build_report("02_backprop", "Backprop", rows, [where_section(Counter({HOSTILE: 3}))])
    assert_inert(page, shown=5)   # the id, bob's note, di's note, the hint's text, the place
    assert "{{ 7*7 }}{% raw %}" in page and "&lt;script&gt;" in page


def test_a_section_that_is_plain_text_is_shown_as_text():
    page = build_report("02_backprop", "Backprop", [], [HOSTILE])
    assert_inert(page, shown=1)


def test_the_similarity_section_shows_hostile_ids_and_code_as_text():
    code = reference_source("02_backprop") + f"\n# {HOSTILE}\nLABEL = {HOSTILE!r}\n"
    documents = {HOSTILE: Document(HOSTILE, code), "ann": Document("ann", rename(code, 4))}
    result = compare(list(documents.values()), given_code(EXERCISE), skipped={HOSTILE + "2": HOSTILE})
    assert len(result.pairs) == 1
    section = similarity_section(result, documents)
    page = Page(build_report("02_backprop", "Backprop", [], [section]))
    assert "mark" in page.tags and "details" in page.tags   # the section is HTML in the page, not text
    assert_inert(str(section), shown=6)   # two names in the table, two in the details, two lines of code, skipped


def test_audit_html_shows_hostile_descriptions_diffs_and_problems_as_text():
    mutant = {"mutant": {"id": "m001", "function": HOSTILE, "description": HOSTILE}, "equivalent": False,
              "killed": False, "differs_in": [HOSTILE], "honest": [], "misleading": [HOSTILE], "accepted": HOSTILE,
              "diff": f"-a\n+{HOSTILE}\n"}
    figures = dict.fromkeys(("mutants", "killed", "equivalent", "survivors", "hinted", "misleading", "kill_rate",
                             "hint_rate"), 1)
    document = {"exercises": [{"exercise": "02_backprop", "figures": figures, "meets_targets": False, "probes": 1,
                               "seconds": 1.0, "problems": [HOSTILE], "mutants": [mutant],
                               "cases": [{"name": HOSTILE, "problems": [HOSTILE]}],
                               "rewrites": [{"id": HOSTILE, "style": HOSTILE, "seeds": [1], "lost": [HOSTILE]}]}]}
    page = assert_inert(render_html(document), shown=10)
    assert "pre" in page.tags


@pytest.mark.parametrize("build", [
    lambda: build_report("02_backprop", "Backprop", [StudentRow("ann", "graded", _hostile_feedback())]),
    lambda: str(where_section(Counter({None: 1, "this machine": 2}))),
])
def test_the_same_values_render_the_same_bytes(build):
    assert build() == build()
