"""Hostile files against similarity: none stops the batch, none changes anyone else's scores, and whatever a
budget cuts short is reported. Budgets are reached with small bounds and a counting clock, never wall time."""

from __future__ import annotations

import csv
import io
import tokenize
from pathlib import Path

import pytest

from conftest import ROOT, reference_source, run_grade
from similarity_copies import disguise, rename, reorder
from grader.course.manifest import load_course
from grader.similarity import compare as compare_module
from grader.similarity import normalise as normalise_module
from grader.similarity.budget import SimilarityBudget, Deadline
from grader.similarity.compare import SimilarityOptions, SimilarityResult, compare
from grader.similarity.export import similarity_csv
from grader.similarity.normalise import LONG_TOKEN, normalise, read_tokens
from grader.similarity.report import similarity_section
from grader.similarity.sources import Document, correct_solutions, given_code, read_document

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
REFERENCE = reference_source("02_backprop")
GIVEN = given_code(EXERCISE)
INDEPENDENT = {path.stem: path.read_text() for path in sorted((ROOT / "solutions/02_backprop/independent").glob("*.py"))}
INDEPENDENT["reference"] = REFERENCE
HONEST = {**INDEPENDENT, "copier": disguise(INDEPENDENT["chen"], 3), "renamer": rename(REFERENCE, 1),
          "reorderer": reorder(INDEPENDENT["ana"], 2)}

# What the issue found: every line opens a string that never closes (Python's tokenize read the rest of the file
# again from each line: quadratic), one long line of escaped quotes (quadratic inside the line), and two students
# handing in the same 1.9 MB of one repeated line (each shared fingerprint was compared with all of the other's).
UNCLOSED = '\\"""x\n' * 170_000
QUOTES = ('"\\' * 8000 + "x\n") * 8
REPEATED = "y = np.exp(a) + np.tanh(b) * 3 - len(c) / 2 + abs(d) ** 4 % max(e, 5)\n" * 27_000
HOSTILE = {"unclosed": UNCLOSED, "quotes": QUOTES, "repeat1": REPEATED, "repeat2": REPEATED}


def run(sources: dict[str, str], options: SimilarityOptions = SimilarityOptions(threshold=0.3), **extra) -> SimilarityResult:
    return compare([Document(student, text) for student, text in sorted(sources.items())], GIVEN, options, **extra)


def by_pair(result: SimilarityResult) -> dict[frozenset, tuple]:
    return {frozenset((p.a, p.b)): (p.score, p.shared, p.fingerprints_a, p.fingerprints_b, p.matches) for p in result.pairs}


class CountingClock:
    """A clock that moves one second each time it is read: a budget of N seconds is N looks at the clock."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> float:
        self.now += 1
        return float(self.now)


# ---------------------------------------------------------------- tokenizing is linear, whatever the text

def _reading_counted(monkeypatch) -> dict[str, int]:
    """Count the characters each tokenizer is handed, and the longest line Python's tokenize is handed."""
    seen = {"python": 0, "regex": 0, "longest": 0}
    python, regex = tokenize.generate_tokens, normalise_module._regex_tokens

    def counted_python(reader):
        def counting() -> str:
            line = reader()
            seen["python"] += len(line)
            seen["longest"] = max(seen["longest"], len(line))
            return line
        return python(counting)

    def counted_regex(lines, first, end, out):
        seen["regex"] += sum(len(line) for line in lines[first:end])
        return regex(lines, first, end, out)

    monkeypatch.setattr(normalise_module.tokenize, "generate_tokens", counted_python)
    monkeypatch.setattr(normalise_module, "_regex_tokens", counted_regex)
    return seen


@pytest.mark.parametrize("text", [UNCLOSED[:60_000], QUOTES[:60_000], "def f(:\n  x = '''\n" + REFERENCE * 20,
                                  "x = (\n" * 5000, "\tdef f():\n  return 1\n y\n" * 2000],
                         ids=["unclosed-strings", "escaped-quotes", "unclosed-then-code", "open-brackets", "bad-dedents"])
