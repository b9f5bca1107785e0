"""Public checks for exercise 03: the activation functions on the lecture's values.

You may read these. Hidden checks use random inputs, matrices and longer chains.
"""

import numpy as np
import pytest

from grader.authoring import (Hint, Outcome, SubmissionFailure, as_array, close, compared, expect_close, expect_shape, fail,
                              gives, show)

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
STEP_AT_ZERO = Hint("binary-step-at-zero", "binary_step(0) is 1: the step is on from z = 0 included (z >= 0), "
                    "not only for z > 0.")
STEP_REVERSED = Hint("binary-step-reversed", "binary_step is 1 for z >= 0 and 0 for negative z; yours is the other "
                     "way round.")
STEP_ELSEWHERE = Hint("binary-step-threshold", "binary_step switches from 0 to 1 at z = 0 (1 for z >= 0, 0 below); "
                      "yours switches at another value.")
STEP_VALUES = Hint("binary-step-values", "binary_step outputs exactly two values: 1 for z >= 0 and 0 for z < 0.")
RELU_FLOOR = Hint("relu-clips-at-zero", "ReLU is max(z, 0): it cuts negative values off at 0, not at another number.")
LEAKY_SWITCH = Hint("leaky-relu-switch", "Leaky ReLU switches at z = 0: z (slope 1) for z > 0 and alpha * z (slope "
                    "alpha) below; yours switches at another value.")
LINEAR_SLOPE = Hint("linear-derivative-is-one", "The linear function f(z) = z has slope 1 everywhere: its derivative "
                    "is an array of ones, not zeros.")
TANH_DERIVATIVE_SIGN = Hint("tanh-derivative-sign", "The slope of tanh is 1 - tanh(z)^2, between 0 and 1; yours is "
                            "tanh(z)^2 - 1, its negative.")
RELU_DERIVATIVE_SWITCH = Hint("relu-derivative-switch", "ReLU's slope is 0 for every z < 0 and 1 for every z > 0: it "
                              "switches at z = 0, and yours gives 1 where it should give 0 (or the reverse).")
LEAKY_DEFAULT = Hint("leaky-relu-default-alpha", "alpha defaults to 0.01: def leaky_relu(z, alpha=0.01) and def "
                     "leaky_relu_derivative(z, alpha=0.01). With alpha=0.01 given, yours is right.")
LEAKY_WRONG_SIDE = Hint("leaky-relu-wrong-side", "Leaky ReLU keeps positive inputs as they are (slope 1) and "
                        "multiplies negative ones by alpha; yours does it the other way round.")
LEAKY_TIMES_Z = Hint("leaky-relu-times-z", "For negative z leaky ReLU gives alpha * z, not alpha itself (alpha is "
                     "its slope there).")
LEAKY_KEEPS_NEGATIVES = Hint("leaky-relu-keeps-negatives", "Leaky ReLU multiplies negative inputs by alpha; yours "
                             "returns them unchanged, which is the linear function.")
SOFTMAX_NOT_NORMALISED = Hint("softmax-not-normalised", "After taking the exponentials, divide each row by its sum, "
                              "so that it sums to 1.")
SOFTMAX_MEAN = Hint("softmax-sum-not-mean", "Divide by the sum of the exponentials, not by their mean: the "
                    "probabilities must add up to 1.")
SOFTMAX_ADD_MAX = Hint("softmax-subtract-the-max", "Subtract the largest value (z - max(z)), do not add it: adding "
                       "makes the exponents larger, and e^x overflows for large z.")
SOFTMAX_REVERSED = Hint("softmax-shift-reversed", "Use e^(z - max(z)), not e^(max(z) - z): yours gives the smallest "
                        "score the largest probability.")
SOFTMAX_ROW_MAX = Hint("softmax-max-per-row", "Subtract each row's own largest value, z.max(axis=-1, keepdims=True), "
                       "not the largest value of a column or of the whole matrix.")
SOFTMAX_KEEPDIMS = Hint("softmax-keepdims", "A row's max and sum must stay columns: use keepdims=True (as in "
                        "z.max(axis=-1, keepdims=True)) so that each row is shifted and divided by its own value.")
SOFTMAX_VECTOR_AXIS = Hint("softmax-axis-minus-one", "A vector has only one axis: use axis=-1 (the last axis), which "
                           "is each row of a matrix and the whole of a vector.")
