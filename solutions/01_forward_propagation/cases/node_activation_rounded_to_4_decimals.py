"""Reference solution: forward propagation, as in the course labs."""

import numpy as np


def compute_weighted_sum(inputs, weights, bias):
    return np.sum(inputs * weights) + bias


def node_activation(weighted_sum):
    return np.around(1.0 / (1.0 + np.exp(-1 * weighted_sum)), decimals=4)   # as the lab prints it


def initialize_network(num_inputs, num_hidden_layers, num_nodes_hidden, num_nodes_output):
    num_nodes_previous = num_inputs
    network = {}
    for layer in range(num_hidden_layers + 1):
        if layer == num_hidden_layers:
            layer_name, num_nodes = "output", num_nodes_output
        else:
            layer_name, num_nodes = "layer_{}".format(layer + 1), num_nodes_hidden[layer]
        network[layer_name] = {}
        for node in range(num_nodes):
            network[layer_name]["node_{}".format(node + 1)] = {
                "weights": np.around(np.random.uniform(size=num_nodes_previous), decimals=2),
                "bias": np.around(np.random.uniform(size=1), decimals=2),
            }
        num_nodes_previous = num_nodes
    return network


def forward_propagate(network, inputs):
    layer_inputs = list(inputs)
    for layer in network:
        layer_outputs = []
        for node_data in network[layer].values():
            weighted_sum = compute_weighted_sum(np.array(layer_inputs), node_data["weights"], node_data["bias"])
            layer_outputs.append(float(np.ravel(node_activation(weighted_sum))[0]))
        layer_inputs = layer_outputs
    return layer_inputs


def relu(x):
    return np.maximum(x, 0)


def predict_with_network(input_data_row, weights):
    node_0_output = relu((input_data_row * weights["node_0"]).sum())
    node_1_output = relu((input_data_row * weights["node_1"]).sum())
    hidden_layer_outputs = np.array([node_0_output, node_1_output])
    return (hidden_layer_outputs * weights["output"]).sum()
