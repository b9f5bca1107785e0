"""`grade validate` on the real course, and on copies broken on purpose."""

import pytest

from conftest import run_grade


@pytest.mark.slow
def test_the_course_validates():
    run = run_grade("validate", timeout=900)   # every exercise under two seeds, Keras ones training
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout
    assert "02_backprop: reference solution (seed 20261121) earns full marks (30/30)" in run.stdout
    assert "02_backprop: the untouched stub earns 0/30" in run.stdout
    assert "0 failed" in run.stdout


@pytest.mark.slow
def test_a_wrong_reference_fails_validation(course_copy):
    reference = course_copy / "solutions/02_backprop/backprop.py"
    reference.write_text(reference.read_text().replace("return 0.5 * (t - a2) ** 2", "return (t - a2) ** 2"))
    run = run_grade("validate", "--course", course_copy, "--exercise", "02_backprop", cwd=course_copy)
    assert run.returncode == 1
    assert "FAIL 02_backprop: reference solution" in run.stdout and "public/error_worked_example" in run.stdout


@pytest.mark.slow
def test_a_stub_that_earns_points_fails_validation(course_copy):
    stub = course_copy / "exercises/02_backprop/backprop.py"
    stub.write_text(stub.read_text().replace('raise NotImplementedError("TODO: compute the sigmoid of z")',
                                             "return 1 / (1 + np.exp(-z))"))
    run = run_grade("validate", "--course", course_copy, "--exercise", "02_backprop", cwd=course_copy)
    assert run.returncode == 1
    assert "the untouched stub earns" in run.stdout and "sigmoid" in run.stdout


@pytest.mark.slow
def test_points_that_disagree_with_the_manifest_fail_validation(course_copy):
    manifest = course_copy / "course.yaml"
    manifest.write_text(manifest.read_text().replace("points: 20\n    requires: [numpy]", "points: 25\n    requires: [numpy]", 1))
    run = run_grade("validate", "--course", course_copy, "--exercise", "01_forward_propagation", cwd=course_copy)
    assert run.returncode == 1
    assert "25" in run.stdout and "course.yaml" in run.stdout


# ----------------------------------------------------------------------------- errors stay local (fast)

NEW = "10_binary_cross_entropy"
HALF_ADDED = """
  - id: 10_half_added
    title: Half added
    module: "Module 5"
    entry: half_added.py
    points: 3
    requires: [numpy]
"""


def line_of(path, text):
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_half_added_entry_breaks_only_its_exercise(small_course):
    manifest = small_course / "course.yaml"
    manifest.write_text(manifest.read_text() + HALF_ADDED)
    (small_course / "exercises/10_half_added").mkdir()   # begun, not finished
    run = run_grade("exercises/01_forward_propagation", "--json", "-", cwd=small_course)
    assert run.returncode == 0, run.stderr
    assert '"status": "graded"' in run.stdout
    assert "warning" in run.stderr and "exercise 10_half_added" in run.stderr
    assert f"{manifest}:{line_of(manifest, 'entry: half_added.py')} [exercises[1].entry]" in run.stderr
    assert "exercises/10_half_added/half_added.py does not exist" in run.stderr

    itself = run_grade("10_half_added", cwd=small_course)
    assert itself.returncode == 4 and "half_added.py does not exist" in itself.stderr and "Traceback" not in itself.stderr

    validate = run_grade("validate", "--exercise", "10_half_added", cwd=small_course)
    assert validate.returncode == 1
    assert f"FAIL 10_half_added: {manifest}:" in validate.stdout and "does not exist" in validate.stdout
    assert "1 broken in course.yaml" in validate.stdout

    (small_course / "exercises/10_half_added").rmdir()   # nothing of it at all: one problem, and what makes it
    alone = run_grade("exercises/01_forward_propagation", cwd=small_course)
    assert alone.returncode == 0
    assert ("the exercise has no files: exercises/10_half_added/ and solutions/10_half_added/ do not exist"
            in alone.stderr) and "grade new 10_half_added --title" in alone.stderr


