"""Similarity across a batch: copies are found however disguised, independent solutions are not flagged, and
nothing the exercise dictates (the stub, the README's and the lab's code, what correct solutions share) counts."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest

from conftest import ROOT, reference_source, run_grade
from similarity_copies import add_dead_code, disguise, recomment, rename, reformat, reorder
from grader.course.manifest import load_course
from grader.similarity import DEFAULT_THRESHOLD
from grader.similarity.compare import SimilarityOptions, compare
from grader.similarity.export import similarity_csv
from grader.similarity.normalise import normalise, read_tokens
from grader.similarity.report import similarity_section
from grader.similarity.sources import Document, correct_solutions, given_code, readme_code

COURSE = load_course(ROOT / "course.yaml")
EXERCISE = COURSE.exercise("02_backprop")
REFERENCE = reference_source("02_backprop")
GIVEN = given_code(EXERCISE)


def independent(exercise_id: str) -> Path:
    """The correct solutions of an exercise written independently of its reference and of each other."""
    return ROOT / "solutions" / exercise_id / "independent"

# Exercises with correct solutions written independently of each other and of the reference, in the styles
# students use (test_independent_solutions_are_correct: each earns full marks). MEASURED have enough of them to
# measure what correct solutions share; every exercise has two or more.
MEASURED = ("02_backprop", "05_keras_regression", "06_keras_classification")
WITH_INDEPENDENT = tuple(sorted(path.parent.name for path in (ROOT / "solutions").glob("*/independent") if path.is_dir()))


def solutions_of(exercise_id: str) -> dict[str, str]:
    found = {path.stem: path.read_text() for path in sorted(independent(exercise_id).glob("*.py"))}
    found["reference"] = reference_source(exercise_id)
    return found


INDEPENDENT = solutions_of("02_backprop")


def corpus(exercise_id: str, *left_out: str) -> list[str]:
    """The correct solutions as grade similarity reads them, without those named (the reference always stays):
    a student's own code is never among them."""
    solutions = solutions_of(exercise_id)
    return [solutions["reference"]] + [text for name, text in solutions.items()
                                       if name != "reference" and name not in left_out]


def result_of(documents: dict[str, str], exercise_id: str = "02_backprop", left_out: tuple[str, ...] = (),
              reference_only: bool = False, **options):
    """compare() as grade similarity runs it, with the named solutions left out of the correct solutions (or
    with the reference alone, as for an exercise without independently written solutions)."""
    exercise = COURSE.exercise(exercise_id)
    solutions = [reference_source(exercise_id)] if reference_only else corpus(exercise_id, *left_out)
    return compare([Document(s, t) for s, t in documents.items()], given_code(exercise), SimilarityOptions(**options),
                   solutions=solutions)


def scores(documents: dict[str, str], exercise_id: str = "02_backprop", left_out: tuple[str, ...] = (),
           **options) -> dict[frozenset, float]:
    result = result_of(documents, exercise_id, left_out, **options)
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


def test_the_code_as_written_keeps_names_comments_and_docstrings_but_not_the_layout():
    structure, written = read_tokens('def f(total):\n    """Doc."""\n    # a  note\n    return np.exp(-total)\n')
    assert structure == normalise('def f(total):\n    """Doc."""\n    # a  note\n    return np.exp(-total)\n')
    assert written.values == ("def", "f", "(", "total", ")", ":", '"""Doc."""', "# a note", "return", "np", ".", "exp",
                              "(", "-", "total", ")")
    assert read_tokens("x = 1  # one\n\n\ny = x\n")[1].values == read_tokens("x=1 # one\ny = x")[1].values
    long = read_tokens("s = '" + "a" * 5000 + "'\n")[1].values
    assert len(long) == 3 and len(long[2]) < 64   # a long string is compared by its digest


# ---------------------------------------------------------------- what is found, and what is not

