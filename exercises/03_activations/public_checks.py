"""Public checks for exercise 03: the activation functions on the lecture's values.

You may read these. Hidden checks use random inputs, matrices and longer chains.
"""

import numpy as np
import pytest

from grader.checks import Hint, SubmissionFailure, as_array, as_number, close, fail, gives, show

UNSTABLE_SOFTMAX = Hint("unstable-softmax", "e^1000 overflows to infinity and inf/inf is NaN. Subtract the largest "
                        "value first: softmax(z) = e^(z - max(z)) / sum(e^(z - max(z))); the result is the same.")
SOFTMAX_AXIS = Hint("softmax-wrong-axis", "For a matrix, softmax works on each row separately (axis=-1 with "
                    "keepdims=True), so every row sums to 1.")
DERIVATIVE_OF_ACTIVATED = Hint("derivative-takes-z", "The derivative takes z, the weighted sum: compute the "
                               "activation of z first (sigmoid(z) * (1 - sigmoid(z)), 1 - tanh(z)^2).")
RELU_DERIVATIVE_VALUE = Hint("relu-derivative-is-slope", "The derivative of ReLU is its slope: 1 where z > 0 and 0 "
                             "where z < 0, not the value of ReLU itself.")
LEAKY_ALPHA = Hint("leaky-relu-alpha", "Leaky ReLU multiplies negative inputs by alpha (use the alpha argument): "
                   "they leak through a little instead of becoming 0.")
SCALAR_ONLY = Hint("scalar-only", "Your function works for one number but not for a numpy array; use numpy "
                   "functions (np.exp, np.maximum, np.where) that work element by element.")
VANISHING_WRONG_FACTORS = Hint("chain-rule-factors", "Each neuron on the way back contributes f'(z_i), and each "
                               "weight after the first contributes w_i; the first weight's input is x.")
CHAIN_ACTIVATION_NOT_SLOPE = Hint("chain-uses-activation-not-slope", "The chain rule multiplies the slopes f'(z_i) of "
                                  "the neurons, not their activations f(z_i).")
SIGMOID_SIGN = Hint("sigmoid-sign", "The sigmoid is 1 / (1 + e^(-z)), with a minus sign in the exponent; yours "
                    "uses e^(+z) and falls where it should rise.")
SOFTMAX_SHIFT_MIN = Hint("softmax-shift-by-min", "Subtract each row's largest value, not its smallest: after "
                         "z - min(z) a row spanning more than about 709 still overflows e^x.")
# Cascades: first_layer_gradient uses the activation and its derivative; when those are wrong, fix them first.
USES = {name: Hint(f"uses-wrong-{name.replace('_', '-')}", f"Your {name}() gives wrong values (see its check), and "
                   f"first_layer_gradient needs it: fix {name} first; this may then pass too.")
        for name in ("sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative", "relu", "relu_derivative")}

VALUES = np.array([-3.0, -1.0, -0.2, 0.5, 2.0, 4.0])


def call_array(submission, name, values, *extra):
    try:
        return as_array(submission.call(name, values, *extra), f"{name}({show(values)})")
    except SubmissionFailure as failure:
        if failure.outcome.value == "error" and ("truth value" in failure.message or "only length-1" in failure.message
                                                 or "only size-1" in failure.message):
            failure.hint = SCALAR_ONLY
        raise


def expect(submission, name, values, want, *extra, hint_for=None, atol=1e-9):
    got = call_array(submission, name, values, *extra)
    if got.shape != np.shape(want):
        fail(f"{name}({show(values)}) returned shape {got.shape}; expected {np.shape(want)}, one value per input")
    if not close(got, want, rtol=1e-6, atol=atol):
        fail(f"{name}({show(values)}) returned {show(got)}, expected {show(np.asarray(want))}",
             hint_for(got) if hint_for else None)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


_CHAIN = {"sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))), "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
          "relu": (lambda z: max(z, 0.0), lambda z: float(z > 0))}


def chain_factors(x, weights, biases, activation):
    """The factors of d(output)/d(w1) through a chain of neurons: x and f'(z_1), then w_i and f'(z_i)."""
    f, f_prime = _CHAIN[activation]
    a, factors = x, [x]
    for i, (w, b) in enumerate(zip(weights, biases)):
        z = w * a + b
        factors += [w, float(f_prime(z))] if i else [float(f_prime(z))]
        a = float(f(z))
    return factors


def chain_gradient(x, weights, biases, activation):
    """The chain's gradient, computed here from its factors (the check's own arithmetic)."""
    return float(np.prod(chain_factors(x, weights, biases, activation)))


def chain_values(x, weights, biases, activation):
    """The chain's weighted sums z_i and activations a_i, computed here."""
    f, _ = _CHAIN[activation]
    a, zs, activations = x, [], []
    for w, b in zip(weights, biases):
        z = w * a + b
        a = float(f(z))
        zs.append(z)
        activations.append(a)
    return zs, activations


