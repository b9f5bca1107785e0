"""Public checks for exercise 02: the lecture's worked example, step by step.

You may read these. They run against your file through `grade exercises/02_backprop`; hidden
checks with random inputs run as well when your work is graded.
"""

import numpy as np
import pytest

from grader.authoring import (Hint, Root, as_number, close, close_values, expect_close, fail, matching_hint, read_dict,
                              read_list, read_pair, rounded_to, show, show_apart, wrong_root)

# The lecture's worked example.
X, T, LEARNING_RATE = 0.1, 0.25, 0.4
PARAMS = {"w1": 0.15, "b1": 0.4, "w2": 0.45, "b2": 0.65}
A1, A2 = 0.6022861768886306, 0.7152516802527555
E = 0.10822956298900614
GRADS = {"w1": 0.0010213958814763399, "b1": 0.010213958814763398, "w2": 0.05707039820105493, "b2": 0.0947562809690847}
UPDATED = {"w1": 0.14959144164740945, "b1": 0.39591441647409464, "w2": 0.42717184071957803, "b2": 0.6120974876123662}
ERRORS_3 = [0.10822956298900614, 0.10329792471097587, 0.09839422626535557]
AFTER_3 = {"w1": 0.1488379513974157, "b1": 0.38837951397415704, "w2": 0.38177511626799426, "b2": 0.5365406421460566}

# ----------------------------------------------------------------------------- named mistakes

SIGMOID_SIGN = Hint("sigmoid-sign", "The sigmoid is 1 / (1 + e^(-z)), with a minus sign in the exponent; yours "
                    "gives 1 - sigmoid(z).")
GRADIENT_SIGN = Hint("gradient-sign", "The sign of your gradient is flipped. dE/da2 = -(t - a2) = a2 - t: "
                     "when the output is too large, the gradient is positive.")
MISSING_DERIVATIVE = Hint("missing-sigmoid-derivative", "A sigmoid derivative a(1 - a) is missing. Every sigmoid between the "
                          "error and the parameter contributes one factor: a2(1 - a2) for w2 and b2, and both a2(1 - a2) "
                          "and a1(1 - a1) for w1 and b1 (some lecture notes drop a2(1 - a2) for w1; the chain rule needs it).")
MISSING_INPUT = Hint("missing-input-factor", "The gradient of a weight is the gradient of its neuron's weighted sum times the "
                     "input that weight multiplies: a1 for w2, x for w1. Your value is the bias gradient.")
MISSING_W2 = Hint("missing-w2-factor", "To reach the first neuron, the error flows back through the weight w2: "
                  "dE/da1 = dE/dz2 * w2. That factor is missing.")
UPDATE_SIGN = Hint("update-sign", "Your update moves the parameters along the gradient (p + learning_rate * g). "
                   "Gradient descent steps against it: p - learning_rate * g.")
UPDATE_NO_RATE = Hint("update-without-learning-rate", "The learning rate is missing from your update: p - learning_rate * g.")
ERROR_NO_HALF = Hint("error-missing-half", "The error of this exercise is E = 1/2 * (t - a2)^2; the factor 1/2 is missing.")
OUTPUT_NOT_ACTIVATED = Hint("output-not-activated", "The second neuron must apply the sigmoid too: a2 = sigmoid(w2 * a1 + b2).")
INCOMPLETE_DERIVATIVE = Hint("incomplete-sigmoid-derivative", "The sigmoid's derivative is a(1 - a), two factors; "
                             "your gradient has only one of them (a, or 1 - a) where a2(1 - a2) or a1(1 - a1) belongs.")

# Cascades: a check whose function uses another one that is wrong says so, so the student fixes the root first.
USES_SIGMOID = Hint("uses-wrong-sigmoid", "Your sigmoid() gives wrong values (see its check), and forward() uses it: "
                    "fix sigmoid first; this may then pass too.")
USES_FORWARD = Hint("uses-wrong-forward", "Your forward() gives wrong a1 or a2 (see its check), and the gradients need "
                    "them: fix forward first; this may then pass too.")
TRAIN_USES = {name: Hint(f"train-uses-wrong-{name}", f"Your {name}() is wrong (see its check), and train() uses it: "
                                                   f"fix {name} first; train may then pass too.")
              for name in ("forward", "error", "gradients", "update")}
