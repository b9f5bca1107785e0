"""OUT/similarity.csv: one row per pair at or above the threshold, best first.

`lines_a` and `lines_b` list the matching passages in the same order, separated by `; `: the n-th range
of a matches the n-th range of b. Text cells go through the gradebook CSV's `text_cell`, because student
ids are chosen by students and a spreadsheet runs a cell that starts with `=`. `note` says what was not
compared in full for the pair (passages not all located or listed within the budget, a submission compared
in part); the pairs and submissions not compared at all are listed in the report and on the terminal.
`evidence` says where the score was found: `identical` (the same code, character for character),
`verbatim` (the code as written, names and comments included) or `structure` (names and comments left out).
"""

from __future__ import annotations

from grader.views.csv_table import number_cell, text_cell, write_rows
from grader.similarity.compare import Pair, SimilarityResult
from grader.similarity.sources import Document

HEADER = ["student_a", "student_b", "score", "shared_fingerprints", "fingerprints_a", "fingerprints_b",
          "lines_a", "lines_b", "note", "evidence"]


def similarity_csv(result: SimilarityResult, documents: dict[str, Document]) -> str:
    rows = []
    for pair in result.pairs:
        a, b = documents[pair.a], documents[pair.b]
        rows.append([text_cell(pair.a), text_cell(pair.b), number_cell(pair.score), number_cell(pair.shared),
                     number_cell(pair.fingerprints_a), number_cell(pair.fingerprints_b),
                     text_cell("; ".join(a.where(*match.lines_a) for match in pair.matches)),
                     text_cell("; ".join(b.where(*match.lines_b) for match in pair.matches)),
                     text_cell(_note(pair, result)), text_cell(pair.evidence)])
    return write_rows(HEADER, rows)


def _note(pair: Pair, result: SimilarityResult) -> str:
    parts = [pair.note] + [f"{student} compared in part: {result.partial[student]}"
                           for student in (pair.a, pair.b) if student in result.partial]
    return "; ".join(part for part in parts if part)