@pytest.mark.parametrize("exercise_id", MEASURED)
def test_independent_correct_solutions_are_never_reported_at_the_default_threshold(exercise_id):
    """Every pair of correct solutions written independently (and the reference), each pair scored with its own
    two files left out of the correct solutions: as two new students are scored, not against their own code."""
    solutions = solutions_of(exercise_id)
    assert len(solutions) >= 6
    highest = {}
    for a, b in combinations(sorted(solutions), 2):
        result = result_of({a: solutions[a], b: solutions[b]}, exercise_id, (a, b), threshold=0.01)
        highest[(a, b)] = result.pairs[0].score if result.pairs else 0.0
    assert max(highest.values()) < DEFAULT_THRESHOLD - 0.1, sorted(highest.items(), key=lambda item: -item[1])[:3]
    if exercise_id == "02_backprop":   # they do share code beyond what is dictated: the test could fail
        assert sum(1 for score in highest.values() if score > 0) >= 3, highest
    # An exercise without independently written solutions: the reference alone, all of it discounted.
    alone = result_of(solutions, exercise_id, reference_only=True, threshold=0.01)
    assert max((pair.score for pair in alone.pairs), default=0) < DEFAULT_THRESHOLD, alone.pairs


def test_what_the_issue_saw_two_lecture_style_solutions_and_the_reference():
    """fatima and mo follow the lecture as most students do: before what correct solutions share was discounted,
    they scored 0.58 against each other and 0.44 and 0.34 against the reference (issue 23)."""
    trio = {name: INDEPENDENT[name] for name in ("fatima", "mo", "reference")}
    now = scores(trio, left_out=("fatima", "mo"), threshold=0.01)
    assert max(now.values(), default=0) < DEFAULT_THRESHOLD - 0.1, now
    before = scores(trio, left_out=("fatima", "mo"), threshold=0.01, dictated_by=99)   # nothing counts as dictated
    assert before[frozenset(("fatima", "mo"))] > 0.5 and before[frozenset(("fatima", "reference"))] > 0.4, before


COPIES = {"identical": lambda s, seed: s, "renamed": rename, "reordered": reorder, "re-commented": recomment,
          "dead code": add_dead_code, "reformatted": lambda s, seed: reformat(s),
          "all four": lambda s, seed: add_dead_code(recomment(disguise(s, seed), seed), seed)}


def _own(exercise_id: str, name: str) -> tuple[int, int]:
    """How many fingerprints of a solution are its own: of its structure beyond what the exercise dictates (its
    own file left out of the correct solutions), and of its code as written beyond the given code."""
    from grader.similarity.compare import _prepare_one
    from grader.similarity.dictated import dictated

    options = SimilarityOptions()
    discount = dictated(given_code(COURSE.exercise(exercise_id)), corpus(exercise_id, name), options.k,
                        options.mask_size, options.dictated_by)
    prepared, _ = _prepare_one(Document(name, solutions_of(exercise_id)[name]), discount, options)
    return prepared.prints.hashes.size, prepared.own


@pytest.mark.parametrize("exercise_id", MEASURED)
def test_planted_copies_are_reported_however_disguised(exercise_id):
    """Every copy of a solution with code of its own (at least 3 x min_shared structure fingerprints beyond what
    the exercise dictates) is reported, renamed, reordered, re-commented, padded with dead code or all four; an
    identical copy is reported unless the file is little more than given code (then it is counted as such).
    The copy is scored with its original left out of the correct solutions, as a new student's."""
    solutions = solutions_of(exercise_id)
    options = SimilarityOptions()
    missed, checked = [], 0
    for seed, name in enumerate(sorted(solutions)):
        structure, own = _own(exercise_id, name)
        for kind, make in COPIES.items():
            if kind != "identical" and structure < 3 * options.min_shared:
                continue
            checked += 1
            result = result_of({name: solutions[name], "copier": make(solutions[name], seed)}, exercise_id, (name,))
            found = {frozenset((pair.a, pair.b)): pair.score for pair in result.pairs}
            if kind == "identical" and own < options.min_shared:
                assert not found and set(result.too_little) == {name, "copier"}, (name, found)
            elif found.get(frozenset((name, "copier")), 0) < DEFAULT_THRESHOLD:
                missed.append((name, kind, found))
    assert not missed and checked >= 3 * len(solutions), (missed, checked)


def test_copies_among_independent_solutions_flag_only_the_copy():
    for seed, original in enumerate(sorted(INDEPENDENT)):
        batch = {**INDEPENDENT, "copier": disguise(INDEPENDENT[original], seed)}
        found = scores(batch, left_out=(original,))
        if original != "reference":
            assert found.get(frozenset((original, "copier")), 0) >= DEFAULT_THRESHOLD, (original, found)
        assert all("copier" in pair for pair in found), (original, found)


