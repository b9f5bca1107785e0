"""`grade audit`: mutants are deterministic and compile, case files parse strictly, hints are judged by the
cases that declare them, and one small exercise is audited end to end (01, about 20 s on 2 cores)."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, run_grade
from grader.audit.equivalence import Answer, Probe
from grader.audit.mutate import MODEL_LEVEL, baseline, mutants
from grader.audit.run import _Judge
from grader.audit.cases import Case, CaseChangeError, CaseFileError, ExpectedCheck, case_submission, cases_of, load_case
from grader.audit.changes import Replacement, apply_changes, change_yaml, replacements_between
from grader.course.manifest import load_course


def test_mutants_are_deterministic_distinct_and_compile():
    source = (ROOT / "solutions/02_backprop/backprop.py").read_text()
    first, again = mutants(source), mutants(source)
    assert [m.source for m in first] == [m.source for m in again]
    assert len({m.source for m in first}) == len(first) and baseline(source) not in {m.source for m in first}
    for mutant in first:
        compile(mutant.source, mutant.id, "exec")
    families = {m.operator for m in first}
    assert {"operator", "constant", "sign", "operand", "statement", "off-by-one", "comparison"} <= families
    assert any(m.description == "Sub -> Add" and m.function == "update" for m in first)


def test_derivative_swaps_and_model_level_mutants():
    activations = mutants((ROOT / "solutions/03_activations/activations.py").read_text())
    assert any(m.description == "sigmoid -> sigmoid_derivative" for m in activations)
    keras = mutants((ROOT / "solutions/05_keras_regression/keras_regression.py").read_text(), MODEL_LEVEL)
    descriptions = {m.description for m in keras}
    assert {"'relu' -> 'sigmoid'", "'adam' -> 'sgd'", "50 -> 100"} <= descriptions
    assert any(d.startswith("delete `model.add(Dense") for d in descriptions)
    assert all(m.operator in MODEL_LEVEL for m in keras)


def _case(tmp_path, text: str, source: str = "x = 1\n"):
    (tmp_path / "c.py").write_text(source)
    (tmp_path / "c.yaml").write_text(text)
    return load_case(tmp_path / "c.yaml")


def test_case_files_are_read_strictly(tmp_path):
    case = _case(tmp_path, "kind: mistake\nmistake: m\nstatus: graded\nscore: [0, 3]\n"
                           "checks:\n  public/a: {outcome: [failed, error], hint: h}\nroots: {h: f}\n")
    assert case.score == (0.0, 3.0) and case.checks["public/a"] == ExpectedCheck(("failed", "error"), "h")
    assert case.roots == {"h": "f"} and case.hints == {"h"}
    for broken in ("kind: joke\nmistake: m\nstatus: graded\nscore: 0\n", "mistake: m\n",
                   "kind: mistake\nmistake: m\nstatus: graded\nscore: 0\nchecks:\n  a: {outcome: nonsense}\n"):
        with pytest.raises(CaseFileError):
            _case(tmp_path, broken)


CASE_HEAD = "kind: mistake\nmistake: m\nstatus: graded\nscore: 0\n"
REFERENCE = "def f(x):\n    return x + 1\n\n\ndef g(x):\n    return 2 * x\n"


def _derived(tmp_path, change: str, reference: str = REFERENCE):
    (tmp_path / "ref.py").write_text(reference)
    (tmp_path / "c.yaml").write_text(CASE_HEAD + change)
    return load_case(tmp_path / "c.yaml", tmp_path / "ref.py")


def test_a_case_is_its_change_made_to_the_reference_in_order(tmp_path):
    case = _derived(tmp_path, "change:\n- old: |2\n        return x + 1\n  new: |2\n        return x - 1\n"
                              "- old: |2\n        return x - 1\n  new: |2\n        return x - 2\n")
    assert case.change == (Replacement("    return x + 1\n", "    return x - 1\n"),
                           Replacement("    return x - 1\n", "    return x - 2\n"))
    assert case.source() == REFERENCE.replace("x + 1", "x - 2") and case.whole is None
    with case_submission(case) as path:
        assert path.read_text() == case.source() and path.name == "ref.py" and path.parent != tmp_path
    assert not path.exists()                                   # the temporary copy is gone
    for broken in ("change: []\n", "change:\n- {old: a}\n", "change:\n- {old: '', new: b}\n", "change: text\n"):
        with pytest.raises(CaseFileError, match="change"):
            _derived(tmp_path, broken)
    (tmp_path / "c.py").write_text("x = 1\n")                  # a change and a whole file: which one is graded?
    with pytest.raises(CaseFileError, match="keep one"):
        _derived(tmp_path, "change:\n- {old: x, new: y}\n")


@pytest.mark.parametrize("reference, found", [(REFERENCE.replace("x + 1", "x + 1.0"), "no longer occurs"),
                                              (REFERENCE.replace("2 * x", "x + 1"), "more than once")])
def test_a_change_that_no_longer_applies_names_its_case_number_text_and_remedy(tmp_path, reference, found):
    from types import SimpleNamespace

    from grader.audit.validate import Finding, _case_findings

    folder = tmp_path / "solutions" / "99_x"
    (folder / "cases").mkdir(parents=True)
    (folder / "x.py").write_text(reference)
    (folder / "cases" / "off_by_two.yaml").write_text(
        CASE_HEAD + "change:\n- old: |\n    def f(x):\n  new: |\n    def f(x):  # mine\n"
        "- old: |2\n        return x + 1\n  new: |2\n        return x + 2\n")
    exercise = SimpleNamespace(id="99_x", solution_dir=folder, reference_path=folder / "x.py")
    [case] = cases_of(exercise)
    with pytest.raises(CaseChangeError) as caught:
        case.source()
    message = str(caught.value)
    assert "off_by_two.yaml: change 2 of 2 no longer applies" in message and found in message
    assert "    |     return x + 1" in message and "(after changes 1-1 are made)" in message
    assert "What to do" in message and "grade validate --exercise 99_x" in message
    [finding] = _case_findings(lambda ok, what: Finding("99_x", ok, what), exercise, None)   # nothing graded
    assert not finding.ok and message in finding.what


def test_every_case_of_the_course_is_made_from_todays_reference_and_compiles():
    """The fast guard for item 4 of issue 25: a reference edit that breaks a case's change fails here first."""
    course = load_course(ROOT / "course.yaml")
    derived = 0
    for exercise in course.exercises:
        for case in cases_of(exercise):
            compile(case.source(), f"{exercise.id}/{case.name}", "exec")
            derived += case.whole is None
    assert derived >= 298


