"""Hidden checks for exercise 03: random inputs, matrices, large values and longer chains."""

import numpy as np
import pytest

from grader.authoring import close, expect_close, fail, gives, public_checks_of, show

public = public_checks_of(__file__)


def values(rng, size=8, scale=4.0):
    return np.round(rng.normal(0, scale, size=size), 4)


@pytest.mark.points(1)
def test_step_and_linear_random(submission, rng):
    """binary_step, linear and linear_derivative on random arrays (with 0 and values either side of it)"""
    z = np.append(values(rng), [0.0, -0.5, 0.5, -2.0, 2.0])
    public.expect(submission, "binary_step", z, (z >= 0).astype(float), hint_for=lambda got: public.step_mistake(z, got))
    public.expect(submission, "linear", z, z)
    public.expect(submission, "linear_derivative", z, np.ones_like(z), hint_for=public.linear_derivative_mistake)


@pytest.mark.points(2)
def test_sigmoid_random(submission, rng, reference):
    """sigmoid and sigmoid_derivative on random arrays and matrices"""
    for z in (values(rng), values(rng, (3, 4))):
        public.expect(submission, "sigmoid", z, reference.sigmoid(z), wrong={public.SIGMOID_SIGN: reference.sigmoid(-z)})
        public.expect(submission, "sigmoid_derivative", z, reference.sigmoid_derivative(z),
                      wrong={public.DERIVATIVE_OF_ACTIVATED: z * (1 - z)})


@pytest.mark.points(2)
def test_tanh_random(submission, rng, reference):
    """tanh and tanh_derivative on random arrays"""
    z = values(rng)
    public.expect(submission, "tanh", z, reference.tanh(z))
    public.expect(submission, "tanh_derivative", z, reference.tanh_derivative(z),
                  hint_for=lambda got: public.tanh_derivative_mistake(z, got))


@pytest.mark.points(2)
def test_relu_random(submission, rng):
    """relu and relu_derivative on random arrays (either 0 or 1 is accepted at exactly 0)"""
    z = np.append(values(rng), [-2.5, -0.5, 0.5, 0.0])
    public.expect(submission, "relu", z, np.maximum(z, 0), hint_for=lambda got: public.relu_mistake(z, got))
    got = public.call_array(submission, "relu_derivative", z)
    if got.shape != z.shape:
        fail(f"relu_derivative returned shape {got.shape}; expected {z.shape}")
    nonzero = z != 0
    if not close(got[nonzero], (z[nonzero] > 0).astype(float)) or got[-1] not in (0.0, 1.0):
        fail(f"relu_derivative({show(z)}) returned {show(got)}", public.relu_derivative_mistake(z, got))


@pytest.mark.points(2)
def test_leaky_relu_random_alpha(submission, rng):
    """leaky_relu and its derivative honour the alpha they are given"""
    z, alpha = np.append(values(rng), [-2.0, -0.5, 0.5, 2.0]), float(np.round(rng.uniform(0.05, 0.3), 3))
    for name, want in (("leaky_relu", np.where(z > 0, z, alpha * z)), ("leaky_relu_derivative", np.where(z > 0, 1.0, alpha))):
        public.expect(submission, name, z, want, alpha,
                      hint_for=lambda got, name=name: public.leaky_mistake(submission, name, z, got, alpha, default=False))


@pytest.mark.points(4)
def test_softmax_random_matrices_and_huge_values(submission, rng):
    """softmax is right row by row for random matrices, including rows of values near ±1000"""
    vector = values(rng, 6)
    shifted = np.exp(vector - vector.max())
    public.expect(submission, "softmax", vector, shifted / shifted.sum(), hint_for=lambda got: public.softmax_mistake(vector, got))
    public.check_softmax_rows(submission, values(rng, (4, 5)))
    # Rows near ±1000 and 500, and one spanning more than 709 (e^(z - min(z)) overflows there).
    huge = values(rng, (4, 4), 3.0) + np.array([[1000.0], [-1000.0], [500.0], [0.0]])
    huge[3] += np.array([-400.0, 0.0, 400.0, 10.0])
    public.check_softmax_rows(submission, huge)


@pytest.mark.points(3)
def test_first_layer_gradient_random_chains(submission, rng, reference):
    """first_layer_gradient is right for random chains of sigmoid, tanh and ReLU neurons"""
    chains = []
    for activation in ("sigmoid", "tanh", "relu"):
        n = int(rng.integers(2, 7))
        weights = [float(w) for w in np.round(rng.uniform(0.2, 1.5, n), 3)]
        biases = [float(b) for b in np.round(rng.uniform(0.05, 0.5, n), 3)]
        x = float(np.round(rng.uniform(0.2, 2.0), 3))
        chains.append((x, weights, biases, activation))
    # Then chains of three neurons whose weighted sums (0.6, 0.5, 0.7 with ReLU) lie between 0 and 1: an odd length
    # shows a derivative of the wrong sign, and sums below 1 a ReLU slope that switches at 1 instead of 0.
    chains += [(0.5, [1.0, 0.5, 2.0], [0.1, 0.2, -0.3], activation) for activation in ("sigmoid", "tanh", "relu")]
    for x, weights, biases, activation in chains:
        expect_close(submission.first_layer_gradient(x, weights, biases, activation),
                     reference.first_layer_gradient(x, weights, biases, activation),
                     f"first_layer_gradient(x={x}, weights={weights}, biases={biases}, '{activation}')", atol=1e-15,
                     hint=lambda got: public.chain_mistake(got, x, weights, biases, activation, submission))
    x, weights, biases, _ = chains[2]
    # The documented default: activation="sigmoid".
    want = reference.first_layer_gradient(x, weights, biases, "sigmoid")
    expect_close(submission.first_layer_gradient(x, weights, biases), want,
                 f"first_layer_gradient(x={x}, weights={weights}, biases={biases}) without an activation", atol=1e-15,
                 note=": the default is activation='sigmoid'",
                 hint=lambda _: public.DEFAULT_ACTIVATION if gives(lambda: submission.first_layer_gradient(
                     x, weights, biases, "sigmoid"), want, rtol=1e-6, atol=1e-15) else None)


@pytest.mark.points(2)
def test_sigmoid_gradient_shrinks_like_a_quarter_per_layer(submission, rng):
    """through n sigmoid neurons with weights 1 the gradient is the product of their slopes, at most 0.25^n"""
    for n in (3, 6, 10):
        weights = [1.0] * n
        biases = [float(b) for b in np.round(rng.uniform(-0.5, 0.5, n), 3)]
        expect_close(submission.first_layer_gradient(1.0, weights, biases, "sigmoid"), public.chain_gradient(1.0, weights, biases, "sigmoid"),
                     f"through {n} sigmoid neurons with weights 1 and biases {biases}, the gradient", verb="is", atol=0,
                     note=f", the product of the {n} slopes s(z)(1 - s(z)), each at most 0.25 (so at most 0.25^{n} = {0.25 ** n:.3g})",
                     hint=lambda got: public.chain_mistake(got, 1.0, weights, biases, "sigmoid", submission))
