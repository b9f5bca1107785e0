"""Exercise 02: backpropagation through a chain of two sigmoid neurons.

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/02_backprop
"""

import numpy as np


def sigmoid(z):
    """Return the sigmoid 1 / (1 + e^(-z)) of the number z."""
    raise NotImplementedError("TODO: compute the sigmoid of z")


def forward(x, w1, b1, w2, b2):
    """Return (a1, a2): the outputs of the first and of the second neuron for the input x."""
    raise NotImplementedError("TODO: z1 = w1 * x + b1, a1 = sigmoid(z1), then the same for the second neuron")


def error(t, a2):
    """Return the error E = 1/2 * (t - a2)^2 between the target t and the network's output a2."""
    raise NotImplementedError("TODO: compute the error")


def gradients(x, t, w1, b1, w2, b2):
    """Return {'w1': dE/dw1, 'b1': dE/db1, 'w2': dE/dw2, 'b2': dE/db2} at these parameters."""
    raise NotImplementedError("TODO: run forward(), then apply the chain rule backwards from the error")


def update(params, grads, learning_rate):
    """Return a NEW dict with params[name] - learning_rate * grads[name] for every name.

    Do not change `params` or `grads`.
    """
    raise NotImplementedError("TODO: one gradient-descent step")


def train(x, t, params, learning_rate, epochs, threshold=None):
    """Repeat: compute the error, record it, stop if it is <= threshold, else update the params.

    Run at most `epochs` iterations and return (params, errors), errors being the list of
    errors computed, in order.
    """
    raise NotImplementedError("TODO: the training loop")