DEFAULT_ACTIVATION = Hint("default-activation-sigmoid", "The activation defaults to sigmoid: def "
                          "first_layer_gradient(x, weights, biases, activation='sigmoid'). With 'sigmoid' given, "
                          "yours is right.")
CHAIN_ONLY_FIRST = Hint("chain-every-neuron", "The gradient reaching w1 passes through every later neuron: multiply "
                        "in w_i * f'(z_i) for each of them, not only the first neuron's x * f'(z_1).")
CHAIN_WEIGHTED_SUM = Hint("chain-weighted-sum", "Each neuron's weighted sum is z_i = w_i * a_(i-1) + b_i: the "
                          "previous neuron's activation times the weight, plus the bias; the slopes are taken there.")
# Cascades: first_layer_gradient uses the activation and its derivative; when those are wrong, fix them first.
USES = {name: Hint(f"uses-wrong-{name.replace('_', '-')}", f"Your {name}() gives wrong values (see its check), and "
                   f"first_layer_gradient needs it: fix {name} first; this may then pass too.")
        for name in ("sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative", "relu", "relu_derivative")}

VALUES = np.array([-3.0, -1.0, -0.2, 0.5, 2.0, 4.0])


def call_array(submission, name, values, *extra):
    try:
        return as_array(submission.call(name, values, *extra), f"{name}({show(values)})")
    except SubmissionFailure as failure:
        if failure.outcome is Outcome.ERROR and ("truth value" in failure.message or "only length-1" in failure.message
                                                 or "only size-1" in failure.message):
            failure.hint = SCALAR_ONLY
        elif failure.outcome is Outcome.ERROR and name == "softmax":
            failure.hint = softmax_failure(np.asarray(values), failure.message)
        raise


def softmax_failure(z, message):
    """The mistake behind softmax raising numpy's own error: a row's max or sum without keepdims=True (it cannot be
    broadcast against a matrix that is not square), or an axis that a vector does not have (axis=1 or axis=-2)."""
    if z.ndim == 2 and z.shape[0] != z.shape[1] and "could not be broadcast together with shapes" in message:
        return SOFTMAX_KEEPDIMS
    if z.ndim == 1 and "is out of bounds for array of dimension 1" in message:
        return SOFTMAX_VECTOR_AXIS
    return None


def expect(submission, name, values, want, *extra, wrong=(), hint_for=None, atol=1e-9):
    """`name(values, *extra)` is `want`, one value per input; the hint: a `wrong` formula's, or `hint_for(got)`'s."""
    got = expect_shape(call_array(submission, name, values, *extra), np.shape(want), f"{name}({show(values)})",
                       note=", one value per input")
    expect_close(got, np.asarray(want), f"{name}({show(values)})", atol=atol, wrong=wrong, hint=hint_for)


def is_step(z, got, high, low, switching=True):
    """Whether `got` is `low` for the smaller inputs and `high` for the larger ones, as a step is (inputs where the two
    branches agree say nothing); with `switching`, both branches must occur, so the step switches inside the inputs."""
    z, got = np.ravel(z), np.ravel(got)
    if got.shape != z.shape or not np.all(np.isfinite(got)):
        return False
    high, low = np.broadcast_to(high, z.shape), np.broadcast_to(low, z.shape)
    is_high, is_low = np.isclose(got, high, rtol=1e-6, atol=1e-9), np.isclose(got, low, rtol=1e-6, atol=1e-9)
    if not np.all(is_high | is_low):
        return False
    clear = is_high != is_low
    pattern = is_high[clear][np.argsort(z[clear], kind="stable")]
    if switching and (pattern.all() or not pattern.any()):
        return False
    return not np.any(pattern[:-1] & ~pattern[1:])      # never high before low


def step_mistake(z, got):
    """binary_step's known mistakes: 0 at z = 0 (z > 0), the step reversed, the switch at another value, or the
    switch at 0 with other values than 1 and 0."""
    if close(got, (z > 0).astype(float)):
        return STEP_AT_ZERO
    if close(got, (z <= 0).astype(float)) or close(got, (z < 0).astype(float)):
        return STEP_REVERSED
    if is_step(z, got, 1.0, 0.0):
        return STEP_ELSEWHERE
    on, off = np.ravel(got)[np.ravel(z) >= 0], np.ravel(got)[np.ravel(z) < 0]
    if on.size and off.size and close(on, np.full(on.shape, on[0])) and close(off, np.full(off.shape, off[0])):
        return STEP_VALUES
    return None