def test_replacements_between_two_texts_are_whole_unique_lines_and_read_back_exactly():
    after = REFERENCE.replace("2 * x", "3 * x") + "\nprint('hi')\n"
    changes = replacements_between(REFERENCE, after)
    assert apply_changes(REFERENCE, changes) == after
    assert changes == (Replacement("    return 2 * x\n", "    return 3 * x\n\nprint('hi')\n"),)   # near: one change
    twice = "def f(x):\n    return x\n\n\ndef g(x):\n    return x\n"          # `return x` is not unique: context
    [change] = replacements_between(twice, twice.replace("    return x\n", "    return -x\n", 1))
    assert change == Replacement("def f(x):\n    return x\n", "def f(x):\n    return -x\n")
    import yaml

    text = change_yaml(changes + (Replacement("  a\n\n", ""),))
    assert [Replacement(**item) for item in yaml.safe_load(text)["change"]] == [*changes, Replacement("  a\n\n", "")]


def _behaves(*values):
    return tuple(Answer(True, v) for v in values)


def test_a_hint_is_honest_only_for_the_mistake_its_cases_declare():
    probes = [Probe("f", (1.0,)), Probe("g", (1.0,))]
    reference = _behaves(1.0, 2.0)
    case = Case("c", ROOT, "mistake", "f doubles", "graded", (0.0,),
                {"public/f": ExpectedCheck(("failed",), "f-twice"), "public/g": ExpectedCheck(("failed",), "g-wrong")},
                {"g-wrong": "g"})
    judge = _Judge(reference, {"c": (case, _behaves(2.0, 2.0))}, probes)
    assert judge.honest("f-twice", _behaves(2.0, 2.0), {"f"})            # the same mistake
    assert not judge.honest("f-twice", _behaves(3.0, 2.0), {"f"})        # f is wrong, but not that way
    assert judge.honest("g-wrong", _behaves(1.0, 5.0), {"g"})            # a root hint: g is wrong
    assert not judge.honest("g-wrong", _behaves(2.0, 2.0), {"f"})        # g is right: misleading
    assert not judge.honest("unknown", _behaves(2.0, 2.0), {"f"})        # a hint no case declares


