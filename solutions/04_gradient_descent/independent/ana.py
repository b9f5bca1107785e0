# Ana - gradient descent, from the lecture's slides
import numpy as np


def get_error(input_data, target, weights):
    prediction = np.dot(input_data, weights)
    return prediction - target


def get_slope(input_data, target, weights):
    return 2 * get_error(input_data, target, weights) * input_data


def get_mse(input_data, target, weights):
    err = get_error(input_data, target, weights)
    return np.mean(np.square(err))


def gradient_descent_step(input_data, target, weights, learning_rate):
    slope = get_slope(input_data, target, weights)
    new_weights = weights - slope * learning_rate
    return new_weights


def fit_line(x, z, w0=0.0, learning_rate=0.1, iterations=10):
    x = np.array(x, dtype=float)
    z = np.array(z, dtype=float)
    w = w0
    weights = []
    costs = []
    for i in range(iterations + 1):
        weights.append(w)
        costs.append(np.mean((z - w * x) ** 2))
        if i < iterations:
            w = w - learning_rate * np.mean(-2 * x * (z - w * x))
    return weights, costs


def largest_stable_learning_rate(x):
    x = np.array(x, dtype=float)
    return 1 / np.mean(x * x)


def sgd(input_data, targets, weights, learning_rate, epochs, batch_size, seed=0):
    X = np.array(input_data, dtype=float)
    y = np.array(targets, dtype=float)
    w = np.array(weights, dtype=float)
    rng = np.random.default_rng(seed)
    losses = []
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        start = 0
        while start < len(X):
            idx = order[start:start + batch_size]
            residual = X[idx].dot(w) - y[idx]
            w = w - learning_rate * 2 * X[idx].T.dot(residual) / len(idx)
            start += batch_size
        losses.append(np.mean((X.dot(w) - y) ** 2))
    return w, losses