def test_a_bad_field_breaks_only_its_exercise(small_course):
    from grader.course.manifest import ManifestError, load_course

    manifest = small_course / "course.yaml"
    manifest.write_text(manifest.read_text() + HALF_ADDED.replace("points: 3", "points: three"))
    course = load_course(manifest)
    assert [exercise.id for exercise in course.exercises] == ["01_forward_propagation"]
    (broken,) = course.broken
    assert broken.id == "10_half_added" and broken.line == line_of(manifest, "id: 10_half_added")
    assert [problem.key for problem in broken.problems] == ["exercises[1].points"]
    assert broken.problems[0].line == line_of(manifest, "points: three")
    with pytest.raises(ManifestError):
        load_course(manifest, strict=True)


def test_a_yaml_syntax_error_is_still_the_whole_course(small_course):
    manifest = small_course / "course.yaml"
    manifest.write_text(manifest.read_text() + HALF_ADDED.replace("points: 3", "points: [3"))
    run = run_grade("exercises/01_forward_propagation", cwd=small_course)
    assert run.returncode == 4
    assert "not valid YAML" in run.stderr and "breaks the whole course" in run.stderr


# ----------------------------------------------------------------------------- what validate reads in the sources

def scaffolded(small_course, capsys):
    """The numpy template's exercise, made by `grade new` in this process."""
    from grader.cli import main
    from grader.course.manifest import load_course

    assert main(["new", NEW, "--title", "BCE", "--course", str(small_course)]) == 0
    capsys.readouterr()
    course = load_course(small_course / "course.yaml")
    return course, course.exercise(NEW)


def source_problems(course, exercise):
    from grader.audit.sources import source_findings

    return [what for ok, what in source_findings(lambda ok, what: (ok, what), course, exercise) if not ok]


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_template_has_no_source_problems(small_course, capsys):
    assert source_problems(*scaffolded(small_course, capsys)) == []


def test_a_public_check_asking_for_the_reference_is_named(small_course, capsys):
    course, exercise = scaffolded(small_course, capsys)
    edit(exercise.public_checks, "def test_mse_worked_example(submission):", "def test_mse_worked_example(submission, reference):")
    (problem,) = source_problems(course, exercise)
    assert "public/mse_worked_example" in problem and "public_checks.py:" in problem
    assert "asks for reference" in problem and "student release" in problem and "hidden_checks.py" in problem


def test_a_check_named_hidden_is_named(small_course, capsys):
    course, exercise = scaffolded(small_course, capsys)
    edit(exercise.hidden_checks, '"""mean_squared_error for random arrays"""', '"""mean_squared_error for random arrays (hidden)"""')
    (problem,) = source_problems(course, exercise)
    assert "hidden/mse_random" in problem and "(hidden) (hidden)" in problem and "Remove '(hidden)'" in problem


def test_points_that_disagree_say_where_and_what_to_write(small_course, capsys):
    course, exercise = scaffolded(small_course, capsys)
    edit(exercise.hidden_checks, "@pytest.mark.points(2)", "@pytest.mark.points(4)")
    (problem,) = source_problems(course, exercise)
    assert "worth 5 points (1 public + 4 hidden)" in problem and "points: 3" in problem
    assert f"course.yaml:{exercise.manifest_line}" in problem and "write points: 5 there" in problem


def test_a_missing_or_stale_notebook_fails_validation(small_course, capsys):
    course, exercise = scaffolded(small_course, capsys)
    notebook = exercise.exercise_dir / "binary_cross_entropy.ipynb"
    notebook.unlink()
    run = run_grade("validate", "--exercise", NEW, cwd=small_course)
    assert run.returncode == 1
    assert f"FAIL {NEW}: exercises/{NEW}/binary_cross_entropy.ipynb is missing: run `grade notebooks`" in run.stdout
    assert run_grade("notebooks", cwd=small_course).returncode == 0
    edit(exercise.exercise_dir / "README.md", "## Examples", "## Examples\n\nOne more line.")
    run = run_grade("validate", "--exercise", NEW, cwd=small_course)
    assert run.returncode == 1 and "differs from its README.md" in run.stdout and "run `grade notebooks`" in run.stdout
