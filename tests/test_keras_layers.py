"""The layer registry: every layer class the grader runs computes what Keras' own predict computes, and the view
the checks read folds an activation layer into the layer before it where Keras computes the same model.

The comparisons build real Keras models (real TensorFlow, marked slow) with random weights, send them across the
wire as a submission's would be, and run them in numpy. The view and the refusals need no TensorFlow.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from conftest import ROOT
from grader.grading import keras_models
from grader.grading.checklib import CheckFailed, load_module
from grader.grading.keras_models.activations import ACTIVATIONS
from grader.grading.keras_models.layer_types import REGISTRY
from grader.sandbox import wire


def roundtrip(value):
    return wire.decode(wire.loads(wire.dumps({"v": wire.encode(value)})[4:])["v"])


@pytest.fixture(scope="module")
def keras():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


# ----------------------------------------------------------------------------- each layer class against Keras

def _cases(keras):
    """(kind, input shape, layers): one model per case, every registered layer class in at least one."""
    L = keras.layers
    return [
        ("Dense", (5,), [L.Dense(4, activation="tanh"), L.Dense(3, use_bias=False)]),
        ("Conv2D", (7, 7, 2), [L.Conv2D(3, 3, padding="same", strides=2, activation="relu"), L.Conv2D(2, (2, 3))]),
        ("MaxPooling2D", (6, 6, 2), [L.MaxPooling2D((2, 2)), L.MaxPooling2D(2, strides=1)]),
        ("Flatten", (3, 4), [L.Flatten(), L.Dense(2)]),
        ("Reshape", (12,), [L.Reshape((3, -1)), L.Dense(2)]),
        ("Dropout", (6,), [L.Dense(8, activation="relu"), L.Dropout(0.2), L.Dense(2), L.Dropout(0.5)]),
        ("SimpleRNN", (5, 3), [L.SimpleRNN(4, return_sequences=True), L.SimpleRNN(3, activation="relu")]),
        ("LSTM", (5, 3), [L.LSTM(4, return_sequences=True), L.LSTM(3, activation="relu",
                                                                    recurrent_activation="hard_sigmoid")]),
        ("Activation", (6,), [L.Dense(5), L.Activation("relu"), L.Dense(4), L.Activation("softmax")]),
        ("ReLU", (6,), [L.Dense(5), L.ReLU(), L.Dense(5), L.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2)]),
        ("ReLU", (6,), [L.Dense(5), L.ReLU(threshold=0.3, max_value=6.0), L.Dense(5), L.ReLU(negative_slope=0.5)]),
        ("LeakyReLU", (6,), [L.Dense(5), L.LeakyReLU(), L.Dense(4), L.LeakyReLU(negative_slope=0.01)]),
        ("Softmax", (4, 6), [L.Dense(5), L.Softmax(), L.Softmax(axis=1)]),
        ("BatchNormalization", (6,), [L.Dense(5), L.BatchNormalization(), L.Dense(4, activation="relu"),
                                      L.BatchNormalization(center=False, epsilon=0.1)]),
        ("BatchNormalization", (5, 5, 2), [L.Conv2D(3, 2), L.BatchNormalization(scale=False), L.Flatten(),
                                           L.Dense(3), L.BatchNormalization(momentum=0.5)]),
        ("BatchNormalization", (4, 3), [L.BatchNormalization(axis=1), L.Flatten()]),
    ]


def _random_weights(model, rng):
    """Weights of every shape drawn at random; a moving variance stays positive, as a trained one is."""
    return [rng.uniform(0.3, 2.0, size=w.shape) if "variance" in w.path else rng.normal(size=w.shape)
            for w in model.weights]


@pytest.mark.slow
def test_every_layer_class_computes_what_keras_predicts(keras):
    rng = np.random.default_rng(7)
    covered = set()
    for kind, shape, layer_list in _cases(keras):
        model = keras.Sequential([keras.Input(shape), *layer_list])
        model.set_weights(_random_weights(model, rng))
        x = rng.normal(size=(9, *shape))
        expected = model.predict(x, verbose=0)
        got = keras_models.forward(roundtrip(model), x, "m")
        assert got.shape == expected.shape, kind
        assert np.allclose(got, expected, atol=1e-4, rtol=1e-4), (kind, np.abs(got - expected).max())
        covered.add(kind)
    assert covered == set(REGISTRY), f"layer classes without a test against Keras: {set(REGISTRY) - covered}"


@pytest.mark.slow
def test_a_numbered_softmax_axis_reads_as_softmax_only_where_it_is_the_last_of_real_models(keras):
    """Real Keras descriptions: Softmax(axis=1) on (None, 10) and Softmax(axis=3) after Conv2D read as softmax and
    compute it; a Dense layer built beforehand for (None, 8) but run on (None, 5, 8) gives Softmax(axis=1) a middle
    axis, which stays another function."""
    L = keras.layers
    as_seen = [
        (keras.Sequential([keras.Input((6,)), L.Dense(10), L.Softmax(axis=1)]), "softmax"),
        (keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3), L.Softmax(axis=3)]), "softmax"),
    ]
    prebuilt = L.Dense(4)
    prebuilt.build((None, 8))
    as_seen.append((keras.Sequential([keras.Input((5, 8)), prebuilt, L.Softmax(axis=1)]), "softmax(axis=1)"))
    rng = np.random.default_rng(3)
    for model, activation in as_seen:
        sent = roundtrip(model)
        assert [layer.activation for layer in keras_models.layers(sent, "m")][0] == activation
        x = rng.normal(size=(3, *model.input_shape[1:]))
        assert np.allclose(keras_models.forward(sent, x, "m"), model.predict(x, verbose=0), atol=1e-5)


@pytest.mark.slow
def test_batch_normalization_runs_on_the_moving_statistics_a_fit_learned(keras):
    """After training, predict normalizes with the moving mean and variance (not the batch's own): so does the
    grader, whatever the batch it is given."""
    rng = np.random.default_rng(3)
    x = rng.normal(loc=5.0, scale=3.0, size=(64, 4)).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.3), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x.sum(axis=1), epochs=3, verbose=0)
    description = roundtrip(model)
    for batch in (x[:1], x[:7], x):
        assert np.allclose(keras_models.forward(description, batch, "m"), model.predict(batch, verbose=0), atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(name for name in ACTIVATIONS if name))
def test_every_activation_by_name_is_the_one_keras_computes(keras, name):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation=name)])
    model.set_weights(_random_weights(model, np.random.default_rng(11)))
    x = np.random.default_rng(12).normal(scale=2.0, size=(8, 5))
    assert np.allclose(keras_models.forward(roundtrip(model), x, "m"), model.predict(x, verbose=0), atol=1e-5)


@pytest.mark.slow
def test_the_functional_api_and_keras_input_run_as_a_chain_and_branches_are_refused(keras):
    L = keras.layers
    inputs = keras.Input((5,))
    hidden = L.Activation("relu")(L.Dense(4)(inputs))
    chain = keras.Model(inputs, L.Softmax()(L.Dense(3)(L.Dropout(0.2)(hidden))))
    chain.set_weights(_random_weights(chain, np.random.default_rng(5)))
    x = np.random.default_rng(6).normal(size=(4, 5))
    description = roundtrip(chain)
    assert description.input_shape == [None, 5]
    assert [(layer.kind, layer.activation) for layer in keras_models.layers(description, "m")] == \
        [("Dense", "relu"), ("Dropout", None), ("Dense", "softmax")]
    assert np.allclose(keras_models.forward(description, x, "m"), chain.predict(x, verbose=0), atol=1e-5)
    two_heads = keras.Model(inputs, [L.Dense(1)(hidden), L.Dense(2)(hidden)])
    with pytest.raises(CheckFailed, match="not one chain"):
        keras_models.forward(roundtrip(two_heads), x, "m")
    early_output = keras.Model(inputs, hidden)
    assert np.allclose(keras_models.forward(roundtrip(early_output), x, "m"), early_output.predict(x, verbose=0),
                       atol=1e-5)


# ----------------------------------------------------------------------------- the view the checks read

def description(layer_list, weights=(), input_shape=None):
    """A model description as the wire would decode it, built by hand: no TensorFlow involved."""
    layer_configs = [{"class_name": kind, "config": {"name": f"layer_{i}", **config}}
                     for i, (kind, config) in enumerate(layer_list)]
    architecture = json.dumps({"class_name": "Sequential", "config": {"layers": layer_configs}})
    return wire.ModelDescription(architecture, {"loss": "mse", "optimizer": "adam"},
                                 [np.asarray(w, dtype="float32") for w in weights], input_shape, None)


def seen(layer_list):
    return [(layer.kind, layer.activation) for layer in keras_models.layers(description(layer_list), "m")]


DENSE = ("Dense", {"units": 50, "activation": "linear"})


@pytest.mark.parametrize("activation_layer, name", [
    (("Activation", {"activation": "relu"}), "relu"),
    (("ReLU", {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}), "relu"),
    (("ReLU", {}), "relu"),
    (("Softmax", {"axis": -1}), "softmax"),
    (("Activation", {"activation": "softmax"}), "softmax"),
    (("Activation", {"activation": "sigmoid"}), "sigmoid"),
    (("LeakyReLU", {"negative_slope": 0.2}), "leaky_relu"),   # what activation='leaky_relu' computes
])
def test_an_activation_layer_after_a_linear_dense_layer_is_that_layers_activation(activation_layer, name):
    assert seen([DENSE, activation_layer, ("Dense", {"units": 1})]) == [("Dense", name), ("Dense", None)]
    assert seen([("Conv2D", {"filters": 2, "kernel_size": 3}), activation_layer]) == [("Conv2D", name)]


def test_the_view_keeps_a_different_model_different():
    """LeakyReLU's default slope, a capped ReLU and a softmax over another axis are other functions; an activation
    layer after a Dense layer that has one, after Dropout, after an LSTM or first in the model is its own layer."""
    assert seen([DENSE, ("LeakyReLU", {"negative_slope": 0.3})]) == [("Dense", "leaky_relu(negative_slope=0.3)")]
    assert seen([DENSE, ("ReLU", {"max_value": 6.0})]) == [("Dense", "relu(max_value=6.0)")]
    assert seen([DENSE, ("Softmax", {"axis": 1})]) == [("Dense", "softmax(axis=1)")]
    assert seen([("Dense", {"units": 5, "activation": "relu"}), ("Activation", {"activation": "softmax"})]) == \
        [("Dense", "relu"), ("Activation", "softmax")]
    assert seen([DENSE, ("Dropout", {"rate": 0.2}), ("ReLU", {})]) == [("Dense", "linear"), ("Dropout", None),
                                                                        ("ReLU", None)]
    assert seen([("LSTM", {"units": 3}), ("Activation", {"activation": "relu"})]) == [("LSTM", None),
                                                                                   ("Activation", "relu")]
    assert seen([("Activation", {"activation": "relu"}), DENSE]) == [("Activation", "relu"), ("Dense", "linear")]
    assert seen([DENSE, ("ReLU", {}), ("Softmax", {})]) == [("Dense", "relu"), ("Softmax", None)]
    assert seen([DENSE, ("Activation", {"activation": "linear"})]) == [("Dense", "linear")]   # the identity


def test_a_softmax_over_the_last_axis_by_its_number_is_softmax():
    """Softmax(axis=1) after a Dense layer on (None, 64) runs over its last axis, as Softmax() does; on (None, 5, 64)
    it runs over another axis and stays another function. The axes come from the model's input shape as the forward
    pass plans it, never from what a layer says it was built for."""
    dense = ("Dense", {"units": 10, "activation": "linear"})
    kernel = [np.zeros((64, 10)), np.zeros(10)]

    def view(softmax, shape):
        model = description([dense, ("Softmax", softmax)], kernel, shape)
        return [(layer.kind, layer.activation) for layer in keras_models.layers(model, "m")]

    assert view({"axis": 1}, [None, 64]) == [("Dense", "softmax")]
    assert view({"axis": [1]}, [None, 64]) == [("Dense", "softmax")]
    assert view({"axis": 1}, [None, 5, 64]) == [("Dense", "softmax(axis=1)")]
    assert view({"axis": 2}, [None, 5, 64]) == [("Dense", "softmax")]
    assert view({"axis": 1}, None) == [("Dense", "softmax(axis=1)")]   # no input shape: no axis taken for the last
    assert view({"axis": True}, [None, 64]) == [("Dense", "softmax(axis=true)")]
    assert view({"axis": 1.0}, [None, 64]) == [("Dense", "softmax(axis=1.0)")]
    # after a Dense layer that applies its own activation, the softmax layer is another layer, numbered or not
    relu = description([("Dense", {"units": 10, "activation": "relu"}), ("Softmax", {"axis": 1})], kernel, [None, 64])
    assert [(layer.kind, layer.activation) for layer in keras_models.layers(relu, "m")] == \
        [("Dense", "relu"), ("Softmax", None)]


TF_NN_SOFTMAX = {"module": "builtins", "class_name": "function", "config": "softmax_v2", "registered_name": "function"}


def test_tensorflows_own_softmax_function_is_softmax():
    """`activation=tf.nn.softmax` (TensorFlow's tutorials' spelling) is described as the function 'softmax_v2'; a
    function Keras does not know keeps its own name, so no check reads it as one it is not."""
    assert seen([("Dense", {"units": 10, "activation": TF_NN_SOFTMAX})]) == [("Dense", "softmax")]
    assert seen([DENSE, ("Activation", {"activation": TF_NN_SOFTMAX})]) == [("Dense", "softmax")]
    assert seen([("Dense", {"units": 10, "activation": {**TF_NN_SOFTMAX, "config": "exp"}})]) == \
        [("Dense", "exponential")]
    own = {**TF_NN_SOFTMAX, "config": "my_squash"}
    assert seen([("Dense", {"units": 10, "activation": own})]) == [("Dense", "my_squash")]
    assert seen([("Dense", {"units": 10, "activation": {"class_name": "function", "config": None}})]) == \
        [("Dense", "function")]


def test_the_view_keeps_the_dense_layers_name_and_units():
    folded = keras_models.layers(description([DENSE, ("ReLU", {})]), "m")
    assert [(layer.name, layer.units) for layer in folded] == [("layer_0", 50)]
    assert keras_models.described_layers(description([DENSE, ("ReLU", {})]), "m")[1].kind == "ReLU"


def _public_checks(exercise):
    """The exercise's public check file as a module (its `points` marks are the grader's, unknown to this run)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        return load_module(ROOT / "exercises" / exercise / "public_checks.py", f"folded_view_{exercise}")