def chain_mistake(got, x, weights, biases, activation, submission=None):
    """Which known mistake gives `got`: a wrong activation or derivative the chain uses (asked of the submission at
    the chain's own weighted sums), one of the chain rule's factors left out (x; the first slope; the later weights;
    the later slopes), or the activations multiplied instead of the slopes. None if it is none of these."""
    if submission is not None:
        zs = np.array(chain_values(x, weights, biases, activation)[0])
        f, f_prime = _CHAIN[activation]
        for name, function in ((activation, f), (f"{activation}_derivative", f_prime)):
            want = np.array([float(function(z)) for z in zs])
            if not gives(lambda name=name: submission.call(name, zs), want):
                return USES[name]
    factors = chain_factors(x, weights, biases, activation)
    slopes, later_weights = [factors[1]] + factors[3::2], factors[2::2]
    if close(got, x * slopes[0], rtol=1e-6, atol=1e-300):
        return None          # only the first neuron's factors: the later ones missing, or the loop never ran
    variants = [np.prod(factors[1:]), x * np.prod(factors[2:]), x * np.prod(slopes), x * slopes[0] * np.prod(later_weights)]
    if any(close(got, float(v), rtol=1e-6, atol=1e-300) for v in variants):
        return VANISHING_WRONG_FACTORS
    if close(got, activations_product(x, weights, biases, activation), rtol=1e-6, atol=1e-300) and submission is not None \
            and all(gives(lambda name=name: submission.first_layer_gradient(*ACTIVATION_PROBE, name),
                          activations_product(*ACTIVATION_PROBE, name), atol=1e-300) for name in _CHAIN):
        return CHAIN_ACTIVATION_NOT_SLOPE
    return None


# A chain on which, for every activation, multiplying the activations differs from the gradient.
ACTIVATION_PROBE = (0.7, [1.2, 0.8, 1.5], [0.3, 0.2, 0.1])


def activations_product(x, weights, biases, activation):
    """The chain's 'gradient' with each slope f'(z_i) replaced by the activation f(z_i)."""
    activations = chain_values(x, weights, biases, activation)[1]
    return x * activations[0] * float(np.prod([w * a for w, a in zip(weights[1:], activations[1:])]))


def same(got, want):
    """Equal, NaN and infinity where `want` has them included (how a known unstable formula fails)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-6, atol=1e-9, equal_nan=True))


def naive_softmax(z):
    with np.errstate(all="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


# Rows where e^z overflows (1000), does not yet (500), underflows (-1000), and an ordinary one.
UNSTABLE_PROBE = np.array([[1000.0, 1001.0, 1002.0], [500.0, 501.0, 502.0], [-1000.0, -999.0, -998.0], [1.0, 2.0, 3.0]])


def unstable_mistake(submission, matrix, got):
    """UNSTABLE_SOFTMAX when the softmax is e^z / sum(e^z) unshifted: it fails exactly as that formula does here and
    on rows chosen to tell it apart; SOFTMAX_SHIFT_MIN when it is shifted by each row's minimum."""
    with np.errstate(all="ignore"):
        low = np.exp(matrix - matrix.min(axis=-1, keepdims=True))
        by_min = low / low.sum(axis=-1, keepdims=True)
    if same(got, by_min):
        return SOFTMAX_SHIFT_MIN
    if same(got, naive_softmax(matrix)):
        try:
            probe = as_array(submission.softmax(UNSTABLE_PROBE), "softmax(...)")
        except SubmissionFailure:
            return None
        return UNSTABLE_SOFTMAX if same(probe, naive_softmax(UNSTABLE_PROBE)) else None
    return None


def axis_mistake(matrix, got):
    """SOFTMAX_AXIS when the matrix was normalised as a whole or column by column (each row shifted by its maximum)."""
    e = np.exp(matrix - matrix.max(axis=-1, keepdims=True))
    return SOFTMAX_AXIS if same(got, e / e.sum()) or same(got, e / e.sum(axis=0, keepdims=True)) else None


def check_softmax_rows(submission, matrix):
    got = call_array(submission, "softmax", matrix)
    if got.shape != matrix.shape:
        fail(f"softmax of a {matrix.shape} matrix returned shape {got.shape}")
    if np.any(~np.isfinite(got)):
        fail(f"softmax({show(matrix)}) returned {show(got)}", unstable_mistake(submission, matrix, got))
    rows = got.sum(axis=1)
    if not np.allclose(rows, 1):
        fail(f"the rows of softmax(matrix) sum to {show(rows)}, not 1", axis_mistake(matrix, got))
    shifted = np.exp(matrix - matrix.max(axis=1, keepdims=True))
    want = shifted / shifted.sum(axis=1, keepdims=True)
    if not close(got, want, atol=1e-9):
        fail(f"softmax({show(matrix)}) returned {show(got)}, expected {show(want)}")


