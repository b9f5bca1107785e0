"""End to end: the real `grade` command on the reference with one named mistake each.

Each case asserts the score, which checks fail, and that the hint names the mistake.
"""

import pytest

from conftest import assert_mistake_named

BACKPROP_MISTAKES = [
    # (what the student got wrong, old text, new text, check that must fail, expected hint id)
    ("update with the wrong sign", "params[name] - learning_rate * grads[name]",
     "params[name] + learning_rate * grads[name]", "hidden/update_random", "update-sign"),
    ("gradient with the wrong sign", "delta2 = -(t - a2) * a2 * (1 - a2)",
     "delta2 = (t - a2) * a2 * (1 - a2)", "hidden/gradients_output_neuron_random", "gradient-sign"),
    ("missing sigmoid derivative at the output", "delta2 = -(t - a2) * a2 * (1 - a2)",
     "delta2 = -(t - a2)", "hidden/gradients_output_neuron_random", "missing-sigmoid-derivative"),
    ("missing a1(1-a1) for the first neuron", "delta1 = delta2 * w2 * a1 * (1 - a1)",
     "delta1 = delta2 * w2", "hidden/gradients_first_neuron_random", "missing-sigmoid-derivative"),
    ("dE/dw2 without the input a1", '"w2": delta2 * a1', '"w2": delta2',
     "hidden/gradients_output_neuron_random", "missing-input-factor"),
    ("forgetting w2 on the way back", "delta1 = delta2 * w2 * a1 * (1 - a1)",
     "delta1 = delta2 * a1 * (1 - a1)", "hidden/gradients_first_neuron_random", "missing-w2-factor"),
    ("forgetting the bias", "a1 = sigmoid(w1 * x + b1)\n    a2 = sigmoid(w2 * a1 + b2)",
     "a1 = sigmoid(w1 * x)\n    a2 = sigmoid(w2 * a1)", "hidden/forward_random", "forgot-bias"),
    ("weight and bias swapped", "a1 = sigmoid(w1 * x + b1)\n    a2 = sigmoid(w2 * a1 + b2)",
     "a1 = sigmoid(b1 * x + w1)\n    a2 = sigmoid(b2 * a1 + w2)", "hidden/forward_random", "swapped-weight-and-bias"),
    ("output neuron without sigmoid", "a2 = sigmoid(w2 * a1 + b2)", "a2 = w2 * a1 + b2",
     "hidden/forward_random", "output-not-activated"),
    ("error without the 1/2", "return 0.5 * (t - a2) ** 2", "return (t - a2) ** 2",
     "hidden/error_random", "error-missing-half"),
    ("x and t swapped in gradients", "a1, a2 = forward(x, w1, b1, w2, b2)\n    delta2 = -(t - a2)",
     "a1, a2 = forward(t, w1, b1, w2, b2)\n    delta2 = -(x - a2)", "hidden/gradients_output_neuron_random",
     "swapped-input-and-target"),
    ("update changes its input", "return {name: params[name] - learning_rate * grads[name] for name in params}",
     "for name in params:\n        params[name] = params[name] - learning_rate * grads[name]\n    return dict(params)",
     "hidden/update_random", "update-mutates-input"),
    ("error recorded after the update", "        current = error(t, a2)\n        errors.append(current)\n"
     "        if threshold is not None and current <= threshold:\n            break\n"
     "        params = update(params, gradients(x, t, params[\"w1\"], params[\"b1\"], params[\"w2\"], params[\"b2\"]), learning_rate)",
     "        params = update(params, gradients(x, t, params[\"w1\"], params[\"b1\"], params[\"w2\"], params[\"b2\"]), learning_rate)\n"
     "        _, a2 = forward(x, params[\"w1\"], params[\"b1\"], params[\"w2\"], params[\"b2\"])\n"
     "        current = error(t, a2)\n        errors.append(current)\n"
     "        if threshold is not None and current <= threshold:\n            break",
     "hidden/train_random", "train-error-after-update"),
    ("threshold ignored", "if threshold is not None and current <= threshold:", "if False:",
     "hidden/train_stops_at_threshold", "train-threshold-ignored"),
]


@pytest.mark.slow
@pytest.mark.parametrize("mistake, old, new, check_id, hint_id", BACKPROP_MISTAKES, ids=[m[0] for m in BACKPROP_MISTAKES])
def test_backprop_mistake_is_named(grade_source, mistake, old, new, check_id, hint_id):
    document = assert_mistake_named(grade_source, "02_backprop", old, new, check_id, hint_id, ("failed",)).document
    assert document["status"] == "graded"
    assert 0 < document["score"] < document["max_score"]


FORWARD_MISTAKES = [
    ("forgetting the bias", "return np.sum(inputs * weights) + bias", "return np.sum(inputs * weights)",
     "hidden/weighted_sum_random", "forgot-bias"),
    ("sigmoid with e^(+z)", "1.0 / (1.0 + np.exp(-1 * weighted_sum))", "1.0 / (1.0 + np.exp(weighted_sum))",
     "hidden/node_activation_random", "sigmoid-sign"),
    ("relu on the output node", 'return (hidden_layer_outputs * weights["output"]).sum()',
     'return relu((hidden_layer_outputs * weights["output"]).sum())', "hidden/predict_with_network_random", "relu-on-output"),
    ("relu only for numbers", "return np.maximum(x, 0)", "return max(x, 0)", "hidden/relu_random_arrays", "relu-scalar-only"),
    ("arguments swapped", "def predict_with_network(input_data_row, weights):",
     "def predict_with_network(weights, input_data_row):", "hidden/predict_with_network_random", "arguments-swapped"),
    ("no relu on the hidden nodes", 'node_0_output = relu((input_data_row * weights["node_0"]).sum())\n'
     '    node_1_output = relu((input_data_row * weights["node_1"]).sum())',
     'node_0_output = (input_data_row * weights["node_0"]).sum()\n    node_1_output = (input_data_row * weights["node_1"]).sum()',
     "hidden/predict_with_network_random", "missing-relu"),
]


