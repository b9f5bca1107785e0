"""Ben: gradient descent with loops over the data points, no vector tricks."""
import numpy as np


def get_error(input_data, target, weights):
    total = 0.0
    for x, w in zip(input_data, weights):
        total += x * w
    return total - target


def get_slope(input_data, target, weights):
    error = get_error(input_data, target, weights)
    return np.array([2.0 * x * error for x in input_data])


def get_mse(input_data, target, weights):
    errors = np.atleast_1d(get_error(input_data, target, weights))
    return sum(e * e for e in errors) / len(errors)


def gradient_descent_step(input_data, target, weights, learning_rate):
    slope = get_slope(input_data, target, weights)
    return np.array([w - learning_rate * s for w, s in zip(weights, slope)])


def cost(x, z, w):
    return sum((zi - w * xi) ** 2 for xi, zi in zip(x, z)) / len(x)


def fit_line(x, z, w0=0.0, learning_rate=0.1, iterations=10):
    w = float(w0)
    history_w, history_cost = [w], [cost(x, z, w)]
    for step in range(iterations):
        grad = sum(-2 * xi * (zi - w * xi) for xi, zi in zip(x, z)) / len(x)
        w -= learning_rate * grad
        history_w.append(w)
        history_cost.append(cost(x, z, w))
    return history_w, history_cost


def largest_stable_learning_rate(x):
    return len(x) / sum(xi ** 2 for xi in x)


def sgd(input_data, targets, weights, learning_rate, epochs, batch_size, seed=0):
    X, y = np.asarray(input_data, float), np.asarray(targets, float)
    w = np.array(weights, float)
    rng = np.random.default_rng(seed)
    history = []
    for epoch in range(epochs):
        order = rng.permutation(X.shape[0])
        for batch in np.array_split(order, range(batch_size, X.shape[0], batch_size)):
            gradient = 2 * X[batch].T @ (X[batch] @ w - y[batch]) / batch.size
            w -= learning_rate * gradient
        history.append(((X @ w - y) ** 2).mean())
    return w, history
