"""Keras models and pandas tables across the boundary, and the trusted side's reading of them."""

import json

import numpy as np
import pytest

from grader.grading import keras_models
from grader.sandbox import wire
from grader.grading.checklib import CheckFailed


def roundtrip(value, pandas=False):
    return wire.decode(wire.loads(wire.dumps({"v": wire.encode(value)})[4:])["v"], pandas=pandas)


@pytest.fixture(scope="module")
def keras():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


def test_dataframes_and_series_cross_as_tables():
    import pandas as pd

    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3, 4]})
    table = roundtrip(frame)
    assert isinstance(table, wire.Frame) and table.columns == ("a", "b") and table.shape == (2, 2)
    assert np.array_equal(table.column("b"), [3, 4])
    column = roundtrip(frame["a"])
    assert isinstance(column, wire.Column) and column.name == "a"
    back = roundtrip(table, pandas=True)
    assert isinstance(back, pd.DataFrame) and list(back.columns) == ["a", "b"]
    with pytest.raises(wire.Unsupported):
        wire.encode(pd.DataFrame({"text": ["x", "y"]}))


@pytest.mark.slow
def test_a_model_crosses_as_a_description(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    description = roundtrip(model)
    assert isinstance(description, wire.ModelDescription)
    assert description.input_shape == [None, 4] and description.output_shape == [None, 2]
    assert [layer.kind for layer in keras_models.layers(description, "m")] == ["Dense", "Dense"]
    assert [layer.activation for layer in keras_models.layers(description, "m")] == ["relu", "softmax"]
    assert keras_models.loss_name(description) == "categorical_crossentropy"
    assert keras_models.optimizer_name(description) == "adam"
    assert keras_models.metric_names(description) == ["accuracy"]
    x = np.random.default_rng(0).normal(size=(5, 4))
    expected = model.predict(x, verbose=0)
    assert np.allclose(keras_models.forward(description, x, "m"), expected, atol=1e-5)


@pytest.mark.slow
def test_loss_aliases_are_one_name(keras):
    for loss in ("mse", "mean_squared_error", keras.losses.MeanSquaredError()):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
        assert keras_models.loss_name(roundtrip(model)) == "mean_squared_error"
    uncompiled = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    assert keras_models.loss_name(roundtrip(uncompiled)) is None


def test_a_non_model_is_a_clear_failure():
    with pytest.raises(CheckFailed, match="should return a Keras model"):
        keras_models.layers({"not": "a model"}, "regression_model(8)")


# ----------------------------------------------------------------------------- hostile descriptions
# A submission can send any description (a fake class in a `keras.*` module is encoded as a model),
# so the trusted forward pass must price it from the description before computing anything.

def description(layer_list, weights, input_shape=None):
    """A model description as the wire would decode it, built by hand: no TensorFlow involved."""
    layer_configs = [{"class_name": kind, "config": {"name": f"layer_{i}", **config}}
                     for i, (kind, config) in enumerate(layer_list)]
    architecture = json.dumps({"class_name": "Sequential", "config": {"layers": layer_configs}})
    return wire.ModelDescription(architecture, {"loss": "mse", "optimizer": "adam"},
                                 [np.asarray(w, dtype="float32") for w in weights], input_shape, None)


def conv(filters, size, **extra):
    return ("Conv2D", {"filters": filters, "kernel_size": [size, size], "activation": "relu", **extra})


def test_forward_of_hand_built_layers_matches_numpy():
    rng = np.random.default_rng(1)
    kernel, bias = rng.normal(size=(3, 3, 1, 2)), rng.normal(size=2)
    dense = rng.normal(size=(8, 4))
    model = description([conv(2, 3), ("MaxPooling2D", {"pool_size": [2, 2]}), ("Flatten", {}),
                         ("Dense", {"units": 4, "activation": "softmax"})], [kernel, bias, dense, np.zeros(4)])
    x = rng.normal(size=(5, 6, 6, 1))
    conv_out = np.zeros((5, 4, 4, 2))
    for i in range(4):
        for j in range(4):
            conv_out[:, i, j] = np.einsum("nhwc,hwcf->nf", x[:, i:i + 3, j:j + 3], kernel.astype("float32")) + bias.astype("float32")
    pooled = np.maximum(conv_out, 0).reshape(5, 2, 2, 2, 2, 2).max(axis=(2, 4))
    logits = pooled.reshape(5, -1) @ dense.astype("float32")
    want = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert np.allclose(keras_models.forward(model, x, "m"), want, atol=1e-6)


def test_the_red_team_conv_kernel_is_refused_before_any_large_array():
    """(1, 1, 1, 3000): 6,000 numbers sent, 1.3 GB asked of the grader before budgets existed."""
    import tracemalloc

    model = description([conv(16, 5), ("Flatten", {}), ("Dense", {"units": 10, "activation": "softmax"})],
                        [np.zeros((1, 1, 1, 3000)), np.zeros(3000), np.zeros((1, 10)), np.zeros(10)])   # 6,010 numbers
    x = np.zeros((450, 8, 8, 1))
    tracemalloc.start()
    try:
        with pytest.raises(CheckFailed, match=r"too large for this exercise: .* at most 64 MB"):
            keras_models.forward(model, x, "fit_convolutional_model")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2 ** 20, f"refusing the model allocated {peak / 2 ** 20:.0f} MB"


def test_a_wide_dense_layer_is_refused_by_its_output_size():
    model = description([("Dense", {"units": 1_000_000})], [np.zeros((1, 1_000_000)), np.zeros(1_000_000)])
    with pytest.raises(CheckFailed, match="too large for this exercise: .*Dense layer 'layer_0'.* at most 64 MB"):
        keras_models.forward(model, np.zeros((1000, 1)), "m")


def test_a_long_recurrence_is_refused_by_its_multiply_adds():
    """Small arrays but 10^11 multiply-adds: the time a pass would take is priced up front too."""
    units = 200
    model = description([("LSTM", {"units": units}), ("Dense", {"units": 1})],
                        [np.zeros((1, 4 * units)), np.zeros((units, 4 * units)), np.zeros(4 * units),
                         np.zeros((units, 1)), np.zeros(1)])
    steps = keras_models.plan(model, (100, 10_000, 1), "m")
    assert keras_models.cost(steps).multiply_adds == 100 * 10_000 * (1 + units) * 4 * units + 100 * units
    with pytest.raises(CheckFailed, match=r"too large for this exercise: .*multiply-adds, at most"):
        keras_models.forward(model, np.zeros((100, 10_000, 1)), "m")


def test_a_pass_over_its_time_budget_is_the_students_failure():
    model = description([("Dense", {"units": 2})], [np.ones((3, 2)), np.zeros(2)])
    x = np.ones((4, 3))
    assert np.allclose(keras_models.forward(model, x, "m"), 3.0)
    with pytest.raises(CheckFailed, match=r"too large for this exercise: .*took more than"):
        keras_models.forward(model, x, "m", budget=keras_models.ForwardPassCost(max_seconds=-1))


def test_a_budget_can_be_declared_per_exercise():
    model = description([("Dense", {"units": 64})], [np.zeros((64, 64)), np.zeros(64)])
    x = np.zeros((100, 64))
    assert keras_models.forward(model, x, "m").shape == (100, 64)
    with pytest.raises(CheckFailed, match="409,600 multiply-adds, at most 10,000"):
        keras_models.forward(model, x, "m", budget=keras_models.ForwardPassCost(max_multiply_adds=10_000))


@pytest.mark.parametrize("layer_list, weights, pattern", [
    ([conv(16, 5)], [np.zeros((1, 1, 1, 16)), np.zeros(16)], "declares kernel_size"),
    ([("Dense", {"units": 10})], [np.zeros((36, 7)), np.zeros(7)], "declares units"),
    ([("Dense", {"units": 4})], [np.zeros((5, 4)), np.zeros(4)], "its input needs"),
    ([conv(2, 3, strides=[0, 1])], [np.zeros((3, 3, 1, 2)), np.zeros(2)], "positive whole numbers"),
    ([conv(2, 3, padding="full")], [np.zeros((3, 3, 1, 2)), np.zeros(2)], "padding"),
    ([conv(2, 9)], [np.zeros((9, 9, 1, 2)), np.zeros(2)], "does not fit"),
    ([("MaxPooling2D", {"pool_size": [100, 100]})], [], "does not fit"),
    ([("MaxPooling2D", {"pool_size": "big"})], [], "positive whole numbers"),
    ([("Reshape", {"target_shape": [7, 7]})], [], "cannot turn"),
    ([("Reshape", {"target_shape": "abc"})], [], "target shape"),
    ([("Reshape", {"target_shape": [10 ** 30, 0]})], [], "target shape"),
    ([("Dense", {"units": 2, "activation": ["relu"]})], [np.zeros((36, 2)), np.zeros(2)], "activation"),
    ([("Dense", {"units": 2})], [np.zeros((36, 2))], "weights do not match"),
    ([("LSTM", {"units": 4})], [np.zeros((1, 16)), np.zeros((4, 16)), np.zeros(16)], "timesteps, features"),
    ([("Attention", {})], [], "cannot run"),
])
def test_malformed_descriptions_are_clear_failures(layer_list, weights, pattern):
    """Whatever the description says, the outcome is a failed check with a message, never a crash."""
    x = np.zeros((3, 6, 6, 1)) if layer_list[0][0] not in ("Dense",) else np.zeros((3, 36))
    with pytest.raises(CheckFailed, match=pattern):
        keras_models.forward(description(layer_list, weights), x, "m")


def test_lambda_layers_and_custom_objects_are_read_as_data_never_loaded():
    """A Lambda's code and a custom class's module are never imported: the model is names and numbers, and a
    layer the registry has no class for is the student's failed check."""
    import sys

    lambda_model = description([("Dense", {"units": 2}), ("Lambda", {"function": {"class_name": "__lambda__"}})],
                               [np.ones((3, 2)), np.zeros(2)])
    with pytest.raises(CheckFailed, match="Lambda layer, which this check cannot run"):
        keras_models.forward(lambda_model, np.ones((4, 3)), "m")
    architecture = json.loads(lambda_model.architecture)
    architecture["config"]["layers"][1] = {"module": "evil_grader_module", "class_name": "Evil",
                                           "registered_name": "Custom>Evil", "config": {"name": "evil"}}
    forged = wire.ModelDescription(json.dumps(architecture), None, lambda_model.weights, None, None)
    with pytest.raises(CheckFailed, match="Evil layer, which this check cannot run"):
        keras_models.forward(forged, np.ones((4, 3)), "m")
    assert "evil_grader_module" not in sys.modules


def test_deeply_nested_architecture_is_unreadable_not_a_crash():
    forged = wire.ModelDescription("[" * 100_000 + "]" * 100_000, None, [], None, None)
    with pytest.raises(CheckFailed, match="could not be read"):
        keras_models.layers(forged, "m")


@pytest.mark.slow
def test_budgeted_forward_still_matches_keras_for_conv_and_recurrent_models(keras):
    layers = keras.layers
    rng = np.random.default_rng(0)
    conv_model = keras.Sequential([keras.Input((9, 9, 2)), layers.Conv2D(3, (3, 3), strides=(2, 2), padding="same",
                                   activation="relu"), layers.Conv2D(4, 2, use_bias=False, activation="tanh"),
                                   layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dense(3, activation="softmax")])
    recurrent_model = keras.Sequential([keras.Input((6, 2)), layers.SimpleRNN(5, return_sequences=True),
                                        layers.LSTM(4), layers.Dense(1)])
    for model, x in ((conv_model, rng.normal(size=(7, 9, 9, 2))), (recurrent_model, rng.normal(size=(7, 6, 2)))):
        expected = model.predict(x, verbose=0)
        assert np.allclose(keras_models.forward(roundtrip(model), x, "m"), expected, atol=1e-5)


def steps_model(steps):
    return wire.ModelDescription("{}", {"loss": "mse", "optimizer": "adam"}, [], None, None, steps)


def test_fit_counts_updates_as_keras_does():
    assert keras_models.Fit(150, 25, batch_size=16).steps == 25 * 10
    assert keras_models.Fit(4000, 3, validation_split=0.3).training_rows == 2800
    assert keras_models.Fit(136, 2, validation_split=0.3).steps == 2 * 3   # floor(95.2) rows: 3 batches of 32
    # A split above 1 slices from the end as Keras does: 4000 * (1 - 1.3) is a hair below -1200, so 2799 rows.
    assert keras_models.Fit(4000, 3, validation_split=1.3).training_rows == 2799


def test_fit_steps_fail_names_a_mistake_only_when_exactly_one_explains_the_count():
    from grader.feedback.results import Hint

    batch, epochs = Hint("fit-batch-size", "b"), Hint("epochs-not-passed-to-fit", "e")
    asked = keras_models.Fit(150, 25, batch_size=16)
    mistakes = ((batch, keras_models.Fit(150, 25, batch_size=32)), (epochs, keras_models.Fit(150, 1, batch_size=16)))
    keras_models.check_fit_steps(steps_model(250), asked, "fit_lstm", mistakes)    # as asked
    keras_models.check_fit_steps(steps_model(None), asked, "fit_lstm", mistakes)   # not compiled: other checks say so
    with pytest.raises(CheckFailed, match=r"made 125 updates.*25 x 10 = 250") as failed:
        keras_models.check_fit_steps(steps_model(125), asked, "fit_lstm", mistakes)
    assert failed.value.hint is batch
    with pytest.raises(CheckFailed) as failed:
        keras_models.check_fit_steps(steps_model(10), asked, "fit_lstm", mistakes)
    assert failed.value.hint is epochs
    with pytest.raises(CheckFailed, match="made 500 updates") as failed:   # fitted twice: no known mistake
        keras_models.check_fit_steps(steps_model(500), asked, "fit_lstm", mistakes)
    assert failed.value.hint is None
    # 0 claims nothing: compiled again after fitting (its weights are trained), or never fitted (which the
    # check's prediction test fails).
    keras_models.check_fit_steps(steps_model(0), asked, "fit_lstm", mistakes)
    ambiguous = ((batch, keras_models.Fit(150, 25, batch_size=32)), (epochs, keras_models.Fit(150, 25, batch_size=32)))
    with pytest.raises(CheckFailed) as failed:
        keras_models.check_fit_steps(steps_model(125), asked, "fit_lstm", ambiguous)
    assert failed.value.hint is None


@pytest.mark.slow
@pytest.mark.parametrize("fit", [dict(epochs=2), dict(epochs=3, batch_size=16), dict(epochs=2, validation_split=0.3)])
def test_a_fitted_model_reports_the_updates_keras_made(keras, fit):
    x = np.random.default_rng(0).normal(size=(136, 3)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    assert roundtrip(model).optimizer_steps == 0
    model.fit(x, x.sum(axis=1), verbose=0, **fit)
    assert roundtrip(model).optimizer_steps == keras_models.Fit(136, **fit).steps
    uncompiled = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    assert roundtrip(uncompiled).optimizer_steps is None


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["accumulating", "loss_scaled"])
def test_an_optimizer_that_counts_otherwise_sends_no_count(keras, optimizer):
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    chosen = keras.optimizers.Adam(gradient_accumulation_steps=2) if optimizer == "accumulating" \
        else keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())
    model.compile(optimizer=chosen, loss="mse")
    model.fit(x, x.sum(axis=1), epochs=1, verbose=0)
    assert roundtrip(model).optimizer_steps is None