def test_tables_and_columns_compare_by_their_values_not_as_models():
    """05's functions return tables (Frame) and columns: the audit compares them column by column."""
    import numpy as np

    from grader.audit.equivalence import same
    from grader.sandbox.wire import Column, Frame

    def table(values):
        return Frame(("x", "name"), {"x": np.asarray(values, dtype=float), "name": np.array(["a", "b"])})

    assert same(table([1.0, 2.0]), table([1.0, 2.0]))
    assert not same(table([1.0, 2.0]), table([1.0, 2.5]))
    assert not same(table([1.0, 2.0]), Frame(("name", "x"), table([1.0, 2.0]).data))
    assert same(Column("y", np.arange(3.0)), Column("y", np.arange(3.0)))
    assert not same(Column("y", np.arange(3.0)), Column("z", np.arange(3.0)))


@pytest.mark.slow
def test_audit_of_one_exercise_end_to_end(tmp_path):
    """The CI audit: 01_forward_propagation, ~80 mutants, about 20 s with the warm sandbox on 2 cores."""
    run = run_grade("audit", "01_forward_propagation", "--out", tmp_path, timeout=600)
    assert run.returncode in (0, 1), run.stderr
    assert "01_forward_propagation" in run.stdout and "mutants" in run.stdout
    document = json.loads((tmp_path / "audit.json").read_text())
    [exercise] = document["exercises"]
    figures = exercise["figures"]
    assert figures["mutants"] == len(exercise["mutants"]) > 50
    assert figures["killed"] + figures["equivalent"] + figures["survivors"] == figures["mutants"]
    assert figures["kill_rate"] >= 0.99 and figures["case_failures"] == 0 and not exercise["problems"]
    assert figures["hinted"] > 0
    assert all(m["diff"].startswith("--- reference") for m in exercise["mutants"])
    page = (tmp_path / "audit.html").read_text()
    assert "<script" not in page and "01_forward_propagation" in page
    assert run.returncode == (0 if exercise["meets_targets"] else 1)


def test_models_compare_without_the_names_keras_numbers_per_process():
    """A probe that built a layer more earlier in the sandbox shifts Keras's automatic names (dense_3 for dense_2);
    the audit must still see the same model, and still see a different one where units or layers differ."""
    import numpy as np

    from grader.audit.equivalence import same
    from grader.sandbox.wire import ModelDescription

    def model(first: str, units: int, extra: bool = False):
        layers = [{"class_name": "InputLayer", "config": {"name": f"input_layer_{first}", "batch_shape": [None, 4]}},
                  {"class_name": "Dense", "config": {"name": f"dense_{first}", "units": units}}]
        if extra:
            layers.append({"class_name": "Dense", "config": {"name": "dense_9", "units": 1}})
        architecture = json.dumps({"class_name": "Sequential", "config": {"name": f"sequential_{first}", "layers": layers}})
        return ModelDescription(architecture, {"loss": "mse"}, [np.zeros((4, units))], [None, 4], [None, units])

    assert same(model("1", 8), model("3", 8))
    assert not same(model("1", 8), model("1", 9))
    assert not same(model("1", 8), model("1", 8, extra=True))


