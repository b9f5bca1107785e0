"""Exercise 08: recurrent neural networks.

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/08_rnn
"""

import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential


def rnn_step(x_t, h_prev, W_x, W_h, b):
    """One recurrent step: tanh(W_x @ x_t + W_h @ h_prev + b), the new output of the layer."""
    raise NotImplementedError("TODO: combine the input and the previous output")


def rnn_forward(xs, h0, W_x, W_h, b):
    """Unroll rnn_step over the sequence xs (one input vector per time step), starting from h0.
    Return the array of outputs, one row per time step."""
    raise NotImplementedError("TODO: unroll over time")


def make_windows(series, timesteps):
    """Sliding windows for next-value prediction: X[i] = series[i:i + timesteps] shaped (timesteps, 1),
    y[i] = series[i + timesteps]. Return (X, y) with X of shape (n, timesteps, 1)."""
    raise NotImplementedError("TODO: windows and next values")


def lstm_model(timesteps, features, units=16):
    """A compiled Sequential model: LSTM(units) taking input_shape=(timesteps, features), then Dense(1);
    optimizer 'adam', loss 'mean_squared_error'."""
    raise NotImplementedError("TODO: an LSTM for sequence regression")


def fit_lstm(X, y, units=16, epochs=20):
    """Build lstm_model for X's shape, fit it on (X, y) with batch_size=16, return (model, history.history)."""
    raise NotImplementedError("TODO: fit the LSTM")
