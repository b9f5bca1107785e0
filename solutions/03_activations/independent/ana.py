# Ana - activation functions lab, each one written from its formula
import numpy as np


def binary_step(z):
    z = np.array(z, dtype=float)
    return (z >= 0).astype(float)


def linear(z):
    return np.array(z, dtype=float) * 1.0


def linear_derivative(z):
    return np.full(np.shape(z), 1.0)


def sigmoid(z):
    return 1 / (1 + np.exp(-np.array(z, dtype=float)))


def sigmoid_derivative(z):
    return np.exp(-np.array(z, dtype=float)) / (1 + np.exp(-np.array(z, dtype=float))) ** 2


def tanh(z):
    z = np.array(z, dtype=float)
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))


def tanh_derivative(z):
    return 1 - tanh(z) ** 2


def relu(z):
    z = np.array(z, dtype=float)
    return z * (z > 0)


def relu_derivative(z):
    return (np.array(z, dtype=float) > 0) * 1.0


def leaky_relu(z, alpha=0.01):
    z = np.array(z, dtype=float)
    return np.maximum(z, alpha * z)


def leaky_relu_derivative(z, alpha=0.01):
    z = np.array(z, dtype=float)
    grad = np.ones_like(z)
    grad[z <= 0] = alpha
    return grad


def softmax(z):
    z = np.array(z, dtype=float)
    exps = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return exps / np.sum(exps, axis=-1, keepdims=True)


def first_layer_gradient(x, weights, biases, activation="sigmoid"):
    f = {"sigmoid": sigmoid, "tanh": tanh, "relu": relu}[activation]
    df = {"sigmoid": sigmoid_derivative, "tanh": tanh_derivative, "relu": relu_derivative}[activation]
    a = x
    result = x
    for i in range(len(weights)):
        z = weights[i] * a + biases[i]
        if i > 0:
            result = result * weights[i]
        result = result * df(z)
        a = f(z)
    return float(result)
