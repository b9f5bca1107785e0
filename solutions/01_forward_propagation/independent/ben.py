"""Ben: the companion course's way, vectorised with numpy wherever I could."""
import numpy as np


def compute_weighted_sum(inputs, weights, bias):
    return np.dot(np.asarray(inputs), np.asarray(weights)) + bias


def node_activation(weighted_sum):
    return np.reciprocal(1.0 + np.exp(np.negative(weighted_sum)))


def initialize_network(num_inputs, num_hidden_layers, num_nodes_hidden, num_nodes_output):
    layer_sizes = [num_inputs, *num_nodes_hidden[:num_hidden_layers], num_nodes_output]
    network = {}
    for index in range(1, len(layer_sizes)):
        key = "output" if index == len(layer_sizes) - 1 else f"layer_{index}"
        network[key] = {
            f"node_{n}": {"weights": np.around(np.random.uniform(size=layer_sizes[index - 1]), decimals=2),
                          "bias": np.around(np.random.uniform(size=1), decimals=2)}
            for n in range(1, layer_sizes[index] + 1)
        }
    return network


def forward_propagate(network, inputs):
    activations = np.asarray(inputs, dtype=float)
    for layer in network.values():
        weights = np.array([node["weights"] for node in layer.values()])
        biases = np.array([np.ravel(node["bias"])[0] for node in layer.values()])
        activations = node_activation(weights @ activations + biases)
    return [round(float(a), 4) for a in activations]


def relu(x):
    return np.clip(x, 0, None)


def predict_with_network(input_data_row, weights):
    hidden_0 = relu(input_data_row @ weights["node_0"])
    hidden_1 = relu(input_data_row @ weights["node_1"])
    return np.array([hidden_0, hidden_1]) @ weights["output"]
