"""Public checks for exercise 08: the recurrent step as the lecture draws it, and the LSTM model.

You may read these. Hidden checks use random weights, longer sequences and a short training run.
"""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import call_as_in_the_lab
from grader.authoring import (Hint, Root, as_array, close, expect_close, expect_shape, fail, first_hint, read_pair, show,
                              wrong_root)

FORGOT_PREVIOUS = Hint("ignores-previous-output", "A recurrent neuron also weighs its own previous output: "
                       "tanh(W_x @ x_t + W_h @ h_prev + b). Without W_h @ h_prev it has no memory.")
NO_TANH = Hint("missing-tanh", "Apply the activation (tanh) to the weighted sum, as every neuron does.")
STATE_NOT_CARRIED = Hint("state-not-carried", "Feed each step's output into the next step as h_prev; "
                         "starting every step from h0 forgets the sequence.")
WINDOW_OFF_BY_ONE = Hint("window-target-off-by-one", "The target of a window is the value right after it: "
                         "y[i] = series[i + timesteps].")
MISSING_INPUT_SHAPE = Hint("missing-input-shape", "The LSTM needs input_shape=(timesteps, features): time steps "
                           "first, then the values per step.")
WRONG_LOSS = Hint("wrong-loss-for-regression", "Predicting the next value is regression: loss='mean_squared_error'.")
NOT_COMPILED = Hint("model-not-compiled", "Compile the model before returning it: "
                    "model.compile(optimizer='adam', loss='mean_squared_error').")
WRONG_OPTIMIZER = Hint("wrong-optimizer", "The lab compiles the LSTM with optimizer='adam' (compile's default "
                       "optimizer is rmsprop).")
MISSING_LSTM = Hint("missing-lstm-layer", "The model is an LSTM layer followed by the output: "
                    "LSTM(units) and then Dense(1).")
OUTPUT_UNITS = Hint("one-output-unit", "The model predicts one value, the next one of the series: the output "
                    "layer is Dense(1).")
DEFAULT_UNITS = Hint("default-units", "The documented default is units=16: lstm_model(timesteps, features) and "
                     "fit_lstm(X, y) build an LSTM of 16 units when no units are given.")
STATES_NOT_COLLECTED = Hint("states-not-collected", "rnn_forward returns every step's output: append each new h to "
                            "the list and return np.array(states), one row per time step.")
SIZES_FROM_X = Hint("lstm-sizes-from-x", "X holds (windows, timesteps, features): fit_lstm builds "
                    "lstm_model(X.shape[1], X.shape[2], units), not from the number of windows X.shape[0].")
USES_MODEL = Hint("uses-wrong-lstm-model", "Your lstm_model() builds a model unlike the lab's (see its check), and "
                  "fit_lstm uses it: fix lstm_model first; this may then pass too.")
DEFAULT_EPOCHS = Hint("fit-default-epochs", "Keep the documented default: def fit_lstm(X, y, units=16, epochs=20), "
                      "so a call without epochs trains for 20 epochs.")
BATCH_SIZE = Hint("fit-batch-size", "Fit in batches of 16 windows, as the README says: model.fit(X, y, epochs=epochs, "
                  "batch_size=16) (without batch_size Keras uses 32).")

W_X = np.array([[0.5, -0.2], [0.1, 0.4]])
W_H = np.array([[0.3, 0.0], [-0.1, 0.2]])
B = np.array([0.05, -0.05])
XS = np.array([[1.0, 0.0], [0.5, -0.5], [0.0, 1.0]])


def expected_states(xs, h0, W_x, W_h, b):
    h, states = h0, []
    for x_t in xs:
        h = np.tanh(W_x @ x_t + W_h @ h + b)
        states.append(h)
    return np.array(states)


# The LSTM model is judged one part at a time, each with its own points (layers and units; the output's
# activation; loss; optimizer; the input shape in the hidden checks, training in fit_lstm's): a model with one part
# unlike the lab's keeps the others' points. Layers are compared by what the lab asks of each (kind, units); an
# activation is a property of its layer, judged by check_activations.

def check_layers(model, timesteps, features, units, what):
    """An LSTM of `units` units, then Dense(1)."""
    layers = keras_models.structural_layers(model, what)
    kinds = [layer.kind for layer in layers]
    if kinds != ["LSTM", "Dense"]:
        fail(f"{what} returned the layers {kinds}; expected ['LSTM', 'Dense']",
             MISSING_LSTM if kinds == ["Dense"] else None)
    if layers[0].units != units or layers[1].units != 1:
        fail(f"the layers have {[layer.units for layer in layers]} units; expected [{units}, 1]",
             OUTPUT_UNITS if layers[0].units == units else None)


def check_activations(model, timesteps, features, units, what):
    """A linear output: the model predicts a value, not a probability."""
    dense = [layer for layer in keras_models.structural_layers(model, what) if layer.kind == "Dense"]
    if dense and dense[-1].activation not in (None, "linear"):
        fail(f"the output layer uses {dense[-1].activation!r}; predicting a value needs a linear output")


