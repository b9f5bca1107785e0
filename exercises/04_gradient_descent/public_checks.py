"""Public checks for exercise 04: the courses' worked examples of slopes and gradient descent.

You may read these. Hidden checks use random data, weights, learning rates and batches.
"""

import numpy as np
import pytest

from grader.authoring import (CheckFailed, Hint, Root, SubmissionFailure, as_array, as_is, close, expect_close, fail,
                              gives, matching_hint, read_pair, show, wrong_root)

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
NO_UPDATE = Hint("no-update", "Your weights never change: the new weights are weights - learning_rate * slope, "
                 "and that is what the step keeps (and returns).")
UPDATE_ORDER = Hint("update-order", "The step is weights - learning_rate * slope, in that order: "
                    "learning_rate * slope - weights flips the sign of the weights.")
UPDATE_WITHOUT_RATE = Hint("update-without-learning-rate", "Scale the slope by the learning rate: "
                           "weights - learning_rate * slope, not weights - slope.")
UPDATE_WITHOUT_SLOPE = Hint("update-without-slope", "Step by the learning rate times the slope: "
                            "weights - learning_rate * slope, not weights - learning_rate.")
GRADIENT_NOT_MEAN = Hint("gradient-not-mean", "The cost is a mean over the data points, so its slope is a mean too: "
                         "np.mean(-2 * x * (z - w * x)) in fit_line, 2 * X[batch].T @ error / len(batch) in sgd, not a sum.")
RESIDUAL = Hint("fit-line-residual", "Each point's error is its target minus the prediction, z - w * x: the cost is "
                "mean((z - w * x) ** 2) and its slope mean(-2 * x * (z - w * x)).")
FIT_ITERATIONS = Hint("fit-line-iterations", "Take exactly `iterations` steps (for _ in range(iterations)): ws holds "
                      "the starting weight and the weight after each step, iterations + 1 values, and costs one cost for each.")
FIT_RECORD = Hint("fit-line-record-each-step", "Record every step: inside the loop, append the new weight to ws "
                  "and its cost to costs.")
FIT_DEFAULTS = Hint("fit-line-defaults", "Keep the exercise's defaults: def fit_line(x, z, w0=0.0, learning_rate=0.1, "
                    "iterations=10).")
EDGE_INVERTED = Hint("edge-not-inverted", "The largest stable learning rate is the inverse of the mean square, "
                     "1 / mean(x^2), not mean(x^2) itself.")
EDGE_FACTOR = Hint("edge-factor", "The largest stable learning rate is exactly 1 / mean(x^2): the slope of the cost is "
                   "2 * mean(x^2) * (w - best w), so a step overshoots by more than it corrects once "
                   "learning_rate * 2 * mean(x^2) > 2.")
EDGE_SUM = Hint("edge-mean-not-sum", "The largest stable learning rate uses the mean of x^2 over the data points, "
                "1 / mean(x^2), not their sum.")
EDGE_NOT_SQUARED = Hint("edge-not-squared", "Square x before taking the mean: 1 / np.mean(x ** 2).")
SGD_SEED = Hint("sgd-default-seed", "Keep the exercise's default seed: def sgd(input_data, targets, weights, "
                "learning_rate, epochs, batch_size, seed=0).")
SGD_EPOCHS = Hint("sgd-epochs", "Make exactly `epochs` passes over the data (for epoch in range(epochs)), recording "
                  "one error after each.")
SGD_BATCHES = Hint("sgd-batches", "Every row is in exactly one batch per epoch: for start in range(0, len(X), "
                   "batch_size): batch = order[start:start + batch_size] (the last batch may be shorter).")
SGD_ERROR = Hint("sgd-error", "A batch's error is its predictions minus its targets: X[batch] @ w - y[batch].")
SGD_HISTORY = Hint("sgd-history-per-epoch", "Record the error once at the end of every epoch: "
                   "history.append(np.mean((X @ w - y) ** 2)).")
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
    return wrong_root(Root(USES_ERROR, lambda: submission.get_error(input_data, target, weights), error))


