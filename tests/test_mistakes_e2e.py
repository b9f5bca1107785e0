"""End to end: the real `grade` command on every named mistake of the numpy exercises, read from their case
files (solutions/NN/cases/<name>.yaml: the mistake as a change to the reference, and its verdict), as a student
would run it.

Each case must be graded exactly as its YAML says (status, score, every check's outcome and hint), and the
checks it fails must score 0. The case files are the one list of named mistakes and their hints.
"""

import pytest

from conftest import ROOT, run_grade
from grader.audit.cases import case_submission, cases_of, mismatches
from grader.course.manifest import load_course
from grader.feedback.model import Feedback

NUMPY_EXERCISES = ("01_forward_propagation", "02_backprop", "03_activations", "04_gradient_descent")
COURSE = load_course(ROOT / "course.yaml")
MISTAKES = [(exercise, case) for exercise in NUMPY_EXERCISES for case in cases_of(COURSE.exercise(exercise), "mistake")]

@pytest.mark.slow
@pytest.mark.parametrize("exercise, case", MISTAKES, ids=[f"{e[:2]}-{c.name}" for e, c in MISTAKES])
def test_named_mistake_is_graded_as_its_case_file_says(exercise, case):
    with case_submission(case) as submission:
        run = run_grade(f"exercises/{exercise}", "--submission", submission, "--json", "-")
    assert run.returncode == 0, run.stderr
    document = run.document
    assert mismatches(case, Feedback.from_dict(document)) == []
    assert document["status"] == "graded"
    assert 0 < document["score"] < document["max_score"]
    for check_id, expected in case.checks.items():
        check = run.check(check_id)
        assert check["outcome"] in expected.outcomes, check
        if check["outcome"] != "passed":   # a check that catches the mistake under some seeds only may pass
            assert check["score"] == 0 and check.get("hint_id") == expected.hint, check


def test_hard_coding_the_worked_example_earns_only_public_points(grade_source):
    source = '''
def sigmoid(z):
    return {0.415: 0.6022861768886306, 0.0: 0.5}.get(z, 0.5)
def forward(x, w1, b1, w2, b2):
    return (0.6022861768886306, 0.7152516802527555)
def error(t, a2):
    return 0.10822956298900614
def gradients(x, t, w1, b1, w2, b2):
    return {"w1": 0.0010213958814763399, "b1": 0.010213958814763398, "w2": 0.05707039820105493, "b2": 0.0947562809690847}
def update(params, grads, learning_rate):
    return {"w1": 0.14959144164740945, "b1": 0.39591441647409464, "w2": 0.42717184071957803, "b2": 0.6120974876123662}
def train(x, t, params, learning_rate, epochs, threshold=None):
    return ({"w1": 0.1488379513974157, "b1": 0.38837951397415704, "w2": 0.38177511626799426, "b2": 0.5365406421460566},
            [0.10822956298900614, 0.10329792471097587, 0.09839422626535557])
'''
    document = grade_source("02_backprop", source).document
    public_points = sum(c["max_score"] for c in document["checks"] if c["visibility"] == "public")
    assert document["score"] == public_points
    assert all(c["score"] == 0 for c in document["checks"] if c["visibility"] == "hidden")
