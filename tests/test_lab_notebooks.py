"""Lab code as students hand it in (issue 11): notebooks and scripts sliced to what the graded functions need,
course data offline, Keras 2 spellings, zero-argument builders, one function per check, folders and zips."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import ROOT, reference_source, run_grade
from lab_notebooks import LABS, write
from grader.labcode.program import SCRIPT_CELL, Cell, build_module
from grader.labcode.spellings import old_spellings


def sliced(*cells: str, targets=("model_builder",), keep="definitions", lab_names=None):
    return build_module([Cell(number, text) for number, text in enumerate(cells, start=1)], set(targets), keep, lab_names)


# ---------------------------------------------------------------- the slice (parsed, never run)

def test_globals_a_builder_reads_are_kept_transitively_and_the_rest_is_named():
    module = sliced(
        "import pandas as pd\nimport seaborn as sns",
        "data = pd.read_csv('concrete_data.csv')\ndata.head()",
        "predictors = data[data.columns[data.columns != 'Strength']]\nnorm = (predictors - predictors.mean()) / predictors.std()",
        "n_cols = norm.shape[1]",
        "def model_builder():\n    return [n_cols, 50]",
        "model = model_builder()\nmodel.fit(norm, epochs=100)",
        "sns.pairplot(data)",
    )
    for kept in ("import pandas as pd", "data = pd.read_csv", "predictors = data[", "norm = (predictors", "n_cols = norm"):
        assert kept in module.text
    for dropped in ("seaborn", "data.head()", "model.fit", "pairplot"):
        assert dropped not in module.text
    assert [(item.where(), item.why) for item in module.left_out] == [
        ("cell 1, line 2", "imports seaborn, which nothing graded uses"),
        ("cell 2, line 2", "prints or shows a value"),
        ("cell 6", "trains a model and computes model, which nothing graded reads"),
        ("cell 7", "draws a plot"),
    ]


def test_an_import_only_unused_code_needs_never_breaks_the_submission():
    module = sliced("import numpy as np\ndef model_builder():\n    return np.zeros(2)",
                    "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef index():\n    return 'hi'")
    assert "flask" not in module.text and "app.route" not in module.text and "np.zeros" in module.text
    assert module.left_out[0].why == "imports flask, which nothing graded uses and defines index, which nothing graded uses ..."


def test_a_function_body_reads_the_last_value_of_a_global_even_one_assigned_after_it():
    module = sliced("size = 1", "def model_builder():\n    return size", "size = 2\nsize += 1\nunrelated = 5")
    assert "size = 2" in module.text and "size += 1" in module.text and "unrelated" not in module.text
    assert "size = 1" not in module.text   # rebound later: the first value is never read


def test_changes_in_place_are_kept_with_the_value_they_change():
    module = sliced("import numpy as np\nlayers = []\nlayers.append(3)\nnp.sort(layers)\nlayers[0] = 4\nprint(layers)",
                    "def model_builder():\n    return layers")
    assert "layers.append(3)" in module.text and "layers[0] = 4" in module.text
    assert "np.sort" not in module.text and "import numpy" not in module.text and "print" not in module.text


def test_scripts_are_read_like_notebooks_and_keep_their_line_numbers():
    script = "import time\n\ndef model_builder():\n    return 1\n\nwhile True:\n    time.sleep(1)\n"
    module = build_module([Cell(SCRIPT_CELL, script)], {"model_builder"})
    assert module.text.split("\n")[2] == "def model_builder():" and "while" not in module.text
    assert [(item.where(), item.why) for item in module.left_out] == [
        ("line 1", "imports time, which nothing graded uses"), ("lines 6-7", "is not needed by the graded functions")]
    assert module.locate(3) == "line 3 of your file"


def test_all_cells_keeps_everything():
    module = sliced("print('hello')", "def model_builder():\n    return 1", keep="all")
    assert "print('hello')" in module.text and module.left_out == ()


def test_a_reused_name_says_which_definition_was_graded_and_a_lab_alias_grades_both():
    reused = sliced("def model_builder():\n    return 1", "def model_builder():\n    return 2")
    assert reused.notes == ("`model_builder` is defined more than once (cell 1 and cell 2): the last definition, in "
                            "cell 2, was graded, as Python keeps the last",)
    aliased = sliced("def cnn():\n    return 1", "model = cnn()", "def cnn():\n    return 2",
                     targets=("cnn", "cnn_two"), lab_names={"cnn_two": "cnn"})
    assert "def cnn_two():\n    return 2" in aliased.text and "def cnn():\n    return 1" in aliased.text
    assert aliased.function_cells == {"cnn": 1, "cnn_two": 3}
    assert aliased.notes == ("`cnn` is defined twice: the definition in cell 1 was graded as `cnn`, the one in cell 3 "
                             "as `cnn_two`",)
    own = sliced("def cnn():\n    return 1", "def cnn():\n    return 2", "def cnn_two():\n    return 3",
                 targets=("cnn", "cnn_two"), lab_names={"cnn_two": "cnn"})
    assert "def cnn_two():\n    return 3" in own.text and "return 1" not in own.text


def test_old_keras_spellings_are_named():
    source = ("from keras.layers.convolutional import Conv2D\nimport keras.utils.np_utils\n"
              "from keras.layers import Dense\nopt = SGD(lr=0.01, decay=1e-6)\nadam = keras.optimizers.Adam(learning_rate=1)")
    assert old_spellings(source) == ["`keras.layers.convolutional` (today `keras.layers`)",
                                     "`keras.utils.np_utils` (today `keras.utils`)",
                                     "`SGD(lr=...)` (today `learning_rate=`)",
                                     "`SGD(decay=...)` (gone in Keras 3; ignored)"]


def test_a_file_without_keras_lr_or_decay_is_not_walked_but_spellings_python_reads_alike_are_found():
    assert old_spellings("import numpy as np\nX = np.zeros(3)  # learning rate, not a keyword\n") == []
    found = ["`SGD(lr=...)` (today `learning_rate=`)"]
    assert old_spellings("opt = SGD(\uff4c\uff52=0.01)\n") == found      # fullwidth letters: Python reads `lr`
    assert old_spellings("opt = SGD(lr  # a comment\n = 0.01)\n") == found


def test_preparing_a_submission_runs_none_of_it(tmp_path):
    from grader.labcode.handin import prepare
    from grader.course.manifest import load_course

    marker = tmp_path / "ran"
    exercise = load_course(ROOT / "course.yaml").exercise("04_gradient_descent")
    notebook = new_notebook(cells=[new_code_cell(f"open({str(marker)!r}, 'w').write('x')\nrate = 0.1"),
                                   new_code_cell("def get_error(input_data, target, weights):\n    return rate")])
    path = tmp_path / "lab.ipynb"
    nbformat.write(notebook, path)
    workspace = tmp_path / "work"
    workspace.mkdir()
    prepared = prepare(exercise, path, workspace)
    assert prepared.refusal is None and "rate = 0.1" in prepared.module_path.read_text()
    assert not marker.exists()


# ---------------------------------------------------------------- graded end to end (numpy exercises)

GET_SLOPE_ONLY = """
import numpy as np

