"""Ben: recurrence with matrix products and strided windows; the LSTM as a layer list."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from tensorflow import keras


def rnn_step(x_t, h_prev, W_x, W_h, b):
    return np.tanh(np.asarray(W_x) @ np.asarray(x_t) + np.asarray(W_h) @ np.asarray(h_prev) + b)


def rnn_forward(xs, h0, W_x, W_h, b):
    states = np.zeros((len(xs), len(b)))
    h = np.asarray(h0, dtype=float)
    for t, x_t in enumerate(xs):
        h = rnn_step(x_t, h, W_x, W_h, b)
        states[t] = h
    return states


def make_windows(series, timesteps):
    values = np.asarray(series, dtype=float)
    windows = sliding_window_view(values, timesteps)[:-1]
    return windows[:, :, np.newaxis].copy(), values[timesteps:].copy()


def lstm_model(timesteps, features, units=16):
    net = keras.Sequential([keras.Input(shape=(timesteps, features)), keras.layers.LSTM(units), keras.layers.Dense(1)])
    net.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.MeanSquaredError())
    return net


def fit_lstm(X, y, units=16, epochs=20):
    _, steps, feats = X.shape
    net = lstm_model(steps, feats, units=units)
    trained = net.fit(X, y, batch_size=16, epochs=epochs, verbose=0)
    return net, trained.history
