"""Hidden checks for exercise 08: random weights, longer sequences, and a short LSTM training run."""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import as_array, as_is, below, check_written_default, close, expect_close, fail, read_pair, when_raised
from grader.authoring import public_checks_of

public = public_checks_of(__file__)


@pytest.mark.points(3)
def test_rnn_random_weights_and_sequences(submission, rng):
    """rnn_step and rnn_forward for random sizes, weights and sequences"""
    units, features, steps = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(3, 9))
    W_x, W_h = rng.normal(0, 0.5, (units, features)), rng.normal(0, 0.5, (units, units))
    b, h0 = rng.normal(0, 0.1, units), rng.normal(0, 0.3, units)
    xs = rng.normal(0, 1, (steps, features))
    expect_close(submission.rnn_step(xs[0], h0, W_x, W_h, b), np.tanh(W_x @ xs[0] + W_h @ h0 + b),
                 f"rnn_step with {units} units and {features} inputs")
    expect_close(submission.rnn_forward(xs, h0, W_x, W_h, b), public.expected_states(xs, h0, W_x, W_h, b),
                 f"rnn_forward over {steps} steps", hint=lambda got: public.STATES_NOT_COLLECTED if got.size == 0 else None)


@pytest.mark.points(2)
def test_windows_random(submission, rng):
    """make_windows for a random series and window length"""
    series, timesteps = np.round(rng.normal(0, 1, int(rng.integers(10, 30))), 3), int(rng.integers(2, 6))
    X, y = read_pair(submission.make_windows(series, timesteps), "make_windows", ("X", "y"), read=as_array)
    n = len(series) - timesteps
    if X.shape != (n, timesteps, 1) or len(y) != n:
        fail(f"for {len(series)} values and {timesteps} steps, X has shape {X.shape} and y {len(y)} values; "
             f"expected ({n}, {timesteps}, 1) and {n}")
    if not close(X[:, -1, 0], series[timesteps - 1:-1]) or not close(y, series[timesteps:]):
        fail("the windows or their targets do not match the series", public.WINDOW_OFF_BY_ONE)


@pytest.mark.points(1)
def test_lstm_model_other_sizes(submission, rng):
    """lstm_model takes the input shape (timesteps, features), and its LSTM the units asked (16 when none are
    given), for other window lengths, features and units"""
    timesteps, features, units = int(rng.integers(3, 20)), int(rng.integers(1, 4)), int(rng.integers(4, 32))
    what = f"lstm_model({timesteps}, {features}, {units})"
    model = submission.lstm_model(timesteps, features, units)
    public.check_input_shape(model, timesteps, features, units, what)
    layers = keras_models.structural_layers(model, what)
    if [layer.kind for layer in layers] != ["LSTM", "Dense"]:
        return   # another architecture: the layers check judges it, and the sizes below have no meaning
    if layers[0].units != units:
        fail(f"{what} returned an LSTM of {layers[0].units} units; expected {units}")
    shapes = [tuple(np.shape(w)) for w in model.weights]
    if shapes[:3] != [(features, 4 * units), (units, 4 * units), (4 * units,)]:
        fail(f"the LSTM's weights have the shapes {shapes[:3]}; an LSTM of {units} units on {features} features has "
             f"{[(features, 4 * units), (units, 4 * units), (4 * units,)]}")
    # The documented default, units=16, read from the model it builds when no units are given.
    default = keras_models.structural_layers(submission.lstm_model(timesteps, features), f"lstm_model({timesteps}, {features})")
    if [layer.units for layer in default][:1] != [16]:
        fail(f"lstm_model({timesteps}, {features}) built layers of {[layer.units for layer in default]} units; "
             "without units it builds an LSTM of 16", public.DEFAULT_UNITS)


@pytest.mark.points(3)
def test_fit_lstm_predicts_a_sine_wave(submission, rng):
    """fit_lstm learns to predict the next value of a sine wave better than its mean or its last value"""
    phase, period = float(rng.uniform(0, 6.28)), float(rng.uniform(12, 20))
    series = np.sin(phase + 2 * np.pi * np.arange(160) / period)
    X = np.array([series[i:i + 10] for i in range(150)]).reshape(150, 10, 1)
    y = series[10:160]
    with when_raised(lambda: public.model_root(submission, 10, 1, 16)):   # name lstm_model when it is wrong
        result = submission.fit_lstm(X, y, epochs=25)   # units left out: the default, 16, is checked on the model
    model, _ = read_pair(result, "fit_lstm", ("model", "history.history"), read=as_is)
    layers = keras_models.structural_layers(model, "fit_lstm")
    # fit_lstm's own parts: the sizes it builds the model with (from X, and units=16 by default). When lstm_model
    # itself is unlike the lab's, its own checks judge that, and this one judges only what training achieved.
    root = public.model_root(submission, 10, 1, 16)
    shape = keras_models.input_shape(model)
    if (root is None and shape is not None and len(shape) == 3 and list(shape) != [None, 10, 1]
            and X.shape[0] in shape[1:]):
        fail(f"fit_lstm on X of shape {X.shape} returned a model whose input shape is {shape}; expected (None, 10, 1)",
             public.SIZES_FROM_X)
    if root is None and [layer.kind for layer in layers] == ["LSTM", "Dense"] and layers[0].units != 16:
        fail(f"fit_lstm(X, y, epochs=25) returned an LSTM of {layers[0].units} units; without units it builds "
             "lstm_model(..., units=16)", public.DEFAULT_UNITS)
    keras_models.check_fit_steps(model, keras_models.Fit(len(X), 25, batch_size=16), "fit_lstm",
                                 tuple((public.BATCH_SIZE, keras_models.Fit(len(X), 25, batch_size=size))
                                       for size in (8, 32, 64)))
    predictions = keras_models.forward(model, X, "fit_lstm").reshape(-1)
    if predictions.shape != y.shape:
        fail(f"the returned model gives {predictions.size // len(X)} values per window; it predicts one, the next "
             "value", public.model_mistake(model, 10, 1, 16, "fit_lstm") or root)
    mse, variance = float(np.mean((predictions - y) ** 2)), float(np.var(y))
    last_value = float(np.mean((X[:, -1, 0] - y) ** 2))   # a model can copy its last input without any training
    if not below(mse, 0.5 * min(variance, last_value)):  # the reference reaches about 0.01 of the last value's error
        fail(f"the returned model's squared error is {mse:.3g}, not much better than always predicting the mean "
             f"({variance:.3g}) or repeating the window's last value ({last_value:.3g}). Return the model you trained.",
             public.model_mistake(model, 10, 1, 16, "fit_lstm") or root)
    check_written_default(submission, "fit_lstm", "epochs", 20, public.DEFAULT_EPOCHS)