def test_a_copy_of_the_reference_with_one_line_changed_is_found_in_the_code_as_written():
    """The reference's structure is what every correct solution writes; what a copy keeps is its code as written."""
    bob = REFERENCE.replace("params[name] - learning_rate", "params[name] + learning_rate")
    carol = REFERENCE.replace("delta2 = -(t - a2) * a2 * (1 - a2)", "delta2 = -(t - a2)")
    result = result_of({"alice": REFERENCE + "\n", "bob": bob, "carol": carol, "mo": INDEPENDENT["mo"]})
    found = {frozenset((pair.a, pair.b)): pair for pair in result.pairs}
    assert set(found) == {frozenset(p) for p in [("alice", "bob"), ("alice", "carol"), ("bob", "carol")]}, found
    assert found[frozenset(("alice", "bob"))].evidence == "verbatim"


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
    assert scores({"c": pasted, "d": pasted + "\n"}) == {}   # one shared line is a coincidence, whatever its share


def _stub_with(*bodies: tuple[str, str]) -> str:
    """The 02 stub with some of its TODOs done as the README says."""
    source = EXERCISE.stub_path.read_text()
    for todo, body in bodies:
        assert todo in source
        source = source.replace(todo, body)
    return source


SIGMOID = ('raise NotImplementedError("TODO: compute the sigmoid of z")', "return 1 / (1 + np.exp(-z))")
FORWARD = ('raise NotImplementedError("TODO: z1 = w1 * x + b1, a1 = sigmoid(z1), then the same for the second neuron")',
           "z1 = w1 * x + b1\n    a1 = sigmoid(z1)\n    z2 = w2 * a1 + b2\n    a2 = sigmoid(z2)\n    return a1, a2")
ERROR = ('raise NotImplementedError("TODO: compute the error")', "return 0.5 * (t - a2) ** 2")


def test_files_that_are_little_more_than_the_stub_are_in_no_pair_and_counted():
    """What the issue saw: a batch of 25 where files that were little more than the untouched stub were reported
    at 100% (8 fingerprints each). Identical or not, such files share only what the exercise gives."""
    stub = EXERCISE.stub_path.read_text()
    batch = {"untouched1": stub, "untouched2": stub, "sigmoid1": _stub_with(SIGMOID), "sigmoid2": _stub_with(SIGMOID),
             "forward": _stub_with(SIGMOID, FORWARD), "forward_again": _stub_with(SIGMOID, FORWARD) + "\n",
             "three": _stub_with(SIGMOID, FORWARD, ERROR), "three_again": _stub_with(SIGMOID, FORWARD, ERROR) + "# done\n",
             **{name: INDEPENDENT[name] for name in ("ana", "ben", "chen", "dara", "emil", "fatima", "gus", "hana",
                                                    "ivan", "jun", "kofi", "lena", "mo", "nora", "olu", "reference")}}
    batch["copier"] = rename(INDEPENDENT["chen"], 4)
    result = result_of(batch, threshold=0.01, left_out=("chen",))
    assert {frozenset((pair.a, pair.b)) for pair in result.pairs if pair.score >= DEFAULT_THRESHOLD} == \
        {frozenset(("chen", "copier"))}
    stubby = {"untouched1", "untouched2", "sigmoid1", "sigmoid2", "forward", "forward_again", "three", "three_again"}
    assert not any({pair.a, pair.b} & stubby for pair in result.pairs), result.pairs
    assert set(result.too_little) == stubby
    section = " ".join(similarity_section(result, {s: Document(s, t) for s, t in batch.items()}).split())
    assert "8 submissions have fewer than 8 fingerprints of their own beyond what the exercise dictates" in section


def test_identical_files_are_reported_even_where_many_share_a_base():
    """25 students start from one base, 23 add a function of their own and two hand in the base as it is. Every
    passage of the two is shared by more than 10 submissions, so none is counted as evidence; identical files
    are reported all the same: score 1.0, the whole file one passage. One character apart, they are not."""
    base = INDEPENDENT["lena"]
    batch = {f"s{i:02d}": base + f"\n\ndef extra_{i}(values):\n    total = {i}\n" + "".join(
        f"    total = total * values[{j}] - {i * j + 3}\n" for j in range(i % 4 + 4)) + "    return total\n"
        for i in range(23)}
    batch["twin1"] = batch["twin2"] = base
    result = result_of(batch)
    assert result.common_cutoff == 10
    (pair,) = result.pairs
    assert {pair.a, pair.b} == {"twin1", "twin2"} and pair.score == 1.0 and pair.evidence == "identical"
    assert pair.matches[0].lines_a == pair.matches[0].lines_b == (1, len(base.splitlines()))
    rows = list(csv.DictReader(io.StringIO(similarity_csv(result, {s: Document(s, t) for s, t in batch.items()}))))
    assert [(float(row["score"]), row["evidence"]) for row in rows] == [(1.0, "identical")]
    assert result_of({**batch, "twin2": base + "\n"}).pairs == ()