# ----------------------------------------------------------------------------- one name for what Keras treats alike

@pytest.mark.slow
def test_every_spelling_of_a_loss_optimizer_and_accuracy_is_one_name(keras):
    """Strings, objects with default settings and functions: get_compile_config() holds each differently, and the
    checks read one name for all (issue 23: CategoricalAccuracy() cost 12 of 24 points in 06), and find the
    history's key each spelling records the accuracy under (val_acc for 'acc')."""
    losses = (lambda: "categorical_crossentropy", lambda: "CategoricalCrossentropy",
              keras.losses.CategoricalCrossentropy, lambda: keras.losses.categorical_crossentropy)
    optimizers = (lambda: "adam", lambda: "Adam", keras.optimizers.Adam)
    accuracies = (["accuracy"], ["acc"], ["ACC"], ["categorical_accuracy"], ["CategoricalAccuracy"],
                  [keras.metrics.CategoricalAccuracy()], [keras.metrics.CategoricalAccuracy(name="accuracy")],
                  [keras.metrics.CategoricalAccuracy(name="hits")], [keras.metrics.categorical_accuracy],
                  ["mse", "accuracy"], {"output": "accuracy"})
    x, y = np.random.default_rng(0).normal(size=(6, 4)), np.eye(3)[[0, 1, 2, 0, 1, 2]]
    for number, metrics in enumerate(accuracies):
        loss, optimizer = losses[number % len(losses)](), optimizers[number % len(optimizers)]()
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax", name="output")])
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        history = model.fit(x, y, validation_data=(x, y), epochs=1, verbose=0).history
        description = roundtrip(model)
        assert keras_models.loss_name(description) == "categorical_crossentropy", loss
        assert keras_models.optimizer_name(description) == "adam", optimizer
        assert keras_models.reports_accuracy(description) and "accuracy" in keras_models.metric_names(description), metrics
        key = keras_models.history_key(history, description)
        assert key is not None and key.startswith("val_") and key[len("val_"):] in history, (metrics, sorted(history))
        assert key != "val_loss" and key != "val_mse", (metrics, key)


@pytest.mark.slow
def test_exact_accuracy_and_other_metrics_are_not_accuracy(keras):
    """keras.metrics.Accuracy() counts outputs equal to their labels (0 for probabilities): not what the lab reports."""
    for metrics, names in (([keras.metrics.Accuracy()], ["exact_accuracy"]), (["mse"], ["mse"]), ([], []),
                           ([keras.metrics.AUC()], ["auc"])):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer="sgd", loss="mse", metrics=metrics)
        description = roundtrip(model)
        assert not keras_models.reports_accuracy(description) and keras_models.metric_names(description) == names
        assert keras_models.optimizer_name(description) == "sgd" and keras_models.loss_name(description) == "mean_squared_error"
    assert keras_models.history_key({"val_loss": [1.0]}, description) is None
    assert keras_models.history_key([1.0], description) is None


@pytest.mark.slow
def test_a_loss_given_as_a_function_is_its_name(keras):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.mean_absolute_error)
    description = roundtrip(model)
    assert keras_models.loss_name(description) == "mean_absolute_error"
    assert keras_models.optimizer_name(description) == "rmsprop"
