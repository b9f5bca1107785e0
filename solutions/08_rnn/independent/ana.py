# Ana - RNN notebook: the recurrent step by hand, then the Keras LSTM
import numpy as np
from keras.models import Sequential
from keras.layers import LSTM, Dense


def rnn_step(x_t, h_prev, W_x, W_h, b):
    z = np.dot(W_x, x_t) + np.dot(W_h, h_prev) + b
    return np.tanh(z)


def rnn_forward(xs, h0, W_x, W_h, b):
    outputs = []
    h = h0
    for t in range(len(xs)):
        h = rnn_step(xs[t], h, W_x, W_h, b)
        outputs.append(h)
    return np.array(outputs)


def make_windows(series, timesteps):
    X, y = [], []
    for i in range(len(series) - timesteps):
        X.append(series[i:i + timesteps])
        y.append(series[i + timesteps])
    X = np.array(X, dtype=float)
    return X.reshape((X.shape[0], timesteps, 1)), np.array(y, dtype=float)


def lstm_model(timesteps, features, units=16):
    model = Sequential()
    model.add(LSTM(units, input_shape=(timesteps, features)))
    model.add(Dense(1))
    model.compile(optimizer='adam', loss='mean_squared_error')
    return model


def fit_lstm(X, y, units=16, epochs=20):
    timesteps, features = X.shape[1], X.shape[2]
    model = lstm_model(timesteps, features, units)
    history = model.fit(X, y, epochs=epochs, batch_size=16, verbose=2)
    return model, history.history