def step_mistake(submission, got, input_data, target, weights, rate, error):
    """What is wrong with a step `got`: the update's sign only when the student's get_slope is right (a slope with
    the wrong sign makes a right update look like one uphill); a known slope mistake; or the slope's root."""
    slope = 2 * input_data * error
    slope_right = gives(lambda: submission.get_slope(input_data, target, weights), slope)
    if slope_right:
        hint = update_mistake(got, weights, rate, slope)
        if hint is NO_UPDATE and not gives(lambda: submission.gradient_descent_step(input_data, target + 1.0, weights, rate),
                                           weights):
            return None      # it moves for another target: the step is there, something made its slope 0 here
        return hint
    implied = slope_mistake((weights - got) / rate, input_data, error)
    if implied is not None:
        return implied
    return error_root(submission, input_data, target, weights, error) or USES_SLOPE


# How known mistakes update the weights (w: the weights, r: the learning rate, g: the slope).
UPDATES = {"right": lambda w, r, g: w - r * g, "uphill": lambda w, r, g: w + r * g, "none": lambda w, r, g: w,
           "order": lambda w, r, g: r * g - w, "no rate": lambda w, r, g: w - g, "no slope": lambda w, r, g: w - r}
UPDATE_MISTAKES = [(UPDATE_SIGN, "uphill"), (NO_UPDATE, "none"), (UPDATE_ORDER, "order"),
                   (UPDATE_WITHOUT_RATE, "no rate"), (UPDATE_WITHOUT_SLOPE, "no slope")]


def only(hints):
    """The one hint all the matching mistakes name; none when mistakes with different hints match alike."""
    found = set(hints)
    return found.pop() if len(found) == 1 else None


def update_mistake(got, weights, rate, slope):
    """The known update mistake that turns these weights into `got`, given the right slope."""
    return matching_hint(got, [(hint, UPDATES[update](weights, rate, slope)) for hint, update in UPDATE_MISTAKES])


def check_step(submission, input_data, target, weights, rate):
    error = float((weights * input_data).sum() - target)
    slope = 2 * input_data * error
    want = weights - rate * slope
    expect_close(submission.gradient_descent_step(input_data, target, weights, rate), want,
                 f"gradient_descent_step({show(input_data)}, {target:g}, {show(weights)}, {rate:g})",
                 hint=lambda got: step_mistake(submission, got, input_data, target, weights, rate, error)
                 if got.shape == want.shape else None)


def mse_mistake(submission, got, input_data, target, weights, error):
    """MSE_NOT_SQUARED when `got` is the mean error itself; else the root when get_error is wrong; else nothing."""
    if (close(got, error) and not close(error, error ** 2)) or (close(got, 2 * error) and not close(2 * error, error ** 2)):
        return MSE_NOT_SQUARED
    return error_root(submission, input_data, target, weights, error)


# fit_line's cost at a weight w, right and as known mistakes compute it: the residuals r = z - w*x, then a cost of them.
RESIDUALS = {"right": lambda x, z, w: z - w * x, "plus": lambda x, z, w: z + w * x, "without x": lambda x, z, w: z - w,
             "without w": lambda x, z, w: z - x, "target only": lambda x, z, w: z + 0 * x}
COSTS = {"right": lambda r: np.mean(r ** 2), "sum": lambda r: np.sum(r ** 2), "not squared": lambda r: np.mean(r),
         "doubled": lambda r: np.mean(r * 2)}
COST_MISTAKES = [(MSE_NOT_MEAN, {"cost": "sum"}), (MSE_NOT_SQUARED, {"cost": "not squared"}),
                 (MSE_NOT_SQUARED, {"cost": "doubled"})] + [(RESIDUAL, {"residual": residual}) for residual in RESIDUALS
                                                            if residual != "right"]


