"""End to end: the real `grade` command on real files, as students and CI run it."""

import json

import pytest

from conftest import ROOT, reference_source, run_grade
from grader.feedback.model import schema_errors


def test_reference_solutions_earn_full_marks(grade_source):
    for exercise in ("01_forward_propagation", "02_backprop"):
        run = grade_source(exercise, reference_source(exercise))
        document = run.document
        assert run.returncode == 0
        assert document["status"] == "graded"
        assert document["score"] == document["max_score"] > 0
        assert {c["outcome"] for c in document["checks"]} == {"passed"}
        assert schema_errors(document) == []


def test_the_untouched_stub_scores_zero_with_a_not_implemented_message():
    run = run_grade("exercises/02_backprop", "--json", "-")
    document = run.document
    assert run.returncode == 0
    assert document["status"] == "graded" and document["score"] == 0
    assert all(c["outcome"] == "error" and "not implemented yet" in c["message"] for c in document["checks"])
    assert document["submission"]["path"].endswith("exercises/02_backprop/backprop.py")


def test_the_table_shows_checks_points_hints_and_total(tmp_path):
    source = reference_source("02_backprop").replace("params[name] - learning_rate", "params[name] + learning_rate")
    path = tmp_path / "backprop.py"
    path.write_text(source)
    run = run_grade("exercises/02_backprop", "--submission", path)
    assert run.returncode == 0
    assert "PASS" in run.stdout and "FAIL" in run.stdout
    assert "Hint:" in run.stdout and "against it" in run.stdout
    assert "Total: 18/30" in run.stdout


def test_json_is_written_to_a_file_and_is_schema_valid(tmp_path):
    target = tmp_path / "out" / "feedback.json"
    target.parent.mkdir()   # --json into a folder that does not exist is refused (issue 26 item 7)
    run = run_grade("exercises/02_backprop", "--submission", ROOT / "solutions/02_backprop/backprop.py", "--json", target)
    assert run.returncode == 0
    document = json.loads(target.read_text())
    assert schema_errors(document) == [] and document["score"] == 30
    assert not list(target.parent.glob(".feedback.json.*")), "temporary files are cleaned up"


def test_an_exercise_can_be_named_by_id():
    run = run_grade("02_backprop", "--json", "-")
    assert run.returncode == 0 and run.document["exercise"] == "02_backprop"


def test_the_seed_is_recorded_and_reproducible(grade_source):
    source = reference_source("02_backprop").replace("delta2 = -(t - a2) * a2 * (1 - a2)", "delta2 = -(t - a2)")
    first = grade_source("02_backprop", source).document
    again = grade_source("02_backprop", source).document
    other = grade_source("02_backprop", source, "--seed", "12345").document
    assert first["seed"] == again["seed"] and first["score"] == again["score"]
    assert [(c["outcome"], c["message"]) for c in first["checks"]] == [(c["outcome"], c["message"]) for c in again["checks"]]
    assert other["seed"] == 12345
    hidden = lambda doc: [c["message"] for c in doc["checks"] if c["visibility"] == "hidden" and c["outcome"] != "passed"]
    assert hidden(first) != hidden(other)


def test_public_only_runs_no_hidden_checks():
    document = run_grade("exercises/02_backprop", "--public-only", "--json", "-").document
    assert document["hidden_checks_run"] is False
    assert {c["visibility"] for c in document["checks"]} == {"public"}


def test_a_crashing_submission_is_graded_as_crashed(grade_source):
    source = reference_source("02_backprop") + "\n\ndef gradients(x, t, w1, b1, w2, b2):\n    import os\n    os._exit(1)\n"
    document = grade_source("02_backprop", source).document
    assert document["status"] == "graded"
    crashed = {c["id"] for c in document["checks"] if c["outcome"] == "crashed"}
    assert crashed == {"public/gradients_worked_example", "public/train_worked_example", "hidden/gradients_output_neuron_random",
                       "hidden/gradients_first_neuron_random", "hidden/train_random", "hidden/train_stops_at_threshold"}
    assert "crashed (exited with code 1)" in document["checks"][3]["message"]
    assert document["score"] == 30 - 3 - 2 - 3 - 3 - 3 - 2


@pytest.mark.slow
def test_a_non_terminating_submission_times_out_check_by_check(grade_source):
    source = reference_source("02_backprop") + "\n\ndef train(*args, **kwargs):\n    while True:\n        pass\n"
    run = grade_source("02_backprop", source)
    document = run.document
    train_checks = [c for c in document["checks"] if "train" in c["id"]]
    assert train_checks and all(c["outcome"] == "timeout" and c["score"] == 0 for c in train_checks)
    assert "endless loop" in train_checks[0]["message"]
    assert document["score"] == 30 - sum(c["max_score"] for c in train_checks)


