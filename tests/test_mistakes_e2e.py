"""End to end: the real `grade` command on every named mistake of the numpy exercises, read from their case
files (solutions/NN/cases/<name>.py beside <name>.yaml), as a student would run it.

Each case must be graded exactly as its YAML says (status, score, every check's outcome and hint), the
checks it fails must score 0, and the mistakes these tests have always named keep their hint.
"""

import pytest

from conftest import ROOT, run_grade
from grader.audit.cases import cases_of, mismatches
from grader.course.manifest import load_course
from grader.feedback.model import Feedback

NUMPY_EXERCISES = ("01_forward_propagation", "02_backprop", "03_activations", "04_gradient_descent")
COURSE = load_course(ROOT / "course.yaml")
MISTAKES = [(exercise, case) for exercise in NUMPY_EXERCISES for case in cases_of(COURSE.exercise(exercise), "mistake")]

# The mistakes these tests named before the case files existed: (exercise, case, a check it fails, the hint there).
NAMED = [
    ("02_backprop", "update_with_the_wrong_sign", "hidden/update_random", "update-sign"),
    ("02_backprop", "gradient_with_the_wrong_sign", "hidden/gradients_output_neuron_random", "gradient-sign"),
    ("02_backprop", "missing_sigmoid_derivative_at_the_output", "hidden/gradients_output_neuron_random",
     "missing-sigmoid-derivative"),
    ("02_backprop", "missing_a1_1_a1_for_the_first_neuron", "hidden/gradients_first_neuron_random",
     "missing-sigmoid-derivative"),
    ("02_backprop", "de_dw2_without_the_input_a1", "hidden/gradients_output_neuron_random", "missing-input-factor"),
    ("02_backprop", "forgetting_w2_on_the_way_back", "hidden/gradients_first_neuron_random", "missing-w2-factor"),
    ("02_backprop", "forgetting_the_bias", "hidden/forward_random", "forgot-bias"),
    ("02_backprop", "weight_and_bias_swapped", "hidden/forward_random", "swapped-weight-and-bias"),
    ("02_backprop", "output_neuron_without_sigmoid", "hidden/forward_random", "output-not-activated"),
    ("02_backprop", "error_without_the_1_2", "hidden/error_random", "error-missing-half"),
    ("02_backprop", "x_and_t_swapped_in_gradients", "hidden/gradients_output_neuron_random", "swapped-input-and-target"),
    ("02_backprop", "update_changes_its_input", "hidden/update_random", "update-mutates-input"),
    ("02_backprop", "error_recorded_after_the_update", "hidden/train_random", "train-error-after-update"),
    ("02_backprop", "threshold_ignored", "hidden/train_stops_at_threshold", "train-threshold-ignored"),
    ("01_forward_propagation", "forgetting_the_bias", "hidden/weighted_sum_random", "forgot-bias"),
    ("01_forward_propagation", "sigmoid_with_e_z", "hidden/node_activation_random", "sigmoid-sign"),
    ("01_forward_propagation", "relu_on_the_output_node", "hidden/predict_with_network_random", "relu-on-output"),
    ("01_forward_propagation", "relu_only_for_numbers", "hidden/relu_random_arrays", "relu-scalar-only"),
    ("01_forward_propagation", "arguments_swapped", "hidden/predict_with_network_random", "arguments-swapped"),
    ("01_forward_propagation", "no_relu_on_the_hidden_nodes", "hidden/predict_with_network_random", "missing-relu"),
    ("03_activations", "softmax_without_subtracting_the_max", "public/softmax_vector_matrix_and_large_values",
     "unstable-softmax"),
    ("03_activations", "softmax_over_the_whole_matrix", "hidden/softmax_random_matrices_and_huge_values",
     "softmax-wrong-axis"),
    ("03_activations", "sigmoid_derivative_of_the_activated_value", "public/sigmoid_and_its_derivative",
     "derivative-takes-z"),
    ("03_activations", "relu_derivative_returns_relu", "public/relu_and_its_derivative", "relu-derivative-is-slope"),
    ("03_activations", "vanishing_gradient_without_the_input_x", "hidden/first_layer_gradient_random_chains",
     "chain-rule-factors"),
    ("03_activations", "leaky_relu_ignores_alpha", "hidden/leaky_relu_random_alpha", "leaky-relu-alpha"),
    ("03_activations", "relu_for_numbers_only", "public/relu_and_its_derivative", "scalar-only"),
    ("04_gradient_descent", "slope_without_the_factor_2", "public/slope_course_example", "slope-missing-factor-2"),
    ("04_gradient_descent", "error_as_target_minus_prediction", "hidden/error_random", "error-sign"),
    ("04_gradient_descent", "update_along_the_slope", "hidden/gradient_descent_step_random", "update-sign"),
    ("04_gradient_descent", "sgd_steps_along_the_slope", "hidden/sgd_learns", "update-sign"),
    ("04_gradient_descent", "fit_line_steps_along_the_slope", "public/learning_rates_too_large_and_too_small",
     "update-sign"),
    ("04_gradient_descent", "history_without_the_start", "public/fit_z_equals_2x_from_zero", "history-includes-start"),
]


@pytest.mark.parametrize("exercise, case_name, check_id, hint_id", NAMED, ids=[f"{n[0][:2]}-{n[1]}" for n in NAMED])
def test_named_mistakes_keep_their_case_and_hint(exercise, case_name, check_id, hint_id):
    """Each mistake these tests always named still has a case file whose YAML names it at that check."""
    [case] = [case for case in cases_of(COURSE.exercise(exercise), "mistake") if case.name == case_name]
    expected = case.checks[check_id]
    assert expected.hint == hint_id
    assert set(expected.outcomes) <= {"failed", "error"}


@pytest.mark.slow
@pytest.mark.parametrize("exercise, case", MISTAKES, ids=[f"{e[:2]}-{c.name}" for e, c in MISTAKES])
def test_named_mistake_is_graded_as_its_case_file_says(exercise, case):
    run = run_grade(f"exercises/{exercise}", "--submission", case.path, "--json", "-")
    assert run.returncode == 0, run.stderr
    document = run.document
    assert mismatches(case, Feedback.from_dict(document)) == []
    assert document["status"] == "graded"
    assert 0 < document["score"] < document["max_score"]
    for check_id, expected in case.checks.items():
        check = run.check(check_id)
        assert check["outcome"] in expected.outcomes and check["score"] == 0, check
        assert check.get("hint_id") == expected.hint, check


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
