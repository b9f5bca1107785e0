"""Exercise 01: forward propagation through a neural network.

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/01_forward_propagation
"""

import numpy as np


def compute_weighted_sum(inputs, weights, bias):
    """Return the weighted sum of the inputs plus the bias: sum(inputs * weights) + bias."""
    raise NotImplementedError("TODO: compute the weighted sum")


def node_activation(weighted_sum):
    """Return the sigmoid of the weighted sum: 1 / (1 + e^(-weighted_sum))."""
    raise NotImplementedError("TODO: apply the sigmoid")


def initialize_network(num_inputs, num_hidden_layers, num_nodes_hidden, num_nodes_output):
    """Return a network as nested dicts with random weights and biases.

    network['layer_1']['node_1'] = {'weights': array of num_inputs numbers, 'bias': array of 1 number}
    ... one 'layer_<n>' per hidden layer (num_nodes_hidden[n-1] nodes each), then network['output'].
    """
    raise NotImplementedError("TODO: build the dict layer by layer")


def forward_propagate(network, inputs):
    """Return the list of the output layer's values for these inputs.

    Every node computes node_activation(compute_weighted_sum(...)) of the previous layer's outputs.
    """
    raise NotImplementedError("TODO: propagate the inputs layer by layer")


def relu(x):
    """Return max(x, 0); it must work for a number and for a numpy array (element by element)."""
    raise NotImplementedError("TODO: the rectified linear activation")


def predict_with_network(input_data_row, weights):
    """Return the output of the network with ReLU hidden nodes 'node_0', 'node_1' and a linear 'output' node."""
    raise NotImplementedError("TODO: hidden layer with relu, then a weighted sum for the output")