def _dense_stack(units, activation_layers, n_inputs):
    """Dense layers of `units` without activations, each followed by its activation layer (None: none)."""
    layer_list, weights, inputs = [], [], n_inputs
    for count, extra in zip(units, activation_layers):
        layer_list.append(("Dense", {"units": count, "activation": "linear"}))
        weights += [np.zeros((inputs, count)), np.zeros(count)]
        if extra is not None:
            layer_list.append(extra)
        inputs = count
    return description(layer_list, weights, [None, n_inputs])


RELU, RELU_LAYER, SOFTMAX_LAYER = ("Activation", {"activation": "relu"}), ("ReLU", {}), ("Softmax", {"axis": -1})


@pytest.mark.parametrize("hidden", [RELU, RELU_LAYER])
def test_the_model_checks_of_05_and_06_accept_activation_layers(hidden):
    checks_05 = _public_checks("05_keras_regression")
    for check in checks_05.MODEL_PARTS:
        check(_dense_stack([50, 50, 1], [hidden, hidden, None], 8), 8, "regression_model(8)")
    checks_06 = _public_checks("06_keras_classification")
    for output in (SOFTMAX_LAYER, ("Activation", {"activation": "softmax"})):
        model = _dense_stack([64, 100, 10], [hidden, hidden, output], 64)
        model = wire.ModelDescription(model.architecture, {"loss": "categorical_crossentropy", "optimizer": "adam",
                                                           "metrics": ["accuracy"]}, model.weights, [None, 64], None)
        for check in checks_06.MODEL_PARTS:
            check(model, 64, 10, "classification_model(64, 10)")


