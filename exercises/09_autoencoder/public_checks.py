"""Public checks for exercise 09: the autoencoder's shape, and seeded noise.

You may read these. Hidden checks train your autoencoders briefly and measure what they learned.
"""

import numpy as np
import pytest

from grader.checks import keras_models
from grader.checks import call_as_in_the_lab
from grader.checks import Hint, as_array, close, fail, show

NO_BOTTLENECK = Hint("no-bottleneck", "The encoder must squeeze the input into fewer units than it has "
                     "(encoding_dim < input_dim); otherwise the network can copy the input and learns nothing.")
OUTPUT_ACTIVATION = Hint("decoder-output-activation", "Pixels lie between 0 and 1, so the decoder's output uses "
                         "a sigmoid (and binary cross-entropy or the mean squared error as the loss).")
NOISE_NOT_CLIPPED = Hint("noise-not-clipped", "Clip the noisy images back to the pixel range: np.clip(noisy, 0, 1).")
NOISE_NOT_SEEDED = Hint("noise-not-seeded", "Draw the noise from np.random.default_rng(seed).normal(size=images.shape), "
                        "so the same seed gives the same noise.")
MISSING_INPUT_SHAPE = Hint("missing-input-shape", "Give the encoder input_shape=(input_dim,) or start with "
                           "keras.Input(shape=(input_dim,)).")


def check_autoencoder(model, input_dim, encoding_dim, what):
    shape = keras_models.input_shape(model)
    if shape is None or list(shape) != [None, input_dim]:
        fail(f"{what} returned a model whose input shape is {shape}; expected (None, {input_dim})", MISSING_INPUT_SHAPE)
    layers = keras_models.layers(model, what)
    dense = [layer for layer in layers if layer.kind == "Dense"]
    if len(dense) != 2 or len(layers) != 2:
        fail(f"{what} returned the layers {[layer.kind for layer in layers]}; expected two Dense layers, "
             "the encoder and the decoder")
    if dense[0].units != encoding_dim or dense[1].units != input_dim:
        fail(f"the encoder has {dense[0].units} units and the decoder {dense[1].units}; expected {encoding_dim} "
             f"and {input_dim}", NO_BOTTLENECK if dense[0].units and dense[0].units >= input_dim else None)
    if dense[0].activation != "relu":
        fail(f"the encoder uses {dense[0].activation!r}; expected 'relu'")
    if dense[1].activation != "sigmoid":
        fail(f"the decoder uses {dense[1].activation!r}", OUTPUT_ACTIVATION)
    loss = keras_models.loss_name(model)
    if loss not in ("binary_crossentropy", "mean_squared_error"):
        fail(f"the model is compiled with the loss {loss!r}" if loss else f"{what} returned a model that is not compiled",
             OUTPUT_ACTIVATION if loss else None)


@pytest.mark.points(4)
def test_autoencoder_shape(submission):
    """autoencoder_model(64, 16): encoder Dense 16 ReLU, decoder Dense 64 sigmoid, compiled

    A lab's `autoencoder_model()` without arguments is called as the lab calls it and judged for MNIST's 784
    pixels and the lab's 32-value code."""
    model, (input_dim, encoding_dim) = call_as_in_the_lab(submission, "autoencoder_model", (64, 16), (784, 32))
    check_autoencoder(model, input_dim, encoding_dim, f"autoencoder_model({input_dim}, {encoding_dim})")


@pytest.mark.points(3)
def test_add_noise_is_seeded_and_clipped(submission):
    """add_noise adds seeded Gaussian noise and keeps pixels between 0 and 1"""
    images = np.linspace(0, 1, 24).reshape(4, 6)
    got = as_array(submission.add_noise(images, 0.5, 7), "add_noise(images, 0.5, 7)")
    want = np.clip(images + 0.5 * np.random.default_rng(7).normal(size=images.shape), 0, 1)
    if got.shape != images.shape:
        fail(f"add_noise returned shape {got.shape}; expected {images.shape}")
    if got.min() < 0 or got.max() > 1:
        fail(f"add_noise returned values from {got.min():.3g} to {got.max():.3g}", NOISE_NOT_CLIPPED)
    if not close(got, want):
        fail(f"add_noise(images, 0.5, 7) returned {show(got)}", NOISE_NOT_SEEDED)