def test_every_character_is_handed_to_one_tokenizer_once(monkeypatch, text):
    seen = _reading_counted(monkeypatch)
    normalise(text)
    # Each tokenizer reads each character at most once (Python's may read up to an unclosed string's end before
    # the regex tokenizer reads that stretch): at most two passes, where resuming from each error was quadratic.
    assert seen["python"] <= len(text) and seen["regex"] <= len(text), seen
    assert seen["longest"] <= SimilarityBudget().long_line


def test_a_large_text_is_read_by_the_regex_tokenizer_only(monkeypatch):
    seen = _reading_counted(monkeypatch)
    normalise(UNCLOSED)
    assert seen["python"] == 0 and seen["regex"] == len(UNCLOSED)


def test_the_regex_tokenizer_reads_each_string_body_once(monkeypatch):
    """A line of quotes that each open a string never closed (Python's tokenize reads the rest of the line
    again from each): the regex tokenizer reads a body once, then knows every later quote of that kind opens none."""
    scanned = []

    class Counted:
        def __init__(self, pattern):
            self.pattern = pattern

        def match(self, text, position):
            found = self.pattern.match(text, position)
            scanned.append(found.end() - position)
            return found

    monkeypatch.setattr(normalise_module, "_REACH", {q: Counted(p) for q, p in normalise_module._REACH.items()})
    line = "x = 'a\\'b' + 1; " + '"\\' * 20_000 + "x\n"
    tokens = normalise(line * 3, SimilarityBudget(python_tokenize_bytes=1))
    assert sum(scanned) <= 2 * len(line) * 3, sum(scanned)
    assert tokens.values.count("S") == 3 and tokens.values.count('"') == 3 * 20_000
    short = "x = 'a\\'b' + 1; " + '"\\' * 100 + "x\n"   # Python's tokenize reads it alike (error tokens)
    assert normalise(short, SimilarityBudget(python_tokenize_bytes=1)) == normalise(short)


def test_the_regex_tokenizer_reads_ordinary_code_as_python_does():
    regex_only = SimilarityBudget(python_tokenize_bytes=1)
    texts = [*INDEPENDENT.values(), *GIVEN, *(path.read_text() for path in sorted((ROOT / "grader").rglob("*.py")))]
    texts.append('def f(x):\n    """Doc\n    on two lines with \\""" inside."""\n    s = rb\'a\\\'b\' + f"{x!r}" \\\n'
                 '        + """\n"""\n    return [1.5e3, 0x_ff, 1_000j, ...]  # done\n')
    texts.append("x = 'never closed\ny = rb\"a\\\\\" + 'b' + \"c\n")   # broken lines: the quote is an error token
    for text in texts:
        assert normalise(text, regex_only) == normalise(text), text[:200]


# ---------------------------------------------------------------- hostile files among honest ones

def test_hostile_files_leave_everyone_elses_scores_as_they_are():
    alone = run(HONEST)
    among = run({**HONEST, **HOSTILE})
    hostile = set(HOSTILE)
    assert {pair: found for pair, found in by_pair(among).items() if not pair & hostile} == by_pair(alone)
    assert len(alone.pairs) >= 3 and not alone.partial
    (repeated,) = [pair for pair in among.pairs if {pair.a, pair.b} == {"repeat1", "repeat2"}]
    assert repeated.score == 1.0 and 1 <= len(repeated.matches) <= SimilarityBudget().passages
    assert {"unclosed", "repeat1", "repeat2"} <= set(among.partial)   # each says what of it was left out
    assert "only its first" in among.partial["repeat1"]
    assert among.compared == len(HONEST) + len(HOSTILE) and not among.unpaired


def test_a_token_as_written_costs_at_most_long_token_characters():
    """The code as written keeps strings and comments, but a long one is compared by its digest: the token
    codes cached per process stay small whatever a file holds."""
    text = "".join(f"s{i} = '{chr(97 + i % 26) * 20_000}{i}'  # {'x' * 5000}\n" for i in range(40))
    structure, written = read_tokens(text)
    assert max(map(len, written.values)) <= LONG_TOKEN + 1 and len(set(written.values)) > 80
    assert structure == normalise(text)


