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
