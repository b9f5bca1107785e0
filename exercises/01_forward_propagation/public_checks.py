"""Public checks for exercise 01: the examples of the lectures and labs.

You may read these. They run against your file through `grade exercises/01_forward_propagation`;
hidden checks with random networks run as well when your work is graded.
"""

import numpy as np
import pytest

from grader.authoring import (CheckFailed, Hint, Outcome, Root, SubmissionFailure, as_array, as_number, close,
                              expect_close, fail, gives, number_of, rounded_to, show, when_raised, wrong_root)

# ----------------------------------------------------------------------------- named mistakes

FORGOT_BIAS = Hint("forgot-bias", "The bias is missing: a node computes sum(inputs * weights) + bias.")
SIGMOID_SIGN = Hint("sigmoid-sign", "The sigmoid is 1 / (1 + e^(-z)), with a minus sign in the exponent; yours "
                    "gives 1 - sigmoid(z).")
ROUNDED = Hint("rounded-result", "Your value is the right one rounded to a few decimals. Return it as computed: "
               "the lecture rounds its numbers (0.6023) only to print them.")
NO_ACTIVATION = Hint("missing-activation", "Every node applies node_activation (the sigmoid) to its weighted sum; "
                     "your values are the weighted sums themselves.")
RELU_ON_OUTPUT = Hint("relu-on-output", "The output node is linear: apply relu to the hidden nodes only, "
                      "not to the output, or negative predictions become 0.")
NO_RELU_HIDDEN = Hint("missing-relu", "The hidden nodes node_0 and node_1 apply relu to their weighted sums.")
RELU_SCALAR_ONLY = Hint("relu-scalar-only", "max(0, x) works for one number but not for a numpy array; "
                        "np.maximum(x, 0) works for both.")
ARGUMENTS_SWAPPED = Hint("arguments-swapped", "Your function works when its arguments are swapped: keep the "
                         "order of the exercise, predict_with_network(input_data_row, weights).")
NO_OUTPUT_LAYER = Hint("missing-output-layer", "The network has no 'output' layer: the loop runs over "
                       "range(num_hidden_layers + 1), and its last pass builds network['output'] with num_nodes_output nodes.")
EXTRA_LAYER = Hint("extra-layer", "The loop over the layers runs once too often: range(num_hidden_layers + 1) "
                   "passes build the hidden layers and then the output layer, and nothing after it.")
OUTPUT_FIRST = Hint("output-layer-first", "Only the last pass of the loop (layer == num_hidden_layers) builds the "
                    "'output' layer; the passes before it build the hidden layers layer_1, layer_2, ...")
LAYER_NUMBERING = Hint("layer-numbering", "The hidden layers are named 'layer_1', 'layer_2', ...: the loop counts "
                       "from 0, so the name is 'layer_{}'.format(layer + 1).")
NODE_NUMBERING = Hint("node-numbering", "The nodes are named 'node_1', 'node_2', ... in every layer: the loop counts "
                      "from 0, so the name is 'node_{}'.format(node + 1).")
NODE_COUNT = Hint("node-count", "Each layer has exactly its number of nodes: for node in range(num_nodes) builds "
                  "node_1 ... node_<num_nodes>, one node per pass.")
UNIFORM_WITHOUT_SIZE = Hint("uniform-without-size", "np.random.uniform() without size= gives one plain number: a "
                            "node's weights need size=<number of inputs to the node> and its bias size=1, as in the lab.")
NO_OUTPUTS = Hint("no-node-outputs", "Your layers pass on no values: append each node's activation to the layer's "
                  "outputs, which become the inputs of the next layer (and, for the output layer, what you return).")
SUM_NOT_MEAN = Hint("sum-not-mean", "A node adds up its inputs times its weights: (input_data_row * weights[...]).sum(), "
                    "not .mean().")
NODE_WITHOUT_WEIGHTS = Hint("node-without-weights", "Every node multiplies its inputs by its own weights before adding "
                            "them up: (input_data_row * weights['node_0']).sum() for node_0, and so on, "
                            "(hidden_layer_outputs * weights['output']).sum() for the output.")