def cost_of(x, z, w, cost="right", residual="right"):
    x, z = np.asarray(x, dtype=float), np.asarray(z, dtype=float)
    with np.errstate(all="ignore"):
        return float(COSTS[cost](RESIDUALS[residual](x, z, w)))


def cost_mistake(ws, costs, x, z):
    """The known mistake whose cost formula gives every wrong cost (at the student's own weights, checked right
    before this is asked); the other costs are right."""
    if len(costs) != len(ws) or len(np.asarray(x)) < 2:
        return None
    wrong = [k for k, w in enumerate(ws) if not close(costs[k], cost_of(x, z, w), rtol=1e-6, atol=1e-9)]
    return only(hint for hint, mistake in COST_MISTAKES
                if wrong and all(close(costs[k], cost_of(x, z, ws[k], **mistake), rtol=1e-6, atol=1e-9) for k in wrong))


# fit_line's slope at a weight w, right and as known mistakes compute it.
GRADIENTS = {"right": lambda x, z, w: np.mean(-2 * x * (z - w * x)), "no factor 2": lambda x, z, w: np.mean(-x * (z - w * x)),
             "no input": lambda x, z, w: np.mean(-2 * (z - w * x)), "sum": lambda x, z, w: np.sum(-2 * x * (z - w * x)),
             **{residual: (lambda x, z, w, r=r: np.mean(-2 * x * r(x, z, w))) for residual, r in RESIDUALS.items()
                if residual != "right"}}
DESCENT_MISTAKES = [(hint, {"update": update}) for hint, update in UPDATE_MISTAKES] + [
    (MISSING_TWO, {"gradient": "no factor 2"}), (MISSING_INPUT, {"gradient": "no input"}),
    (GRADIENT_NOT_MEAN, {"gradient": "sum"})] + [(RESIDUAL, {"gradient": residual}) for residual in RESIDUALS
                                                 if residual != "right"]


def descend(x, z, w0, rate, iterations, gradient="right", update="right"):
    """The weights gradient descent on mean((z - w*x)^2) visits, computed here: what fit_line must return (the
    keywords: how a known mistake computes the slope or the update instead)."""
    x, z, ws = np.asarray(x, dtype=float), np.asarray(z, dtype=float), [float(w0)]
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            ws.append(float(UPDATES[update](ws[-1], rate, float(GRADIENTS[gradient](x, z, ws[-1])))))
    return np.array(ws)


def descent_mistake(ws, x, z, w0, rate):
    """The known mistake whose steps are exactly these weights (from w0 with this learning rate)."""
    return matching_hint(ws, [(hint, descend(x, z, w0, rate, len(ws) - 1, **mistake)) for hint, mistake in DESCENT_MISTAKES])


def check_descent(ws, x, z, w0, rate, why):
    """The returned weights are the steps of gradient descent, not just numbers that look like them."""
    expect_close(ws, descend(x, z, w0, rate, len(ws) - 1), f"{why}: the weights", verb="are",
                 hint=lambda got: descent_mistake(got, x, z, w0, rate))


def history_mistake(ws, costs, iterations, descent):
    """What is wrong with a history of the wrong length, where `descent` = (x, z, w0, learning_rate) of the call:
    the steps without the starting weight, one step too few or too many, or weights or costs never appended."""
    x, z, w0, rate = descent
    steps = descend(x, z, w0, rate, iterations + 1)      # one step more than asked
    right = np.array([cost_of(x, z, w) for w in steps])
    n = iterations + 1

    def visits(values, count):
        return len(values) == count and close(values, steps[:count], rtol=1e-6, atol=1e-9)

    def costs_at(values, count):
        return len(values) == count and close(values, right[:count], rtol=1e-6, atol=1e-9)

    if len(ws) == iterations and close(ws, steps[1:n], rtol=1e-6, atol=1e-9):
        return HISTORY_LENGTH
    if len(ws) in (n - 1, n + 1) and visits(ws, len(ws)) and costs_at(costs, len(ws)):
        return FIT_ITERATIONS
    if (visits(ws, 1) and costs_at(costs, n)) or (visits(ws, n) and costs_at(costs, 1)):
        return FIT_RECORD
    return None


