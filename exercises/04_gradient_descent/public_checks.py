"""Public checks for exercise 04: the courses' worked examples of slopes and gradient descent.

You may read these. Hidden checks use random data, weights, learning rates and batches.
"""

import numpy as np
import pytest

from grader.checks import Hint, as_array, as_number, as_pair, close, fail, gives, show

MISSING_TWO = Hint("slope-missing-factor-2", "The slope of the squared error (pred - target)^2 is 2 * input * error: "
                   "the factor 2 comes from the square.")
SLOPE_SIGN = Hint("error-sign", "The error is prediction minus target, (weights * input_data).sum() - target; "
                  "with target minus prediction every slope has the wrong sign.")
MISSING_INPUT = Hint("slope-missing-input", "Each weight's slope is multiplied by the input that weight sees: "
                     "2 * input_data * error, one slope per weight.")
UPDATE_SIGN = Hint("update-sign", "Step downhill, against the slope: weights - learning_rate * slope.")
MSE_NOT_MEAN = Hint("mse-not-mean", "The mean squared error is the mean of the squared errors, np.mean(errors ** 2), "
                    "not their sum and not the mean error squared.")
HISTORY_LENGTH = Hint("history-includes-start", "Record the starting weight and its cost too: iterations + 1 values.")
MSE_NOT_SQUARED = Hint("mse-not-squared", "The mean squared error squares the error before taking the mean: "
                       "np.mean(errors ** 2).")
# Cascades: a check whose function uses another one that is wrong says so, so the student fixes the root first.
USES_ERROR = Hint("uses-wrong-get-error", "Your get_error() is wrong (see its check), and this function uses it: "
                  "fix get_error first; this may then pass too.")
USES_SLOPE = Hint("uses-wrong-get-slope", "Your get_slope() is wrong (see its check), and gradient_descent_step uses "
                  "it: fix get_slope first; this may then pass too.")

# The companion course's example: inputs [1, 2, 3], weights [0, 2, 1], target 0.
INPUT, WEIGHTS, TARGET = np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.0, 1.0]), 0.0


def slope_mistake(got, input_data, error):
    got = np.asarray(got, dtype=float)
    if close(got, input_data * error):
        return MISSING_TWO
    if close(got, -2 * input_data * error):
        return SLOPE_SIGN
    if close(got, np.full_like(input_data, 2 * error)) or close(got, 2 * error):
        return MISSING_INPUT
    return None


def error_root(submission, input_data, target, weights, error):
    """USES_ERROR when the student's get_error is wrong for these inputs (asked here, compared here)."""
    return None if gives(lambda: submission.get_error(input_data, target, weights), error) else USES_ERROR


def step_mistake(submission, got, input_data, target, weights, rate, error):
    """What is wrong with a step `got`: the update's sign only when the student's get_slope is right (a slope with
    the wrong sign makes a right update look like one uphill); a known slope mistake; or the slope's root."""
    slope = 2 * input_data * error
    slope_right = gives(lambda: submission.get_slope(input_data, target, weights), slope)
    if slope_right:
        return UPDATE_SIGN if close(got, weights + rate * slope) else None
    implied = slope_mistake((weights - got) / rate, input_data, error)
    if implied is not None:
        return implied
    return error_root(submission, input_data, target, weights, error) or USES_SLOPE


def check_step(submission, input_data, target, weights, rate):
    error = float((weights * input_data).sum() - target)
    slope = 2 * input_data * error
    got = as_array(submission.gradient_descent_step(input_data, target, weights, rate), "gradient_descent_step(...)")
    want = weights - rate * slope
    if not close(got, want):
        hint = step_mistake(submission, got, input_data, target, weights, rate, error) if got.shape == want.shape else None
        fail(f"gradient_descent_step({show(input_data)}, {target:g}, {show(weights)}, {rate:g}) returned {show(got)}, "
             f"expected {show(want)}", hint)