@pytest.mark.points(1)
def test_binary_step_and_linear(submission):
    """binary_step is 1 from 0 on and 0 below; linear returns its input and has slope 1"""
    expect(submission, "binary_step", VALUES, (VALUES >= 0).astype(float))
    expect(submission, "binary_step", np.array([0.0]), np.array([1.0]))
    expect(submission, "linear", VALUES, VALUES)
    expect(submission, "linear_derivative", VALUES, np.ones_like(VALUES))


@pytest.mark.points(2)
def test_sigmoid_and_its_derivative(submission):
    """sigmoid(0.415) is 0.6023; its slope s(1 - s) is 0.25 at 0 and small beyond ±3"""
    got = as_number(submission.sigmoid(0.415), "sigmoid(0.415)")
    if not close(got, 0.6022861768886306):
        fail(f"sigmoid(0.415) returned {show(got)}, expected 0.6023", SIGMOID_SIGN if close(got, sigmoid(-0.415)) else None)
    expect(submission, "sigmoid", VALUES, sigmoid(VALUES), hint_for=lambda got: SIGMOID_SIGN if close(got, sigmoid(-VALUES)) else None)
    want = sigmoid(VALUES) * (1 - sigmoid(VALUES))
    expect(submission, "sigmoid_derivative", VALUES, want,
           hint_for=lambda got: DERIVATIVE_OF_ACTIVATED if close(got, VALUES * (1 - VALUES)) else None)


@pytest.mark.points(2)
def test_tanh_and_its_derivative(submission):
    """tanh is the symmetric, scaled sigmoid; its slope is 1 - tanh(z)^2"""
    expect(submission, "tanh", VALUES, np.tanh(VALUES))
    expect(submission, "tanh_derivative", VALUES, 1 - np.tanh(VALUES) ** 2,
           hint_for=lambda got: DERIVATIVE_OF_ACTIVATED if close(got, 1 - VALUES ** 2) else None)


@pytest.mark.points(2)
def test_relu_and_its_derivative(submission):
    """relu keeps positive values and zeroes the rest; its slope is 1 or 0"""
    expect(submission, "relu", VALUES, np.maximum(VALUES, 0))
    expect(submission, "relu_derivative", VALUES, (VALUES > 0).astype(float),
           hint_for=lambda got: RELU_DERIVATIVE_VALUE if close(got, np.maximum(VALUES, 0)) else None)


@pytest.mark.points(1)
def test_leaky_relu(submission):
    """leaky_relu lets 1% of negative values through; its slope is 1 or alpha"""
    expect(submission, "leaky_relu", VALUES, np.where(VALUES > 0, VALUES, 0.01 * VALUES),
           hint_for=lambda got: LEAKY_ALPHA if close(got, np.maximum(VALUES, 0)) else None)
    expect(submission, "leaky_relu_derivative", VALUES, np.where(VALUES > 0, 1.0, 0.01))


@pytest.mark.points(3)
def test_softmax_vector_matrix_and_large_values(submission):
    """softmax sums to 1 for a vector and for every row of a matrix, and stays finite for 1000"""
    vector = np.array([1.0, 2.0, 3.0])
    want = np.exp(vector) / np.exp(vector).sum()
    expect(submission, "softmax", vector, want)
    check_softmax_rows(submission, np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]))
    large = np.array([1000.0, 1001.0, 1002.0])
    got = call_array(submission, "softmax", large)
    if np.any(~np.isfinite(got)):
        fail(f"softmax([1000, 1001, 1002]) returned {show(got)}", unstable_mistake(submission, large[None, :], got[None, :]))
    if not close(got, want):
        fail(f"softmax([1000, 1001, 1002]) returned {show(got)}, expected {show(want)} (the same as for [1, 2, 3])")


@pytest.mark.points(1)
def test_vanishing_gradient_in_a_sigmoid_chain(submission):
    """through 5 sigmoid neurons the gradient reaching w1 is tiny; through 5 ReLU neurons it is not"""
    sigmoid_chain = as_number(submission.first_layer_gradient(1.0, [1.0] * 5, [0.0] * 5, "sigmoid"),
                              "first_layer_gradient(1.0, [1]*5, [0]*5, 'sigmoid')")
    want = 0.0004861426435890659
    if not close(sigmoid_chain, want, rtol=1e-6):
        fail(f"the gradient through 5 sigmoid neurons is {show(sigmoid_chain)}, expected {want:.6g} "
             f"(at most 0.25^5 = {0.25 ** 5:.6g})", chain_mistake(sigmoid_chain, 1.0, [1.0] * 5, [0.0] * 5, "sigmoid", submission))
    relu_chain = as_number(submission.first_layer_gradient(1.0, [1.0] * 5, [0.0] * 5, "relu"),
                           "first_layer_gradient(1.0, [1]*5, [0]*5, 'relu')")
    if not close(relu_chain, 1.0):
        fail(f"the gradient through 5 ReLU neurons with weights 1 is {show(relu_chain)}, expected 1: "
             "ReLU's slope is 1 for positive inputs, so nothing vanishes",
             chain_mistake(relu_chain, 1.0, [1.0] * 5, [0.0] * 5, "relu", submission))