def test_a_change_the_readme_accepts_counts_as_equivalent_and_must_not_lose_points():
    from types import SimpleNamespace

    from grader.audit.mutate import Mutant
    from grader.audit.run import MutantResult, accepted_changes, apply_accepted

    exercise = SimpleNamespace(solution_dir=ROOT / "solutions/03_activations")
    accepted = accepted_changes(exercise)
    assert ("relu_derivative", "Gt -> GtE") in accepted and "0 or 1" in accepted[("relu_derivative", "Gt -> GtE")]

    def result(description, killed):
        mutant = Mutant("m1", "comparison", 3, "relu_derivative", description, "source")
        return MutantResult(mutant, equivalent=False, killed=killed, differs_in=("relu_derivative",))

    settled, problems = apply_accepted([result("Gt -> GtE", False), result("Gt -> Lt", True)], accepted)
    assert settled[0].equivalent and settled[0].accepted and not settled[0].survived and problems == []
    assert not settled[1].equivalent and settled[1].killed   # not accepted: judged as before
    settled, problems = apply_accepted([result("Gt -> GtE", True)], accepted)
    assert settled[0].equivalent and problems and "loses points, but the README accepts it" in problems[0]


# ---------------------------------------------------------------- equivalent rewrites (fairness)

def test_every_reference_has_at_least_20_distinct_rewrites_that_compile():
    from grader.audit.rewrite import rewrites

    for exercise in load_course(ROOT / "course.yaml").exercises:
        source = exercise.reference_path.read_text()
        found = rewrites(source)
        assert len(found) >= 20, (exercise.id, len(found))
        assert len({r.source for r in found}) == len(found) and all(r.source != source for r in found)
        assert [r.id for r in found] == [r.id for r in rewrites(source)]   # the same every time
        for rewrite in found:
            compile(rewrite.source, rewrite.id, "exec")


def test_rewrites_write_what_students_write():
    from grader.audit.rewrite import (activations_from_tensorflow, comprehensions_as_loops, maximum_as_where,
                                      range_loops_as_while, sequential_as_functional, sequential_as_list,
                                      sequential_with_add, _metric_style)
    import ast

    def text(transform, source):
        changed = transform(ast.parse(source))
        return None if changed is None else ast.unparse(changed)

    assert "np.where(x > 0, x, 0)" in text(maximum_as_where, "import numpy as np\ndef relu(x):\n    return np.maximum(x, 0)\n")
    assert "append" in text(comprehensions_as_loops, "def f(xs):\n    return [x * 2 for x in xs]\n")
    assert "while i < n" in text(range_loops_as_while, "def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n")
    listed = text(sequential_as_list, "def m():\n    model = Sequential()\n    model.add(Dense(1))\n    model.add(Dense(2))\n    return model\n")
    assert "Sequential([Dense(1), Dense(2)])" in listed and ".add(" not in listed
    added = text(sequential_with_add, "def m():\n    model = Sequential([Dense(1), Dense(2)])\n    return model\n")
    assert "model.add(Dense(1))" in added and "model.add(Dense(2))" in added
    acc = _metric_style(lambda module: "'acc'")
    assert "metrics=['acc']" in text(acc, "import keras\ndef m(model):\n    model.compile(optimizer='adam', "
                                          "loss='categorical_crossentropy', metrics=['accuracy'])\n")
    assert text(acc, "import keras\ndef m(model):\n    model.compile(loss='mse', metrics=['accuracy'])\n") is None
    assert text(maximum_as_where, "def relu(x):\n    return max(x, 0)\n") is None   # only where it applies
    tensorflow = text(activations_from_tensorflow, "import keras\ndef m():\n    return keras.layers.Dense(3, "
                                                   "activation='softmax')\n")
    assert "import tensorflow as tf" in tensorflow and "activation=tf.nn.softmax" in tensorflow
    functional = text(sequential_as_functional, "from keras.layers import Dense, Input\nfrom keras.models import "
                      "Sequential\ndef m():\n    model = Sequential()\n    model.add(Input(shape=(4,)))\n"
                      "    model.add(Dense(2))\n    model.add(Dense(1))\n    return model\n")
    assert "inputs = Input(shape=(4,))" in functional and "outputs = Dense(2)(inputs)" in functional \
        and "outputs = Dense(1)(outputs)" in functional and "model = keras.Model(inputs, outputs)" in functional \
        and "import keras" in functional
    # without an Input layer first (input_shape= on the first layer) there is no input to call the layers on
    assert text(sequential_as_functional, "def m():\n    return Sequential([Dense(2, input_shape=(4,))])\n") is None
    # a list with *layers in it cannot be called layer by layer
    assert text(sequential_as_functional, "def m(hidden):\n    model = Sequential([Input(shape=(4,)), *hidden])\n"
                                          "    return model\n") is None
    # imports go after the docstring and `from __future__`, and `tf` as the student's own name is left alone
    future = text(activations_from_tensorflow, '"""Doc."""\nfrom __future__ import annotations\nimport keras\n'
                                               "def m(tf):\n    return keras.layers.Dense(3, activation='relu')\n")
    compile(future, "rewrite", "exec")
    assert "import tensorflow\n" in future and "activation=tensorflow.nn.relu" in future


