"""Notebook submissions and the exercises' notebooks, with real notebooks written by nbformat."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import ROOT, reference_source, run_grade
from grader.labcode.notebook import notebook_source

REFERENCE = reference_source("02_backprop")


def lab_notebook(definitions: str) -> nbformat.NotebookNode:
    """A notebook the way the course labs look: prose, installs, plots, prints and training at the top level."""
    return new_notebook(cells=[
        new_markdown_cell("# Backpropagation\nIn this lab you will train a tiny network by hand."),
        new_code_cell("!pip install numpy\n%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt"),
        new_code_cell(definitions),
        new_markdown_cell("Let's try it on the lecture's example."),
        new_code_cell("x, t = 0.1, 0.25\nparams = {'w1': 0.15, 'b1': 0.4, 'w2': 0.45, 'b2': 0.65}\nprint(forward(x, **params))"),
        new_code_cell("params, errors = train(x, t, params, 0.4, 10**9)\nplt.plot(errors)\nplt.show()"),
        new_code_cell("while True:\n    pass"),
    ])


def write(tmp_path, notebook, name="backprop.ipynb"):
    path = tmp_path / name
    nbformat.write(notebook, path)
    return path


def test_a_lab_style_notebook_grades_without_running_the_lab(tmp_path):
    path = write(tmp_path, lab_notebook(REFERENCE))
    run = run_grade("exercises/02_backprop", "--submission", path, "--json", "-")
    document = run.document
    assert run.returncode == 0 and document["status"] == "graded"
    # Full marks also prove the top-level loops were left out: running them would time the import out.
    assert document["score"] == 30, [c["message"] for c in document["checks"] if c["outcome"] != "passed"]


def test_failures_point_at_the_cell_that_defines_the_function(tmp_path):
    path = write(tmp_path, lab_notebook(REFERENCE.replace("params[name] - learning_rate", "params[name] + learning_rate")))
    document = run_grade("exercises/02_backprop", "--submission", path, "--json", "-").document
    update = next(c for c in document["checks"] if c["id"] == "hidden/update_random")
    assert update["hint_id"] == "update-sign" and "`update` is defined in cell 3" in update["message"]


def test_a_syntax_error_names_the_cell_and_its_line(tmp_path):
    path = write(tmp_path, lab_notebook("def sigmoid(z):\n    return 1 / (1 + np.exp(-z)\n"))
    document = run_grade("exercises/02_backprop", "--submission", path, "--json", "-").document
    assert document["status"] == "submission_broken"
    assert "SyntaxError on cell 3, line" in document["message"]


def test_old_v3_notebooks_and_duplicate_cell_ids_are_read(tmp_path):
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(new_notebook(cells=[new_code_cell(REFERENCE)]), version=3))
    assert json.loads(path.read_text())["nbformat"] == 3
    assert run_grade("exercises/02_backprop", "--submission", path, "--json", "-").document["score"] == 30
    notebook = lab_notebook(REFERENCE)
    raw = json.loads(nbformat.writes(notebook))
    for cell in raw["cells"]:
        cell["id"] = "same-id"
    duplicate = tmp_path / "duplicate.ipynb"
    duplicate.write_text(json.dumps(raw))
    assert run_grade("exercises/02_backprop", "--submission", duplicate, "--json", "-").document["score"] == 30


@pytest.mark.parametrize("content, words", [
    ('{"cells": [', "not valid JSON"),
    (nbformat.writes(new_notebook(cells=[new_markdown_cell("only prose")])), "no code cells"),
    (nbformat.writes(new_notebook(cells=[new_code_cell("print('hello')\nfor i in range(3):\n    print(i)")])), "define nothing"),
])
def test_unusable_notebooks_are_graded_as_broken_with_a_clear_message(tmp_path, content, words):
    path = tmp_path / "work.ipynb"
    path.write_text(content)
    run = run_grade("exercises/02_backprop", "--submission", path, "--json", "-")
    assert run.returncode == 0
    assert run.document["status"] == "submission_broken" and words in run.document["message"]


def test_definitions_mode_keeps_what_the_functions_read_and_names_what_it_left_out():
    source = notebook_source_of([
        "import numpy as np\nLEARNING_RATE = 0.4\nweights = np.array([1, 2])\nmodel = build()\nmodel.fit(x, y)",
        "%%time\ntrain()",
        "def f():\n    return LEARNING_RATE * weights\nprint(f())\nclass A:\n    pass\n!ls",
    ])
    assert "LEARNING_RATE = 0.4" in source.text and "weights = np.array([1, 2])" in source.text
    assert "import numpy as np" in source.text
    assert "model = build()" not in source.text and "model.fit" not in source.text and "train()" not in source.text
    assert "def f():" in source.text and "class A:" in source.text and "print(f())" not in source.text
    assert source.function_cells == {"f": 3, "A": 3}
    assert [(item.where(), item.why) for item in source.left_out] == [
        ("cell 1, lines 4-5", "trains a model and computes model, which nothing graded reads"),
        ("cell 3, line 3", "prints or shows a value")]


def notebook_source_of(cells, keep="definitions"):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "n.ipynb"
        nbformat.write(new_notebook(cells=[new_code_cell(c) for c in cells]), path)
        return notebook_source(path, keep)


def test_all_cells_mode_runs_everything():
    source = notebook_source_of(["x = compute()", "print(x)"], keep="all")
    assert "x = compute()" in source.text and "print(x)" in source.text


def test_every_exercise_has_an_up_to_date_notebook():
    run = run_grade("notebooks", "--check")
    assert run.returncode == 0, run.stdout
    notebook = nbformat.read(ROOT / "exercises/02_backprop/backprop.ipynb", as_version=4)
    assert notebook.cells[0].cell_type == "markdown" and "Backpropagation" in notebook.cells[0].source
    assert any(cell.cell_type == "code" and "def gradients" in cell.source for cell in notebook.cells)
    nbformat.validate(notebook)


def test_a_stale_notebook_fails_the_check(course_copy):
    readme = course_copy / "exercises/02_backprop/README.md"
    readme.write_text(readme.read_text() + "\nOne more sentence.\n")
    run = run_grade("notebooks", "--check", cwd=course_copy)
    assert run.returncode == 1 and "backprop.ipynb differs" in run.stdout


def test_regenerating_writes_only_the_stale_notebook(course_copy):
    # `grade FOLDER` grades the newer of notebook and script: rewriting an unchanged notebook would switch it.
    readme = course_copy / "exercises/02_backprop/README.md"
    readme.write_text(readme.read_text() + "\nOne more sentence.\n")
    untouched = course_copy / "exercises/01_forward_propagation/forward_propagation.ipynb"
    before = untouched.stat().st_mtime_ns
    run = run_grade("notebooks", cwd=course_copy)
    assert run.returncode == 0 and "backprop.ipynb" in run.stdout and "forward_propagation.ipynb" not in run.stdout
    assert "notebooks: 1 written, 8 already up to date" in run.stdout and untouched.stat().st_mtime_ns == before
    assert run_grade("notebooks", "--check", cwd=course_copy).returncode == 0


def test_the_generated_notebook_grades_as_the_stub(tmp_path):
    document = run_grade("exercises/02_backprop", "--submission", ROOT / "exercises/02_backprop/backprop.ipynb",
                         "--json", "-").document
    assert document["status"] == "graded" and document["score"] == 0
    assert all("not implemented yet" in c["message"] for c in document["checks"])


def test_check_from_inside_jupyter_grades_the_saved_notebook(tmp_path, monkeypatch):
    from grader import check

    path = write(tmp_path, lab_notebook(REFERENCE))
    monkeypatch.chdir(ROOT / "exercises" / "02_backprop")
    feedback = check("02_backprop", notebook=path, show=False)
    assert feedback.score == 30
    from grader.views.feedback_html import feedback_html

    page = feedback_html(feedback)
    assert "<table>" in page and "Total: 30/30" in page


@pytest.mark.slow
def test_a_keras_lab_notebook_grades_without_training_at_the_top_level(tmp_path):
    lab = new_notebook(cells=[
        new_markdown_cell("# Regression with Keras\nDownload the data and build a model."),
        new_code_cell("!pip install tensorflow\nimport pandas as pd\nimport numpy as np\nimport keras\n"
                      "from keras.models import Sequential\nfrom keras.layers import Dense\n"
                      "from grader.datasets import load_concrete_data"),
        new_code_cell("concrete_data = load_concrete_data()\nconcrete_data.head()"),
        new_code_cell(reference_source("05_keras_regression").split("\n\n\n", 1)[1]),
        new_code_cell("predictors, target = split_predictors_target(concrete_data)\n"
                      "predictors_norm = normalize(predictors)\nn_cols = predictors_norm.shape[1]"),
        new_code_cell("model = regression_model(n_cols)\n"
                      "model.fit(predictors_norm, target, validation_split=0.3, epochs=100, verbose=2)"),
    ])
    path = write(tmp_path, lab, "keras_regression.ipynb")
    document = run_grade("exercises/05_keras_regression", "--submission", path, "--json", "-").document
    assert document["score"] == 25, [c["message"] for c in document["checks"] if c["outcome"] != "passed"]


# ---------------------------------------------------------------- notebooks Python cannot parse (issue 9)

DEEP_CELLS = {
    "a sum of 100k ones": "X = (" + "+".join(["1"] * 100_000) + ")",
    "100k unary minuses": "X = " + "-" * 100_000 + "1",
    "100k nots": "X = " + "not " * 100_000 + "1",
}


@pytest.mark.parametrize("keep", ["definitions", "all"])
@pytest.mark.parametrize("cell", DEEP_CELLS.values(), ids=DEEP_CELLS.keys())
def test_a_cell_too_deep_for_the_parser_is_named_in_a_notebook_error(cell, keep):
    from grader.labcode.notebook import NotebookError

    with pytest.raises(NotebookError, match="cell 2 is too deeply nested for Python to read"):
        notebook_source_of(["def f():\n    return 1", cell], keep=keep)


def test_a_file_of_nested_brackets_is_not_a_notebook(tmp_path):
    from grader.labcode.notebook import NotebookError, read_notebook

    path = tmp_path / "deep.ipynb"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(NotebookError, match="nested far deeper than any notebook"):
        read_notebook(path)


def test_a_number_too_long_for_json_is_reported_as_invalid_json(tmp_path):
    from grader.labcode.notebook import NotebookError, read_notebook

    path = tmp_path / "long.ipynb"
    path.write_text('{"cells": [], "x": ' + "9" * 5000 + "}")
    with pytest.raises(NotebookError, match="not valid JSON"):
        read_notebook(path)


# ---------------------------------------------------------------- cells that do not parse (issue 23, item 6)

FORWARD = reference_source("01_forward_propagation")


def test_an_unfinished_scratch_cell_no_graded_function_needs_is_left_out_and_named(tmp_path):
    """The issue's case: one scratch cell that does not parse cost 0/20, naming a file the student never wrote."""
    path = write(tmp_path, new_notebook(cells=[
        new_markdown_cell("# Forward propagation"),
        new_code_cell(FORWARD),
        new_code_cell("network = initialize_network(5, 2, [3, 2], 1)\nprint(forward_propagate(network, [0.5, 0.8,"),
        new_code_cell("print('done')"),
    ]), "forward_propagation.ipynb")
    document = run_grade("exercises/01_forward_propagation", "--submission", path, "--json", "-").document
    assert document["status"] == "graded" and document["score"] == 20, document["message"]
    assert "cell 3 (does not parse: SyntaxError on line 2: '[' was never closed)" in document["message"]
    assert "forward_propagation.py" not in document["message"]


