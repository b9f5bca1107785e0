"""`grade new`: a new exercise that validates at once, in a temporary copy of a small course (01 only)."""

import pytest
import yaml

from conftest import run_grade

NEW = "10_binary_cross_entropy"


def test_grade_new_creates_an_exercise_that_validates_at_once(small_course):
    before = (small_course / "course.yaml").read_text(encoding="utf-8")
    made = run_grade("new", NEW, "--title", "Binary cross-entropy: the loss", "--course", small_course, cwd=small_course)
    assert made.returncode == 0, made.stdout + made.stderr
    for path in (f"exercises/{NEW}/README.md", f"exercises/{NEW}/binary_cross_entropy.py",
                 f"exercises/{NEW}/binary_cross_entropy.ipynb", f"exercises/{NEW}/public_checks.py",
                 f"solutions/{NEW}/binary_cross_entropy.py", f"solutions/{NEW}/hidden_checks.py",
                 f"solutions/{NEW}/cases/sum_not_mean.yaml", f"solutions/{NEW}/audit.yaml"):
        assert (small_course / path).is_file(), path
        assert path in made.stdout
    after = (small_course / "course.yaml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n")), "the file's text (and its comments) stays as it was"
    assert "# The course's exercises, in teaching order." in after and "# one call into the submission" in after
    entry = yaml.safe_load(after)["exercises"][-1]
    assert entry["id"] == NEW and entry["title"] == "Binary cross-entropy: the loss" and entry["points"] == 3

    run = run_grade("validate", "--course", small_course, "--exercise", NEW, cwd=small_course)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout and "0 failed" in run.stdout
    assert f"{NEW}: reference solution (seed 20261121) earns full marks (3/3)" in run.stdout
    assert f"{NEW}: the untouched stub earns 0/3 without a grader failure" in run.stdout
    assert f"{NEW}: case sum_not_mean is graded as expected" in run.stdout
    assert "solution regions generate" in run.stdout and "its notebook is what README.md" in run.stdout


def test_every_file_an_author_edits_says_what_to_change(small_course):
    assert run_grade("new", NEW, "--title", "BCE", "--course", small_course, cwd=small_course).returncode == 0
    for path in ("exercises/{id}/README.md", "exercises/{id}/public_checks.py", "solutions/{id}/binary_cross_entropy.py",
                 "solutions/{id}/hidden_checks.py", "solutions/{id}/cases/sum_not_mean.yaml", "solutions/{id}/audit.yaml"):
        text = (small_course / path.format(id=NEW)).read_text(encoding="utf-8")
        assert "Change" in text or "change:" in text, path
    stub = (small_course / f"exercises/{NEW}/binary_cross_entropy.py").read_text(encoding="utf-8")
    assert "raise NotImplementedError" in stub and "AUTHOR" not in stub and "np.mean" not in stub


def test_an_id_in_use_a_bad_id_and_a_missing_title_are_refused_before_anything_is_written(small_course):
    manifest = (small_course / "course.yaml").read_text(encoding="utf-8")
    for args, says in ((["01_forward_propagation", "--title", "x"], "already has an exercise 01_forward_propagation"),
                       (["bce", "--title", "x"], "is not an exercise id"),
                       ([NEW], "give the new exercise a title")):
        run = run_grade("new", *args, "--course", small_course, cwd=small_course)
        assert run.returncode == 2 and says in run.stderr, run.stderr
    (small_course / "solutions" / NEW).mkdir()
    run = run_grade("new", NEW, "--title", "x", "--course", small_course, cwd=small_course)
    assert run.returncode == 2 and "already exists" in run.stderr
    assert (small_course / "course.yaml").read_text(encoding="utf-8") == manifest
    assert not (small_course / "exercises" / NEW).exists()


def test_a_stub_out_of_step_with_its_reference_fails_validation_until_synced(small_course):
    assert run_grade("new", NEW, "--title", "BCE", "--course", small_course, cwd=small_course).returncode == 0
    reference = small_course / f"solutions/{NEW}/binary_cross_entropy.py"
    reference.write_text(reference.read_text(encoding="utf-8").replace(
        "BEGIN SOLUTION: compute the mean squared error", "BEGIN SOLUTION: average the squared differences"))
    run = run_grade("validate", "--course", small_course, "--exercise", NEW, cwd=small_course)
    assert run.returncode == 1
    assert "is not the stub" in run.stdout and f"run `grade new --sync {NEW}`" in run.stdout
    assert "average the squared differences" in run.stdout   # the first line that differs, as generated

    synced = run_grade("new", "--sync", NEW, "--course", small_course, cwd=small_course)
    assert synced.returncode == 0, synced.stderr
    assert f"wrote exercises/{NEW}/binary_cross_entropy.py" in synced.stdout
    assert f"wrote exercises/{NEW}/binary_cross_entropy.ipynb" in synced.stdout
    assert "TODO: average the squared differences" in (small_course / f"exercises/{NEW}/binary_cross_entropy.py").read_text()
    again = run_grade("new", "--sync", NEW, "--course", small_course, cwd=small_course)
    assert "already what the reference generates" in again.stdout


def test_sync_refuses_an_exercise_whose_stub_is_written_by_hand(small_course):
    run = run_grade("new", "--sync", "01_forward_propagation", "--course", small_course, cwd=small_course)
    assert run.returncode == 2 and "has no solution regions" in run.stderr


@pytest.mark.slow
def test_the_keras_template_validates_at_once(small_course):
    made = run_grade("new", "10_dense_regression", "--title", "A dense regression network", "--keras",
                     "--course", small_course, cwd=small_course)
    assert made.returncode == 0, made.stdout + made.stderr
    entry = yaml.safe_load((small_course / "course.yaml").read_text())["exercises"][-1]
    assert entry["requires"] == ["numpy", "tensorflow"] and entry["points"] == 5
    run = run_grade("validate", "--course", small_course, "--exercise", "10_dense_regression", cwd=small_course,
                    timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "10_dense_regression: the untouched stub earns 0/5" in run.stdout
    assert "reference solution (seed 20261121) earns full marks (5/5)" in run.stdout
    assert "case loss_mean_absolute_error is graded as expected (4/5)" in run.stdout


def test_the_entry_goes_at_the_end_of_the_exercises_list_even_when_a_key_follows_it():
    from grader.errors import UsageError
    from grader.scaffold.manifest_entry import append_entry, entry_text

    entry = entry_text(NEW, 'A "quoted" title: yes', "Module 2", "bce.py", 3, ("numpy",), (("call_seconds", 5),))
    text = ("# comment\nschema_version: 1\ntitle: T\nexercises:\n    - id: 01_a   # first\n      title: A\n\n"
            "# the defaults\ndefaults:\n  limits: {call_seconds: 3}\n")
    result = append_entry(text, NEW, entry)
    data = yaml.safe_load(result)
    assert [e["id"] for e in data["exercises"]] == ["01_a", NEW] and data["defaults"] == {"limits": {"call_seconds": 3}}
    assert data["exercises"][1]["title"] == 'A "quoted" title: yes'
    assert "    - id: 10_binary_cross_entropy\n      title:" in result   # the list's own indentation
    assert "# comment" in result and "# first" in result and "\n# the defaults\ndefaults:" in result
    with pytest.raises(UsageError, match="add the entry by hand"):
        append_entry("schema_version: 1\nexercises: [{id: 01_a}]\n", NEW, entry)