def test_a_keras_audit_grades_every_single_style_however_many_apply():
    """06's reference takes 23 single styles: a limit of 20 rewrites had left out the last three (activation
    layers, input_shape=, tf.nn.softmax), the Keras spellings most likely to be refused."""
    from grader.audit.fairness import KERAS_REWRITE_LIMIT, chosen_rewrites

    reference = (ROOT / "solutions" / "06_keras_classification" / "keras_classification.py").read_text()
    chosen = chosen_rewrites(reference, keras=True)
    singles = [rewrite for rewrite in chosen if not rewrite.paired]
    assert len(singles) > KERAS_REWRITE_LIMIT and chosen == singles
    assert any("tf.nn.softmax" in rewrite.style for rewrite in singles)
    assert any("then Activation" in rewrite.style for rewrite in singles)
    assert len(chosen_rewrites(reference, keras=True, limit=3)) == 3
    numpy = chosen_rewrites((ROOT / "solutions" / "02_backprop" / "backprop.py").read_text(), keras=False)
    assert len(numpy) == 40 and any(rewrite.paired for rewrite in numpy)


@pytest.mark.slow
def test_every_rewrite_of_a_numpy_and_a_keras_exercise_earns_full_marks(tmp_path):
    """Issue 23: right answers in students' own styles earn full marks; the audit fails otherwise."""
    run = run_grade("audit", "02_backprop", "05_keras_regression", "--rewrites-only", "--rewrite-limit", "24",
                    "--out", tmp_path, timeout=1200)
    assert run.returncode == 0, run.stdout + run.stderr
    document = json.loads((tmp_path / "audit.json").read_text())
    for exercise in document["exercises"]:
        assert exercise["figures"]["rewrites"] == 24, exercise["exercise"]
        assert exercise["figures"]["rewrites_full_marks"] == 24, [r for r in exercise["rewrites"] if r["lost"]]
    assert "equivalent rewrites: 24 of 24 earn full marks" in (tmp_path / "audit.html").read_text()


# ---------------------------------------------------------------- explanations (issue 25 item 6)

def _graded(*checks):
    """A feedback as the explanation reads it: (check id, outcome, hint id or None) per check."""
    from types import SimpleNamespace

    from grader.outcomes import Outcome, Status

    listed = [SimpleNamespace(id=i, outcome=Outcome(o), hint=SimpleNamespace(id=h) if h else None) for i, o, h in checks]
    return SimpleNamespace(status=Status.GRADED, score=25.0, max_score=30.0, checks=listed)