def check_input_shape(model, timesteps, features, units, what):
    keras_models.layers(model, what)
    shape = keras_models.input_shape(model)
    if shape is None or list(shape) != [None, timesteps, features]:
        fail(f"{what} returned a model whose input shape is {shape}; expected (None, {timesteps}, {features})",
             MISSING_INPUT_SHAPE if shape is None or len(shape) != 3 else None)


COMPILE = keras_models.LabCompile("mean_squared_error", NOT_COMPILED, WRONG_LOSS, WRONG_OPTIMIZER)


MODEL_PARTS = (check_layers, check_activations, check_input_shape, COMPILE.check_loss, COMPILE.check_optimizer)


def check_lstm_model(model, timesteps, features, units, what):
    """Every part of the model at once (a function that uses lstm_model needs all of them)."""
    for check in MODEL_PARTS:
        check(model, timesteps, features, units, what)


def model_mistake(model, timesteps, features, units, what):
    """The first hint the model checks give this model (a mistake that is in it, and may explain what it did in
    training), or None."""
    return first_hint(MODEL_PARTS, model, timesteps, features, units, what)


def model_root(submission, timesteps, features, units):
    """USES_MODEL when the student's own lstm_model fails the model check (asked here, judged here)."""
    return wrong_root(Root(USES_MODEL, lambda: submission.lstm_model(timesteps, features, units), judge=lambda model:
                           check_lstm_model(model, timesteps, features, units, f"lstm_model({timesteps}, {features}, {units})")))


def lab_model(submission):
    """lstm_model(10, 1, 16), or the lab's lstm_model() as the lab calls it: the arguments of every part's check."""
    model, _ = call_as_in_the_lab(submission, "lstm_model", (10, 1, 16))
    return model, 10, 1, 16, "lstm_model(10, 1, 16)"


@pytest.mark.points(2)
def test_one_recurrent_step(submission):
    """rnn_step weighs the input and the previous output, adds the bias, and applies tanh"""
    x_t, h_prev = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    expect_close(submission.rnn_step(x_t, h_prev, W_X, W_H, B), np.tanh(W_X @ x_t + W_H @ h_prev + B), "rnn_step(...)",
                 wrong=[(FORGOT_PREVIOUS, np.tanh(W_X @ x_t + B)), (NO_TANH, W_X @ x_t + W_H @ h_prev + B)])


@pytest.mark.points(3)
def test_unrolled_over_a_sequence(submission):
    """rnn_forward carries each output into the next step"""
    want = expected_states(XS, np.zeros(2), W_X, W_H, B)
    got = expect_shape(submission.rnn_forward(XS, np.zeros(2), W_X, W_H, B), want.shape, "rnn_forward over 3 steps",
                       note=", one output per step", hint=lambda got: STATES_NOT_COLLECTED if got.size == 0 else None)
    expect_close(got, want, "rnn_forward", wrong={STATE_NOT_CARRIED: np.array([np.tanh(W_X @ x + B) for x in XS])})


@pytest.mark.points(2)
def test_windows_for_next_value(submission):
    """make_windows([0, 1, ..., 9], 3): X[0] = [0, 1, 2], y[0] = 3, seven windows"""
    X, y = read_pair(submission.make_windows(np.arange(10.0), 3), "make_windows", ("X", "y"), read=as_array)
    if X.shape != (7, 3, 1):
        fail(f"X has shape {X.shape}; expected (7, 3, 1): 7 windows of 3 steps of 1 value")
    if not close(X[:, :, 0], [[i, i + 1, i + 2] for i in range(7)]) or not close(y, np.arange(3.0, 10.0)):
        fail(f"the windows or targets are off: X[0] = {show(X[0, :, 0])}, y = {show(y)}",
             WINDOW_OFF_BY_ONE if len(y) == 7 and close(y, np.arange(2.0, 9.0)) else None)


@pytest.mark.points(1)
def test_lstm_model(submission):
    """lstm_model(10, 1, 16) has the lab's layers: LSTM 16, Dense 1

    This check and the three after it judge one part of the model each."""
    check_layers(*lab_model(submission))


@pytest.mark.points(1)
def test_lstm_model_activations(submission):
    """lstm_model(10, 1, 16) predicts a value: its output layer is linear"""
    check_activations(*lab_model(submission))


@pytest.mark.points(1)
def test_lstm_model_loss(submission):
    """lstm_model(10, 1, 16) is compiled with the mean squared error"""
    COMPILE.check_loss(*lab_model(submission))


@pytest.mark.points(1)
def test_lstm_model_optimizer(submission):
    """lstm_model(10, 1, 16) is compiled with adam"""
    COMPILE.check_optimizer(*lab_model(submission))
