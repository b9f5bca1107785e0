"""Similarity across a batch: copies are found however disguised, independent solutions are not flagged."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest

from conftest import ROOT, reference_source, run_grade
from similarity_copies import disguise, rename, reformat, reorder
from grader.course.manifest import load_course
from grader.similarity.command import DEFAULT_THRESHOLD
from grader.similarity.compare import SimilarityOptions, compare
from grader.similarity.export import similarity_csv
from grader.similarity.normalise import normalise
from grader.similarity.report import similarity_section
from grader.similarity.sources import Document, given_code, readme_code

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
REFERENCE = reference_source("02_backprop")
GIVEN = given_code(EXERCISE)
# Six correct solutions of 02_backprop written independently (five by hand for this test, and the
# reference); each earns 30/30 (test_independent_solutions_are_correct).
INDEPENDENT = {path.stem: path.read_text() for path in sorted((ROOT / "tests/fixtures/similarity/02_backprop").glob("*.py"))}
INDEPENDENT["reference"] = REFERENCE


def scores(documents: dict[str, str], **options) -> dict[frozenset, float]:
    result = compare([Document(s, t) for s, t in documents.items()], GIVEN, SimilarityOptions(**options))
    return {frozenset((pair.a, pair.b)): pair.score for pair in result.pairs}


# ---------------------------------------------------------------- normalising

def test_renaming_and_reformatting_leave_the_tokens_unchanged():
    assert normalise(reformat(rename(REFERENCE, 5))).values == normalise(REFERENCE).values
    assert normalise("x = 1  # one\n\n\ny = x\n").values == normalise("a=1\nb = a").values


def test_docstrings_comments_and_names_go_but_what_the_code_does_stays():
    tokens = normalise('def f(total):\n    """Doc."""\n    # note\n    return np.exp(-total) + len("s")\n').values
    assert tokens == ("def", "V", "(", "V", ")", ":", "return", "V", ".", "exp", "(", "-", "V", ")", "+", "len", "(", "S", ")")
    assert normalise("y = np.maximum(x, 0)").values != normalise("y = np.minimum(x, 0)").values


def test_a_file_python_cannot_tokenise_is_read_past_the_error():
    tokens = normalise("def f(x):\n        return x\n    y = 2\nz = np.tanh(3)\n")
    assert "tanh" in tokens.values and tokens.lines[-1] == 4


def test_readme_code_is_found_in_fences_and_inline_spans():
    code = readme_code("Use `sum(inputs * weights) + bias` here.\n\n```\nz = w1 * x + b1\n```\nand ``a`b``.")
    assert code == ["z = w1 * x + b1\n", "sum(inputs * weights) + bias", "a`b"]


# ---------------------------------------------------------------- what is found, and what is not

@pytest.mark.parametrize("make_copy", [lambda s: s, lambda s: rename(s, 1), lambda s: reformat(s),
                                       lambda s: reorder(s, 2), lambda s: disguise(s, 3)],
                         ids=["identical", "renamed", "reformatted", "reordered", "all three"])
@pytest.mark.parametrize("original", sorted(INDEPENDENT))
def test_copies_are_found_however_disguised(original, make_copy):
    batch = {**INDEPENDENT, "copier": make_copy(INDEPENDENT[original])}
    found = scores(batch)
    assert found.get(frozenset((original, "copier")), 0) >= 0.85, found
    assert max((score for pair, score in found.items() if "copier" not in pair), default=0) < DEFAULT_THRESHOLD


def test_independent_correct_solutions_are_not_flagged_at_the_default_threshold():
    assert len(INDEPENDENT) >= 6
    assert scores(INDEPENDENT) == {}
    every = scores(INDEPENDENT, threshold=0.01, min_shared=1)
    assert len(every) >= 5, "the solutions share nothing at all: the test could not fail"
    assert max(every.values()) < DEFAULT_THRESHOLD - 0.1, every


def test_a_copied_function_inside_other_code_is_found_with_its_lines():
    borrowed = INDEPENDENT["chen"].split("def gradients")[1].split("def update")[0]
    mixed = INDEPENDENT["ben"].split("def gradients")[0] + "def gradients" + borrowed
    result = compare([Document("chen", INDEPENDENT["chen"]), Document("mixed", mixed)], GIVEN, SimilarityOptions(threshold=0.2))
    (pair,) = result.pairs
    chen_lines = INDEPENDENT["chen"].splitlines()
    start = next(i for i, line in enumerate(chen_lines, 1) if line.startswith("def gradients"))
    assert any(match.lines_a[0] <= start + 2 and match.lines_a[1] >= start + 8 for match in pair.matches), pair.matches


def test_the_stub_and_the_readme_code_are_not_evidence():
    stub = EXERCISE.stub_path.read_text()
    pasted = stub.replace('raise NotImplementedError("TODO: compute the sigmoid of z")', "return 1 / (1 + np.exp(-z))")
    todo = 'raise NotImplementedError("TODO: z1 = w1 * x + b1, a1 = sigmoid(z1), then the same for the second neuron")'
    assert todo in stub
    as_told = stub.replace(todo, "z1 = w1 * x + b1\n    a1 = sigmoid(z1)\n    z2 = w2 * a1 + b2\n    a2 = sigmoid(z2)\n"
                                 "    return a1, a2")
    fenced = [block for block in readme_code((EXERCISE.exercise_dir / "README.md").read_text()) if "\n" in block]
    assert scores({"a": stub, "b": stub, "c": as_told + "".join(fenced), "d": as_told}, min_shared=1) == {}
    assert scores({"c": pasted, "d": pasted}) == {}   # one shared line is a coincidence, whatever its share


def test_scores_do_not_depend_on_the_process_hash_seed(tmp_path):
    script = ("import sys; sys.path[:0] = ['tests', '.']\n"
              "from test_similarity import scores, INDEPENDENT\n"
              "print(sorted((sorted(p), s) for p, s in scores(INDEPENDENT, threshold=0.01, min_shared=1).items()))\n")
    outputs = {subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                              env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}, check=True).stdout
               for seed in ("1", "2", "3")}
    assert len(outputs) == 1 and "ana" in outputs.pop()


def test_a_passage_most_of_a_large_batch_shares_is_not_counted():
    helper = "\n\ndef shared_helper(values):\n    total = 0\n" + "".join(
        f"    total = total + values[{i}] * {i} - {i * 7 % 5}\n" for i in range(40)) + "    return total\n"
    originals = list(INDEPENDENT.values())
    batch = {f"s{i}": rename(originals[i % len(originals)], i) + helper for i in range(4 * len(originals))}
    same_original = {frozenset((f"s{i}", f"s{j}")) for i in range(len(batch)) for j in range(i) if (i - j) % len(originals) == 0}
    assert set(scores(batch)) == same_original   # the helper all 24 share is dropped: only the copies remain
    assert set(scores(batch, common_share=1.0)) > same_original   # counted, the helper alone flags everyone


def test_options_say_what_is_wrong():
    with pytest.raises(ValueError, match="threshold"):
        SimilarityOptions(threshold=0)


# ---------------------------------------------------------------- outputs

HOSTILE = 'def sigmoid(z):\n    s = "</pre></div><script>alert(1)</script><img src=x onerror=alert(2)>"\n' \
          '    return 1 / (1 + np.exp(-z)) if s else s.join(["&amp;", "<b>", "</details>"]) + s * 3 + s[::-1] + s.upper()\n'


def test_csv_pairs_line_ranges_and_neutralises_formula_ids():
    documents = {"=cmd|' /C calc'!A0": Document("=cmd|' /C calc'!A0", REFERENCE + HOSTILE),
                 "+bob": Document("+bob", rename(REFERENCE, 2) + HOSTILE), "carol": Document("carol", INDEPENDENT["ana"])}
    result = compare(list(documents.values()), GIVEN)
    rows = list(csv.DictReader(io.StringIO(similarity_csv(result, documents))))
    assert len(rows) == 1
    (row,) = rows
    assert {row["student_a"], row["student_b"]} == {"'=cmd|' /C calc'!A0", "'+bob"}
    assert float(row["score"]) >= 0.9
    assert len(row["lines_a"].split("; ")) == len(row["lines_b"].split("; ")) >= 1
    first, last = map(int, row["lines_a"].split("; ")[0].split("-"))
    assert 1 <= first <= last <= len(REFERENCE.splitlines()) + 3


def test_the_report_section_escapes_student_code_and_names_ids_only():
    documents = {"ann": Document("ann", REFERENCE + HOSTILE), "<i>ben</i>": Document("<i>ben</i>", rename(REFERENCE + HOSTILE, 4))}
    result = compare(list(documents.values()), GIVEN)
    section = similarity_section(result, documents)
    assert "<script" not in section and "<img" not in section and "<i>ben" not in section
    assert "&lt;/pre&gt;&lt;/div&gt;&lt;script&gt;" in section and "&lt;i&gt;ben&lt;/i&gt;" in section
    assert section.count("<details") == 1 and '<mark class="c0">' in section
    assert "1 pairs score at least 50%" in " ".join(section.split())


def test_notebooks_are_compared_on_their_code_cells(tmp_path):
    import nbformat

    from grader.similarity.sources import read_document

    cells = [nbformat.v4.new_markdown_cell("# my work")] + [
        nbformat.v4.new_code_cell("def " + chunk.strip()) for chunk in rename(INDEPENDENT["dara"], 6).split("\ndef ")[1:]]
    cells.insert(1, nbformat.v4.new_code_cell("from math import exp, tanh\n%matplotlib inline"))
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=cells)))
    document = read_document("nb", notebook, 1 << 20)
    result = compare([Document("dara", INDEPENDENT["dara"]), document, Document("ana", INDEPENDENT["ana"])], GIVEN)
    (pair,) = result.pairs
    assert pair.score >= 0.85
    assert document.where(*pair.matches[0].lines_b).startswith("cell ")


# ---------------------------------------------------------------- the real command

def test_independent_solutions_are_correct(tmp_path):
    for name, source in INDEPENDENT.items():
        run = run_grade("exercises/02_backprop", "--submission", ROOT / f"tests/fixtures/similarity/02_backprop/{name}.py",
                        "--json", "-", "--allow-weak-isolation") if name != "reference" else None
        assert run is None or run.document["score"] == 30, (name, run and run.stderr)


@pytest.mark.slow
def test_grade_batch_with_similarity_finds_the_planted_copies(tmp_path):
    import nbformat

    subs = tmp_path / "subs"
    subs.mkdir()
    planted = {"alice": REFERENCE, "bob": rename(REFERENCE, 1), "carol": reorder(REFERENCE, 2),
               "dave": disguise(INDEPENDENT["chen"], 3), **{name: INDEPENDENT[name] for name in ("ana", "ben", "chen", "emil")}}
    for student, source in planted.items():
        (subs / f"{student}.py").write_text(source)
    cells = [nbformat.v4.new_code_cell(chunk) for chunk in INDEPENDENT["emil"].split("\n\n\n")]
    (subs / "erin.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook(cells=cells)))
    out = tmp_path / "out"
    run = run_grade("batch", subs, "--exercise", "02_backprop", "--out", out, "--similarity", "--allow-weak-isolation")
    assert run.returncode == 0, run.stderr
    with open(out / "similarity.csv", newline="") as stream:
        rows = {frozenset((row["student_a"], row["student_b"])): row for row in csv.DictReader(stream)}
    expected = {frozenset(p) for p in [("alice", "bob"), ("alice", "carol"), ("bob", "carol"), ("chen", "dave"), ("emil", "erin")]}
    assert set(rows) == expected, rows
    assert rows[frozenset(("emil", "erin"))]["lines_a"].startswith("cell ") or \
        rows[frozenset(("emil", "erin"))]["lines_b"].startswith("cell ")
    report = (out / "report.html").read_text()
    assert "Similar submissions" in report and report.count("<details") == 5 and "Not compared" not in report
    assert "5 pairs at or above 0.5" in run.stderr

    again = run_grade("similarity", out, "--exercise", "02_backprop", "--threshold", "0.99")
    assert again.returncode == 0, again.stderr
    with open(out / "similarity.csv", newline="") as stream:
        strict = list(csv.DictReader(stream))
    assert {frozenset((r["student_a"], r["student_b"])) for r in strict} == \
        {frozenset(("alice", "bob")), frozenset(("emil", "erin"))}, strict

    (subs / "ben.py").write_text(INDEPENDENT["ben"] + "\n# changed after grading\n")
    moved = run_grade("similarity", out, "--exercise", "02_backprop")
    assert moved.returncode == 0 and "1 not compared" in moved.stderr
    assert "ben: " in (out / "report.html").read_text().split("Not compared")[1] and "changed since it was graded" in \
        (out / "report.html").read_text()


def test_bad_similarity_input_is_one_clear_message(tmp_path):
    missing = run_grade("similarity", tmp_path / "nothing", "--exercise", "02_backprop")
    assert missing.returncode == 2 and "give the --out folder of `grade batch`" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = run_grade("similarity", tmp_path / "empty", "--exercise", "02_backprop")
    assert empty.returncode == 2 and "grade the batch first" in empty.stderr
    bad = run_grade("similarity", tmp_path / "empty", "--exercise", "02_backprop", "--threshold", "1.5")
    assert bad.returncode == 2 and "at most 1" in bad.stderr
