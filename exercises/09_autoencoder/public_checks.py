"""Public checks for exercise 09: the autoencoder's shape, and seeded noise.

You may read these. Hidden checks train your autoencoders briefly and measure what they learned.
"""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import call_as_in_the_lab
from grader.authoring import Hint, Root, close, expect_shape, fail, first_hint, show, wrong_root

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


# The autoencoder is judged one part at a time, each with its own points (layers and units; activations; loss;
# optimizer; the input shape in the hidden checks, training in the fit checks): a model with one part unlike the
# lab's keeps the others' points. Layers are compared by what the lab asks of each (kind, units); an activation is
# a property of its layer, judged by check_activations.

def check_layers(model, input_dim, encoding_dim, what):
    """Two Dense layers: the encoder of encoding_dim units, the decoder of input_dim."""
    layers = keras_models.structural_layers(model, what)
    dense = [layer for layer in layers if layer.kind == "Dense"]
    if len(dense) != 2 or len(layers) != 2:
        fail(f"{what} returned the layers {[layer.kind for layer in layers]}; expected two Dense layers, "
             "the encoder and the decoder", MISSING_LAYER if len(dense) == len(layers) == 1 else None)
    if dense[0].units != encoding_dim or dense[1].units != input_dim:
        fail(f"the encoder has {dense[0].units} units and the decoder {dense[1].units}; expected {encoding_dim} "
             f"and {input_dim}", NO_BOTTLENECK if dense[0].units and dense[0].units >= input_dim else None)


def check_activations(model, input_dim, encoding_dim, what):
    """ReLU in the encoder, a sigmoid at the decoder's output. The decoder is the last of several Dense layers (a
    lone Dense layer is the decoder only when it gives back input_dim values: a missing layer is check_layers')."""
    dense = [layer for layer in keras_models.structural_layers(model, what) if layer.kind == "Dense"]
    if not dense:
        fail(f"{what} returned a model without Dense layers")
    decoder = dense[-1] if len(dense) > 1 or dense[-1].units == input_dim else None
    encoder = [layer.activation for layer in (dense[:-1] if decoder is not None else dense)]
    if any(activation != "relu" for activation in encoder):
        fail(f"the encoder uses {encoder[0] if len(encoder) == 1 else encoder!r}; expected 'relu'",
             ENCODER_RELU if all(activation in (None, "linear", "relu") for activation in encoder) else None)
    if decoder is not None and decoder.activation != "sigmoid":
        fail(f"the decoder uses {decoder.activation!r}", OUTPUT_ACTIVATION)


def check_input_shape(model, input_dim, encoding_dim, what):
    """The input shape (None, input_dim), and a decoder that gives back input_dim values."""
    keras_models.layers(model, what)
    shape = keras_models.input_shape(model)
    if shape is None or list(shape) != [None, input_dim]:
        fail(f"{what} returned a model whose input shape is {shape}; expected (None, {input_dim})", MISSING_INPUT_SHAPE)
    dense = [layer for layer in keras_models.structural_layers(model, what) if layer.kind == "Dense"]
    if dense and dense[-1].units != input_dim:
        fail(f"{what} returned a model whose last layer has {dense[-1].units} units; the decoder gives back the "
             f"input's {input_dim} values", MISSING_LAYER if len(dense) == 1 else None)


# The lab's binary cross-entropy, or the mean squared error (audit.yaml accepts it): another loss is named by the
# decoder's hint (pixels between 0 and 1 go with a sigmoid and one of these losses).
COMPILE = keras_models.LabCompile(("binary_crossentropy", "mean_squared_error"), NOT_COMPILED, OUTPUT_ACTIVATION,
                                  WRONG_OPTIMIZER, without_loss=None)


MODEL_PARTS = (check_layers, check_activations, check_input_shape, COMPILE.check_loss, COMPILE.check_optimizer)


def check_autoencoder(model, input_dim, encoding_dim, what):
    """Every part of the model at once (a function that uses autoencoder_model needs all of them)."""
    for check in MODEL_PARTS:
        check(model, input_dim, encoding_dim, what)


def model_mistake(model, input_dim, encoding_dim, what):
    """The first hint the model checks give this model (a mistake that is in it, and may explain what it did in
    training), or None."""
    return first_hint(MODEL_PARTS, model, input_dim, encoding_dim, what)


def model_root(submission, input_dim, encoding_dim):
    """USES_MODEL when the student's own autoencoder_model fails the model check (asked here, judged here)."""
    return wrong_root(Root(USES_MODEL, lambda: submission.autoencoder_model(input_dim, encoding_dim), judge=lambda model:
                           check_autoencoder(model, input_dim, encoding_dim, f"autoencoder_model({input_dim}, {encoding_dim})")))


def lab_model(submission):
    """autoencoder_model(64, 16), or the lab's autoencoder_model() as the lab calls it (judged for MNIST's 784 pixels
    and the lab's 32-value code): the arguments of every part's check."""
    model, (input_dim, encoding_dim) = call_as_in_the_lab(submission, "autoencoder_model", (64, 16), (784, 32))
    return model, input_dim, encoding_dim, f"autoencoder_model({input_dim}, {encoding_dim})"


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


@pytest.mark.points(1)
def test_autoencoder_shape(submission):
    """autoencoder_model(64, 16) has the lab's layers: an encoder Dense 16 and a decoder Dense 64

    A lab's `autoencoder_model()` without arguments is called as the lab calls it and judged for MNIST's 784
    pixels and the lab's 32-value code. This check and the three after it judge one part of the model each."""
    check_layers(*lab_model(submission))


@pytest.mark.points(1)
def test_autoencoder_activations(submission):
    """autoencoder_model(64, 16) applies ReLU in the encoder and a sigmoid at the decoder's output"""
    check_activations(*lab_model(submission))


@pytest.mark.points(1)
def test_autoencoder_loss(submission):
    """autoencoder_model(64, 16) is compiled with the binary cross-entropy (or the mean squared error)"""
    COMPILE.check_loss(*lab_model(submission))


@pytest.mark.points(1)
def test_autoencoder_optimizer(submission):
    """autoencoder_model(64, 16) is compiled with adam"""
    COMPILE.check_optimizer(*lab_model(submission))


@pytest.mark.points(3)
def test_add_noise_is_seeded_and_clipped(submission):
    """add_noise adds seeded Gaussian noise and keeps pixels between 0 and 1"""
    images = np.linspace(0, 1, 24).reshape(4, 6)
    got = expect_shape(submission.add_noise(images, 0.5, 7), images.shape, "add_noise(images, 0.5, 7)")
    want = np.clip(images + 0.5 * np.random.default_rng(7).normal(size=images.shape), 0, 1)
    if got.min() < 0 or got.max() > 1:
        fail(f"add_noise returned values from {got.min():.3g} to {got.max():.3g}", NOISE_NOT_CLIPPED)
    if not close(got, want):
        fail(f"add_noise(images, 0.5, 7) returned {show(got)}", noise_hint(got, images, 0.5, 7))