def relu_mistake(z, got):
    """ReLU cut off at another number than 0: max(z, c) with some input below c."""
    floor = float(np.min(got)) if np.size(got) else 0.0
    if floor != 0.0 and np.any(z < floor - 1e-9) and close(got, np.maximum(z, floor)):
        return RELU_FLOOR
    return None


def linear_derivative_mistake(got):
    return LINEAR_SLOPE if close(got, np.zeros_like(got)) else None


def tanh_derivative_mistake(z, got):
    """tanh's slope computed from the activated value (1 - z^2), or its negative (tanh(z)^2 - 1)."""
    if close(got, 1 - z ** 2):
        return DERIVATIVE_OF_ACTIVATED
    return TANH_DERIVATIVE_SIGN if close(got, np.tanh(z) ** 2 - 1) else None


def relu_derivative_mistake(z, got):
    """ReLU's value given as its slope, or a 0/1 slope that switches at the wrong place (1 also for negative z)."""
    if close(got, np.maximum(z, 0)):
        return RELU_DERIVATIVE_VALUE
    ones = np.isclose(np.ravel(got), 1.0)
    return RELU_DERIVATIVE_SWITCH if is_step(z, got, 1.0, 0.0, switching=False) and ones.any() else None


def leaky_mistake(submission, name, z, got, alpha, default):
    """Leaky ReLU's (or its derivative's) known mistakes at this alpha: a wrong default (right when alpha=0.01 is given),
    the branches swapped, alpha instead of alpha * z, negatives unchanged, alpha ignored (0 or 0.01 used instead), the
    switch at another value than 0."""
    derivative = name == "leaky_relu_derivative"
    if default:
        want = np.where(z > 0, 1.0, 0.01) if derivative else np.where(z > 0, z, 0.01 * z)
        if gives(lambda: submission.call(name, z, 0.01), want):
            return LEAKY_DEFAULT
    if derivative:
        if close(got, np.where(z < 0, 1.0, alpha)):
            return LEAKY_WRONG_SIDE
        return LEAKY_SWITCH if is_step(z, got, 1.0, alpha) else None
    known = [(np.where(z < 0, z, alpha * z), LEAKY_WRONG_SIDE), (np.where(z > 0, z, alpha), LEAKY_TIMES_Z),
             (z, LEAKY_KEEPS_NEGATIVES), (np.maximum(z, 0) if default else np.where(z > 0, z, 0.01 * z), LEAKY_ALPHA)]
    hints = [hint for formula, hint in known if close(got, formula)]
    if is_step(z, got, z, alpha * z):
        hints.append(LEAKY_SWITCH)
    return only_one(hints)


def only_one(hints):
    """The one hint all matching formulas agree on; none when formulas of different mistakes match (no guessing)."""
    return hints[0] if hints and all(hint is hints[0] for hint in hints) else None


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


_CHAIN = {"sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))), "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
          "relu": (lambda z: max(z, 0.0), lambda z: float(z > 0))}


def weighted_sum(w, a, b):
    return w * a + b


# Weighted sums a chain may wrongly use: without the bias, the bias subtracted, without the input, without the weight.
WRONG_SUMS = (lambda w, a, b: w * a, lambda w, a, b: w * a - b, lambda w, a, b: w + b, lambda w, a, b: a + b)


def chain_factors(x, weights, biases, activation, z_of=weighted_sum):
    """The factors of d(output)/d(w1) through a chain of neurons: x and f'(z_1), then w_i and f'(z_i)."""
    f, f_prime = _CHAIN[activation]
    a, factors = x, [x]
    for i, (w, b) in enumerate(zip(weights, biases)):
        z = z_of(w, a, b)
        factors += [w, float(f_prime(z))] if i else [float(f_prime(z))]
        a = float(f(z))
    return factors