def test_prints_and_warnings_do_not_fail_checks(grade_source):
    source = ("import warnings\nprint('training...')\n" + reference_source("02_backprop")
              .replace("def error(t, a2):\n", "def error(t, a2):\n    warnings.warn('careful')\n    print('E computed')\n"))
    document = grade_source("02_backprop", source).document
    assert document["score"] == 30
    assert "E computed" in document["output"]["stdout_tail"]
    assert "training..." not in document["output"]["stdout_tail"]   # top-level code the functions do not need is left out
    assert "careful" in document["output"]["stderr_tail"]


@pytest.mark.parametrize("content, message", [
    ("def sigmoid(z):\n    return 1 / (1 + exp(-z)\n", "SyntaxError"),
    ("", "empty"),
    (b"def f():\x00 pass\n", "NUL"),
    (b"x = '\xff\xfe'\n", "UTF-8"),
    ("x = 1\n" * 4_000_000, "at most"),
    ("import tensorflow_is_not_here\ndef sigmoid(z):\n    return tensorflow_is_not_here.sigmoid(z)\n", "ModuleNotFoundError"),
    ("RATE = exit(0)\ndef sigmoid(z):\n    return RATE\n", "sys.exit"),
])
def test_malformed_files_are_graded_as_broken(grade_source, content, message):
    run = grade_source("02_backprop", content)
    assert run.returncode == 0, run.stderr
    document = run.document
    assert document["status"] == "submission_broken" and document["score"] == 0
    assert message in document["message"]
    assert all(c["score"] == 0 and message in c["message"] for c in document["checks"])
    assert schema_errors(document) == []


def test_help_explains_commands_and_exit_codes():
    run = run_grade("--help")
    assert run.returncode == 0
    for text in ("grade EXERCISE_DIR", "--submission", "--json", "grade validate", "exit codes", "grader itself failed"):
        assert text in run.stdout


@pytest.mark.parametrize("args, message", [
    (["exercises/99_nothing"], "neither a folder nor an exercise id"),
    (["exercises/02_backprop", "--submission", "/no/such/file.py"], "no file"),
    (["exercises/02_backprop", "--bogus"], "unrecognized arguments"),
    (["grader"], "not an exercise folder"),
])
def test_usage_errors_exit_2_with_a_clear_message(args, message):
    run = run_grade(*args)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_outside_a_course_is_a_usage_error(tmp_path):
    run = run_grade("02_backprop", cwd=tmp_path)
    assert run.returncode == 2 and "course.yaml" in run.stderr


def test_a_broken_check_is_a_grader_failure_not_the_students(course_copy):
    checks = course_copy / "solutions/02_backprop/hidden_checks.py"
    checks.write_text(checks.read_text().replace('"""sigmoid() is right for random inputs, including large ones without overflow trouble"""',
                                                 '"""sigmoid() is right"""\n    {}["no such key"]'))
    run = run_grade(course_copy / "exercises/02_backprop", "--submission", course_copy / "solutions/02_backprop/backprop.py",
                    "--json", "-", cwd=course_copy)
    assert run.returncode == 3
    document = run.document
    assert document["status"] == "grader_failed" and document["score"] == 0
    assert "KeyError" in document["grader_error"] and "not your fault" in document["message"]
    assert schema_errors(document) == []


def test_points_that_do_not_add_up_fail_grading_loudly(course_copy):
    manifest = course_copy / "course.yaml"
    manifest.write_text(manifest.read_text().replace("points: 30", "points: 31"))
    run = run_grade(course_copy / "exercises/02_backprop", "--json", "-", cwd=course_copy)
    assert run.returncode == 3
    assert "31" in run.document["grader_error"] and "course.yaml" in run.document["grader_error"]


def test_an_unreadable_file_is_graded_as_broken(tmp_path):
    import os

    path = tmp_path / "backprop.py"
    path.write_text("x = 1\n")
    path.chmod(0)
    if os.access(path, os.R_OK):   # root reads anything: make it a folder-shaped unreadable path instead
        path.chmod(0o644)
        path.unlink()
        path.mkdir()
    from grader.labcode.submission import inspect_file

    info, refusal = inspect_file(path, 2048)
    assert refusal is not None and "cannot be read" in refusal and info.sha256 == ""


def test_a_syntax_error_names_the_students_line_never_a_file_name_the_grader_chose(grade_source):
    source = reference_source("02_backprop") + "\n\nscratch = [1, 2,\n"   # an unfinished line nothing graded needs
    run = grade_source("02_backprop", source, name="my work.py")
    assert run.document["status"] == "graded" and run.document["score"] == 30
    assert "(does not parse: SyntaxError on line" in run.document["message"]
    broken = grade_source("02_backprop", source.replace("def sigmoid(z):", "def sigmoid(z:"), name="my work.py")
    document = broken.document
    assert document["status"] == "submission_broken" and "SyntaxError on line" in document["message"]
    assert "of your file" in document["message"] and ".py, line" not in document["message"]