def mse_mistake(submission, got, input_data, target, weights, error):
    """MSE_NOT_SQUARED when `got` is the mean error itself; else the root when get_error is wrong; else nothing."""
    if close(got, error) and not close(error, error ** 2):
        return MSE_NOT_SQUARED
    return error_root(submission, input_data, target, weights, error)


def cost_mistake(ws, costs, x, z):
    """MSE_NOT_MEAN when every cost is the sum of the squared errors at the student's own weights."""
    x, z = np.asarray(x, dtype=float), np.asarray(z, dtype=float)
    sums = [float(np.sum((z - w * x) ** 2)) for w in ws]
    return MSE_NOT_MEAN if len(x) > 1 and len(costs) == len(ws) and close(costs, sums, rtol=1e-6, atol=1e-9) else None


def descend(x, z, w0, rate, iterations):
    """The weights gradient descent on mean((z - w*x)^2) visits, computed here: what fit_line must return."""
    x, z, ws = np.asarray(x, dtype=float), np.asarray(z, dtype=float), [float(w0)]
    for _ in range(iterations):
        ws.append(ws[-1] - rate * float(np.mean(-2 * x * (z - ws[-1] * x))))
    return np.array(ws)


def uphill(ws, x, z, w0, rate):
    """UPDATE_SIGN when the weights are exactly the steps of gradient ascent (p + learning_rate * slope)."""
    return UPDATE_SIGN if close(ws, descend(x, z, w0, -rate, len(ws) - 1), rtol=1e-6, atol=1e-9) else None


def check_descent(ws, x, z, w0, rate, why):
    """The returned weights are the steps of gradient descent, not just numbers that look like them."""
    want = descend(x, z, w0, rate, len(ws) - 1)
    if not close(ws, want, rtol=1e-6, atol=1e-9):
        fail(f"{why}: the weights should be {show(list(want))}, but they are {show(list(ws))}", uphill(ws, x, z, w0, rate))


def read_history(value, what, iterations, steps=None):
    """`steps`: the weights gradient descent visits (computed here); a history that is exactly those without the
    starting weight gets HISTORY_LENGTH."""
    ws, costs = as_pair(value, what, "(ws, costs)")
    ws, costs = as_array(ws, f"{what}[0] (ws)"), as_array(costs, f"{what}[1] (costs)")
    if len(ws) != iterations + 1 or len(costs) != iterations + 1:
        skipped_start = steps is not None and len(ws) == iterations and close(ws, steps[1:], rtol=1e-6, atol=1e-9)
        fail(f"{what} returned {len(ws)} weights and {len(costs)} costs; with {iterations} iterations there are "
             f"{iterations + 1} of each", HISTORY_LENGTH if skipped_start else None)
    return ws, costs


@pytest.mark.points(1)
def test_error_course_example(submission):
    """get_error: inputs [1, 2, 3], weights [0, 2, 1], target 0 give the error 7"""
    error = as_number(submission.get_error(INPUT, TARGET, WEIGHTS), "get_error([1, 2, 3], 0, [0, 2, 1])")
    if not close(error, 7.0):
        fail(f"get_error returned {show(error)}, expected 7 = (0*1 + 2*2 + 1*3) - 0", SLOPE_SIGN if close(error, -7.0) else None)


@pytest.mark.points(2)
def test_slope_course_example(submission):
    """get_slope: the same example gives the slope [14, 28, 42] = 2 * input * error"""
    slope = as_array(submission.get_slope(INPUT, TARGET, WEIGHTS), "get_slope([1, 2, 3], 0, [0, 2, 1])")
    if not close(slope, [14.0, 28.0, 42.0]):
        fail(f"get_slope returned {show(slope)}, expected [14, 28, 42] = 2 * [1, 2, 3] * 7",
             slope_mistake(slope, INPUT, 7.0) or error_root(submission, INPUT, TARGET, WEIGHTS, 7.0))