def test_a_broken_redefinition_is_left_out_and_the_working_definition_graded_as_jupyter_would(tmp_path):
    notebook = lab_notebook(REFERENCE)
    notebook.cells.append(new_code_cell("def sigmoid(z):\n    return 1 / (1 + np.exp(-z)\n"))
    document = run_grade("exercises/02_backprop", "--submission", write(tmp_path, notebook), "--json", "-").document
    assert document["status"] == "graded" and document["score"] == 30, document["message"]
    assert "cell 8 (does not parse: SyntaxError on line 2: '(' was never closed)" in document["message"]


def test_a_cell_graded_code_needs_is_the_students_syntax_error_named_by_cell_and_line(tmp_path):
    path = write(tmp_path, lab_notebook("def sigmoid(z):\n    return 1 / (1 + np.exp(-z)\n" +
                                        REFERENCE.split("def forward", 1)[1].join(["def forward", ""])))
    document = run_grade("exercises/02_backprop", "--submission", path, "--json", "-").document
    assert document["status"] == "submission_broken" and document["score"] == 0
    message = document["message"]
    assert "SyntaxError on cell 3, line 2: '(' was never closed" in message, message
    assert "the graded code needs this cell" in message and "`sigmoid`" in message
    assert "backprop.py" not in message and "line 2" in document["checks"][0]["message"]


