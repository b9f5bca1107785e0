"""course.yaml: the real one loads; broken ones are reported with file, line, key and a fix."""

import pytest

from conftest import ROOT, run_grade
from grader.course.manifest import ManifestError, find_course_root, load_course


def test_the_real_course_loads_in_order():
    course = load_course(ROOT / "course.yaml")
    assert [e.id for e in course.exercises][:2] == ["01_forward_propagation", "02_backprop"]
    backprop = course.exercise("02_backprop")
    assert backprop.entry == "backprop.py" and backprop.points == 30 and backprop.requires == ("numpy",)
    assert backprop.limits.call_seconds == 5 and backprop.limits.total_seconds == 120   # override, then default
    assert backprop.stub_path.is_file() and backprop.hidden_checks.is_file()
    assert backprop.manifest_line > 0


def test_the_course_root_is_found_from_below():
    assert find_course_root(ROOT / "exercises" / "02_backprop") == ROOT


def problems_of(course_copy, old, new):
    manifest = course_copy / "course.yaml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new, 1))
    with pytest.raises(ManifestError) as caught:
        load_course(manifest, strict=True)
    return caught.value.problems, manifest.read_text().splitlines()


def test_an_unknown_key_is_named_with_its_line(course_copy):
    problems, lines = problems_of(course_copy, "    requires: [numpy]\n", "    requires: [numpy]\n    pionts: 3\n")
    (problem,) = problems
    assert problem.key == "exercises[0].pionts" and "unknown key 'pionts'" in problem.problem
    assert "points" in problem.fix
    assert lines[problem.line - 1].strip() == "pionts: 3"


def test_a_missing_file_is_named(course_copy):
    (course_copy / "exercises/02_backprop/public_checks.py").unlink()
    with pytest.raises(ManifestError) as caught:
        load_course(course_copy / "course.yaml", strict=True)
    (problem,) = caught.value.problems
    assert "public_checks.py" in problem.problem and problem.key == "exercises[1].id" and problem.line


def test_a_wrong_type_and_a_missing_key(course_copy):
    problems, _ = problems_of(course_copy, "points: 30", "points: thirty")
    assert problems[0].key == "exercises[1].points" and "not of type 'number'" in problems[0].problem


def test_an_unknown_requirement_lists_the_allowed_ones(course_copy):
    problems, _ = problems_of(course_copy, "requires: [numpy]", "requires: [pytorch]")
    assert "numpy, tensorflow" in problems[0].fix


def test_yaml_syntax_errors_have_a_line(course_copy):
    problems, lines = problems_of(course_copy, "    points: 30\n", "    points: [30\n")
    assert "not valid YAML" in problems[0].problem and problems[0].line


def test_duplicate_keys_and_ids(course_copy):
    problems, _ = problems_of(course_copy, "    points: 30\n", "    points: 30\n    points: 31\n")
    assert any("appears twice" in p.problem for p in problems)
    manifest = course_copy / "course.yaml"
    manifest.write_text(manifest.read_text().replace("    points: 31\n", "").replace("id: 02_backprop", "id: 01_forward_propagation"))
    with pytest.raises(ManifestError) as caught:
        load_course(manifest, strict=True)
    assert any("already used" in p.problem for p in caught.value.problems)


def test_the_cli_reports_a_broken_manifest_without_a_traceback(course_copy):
    manifest = course_copy / "course.yaml"
    manifest.write_text(manifest.read_text().replace("    requires: [numpy]\n", "    requires: [numpy]\n    colour: red\n", 1))
    run = run_grade("exercises/01_forward_propagation", cwd=course_copy)   # the broken one (others still grade)
    assert run.returncode == 4
    assert "course.yaml:" in run.stderr and "unknown key 'colour'" in run.stderr and "Traceback" not in run.stderr