# Cascades: a function that uses a wrong one says so, so the student fixes the root first.
USES = {name: Hint(f"uses-wrong-{name.replace('_', '-')}", f"Your {name}() gives wrong values (see its check), and {user}() uses it: "
                                         f"fix {name} first; this may then pass too.")
        for name, user in (("compute_weighted_sum", "forward_propagate"), ("node_activation", "forward_propagate"),
                           ("relu", "predict_with_network"))}
NETWORK_LAYER_NAMES = "network['layer_1'], ..., network['layer_<n>'] and network['output']"

# The labs' two-input network, and what it predicts for inputs [0.5, 0.82].
SMALL_NETWORK = {
    "layer_1": {"node_1": {"weights": np.array([0.55, 0.72]), "bias": np.array([0.6])},
                "node_2": {"weights": np.array([0.54, 0.42]), "bias": np.array([0.65])}},
    "output": {"node_1": {"weights": np.array([0.44, 0.89]), "bias": np.array([0.96])}},
}
SMALL_INPUTS = np.array([0.5, 0.82])
SMALL_OUTPUT = [0.8819933663458562]


def sigmoid_mistake(got, z):
    sigmoid = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    if close(got, 1 - sigmoid) and not close(got, sigmoid):
        return SIGMOID_SIGN
    if close(got, z):
        return NO_ACTIVATION
    return ROUNDED if rounded_to(got, sigmoid) else None


def layout(num_inputs, num_hidden_layers, num_nodes_hidden, num_nodes_output, *, passes=1, output_last=True,
           layer_from=1, node_from=1, node_delta=0, weights_size=True, bias_size=True):
    """The shape of the network the lab's loop builds, computed here: [(layer, [(node, weights shape, bias shape)])],
    or None where the loop would fail. The keywords are known mistakes: the loop runs num_hidden_layers + passes
    times, builds the output on the wrong pass, numbers layers or nodes from another start, builds num_nodes +
    node_delta nodes, or draws the weights or the bias without size=."""
    network, previous = {}, num_inputs
    for layer in range(num_hidden_layers + passes):
        if (layer == num_hidden_layers) == output_last:
            name, count = "output", num_nodes_output
        elif layer < len(num_nodes_hidden):
            name, count = f"layer_{layer + layer_from}", num_nodes_hidden[layer]
        else:
            return None
        network[name] = [(f"node_{node + node_from}", (previous,) if weights_size else (), (1,) if bias_size else ())
                         for node in range(count + node_delta)]
        previous = count
    return list(network.items())


def shape_of(network):
    """What the submission returned, as layout() describes a network (None if it is not such nested dicts)."""
    if type(network) is not dict or not all(type(layer) is dict for layer in network.values()):
        return None
    shape = []
    for name, layer in network.items():
        nodes = []
        for node_name, node in layer.items():
            if type(node) is not dict or set(node) != {"weights", "bias"}:
                return None
            try:
                weights, bias = np.asarray(node["weights"], dtype=float), np.asarray(node["bias"], dtype=float)
            except (TypeError, ValueError):
                return None
            nodes.append((node_name, weights.shape, bias.shape))
        shape.append((name, nodes))
    return shape


# Each mistake as the loop that makes it: the network it returns has exactly that shape (and nothing else is wrong).
STRUCTURE_MISTAKES = [(NO_OUTPUT_LAYER, {"passes": 0}), (NODE_COUNT, {"node_delta": -1}), (NODE_COUNT, {"node_delta": 1}),
                      (UNIFORM_WITHOUT_SIZE, {"weights_size": False}), (UNIFORM_WITHOUT_SIZE, {"bias_size": False})] \
    + [(LAYER_NUMBERING, {"layer_from": start}) for start in (-1, 0, 2)] \
    + [(NODE_NUMBERING, {"node_from": start}) for start in (-1, 0, 2)]
# Mistakes that make the loop fail on the right arguments: seen on a longer num_nodes_hidden list.
CRASH_MISTAKES = [(EXTRA_LAYER, {"passes": 2}), (OUTPUT_FIRST, {"output_last": False})]
PADDING = [2, 2]


def structure_mistake(network, sizes):
    """The named mistake whose loop builds exactly this network for `sizes` (initialize_network's arguments)."""
    shape = shape_of(network)
    return next((hint for hint, mistake in STRUCTURE_MISTAKES if shape is not None and shape == layout(*sizes, **mistake)),
                None)