@pytest.mark.slow
@pytest.mark.parametrize("mistake, old, new, check_id, hint_id", FORWARD_MISTAKES, ids=[m[0] for m in FORWARD_MISTAKES])
def test_forward_propagation_mistake_is_named(grade_source, mistake, old, new, check_id, hint_id):
    run = assert_mistake_named(grade_source, "01_forward_propagation", old, new, check_id, hint_id)
    assert run.document["score"] < run.document["max_score"]


ACTIVATION_MISTAKES = [
    ("softmax without subtracting the max", "shifted = np.exp(z - z.max(axis=-1, keepdims=True))", "shifted = np.exp(z)",
     "public/softmax_vector_matrix_and_large_values", "unstable-softmax"),
    ("softmax over the whole matrix", "return shifted / shifted.sum(axis=-1, keepdims=True)", "return shifted / shifted.sum()",
     "hidden/softmax_random_matrices_and_huge_values", "softmax-wrong-axis"),
    ("sigmoid derivative of the activated value", "    s = sigmoid(z)\n    return s * (1 - s)",
     "    return z * (1 - z)", "public/sigmoid_and_its_derivative", "derivative-takes-z"),
    ("relu derivative returns relu", 'return np.where(np.asarray(z) > 0, 1.0, 0.0)', "return relu(z)",
     "public/relu_and_its_derivative", "relu-derivative-is-slope"),
    ("vanishing gradient without the input x", "gradient = x * slopes[0]", "gradient = slopes[0]",
     "hidden/first_layer_gradient_random_chains", "chain-rule-factors"),
    ("leaky relu ignores alpha", "return np.where(z > 0, z, alpha * z)", "return np.where(z > 0, z, 0.01 * z)",
     "hidden/leaky_relu_random_alpha", "leaky-relu-alpha"),
    ("relu for numbers only", "return np.maximum(np.asarray(z, dtype=float), 0)", "return max(z, 0)",
     "public/relu_and_its_derivative", "scalar-only"),
]


@pytest.mark.slow
@pytest.mark.parametrize("mistake, old, new, check_id, hint_id", ACTIVATION_MISTAKES, ids=[m[0] for m in ACTIVATION_MISTAKES])
def test_activation_mistake_is_named(grade_source, mistake, old, new, check_id, hint_id):
    assert_mistake_named(grade_source, "03_activations", old, new, check_id, hint_id)


GRADIENT_DESCENT_MISTAKES = [
    ("slope without the factor 2", "slope = 2 * input_data * error", "slope = input_data * error",
     "public/slope_course_example", "slope-missing-factor-2"),
    ("error as target minus prediction", "error = preds - target", "error = target - preds",
     "hidden/error_random", "error-sign"),
    ("update along the slope", "return weights - learning_rate * get_slope(input_data, target, weights)",
     "return weights + learning_rate * get_slope(input_data, target, weights)",
     "hidden/gradient_descent_step_random", "update-sign"),
    ("sgd steps along the slope", "w = w - learning_rate * slope", "w = w + learning_rate * slope",
     "hidden/sgd_learns", "update-sign"),
    ("fit_line steps along the slope", "w = w - learning_rate * gradient", "w = w + learning_rate * gradient",
     "public/learning_rates_too_large_and_too_small", "update-sign"),
    ("history without the start", "ws, costs = [w], [float(np.mean((z - w * x) ** 2))]", "ws, costs = [], []",
     "public/fit_z_equals_2x_from_zero", "history-includes-start"),
]


@pytest.mark.slow
@pytest.mark.parametrize("mistake, old, new, check_id, hint_id", GRADIENT_DESCENT_MISTAKES,
                         ids=[m[0] for m in GRADIENT_DESCENT_MISTAKES])
def test_gradient_descent_mistake_is_named(grade_source, mistake, old, new, check_id, hint_id):
    assert_mistake_named(grade_source, "04_gradient_descent", old, new, check_id, hint_id)


def test_hard_coding_the_worked_example_earns_only_public_points(grade_source):
    source = '''
def sigmoid(z):
    return {0.415: 0.6022861768886306, 0.0: 0.5}.get(z, 0.5)
def forward(x, w1, b1, w2, b2):
    return (0.6022861768886306, 0.7152516802527555)
def error(t, a2):
    return 0.10822956298900614
def gradients(x, t, w1, b1, w2, b2):
    return {"w1": 0.0010213958814763399, "b1": 0.010213958814763398, "w2": 0.05707039820105493, "b2": 0.0947562809690847}
def update(params, grads, learning_rate):
    return {"w1": 0.14959144164740945, "b1": 0.39591441647409464, "w2": 0.42717184071957803, "b2": 0.6120974876123662}
def train(x, t, params, learning_rate, epochs, threshold=None):
    return ({"w1": 0.1488379513974157, "b1": 0.38837951397415704, "w2": 0.38177511626799426, "b2": 0.5365406421460566},
            [0.10822956298900614, 0.10329792471097587, 0.09839422626535557])
'''
    document = grade_source("02_backprop", source).document
    public_points = sum(c["max_score"] for c in document["checks"] if c["visibility"] == "public")
    assert document["score"] == public_points
    assert all(c["score"] == 0 for c in document["checks"] if c["visibility"] == "hidden")
