"""Hidden checks for exercise 04: random data, weights, learning rates, batches and seeds."""

import numpy as np
import pytest

from grader.authoring import (CheckFailed, close, compared, expect_close, fail, public_checks_of, show, when_raised)

public = public_checks_of(__file__)


def random_examples(rng):
    """(input_data, target, weights, error) for two sizes: each of the three checks draws its own."""
    for size in (2, 4):
        input_data = np.round(rng.uniform(-3, 3, size), 2)
        weights = np.round(rng.uniform(-2, 2, size), 2)
        target = float(np.round(rng.uniform(-5, 5), 2))
        yield input_data, target, weights, float((weights * input_data).sum() - target)


@pytest.mark.points(1)
def test_error_random(submission, rng):
    """get_error for random inputs, weights and targets"""
    for input_data, target, weights, error in random_examples(rng):
        expect_close(submission.get_error(input_data, target, weights), error,
                     f"get_error({show(input_data)}, {target:g}, {show(weights)})", wrong={public.SLOPE_SIGN: -error})


@pytest.mark.points(2)
def test_slope_random(submission, rng):
    """get_slope for random inputs, weights and targets"""
    for input_data, target, weights, error in random_examples(rng):
        expect_close(submission.get_slope(input_data, target, weights), 2 * input_data * error,
                     f"get_slope({show(input_data)}, {target:g}, {show(weights)})",
                     hint=lambda got: public.slope_mistake(got, input_data, error)
                     or public.error_root(submission, input_data, target, weights, error))


@pytest.mark.points(1)
def test_mse_random(submission, rng):
    """get_mse for random inputs, weights and targets"""
    for input_data, target, weights, error in random_examples(rng):
        expect_close(submission.get_mse(input_data, target, weights), error ** 2,
                     f"get_mse({show(input_data)}, {target:g}, {show(weights)})",
                     hint=lambda got: public.mse_mistake(submission, got, input_data, target, weights, error))


@pytest.mark.points(2)
def test_gradient_descent_step_random(submission, rng):
    """gradient_descent_step for random data and learning rates"""
    for _ in range(3):
        size = int(rng.integers(2, 5))
        public.check_step(submission, np.round(rng.uniform(-3, 3, size), 2), float(np.round(rng.uniform(-4, 4), 2)),
                          np.round(rng.uniform(-2, 2, size), 2), float(np.round(rng.uniform(0.001, 0.05), 4)))


@pytest.mark.points(3)
def test_fit_line_random_data(submission, rng, reference):
    """fit_line follows the same weights and costs as the reference on random data"""
    slope_true = 1.0
    while abs(slope_true - 1.0) < 0.05:   # z = x makes the slope's error z - x zero: that mistake would never move w
        slope_true = float(np.round(rng.uniform(-3, 3), 2))
    x = np.round(rng.uniform(-2, 2, int(rng.integers(5, 12))), 2)
    z = slope_true * x
    edge = 1 / np.mean(x ** 2)
    rate, w0, iterations = float(edge * rng.uniform(0.1, 0.9)), float(np.round(rng.uniform(-2, 2), 2)), int(rng.integers(3, 9))
    want_ws, want_costs = reference.fit_line(x, z, w0, rate, iterations)
    ws, costs = public.read_history(submission.fit_line(list(x), list(z), w0, rate, iterations), "fit_line(...)", iterations,
                                    (x, z, w0, rate))
    expect_close(ws, want_ws, f"fit_line on random data (true slope {slope_true}, w0={w0}, rate={rate:.4g})",
                 verb="gave weights", hint=lambda got: public.descent_mistake(got, x, z, w0, rate))
    expect_close(costs, want_costs, "the costs", verb="are", hint=lambda _: public.cost_mistake(ws, costs, x, z))
    # The documented defaults: w0=0.0, learning_rate=0.1, iterations=10 (|x| <= 2, so 0.1 is below the edge).
    # Its loop is right (checked above), so a difference here is a default: the hint says so only when the steps
    # are those of gradient descent with another start, rate or number of steps.
    want_ws, want_costs = reference.fit_line(x, z)
    value = submission.fit_line(list(x), list(z))
    try:
        ws, costs = public.read_history(value, "fit_line(x, z) with its defaults", 10)
        if not close(ws, want_ws, rtol=1e-6, atol=1e-9) or not close(costs, want_costs, rtol=1e-6, atol=1e-9):
            fail(f"fit_line(x, z) without w0, learning_rate and iterations gave weights "
                 f"{compared(list(ws), want_ws)}: the defaults are w0=0.0, learning_rate=0.1, iterations=10")
    except CheckFailed as failure:
        failure.hint = public.defaults_mistake(value, x, z)
        raise