def read_history(value, what, iterations, descent=None):
    """`descent`: (x, z, w0, learning_rate) of the call, to name a known mistake when the lengths are wrong."""
    ws, costs = read_pair(value, what, ("ws", "costs"), read=as_array)
    if len(ws) != iterations + 1 or len(costs) != iterations + 1:
        fail(f"{what} returned {len(ws)} weights and {len(costs)} costs; with {iterations} iterations there are "
             f"{iterations + 1} of each", history_mistake(ws, costs, iterations, descent) if descent else None)
    return ws, costs


def defaults_mistake(value, x, z):
    """FIT_DEFAULTS when fit_line(x, z), its defaults left out, gives exactly the steps and costs of gradient descent
    from another start, with another learning rate or for another number of steps (its loop was checked right
    with all arguments given)."""
    try:
        ws, costs = read_pair(value, "fit_line", ("ws", "costs"), read=as_array)
    except CheckFailed:
        return None
    if ws.ndim != 1 or costs.ndim != 1 or len(ws) < 2 or len(costs) != len(ws):
        return None
    slope = float(GRADIENTS["right"](np.asarray(x, dtype=float), np.asarray(z, dtype=float), ws[0]))
    if slope == 0 or not np.all(np.isfinite(ws)):
        return None
    rate = (ws[0] - ws[1]) / slope
    steps_right = close(ws, descend(x, z, ws[0], rate, len(ws) - 1), rtol=1e-6, atol=1e-9)
    costs_right = close(costs, [cost_of(x, z, w) for w in ws], rtol=1e-6, atol=1e-9)
    defaults = len(ws) == 11 and close(ws[0], 0.0) and close(rate, 0.1)
    return FIT_DEFAULTS if steps_right and costs_right and not defaults else None


# largest_stable_learning_rate(x) as known mistakes compute it.
EDGE_MISTAKES = [(EDGE_INVERTED, lambda x: np.mean(x ** 2)), (EDGE_FACTOR, lambda x: 2 / np.mean(x ** 2)),
                 (EDGE_FACTOR, lambda x: 0.5 / np.mean(x ** 2)), (EDGE_SUM, lambda x: 1 / np.sum(x ** 2)),
                 (EDGE_NOT_SQUARED, lambda x: 1 / np.mean(x)), (EDGE_NOT_SQUARED, lambda x: 1 / np.mean(2 * x))]


def edge_mistake(edge, x):
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        return matching_hint(edge, [(hint, float(formula(x))) for hint, formula in EDGE_MISTAKES])


