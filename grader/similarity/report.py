"""The report's similarity section: the top pairs, and their matching passages side by side, highlighted.

Student code is hostile text: every character of it is HTML-escaped, nothing is fetched and no script
runs (the report is one self-contained file). Students are named by their batch ids only. Only the
lines of the matching passages (and two lines around them) are shown, so that a 2 MB file cannot turn
the report into one.
"""

from __future__ import annotations

import html

from grader.similarity.compare import Pair, SimilarityResult
from grader.similarity.sources import Document

TOP_PAIRS = 20        # rows of the pairs table
SHOWN_PAIRS = 10      # pairs shown side by side
OPEN_PAIRS = 3        # of those, opened in the page
CONTEXT = 2           # lines shown around a passage
MAX_LINES = 300       # lines shown per side
MAX_LINE_CHARS = 200
COLOURS = 6

STYLE = """<style>
#similarity .sbs { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0.5rem; }
#similarity pre { font-size: 0.72rem; line-height: 1.25; overflow-x: auto; background: #f7f7f7; padding: 0.4rem;
  margin: 0; white-space: pre; }
#similarity .ln { color: #888; display: inline-block; min-width: 3.2em; user-select: none; }
#similarity .gap { color: #888; }
#similarity .tag { font-weight: bold; color: #fff; background: #555; border-radius: 3px; padding: 0 0.25em; }
#similarity mark { color: inherit; }
#similarity .c0 { background: #ffd7d7; } #similarity .c1 { background: #d7e8ff; } #similarity .c2 { background: #d8f5d0; }
#similarity .c3 { background: #fff0b8; } #similarity .c4 { background: #ead7ff; } #similarity .c5 { background: #d0f2f2; }
#similarity details { margin: 0.6rem 0 1rem; } #similarity summary { cursor: pointer; font-weight: 600; }
</style>"""


def _escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _line_marks(ranges: list[tuple[int, int]]) -> dict[int, tuple[int, bool]]:
    """line -> (passage number, is the passage's first line)."""
    marks: dict[int, tuple[int, bool]] = {}
    for number, (first, last) in enumerate(ranges):
        for line in range(first, last + 1):
            marks.setdefault(line, (number, line == first))
    return marks


def _side(document: Document, ranges: list[tuple[int, int]]) -> str:
    lines = document.text.splitlines()
    marks = _line_marks(ranges)
    shown = sorted({line for first, last in ranges
                    for line in range(max(1, first - CONTEXT), min(len(lines), last + CONTEXT) + 1)})
    out, previous = [], 0
    for line in shown[:MAX_LINES]:
        if line != previous + 1:
            out.append('<span class="gap">⋯</span>')
        text = lines[line - 1].expandtabs(4)
        text = _escape(text[:MAX_LINE_CHARS]) + ("…" if len(text) > MAX_LINE_CHARS else "")
        number = f'<span class="ln">{_escape(document.label(line))}</span>'
        if line in marks:
            passage, first = marks[line]
            tag = f'<span class="tag">{passage + 1}</span> ' if first else ""
            out.append(f'{number}<mark class="c{passage % COLOURS}">{tag}{text}</mark>')
        else:
            out.append(f"{number}{text}")
        previous = line
    if len(shown) > MAX_LINES:
        out.append(f'<span class="gap">… {len(shown) - MAX_LINES} more lines: see similarity.csv</span>')
    return f'<div><h4>{_escape(document.student)}</h4><pre>{chr(10).join(out)}</pre></div>'


def _pair_details(rank: int, pair: Pair, documents: dict[str, Document]) -> str:
    a, b = documents[pair.a], documents[pair.b]
    passages = ", ".join(f"{n + 1}: {_escape(a.where(*m.lines_a))} ↔ {_escape(b.where(*m.lines_b))}"
                         for n, m in enumerate(pair.matches))
    opened = " open" if rank <= OPEN_PAIRS else ""
    return (f'<details id="pair-{rank}"{opened}><summary>#{rank} {_escape(pair.a)} ↔ {_escape(pair.b)}: '
            f'{pair.score:.0%} ({pair.shared} shared fingerprints)</summary>'
            f'<p>Matching passages (lines): {passages}</p>'
            f'<div class="sbs">{_side(a, [m.lines_a for m in pair.matches])}'
            f'{_side(b, [m.lines_b for m in pair.matches])}</div></details>')


def similarity_section(result: SimilarityResult, documents: dict[str, Document]) -> str:
    """The HTML section for report.html."""
    options = result.options
    rows = "".join(
        f'<tr><td><a href="#pair-{rank}">{rank}</a></td><td>{_escape(pair.a)}</td><td>{_escape(pair.b)}</td>'
        f"<td>{pair.score:.0%}</td><td>{pair.shared}</td><td>{len(pair.matches)}</td></tr>"
        for rank, pair in enumerate(result.pairs[:TOP_PAIRS], start=1)) or \
        '<tr><td colspan="6">No pair of submissions reaches the threshold.</td></tr>'
    skipped = "".join(f"<li>{_escape(student)}: {_escape(why)}</li>" for student, why in sorted(result.skipped.items()))
    details = "".join(_pair_details(rank, pair, documents)
                      for rank, pair in enumerate(result.pairs[:SHOWN_PAIRS], start=1))
    more = (f"<p>{len(result.pairs) - TOP_PAIRS} more pairs are listed in similarity.csv.</p>"
            if len(result.pairs) > TOP_PAIRS else "")
    return f"""<section id="similarity">{STYLE}
<h2>Similar submissions</h2>
<p>{result.compared} submissions compared on their code, with comments, docstrings, layout, the names their
authors chose, the stub and the README's code left out. {len(result.pairs)} pairs score at least
{options.threshold:.0%}: the share of the smaller submission's fingerprints (runs of {options.k} tokens) found in
the other. Passages that more than {result.common_cutoff} submissions share are not counted. A high score is a
reason to read both files, not proof of copying.</p>
<table><tr><th>#</th><th>student</th><th>student</th><th>score</th><th>shared fingerprints</th><th>passages</th></tr>
{rows}</table>{more}
{f"<p>Not compared:</p><ul>{skipped}</ul>" if skipped else ""}
{details}
</section>
"""
