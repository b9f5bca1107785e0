"""Forged submissions against the checks themselves: numbers a student reports about its own work.

Each submission is otherwise right (so it earns every other check) and forges the one value a check
used to trust: a training history, a constant gradient, an invented error curve, a made-up model
description. Graded end to end with the real `grade` command; each must NOT earn the points of the
check it targets, and no hint may name a mistake the forgery does not make.
"""

import pytest

from conftest import reference_source


def assert_not_earned(run, check_id: str, expected_score: float | None = None) -> dict:
    """The targeted check scores 0 as the student's failure, and the grading itself went fine."""
    assert run.returncode == 0, run.stderr
    document = run.document
    assert document["status"] == "graded", document["status"]
    check = run.check(check_id)
    assert check["score"] == 0 and check["outcome"] in ("failed", "error"), check
    if expected_score is not None:
        assert document["score"] == expected_score, [(c["id"], c["score"]) for c in document["checks"]]
    return check


def with_function(exercise: str, replacement: str) -> str:
    """The reference solution with one function redefined after it (the forgery)."""
    return reference_source(exercise) + "\n\n" + replacement


# ----------------------------------------------------------------------------- numpy exercises

def test_a_constant_tiny_gradient_does_not_pass_the_vanishing_gradient_check(grade_source):
    """Red team: first_layer_gradient returning 1e-300 passed 'shrinks like a quarter per layer'."""
    forged = with_function("03_activations", "def first_layer_gradient(x, weights, biases, activation='sigmoid'):\n"
                                             "    return 1e-300\n")
    run = grade_source("03_activations", forged)
    for check_id in ("hidden/sigmoid_gradient_shrinks_like_a_quarter_per_layer",
                     "hidden/first_layer_gradient_random_chains", "public/vanishing_gradient_in_a_sigmoid_chain"):
        check = assert_not_earned(run, check_id)
        assert check.get("hint_id") is None, check   # no factor is missing: there is no chain at all
    assert run.document["score"] == 30 - 2 - 3 - 1


def test_a_uniform_softmax_for_vectors_does_not_pass(grade_source):
    """Right for matrices, a made-up uniform answer for vectors: it sums to 1, which was all that was checked."""
    forged = with_function("03_activations", "_real_softmax = softmax\n\n"
                                             "def softmax(z):\n"
                                             "    z = np.asarray(z, dtype=float)\n"
                                             "    return _real_softmax(z) if z.ndim == 2 else np.full(z.shape, 1 / z.size)\n")
    run = grade_source("03_activations", forged)
    assert_not_earned(run, "hidden/softmax_random_matrices_and_huge_values")


def test_zero_weights_with_an_invented_falling_history_do_not_pass_sgd_learns(grade_source):
    """Red team: sgd returning zero weights and a falling list it made up passed sgd_learns."""
    forged = with_function("04_gradient_descent",
                           "def sgd(input_data, targets, weights, learning_rate, epochs, batch_size, seed=0):\n"
                           "    return np.zeros(np.shape(weights)), [10.0 / (e + 1) for e in range(epochs)]\n")
    run = grade_source("04_gradient_descent", forged)
    check = assert_not_earned(run, "hidden/sgd_learns")
    assert check.get("hint_id") is None, check   # the weights did not go uphill: they did not move
    assert_not_earned(run, "public/sgd_full_batch_is_gradient_descent")


def test_an_invented_diverging_or_creeping_list_does_not_pass_the_learning_rate_checks(grade_source):
    """fit_line that makes up 'runs away' above the edge and 'creeps' below it, without descending."""
    forged = with_function("04_gradient_descent",
                           "def fit_line(x, z, w0=0.0, learning_rate=0.1, iterations=10):\n"
                           "    edge = largest_stable_learning_rate(x)\n"
                           "    if learning_rate > edge:\n"
                           "        ws = [w0 + (-3.0) ** k * 10 * (k > 0) for k in range(iterations + 1)]\n"
                           "    else:\n"
                           "        ws = [w0 + 0.01 * k for k in range(iterations + 1)]\n"
                           "    return ws, [1.0] * (iterations + 1)\n")
    run = grade_source("04_gradient_descent", forged)
    for check_id in ("public/learning_rates_too_large_and_too_small", "hidden/learning_rate_edge_random"):
        check = assert_not_earned(run, check_id)
        assert check.get("hint_id") is None, check


# ----------------------------------------------------------------------------- Keras exercises

REGRESSION_UNTRAINED = '''
import numpy as np

def fit_regression_model(predictors_norm, target, epochs=100):
    model = regression_model(predictors_norm.shape[1])    # compiled, never trained
    {tweak}
    losses = [float(v) for v in np.geomspace(1e12, 1.0, epochs)]
    return model, {{"loss": losses, "val_loss": losses}}
'''


