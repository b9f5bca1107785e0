"""Keras models and pandas tables across the boundary, and the trusted side's reading of them."""

import json

import numpy as np
import pytest

from grader import keras_models, wire
from grader.checklib import CheckFailed


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
    rebuilt = keras_models.rebuild(description, "m")
    assert np.allclose(rebuilt.predict(x, verbose=0), expected, atol=1e-6)


@pytest.mark.slow
def test_loss_aliases_are_one_name(keras):
    for loss in ("mse", "mean_squared_error", keras.losses.MeanSquaredError()):
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
        assert keras_models.loss_name(roundtrip(model)) == "mean_squared_error"
    uncompiled = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    assert keras_models.loss_name(roundtrip(uncompiled)) is None


@pytest.mark.slow
def test_lambda_layers_and_custom_objects_are_never_loaded(keras):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda x: x * 2)])
    description = roundtrip(model)
    with pytest.raises(CheckFailed, match="Lambda"):
        keras_models.rebuild(description, "m")
    architecture = json.loads(description.architecture)
    architecture["config"]["layers"][-1].update(module="evil.module", class_name="Dense", registered_name="Evil>Dense")
    forged = wire.ModelDescription(json.dumps(architecture), None, [], None, None)
    with pytest.raises(CheckFailed, match="evil.module|custom object"):
        keras_models.rebuild(forged, "m")


def test_a_non_model_is_a_clear_failure():
    with pytest.raises(CheckFailed, match="should return a Keras model"):
        keras_models.layers({"not": "a model"}, "regression_model(8)")