def test_a_misleading_hint_names_its_cases_how_the_mutant_differs_and_the_case_file_to_add(tmp_path):
    from grader.audit.cases import mismatches
    from grader.audit.explain import case_to_add, misleading_lines, mutant_change

    exercise = load_course(ROOT / "course.yaml").exercise("02_backprop")
    source = exercise.reference_path.read_text()
    mutant = next(m for m in mutants(source) if m.function == "update" and m.description == "keep only the left operand")
    [declaring] = [case for case in cases_of(exercise) if case.name == "update_with_the_wrong_sign"]
    probes = [Probe("update", ({"w": 1.0}, {"w": 1.0}, 0.5))]
    reference, case_seen, mutant_seen = _behaves({"w": 0.5}), _behaves({"w": 1.5}), _behaves({"w": 1.0})
    judge = _Judge(reference, {declaring.name: (declaring, case_seen)}, probes,
                   {declaring.name: "--- reference\n+++ update_with_the_wrong_sign\n-    - learning_rate\n+    + learning_rate\n"})
    assert not judge.honest("update-sign", mutant_seen, {"update"})
    feedback = _graded(("public/sigmoid_worked_example", "passed", None),
                       ("public/update_worked_example", "failed", "update-sign"), ("hidden/update_random", "failed", None),
                       ("public/train_worked_example", "failed", "train-uses-wrong-update"))
    change, text = mutant_change(source, mutant)
    assert judge.roots() == {"train-uses-wrong-update": "update"}
    addition = case_to_add(source, mutant, text, feedback, judge.roots())
    lines = misleading_lines(["public/update_worked_example: update-sign"], {"update-sign": judge.declaring("update-sign")},
                             mutant_seen, {"update"}, probes, exercise.id, change, addition)
    shown = "\n".join(lines)
    assert "misleading hint `update-sign` (from public/update_worked_example)" in shown
    assert "case update_with_the_wrong_sign (update with the wrong sign) is wrong in update; this mutant answers it " \
           "otherwise than the case does." in shown and "+    + learning_rate" in shown   # the case's own change
    assert "-    return {name: params[name] - learning_rate * grads[name] for name in params}" in shown   # the mutant's,
    assert "+    return {name: params[name] for name in params}" in shown                             # in the reference's text
    assert "add this as solutions/02_backprop/cases/<name>.yaml" in shown and "If not, make the check" in shown
    # the YAML printed is a case file: made from the reference it is the mutant, and it expects the audit's verdict
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "update_keeps_the_parameters.yaml").write_text(addition)
    case = load_case(folder / "update_keeps_the_parameters.yaml", exercise.reference_path)
    assert baseline(case.source()) == mutant.source and "# dE/dz2" in case.source()   # comments kept
    assert mismatches(case, feedback) == [] and case.checks["public/update_worked_example"].hint == "update-sign"
    assert "(audit mutant " in case.mistake and case.roots == {"train-uses-wrong-update": "update"}   # a cascade's root


def test_every_mutant_of_the_course_is_placed_in_the_references_own_text():
    """So the case file the audit prints for a misleading hint is the reference plus the mutant's change."""
    from grader.audit.explain import in_reference_style

    course = load_course(ROOT / "course.yaml")   # one numpy and one Keras exercise (all 740 of the course's place)
    for exercise in (course.exercise("02_backprop"), course.exercise("05_keras_regression")):
        source = exercise.reference_path.read_text()
        for mutant in mutants(source, MODEL_LEVEL if "tensorflow" in exercise.requires else None):
            text = in_reference_style(source, mutant)
            assert text is not None and baseline(text) == mutant.source, (exercise.id, mutant.id, mutant.description)


