"""Hidden checks for exercise 01: random inputs and networks drawn from the recorded seed."""

import numpy as np
import pytest

from grader.authoring import Hint, as_array, close, expect_close, fail, public_checks_of, show, show_apart, when_raised

public = public_checks_of(__file__)

ONLY_FIRST_LAYER = Hint("stopped-after-first-layer", "Feed each layer's outputs into the next layer: the values "
                        "you return are those of an earlier layer, not of network['output'].")


def random_network(rng, num_inputs, nodes_per_layer):
    names = [f"layer_{i + 1}" for i in range(len(nodes_per_layer) - 1)] + ["output"]
    network, previous = {}, num_inputs
    for name, count in zip(names, nodes_per_layer):
        network[name] = {f"node_{i + 1}": {"weights": np.round(rng.uniform(-1, 1, size=previous), 2),
                                           "bias": np.round(rng.uniform(-1, 1, size=1), 2)} for i in range(count)}
        previous = count
    return network


@pytest.mark.points(2)
def test_weighted_sum_random(submission, rng, reference):
    """compute_weighted_sum is right for random inputs, weights and biases"""
    for size in (1, 3, 7):
        inputs, weights, bias = rng.uniform(-2, 2, size), rng.uniform(-2, 2, size), rng.uniform(-2, 2, 1)
        expect_close(submission.compute_weighted_sum(inputs, weights, bias),
                     float(np.ravel(reference.compute_weighted_sum(inputs, weights, bias))[0]),
                     f"compute_weighted_sum({show(inputs)}, {show(weights)}, {show(bias)})",
                     wrong={public.FORGOT_BIAS: float(np.sum(inputs * weights))})


@pytest.mark.points(1)
def test_node_activation_random(submission, rng):
    """node_activation is the sigmoid for random weighted sums"""
    for z in rng.uniform(-6, 6, size=6):
        z = float(z)
        expect_close(submission.node_activation(z), float(1 / (1 + np.exp(-z))), f"node_activation({z:.4g})",
                     hint=lambda got: public.sigmoid_mistake(got, z))


@pytest.mark.points(2)
def test_initialize_network_random_sizes(submission, rng):
    """initialize_network builds the right layers, nodes and shapes for random sizes"""
    num_inputs, hidden_layers = int(rng.integers(1, 7)), int(rng.integers(1, 4))
    hidden = [int(n) for n in rng.integers(1, 5, size=hidden_layers)]
    outputs = int(rng.integers(1, 4))
    sizes = (num_inputs, hidden_layers, hidden, outputs)
    network = public.call_initialize(submission, sizes)
    public.check_network_structure(network, num_inputs, hidden + [outputs],
                                   f"initialize_network({num_inputs}, {hidden_layers}, {hidden}, {outputs})", sizes)


@pytest.mark.points(3)
def test_forward_propagate_random_networks(submission, rng, reference):
    """forward_propagate is right for random networks of several layers"""
    for layers in ([3, 1], [4, 3, 2], [2, 5, 3, 2]):
        num_inputs = int(rng.integers(2, 6))
        network = random_network(rng, num_inputs, layers)
        inputs = np.round(rng.uniform(0, 1, size=num_inputs), 2)
        with when_raised(lambda: public.outputs_mistake(submission)):   # it raised: see why (not after a hang or a crash)
            got = as_array(submission.forward_propagate(network, inputs), "forward_propagate(network, inputs)")
        want = np.array(reference.forward_propagate(network, inputs))
        if close(got, want, atol=1e-4, rtol=0):
            continue
        shown, expected = show_apart(got, want)
        message = (f"for a network with {len(layers) - 1} hidden layer(s) of {layers[:-1]} nodes and {layers[-1]} "
                   f"output node(s), forward_propagate returned {shown}, expected {expected}")
        root = public.forward_root(submission, network, inputs)
        if got.shape != want.shape:
            fail(message + f" (one value per output node: {want.size})",
                 root or (ONLY_FIRST_LAYER if got.size == layers[0] and len(layers) > 1 else None)
                 or public.outputs_mistake(submission))
        fail(message, root)


@pytest.mark.points(1)
def test_relu_random_arrays(submission, rng):
    """relu works on random numbers and arrays, including matrices"""
    for shape in ((), (6,), (3, 4)):
        values = rng.normal(0, 2, size=shape)
        argument = float(values) if shape == () else values
        with when_raised(public.RELU_SCALAR_ONLY if shape else None, replace=bool(shape)):
            got = as_array(submission.relu(argument), "relu(...)")
        expect_close(got, np.maximum(values, 0), f"relu({show(argument)})")


@pytest.mark.points(2)
def test_predict_with_network_random(submission, rng, reference):
    """predict_with_network is right for random inputs and weights, negative outputs included"""
    cases = 0
    while cases < 4:
        row = rng.integers(-5, 6, size=2)
        weights = {name: rng.integers(-5, 6, size=2) for name in ("node_0", "node_1", "output")}
        want = float(reference.predict_with_network(row, weights))
        if cases == 0 and want >= 0:
            continue   # the first case always has a negative output, where a ReLU on the output shows
        if cases == 1 and not (min(np.sum(row * weights["node_0"]), np.sum(row * weights["node_1"])) > 0
                               and np.all(weights["output"] != 0)):
            continue   # the second has both hidden nodes active, so each node's weighted sum shows in the output
        cases += 1
        expect_close(public.call_predict(submission, row, weights, want), want,
                     f"predict_with_network({show(row)}, {show(weights)})",
                     hint=lambda got: public.predict_mistake(row, weights, got, want, submission))
