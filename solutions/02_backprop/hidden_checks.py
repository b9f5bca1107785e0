"""Hidden checks for exercise 02: random networks drawn from the recorded seed.

Expected values come from the reference solution in this folder; hard-coding the lecture's
numbers earns only the public checks' points.
"""

import numpy as np
import pytest

from grader.authoring import (Hint, Wrong, close, close_values, expect_close, fail, public_checks_of, read_dict, read_pair,
                              show, show_apart)

public = public_checks_of(__file__)

SWAPPED_WEIGHT_BIAS = Hint("swapped-weight-and-bias", "You swapped a weight and a bias: a neuron computes z = w * x + b, "
                           "so forward(x, w1, b1, w2, b2) must multiply x by w1 and add b1.")
FORGOT_BIAS = Hint("forgot-bias", "The bias is missing: each neuron computes z = w * input + b before the sigmoid.")
SWAPPED_X_T = Hint("swapped-input-and-target", "You used the input x where the target t belongs (or the other way round): "
                   "the signature is gradients(x, t, w1, b1, w2, b2).")
UPDATE_MUTATES = Hint("update-mutates-input", "update() changed the dict it was given. Build a new dict "
                      "(for example with a dict comprehension) and leave params and grads as they were.")
THRESHOLD_IGNORED = Hint("train-threshold-ignored", "Training must stop as soon as the error is <= threshold, "
                         "after recording that error.")


def draw_network(rng):
    params = {name: float(rng.uniform(-2.0, 2.0)) for name in ("w1", "b1", "w2", "b2")}
    return float(rng.uniform(-2.0, 2.0)), float(rng.uniform(0.05, 0.95)), params


@pytest.mark.points(2)
def test_sigmoid_random(submission, rng):
    """sigmoid() is right for random inputs, including large ones without overflow trouble"""
    for z in [*rng.uniform(-8, 8, size=5), -60.0, 60.0]:
        z, want = float(z), float(1.0 / (1.0 + np.exp(-z)))
        sign = [Wrong(public.SIGMOID_SIGN, 1 - want, atol=1e-9)] if abs(want - 0.5) > 1e-3 else []
        expect_close(submission.sigmoid(z), want, f"sigmoid({z:.4g})", atol=1e-12, wrong=sign,
                     hint=lambda got: public.rounding(got, want))


@pytest.mark.points(2)
def test_forward_random(submission, rng, reference):
    """forward() is right for random networks"""
    for _ in range(4):
        x, _, p = draw_network(rng)
        got = read_pair(submission.forward(x, p["w1"], p["b1"], p["w2"], p["b2"]), "forward(...)", ("a1", "a2"))
        want = [float(v) for v in reference.forward(x, p["w1"], p["b1"], p["w2"], p["b2"])]
        expect_close(got, want, f"forward(x={x:.4g}, w1={p['w1']:.4g}, b1={p['b1']:.4g}, w2={p['w2']:.4g}, b2={p['b2']:.4g})",
                     wrong=[(SWAPPED_WEIGHT_BIAS, reference.forward(x, p["b1"], p["w1"], p["b2"], p["w2"])),
                            (FORGOT_BIAS, reference.forward(x, p["w1"], 0.0, p["w2"], 0.0)),
                            (public.OUTPUT_NOT_ACTIVATED, [want[0], p["w2"] * want[0] + p["b2"]])],
                     hint=lambda got: public.sigmoid_root(submission, [p["w1"] * x + p["b1"], p["w2"] * want[0] + p["b2"]])
                     or public.rounding(got, want))


@pytest.mark.points(1)
def test_error_random(submission, rng, reference):
    """error() is right for random targets and outputs"""
    for _ in range(4):
        t, a2 = float(rng.uniform(0, 1)), float(rng.uniform(0, 1))
        want = float(reference.error(t, a2))
        expect_close(submission.error(t, a2), want, f"error({t:.4g}, {a2:.4g})", wrong={public.ERROR_NO_HALF: 2 * want},
                     hint=lambda got: public.rounding(got, want))


def _check_gradients(submission, rng, reference, names):
    for _ in range(4):
        x, t, p = draw_network(rng)
        got = read_dict(submission.gradients(x, t, p["w1"], p["b1"], p["w2"], p["b2"]), "gradients(...)", list(public.GRADS))
        want = reference.gradients(x, t, **p)
        a1, a2 = reference.forward(x, **p)
        for name in names:
            expect_close(got[name], float(want[name]), f"for x={x:.4g}, t={t:.4g}, w1={p['w1']:.4g}, b1={p['b1']:.4g}, "
                         f"w2={p['w2']:.4g}, b2={p['b2']:.4g}: dE/d{name}", verb="is", rtol=1e-5, atol=1e-12,
                         root=lambda: public.forward_root(submission, x, p, (a1, a2)),
                         hint=lambda value, name=name: public.gradient_mistake(name, value, float(want[name]), float(a1), float(a2), x, p["w2"])
                         or (SWAPPED_X_T if close(value, reference.gradients(t, x, **p)[name], rtol=1e-5) else None))


