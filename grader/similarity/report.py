"""The report's similarity section: the top pairs, and their matching passages side by side, highlighted.

Student code is hostile text: every character of it is HTML-escaped, nothing is fetched and no script
runs (the report is one self-contained file). Students are named by their batch ids only, and every name
and reason passes through `grader.text.one_line`. Only the lines of the matching passages (and two lines
around them) are shown, at most MAX_LINES a side, found without visiting every line of a passage, so
that a 2 MB file cannot turn the report into one, nor make it slow to write.
"""

from __future__ import annotations

import html

from grader.similarity.compare import Pair, SimilarityResult
from grader.similarity.sources import Document
from grader.text import one_line

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


def _name(text: str, limit: int = 200) -> str:
    """A student's id or a reason, on one line, printable, bounded, HTML-escaped."""
    return _escape(one_line(text, limit))


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


def _side(document: Document, ranges: list[tuple[int, int]]) -> str:
    lines = document.text.splitlines()
    shown, more = _shown_lines(ranges, len(lines))
    starts = {first: number for number, (first, _) in reversed(list(enumerate(ranges)))}
    out, previous = [], 0
    for line in shown:
        if line != previous + 1:
            out.append('<span class="gap">⋯</span>')
        text = lines[line - 1].expandtabs(4)
        text = _escape(text[:MAX_LINE_CHARS]) + ("…" if len(text) > MAX_LINE_CHARS else "")
        number = f'<span class="ln">{_escape(document.label(line))}</span>'
        passage = next((n for n, (first, last) in enumerate(ranges) if first <= line <= last), None)
        if passage is not None:
            tag = f'<span class="tag">{passage + 1}</span> ' if starts.get(line) == passage else ""
            out.append(f'{number}<mark class="c{passage % COLOURS}">{tag}{text}</mark>')
        else:
            out.append(f"{number}{text}")
        previous = line
    if more:
        out.append(f'<span class="gap">… {more} more lines: see similarity.csv</span>')
    return f'<div><h4>{_name(document.student)}</h4><pre>{chr(10).join(out)}</pre></div>'


def _pair_details(rank: int, pair: Pair, documents: dict[str, Document]) -> str:
    a, b = documents[pair.a], documents[pair.b]
    passages = ", ".join(f"{n + 1}: {_escape(a.where(*m.lines_a))} ↔ {_escape(b.where(*m.lines_b))}"
                         for n, m in enumerate(pair.matches))
    opened = " open" if rank <= OPEN_PAIRS else ""
    note = f"<p>Not compared in full: {_name(pair.note, MAX_REASON_CHARS)}.</p>" if pair.note else ""
    return (f'<details id="pair-{rank}"{opened}><summary>#{rank} {_name(pair.a)} ↔ {_name(pair.b)}: '
            f'{pair.score:.0%} ({pair.shared} shared fingerprints, {EVIDENCE.get(pair.evidence, _name(pair.evidence))})'
            f'</summary>'
            f'<p>Matching passages (lines): {passages or "none located"}</p>{note}'
            f'<div class="sbs">{_side(a, [m.lines_a for m in pair.matches])}'
            f'{_side(b, [m.lines_b for m in pair.matches])}</div></details>')


def similarity_section(result: SimilarityResult, documents: dict[str, Document]) -> str:
    """The HTML section for report.html."""
    options = result.options
    rows = "".join(
        f'<tr><td><a href="#pair-{rank}">{rank}</a></td><td>{_name(pair.a)}</td><td>{_name(pair.b)}</td>'
        f"<td>{pair.score:.0%}</td><td>{pair.shared}</td><td>{len(pair.matches)}{'*' if pair.note else ''}</td>"
        f"<td>{EVIDENCE.get(pair.evidence, _name(pair.evidence))}</td></tr>"
        for rank, pair in enumerate(result.pairs[:TOP_PAIRS], start=1)) or \
        '<tr><td colspan="7">No pair of submissions reaches the threshold.</td></tr>'
    skipped = _listed(result.skipped)
    partial = _listed(result.partial)
    unpaired = (f"<p>Not compared: the {len(result.unpaired) * (len(result.unpaired) - 1) // 2} pairs among these "
                f"{len(result.unpaired)} submissions, because {_name(result.unpaired_why, MAX_REASON_CHARS)}: "
                f"{', '.join(_name(s) for s in result.unpaired[:MAX_LISTED])}"
                f"{f' and {len(result.unpaired) - MAX_LISTED} more' if len(result.unpaired) > MAX_LISTED else ''}.</p>"
                if result.unpaired else "")
    cut = sum(1 for pair in result.pairs if pair.note)
    starred = f"<p>* {cut} pairs were not compared in full: see each pair's note and similarity.csv.</p>" if cut else ""
    details = "".join(_pair_details(rank, pair, documents)
                      for rank, pair in enumerate(result.pairs[:SHOWN_PAIRS], start=1))
    more = (f"<p>{len(result.pairs) - TOP_PAIRS} more pairs are listed in similarity.csv.</p>"
            if len(result.pairs) > TOP_PAIRS else "")
    solutions = (f"and what the exercise's {result.solutions} correct solutions (the reference and those written "
                 f"independently of it) share: runs of {options.k} tokens found in {options.dictated_by} of them"
                 if result.solutions >= options.measured_from else
                 f"and, as too few correct solutions were found to measure what they share, all of the code of the "
                 f"{result.solutions} there are (the reference)")
    little = (f"<p>{len(result.too_little)} submissions have fewer than {options.min_shared} fingerprints of their own "
              f"beyond what the exercise dictates and what more than {result.common_cutoff} submissions share (little "
              f"more than the stub, or only what correct solutions write alike): they are in no pair, since what "
              f"they share with anyone is not evidence.</p>" if result.too_little else "")
    return f"""<section id="similarity">{STYLE}
<h2>Similar submissions</h2>
<p>{result.compared} submissions compared twice: on their structure (comments, docstrings, layout and the names
their authors chose left out) and on their code as written (only the layout left out). What the exercise
dictates is not counted: the stub, the README's code, the course lab's code where there is one {solutions}.
{len(result.pairs)} pairs score at least {options.threshold:.0%}: the share of the smaller submission's
fingerprints (runs of {options.k} tokens) found in the other, the higher of the two comparisons; identical files
score 100%. Passages that more than {result.common_cutoff} submissions share are not counted. A high score is a
reason to read both files, not proof of copying.</p>{little}
<table><tr><th>#</th><th>student</th><th>student</th><th>score</th><th>shared fingerprints</th><th>passages</th>
<th>found in</th></tr>
{rows}</table>{more}{starred}
{f"<p>Not compared:</p><ul>{skipped}</ul>" if skipped else ""}{unpaired}
{f"<p>Compared in part:</p><ul>{partial}</ul>" if partial else ""}
{details}
</section>
"""


def _listed(reasons: dict[str, str]) -> str:
    """student: reason, as list items, at most MAX_LISTED of them and a count of the rest."""
    items = sorted(reasons.items())
    listed = "".join(f"<li>{_name(student)}: {_name(why, MAX_REASON_CHARS)}</li>" for student, why in items[:MAX_LISTED])
    return listed + (f"<li>and {len(items) - MAX_LISTED} more</li>" if len(items) > MAX_LISTED else "")
