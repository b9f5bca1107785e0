# Ana - forward propagation, written with plain loops and the math module
import math

import numpy as np


def compute_weighted_sum(inputs, weights, bias):
    total = 0.0
    for x, w in zip(inputs, weights):
        total += x * w
    return total + bias


def node_activation(weighted_sum):
    return 1 / (1 + np.exp(-weighted_sum))


def initialize_network(num_inputs, num_hidden_layers, num_nodes_hidden, num_nodes_output):
    net = {}
    previous = num_inputs
    sizes = list(num_nodes_hidden[:num_hidden_layers]) + [num_nodes_output]
    names = ["layer_%d" % (i + 1) for i in range(num_hidden_layers)] + ["output"]
    for name, size in zip(names, sizes):
        nodes = {}
        for k in range(size):
            nodes["node_%d" % (k + 1)] = {
                "weights": np.around(np.random.uniform(size=previous), decimals=2),
                "bias": np.around(np.random.uniform(size=1), decimals=2),
            }
        net[name] = nodes
        previous = size
    return net


def forward_propagate(network, inputs):
    values = [float(v) for v in inputs]
    for name in network:
        outputs = []
        for node in network[name].values():
            z = compute_weighted_sum(values, node["weights"], float(np.ravel(node["bias"])[0]))
            outputs.append(1 / (1 + math.exp(-z)))
        values = outputs
    return values


def relu(x):
    if np.ndim(x) == 0:
        return max(x, 0)
    return np.array([max(v, 0) for v in np.ravel(x)]).reshape(np.shape(x))


def predict_with_network(input_data_row, weights):
    hidden = []
    for name in ("node_0", "node_1"):
        hidden.append(relu(np.dot(input_data_row, weights[name])))
    return np.dot(hidden, weights["output"])
