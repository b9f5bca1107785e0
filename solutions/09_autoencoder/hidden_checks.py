"""Hidden checks for exercise 09: other sizes, and what trained autoencoders actually learned."""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import as_array, as_is, below, check_written_default, close, fail, read_pair, when_raised
from grader.authoring import public_checks_of
from grader.authoring import digits_images

public = public_checks_of(__file__)


def digits(seed):
    (train, _), (test, _) = digits_images(seed=seed)
    return train.reshape(len(train), -1) / 255.0, test.reshape(len(test), -1) / 255.0


@pytest.mark.points(2)
def test_autoencoder_other_sizes(submission, rng):
    """autoencoder_model takes the input shape (None, input_dim) and gives back input_dim values, for other input
    and bottleneck sizes"""
    input_dim = int(rng.integers(20, 100))
    encoding_dim = int(rng.integers(2, input_dim // 2))
    public.check_input_shape(submission.autoencoder_model(input_dim, encoding_dim), input_dim, encoding_dim,
                             f"autoencoder_model({input_dim}, {encoding_dim})")


@pytest.mark.points(2)
def test_add_noise_other_seeds(submission, rng):
    """add_noise depends on its seed and noise factor only"""
    images = rng.random((5, 10))
    seed, factor = int(rng.integers(0, 10**6)), float(rng.uniform(0.1, 0.6))
    got = as_array(submission.add_noise(images, factor, seed), "add_noise(...)")
    want = np.clip(images + factor * np.random.default_rng(seed).normal(size=images.shape), 0, 1)
    if not close(got, want):
        fail(f"add_noise(images, {factor:.3g}, {seed}) does not match the seeded noise",
             public.noise_hint(got, images, factor, seed))


def trained(submission, function, args, epochs):
    """Call a fit function with encoding_dim left out (the documented default, 16, is read from the model it
    returns, when autoencoder_model itself is right), and check how it was fitted; a failure without a hint of its
    own names autoencoder_model at the root. The model's parts have checks of their own: not judged here."""
    with when_raised(lambda: public.model_root(submission, 64, 16)):   # name autoencoder_model when it is wrong
        result = getattr(submission, function)(*args, epochs=epochs)
    model, history = read_pair(result, function, ("model", "history.history"), read=as_is)
    layers = keras_models.structural_layers(model, function)
    if len(layers) == 2 and layers[0].kind == "Dense" and layers[0].units != 16 and \
            public.model_root(submission, 64, 16) is None:
        fail(f"{function} without encoding_dim returned a bottleneck of {layers[0].units} units; the documented "
             "default is 16", public.DEFAULT_ENCODING)
    rows = len(args[0])
    keras_models.check_fit_steps(model, keras_models.Fit(rows, epochs), function, (
        (public.EPOCHS_NOT_PASSED, keras_models.Fit(rows, 1)),
        *((public.BATCH_SIZE, keras_models.Fit(rows, epochs, batch_size=size)) for size in (16, 64))))
    return model, history


def outputs(model, inputs, function):
    """What the trained model gives for `inputs`, which must be one value per pixel."""
    got = keras_models.forward(model, inputs, function)
    if got.shape != inputs.shape:
        fail(f"the returned autoencoder gives {got.shape[1:]} values per image; it gives back the image's "
             f"{inputs.shape[1]}", public.model_mistake(model, 64, 16, function))
    return got


def mistake(submission, model, history, function, epochs):
    """Why a trained model did not learn, when a known mistake says: epochs not passed, or a part of the model."""
    return (epochs_hint(history, epochs) or public.model_mistake(model, 64, 16, function)
            or public.model_root(submission, 64, 16))


def epochs_hint(history, epochs):
    """EPOCHS_NOT_PASSED when the history has one loss where `epochs` were asked (model.fit's default is 1 epoch);
    only a hint is chosen from the submission's own history, never a pass."""
    losses = history.get("loss") if type(history) is dict else None
    return public.EPOCHS_NOT_PASSED if epochs > 1 and type(losses) is list and len(losses) == 1 else None


@pytest.mark.points(4)
def test_fit_autoencoder_reconstructs_digits(submission, rng):
    """the trained autoencoder reconstructs held-out digits better than the average digit does"""
    train, test = digits(int(rng.integers(0, 1000)))
    model, history = trained(submission, "fit_autoencoder", (train,), 30)
    reconstructed = outputs(model, test, "fit_autoencoder")
    error = float(np.mean((reconstructed - test) ** 2))
    baseline = float(np.mean((train.mean(axis=0) - test) ** 2))
    if not below(error, 0.6 * baseline):  # the reference reaches about 0.3
        fail(f"the returned autoencoder's reconstruction error on held-out digits is {error:.4g}; the average digit "
             f"alone gets {baseline:.4g}. Train it to reconstruct its input (fit(X, X)) and return that model.",
             mistake(submission, model, history, "fit_autoencoder", 30))
    check_written_default(submission, "fit_autoencoder", "epochs", 30, public.DEFAULT_EPOCHS)


@pytest.mark.points(5)
def test_fit_denoising_autoencoder_removes_noise(submission, rng):
    """the denoising autoencoder brings noisy held-out digits closer to the clean ones"""
    train, test = digits(int(rng.integers(0, 1000)))
    seed = int(rng.integers(0, 10**6))
    noisy_train = np.clip(train + 0.3 * np.random.default_rng(seed).normal(size=train.shape), 0, 1)
    noisy_test = np.clip(test + 0.3 * np.random.default_rng(seed + 1).normal(size=test.shape), 0, 1)
    model, history = trained(submission, "fit_denoising_autoencoder", (noisy_train, train), 30)
    cleaned = outputs(model, noisy_test, "fit_denoising_autoencoder")
    after, before = float(np.mean((cleaned - test) ** 2)), float(np.mean((noisy_test - test) ** 2))
    if not below(after, 0.85 * before):  # the reference reaches about 0.6; an untrained model is far above 1
        fail(f"after your autoencoder the noisy digits are {after:.4g} away from the clean ones, against {before:.4g} "
             "before: train it on (noisy input, clean target), fit(X_noisy, X_clean), and return that model.",
             mistake(submission, model, history, "fit_denoising_autoencoder", 30))
    check_written_default(submission, "fit_denoising_autoencoder", "epochs", 30, public.DEFAULT_EPOCHS)