def test_a_survivor_is_explained_by_the_smallest_probe_that_tells_it_apart():
    import numpy as np

    from grader.audit.explain import survivor_lines

    probes = [Probe("f", (np.ones(5),)), Probe("f", (3.0,)), Probe("f", (0.5,), recorded=False), Probe("g", (1.0,))]
    reference = _behaves(np.ones(5), 6.0, 1.0, 1.0)
    lines = survivor_lines(probes, reference, _behaves(np.zeros(5), 7.0, 2.0, 1.0))
    assert "smallest input that tells it apart from the reference is f(3.0), a call the checks make" in lines[0]
    assert lines[1].endswith("gives 6.0") and lines[2].endswith("gives    7.0") and "3 of 4 probes" in lines[3]
    assert "a check makes this call but does not fail on the mutant's answer" in lines[3]
    only_widened = survivor_lines(probes, reference, _behaves(np.ones(5), 6.0, 2.0, 1.0))
    assert "f(0.5), a variant of a call the checks make" in only_widened[0] and "never make it" in only_widened[0]
    assert "add a check that calls f on such an input" in only_widened[3]
    assert "no probe tells it apart" in survivor_lines(probes, reference, reference)[0]


def test_audit_html_shows_the_explanation_as_text():
    from grader.audit.mutate import Mutant
    from grader.audit.report import render_html, to_dict
    from grader.audit.run import ExerciseAudit, MutantResult

    mutant = Mutant("m007", "operator", 3, "f", "Add -> Sub", "def f(x):\n    return x - 1\n")
    survivor = MutantResult(mutant, equivalent=False, killed=False, differs_in=("f",),
                            explanation=("survives: the smallest input ... is f(<script>1)",))
    audit = ExerciseAudit("99_x", "def f(x):\n    return x + 1\n", (survivor,), (), 4, 1.0)
    document = to_dict([audit])
    assert list(document["exercises"][0]["mutants"][0]["explanation"]) == list(survivor.explanation)
    page = render_html(document)
    assert "survives: the smallest input ... is f(&lt;script&gt;1)" in page and "<script>1" not in page


@pytest.mark.slow
def test_the_case_file_the_audit_asks_for_makes_a_misleading_hint_honest(small_course, tmp_path):
    """Issue 25 item 6 end to end (01 audited twice, about 2 minutes on 2 loaded cores): without the case that declares
    `sigmoid-sign`, the audit calls the hint misleading and prints the case file to add; with that file added, no hint
    misleads and `grade validate` grades the new case as it says."""
    cases = small_course / "solutions" / "01_forward_propagation" / "cases"
    (cases / "sigmoid_with_e_z.yaml").unlink()
    audit = ("audit", "01_forward_propagation", "--course", small_course, "--rewrite-limit", "1", "--out", tmp_path)
    run = run_grade(*audit, timeout=900)
    assert run.returncode == 1, run.stderr
    [exercise] = json.loads((tmp_path / "audit.json").read_text())["exercises"]
    [m021] = [m for m in exercise["mutants"] if m["mutant"]["description"] == "drop the minus sign"
              and m["mutant"]["function"] == "node_activation"]
    lines = m021["explanation"]
    assert any(line.startswith("misleading hint `sigmoid-sign`") for line in lines)
    assert "    misleading hint `sigmoid-sign`" in run.stdout                        # the terminal shows it
    assert "misleading hint `sigmoid-sign`" in (tmp_path / "audit.html").read_text()     # and so does the page
    start = next(i for i, line in enumerate(lines) if line.startswith("What to do")) + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("If not"))
    (cases / "sign_from_the_audit.yaml").write_text("".join(line[2:] + "\n" for line in lines[start:end]))
    again = run_grade(*audit, timeout=900)
    [exercise] = json.loads((tmp_path / "audit.json").read_text())["exercises"]
    assert exercise["figures"]["misleading"] == 0 and exercise["meets_targets"], again.stdout
    validated = run_grade("validate", "--course", small_course, "--exercise", "01_forward_propagation", timeout=600)
    assert "case sign_from_the_audit is graded as expected" in validated.stdout, validated.stdout + validated.stderr
