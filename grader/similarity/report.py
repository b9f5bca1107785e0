"""The report's similarity section: the top pairs, and their matching passages side by side, highlighted.

Student code is hostile text: the section is rendered by grader.views.pages (templates/similarity.html.j2),
which HTML-escapes every character of it; nothing is fetched and no script runs (the report is one
self-contained file). Students are named by their batch ids only, and every name and reason passes
through `grader.text.one_line`. Only the lines of the matching passages (and two lines
around them) are shown, at most MAX_LINES a side, found without visiting every line of a passage, so
that a 2 MB file cannot turn the report into one, nor make it slow to write.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from grader.similarity.compare import Pair, SimilarityResult
from grader.similarity.sources import Document
from grader.text import one_line
from grader.views.pages import render

TOP_PAIRS = 20        # rows of the pairs table
SHOWN_PAIRS = 10      # pairs shown side by side
OPEN_PAIRS = 3        # of those, opened in the page
CONTEXT = 2           # lines shown around a passage
MAX_LINES = 300       # lines shown per side
MAX_LINE_CHARS = 200
COLOURS = 6
MAX_LISTED = 200      # students listed as not compared, or compared in part
MAX_REASON_CHARS = 300
EVIDENCE = {"identical": "identical files", "verbatim": "code as written", "structure": "structure"}


@dataclass(frozen=True)
class CodeLine:
    """One line of a side's <pre>: a line of the file, a mark for lines left out, or how many more there are."""

    kind: str                    # "line", "gap" or "more"
    label: str = ""              # where the line is in its document: "12", "cell 3, line 4"
    text: str = ""               # the line, cut at MAX_LINE_CHARS; for "more", how many lines
    passage: int | None = None   # the matching passage it is in (0-based)
    tag: int | None = None       # the passage's number, on the passage's first line


@dataclass(frozen=True)
class Side:
    student: str
    lines: tuple[CodeLine, ...]


@dataclass(frozen=True)
class PairLine:
    rank: int
    a: str
    b: str
    score: float
    shared: int
    passages: int
    cut: bool        # not compared in full (its note says why)
    evidence: str


@dataclass(frozen=True)
class PairDetails:
    rank: int
    a: str
    b: str
    score: float
    shared: int
    evidence: str
    passages: str    # "1: 3-9 ↔ 4-10, 2: ..."
    note: str
    opened: bool
    left: Side
    right: Side


@dataclass(frozen=True)
class SimilarityView:
    compared: int
    solutions: int
    solutions_measured: bool   # enough correct solutions to measure what they share
    k: int
    dictated_by: int
    pairs_found: int
    threshold: float
    common_cutoff: int
    too_little: int
    min_shared: int
    top: tuple[PairLine, ...]
    more_pairs: int
    cut: int
    skipped: tuple[tuple[str, str], ...]   # (student, why), sorted
    partial: tuple[tuple[str, str], ...]
    unpaired: tuple[str, ...]
    unpaired_pairs: int
    unpaired_why: str
    details: tuple[PairDetails, ...]


def _shown_lines(ranges: list[tuple[int, int]], count: int) -> tuple[list[int], int]:
    """The first MAX_LINES lines to show (each passage and CONTEXT lines around it, within 1..count), and how
    many more there are; the cost is in passages and lines shown, not in the lines the passages span."""
    spans: list[list[int]] = []
    for first, last in sorted((max(1, first - CONTEXT), min(count, last + CONTEXT)) for first, last in ranges):
        if first > last:
            continue
        if spans and first <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    shown: list[int] = []
    for first, last in spans:
        shown.extend(range(first, min(last, first + MAX_LINES - len(shown) - 1) + 1))
        if len(shown) >= MAX_LINES:
            break
    return shown, sum(last - first + 1 for first, last in spans) - len(shown)


def _side(document: Document, ranges: list[tuple[int, int]]) -> Side:
    lines = document.text.splitlines()
    shown, more = _shown_lines(ranges, len(lines))
    starts = {first: number for number, (first, _) in reversed(list(enumerate(ranges)))}
    out, previous = [], 0
    for line in shown:
        if line != previous + 1:
            out.append(CodeLine("gap"))
        text = lines[line - 1].expandtabs(4)
        text = text[:MAX_LINE_CHARS] + ("…" if len(text) > MAX_LINE_CHARS else "")
        passage = next((n for n, (first, last) in enumerate(ranges) if first <= line <= last), None)
        tag = passage + 1 if passage is not None and starts.get(line) == passage else None
        out.append(CodeLine("line", document.label(line), text, passage, tag))
        previous = line
    if more:
        out.append(CodeLine("more", text=str(more)))
    return Side(one_line(document.student), tuple(out))


def _evidence(pair: Pair) -> str:
    return EVIDENCE.get(pair.evidence, one_line(pair.evidence))


def _pair_details(rank: int, pair: Pair, documents: dict[str, Document]) -> PairDetails:
    a, b = documents[pair.a], documents[pair.b]
    passages = ", ".join(f"{n + 1}: {a.where(*m.lines_a)} ↔ {b.where(*m.lines_b)}" for n, m in enumerate(pair.matches))
    return PairDetails(rank, one_line(pair.a), one_line(pair.b), pair.score, pair.shared, _evidence(pair), passages,
                       one_line(pair.note, MAX_REASON_CHARS) if pair.note else "", rank <= OPEN_PAIRS,
                       _side(a, [m.lines_a for m in pair.matches]), _side(b, [m.lines_b for m in pair.matches]))


def _listed(reasons: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """(student, reason) in the students' order, each on one printable line."""
    return tuple((one_line(student), one_line(why, MAX_REASON_CHARS)) for student, why in sorted(reasons.items()))


def similarity_view(result: SimilarityResult, documents: dict[str, Document]) -> SimilarityView:
    """What the section shows, student text already on one printable, bounded line."""
    options = result.options
    unpaired = len(result.unpaired)
    return SimilarityView(
        result.compared, result.solutions, result.solutions >= options.measured_from, options.k, options.dictated_by,
        len(result.pairs), options.threshold, result.common_cutoff, len(result.too_little), options.min_shared,
        top=tuple(PairLine(rank, one_line(pair.a), one_line(pair.b), pair.score, pair.shared, len(pair.matches),
                           bool(pair.note), _evidence(pair))
                  for rank, pair in enumerate(result.pairs[:TOP_PAIRS], start=1)),
        more_pairs=max(len(result.pairs) - TOP_PAIRS, 0), cut=sum(1 for pair in result.pairs if pair.note),
        skipped=_listed(result.skipped), partial=_listed(result.partial),
        unpaired=tuple(one_line(student) for student in result.unpaired), unpaired_pairs=unpaired * (unpaired - 1) // 2,
        unpaired_why=one_line(result.unpaired_why, MAX_REASON_CHARS) if result.unpaired else "",
        details=tuple(_pair_details(rank, pair, documents)
                      for rank, pair in enumerate(result.pairs[:SHOWN_PAIRS], start=1)))


def similarity_section(result: SimilarityResult, documents: dict[str, Document]) -> Markup:
    """The HTML section for report.html."""
    return render("similarity.html.j2", s=similarity_view(result, documents), colours=COLOURS, max_listed=MAX_LISTED)
