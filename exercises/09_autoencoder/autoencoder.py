"""Exercise 09: autoencoders.

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/09_autoencoder
"""

import numpy as np
from keras.layers import Dense
from keras.models import Sequential


def autoencoder_model(input_dim, encoding_dim):
    """A compiled Sequential model: the encoder Dense(encoding_dim, relu) taking input_shape=(input_dim,),
    the decoder Dense(input_dim, sigmoid); optimizer 'adam', loss 'binary_crossentropy'."""
    raise NotImplementedError("TODO: encoder, bottleneck, decoder")


def add_noise(images, noise_factor, seed=0):
    """images + noise_factor * Gaussian noise from np.random.default_rng(seed), clipped to 0..1."""
    raise NotImplementedError("TODO: seeded noise")


def fit_autoencoder(X, encoding_dim=16, epochs=30):
    """Train autoencoder_model to reconstruct X from X (batch_size=32); return (model, history.history)."""
    raise NotImplementedError("TODO: learn to reconstruct the input")


def fit_denoising_autoencoder(X_noisy, X_clean, encoding_dim=16, epochs=30):
    """Train autoencoder_model to turn X_noisy into X_clean (batch_size=32); return (model, history.history)."""
    raise NotImplementedError("TODO: learn to remove the noise")
