"""Ben: the autoencoder with the functional API, an explicit encoder and decoder."""
import numpy as np
from tensorflow import keras


def autoencoder_model(input_dim, encoding_dim):
    image = keras.Input(shape=(input_dim,))
    code = keras.layers.Dense(encoding_dim, activation="relu")(image)
    reconstruction = keras.layers.Dense(input_dim, activation="sigmoid")(code)
    net = keras.Model(inputs=image, outputs=reconstruction)
    net.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    return net


def add_noise(images, noise_factor, seed=0):
    images = np.asarray(images, dtype=float)
    draws = np.random.default_rng(seed).normal(size=images.shape)
    return np.minimum(np.maximum(images + noise_factor * draws, 0.0), 1.0)


def _train(inputs, targets, encoding_dim, epochs):
    net = autoencoder_model(targets.shape[-1], encoding_dim)
    log = net.fit(inputs, targets, batch_size=32, epochs=epochs, verbose=0)
    return net, log.history


def fit_autoencoder(X, encoding_dim=16, epochs=30):
    return _train(X, X, encoding_dim, epochs)


def fit_denoising_autoencoder(X_noisy, X_clean, encoding_dim=16, epochs=30):
    return _train(X_noisy, X_clean, encoding_dim, epochs)
