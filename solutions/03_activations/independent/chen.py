# chen - activations, with math for the scalar parts and vectorize for arrays
import math

import numpy as np


def _each(function):
    vectorized = np.vectorize(function, otypes=[float])

    def apply(z):
        return vectorized(np.asarray(z, dtype=float))
    return apply


binary_step = _each(lambda v: 1.0 if v >= 0 else 0.0)
linear = _each(lambda v: v)
linear_derivative = _each(lambda v: 1.0)
sigmoid = _each(lambda v: 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v)))
tanh = _each(math.tanh)
relu = _each(lambda v: v if v > 0 else 0.0)
relu_derivative = _each(lambda v: 1.0 if v > 0 else 0.0)


def sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh_derivative(z):
    t = tanh(z)
    return 1.0 - t * t


def leaky_relu(z, alpha=0.01):
    return _each(lambda v: v if v > 0 else alpha * v)(z)


def leaky_relu_derivative(z, alpha=0.01):
    return _each(lambda v: 1.0 if v > 0 else alpha)(z)


def softmax(z):
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        m = max(z)
        e = [math.exp(v - m) for v in z]
        s = sum(e)
        return np.array([v / s for v in e])
    return np.array([softmax(row) for row in z])


def first_layer_gradient(x, weights, biases, activation="sigmoid"):
    table = {"sigmoid": (sigmoid, sigmoid_derivative), "tanh": (tanh, tanh_derivative), "relu": (relu, relu_derivative)}
    f, d = table[activation]
    a = float(x)
    product = float(x)
    for layer, (w, b) in enumerate(zip(weights, biases)):
        z = w * a + b
        product *= float(d(z)) * (w if layer > 0 else 1.0)
        a = float(f(z))
    return product