def test_identical_files_are_paired_linearly():
    """120 students hand in the reference as it is: every passage is common (not counted), and identical files
    are reported as 119 pairs with the first of them, not 7,140."""
    result = run({f"s{i:03d}": REFERENCE for i in range(120)})
    assert len(result.pairs) == 119 and {pair.a for pair in result.pairs} == {"s000"}
    assert {(pair.score, pair.evidence) for pair in result.pairs} == {(1.0, "identical")}


def test_correct_solutions_are_read_within_the_budget(tmp_path):
    """What correct solutions share is measured from the course's own files: never the hidden checks, nor
    through a link, at most `solutions` files of at most `source_bytes` each."""
    import dataclasses

    solutions = tmp_path / "solutions" / "02_backprop"
    independent = solutions / "independent"
    lab = solutions / "lab"
    for folder in (solutions, independent, lab):
        folder.mkdir(parents=True)
    (solutions / "backprop.py").write_text(REFERENCE)
    (solutions / "hidden_checks.py").write_text("def test_secret():\n    pass\n")
    (independent / "a.py").write_text("x = 1\n" * 10_000)
    (independent / "b.py").symlink_to(solutions / "hidden_checks.py")
    (independent / "c.py").write_text("y = 2\n")
    (independent / "d.py").write_text("z = 3\n")
    (lab / "lab.py").write_text("lab = 4\n")
    (lab / "link.py").symlink_to(solutions / "hidden_checks.py")
    exercise = dataclasses.replace(EXERCISE, solution_dir=solutions)
    read = correct_solutions(exercise, SimilarityBudget(solutions=3, source_bytes=1000))
    assert read == [REFERENCE[:1000], ("x = 1\n" * 10_000)[:1000], "y = 2\n"]
    assert correct_solutions(exercise, SimilarityBudget(solutions=1)) == [REFERENCE]
    given = given_code(exercise)
    assert given[-1] == "lab = 4\n" and not any("test_secret" in text for text in given)


def test_a_file_beyond_the_bytes_compared_is_read_in_part(tmp_path):
    path = tmp_path / "big.py"
    path.write_text(REPEATED)
    document = read_document("big", path, 4 << 20, source_bytes=10_000)
    assert len(document.text.encode()) <= 10_000 and document.text.endswith("\n")
    assert "only its first" in document.left_out and "1.8 MiB" in document.left_out
    result = compare([document, Document("small", REFERENCE)], GIVEN)
    assert result.partial["big"].startswith("only its first")


def test_tokens_and_fingerprints_beyond_the_budget_are_left_out_and_said():
    budget = SimilarityBudget(tokens=400, fingerprints=50)
    result = run({"a": REFERENCE * 3, "b": REFERENCE * 3}, SimilarityOptions(budget=budget))
    assert "only its first 400 tokens" in result.partial["a"] and "only its first 50 fingerprints" in result.partial["a"]
    (pair,) = result.pairs
    assert pair.fingerprints_a <= 50 and pair.score == 1.0


def test_passages_beyond_the_budget_are_counted_not_listed():
    pieces = [f"def f{i}(values):\n" + "".join(f"    values = values * {i + j} - np.exp(values) / {j + 2}\n"
                                                for j in range(6)) + "    return values\n" for i in range(12)]
    first = "\n\n".join(pieces)
    second = "\n\n".join(f"{piece}\nprint({i} + 0.5 * {i * 3})\n" for i, piece in enumerate(reversed(pieces)))
    full = run({"a": first, "b": second})
    (pair,) = full.pairs
    assert len(pair.matches) > 2 and not pair.note
    (cut,) = run({"a": first, "b": second}, SimilarityOptions(threshold=0.3, budget=SimilarityBudget(passages=2))).pairs
    assert cut.matches == pair.matches[:2] and cut.score == pair.score
    assert f"only the first 2 of {len(pair.matches)} matching passages are listed" in cut.note


# ---------------------------------------------------------------- time budgets, reached by counting looks at the clock