@pytest.mark.points(2)
def test_learning_rate_edge_random(submission, rng):
    """largest_stable_learning_rate is 1 / mean(x^2), and fit_line diverges just above it"""
    x = np.round(rng.uniform(0.5, 3, 6), 2)
    expect_close(submission.largest_stable_learning_rate(list(x)), float(1 / np.mean(x ** 2)),
                 f"largest_stable_learning_rate({show(x)})", hint=lambda got: public.edge_mistake(got, x))
    rate = float(1.2 / np.mean(x ** 2))
    ws, _ = public.read_history(submission.fit_line(list(x), list(2 * x), 0.0, rate, 6), "fit_line(...)", 6,
                                (x, 2 * x, 0.0, rate))
    public.check_descent(ws, x, 2 * x, 0.0, rate, f"with a learning rate of {rate:.4g}, just above the edge, "
                         "the weights run away from 2")


@pytest.mark.points(5)
def test_sgd_random_batches_and_seed(submission, rng, reference):
    """sgd shuffles with the seed, updates once per mini-batch, and records one error per epoch"""
    batch, epochs, seed, rate = int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(0, 1000)), 0.05
    features = int(rng.integers(2, 4))
    rows = batch * int(rng.integers(3, 6)) + 1      # the last batch of every epoch is one row: it must be used too
    X = np.round(rng.normal(0, 1, (rows, features)), 3)
    y = X @ np.round(rng.normal(0, 1, features), 2)
    weights, history = public.read_sgd(submission.sgd(X, y, np.zeros(features), rate, epochs, batch, seed), features)
    want_weights, want_history = reference.sgd(X, y, np.zeros(features), rate, epochs, batch, seed)

    def mistake():
        return public.sgd_mistake(submission, weights, history, X, y, np.zeros(features), rate, epochs, batch, seed)

    if len(history) != epochs:
        fail(f"sgd ran {epochs} epochs but recorded {len(history)} errors; record one per epoch", mistake())
    if not close(weights, want_weights, rtol=1e-6, atol=1e-9):
        full_batch, _ = reference.sgd(X, y, np.zeros(features), rate, epochs, rows, seed)
        extra = " (that is plain gradient descent: one update per batch of batch_size rows)" if close(weights, full_batch) else ""
        fail(f"sgd({rows} rows, batch_size={batch}, epochs={epochs}, seed={seed}) returned weights "
             f"{compared(weights, want_weights)}{extra}; shuffle with rng = np.random.default_rng(seed) and "
             "rng.permutation(n) at the start of every epoch", mistake())
    expect_close(history, want_history, "the errors per epoch", verb="are", hint=lambda _: mistake())
    # The documented default seed=0. Everything else was right with the seed given, so a difference is the default.
    with when_raised(public.SGD_SEED, replace=True):
        value = submission.sgd(X, y, np.zeros(features), rate, epochs, batch)
    weights, _ = public.read_sgd(value, features)
    expect_close(weights, reference.sgd(X, y, np.zeros(features), rate, epochs, batch, 0)[0], "sgd(...) without a seed",
                 verb="returned weights", note=": the default is seed=0", hint=public.SGD_SEED)


@pytest.mark.points(2)
def test_sgd_learns(submission, rng, reference):
    """on noiseless linear data, the weights sgd returns have a far smaller error than the starting weights"""
    X = rng.normal(0, 1, (30, 3))
    y = X @ np.array([0.5, -1.0, 2.0])
    weights, history = public.read_sgd(submission.sgd(X, y, np.zeros(3), 0.05, 6, 5, 1), 3)
    # Measured here, from the returned weights: the history is the submission's own report.
    before, after = float(np.mean(y ** 2)), float(np.mean((X @ weights - y) ** 2))
    if not after < 0.5 * before:
        fail(f"after 6 epochs the weights {show(weights)} have a mean squared error of {after:.4g} on the data; "
             f"the starting weights (zeros) have {before:.4g}: sgd should bring it far down",
             public.sgd_mistake(submission, weights, history, X, y, np.zeros(3), 0.05, 6, 5, 1))
    if len(history) != 6 or not close(history[-1], after, rtol=1e-6, atol=1e-9):
        fail(f"the history {show(list(history))} should end with the error of the weights sgd returned, {after:.6g}: "
             "record np.mean((X @ w - y) ** 2) at the end of every epoch",
             public.sgd_mistake(submission, weights, history, X, y, np.zeros(3), 0.05, 6, 5, 1))
