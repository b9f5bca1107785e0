"""Which file `grade EXERCISE_DIR` grades, and that it says so (issue 23, item 7).

Each test runs the real `grade` command on a private copy of the course, with the exercise's .py file and its
notebook as a student leaves them: one finished and the other only opened (Jupyter saved it, newer, with outputs,
its code unchanged), work in the notebook, the same code in both, or different work in both.
"""

from __future__ import annotations

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output

from conftest import reference_source, run_grade

REFERENCE = reference_source("02_backprop")
UPHILL = REFERENCE.replace("params[name] - learning_rate", "params[name] + learning_rate")


@pytest.fixture
def folder(course_copy):
    return course_copy / "exercises" / "02_backprop"


def grade(course_copy, *extra: str):
    return run_grade("exercises/02_backprop", "--json", "-", *extra, cwd=course_copy)


def newer(path, than):
    """Make `path` look saved after `than`, as Jupyter's autosave makes a notebook that was only opened."""
    later = os.stat(than).st_mtime + 60
    os.utime(path, (later, later))


def open_in_jupyter(notebook):
    """What opening the notebook, running its cells and saving does: outputs, counts, metadata; the code stays."""
    document = nbformat.read(notebook, as_version=4)
    for count, cell in enumerate((c for c in document.cells if c.cell_type == "code"), start=1):
        cell.execution_count = count
        cell.outputs = [new_output("error", ename="NotImplementedError", evalue="TODO", traceback=[])]
    document.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    nbformat.write(document, notebook)


def write_in_notebook(notebook, code: str, *more_cells: str):
    """The student's work typed into the notebook's code cell (the stub's), and maybe new cells below it."""
    document = nbformat.read(notebook, as_version=4)
    stub_cell = next(c for c in document.cells if c.cell_type == "code" and "def sigmoid" in c.source)
    stub_cell.source = code
    at = document.cells.index(stub_cell) + 1
    document.cells[at:at] = [new_code_cell(source) for source in more_cells]
    nbformat.write(document, notebook)


def graded_file(run) -> str:
    return os.path.basename(run.document["submission"]["path"])


def test_a_finished_script_is_graded_when_the_notebook_was_only_opened(course_copy, folder):
    (folder / "backprop.py").write_text(REFERENCE)
    open_in_jupyter(folder / "backprop.ipynb")
    newer(folder / "backprop.ipynb", than=folder / "backprop.py")
    run = grade(course_copy)
    assert run.returncode == 0, run.stderr
    assert graded_file(run) == "backprop.py" and run.document["score"] == 30
    assert ("grading backprop.py: backprop.ipynb was saved more recently, but still has the stub's functions "
            "(each raises NotImplementedError)") in run.stderr


def test_work_in_the_notebook_is_graded_even_when_the_untouched_script_is_newer(course_copy, folder):
    write_in_notebook(folder / "backprop.ipynb", REFERENCE, "print(forward(0.1, 0.15, 0.4, 0.45, 0.65))")
    newer(folder / "backprop.py", than=folder / "backprop.ipynb")
    run = grade(course_copy)
    assert run.returncode == 0, run.stderr
    assert graded_file(run) == "backprop.ipynb" and run.document["score"] == 30
    assert "grading backprop.ipynb: backprop.py still has the stub's functions" in run.stderr


def test_the_same_code_in_both_grades_the_script_and_says_so(course_copy, folder):
    (folder / "backprop.py").write_text(REFERENCE)
    write_in_notebook(folder / "backprop.ipynb", "\n\n" + REFERENCE + "\n")   # Jupyter's own spacing: the same code
    newer(folder / "backprop.ipynb", than=folder / "backprop.py")
    run = grade(course_copy)
    assert graded_file(run) == "backprop.py" and "grading backprop.py: backprop.ipynb has the same code" in run.stderr


def test_the_file_with_all_the_others_functions_and_more_is_the_latest_work(course_copy, folder):
    stub = (folder / "backprop.py").read_text()
    start, end = REFERENCE.index("def sigmoid"), REFERENCE.index("def error")
    partly = stub[:stub.index("def sigmoid")] + REFERENCE[start:end] + stub[stub.index("def error"):]
    (folder / "backprop.py").write_text(partly)   # sigmoid and forward written there, then copied on in the notebook
    write_in_notebook(folder / "backprop.ipynb", REFERENCE)
    newer(folder / "backprop.py", than=folder / "backprop.ipynb")
    run = grade(course_copy)
    assert graded_file(run) == "backprop.ipynb" and run.document["score"] == 30
    assert "grading backprop.ipynb: it has every function written in backprop.py, and more" in run.stderr


def test_different_work_in_both_is_not_guessed_grade_asks_which(course_copy, folder):
    (folder / "backprop.py").write_text(UPHILL)
    write_in_notebook(folder / "backprop.ipynb", REFERENCE)
    run = grade(course_copy)
    assert run.returncode == 2 and run.stdout == ""
    assert "backprop.py and backprop.ipynb both hold functions you wrote, and they differ" in run.stderr
    assert "--submission" in run.stderr and "backprop.ipynb" in run.stderr.split("--submission")[-1]
    chosen = grade(course_copy, "--submission", str(folder / "backprop.ipynb"))
    assert chosen.returncode == 0 and graded_file(chosen) == "backprop.ipynb" and chosen.document["score"] == 30


def test_the_untouched_folder_grades_the_script_and_says_why(course_copy, folder):
    open_in_jupyter(folder / "backprop.ipynb")
    newer(folder / "backprop.ipynb", than=folder / "backprop.py")
    run = grade(course_copy)
    assert run.returncode == 0 and graded_file(run) == "backprop.py" and run.document["score"] == 0
    assert "grading backprop.py: backprop.ipynb has the same code" in run.stderr


def test_scratch_cells_are_not_work_when_no_function_is_written_anywhere(course_copy, folder):
    document = nbformat.read(folder / "backprop.ipynb", as_version=4)
    document.cells.append(new_code_cell("print(sigmoid(0.5))"))
    nbformat.write(document, folder / "backprop.ipynb")
    run = grade(course_copy)
    assert run.returncode == 0 and graded_file(run) == "backprop.py"
    assert "grading backprop.py: neither it nor backprop.ipynb has a function written yet" in run.stderr


def test_without_a_notebook_the_script_is_graded_and_that_is_said(course_copy, folder):
    (folder / "backprop.ipynb").unlink()
    (folder / "backprop.py").write_text(REFERENCE)
    run = grade(course_copy)
    assert graded_file(run) == "backprop.py" and "grading backprop.py: there is no backprop.ipynb" in run.stderr


def test_the_terminal_table_follows_the_line_that_names_the_file(course_copy, folder):
    (folder / "backprop.py").write_text(REFERENCE)
    run = run_grade("exercises/02_backprop", cwd=course_copy)
    assert run.returncode == 0 and "Total: 30/30" in run.stdout
    assert run.stderr.startswith("grading backprop.py: ")


def test_a_notebook_larger_than_grading_reads_is_not_read_to_choose(course_copy, folder):
    (folder / "backprop.py").write_text(REFERENCE)
    document = nbformat.read(folder / "backprop.ipynb", as_version=4)
    document.cells.append(new_code_cell("", outputs=[new_output("stream", name="stdout", text="x" * 3_000_000)]))
    nbformat.write(document, folder / "backprop.ipynb")
    run = grade(course_copy)
    assert graded_file(run) == "backprop.py" and run.document["score"] == 30
    assert "grading backprop.py: backprop.ipynb is larger than the 2048 KiB grading reads" in run.stderr