def call_initialize(submission, sizes):
    """Call initialize_network(*sizes); if it fails, see whether a known mistake's loop explains it: such a loop
    runs past the end of num_nodes_hidden, so with a longer list it returns the network that mistake builds."""
    num_inputs, num_hidden_layers, num_nodes_hidden, num_nodes_output = sizes
    try:
        return submission.initialize_network(*sizes)
    except SubmissionFailure as failure:
        if failure.outcome is not Outcome.ERROR:
            raise                  # it hung or crashed: no second call
        padded = (num_inputs, num_hidden_layers, list(num_nodes_hidden) + PADDING, num_nodes_output)
        try:
            shape = shape_of(submission.initialize_network(*padded))
        except SubmissionFailure:
            raise failure from None
        if layout(*sizes) is not None:
            failure.hint = next((hint for hint, mistake in CRASH_MISTAKES
                                 if layout(*sizes, **mistake) is None and shape == layout(*padded, **mistake)), None)
        raise failure from None


def check_network_structure(network, num_inputs, nodes_per_layer, what, sizes=None):
    """`nodes_per_layer` lists the hidden layers' sizes, then the output's; `sizes`: initialize_network's
    arguments, to name a known mistake."""
    try:
        _check_structure(network, num_inputs, nodes_per_layer, what)
    except CheckFailed as failure:
        if sizes is not None and failure.hint is None:
            failure.hint = structure_mistake(network, sizes)
        raise


def _check_structure(network, num_inputs, nodes_per_layer, what):
    if type(network) is not dict:
        fail(f"{what} should return a dict, but it returned {show(network)}")
    names = [f"layer_{i + 1}" for i in range(len(nodes_per_layer) - 1)] + ["output"]
    if list(network) != names:
        fail(f"{what} returned the layers {list(network)}; expected {names} ({NETWORK_LAYER_NAMES}, in that order)")
    previous = num_inputs
    for name, count in zip(names, nodes_per_layer):
        layer = network[name]
        nodes = [f"node_{i + 1}" for i in range(count)]
        if type(layer) is not dict or list(layer) != nodes:
            fail(f"network[{name!r}] should hold the nodes {nodes}, but it holds {show(list(layer) if type(layer) is dict else layer)}")
        for node_name, node in layer.items():
            where = f"network[{name!r}][{node_name!r}]"
            if type(node) is not dict or set(node) != {"weights", "bias"}:
                fail(f"{where} should be a dict with the keys 'weights' and 'bias', but it is {show(node)}")
            weights = as_array(node["weights"], f"{where}['weights']")
            if weights.shape != (previous,):
                fail(f"{where}['weights'] has shape {weights.shape}; a node in this layer has {previous} inputs, "
                     f"so it needs {previous} weights")
            bias = as_array(node["bias"], f"{where}['bias']")
            if bias.shape != (1,):
                fail(f"{where}['bias'] should be an array holding one number, as in the lab "
                     f"(np.random.uniform(size=1)), but it is {show(node['bias'])}")
            if not np.all(np.isfinite(weights)) or not np.all(np.isfinite(bias)):
                fail(f"{where} has weights or a bias that are not finite numbers")
        previous = count


def forward_root(submission, network, inputs):
    """USES[...] when compute_weighted_sum or node_activation is wrong on the first node of `network`."""
    node = next(iter(next(iter(network.values())).values()))
    inputs = np.asarray(inputs, dtype=float)
    z = float(np.sum(inputs * node["weights"]) + node["bias"][0])
    return wrong_root(Root(USES["compute_weighted_sum"], lambda: as_number(submission.compute_weighted_sum(
                          inputs, node["weights"], node["bias"]), "z"), z),
                      *(Root(USES["node_activation"], lambda v=v: submission.node_activation(v), 1 / (1 + np.exp(-v)))
                        for v in (z, -1.5, 0.7)))


# A network of one layer of two nodes: forward_propagate gives their two activations, [0.6434, 0.3566].
ONE_LAYER = {"output": {"node_1": {"weights": np.array([1.0, -0.5]), "bias": np.array([0.5])},
                        "node_2": {"weights": np.array([-1.0, 0.5]), "bias": np.array([-0.5])}}}


