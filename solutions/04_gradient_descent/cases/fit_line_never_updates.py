"""Reference solution: errors, slopes, gradient descent and stochastic gradient descent."""

import numpy as np


def get_error(input_data, target, weights):
    preds = (weights * input_data).sum()
    error = preds - target
    return error


def get_slope(input_data, target, weights):
    error = get_error(input_data, target, weights)
    slope = 2 * input_data * error
    return slope


def get_mse(input_data, target, weights):
    errors = get_error(input_data, target, weights)
    mse = np.mean(errors ** 2)
    return mse


def gradient_descent_step(input_data, target, weights, learning_rate):
    return weights - learning_rate * get_slope(input_data, target, weights)


def fit_line(x, z, w0=0.0, learning_rate=0.1, iterations=10):
    x, z = np.asarray(x, dtype=float), np.asarray(z, dtype=float)
    w = float(w0)
    ws, costs = [w], [float(np.mean((z - w * x) ** 2))]
    for _ in range(iterations):
        gradient = float(np.mean(-2 * x * (z - w * x)))
        w = w
        ws.append(w)
        costs.append(float(np.mean((z - w * x) ** 2)))
    return ws, costs


def largest_stable_learning_rate(x):
    return float(1.0 / np.mean(np.asarray(x, dtype=float) ** 2))


def sgd(input_data, targets, weights, learning_rate, epochs, batch_size, seed=0):
    X, y = np.asarray(input_data, dtype=float), np.asarray(targets, dtype=float)
    w = np.asarray(weights, dtype=float).copy()
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            error = X[batch] @ w - y[batch]
            slope = 2 * X[batch].T @ error / len(batch)
            w = w - learning_rate * slope
        history.append(float(np.mean((X @ w - y) ** 2)))
    return w, history
