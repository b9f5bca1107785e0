"""Public checks for exercise 05: the concrete lab's data handling and its regression model.

You may read these. Hidden checks use other data, other sizes and a short training run.
"""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import call_as_in_the_lab
from grader.authoring import Hint, Root, fail, first_hint, read_pair, show, wrong_root
from grader.authoring import CONCRETE_COLUMNS, concrete_arrays
from grader.authoring import Column, Frame

PREDICTORS = [name for name in CONCRETE_COLUMNS if name != "Strength"]

TARGET_LEAK = Hint("target-among-predictors", "'Strength' is what the model predicts, so it must not be one of "
                   "the predictors: drop it from the columns you keep.")
NOT_NORMALIZED = Hint("predictors-not-normalized", "Normalize every predictor: subtract its mean and divide by its "
                      "standard deviation, (predictors - predictors.mean()) / predictors.std().")
MIN_MAX = Hint("min-max-instead-of-standardizing", "You scaled to the range 0..1; the lab standardizes instead: "
               "(predictors - predictors.mean()) / predictors.std().")
MISSING_INPUT_SHAPE = Hint("missing-input-shape", "The model does not know its input shape: give the first layer "
                           "input_shape=(n_cols,) or start with keras.Input(shape=(n_cols,)).")
OUTPUT_ACTIVATION = Hint("regression-output-activation", "A regression output must be linear: Dense(1) without an "
                         "activation. A sigmoid or ReLU output cannot predict every strength.")
WRONG_LOSS = Hint("wrong-loss-for-regression", "Regression is trained with the mean squared error, "
                  "loss='mean_squared_error'; cross-entropy losses are for classification.")
NOT_COMPILED = Hint("model-not-compiled", "Compile the model before returning it: "
                    "model.compile(optimizer='adam', loss='mean_squared_error').")
HIDDEN_NOT_RELU = Hint("hidden-layers-relu", "The hidden layers apply ReLU, Dense(50, activation='relu'): without "
                       "it (the default is linear) the whole network is one linear regression.")
USES_MODEL = Hint("uses-wrong-regression-model", "Your regression_model() builds a model unlike the lab's (see its "
                  "check), and fit_regression_model uses it: fix regression_model first; this may then pass too.")
WRONG_OPTIMIZER = Hint("wrong-optimizer", "The lab compiles the regression model with optimizer='adam' (compile's "
                       "default optimizer is rmsprop).")
MISSING_LAYER = Hint("missing-dense-layer", "The lab's model has three Dense layers: two hidden ones, "
                     "Dense(50, activation='relu') each, and the output Dense(1).")
EPOCHS_NOT_PASSED = Hint("epochs-not-passed-to-fit", "Pass the function's epochs to model.fit(..., epochs=epochs); "
                         "without it Keras trains for a single epoch.")
NO_VALIDATION = Hint("missing-validation-split", "Fit with validation_split=0.3, as in the lab, so the history "
                     "also records val_loss on the 30% of the data held out.")
VALIDATION_FRACTION = Hint("validation-split-fraction", "Hold out 30% of the rows for validation, as in the lab: "
                           "model.fit(..., validation_split=0.3), a fraction between 0 and 1.")
DEFAULT_EPOCHS = Hint("fit-default-epochs", "Keep the documented default: def fit_regression_model(predictors_norm, "
                      "target, epochs=100), so a call without epochs trains for 100 epochs as the lab does.")


def concrete_frame(rows=60, seed=0, order=None):
    arrays = concrete_arrays(rows, seed)
    columns = tuple(order or CONCRETE_COLUMNS)
    return Frame(columns, {name: arrays[name] for name in columns})


def read_frame(value, what):
    if isinstance(value, Frame):
        return value
    fail(f"{what} should be a pandas DataFrame, but it is {show(value)}")


def read_column(value, what):
    if isinstance(value, Column):
        return value.values
    if isinstance(value, Frame) and len(value.columns) == 1:
        return value.data[value.columns[0]]
    fail(f"{what} should be a pandas Series (one column), but it is {show(value)}")


def check_split(submission, frame):
    predictors, target = read_pair(submission.split_predictors_target(frame), "split_predictors_target",
                                   ("predictors", "target"), read=(read_frame, read_column))
    expected = [name for name in frame.columns if name != "Strength"]
    if "Strength" in predictors.columns:
        fail(f"the predictors have the columns {list(predictors.columns)}", TARGET_LEAK)
    if list(predictors.columns) != expected:
        fail(f"the predictors have the columns {list(predictors.columns)}; expected {expected}, in the data's order")
    if not np.allclose(target, frame.data["Strength"]):
        fail("the target is not the 'Strength' column")
    for name in expected:
        if not np.allclose(predictors.data[name], frame.data[name]):
            fail(f"the predictor column {name!r} does not hold the data's values")


def check_normalized(submission, frame):
    result = read_frame(submission.normalize(frame), "normalize(predictors)")
    if list(result.columns) != list(frame.columns):
        fail(f"normalize returned the columns {list(result.columns)}; expected {list(frame.columns)}")
    for name in frame.columns:
        values, original = result.data[name].astype(float), frame.data[name]
        if np.allclose(values, original):
            fail(f"the column {name!r} is unchanged", NOT_NORMALIZED)
        if values.min() >= -1e-9 and values.max() <= 1 + 1e-9:
            fail(f"the column {name!r} ranges from {values.min():.3g} to {values.max():.3g}", MIN_MAX)
        spread = [np.std(original, ddof=0), np.std(original, ddof=1)]
        options = [(original - original.mean()) / s for s in spread]
        if not any(np.allclose(values, option, atol=1e-6) for option in options):
            fail(f"the column {name!r} has mean {values.mean():.3g} and standard deviation {values.std():.3g}; "
                 "after normalizing they are 0 and 1", NOT_NORMALIZED)