def test_what_correct_solutions_share_is_measured_from_the_course():
    for exercise_id in MEASURED:
        exercise = COURSE.exercise(exercise_id)
        read = correct_solutions(exercise)
        assert read[0] == exercise.reference_path.read_text() and len(read) == len(solutions_of(exercise_id))
        assert all("def test_" not in text for text in read)   # never the hidden checks
    lab = [text for text in given_code(COURSE.exercise("05_keras_regression")) if "concrete_data_columns" in text]
    assert len(lab) == 1   # the lab's code is given code


def test_scores_do_not_depend_on_the_process_hash_seed(tmp_path):
    script = ("import sys; sys.path[:0] = ['tests', '.']\n"
              "from test_similarity import scores, INDEPENDENT\n"
              "print(sorted((sorted(p), s) for p, s in scores(INDEPENDENT, left_out=tuple(INDEPENDENT), threshold=0.01,"
              " min_shared=1).items()))\n")
    outputs = {subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                              env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}, check=True).stdout
               for seed in ("1", "2", "3")}
    assert len(outputs) == 1 and "ana" in outputs.pop()


def test_a_passage_most_of_a_large_batch_shares_is_not_counted():
    helper = "\n\ndef shared_helper(values):\n    total = 0\n" + "".join(
        f"    total = total + values[{i}] * {i} - {i * 7 % 5}\n" for i in range(40)) + "    return total\n"
    originals = [INDEPENDENT[name] for name in ("ana", "ben", "chen", "dara", "emil", "gus")]
    batch = {f"s{i}": rename(originals[i % len(originals)], i) + helper for i in range(4 * len(originals))}
    same_original = {frozenset((f"s{i}", f"s{j}")) for i in range(len(batch)) for j in range(i) if (i - j) % len(originals) == 0}
    left_out = ("ana", "ben", "chen", "dara", "emil", "gus")
    assert set(scores(batch, left_out=left_out)) == same_original   # the helper all 24 share is dropped
    assert set(scores(batch, left_out=left_out, common_share=1.0)) > same_original   # counted, it flags everyone


def test_the_default_options_are_the_measured_threshold():
    assert SimilarityOptions().threshold == DEFAULT_THRESHOLD


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
    assert f"1 pairs score at least {DEFAULT_THRESHOLD:.0%}" in " ".join(section.split())


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

@pytest.mark.parametrize("exercise_id", [pytest.param(e, marks=[pytest.mark.slow] if "tensorflow" in COURSE.exercise(e).requires else [])
                                         for e in WITH_INDEPENDENT])
def test_independent_solutions_are_correct(tmp_path, exercise_id):
    """Every correct solution written independently earns full marks (graded as a batch, as students are)."""
    import shutil

    submissions = tmp_path / "subs"
    submissions.mkdir()
    for path in independent(exercise_id).glob("*.py"):   # not lab/: the lab's code is given code, not a solution
        shutil.copy(path, submissions / path.name)
    run = run_grade("batch", submissions, "--exercise", exercise_id, "--out", tmp_path / "out", "--jobs", "2",
                    "--allow-weak-isolation", timeout=900)
    assert run.returncode == 0, run.stderr
    with open(tmp_path / "out" / "grades.csv", newline="") as stream:
        totals = {row["student"]: float(row["total"]) for row in csv.DictReader(stream)}
    points = COURSE.exercise(exercise_id).points
    assert totals == {name: points for name in solutions_of(exercise_id) if name != "reference"}, totals


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
    assert f"5 pairs at or above {DEFAULT_THRESHOLD:g}" in run.stderr

    again = run_grade("similarity", out, "--exercise", "02_backprop", "--threshold", "0.99")
    assert again.returncode == 0, again.stderr
    with open(out / "similarity.csv", newline="") as stream:
        strict = list(csv.DictReader(stream))
    assert {frozenset((r["student_a"], r["student_b"])) for r in strict} == \
        {pair for pair, row in rows.items() if float(row["score"]) >= 0.99} >= \
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