def outputs_mistake(submission):
    """NO_OUTPUTS when forward_propagate returns an empty list even for a network of one layer, whose nodes need
    nothing but the inputs (so its outputs were never collected), while its functions are right."""
    if forward_root(submission, ONE_LAYER, SMALL_INPUTS) is not None:
        return None
    try:
        got = submission.forward_propagate(ONE_LAYER, SMALL_INPUTS)
    except SubmissionFailure:
        return None
    return NO_OUTPUTS if type(got) in (list, tuple) and len(got) == 0 else None


def relu_root(submission, values):
    """USES['relu'] when relu is wrong on one of the hidden nodes' weighted sums."""
    return wrong_root(*(Root(USES["relu"], lambda v=v: submission.relu(float(v)), max(float(v), 0.0)) for v in values))


# A network where relu matters twice over: node_1's weighted sum is -37 (relu makes it 0), the output is 52;
# without relu on the hidden nodes it is -207; with the output weights negated the right output is -52.
PROBE_ROW = np.array([3.0, 5.0])
PROBE_WEIGHTS = {"node_0": np.array([2.0, 4.0]), "node_1": np.array([-4.0, -5.0]), "output": np.array([2.0, 7.0])}


def predict_mistake(row, weights, got, want, submission=None):
    """Name the mistake in predict_with_network. The pattern seen on one network can be a coincidence (small
    integers), so each hint is confirmed by calling the submission on a second network where it shows for sure."""
    if submission is None:
        return None
    hidden = [max(float(np.sum(row * weights[f"node_{i}"])), 0.0) for i in (0, 1)]
    linear_hidden = [float(np.sum(row * weights[f"node_{i}"])) for i in (0, 1)]
    root = relu_root(submission, linear_hidden)
    if root is not None:
        return root          # a wrong relu first: it explains whatever the network does with it
    negated = dict(PROBE_WEIGHTS, output=-PROBE_WEIGHTS["output"])
    if want < 0 and close(got, 0.0) and gives(lambda: submission.predict_with_network(PROBE_ROW, negated), 0.0) \
            and gives(lambda: submission.predict_with_network(PROBE_ROW, PROBE_WEIGHTS), 52.0):
        return RELU_ON_OUTPUT
    if close(got, float(np.dot(linear_hidden, weights["output"]))) and not close(got, float(np.dot(hidden, weights["output"]))) \
            and gives(lambda: submission.predict_with_network(PROBE_ROW, PROBE_WEIGHTS), -207.0):
        return NO_RELU_HIDDEN
    for hint, variant in NODE_MISTAKES:
        if close(got, predict_variant(row, weights, variant)) and not close(got, want) \
                and gives(lambda: submission.predict_with_network(PROBE_ROW, SECOND_PROBE_WEIGHTS),
                          predict_variant(PROBE_ROW, SECOND_PROBE_WEIGHTS, variant)):
            return hint
    return None


# A network whose two hidden nodes are both positive (26 and 7): each node's mistake changes the output (101).
SECOND_PROBE_WEIGHTS = {"node_0": np.array([2.0, 4.0]), "node_1": np.array([4.0, -1.0]), "output": np.array([2.0, 7.0])}
NODES = ("node_0", "node_1", "output")
# One node's mistake: it takes the mean instead of the sum, or leaves out its weights.
NODE_MISTAKES = [(SUM_NOT_MEAN, {node: "mean"}) for node in NODES] + [(NODE_WITHOUT_WEIGHTS, {node: "no weights"}) for node in NODES]


def predict_variant(row, weights, variant):
    """What predict_with_network gives with each node of `variant` computed its wrong way, computed here."""
    def node(name, inputs):
        products = inputs * (1.0 if variant.get(name) == "no weights" else np.asarray(weights[name], dtype=float))
        return float(np.mean(products) if variant.get(name) == "mean" else np.sum(products))
    hidden = np.array([max(node(name, np.asarray(row, dtype=float)), 0.0) for name in ("node_0", "node_1")])
    return node("output", hidden)


