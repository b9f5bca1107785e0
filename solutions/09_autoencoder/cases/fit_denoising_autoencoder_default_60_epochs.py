"""Reference solution: an autoencoder with a bottleneck, and its use for denoising."""

import numpy as np
from keras.layers import Dense, Input
from keras.models import Sequential


def autoencoder_model(input_dim, encoding_dim):
    model = Sequential()
    model.add(Input(shape=(input_dim,)))
    model.add(Dense(encoding_dim, activation="relu"))
    model.add(Dense(input_dim, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def add_noise(images, noise_factor, seed=0):
    rng = np.random.default_rng(seed)
    noisy = images + noise_factor * rng.normal(size=images.shape)
    return np.clip(noisy, 0.0, 1.0)


def fit_autoencoder(X, encoding_dim=16, epochs=30):
    model = autoencoder_model(X.shape[1], encoding_dim)
    history = model.fit(X, X, epochs=epochs, batch_size=32, verbose=0)
    return model, history.history


def fit_denoising_autoencoder(X_noisy, X_clean, encoding_dim=16, epochs=60):
    model = autoencoder_model(X_clean.shape[1], encoding_dim)
    history = model.fit(X_noisy, X_clean, epochs=epochs, batch_size=32, verbose=0)
    return model, history.history