def test_a_cell_that_imports_what_graded_code_reads_is_needed_even_if_it_defines_no_function(tmp_path):
    definitions = REFERENCE.replace("import numpy as np\n", "")
    path = write(tmp_path, new_notebook(cells=[
        new_code_cell("import numpy as np\nRATE = (0.5"), new_code_cell(definitions)]))
    document = run_grade("exercises/02_backprop", "--submission", path, "--json", "-").document
    assert document["status"] == "submission_broken"
    assert "SyntaxError on cell 1, line 2" in document["message"] and "`np`" in document["message"]


def test_code_the_parser_accepts_but_python_cannot_compile_is_named_by_cell(tmp_path):
    path = write(tmp_path, lab_notebook(REFERENCE.replace("def sigmoid(z):", "def sigmoid(z, z):")))
    document = run_grade("exercises/02_backprop", "--submission", path, "--json", "-").document
    assert document["status"] == "submission_broken"
    assert "SyntaxError on cell 3, line" in document["message"] and "duplicate argument 'z'" in document["message"]
    assert "backprop.py" not in document["message"]


def test_with_all_cells_a_cell_that_does_not_parse_is_the_students(tmp_path):
    notebook = lab_notebook(REFERENCE)
    notebook.cells = notebook.cells[:3] + [new_code_cell("print(forward(0.1,")]
    document = run_grade("exercises/02_backprop", "--submission", write(tmp_path, notebook), "--json", "-",
                         "--all-cells").document
    assert document["status"] == "submission_broken"
    assert "SyntaxError on cell 4, line 1: '(' was never closed" in document["message"]


def test_cells_that_do_not_parse_are_named_among_the_left_out_cells():
    source = notebook_source_of(["def f():\n    return RATE", "RATE = 0.5", "x = [1,", "if True\n    pass"])
    assert [(item.where(), item.why, item.unparsed) for item in source.left_out] == [
        ("cell 3", "does not parse: SyntaxError on line 1: '[' was never closed", True),
        ("cell 4", "does not parse: SyntaxError on line 1: expected ':'", True)]
    assert "x = [1," not in source.text and source.unparsed == () and source.syntax_problem() is None


def test_a_notebook_whose_only_definitions_do_not_parse_says_so():
    from grader.labcode.notebook import NotebookError

    with pytest.raises(NotebookError, match=r"define nothing to grade .*cell 1 does not parse: SyntaxError on line 1"):
        notebook_source_of(["x = (", "print(1)"])