def chain_gradient(x, weights, biases, activation, z_of=weighted_sum):
    """The chain's gradient, computed here from its factors (the check's own arithmetic)."""
    return float(np.prod(chain_factors(x, weights, biases, activation, z_of)))


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
    variants = [(v, VANISHING_WRONG_FACTORS) for v in (np.prod(factors[1:]), x * np.prod(factors[2:]), x * np.prod(slopes),
                                                       x * slopes[0] * np.prod(later_weights))]
    variants.append((x * slopes[0], CHAIN_ONLY_FIRST))       # only the first neuron's factors: the loop never multiplied
    variants += [(chain_gradient(x, weights, biases, activation, z_of), CHAIN_WEIGHTED_SUM) for z_of in WRONG_SUMS]
    hints = [hint for value, hint in variants if close(got, float(value), rtol=1e-6, atol=1e-300)]
    if hints:
        return only_one(hints)   # formulas of different mistakes that agree here tell nothing
    if close(got, activations_product(x, weights, biases, activation), rtol=1e-6, atol=1e-300) and submission is not None \
            and gives(lambda: submission.first_layer_gradient(*ACTIVATION_PROBE, activation),
                      activations_product(*ACTIVATION_PROBE, activation), atol=1e-300):
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
    """SOFTMAX_AXIS when the matrix was normalised as a whole or column by column: each row shifted by its maximum, or
    the whole matrix by its maximum (a softmax written for vectors), or each column by its own."""
    with np.errstate(all="ignore"):
        e = np.exp(matrix - matrix.max(axis=-1, keepdims=True))
        whole = np.exp(matrix - matrix.max())
        columns = np.exp(matrix - matrix.max(axis=0, keepdims=True))
    wrong = (e / e.sum(), e / e.sum(axis=0, keepdims=True), whole / whole.sum(), columns / columns.sum(axis=0, keepdims=True))
    return SOFTMAX_AXIS if any(same(got, formula) for formula in wrong) else None


def softmax_formulas(z):
    """Known wrong softmaxes of z (a vector, or each row of a matrix), each with the mistake it shows."""
    with np.errstate(all="ignore"):
        top = z.max(axis=-1, keepdims=True)
        e, plus, reversed_ = np.exp(z - top), np.exp(z + top), np.exp(top - z)
        known = [(e, SOFTMAX_NOT_NORMALISED), (e / e.mean(axis=-1, keepdims=True), SOFTMAX_MEAN),
                 (plus / plus.sum(axis=-1, keepdims=True), SOFTMAX_ADD_MAX),
                 (reversed_ / reversed_.sum(axis=-1, keepdims=True), SOFTMAX_REVERSED)]
        if z.ndim == 2:       # shifted by the whole matrix's largest value, or by each column's
            for shift in (z.max(), z.max(axis=0, keepdims=True)):
                moved = np.exp(z - shift)
                known.append((moved / moved.sum(axis=-1, keepdims=True), SOFTMAX_ROW_MAX))
    return known


def softmax_mistake(z, got):
    """The mistake whose formula gives `got` on z (NaN and infinity included); None when none does, or several do."""
    return only_one([hint for formula, hint in softmax_formulas(np.asarray(z, dtype=float)) if same(got, formula)])


def check_softmax_rows(submission, matrix):
    got = call_array(submission, "softmax", matrix)
    if got.shape != matrix.shape:
        fail(f"softmax of a {matrix.shape} matrix returned shape {got.shape}")
    if np.any(~np.isfinite(got)):
        fail(f"softmax({show(matrix)}) returned {show(got)}",
             unstable_mistake(submission, matrix, got) or softmax_mistake(matrix, got))
    rows = got.sum(axis=1)
    if not np.allclose(rows, 1):
        fail(f"the rows of softmax(matrix) sum to {show(rows)}, not 1", axis_mistake(matrix, got) or softmax_mistake(matrix, got))
    shifted = np.exp(matrix - matrix.max(axis=1, keepdims=True))
    want = shifted / shifted.sum(axis=1, keepdims=True)
    if not close(got, want, atol=1e-9):
        fail(f"softmax({show(matrix)}) returned {compared(got, want)}", softmax_mistake(matrix, got))


@pytest.mark.points(1)
def test_binary_step_and_linear(submission):
    """binary_step is 1 from 0 on and 0 below; linear returns its input and has slope 1"""
    expect(submission, "binary_step", VALUES, (VALUES >= 0).astype(float), hint_for=lambda got: step_mistake(VALUES, got))
    zero = np.array([0.0])
    expect(submission, "binary_step", zero, np.array([1.0]), hint_for=lambda got: step_mistake(zero, got))
    expect(submission, "linear", VALUES, VALUES)
    expect(submission, "linear_derivative", VALUES, np.ones_like(VALUES), hint_for=linear_derivative_mistake)