def call_predict(submission, row, weights, want):
    """Call predict_with_network; if it fails, see whether swapped arguments would have worked."""
    try:
        return as_number(submission.predict_with_network(row, weights), "predict_with_network(...)")
    except SubmissionFailure as failure:
        try:
            swapped = submission.predict_with_network(weights, row)
        except SubmissionFailure:
            raise failure from None
        if number_of(swapped) is not None and close(swapped, want):
            failure.hint = ARGUMENTS_SWAPPED
        raise failure from None


# ----------------------------------------------------------------------------- checks

@pytest.mark.points(1)
def test_weighted_sum_lecture_example(submission):
    """compute_weighted_sum: x1 = 0.1, w1 = 0.15, b = 0.4 gives z = 0.415"""
    expect_close(submission.compute_weighted_sum(np.array([0.1]), np.array([0.15]), np.array([0.4])), 0.415,
                 "compute_weighted_sum([0.1], [0.15], [0.4])", wrong={FORGOT_BIAS: 0.015})
    expect_close(submission.compute_weighted_sum(np.array([0.5, 0.82, 0.23]), np.array([0.4, -0.3, 0.9]), np.array([0.25])),
                 0.411, "compute_weighted_sum([0.5, 0.82, 0.23], [0.4, -0.3, 0.9], [0.25])", wrong={FORGOT_BIAS: 0.161})


@pytest.mark.points(1)
def test_node_activation_lecture_example(submission):
    """node_activation(0.415) is 0.6023, as in the lecture"""
    expect_close(submission.node_activation(0.415), 0.6022861768886306, "node_activation(0.415)",
                 note=" (the lecture prints it as 0.6023)", hint=lambda got: sigmoid_mistake(got, 0.415))


@pytest.mark.points(2)
def test_initialize_network_lab_example(submission):
    """initialize_network(5, 3, [3, 2, 3], 1) has the lab's layers, nodes and shapes"""
    network = call_initialize(submission, (5, 3, [3, 2, 3], 1))
    check_network_structure(network, 5, [3, 2, 3, 1], "initialize_network(5, 3, [3, 2, 3], 1)", (5, 3, [3, 2, 3], 1))


@pytest.mark.points(2)
def test_forward_propagate_small_network(submission):
    """forward_propagate through the lab's small network gives 0.8820"""
    with when_raised(lambda: outputs_mistake(submission)):    # it raised: see why (not after a hang or a crash)
        got = as_array(submission.forward_propagate(SMALL_NETWORK, SMALL_INPUTS), "forward_propagate(network, [0.5, 0.82])")
    if got.shape != (1,):
        fail(f"forward_propagate should return a list with one value per output node (here 1), but it returned {show(got)}",
             forward_root(submission, SMALL_NETWORK, SMALL_INPUTS) or outputs_mistake(submission))
    expect_close(got, SMALL_OUTPUT, "forward_propagate(network, [0.5, 0.82])", atol=1e-4, rtol=0,
                 root=lambda: forward_root(submission, SMALL_NETWORK, SMALL_INPUTS))


@pytest.mark.points(1)
def test_relu_numbers_and_arrays(submission):
    """relu(-3) is 0, relu(2.5) is 2.5, and relu works element by element on an array"""
    for x, want in ((-3, 0), (2.5, 2.5), (0, 0)):
        expect_close(submission.relu(x), want, f"relu({x})")
    values = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    with when_raised(RELU_SCALAR_ONLY, replace=True):
        expect_close(submission.relu(values), np.maximum(values, 0), f"relu({show(values)})")


@pytest.mark.points(2)
def test_predict_with_network_course_examples(submission):
    """predict_with_network gives 9 and -3 for the course's two examples"""
    examples = [
        (np.array([2, 3]), {"node_0": np.array([1, 1]), "node_1": np.array([-1, 1]), "output": np.array([2, -1])}, 9.0),
        (np.array([-1, 2]), {"node_0": np.array([3, 3]), "node_1": np.array([1, 5]), "output": np.array([2, -1])}, -3.0),
    ]
    for row, weights, want in examples:
        expect_close(call_predict(submission, row, weights, want), want, f"predict_with_network({show(row)}, {show(weights)})",
                     hint=lambda got: predict_mistake(row, weights, got, want, submission))