ROUNDED = Hint("rounded-result", "Your value is the right one rounded to a few decimals. Return it as computed: "
               "the lecture rounds its numbers (a1 = 0.6023) only to print them, and every later step (the error, the "
               "gradients, the updates) needs the exact values.")
TRAIN_ERROR_AFTER_UPDATE = Hint("train-error-after-update", "Record the error at the current parameters before updating them: "
                                "the first error in the list is the error of the starting parameters.")


def rounding(got, want):
    """ROUNDED when `got` is exactly `want` rounded to a few decimals (numbers, lists or dicts of them)."""
    return ROUNDED if rounded_to(got, want) else None


def gradient_mistake(name, got, want, a1, a2, x, w2):
    """Which known mistake turns the right gradient `want` into `got`, if any."""
    if close(got, -want, rtol=1e-4):
        return GRADIENT_SIGN
    d2, d1 = a2 * (1 - a2), a1 * (1 - a1)
    derivative_variants = [want / d2] if name in ("w2", "b2") else [want / d2, want / d1, want / (d1 * d2)]
    if any(close(got, v, rtol=1e-4) for v in derivative_variants):
        return MISSING_DERIVATIVE
    if name == "w2" and close(got, want / a1, rtol=1e-4):
        return MISSING_INPUT
    if name == "w1" and close(got, want / x, rtol=1e-4):
        return MISSING_INPUT
    if name in ("w1", "b1") and close(got, want / w2, rtol=1e-4):
        return MISSING_W2
    return incomplete_derivative(name, got, want, a1, a2) or rounding(got, want)


def incomplete_derivative(name, got, want, a1, a2):
    """The gradient with only one factor of a sigmoid's derivative a(1 - a)."""
    variants = [want / a2, want / (1 - a2)] + ([want / a1, want / (1 - a1)] if name in ("w1", "b1") else [])
    return INCOMPLETE_DERIVATIVE if any(close(got, v, rtol=1e-4) for v in variants) else None


def forward_root(submission, x, p, want):
    """USES_FORWARD when the student's forward() is wrong for these inputs."""
    return wrong_root(Root(USES_FORWARD, lambda: submission.forward(x, p["w1"], p["b1"], p["w2"], p["b2"]), list(want)))


def train_root(submission, x, t, p, learning_rate, forward, error, gradients, update):
    """The first function train() depends on that is wrong at its starting point, as a hint; None if all are right.
    `forward` ... `update` are the right values at the starting parameters `p`."""
    args = (x, p["w1"], p["b1"], p["w2"], p["b2"])
    return wrong_root(Root(TRAIN_USES["forward"], lambda: submission.forward(*args), list(forward)),
                      Root(TRAIN_USES["error"], lambda: submission.error(t, forward[1]), error),
                      Root(TRAIN_USES["gradients"], lambda: submission.gradients(x, t, *args[1:]), gradients),
                      Root(TRAIN_USES["update"], lambda: submission.update(dict(p), dict(gradients), learning_rate), update))


def sigmoid_root(submission, zs):
    """USES_SIGMOID when the student's sigmoid() is wrong at one of the weighted sums `zs`."""
    return wrong_root(*(Root(USES_SIGMOID, lambda z=z: submission.sigmoid(z), 1 / (1 + np.exp(-z))) for z in zs))


def update_mistake(got, params, grads, learning_rate):
    return matching_hint(got, [(UPDATE_SIGN, {k: params[k] + learning_rate * grads[k] for k in params}),
                               (UPDATE_NO_RATE, {k: params[k] - grads[k] for k in params})]) \
        or rounding(got, {k: params[k] - learning_rate * grads[k] for k in params})


def read_training(value, what):
    return read_pair(value, what, ("params", "errors"), read=(lambda params, part: read_dict(params, part, list(PARAMS)),
                                                              lambda errors, part: read_list(errors, part, "the list of errors")))


# ----------------------------------------------------------------------------- checks

