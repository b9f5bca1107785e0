# Ana - autoencoder lab, encoder and decoder stacked in a Sequential
import numpy as np
from keras.models import Sequential
from keras.layers import Dense


def autoencoder_model(input_dim, encoding_dim):
    autoencoder = Sequential()
    autoencoder.add(Dense(encoding_dim, activation='relu', input_shape=(input_dim,)))
    autoencoder.add(Dense(input_dim, activation='sigmoid'))
    autoencoder.compile(optimizer='adam', loss='binary_crossentropy')
    return autoencoder


def add_noise(images, noise_factor, seed=0):
    generator = np.random.default_rng(seed)
    noise = generator.normal(loc=0.0, scale=1.0, size=images.shape)
    noisy_images = images + noise_factor * noise
    noisy_images = np.clip(noisy_images, 0., 1.)
    return noisy_images


def fit_autoencoder(X, encoding_dim=16, epochs=30):
    autoencoder = autoencoder_model(X.shape[1], encoding_dim)
    history = autoencoder.fit(X, X, epochs=epochs, batch_size=32, shuffle=True, verbose=0)
    return autoencoder, history.history


def fit_denoising_autoencoder(X_noisy, X_clean, encoding_dim=16, epochs=30):
    autoencoder = autoencoder_model(X_clean.shape[1], encoding_dim)
    history = autoencoder.fit(X_noisy, X_clean, epochs=epochs, batch_size=32, shuffle=True, verbose=0)
    return autoencoder, history.history
