"""Reference solution: activation functions, their derivatives, and the vanishing gradient."""

import numpy as np


def binary_step(z):
    return np.where(np.asarray(z) >= 0, 1.0, 0.0)


def linear(z):
    return np.asarray(z, dtype=float)


def linear_derivative(z):
    return np.ones_like(np.asarray(z, dtype=float))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z):
    return np.tanh(np.asarray(z, dtype=float))


def tanh_derivative(z):
    return 1 - np.tanh(np.asarray(z, dtype=float)) ** 2


def relu(z):
    return np.maximum(np.asarray(z, dtype=float), 0)


def relu_derivative(z):
    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def leaky_relu(z, alpha=0.01):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_derivative(z, alpha=0.01):
    return np.where(np.asarray(z) > 0, 1.0, alpha)


def softmax(z):
    z = np.asarray(z, dtype=float)
    shifted = np.exp(z - np.max(z))
    return shifted / np.sum(shifted)


def first_layer_gradient(x, weights, biases, activation="sigmoid"):
    """d(output)/d(w1) for a chain of neurons: a0 = x, z_i = w_i * a_(i-1) + b_i, a_i = f(z_i)."""
    functions = {"sigmoid": (sigmoid, sigmoid_derivative), "relu": (relu, relu_derivative), "tanh": (tanh, tanh_derivative)}
    f, f_prime = functions[activation]
    a, slopes = x, []
    for w, b in zip(weights, biases):
        z = w * a + b
        slopes.append(float(f_prime(z)))
        a = float(f(z))
    gradient = x * slopes[0]
    for w, slope in zip(weights[1:], slopes[1:]):
        gradient *= w * slope
    return float(gradient)