@pytest.mark.points(1)
def test_sigmoid_worked_example(submission):
    """sigmoid(0.415) is 0.6023, as in the lecture"""
    expect_close(submission.sigmoid(0.415), A1, "sigmoid(0.415)", note=": 1 / (1 + e^-0.415), which the lecture prints "
                 "as 0.6023", wrong={SIGMOID_SIGN: 1 - A1}, hint=lambda got: rounding(got, A1))
    got = as_number(submission.sigmoid(0.0), "sigmoid(0.0)")
    if not close(got, 0.5):
        fail(f"sigmoid(0) returned {show(got, 17)}; it must be exactly 0.5")


@pytest.mark.points(2)
def test_forward_worked_example(submission):
    """forward() gives a1 = 0.6023 and a2 = 0.7153 for the lecture's network"""
    a1, a2 = read_pair(submission.forward(X, PARAMS["w1"], PARAMS["b1"], PARAMS["w2"], PARAMS["b2"]),
                       "forward(0.1, 0.15, 0.4, 0.45, 0.65)", ("a1", "a2"))
    expect_close(a1, A1, "a1", verb="is", note=" = sigmoid(0.15 * 0.1 + 0.4)", root=lambda: sigmoid_root(submission, [0.415]),
                 hint=lambda got: rounding(got, A1))
    expect_close(a2, A2, "a2", verb="is", note=" = sigmoid(0.45 * a1 + 0.65)", wrong={OUTPUT_NOT_ACTIVATED: PARAMS["w2"] * A1 + PARAMS["b2"]},
                 hint=lambda got: sigmoid_root(submission, [0.415, 0.45 * A1 + 0.65]) or rounding(got, A2))


@pytest.mark.points(1)
def test_error_worked_example(submission):
    """error(0.25, 0.7153) is about 0.1082"""
    expect_close(submission.error(T, A2), E, f"error(0.25, {A2:.4f})", wrong={ERROR_NO_HALF: 2 * E},
                 hint=lambda got: rounding(got, E))


@pytest.mark.points(3)
def test_gradients_worked_example(submission):
    """gradients() matches the lecture's four derivatives"""
    got = read_dict(submission.gradients(X, T, PARAMS["w1"], PARAMS["b1"], PARAMS["w2"], PARAMS["b2"]), "gradients(0.1, 0.25, 0.15, 0.4, 0.45, 0.65)", list(GRADS))
    for name in ("w2", "b2", "w1", "b1"):
        expect_close(got[name], GRADS[name], f"dE/d{name}", verb="is", rtol=1e-5, root=lambda: forward_root(submission, X, PARAMS, (A1, A2)),
                     hint=lambda value, name=name: gradient_mistake(name, value, GRADS[name], A1, A2, X, PARAMS["w2"]))


@pytest.mark.points(2)
def test_update_worked_example(submission):
    """one update with learning rate 0.4 gives w1 = 0.1496, b1 = 0.3959, w2 = 0.4272, b2 = 0.6121"""
    expect_close(submission.update(dict(PARAMS), dict(GRADS), LEARNING_RATE), UPDATED, "update(params, grads, 0.4)",
                 hint=lambda got: update_mistake(got, PARAMS, GRADS, LEARNING_RATE))


@pytest.mark.points(2)
def test_train_worked_example(submission):
    """three epochs of training from the lecture's start record three shrinking errors"""
    params, errors = read_training(submission.train(X, T, dict(PARAMS), LEARNING_RATE, 3), "train(0.1, 0.25, params, 0.4, 3)")
    right = close(errors, ERRORS_3) and close_values(params, AFTER_3)
    root = None if right else train_root(submission, X, T, PARAMS, LEARNING_RATE, (A1, A2), E, GRADS, UPDATED)
    if len(errors) != 3:
        fail(f"train(..., epochs=3) recorded {len(errors)} errors; with no threshold it runs all 3 epochs", root)
    if root is None and close(errors[:2], ERRORS_3[1:]):
        fail("the errors are {}, expected {}".format(*show_apart(errors, ERRORS_3)), TRAIN_ERROR_AFTER_UPDATE)
    expect_close(errors, ERRORS_3, "the errors", verb="are", hint=lambda got: root or rounding(got, ERRORS_3))
    expect_close(params, AFTER_3, "after 3 epochs the params", verb="are", hint=lambda got: root or rounding(got, AFTER_3))
