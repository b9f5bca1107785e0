"""Public checks for exercise 09: the autoencoder's shape, and seeded noise.

You may read these. Hidden checks train your autoencoders briefly and measure what they learned.
"""

import numpy as np
import pytest

from grader.checks import keras_models
from grader.checks import call_as_in_the_lab
from grader.checks import CheckFailed, Hint, SubmissionFailure, as_array, close, fail, show

NO_BOTTLENECK = Hint("no-bottleneck", "The encoder must squeeze the input into fewer units than it has "
                     "(encoding_dim < input_dim); otherwise the network can copy the input and learns nothing.")
OUTPUT_ACTIVATION = Hint("decoder-output-activation", "Pixels lie between 0 and 1, so the decoder's output uses "
                         "a sigmoid (and binary cross-entropy or the mean squared error as the loss).")
NOISE_NOT_CLIPPED = Hint("noise-not-clipped", "Clip the noisy images back to the pixel range: np.clip(noisy, 0, 1).")
NOISE_NOT_SEEDED = Hint("noise-not-seeded", "Draw the noise from np.random.default_rng(seed).normal(size=images.shape), "
                        "so the same seed gives the same noise.")
MISSING_INPUT_SHAPE = Hint("missing-input-shape", "Give the encoder input_shape=(input_dim,) or start with "
                           "keras.Input(shape=(input_dim,)).")
NOISE_CLIP_RANGE = Hint("noise-clip-range", "Clip to the whole pixel range, from 0 to 1: np.clip(noisy, 0.0, 1.0).")
NOT_COMPILED = Hint("model-not-compiled", "Compile the autoencoder before returning it: "
                    "model.compile(optimizer='adam', loss='binary_crossentropy').")
WRONG_OPTIMIZER = Hint("wrong-optimizer", "The lab compiles the autoencoder with optimizer='adam' (compile's default "
                       "optimizer is rmsprop).")
MISSING_LAYER = Hint("missing-dense-layer", "An autoencoder has two Dense layers: the encoder, Dense(encoding_dim, "
                     "activation='relu'), and the decoder, Dense(input_dim, activation='sigmoid').")
ENCODER_RELU = Hint("encoder-relu", "The encoder applies ReLU: Dense(encoding_dim, activation='relu').")
DEFAULT_ENCODING = Hint("default-encoding-dim", "The documented default is encoding_dim=16: fit_autoencoder(X) and "
                        "fit_denoising_autoencoder(X_noisy, X_clean) build a bottleneck of 16 units when none is given.")
EPOCHS_NOT_PASSED = Hint("epochs-not-passed-to-fit", "Pass the function's epochs to model.fit(..., epochs=epochs); "
                         "without it Keras trains for a single epoch.")
USES_MODEL = Hint("uses-wrong-autoencoder-model", "Your autoencoder_model() builds a model unlike the lab's (see its "
                  "check), and this function uses it: fix autoencoder_model first; this may then pass too.")
DEFAULT_EPOCHS = Hint("fit-default-epochs", "Keep the documented default epochs=30: def fit_autoencoder(X, "
                      "encoding_dim=16, epochs=30) and def fit_denoising_autoencoder(X_noisy, X_clean, encoding_dim=16, "
                      "epochs=30).")
BATCH_SIZE = Hint("fit-batch-size", "Fit in batches of 32 images, as the README says: model.fit(..., epochs=epochs, "
                  "batch_size=32).")


def check_autoencoder(model, input_dim, encoding_dim, what):
    layers = keras_models.layers(model, what)
    shape = keras_models.input_shape(model)
    if shape is None or list(shape) != [None, input_dim]:
        fail(f"{what} returned a model whose input shape is {shape}; expected (None, {input_dim})", MISSING_INPUT_SHAPE)
    dense = [layer for layer in layers if layer.kind == "Dense"]
    if len(dense) != 2 or len(layers) != 2:
        fail(f"{what} returned the layers {[layer.kind for layer in layers]}; expected two Dense layers, "
             "the encoder and the decoder", MISSING_LAYER if len(dense) == len(layers) == 1 else None)
    if dense[0].units != encoding_dim or dense[1].units != input_dim:
        fail(f"the encoder has {dense[0].units} units and the decoder {dense[1].units}; expected {encoding_dim} "
             f"and {input_dim}", NO_BOTTLENECK if dense[0].units and dense[0].units >= input_dim else None)
    if dense[0].activation != "relu":
        fail(f"the encoder uses {dense[0].activation!r}; expected 'relu'",
             ENCODER_RELU if dense[0].activation in (None, "linear") else None)
    if dense[1].activation != "sigmoid":
        fail(f"the decoder uses {dense[1].activation!r}", OUTPUT_ACTIVATION)
    if not model.compile:
        fail(f"{what} returned a model that is not compiled", NOT_COMPILED)
    loss = keras_models.loss_name(model)
    if loss not in ("binary_crossentropy", "mean_squared_error"):
        fail(f"the model is compiled with the loss {loss!r}" if loss else f"{what} returned a model compiled without a loss",
             OUTPUT_ACTIVATION if loss else None)
    optimizer = keras_models.optimizer_name(model)
    if optimizer != "adam":
        fail(f"the model is compiled with the optimizer {optimizer!r}; the lab uses 'adam'",
             WRONG_OPTIMIZER if optimizer is not None else None)


def model_root(submission, input_dim, encoding_dim):
    """USES_MODEL when the student's own autoencoder_model fails the model check (asked here, judged here);
    a call that did not answer (a crash, a time-out) names nothing."""
    try:
        check_autoencoder(submission.autoencoder_model(input_dim, encoding_dim), input_dim, encoding_dim,
                          f"autoencoder_model({input_dim}, {encoding_dim})")
    except CheckFailed:
        return USES_MODEL
    except SubmissionFailure as failure:
        return USES_MODEL if failure.outcome.value == "error" else None
    return None


def noise_hint(got, images, factor, seed):
    """Which mistake a wrong add_noise shows: clipped to a narrower range than 0..1, or noise that is not the
    seeded draw of images.shape (None when the noise is the seeded draw with another factor, or unclear)."""
    raw = images + factor * np.random.default_rng(seed).normal(size=images.shape)
    if got.shape != images.shape:
        return None
    if got.min() < 0 or got.max() > 1:
        return NOISE_NOT_CLIPPED
    if got.min() >= 0 and got.max() < 1 and close(got, np.clip(raw, 0, got.max())):
        return NOISE_CLIP_RANGE
    inside = (got > 0) & (got < 1)
    if inside.sum() >= 3:
        noise, draw = (got - images)[inside], (raw - images)[inside]
        if np.std(noise) > 1e-12 and abs(np.corrcoef(noise, draw)[0, 1]) > 0.99:
            return None   # the seeded draw, scaled otherwise
    return NOISE_NOT_SEEDED


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
        fail(f"add_noise(images, 0.5, 7) returned {show(got)}", noise_hint(got, images, 0.5, 7))
