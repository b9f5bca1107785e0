# chen: lab 1 redone from my notes
from numpy import array, around, exp, random, sum as total, where


def compute_weighted_sum(inputs, weights, bias):
    products = array(inputs) * array(weights)
    return total(products) + bias


def node_activation(weighted_sum):
    e = exp(-weighted_sum)
    return 1.0 / (e + 1.0)


def initialize_network(num_inputs, num_hidden_layers, num_nodes_hidden, num_nodes_output):
    network = dict()
    n_prev = num_inputs
    layer = 0
    while layer <= num_hidden_layers:
        last = layer == num_hidden_layers
        count = num_nodes_output if last else num_nodes_hidden[layer]
        nodes = dict()
        i = 0
        while i < count:
            w = around(random.uniform(size=n_prev), decimals=2)
            b = around(random.uniform(size=1), decimals=2)
            nodes["node_" + str(i + 1)] = {"weights": w, "bias": b}
            i += 1
        network["output" if last else "layer_" + str(layer + 1)] = nodes
        n_prev = count
        layer += 1
    return network


def forward_propagate(network, inputs):
    current = inputs
    for layer_name, layer in network.items():
        nxt = []
        for node_name in layer:
            node = layer[node_name]
            s = compute_weighted_sum(current, node["weights"], node["bias"])
            nxt.append(around(node_activation(s)[0], decimals=4))
        current = nxt
    return current


def relu(x):
    return where(array(x) > 0, x, 0)


def predict_with_network(input_data_row, weights):
    node_0_value = relu(total(input_data_row * weights["node_0"]))
    node_1_value = relu(total(input_data_row * weights["node_1"]))
    return node_0_value * weights["output"][0] + node_1_value * weights["output"][1]