@pytest.mark.slow
@pytest.mark.parametrize("tweak", [
    "pass",
    # not trained either, but its output bias set by hand to the average strength
    "weights = model.get_weights(); weights[-1][:] = float(np.mean(target)); model.set_weights(weights)",
], ids=["made-up-history", "bias-set-to-the-mean"])
def test_an_untrained_regression_model_with_a_made_up_history_does_not_pass(grade_source, tweak):
    """Red team: a compiled, never trained model returned with loss=[1e12, ..., 1.0] earned 25/25."""
    forged = with_function("05_keras_regression", REGRESSION_UNTRAINED.format(tweak=tweak))
    run = grade_source("05_keras_regression", forged)
    check = assert_not_earned(run, "hidden/fit_regression_model_learns", expected_score=25 - 5)
    assert check.get("hint_id") is None, check


@pytest.mark.slow
def test_an_untrained_classifier_with_a_made_up_accuracy_does_not_pass(grade_source):
    forged = with_function("06_keras_classification", '''
def fit_classification_model(X_train, y_train, X_test, y_test, epochs=10):
    model = classification_model(X_train.shape[1], y_train.shape[1])
    return model, {"loss": [0.01] * epochs, "accuracy": [1.0] * epochs,
                   "val_loss": [0.01] * epochs, "val_accuracy": [1.0] * epochs}
''')
    run = grade_source("06_keras_classification", forged)
    assert_not_earned(run, "hidden/fit_classification_model_learns_the_digits", expected_score=24 - 5)


FORGED_CONV_DESCRIPTION = '''
import json
import numpy as np


class Forged:
    """Not a Keras model: a description the wire encodes as one, with a (1, 1, 1, 3000) kernel."""
    compiled = built = True
    input_shape, output_shape = (None, 8, 8, 1), (None, 10)

    def to_json(self):
        layers = [{"class_name": "InputLayer", "config": {"batch_shape": [None, 8, 8, 1]}},
                  {"class_name": "Conv2D", "config": {"name": "c", "filters": 16, "kernel_size": [5, 5], "activation": "relu"}},
                  {"class_name": "MaxPooling2D", "config": {"name": "p", "pool_size": [2, 2], "strides": [2, 2]}},
                  {"class_name": "Flatten", "config": {"name": "f"}},
                  {"class_name": "Dense", "config": {"name": "d1", "units": 100, "activation": "relu"}},
                  {"class_name": "Dense", "config": {"name": "d2", "units": 10, "activation": "softmax"}}]
        return json.dumps({"class_name": "Sequential", "config": {"layers": layers}})

    def get_compile_config(self):
        return {"optimizer": "adam", "loss": "categorical_crossentropy", "metrics": ["accuracy"]}

    def get_weights(self):
        return [np.ones((1, 1, 1, 3000), "float32"), np.zeros(3000, "float32"),
                np.zeros((16, 100), "float32"), np.zeros(100, "float32"), np.zeros((100, 10), "float32"), np.zeros(10, "float32")]


Forged.__module__ = "keras.forged"


def fit_convolutional_model(X_train, y_train, X_test, y_test, epochs=10):
    return Forged(), {"val_accuracy": [1.0] * epochs}
'''


@pytest.mark.slow
def test_a_model_too_large_for_the_trusted_forward_pass_is_the_students_failure(grade_source):
    """Red team: 6,000 numbers made the grader's numpy forward pass allocate 1.3 GB. Now it is refused
    from the description's cost, before any large array, as this student's failed check."""
    forged = with_function("07_cnn", FORGED_CONV_DESCRIPTION)
    run = grade_source("07_cnn", forged)
    check = assert_not_earned(run, "hidden/fit_convolutional_model_learns_the_digits", expected_score=20 - 5)
    assert "too large for this exercise" in check["message"] and "at most" in check["message"], check


@pytest.mark.slow
def test_an_untrained_lstm_that_copies_its_last_input_does_not_pass(grade_source):
    """Weights set by hand so the model repeats the window's last value: within half the sine wave's
    variance, which was all the check asked, without any training."""
    forged = with_function("08_rnn", '''
def fit_lstm(X, y, units=16, epochs=20):
    model = lstm_model(X.shape[1], X.shape[2], units)
    kernel, recurrent, bias, dense, dense_bias = model.get_weights()
    kernel[:], recurrent[:], bias[:], dense[:], dense_bias[:] = 0, 0, 0, 0, 0
    bias[:units], bias[units:2 * units], bias[3 * units:] = 10, -10, 10   # input open, forget closed, output open
    kernel[0, 2 * units] = 0.1                                             # the cell holds tanh(0.1 * x_t)
    dense[0, 0] = 10.0
    model.set_weights([kernel, recurrent, bias, dense, dense_bias])
    return model, {"loss": [0.0] * epochs}
''')
    run = grade_source("08_rnn", forged)
    check = assert_not_earned(run, "hidden/fit_lstm_predicts_a_sine_wave", expected_score=20 - 3)
    assert "repeating the window's last value" in check["message"], check
