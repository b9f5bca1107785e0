"""The grader's own process reads every submission with `ast`: that work must stay bounded whatever the
student hands in (red-team findings: nested lambdas took quadratic time, 2 MB of `a;` took 1.9 GB)."""

from __future__ import annotations

import ast

import pytest

from grader.labcode import names, program
from grader.labcode.program import MAX_PARSED_TOKENS, SCRIPT_CELL, Cell, UnreadableCell, build_module
from grader.labcode.signatures import signatures
from grader.labcode.spellings import old_spellings

REFERENCE_LIKE = "import numpy as np\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"


def test_nested_lambdas_are_read_once_not_once_per_level(monkeypatch):
    calls = []
    real = names.function_free_names

    def counting(node):
        calls.append(node)
        return real(node)

    monkeypatch.setattr(names, "function_free_names", counting)
    depth = 300
    source = REFERENCE_LIKE + "y = " + "lambda: " * depth + "sigmoid\n"
    module = build_module([Cell(SCRIPT_CELL, source)], {"sigmoid"})
    lambdas = [node for node in calls if isinstance(node, ast.Lambda)]
    assert len(lambdas) == 1, f"{len(lambdas)} lambdas read for one chain of {depth}"
    assert "def sigmoid" in module.text


def test_the_outer_lambda_still_makes_its_globals_needed():
    source = "SCALE = 3\n\ndef helper():\n    return 1\n\nf = lambda: (lambda: SCALE * helper())()\nunused = 5\n"
    module = build_module([Cell(SCRIPT_CELL, source)], {"f"})
    assert "SCALE = 3" in module.text and "def helper" in module.text and "unused = 5" not in module.text


@pytest.fixture
def no_parsing(monkeypatch):
    """Fails the test if anything here hands a huge source to Python's parser."""
    real = ast.parse

    def guarded(source, *args, **kwargs):
        assert len(source) < 100_000, "a huge submission reached ast.parse in the grader's process"
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", guarded)


def test_a_huge_file_is_never_parsed_in_the_graders_process(no_parsing):
    source = REFERENCE_LIKE + "a;" * 1_000_000
    with pytest.raises(UnreadableCell, match=f"more than {MAX_PARSED_TOKENS} tokens"):
        build_module([Cell(SCRIPT_CELL, source)], {"sigmoid"})
    assert signatures(source) == {}
    assert old_spellings(source) == []


def test_many_small_cells_count_together(no_parsing):
    cells = [Cell(number, "x = [" + ", ".join(["1"] * 500) + "]\n") for number in range(1, 200)]
    with pytest.raises(UnreadableCell, match="tokens"):
        build_module(cells, {"x"})


def test_an_ordinary_file_is_well_within_the_budget():
    assert not program.too_many_tokens(REFERENCE_LIKE * 200)


def test_a_huge_file_is_the_students_broken_submission_with_a_clear_message(tmp_path):
    from conftest import reference_source, run_grade

    path = tmp_path / "backprop.py"
    path.write_text(reference_source("02_backprop") + "a;" * 1_000_000)
    run = run_grade("exercises/02_backprop", "--submission", path, "--json", "-")
    assert run.returncode == 0
    assert run.document["status"] == "submission_broken" and run.document["score"] == 0
    assert f"more than {MAX_PARSED_TOKENS} tokens" in run.document["message"]