def test_a_pair_whose_time_runs_out_keeps_its_score_and_says_so():
    full = by_pair(run(HONEST))
    result = run(HONEST, SimilarityOptions(threshold=0.3, budget=SimilarityBudget(pair_seconds=0.5)),
                 deadline=Deadline(SimilarityBudget(pair_seconds=0.5), CountingClock()))
    assert {pair: found[:4] for pair, found in by_pair(result).items()} == {pair: found[:4] for pair, found in full.items()}
    for pair in result.pairs:
        assert pair.matches == () and "the pair's time budget of 0.5 s ran out" in pair.note, pair


def _looks(sources: dict[str, str], options: SimilarityOptions) -> int:
    clock = CountingClock()
    run(sources, options, deadline=Deadline(options.budget, clock))
    return clock.now


@pytest.mark.parametrize("rows", [2, 256])
def test_every_pair_the_batch_budget_cuts_is_reported(monkeypatch, rows):
    """Cut the batch after every possible number of looks at the clock: each pair of the full result is then
    found alike, found without passages (said in its note), or among the pairs reported as not compared."""
    monkeypatch.setattr(compare_module, "BLOCK_ROWS", rows)   # several blocks of pairs, so a cut can fall between them
    sources = {**HONEST, **{student: text[:12_000] for student, text in HOSTILE.items()}}
    options = SimilarityOptions(threshold=0.3, budget=SimilarityBudget(source_bytes=8_000, pair_seconds=10_000))
    full = by_pair(run(sources, options))
    stages = set()
    for seconds in range(_looks(sources, options) + 1):
        budget = SimilarityBudget(source_bytes=8_000, pair_seconds=10_000, batch_seconds=seconds)
        result = run(sources, SimilarityOptions(threshold=0.3, budget=budget), deadline=Deadline(budget, CountingClock()))
        assert result.compared + len(result.skipped) == len(sources)
        for why in result.skipped.values():
            assert f"the comparison's time budget of {seconds} s ran out before it was read" in why
        assert not result.unpaired or result.unpaired_why == f"the comparison's time budget of {seconds} s ran out"
        found = {frozenset((p.a, p.b)): p for p in result.pairs}
        assert set(found) <= set(full)
        for key, (score, shared, _, _, matches) in full.items():
            if key in found:
                pair = found[key]
                assert (pair.score, pair.shared) == (score, shared)
                assert pair.matches == matches if not pair.note else \
                    f"the comparison's time budget of {seconds} s ran out" in pair.note
                stages.add("passages cut" if pair.note else "whole")
            else:
                assert key & set(result.skipped) or key <= set(result.unpaired), (seconds, key)
                stages.add("not read" if key & set(result.skipped) else "not counted")
    assert stages >= {"not read", "passages cut", "whole"} | ({"not counted"} if rows == 2 else set()), stages


def test_what_the_budget_cut_is_in_the_report_and_the_csv():
    budget = SimilarityBudget(batch_seconds=30)
    sources = {**HONEST, **HOSTILE}
    documents = {student: Document(student, text) for student, text in sources.items()}
    result = compare(list(documents.values()), GIVEN, SimilarityOptions(threshold=0.3, budget=budget),
                     deadline=Deadline(budget, CountingClock()))
    assert result.skipped or result.unpaired or any(pair.note for pair in result.pairs)
    section = " ".join(similarity_section(result, documents).split())
    for student in result.skipped:
        assert f"{student}: not compared: the comparison's time budget of 30 s ran out" in section
    rows = list(csv.DictReader(io.StringIO(similarity_csv(result, documents))))
    assert [row["note"] for row in rows] == [
        "; ".join(filter(None, [p.note] + [f"{s} compared in part: {result.partial[s]}" for s in (p.a, p.b)
                                           if s in result.partial])) for p in result.pairs]


# ---------------------------------------------------------------- names reach people through one_line

