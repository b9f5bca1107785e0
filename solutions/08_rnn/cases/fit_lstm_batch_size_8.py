"""Reference solution: a recurrent step in numpy, unrolled, and a Keras LSTM for a sequence task."""

import numpy as np
from keras.layers import LSTM, Dense, Input
from keras.models import Sequential


def rnn_step(x_t, h_prev, W_x, W_h, b):
    return np.tanh(W_x @ x_t + W_h @ h_prev + b)


def rnn_forward(xs, h0, W_x, W_h, b):
    h, states = np.asarray(h0, dtype=float), []
    for x_t in xs:
        h = rnn_step(np.asarray(x_t, dtype=float), h, W_x, W_h, b)
        states.append(h)
    return np.array(states)


def make_windows(series, timesteps):
    series = np.asarray(series, dtype=float)
    X = np.array([series[i:i + timesteps] for i in range(len(series) - timesteps)])
    y = series[timesteps:]
    return X.reshape(len(X), timesteps, 1), y


def lstm_model(timesteps, features, units=16):
    model = Sequential()
    model.add(Input(shape=(timesteps, features)))
    model.add(LSTM(units))
    model.add(Dense(1))
    model.compile(optimizer="adam", loss="mean_squared_error")
    return model


def fit_lstm(X, y, units=16, epochs=20):
    model = lstm_model(X.shape[1], X.shape[2], units)
    history = model.fit(X, y, epochs=epochs, batch_size=8, verbose=0)
    return model, history.history