@pytest.mark.points(1)
def test_mse_course_example(submission):
    """get_mse: the same example gives the mean squared error 49"""
    mse = as_number(submission.get_mse(INPUT, TARGET, WEIGHTS), "get_mse([1, 2, 3], 0, [0, 2, 1])")
    if not close(mse, 49.0):
        fail(f"get_mse returned {show(mse)}, expected 49", mse_mistake(submission, mse, INPUT, TARGET, WEIGHTS, 7.0))


@pytest.mark.points(2)
def test_gradient_descent_step_course_example(submission):
    """one step with learning rate 0.01 moves the weights to [-0.14, 1.72, 0.58]"""
    check_step(submission, INPUT, TARGET, WEIGHTS, 0.01)


@pytest.mark.points(3)
def test_fit_z_equals_2x_from_zero(submission):
    """fitting z = 2x from w = 0 with learning rate 0.05: w goes 0, 1.5, 1.875, ... towards 2"""
    x, z = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0]
    want = [0.0, 1.5, 1.875, 1.96875, 1.9921875, 1.998046875]
    ws, costs = read_history(submission.fit_line(x, z, 0.0, 0.05, 5), "fit_line(x, z, 0, 0.05, 5)", 5, want)
    if not close(ws, want):
        fail(f"the weights are {show(list(ws))}, expected {show(want)}", uphill(ws, x, z, 0.0, 0.05))
    if not close(costs[:2], [30.0, 1.875]):
        fail(f"the costs start {show(list(costs[:2]))}, expected [30, 1.875]: the cost is mean((z - w*x)^2)",
             cost_mistake(ws, costs, x, z))


@pytest.mark.points(1)
def test_learning_rates_too_large_and_too_small(submission):
    """too large a rate overshoots and diverges; too small a rate barely moves (the steps are checked one by one)"""
    x, z = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0]
    edge = as_number(submission.largest_stable_learning_rate(x), "largest_stable_learning_rate([1, 2, 3, 4])")
    if not close(edge, 1 / 7.5):
        fail(f"largest_stable_learning_rate([1, 2, 3, 4]) returned {show(edge)}, expected 1 / mean(x^2) = {1 / 7.5:.6g}")
    big, _ = read_history(submission.fit_line(x, z, 0.0, 0.2, 5), "fit_line(x, z, 0, 0.2, 5)", 5, descend(x, z, 0.0, 0.2, 5))
    check_descent(big, x, z, 0.0, 0.2, f"with learning rate 0.2 (above {1 / 7.5:.3g}) every step overshoots 2 by more "
                  "than the last, so the weights run away")
    small, _ = read_history(submission.fit_line(x, z, 0.0, 0.001, 5), "fit_line(x, z, 0, 0.001, 5)", 5,
                            descend(x, z, 0.0, 0.001, 5))
    check_descent(small, x, z, 0.0, 0.001, "with learning rate 0.001 the weight creeps up slowly from 0")


@pytest.mark.points(2)
def test_sgd_full_batch_is_gradient_descent(submission):
    """sgd with one batch of all rows takes exactly one gradient-descent step per epoch"""
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0], [0.0, 1.0]])
    y = X @ np.array([1.0, -1.0])
    weights, history = as_pair(submission.sgd(X, y, np.zeros(2), 0.05, 2, 4, 0), "sgd", "(weights, history)")
    weights, history = as_array(weights, "sgd(...)[0]", (2,)), as_array(history, "sgd(...)[1]")
    w = np.zeros(2)
    for _ in range(2):
        w = w - 0.05 * 2 * X.T @ (X @ w - y) / len(X)
    if not close(weights, w):
        fail(f"with batch_size = all 4 rows, 2 epochs, sgd returned weights {show(weights)}, expected {show(w)}")
    if len(history) != 2 or not close(history[-1], np.mean((X @ w - y) ** 2)):
        fail(f"the history should hold one mean squared error per epoch; it is {show(list(history))}")