def sgd_steps(X, y, weights, learning_rate, epochs, batch_size, seed, *, update="right", slope="right",
              batches="right", error="right", history="right", extra_epochs=0):
    """The README's stochastic gradient descent, computed here: (weights, history). The keywords are known mistakes:
    the update, the batch's slope or error, the batches, the recorded error or the number of epochs computed
    another way."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w = np.asarray(weights, dtype=float).copy()
    rng = np.random.default_rng(seed)
    recorded = []
    with np.errstate(all="ignore"):
        for _ in range(epochs + extra_epochs):
            order = rng.permutation(len(X))
            first, end = (1, len(X)) if batches == "from 1" else (0, len(X) - 1) if batches == "not the last row" else (0, len(X))
            for start in range(first, end, batch_size):
                batch = order[start:] if batches == "to the end" else order[start:start + batch_size]
                e = {"right": X[batch] @ w - y[batch], "plus": X[batch] @ w + y[batch], "no target": X[batch] @ w}[error]
                g = {"right": 2 * X[batch].T @ e / len(batch), "no factor 2": X[batch].T @ e / len(batch),
                     "sum": 2 * X[batch].T @ e}[slope]
                w = UPDATES[update](w, learning_rate, g)
            r = X @ w - y
            recorded.append(float({"right": np.mean(r ** 2), "sum": np.sum(r ** 2), "not squared": np.mean(r),
                                   "doubled": np.mean(r * 2)}[history]))
    return w, recorded


SGD_MISTAKES = [(hint, {"update": update}) for hint, update in UPDATE_MISTAKES] + [
    (MISSING_TWO, {"slope": "no factor 2"}), (GRADIENT_NOT_MEAN, {"slope": "sum"}),
    (SGD_BATCHES, {"batches": "from 1"}), (SGD_BATCHES, {"batches": "to the end"}), (SGD_BATCHES, {"batches": "not the last row"}),
    (SGD_ERROR, {"error": "plus"}), (SGD_ERROR, {"error": "no target"}),
    (SGD_EPOCHS, {"extra_epochs": -1}), (SGD_EPOCHS, {"extra_epochs": 1})]
HISTORY_MISTAKES = [(MSE_NOT_MEAN, {"history": "sum"}), (MSE_NOT_SQUARED, {"history": "not squared"}),
                    (MSE_NOT_SQUARED, {"history": "doubled"})]


def sgd_mistake(submission, weights, history, X, y, w0, learning_rate, epochs, batch_size, seed):
    """The known mistake whose sgd returns these weights (and, when the weights are right, this history). Where
    mistakes with different hints give these weights (from zeros, a batch error without its targets never moves
    the weights either), the submission is asked again from other starting weights to tell them apart."""
    call = (X, y, w0, learning_rate, epochs, batch_size, seed)
    weights, history = np.asarray(weights, dtype=float), np.asarray(history, dtype=float)
    right, _ = sgd_steps(*call)
    if close(weights, right, rtol=1e-6, atol=1e-9):
        if history.size == 0 and epochs > 0:
            return SGD_HISTORY
        return only(hint for hint, mistake in HISTORY_MISTAKES
                    if close(history, sgd_steps(*call, **mistake)[1], rtol=1e-6, atol=1e-9))
    matching = [(hint, mistake) for hint, mistake in SGD_MISTAKES
                if close(weights, sgd_steps(*call, **mistake)[0], rtol=1e-6, atol=1e-9)]
    if len({hint for hint, _ in matching}) > 1:
        other = np.asarray(w0, dtype=float) + 1.0
        try:
            again, _ = read_pair(submission.sgd(X, y, other, learning_rate, epochs, batch_size, seed), "sgd(...)",
                                 ("weights", "history"), read=(as_array, as_is))
        except (CheckFailed, SubmissionFailure):
            return None
        call = (X, y, other, learning_rate, epochs, batch_size, seed)
        matching = [(hint, mistake) for hint, mistake in matching
                    if close(again, sgd_steps(*call, **mistake)[0], rtol=1e-6, atol=1e-9)]
    return only(hint for hint, _ in matching)


@pytest.mark.points(1)
def test_error_course_example(submission):
    """get_error: inputs [1, 2, 3], weights [0, 2, 1], target 0 give the error 7"""
    expect_close(submission.get_error(INPUT, TARGET, WEIGHTS), 7.0, "get_error([1, 2, 3], 0, [0, 2, 1])",
                 note=" = (0*1 + 2*2 + 1*3) - 0", wrong={SLOPE_SIGN: -7.0})


@pytest.mark.points(2)
def test_slope_course_example(submission):
    """get_slope: the same example gives the slope [14, 28, 42] = 2 * input * error"""
    expect_close(submission.get_slope(INPUT, TARGET, WEIGHTS), np.array([14.0, 28.0, 42.0]), "get_slope([1, 2, 3], 0, [0, 2, 1])",
                 note=" = 2 * [1, 2, 3] * 7",
                 hint=lambda got: slope_mistake(got, INPUT, 7.0) or error_root(submission, INPUT, TARGET, WEIGHTS, 7.0))


@pytest.mark.points(1)
def test_mse_course_example(submission):
    """get_mse: the same example gives the mean squared error 49"""
    expect_close(submission.get_mse(INPUT, TARGET, WEIGHTS), 49.0, "get_mse([1, 2, 3], 0, [0, 2, 1])",
                 hint=lambda got: mse_mistake(submission, got, INPUT, TARGET, WEIGHTS, 7.0))


@pytest.mark.points(2)
def test_gradient_descent_step_course_example(submission):
    """one step with learning rate 0.01 moves the weights to [-0.14, 1.72, 0.58]"""
    check_step(submission, INPUT, TARGET, WEIGHTS, 0.01)


@pytest.mark.points(3)
def test_fit_z_equals_2x_from_zero(submission):
    """fitting z = 2x from w = 0 with learning rate 0.05: w goes 0, 1.5, 1.875, ... towards 2"""
    x, z = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0]
    ws, costs = read_history(submission.fit_line(x, z, 0.0, 0.05, 5), "fit_line(x, z, 0, 0.05, 5)", 5, (x, z, 0.0, 0.05))
    expect_close(ws, [0.0, 1.5, 1.875, 1.96875, 1.9921875, 1.998046875], "the weights", verb="are",
                 hint=lambda got: descent_mistake(got, x, z, 0.0, 0.05))
    expect_close(costs[:2], [30.0, 1.875], "the costs", verb="start", note=": the cost is mean((z - w*x)^2)",
                 hint=lambda _: cost_mistake(ws, costs, x, z))


@pytest.mark.points(1)
def test_learning_rates_too_large_and_too_small(submission):
    """too large a rate overshoots and diverges; too small a rate barely moves (the steps are checked one by one)"""
    x, z = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0]
    expect_close(submission.largest_stable_learning_rate(x), 1 / 7.5, "largest_stable_learning_rate([1, 2, 3, 4])",
                 note=" = 1 / mean(x^2)", hint=lambda got: edge_mistake(got, x))
    big, _ = read_history(submission.fit_line(x, z, 0.0, 0.2, 5), "fit_line(x, z, 0, 0.2, 5)", 5, (x, z, 0.0, 0.2))
    check_descent(big, x, z, 0.0, 0.2, f"with learning rate 0.2 (above {1 / 7.5:.3g}) every step overshoots 2 by more "
                  "than the last, so the weights run away")
    small, _ = read_history(submission.fit_line(x, z, 0.0, 0.001, 5), "fit_line(x, z, 0, 0.001, 5)", 5, (x, z, 0.0, 0.001))
    check_descent(small, x, z, 0.0, 0.001, "with learning rate 0.001 the weight creeps up slowly from 0")


def read_sgd(value, features):
    """sgd's (weights, history): the weights one per feature."""
    return read_pair(value, "sgd(...)", ("weights", "history"), read=(lambda v, what: as_array(v, what, (features,)), as_array))


@pytest.mark.points(2)
def test_sgd_full_batch_is_gradient_descent(submission):
    """sgd with one batch of all rows takes exactly one gradient-descent step per epoch"""
    X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0], [0.0, 1.0]])
    y = X @ np.array([1.0, -1.0])
    weights, history = read_sgd(submission.sgd(X, y, np.zeros(2), 0.05, 2, 4, 0), 2)
    w = np.zeros(2)
    for _ in range(2):
        w = w - 0.05 * 2 * X.T @ (X @ w - y) / len(X)
    expect_close(weights, w, "with batch_size = all 4 rows, 2 epochs, sgd", verb="returned weights",
                 hint=lambda got: sgd_mistake(submission, got, history, X, y, np.zeros(2), 0.05, 2, 4, 0))
    if len(history) != 2 or not close(history[-1], np.mean((X @ w - y) ** 2)):
        fail(f"the history should hold one mean squared error per epoch; it is {show(list(history))}",
             sgd_mistake(submission, weights, history, X, y, np.zeros(2), 0.05, 2, 4, 0))