@pytest.mark.points(2)
def test_sigmoid_and_its_derivative(submission):
    """sigmoid(0.415) is 0.6023; its slope s(1 - s) is 0.25 at 0 and small beyond ±3"""
    expect_close(submission.sigmoid(0.415), 0.6022861768886306, "sigmoid(0.415)", note=" (the lecture prints it as 0.6023)",
                 wrong={SIGMOID_SIGN: sigmoid(-0.415)})
    expect(submission, "sigmoid", VALUES, sigmoid(VALUES), wrong={SIGMOID_SIGN: sigmoid(-VALUES)})
    expect(submission, "sigmoid_derivative", VALUES, sigmoid(VALUES) * (1 - sigmoid(VALUES)),
           wrong={DERIVATIVE_OF_ACTIVATED: VALUES * (1 - VALUES)})


@pytest.mark.points(2)
def test_tanh_and_its_derivative(submission):
    """tanh is the symmetric, scaled sigmoid; its slope is 1 - tanh(z)^2"""
    expect(submission, "tanh", VALUES, np.tanh(VALUES))
    expect(submission, "tanh_derivative", VALUES, 1 - np.tanh(VALUES) ** 2, hint_for=lambda got: tanh_derivative_mistake(VALUES, got))


@pytest.mark.points(2)
def test_relu_and_its_derivative(submission):
    """relu keeps positive values and zeroes the rest; its slope is 1 or 0"""
    expect(submission, "relu", VALUES, np.maximum(VALUES, 0), hint_for=lambda got: relu_mistake(VALUES, got))
    expect(submission, "relu_derivative", VALUES, (VALUES > 0).astype(float),
           hint_for=lambda got: relu_derivative_mistake(VALUES, got))


@pytest.mark.points(1)
def test_leaky_relu(submission):
    """leaky_relu lets 1% of negative values through; its slope is 1 or alpha"""
    for name, want in (("leaky_relu", np.where(VALUES > 0, VALUES, 0.01 * VALUES)),
                       ("leaky_relu_derivative", np.where(VALUES > 0, 1.0, 0.01))):
        expect(submission, name, VALUES, want,
               hint_for=lambda got, name=name: leaky_mistake(submission, name, VALUES, got, 0.01, default=True))


@pytest.mark.points(3)
def test_softmax_vector_matrix_and_large_values(submission):
    """softmax sums to 1 for a vector and for every row of a matrix, and stays finite for 1000"""
    vector = np.array([1.0, 2.0, 3.0])
    want = np.exp(vector) / np.exp(vector).sum()
    expect(submission, "softmax", vector, want, hint_for=lambda got: softmax_mistake(vector, got))
    check_softmax_rows(submission, np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]))
    large = np.array([1000.0, 1001.0, 1002.0])
    got = call_array(submission, "softmax", large)
    if got.shape != large.shape:
        fail(f"softmax([1000, 1001, 1002]) returned shape {got.shape}; expected {large.shape}")
    if np.any(~np.isfinite(got)):
        fail(f"softmax([1000, 1001, 1002]) returned {show(got)}",
             unstable_mistake(submission, large[None, :], got[None, :]) or softmax_mistake(large, got))
    if not close(got, want):
        fail(f"softmax([1000, 1001, 1002]) returned {compared(got, want)} (the same as for [1, 2, 3])",
             softmax_mistake(large, got))


@pytest.mark.points(1)
def test_vanishing_gradient_in_a_sigmoid_chain(submission):
    """through 5 sigmoid neurons the gradient reaching w1 is tiny; through 5 ReLU neurons it is not"""
    expect_close(submission.first_layer_gradient(1.0, [1.0] * 5, [0.0] * 5, "sigmoid"), 0.0004861426435890659,
                 "the gradient through 5 sigmoid neurons", verb="is", note=f" (at most 0.25^5 = {0.25 ** 5:.6g})",
                 hint=lambda got: chain_mistake(got, 1.0, [1.0] * 5, [0.0] * 5, "sigmoid", submission))
    expect_close(submission.first_layer_gradient(1.0, [1.0] * 5, [0.0] * 5, "relu"), 1.0,
                 "the gradient through 5 ReLU neurons with weights 1", verb="is",
                 note=": ReLU's slope is 1 for positive inputs, so nothing vanishes",
                 hint=lambda got: chain_mistake(got, 1.0, [1.0] * 5, [0.0] * 5, "relu", submission))