@pytest.mark.points(3)
def test_gradients_output_neuron_random(submission, rng, reference):
    """dE/dw2 and dE/db2 are right for random networks"""
    _check_gradients(submission, rng, reference, ("w2", "b2"))


@pytest.mark.points(3)
def test_gradients_first_neuron_random(submission, rng, reference):
    """dE/dw1 and dE/db1 (through both sigmoids) are right for random networks"""
    _check_gradients(submission, rng, reference, ("w1", "b1"))


@pytest.mark.points(3)
def test_update_random(submission, rng, reference):
    """update() takes one step against the gradient and leaves its inputs unchanged"""
    for _ in range(3):
        _, _, params = draw_network(rng)
        grads = {name: float(rng.normal(0, 0.5)) for name in params}
        rate = float(rng.uniform(0.01, 1.0))
        value, args_after = submission.call_with_args("update", dict(params), dict(grads), rate)
        expect_close(read_dict(value, f"update(params, grads, {rate:.3g})", list(params)), reference.update(params, grads, rate),
                     f"update(params={show(params)}, grads={show(grads)}, learning_rate={rate:.3g})",
                     hint=lambda got: public.update_mistake(got, params, grads, rate))
        if args_after[:2] != [params, grads]:
            fail("update() changed its params or grads argument", UPDATE_MUTATES)


@pytest.mark.points(3)
def test_train_random(submission, rng, reference):
    """train() records one error per epoch and ends at the same parameters as the reference"""
    x, t, params = draw_network(rng)
    rate, epochs = float(rng.uniform(0.1, 1.0)), int(rng.integers(3, 9))
    got_params, errors = public.read_training(submission.train(x, t, dict(params), rate, epochs), "train(...)")
    want_params, want_errors = reference.train(x, t, dict(params), rate, epochs)
    right = close(errors, want_errors) and close_values(got_params, want_params)
    root = None if right else _train_root(submission, reference, x, t, params, rate)
    if len(errors) != epochs:
        fail(f"train(..., epochs={epochs}) recorded {len(errors)} errors; with no threshold it runs every epoch", root)
    if root is None and close(errors[:-1], want_errors[1:]) and not close(errors, want_errors):
        fail("the errors are {}, expected {}".format(*show_apart(errors, want_errors)), public.TRAIN_ERROR_AFTER_UPDATE)
    expect_close(errors, want_errors, "the errors", verb="are", hint=lambda got: root or public.rounding(got, want_errors))
    expect_close(got_params, want_params, f"after {epochs} epochs the params", verb="are",
                 hint=lambda got: root or public.rounding(got, want_params))


def _train_root(submission, reference, x, t, params, rate):
    forward = [float(v) for v in reference.forward(x, **params)]
    gradients = {k: float(v) for k, v in reference.gradients(x, t, **params).items()}
    return public.train_root(submission, x, t, params, rate, forward, float(reference.error(t, forward[1])),
                             gradients, reference.update(params, gradients, rate))


@pytest.mark.points(2)
def test_train_stops_at_threshold(submission, rng, reference):
    """train() stops once the error is at or below the threshold"""
    x, t, params = draw_network(rng)
    rate = float(rng.uniform(0.5, 2.0))
    _, full = reference.train(x, t, dict(params), rate, 40)
    stop = int(rng.integers(2, 6))
    threshold = (full[stop] + full[stop - 1]) / 2 if full[stop] < full[stop - 1] else full[stop]
    want_params, want_errors = reference.train(x, t, dict(params), rate, 40, threshold=threshold)
    got_params, errors = public.read_training(submission.train(x, t, dict(params), rate, 40, threshold=threshold), "train(...)")
    right = close(errors, want_errors) and close_values(got_params, want_params)
    root = None if right else _train_root(submission, reference, x, t, params, rate)
    if len(errors) != len(want_errors):
        stopped_late = close(errors[:len(want_errors)], want_errors) and len(errors) > len(want_errors)
        fail(f"with threshold={threshold:.6g}, train recorded {len(errors)} errors; it should stop after "
             f"{len(want_errors)} (the first error <= threshold is recorded, then training stops)",
             root or (THRESHOLD_IGNORED if stopped_late else None))
    expect_close(errors, want_errors, f"with threshold={threshold:.6g}, the errors", verb="are",
                 hint=lambda got: root or public.rounding(got, want_errors))
    if not close_values(got_params, want_params):
        one_more = reference.update(want_params, reference.gradients(x, t, **want_params), rate)
        updated_once_more = root is None and close_values(got_params, one_more)
        fail("when training stops the params are {}, expected {}".format(*show_apart(got_params, want_params))
             + (": the step that reaches the threshold must not update the parameters" if updated_once_more else ""),
             root)