def model_root(submission, n_cols):
    """USES_MODEL when the student's own regression_model(n_cols) fails a model check (asked here, judged here)."""
    return wrong_root(Root(USES_MODEL, lambda: submission.regression_model(n_cols),
                           judge=lambda model: check_regression_model(model, n_cols, f"regression_model({n_cols})")))


def model_mistake(model, n_cols, what):
    """The first hint the model checks give this model (a mistake that is in it, and may explain what it did in
    training), or None."""
    return first_hint(MODEL_PARTS, model, n_cols, what)


# The model is judged one part at a time, each with its own points (layers and units, activations, input shape,
# loss, optimizer; training in the hidden checks): a model with one part unlike the lab's keeps the others' points.

def check_layers(model, n_cols, what):
    """Three Dense layers of 50, 50 and 1 units, and nothing else."""
    layers = keras_models.layers(model, what)
    dense = [layer for layer in layers if layer.kind == "Dense"]
    if len(dense) != 3 or len(layers) != 3:
        fail(f"{what} returned the layers {[layer.kind for layer in layers]}; the lab's model has three Dense layers: "
             "50 ReLU, 50 ReLU, 1 linear", MISSING_LAYER if len(dense) == len(layers) == 2 else None)
    units = [layer.units for layer in dense]
    if units != [50, 50, 1]:
        fail(f"{what} returned Dense layers of {units} units; expected [50, 50, 1]")
    weights = [np.shape(w) for w in model.weights]
    expected = [(n_cols, 50), (50,), (50, 50), (50,), (50, 1), (1,)]
    if weights and keras_models.input_shape(model) == [None, n_cols] and weights != expected:
        fail(f"the model's weights have the shapes {weights}; expected {expected}")


def check_activations(model, n_cols, what):
    """ReLU on every hidden Dense layer, a linear output (the last Dense layer, when it has the output's 1 unit)."""
    dense = keras_models.dense_layers(model, what)
    if not dense:
        fail(f"{what} returned a model without Dense layers")
    output = dense[-1] if dense[-1].units == 1 else None
    if output is not None and output.activation not in (None, "linear"):
        fail(f"the output layer has the activation {output.activation!r}", OUTPUT_ACTIVATION)
    activations = [layer.activation for layer in (dense[:-1] if output is not None else dense)]
    if any(activation != "relu" for activation in activations):
        fail(f"the hidden layers have the activations {activations}; expected {['relu'] * len(activations)}",
             HIDDEN_NOT_RELU if all(a in ("relu", "linear", None) for a in activations) else None)


def check_input_shape(model, n_cols, what):
    keras_models.layers(model, what)
    shape = keras_models.input_shape(model)
    if shape is None:
        fail(f"{what} returned a model without an input shape", MISSING_INPUT_SHAPE)
    if list(shape) != [None, n_cols]:
        fail(f"{what} returned a model whose input shape is {shape}; with {n_cols} predictors it is (None, {n_cols})",
             MISSING_INPUT_SHAPE if shape and shape[-1] != n_cols else None)


COMPILE = keras_models.LabCompile("mean_squared_error", NOT_COMPILED, WRONG_LOSS, WRONG_OPTIMIZER)


MODEL_PARTS = (check_layers, check_activations, check_input_shape, COMPILE.check_loss, COMPILE.check_optimizer)


def check_regression_model(model, n_cols, what):
    """Every part of the model at once (a function that uses regression_model needs all of them)."""
    for check in MODEL_PARTS:
        check(model, n_cols, what)


def lab_model(submission):
    """regression_model(8), or the lab's regression_model() as the lab calls it: (model, n_cols)."""
    model, (n_cols,) = call_as_in_the_lab(submission, "regression_model", (8,))
    return model, n_cols


@pytest.mark.points(3)
def test_split_predictors_and_target(submission):
    """split_predictors_target keeps the eight ingredients and age as predictors and 'Strength' as the target"""
    check_split(submission, concrete_frame())


@pytest.mark.points(3)
def test_normalize_predictors(submission):
    """normalize gives every predictor mean 0 and standard deviation 1"""
    frame = concrete_frame()
    check_normalized(submission, Frame(tuple(PREDICTORS), {name: frame.data[name] for name in PREDICTORS}))


@pytest.mark.points(1)
def test_regression_model_as_in_the_lab(submission):
    """regression_model(8) has the lab's layers: Dense 50, Dense 50, Dense 1

    A lab's `regression_model()` without arguments is called as the lab calls it: the lab's data has 8 predictors.
    This check and the three after it judge one part of the model each."""
    model, n_cols = lab_model(submission)
    check_layers(model, n_cols, "regression_model(8)")


@pytest.mark.points(1)
def test_regression_model_activations(submission):
    """regression_model(8) applies ReLU in its hidden layers and has a linear output"""
    model, n_cols = lab_model(submission)
    check_activations(model, n_cols, "regression_model(8)")


@pytest.mark.points(1)
def test_regression_model_loss(submission):
    """regression_model(8) is compiled with the mean squared error"""
    model, n_cols = lab_model(submission)
    COMPILE.check_loss(model, n_cols, "regression_model(8)")


@pytest.mark.points(1)
def test_regression_model_optimizer(submission):
    """regression_model(8) is compiled with adam"""
    model, n_cols = lab_model(submission)
    COMPILE.check_optimizer(model, n_cols, "regression_model(8)")