def test_names_and_reasons_are_shown_on_one_printable_line(tmp_path, monkeypatch):
    from rich.console import Console

    import grader.similarity.batch as batch_module
    from grader.commands.similarity import similarity_sections

    evil = "ev\x1b]52;c;aGk=\x07il\u202e\x9b2J\nname"   # an OSC 52 clipboard write, a bidi override, the C1 CSI
    documents = {evil: Document(evil, REFERENCE), "bob": Document("bob", rename(REFERENCE, 2))}
    result = compare(list(documents.values()), GIVEN, skipped={"x\x1b[2Jy": f"{evil} moved"})
    assert len(result.pairs) == 1
    monkeypatch.setattr(batch_module, "run_similarity", lambda *args, **kwargs: (result, documents))
    buffer = io.StringIO()
    section = similarity_sections(tmp_path, EXERCISE, 0.5, Console(file=buffer, width=300))[0]
    for shown in (section, buffer.getvalue()):
        assert not any(bad in shown for bad in ("\x1b", "\x07", "\u202e", "\x9b", "\nname")), shown
        assert "evil name" in shown
    assert "xy: evil name moved" in section


# ---------------------------------------------------------------- the batch: exports first, similarity never fails it

def test_a_similarity_that_fails_is_a_warning_not_a_failure(tmp_path):
    from rich.console import Console

    from grader.commands.similarity import batch_similarity

    buffer = io.StringIO()
    assert batch_similarity(tmp_path, EXERCISE, 0.5, Console(file=buffer, width=300)) is False
    assert "warning: similarity was not completed" in buffer.getvalue()
    assert "grade the batch first" in buffer.getvalue() and "to try again" in buffer.getvalue()


def _write(folder: Path, sources: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for student, source in sources.items():
        (folder / f"{student}.py").write_text(source)
    return folder


def _pairs(path: Path) -> dict[frozenset, str]:
    with open(path, newline="") as stream:
        return {frozenset((row["student_a"], row["student_b"])): row["score"] for row in csv.DictReader(stream)}


@pytest.mark.slow
def test_grade_batch_with_hostile_files_writes_everyones_grades_and_the_same_pairs(tmp_path):
    honest = {name: HONEST[name] for name in ("ana", "chen", "copier", "reference", "renamer")}
    alone = run_grade("batch", _write(tmp_path / "honest", honest), "--exercise", "02_backprop", "--out",
                      tmp_path / "alone", "--similarity", "--allow-weak-isolation")
    assert alone.returncode == 0, alone.stderr
    out = tmp_path / "out"
    batch = run_grade("batch", _write(tmp_path / "subs", {**honest, **HOSTILE}), "--exercise", "02_backprop",
                      "--out", out, "--similarity", "--allow-weak-isolation")
    assert batch.returncode == 0, batch.stderr
    for export in ("grades.csv", "students.csv", "report.html", "gradescope/reference/results.json"):
        assert (out / export).is_file(), export
    with open(out / "grades.csv", newline="") as stream:
        grades = {row["student"]: row for row in csv.DictReader(stream)}
    assert set(grades) == set(honest) | set(HOSTILE) and float(grades["reference"]["total"]) == 30
    pairs = _pairs(out / "similarity.csv")
    assert {key: score for key, score in pairs.items() if not key & set(HOSTILE)} == _pairs(tmp_path / "alone" / "similarity.csv")
    assert frozenset(("repeat1", "repeat2")) in pairs
    report = " ".join((out / "report.html").read_text().split())
    assert "Similar submissions" in report and "Compared in part:" in report
    assert "compared in part" in batch.stderr


@pytest.mark.slow
def test_grade_batch_keeps_its_exports_when_similarity_fails(tmp_path):
    out = tmp_path / "out"
    (out / "similarity.csv").mkdir(parents=True)   # similarity cannot write its CSV: it fails after grading
    batch = run_grade("batch", _write(tmp_path / "subs", {"ana": INDEPENDENT["ana"], "alice": REFERENCE}),
                      "--exercise", "02_backprop", "--out", out, "--similarity", "--allow-weak-isolation")
    assert batch.returncode == 0, batch.stderr
    assert "warning: similarity was not completed" in batch.stderr
    with open(out / "grades.csv", newline="") as stream:
        assert float({row["student"]: row for row in csv.DictReader(stream)}["alice"]["total"]) == 30
    assert (out / "students.csv").is_file() and (out / "gradescope/alice/results.json").is_file()
    report = (out / "report.html").read_text()
    assert "alice" in report and "Similar submissions" not in report