def get_slope(input_data, target, weights):
    error = (weights * input_data).sum() - target
    return 2 * input_data * error
"""


def test_a_missing_helper_costs_only_its_own_points(tmp_path):
    path = tmp_path / "gradient_descent.py"
    path.write_text(GET_SLOPE_ONLY)
    run = run_grade("exercises/04_gradient_descent", "--submission", path, "--json", "-")
    assert run.check("public/slope_course_example")["outcome"] == "passed"
    assert run.check("hidden/slope_random")["outcome"] == "passed"
    assert run.check("public/error_course_example")["outcome"] == "error"
    assert run.document["score"] == 4


def test_a_different_signature_gets_a_hint_showing_the_expected_one(tmp_path):
    path = tmp_path / "gradient_descent.py"
    path.write_text(GET_SLOPE_ONLY.replace("def get_slope(input_data, target, weights):",
                                           "def get_slope(input_data, weights):\n    target = 0"))
    run = run_grade("exercises/04_gradient_descent", "--submission", path, "--json", "-")
    check = run.check("public/slope_course_example")
    assert check["hint_id"] == "signature-mismatch", check
    assert "`get_slope(input_data, target, weights)`" in check["hint"] and "yours is `get_slope(input_data, weights)`" in check["hint"]
    assert run.check("public/error_course_example").get("hint_id") is None   # a missing function: no signature hint


def test_an_exported_lab_script_grades_without_running_its_training_loop(tmp_path):
    script = reference_source("04_gradient_descent") + textwrap.dedent("""
        import matplotlib.pyplot as plt
        from flask import Flask
        weights = np.zeros(3)
        while True:                      # the lab's endless training loop
            weights = gradient_descent_step(np.ones(3), 1.0, weights, 0.01)
        plt.plot(weights)
        """)
    path = tmp_path / "gradient_descent.py"
    path.write_text(script)
    run = run_grade("exercises/04_gradient_descent", "--submission", path, "--json", "-")
    assert run.document["status"] == "graded" and run.document["score"] == 30, run.document["message"]
    assert "(draws a plot and imports matplotlib.pyplot, flask, which nothing graded uses ...)" in run.document["message"]


def test_all_cells_runs_the_top_level_too(tmp_path):
    path = write(tmp_path, "lab.ipynb", new_notebook(cells=[
        new_code_cell(reference_source("04_gradient_descent")), new_code_cell("print('the lab ran')")]))
    quiet = run_grade("exercises/04_gradient_descent", "--submission", path, "--json", "-").document
    loud = run_grade("exercises/04_gradient_descent", "--submission", path, "--json", "-", "--all-cells").document
    assert "the lab ran" not in quiet["output"]["stdout_tail"] and "cell 2 (prints or shows a value)" in quiet["message"]
    assert "the lab ran" in loud["output"]["stdout_tail"] and "Left out" not in loud["message"]
    assert quiet["score"] == loud["score"] == 30


def test_code_that_needs_the_network_is_told_what_to_use_instead(tmp_path):
    path = tmp_path / "gradient_descent.py"
    path.write_text("import urllib.request\nDATA = urllib.request.urlopen('https://example.com/weights.csv').read()\n"
                    "def get_error(input_data, target, weights):\n    return len(DATA)\n")
    document = run_grade("exercises/04_gradient_descent", "--submission", path, "--json", "-").document
    assert document["status"] == "submission_broken"
    assert "the grader has no network, so example.com cannot be reached" in document["message"]
    assert "keras.datasets.mnist.load_data()" in document["message"] and "concrete_data.csv" in document["message"]


# ---------------------------------------------------------------- folders and zips with helper modules

HELPER = "import numpy as np\n\ndef dot_error(input_data, target, weights):\n    return float((weights * input_data).sum() - target)\n"
ENTRY = reference_source("04_gradient_descent")


def lab_folder(tmp_path, entry=ENTRY):
    folder = tmp_path / "student"
    (folder / "tools").mkdir(parents=True)
    (folder / "preload.py").write_text(HELPER)
    (folder / "tools" / "__init__.py").write_text("from preload import dot_error\n")
    (folder / "numpy.py").write_text("raise RuntimeError('a helper named numpy must shadow nothing')\n")
    (folder / "notes.txt").write_text("my notes")
    entry = entry.replace("def get_error(input_data, target, weights):",
                          "from tools import dot_error\n\ndef get_error(input_data, target, weights):\n"
                          "    return dot_error(input_data, target, weights)\n\ndef _unused(input_data, target, weights):")
    (folder / "gradient_descent.py").write_text(entry)
    return folder


def test_a_folder_with_helper_modules_grades_and_the_helpers_are_importable(tmp_path):
    run = run_grade("exercises/04_gradient_descent", "--submission", lab_folder(tmp_path), "--json", "-")
    document = run.document
    assert document["status"] == "graded" and document["score"] == 30, document["message"]
    assert "with the helper modules beside it: numpy, preload, tools" in document["message"]
    assert len(document["submission"]["sha256"]) == 64


def test_a_zip_of_the_folder_grades_the_same(tmp_path):
    folder = lab_folder(tmp_path)
    archive = tmp_path / "student.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in folder.rglob("*"):
            if path.is_file():
                bundle.write(path, f"student/{path.relative_to(folder)}")
    assert run_grade("exercises/04_gradient_descent", "--submission", archive, "--json", "-").document["score"] == 30


def test_helper_modules_are_read_only_inside_the_sandbox(tmp_path):
    entry = ENTRY + textwrap.dedent("""
        def largest_stable_learning_rate(x):
            import preload
            for target in (preload.__file__, __file__):
                try:
                    open(target, "a").write("# changed")
                except OSError:
                    continue
                raise RuntimeError("wrote " + target)
            return 1 / np.mean(np.asarray(x, dtype=float) ** 2)
        """)
    document = run_grade("exercises/04_gradient_descent", "--submission", lab_folder(tmp_path, entry), "--json", "-").document
    assert document["score"] == 30, [c["message"] for c in document["checks"] if c["outcome"] != "passed"]


def test_folders_and_zips_are_bounded_in_count_and_size(tmp_path):
    many = lab_folder(tmp_path)
    for number in range(70):
        (many / f"helper_{number}.py").write_text("x = 1\n")
    document = run_grade("exercises/04_gradient_descent", "--submission", many, "--json", "-").document
    assert document["status"] == "submission_broken" and "more than 64 files" in document["message"]

    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("gradient_descent.py", ENTRY)
        bundle.writestr("data.py", "x = 0\n" * 2_000_000)   # 12 MB unpacked, a few KB packed
    document = run_grade("exercises/04_gradient_descent", "--submission", big, "--json", "-").document
    assert document["status"] == "submission_broken" and "unpacks to" in document["message"]


def test_a_folder_that_does_not_say_which_file_to_grade_is_refused(tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    (folder / "a.py").write_text("x = 1\n")
    (folder / "b.py").write_text("y = 2\n")
    document = run_grade("exercises/04_gradient_descent", "--submission", folder, "--json", "-").document
    assert document["status"] == "submission_broken" and "name it gradient_descent.py" in document["message"]


# ---------------------------------------------------------------- inside the sandbox's own process

def in_child_process(code: str) -> dict:
    """Run the sandbox's lab support in a fresh interpreter (never in this one) and read what it printed."""
    script = "from grader.sandbox import lab\nlab.install()\n" + textwrap.dedent(code)
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_concrete_csv_is_served_by_its_course_url_or_file_name():
    seen = in_child_process("""
        import json, pandas as pd
        from pandas import read_csv
        url = pd.read_csv('https://s3-api.us-geo.objectstorage.softlayer.net/cf-courses-data/CognitiveClass/DL0101EN/labs/data/concrete_data.csv')
        local = read_csv(r'C:\\Users\\me\\Downloads\\concrete_data.csv')
        try:
            pd.read_csv('https://example.com/other.csv')
            other = 'read'
        except Exception as exc:
            other = str(exc)
        print(json.dumps({'url': list(url.shape), 'local': list(local.shape), 'columns': list(url.columns), 'other': other}))
        """)
    assert seen["url"] == seen["local"] == [1030, 9] and seen["columns"][-1] == "Strength"
    assert "the grader has no network" in seen["other"]


