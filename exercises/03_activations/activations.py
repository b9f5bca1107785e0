"""Exercise 03: activation functions, their derivatives, and the vanishing gradient.

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/03_activations

Every function takes a number or a numpy array (and works element by element on arrays).
"""

import numpy as np


def binary_step(z):
    """1 where z >= 0, else 0."""
    raise NotImplementedError("TODO: binary step")


def linear(z):
    """The identity: z itself."""
    raise NotImplementedError("TODO: linear activation")


def linear_derivative(z):
    """The slope of the identity: 1 everywhere (same shape as z)."""
    raise NotImplementedError("TODO: derivative of the linear activation")


def sigmoid(z):
    """1 / (1 + e^(-z))."""
    raise NotImplementedError("TODO: sigmoid")


def sigmoid_derivative(z):
    """The slope of the sigmoid at z: sigmoid(z) * (1 - sigmoid(z))."""
    raise NotImplementedError("TODO: derivative of the sigmoid")


def tanh(z):
    """The hyperbolic tangent (e^z - e^-z) / (e^z + e^-z)."""
    raise NotImplementedError("TODO: tanh")


def tanh_derivative(z):
    """The slope of tanh at z: 1 - tanh(z)^2."""
    raise NotImplementedError("TODO: derivative of tanh")


def relu(z):
    """max(z, 0), element by element."""
    raise NotImplementedError("TODO: ReLU")


def relu_derivative(z):
    """1 where z > 0, 0 where z < 0 (at exactly 0 it is undefined; use 0 or 1)."""
    raise NotImplementedError("TODO: derivative of ReLU")


def leaky_relu(z, alpha=0.01):
    """z where z > 0, alpha * z elsewhere."""
    raise NotImplementedError("TODO: leaky ReLU")


def leaky_relu_derivative(z, alpha=0.01):
    """1 where z > 0, alpha elsewhere."""
    raise NotImplementedError("TODO: derivative of leaky ReLU")


def softmax(z):
    """e^z / sum(e^z): of a vector, or of each row of a matrix. Must stay finite for inputs like 1000."""
    raise NotImplementedError("TODO: softmax")


def first_layer_gradient(x, weights, biases, activation="sigmoid"):
    """The gradient of the chain's output with respect to its first weight w1.

    The chain: a0 = x, then for each neuron i: z_i = weights[i] * a_(i-1) + biases[i], a_i = f(z_i),
    with f the activation 'sigmoid', 'tanh' or 'relu'. Return d(a_n)/d(w_1) as a float.
    """
    raise NotImplementedError("TODO: chain rule through n neurons")
