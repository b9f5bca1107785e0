"""Exercise 04: gradient descent and stochastic gradient descent.

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/04_gradient_descent
"""

import numpy as np


def get_error(input_data, target, weights):
    """The prediction (weights * input_data).sum() minus the target."""
    raise NotImplementedError("TODO: the error of one prediction")


def get_slope(input_data, target, weights):
    """The slope of the squared error with respect to the weights: 2 * input_data * error."""
    raise NotImplementedError("TODO: the slope")


def get_mse(input_data, target, weights):
    """The mean of the squared errors."""
    raise NotImplementedError("TODO: the mean squared error")


def gradient_descent_step(input_data, target, weights, learning_rate):
    """The weights after one step downhill: weights - learning_rate * slope."""
    raise NotImplementedError("TODO: one gradient-descent step")


def fit_line(x, z, w0=0.0, learning_rate=0.1, iterations=10):
    """Fit z = w * x by gradient descent on J(w) = mean((z - w * x)^2), starting at w0.

    Return (ws, costs): the weight before the first step and after every step (iterations + 1
    values), and the cost J at each of them.
    """
    raise NotImplementedError("TODO: gradient descent on one weight")


def largest_stable_learning_rate(x):
    """The learning rate above which fit_line diverges for this x: 1 / mean(x^2)."""
    raise NotImplementedError("TODO: the edge between converging and diverging")


def sgd(input_data, targets, weights, learning_rate, epochs, batch_size, seed=0):
    """Stochastic gradient descent for the linear model preds = input_data @ weights.

    rng = np.random.default_rng(seed) once; every epoch, order = rng.permutation(len(input_data)),
    then one update per batch of `batch_size` rows in that order:
        error = X_batch @ w - y_batch;  slope = 2 * X_batch.T @ error / len(batch);  w = w - learning_rate * slope
    After each epoch, record the mean squared error on all the data. Return (weights, history).
    """
    raise NotImplementedError("TODO: mini-batches and epochs")