@pytest.mark.slow
def test_mnist_and_keras_2_spellings_work_inside_the_sandbox_process():
    seen = in_child_process("""
        import json
        from keras.datasets import mnist
        from keras.layers.convolutional import Conv2D, MaxPooling2D
        from keras.layers.core import Dense
        from keras.utils.np_utils import to_categorical
        from tensorflow.keras.optimizers import SGD
        import keras
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
        sgd = keras.optimizers.SGD(lr=0.05, decay=1e-6, momentum=0.9)
        adam = keras.optimizers.Adam(lr=0.003)
        print(json.dumps({'train': [list(x_train.shape), str(x_train.dtype), list(y_train.shape), str(y_train.dtype)],
                          'test': [list(x_test.shape), list(y_test.shape)], 'max': int(x_train.max()),
                          'classes': sorted(set(int(v) for v in y_train)), 'conv': Conv2D.__name__,
                          'sgd': round(float(sgd.learning_rate), 4), 'adam': round(float(adam.learning_rate), 4),
                          'same': SGD is keras.optimizers.SGD, 'onehot': to_categorical([1, 2]).shape[1]}))
        """)
    assert seen["train"] == [[60000, 28, 28], "uint8", [60000], "uint8"] and seen["test"] == [[10000, 28, 28], [10000]]
    assert seen["max"] == 255 and seen["classes"] == list(range(10)) and seen["conv"] == "Conv2D"
    assert seen["sgd"] == 0.05 and seen["adam"] == 0.003 and seen["onehot"] == 3