def test_a_leaky_relu_layer_is_still_not_the_labs_relu():
    checks_05 = _public_checks("05_keras_regression")
    leaky = _dense_stack([50, 50, 1], [("LeakyReLU", {"negative_slope": 0.3})] * 2 + [None], 8)
    checks_05.check_layers(leaky, 8, "regression_model(8)")    # the layers and units are the lab's
    with pytest.raises(CheckFailed, match=r"leaky_relu\(negative_slope=0.3\)"):
        checks_05.check_activations(leaky, 8, "regression_model(8)")


# ----------------------------------------------------------------------------- what the new classes refuse

@pytest.mark.parametrize("layer_list, weights, pattern", [
    ([("BatchNormalization", {"axis": -1})], [np.ones(5)] * 4, "its input needs"),
    ([("BatchNormalization", {"axis": [1, 2]})], [np.ones(6)] * 4, "one axis"),
    ([("BatchNormalization", {"axis": 0})], [np.ones(6)] * 4, "does not have"),
    ([("BatchNormalization", {"epsilon": "tiny"})], [np.ones(6)] * 4, "epsilon"),
    ([("BatchNormalization", {})], [np.ones(6)] * 3, "weights do not match"),
    ([("Softmax", {"axis": 3})], [], "does not have"),
    ([("Softmax", {"axis": "rows"})], [], "one axis"),
    ([("ReLU", {"max_value": "six"})], [], "max_value"),
    ([("ReLU", {"negative_slope": -1})], [], "negative_slope"),
    ([("LeakyReLU", {"negative_slope": float("nan")})], [], "negative_slope"),
    ([("Activation", {"activation": "gelu"})], [], "activation 'gelu'"),
    ([("LSTM", {"units": 2, "go_backwards": True})], [np.zeros((6, 8)), np.zeros((2, 8)), np.zeros(8)], "go_backwards"),
])
def test_malformed_new_layers_are_clear_failures(layer_list, weights, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        keras_models.forward(description(layer_list, weights), np.zeros((3, 6)), "m")


def test_batch_normalization_is_priced_and_its_weights_named():
    model = description([("BatchNormalization", {"center": False})], [np.ones(6), np.zeros(6), np.ones(6)])
    (step,) = keras_models.plan(model, (10, 6), "m")
    assert list(step.weights) == ["gamma", "moving_mean", "moving_variance"]
    assert step.multiply_adds == 10 * 2 * 6
    x = np.arange(12.0).reshape(2, 6)
    assert np.allclose(keras_models.forward(model, x, "m"), x / np.sqrt(1 + 1e-3))