# ---------------------------------------------------------------- the Keras labs, graded end to end

LAB_EXPECTATIONS = {
    # exercise: (the "as in the lab" check, called without arguments and passing; a check that passes
    #            sizes the lab's builder cannot take, failing with the signature hint; words of the message)
    "05_keras_regression": ("public/regression_model_as_in_the_lab", "hidden/regression_model_other_sizes",
                            ["cell 16 (trains a model", "imports flask", "`keras.layers.core` (today `keras.layers`)"]),
    "06_keras_classification": ("public/classification_model_as_in_the_lab", "hidden/classification_model_other_sizes",
                                ["cell 11 (trains a model", "`keras.utils.np_utils` (today `keras.utils`)"]),
    "07_cnn": ("public/convolutional_model_as_in_the_lab", "hidden/convolutional_models_other_sizes",
               ["the one in cell 12 as `convolutional_model_two_blocks`", "`keras.layers.convolutional`"]),
    "08_rnn": ("public/lstm_model", "hidden/lstm_model_other_sizes", ["`Adam(lr=...)` (today `learning_rate=`)"]),
    "09_autoencoder": ("public/autoencoder_shape", "hidden/autoencoder_other_sizes", ["cell 7 (trains a model"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("exercise", sorted(LABS))
def test_a_lab_style_keras_notebook_grades_as_the_lab_wrote_it(tmp_path, exercise):
    lab_check, sized_check, words = LAB_EXPECTATIONS[exercise]
    path = write(tmp_path, f"{exercise}.ipynb", LABS[exercise]())
    run = run_grade(f"exercises/{exercise}", "--submission", path, "--json", "-")
    document = run.document
    assert document["status"] == "graded", document["message"]
    lab = run.check(lab_check)
    assert lab["outcome"] == "passed" and "takes no arguments, as in the lab" in lab["message"], lab
    sized = run.check(sized_check)
    assert sized["outcome"] == "error" and sized["hint_id"] == "signature-mismatch", sized
    for word in words:
        assert word in document["message"], document["message"]
    if exercise == "07_cnn":
        assert run.check("public/two_convolution_blocks")["outcome"] == "passed"
    failing = [c for c in document["checks"] if c["outcome"] != "passed"]
    assert all(c.get("hint_id") == "signature-mismatch" or "no function named" in c["message"] for c in failing), failing


def test_long_files_are_sliced_in_one_pass_and_very_long_ones_run_whole():
    appends = "".join(f"history.append({i})\nlast_{i} = history[-1]\n" for i in range(2400))
    module = build_module([Cell(SCRIPT_CELL, "history = []\n" + appends + "def model_builder():\n    return history\n")],
                          {"model_builder"})
    assert module.text.count("history.append(") == 2400 and "last_0 =" not in module.text and module.notes == ()
    longer = build_module([Cell(SCRIPT_CELL, "x = 0\n" * 5001 + "def model_builder():\n    return 1\n")], {"model_builder"})
    assert longer.text.count("x = 0") == 5001 and longer.left_out == ()
    assert longer.notes == ("your code has more than 5000 top-level statements, so all of it runs, as with --all-cells",)


# ---------------------------------------------------------------- scripts with code that does not parse (issue 23, item 6)

def test_a_script_statement_that_does_not_parse_and_nothing_graded_needs_is_left_out_by_its_lines():
    script = "def model_builder():\n    return RATE\n\nRATE = 2\nmodel.fit(x, y,\n\nprint('done')\n"
    module = build_module([Cell(SCRIPT_CELL, script)], {"model_builder"})
    assert module.syntax_problem() is None and "model.fit" not in module.text
    assert module.text.split("\n")[3] == "RATE = 2"   # line numbers kept
    assert [(item.where(), item.why) for item in module.left_out] == [
        ("lines 5-6", "does not parse: SyntaxError on line 5: '(' was never closed"), ("line 7", "prints or shows a value")]


def test_a_script_part_that_graded_code_needs_is_the_students_error_named_by_line():
    script = "import numpy as np\n\ndef model_builder():\n    return np.zeros((2, 2)\n\nprint('done')\n"
    module = build_module([Cell(SCRIPT_CELL, script)], {"model_builder"})
    assert module.syntax_problem() == ("SyntaxError on line 4 of your file: '(' was never closed (the graded code needs "
                                       "this part of the file: `model_builder` is not defined in any other part)")


def test_a_script_exported_from_jupyter_leaves_out_the_whole_cell_that_does_not_parse():
    script = ("#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n\ndef model_builder():\n    return 1\n\n\n"
              "# In[2]:\n\n\nx = [1, 2,\ny = 3\n\n\n# In[3]:\n\n\nprint(model_builder())\n")
    module = build_module([Cell(SCRIPT_CELL, script)], {"model_builder"})
    assert module.syntax_problem() is None and "x = [1, 2," not in module.text and "y = 3" not in module.text
    assert [item.where() for item in module.left_out] == ["lines 12-17", "line 21"]


def test_a_script_too_broken_to_set_parts_aside_is_the_students_whole():
    script = "def model_builder():\n    return 1\n" + "".join(f"x{i} = (\n\n" for i in range(12))
    module = build_module([Cell(SCRIPT_CELL, script)], {"model_builder"})
    assert module.syntax_problem() == "SyntaxError on line 25 of your file: '(' was never closed"   # as Python says
    assert module.left_out == ()


def test_an_unfinished_line_at_the_end_of_a_lab_script_costs_nothing(tmp_path):
    path = tmp_path / "gradient_descent.py"
    path.write_text(reference_source("04_gradient_descent") + "\n\nweights = gradient_descent_step(np.ones(3), 1.0,\n")
    document = run_grade("exercises/04_gradient_descent", "--submission", path, "--json", "-").document
    assert document["status"] == "graded" and document["score"] == 30, document["message"]
    assert "(does not parse: SyntaxError on line" in document["message"]


def test_a_syntax_error_in_a_graded_function_of_a_script_names_the_line_not_a_generated_file(tmp_path):
    path = tmp_path / "gradient_descent.py"
    source = reference_source("04_gradient_descent")
    line = source.split("\n").index(next(text for text in source.split("\n") if text.startswith("def get_mse"))) + 1
    path.write_text(source.replace("def get_mse(", "def get_mse((", 1))
    document = run_grade("exercises/04_gradient_descent", "--submission", path, "--json", "-").document
    assert document["status"] == "submission_broken"
    assert f"SyntaxError on line {line} of your file" in document["message"], document["message"]
    assert "gradient_descent.py" not in document["message"]
