"""Hidden checks for exercise 07: other image sizes and classes, and a short real training run."""

import numpy as np
import pytest

from grader.checks import keras_models
from grader.checks import call_as_in_the_lab
from grader.checks import CheckFailed, SubmissionFailure, as_pair, check_written_default, fail, public_checks_of
from grader.checks import digits_images

public = public_checks_of(__file__)


@pytest.mark.points(3)
def test_convolutional_models_other_sizes(submission, rng):
    """both models adapt to other image sizes and numbers of classes"""
    # Sides up to 29 keep even a model without pooling (a mistake with its own hint) within what a model
    # description may carry (a million numbers per weight array).
    side, classes = int(rng.integers(16, 30)), int(rng.integers(2, 12))
    public.check_conv_model(submission.convolutional_model((side, side, 1), classes), (side, side, 1), classes,
                            public.ONE_BLOCK, [16], [(5, 5)], f"convolutional_model(({side}, {side}, 1), {classes})")
    public.check_conv_model(submission.convolutional_model_two_blocks((side, side, 1), classes), (side, side, 1), classes,
                            public.TWO_BLOCKS, [16, 8], [(5, 5), (2, 2)],
                            f"convolutional_model_two_blocks(({side}, {side}, 1), {classes})")


@pytest.mark.points(2)
def test_weights_have_the_lab_shapes(submission):
    """the convolution's kernel is 5x5x1x16 and the first Dense layer sees 12*12*16 features"""
    model, _ = call_as_in_the_lab(submission, "convolutional_model", ((28, 28, 1), 10))
    shapes = [tuple(np.shape(w)) for w in model.weights]
    want = [(5, 5, 1, 16), (16,), (12 * 12 * 16, 100), (100,), (100, 10), (10,)]
    if shapes != want:
        fail(f"the model's weights have the shapes {shapes}; expected {want}")


@pytest.mark.points(5)
def test_fit_convolutional_model_learns_the_digits(submission, rng):
    """fit_convolutional_model learns to recognise held-out digits and returns the trained model"""
    (train_images, train_labels), (test_images, test_labels) = digits_images(seed=int(rng.integers(0, 1000)))
    X_train = train_images.reshape(-1, 8, 8, 1).astype("float32") / 255
    X_test = test_images.reshape(-1, 8, 8, 1).astype("float32") / 255
    y_train, y_test = np.eye(10)[train_labels], np.eye(10)[test_labels]
    try:
        result = submission.fit_convolutional_model(X_train, y_train, X_test, y_test, epochs=12)
    except SubmissionFailure as failure:   # it raised: name convolutional_model when that is what is wrong
        if failure.outcome.value == "error":
            failure.hint = failure.hint or public.model_root(submission, (8, 8, 1), 10)
        raise
    model, history = as_pair(result, "fit_convolutional_model", "(model, history.history)")
    # The accuracy's key is the model's own spelling of it: val_accuracy, val_acc, val_categorical_accuracy ...
    key = keras_models.history_key(history, model) or "val_accuracy"
    if type(history) is not dict or type(history.get(key)) is not list or len(history[key]) != 12:
        fail("the history should record val_accuracy for each of the 12 epochs: fit with "
             "validation_data=(X_test, y_test) and metrics=['accuracy']",
             public.NO_VALIDATION if type(history) is dict and keras_models.history_key(history, model, validation=False)
             and "val_loss" not in history else None)
    try:
        public.check_conv_model(model, (8, 8, 1), 10, public.ONE_BLOCK, [16], [(5, 5)], "fit_convolutional_model")
    except CheckFailed as failure:   # without a hint of its own: the root, when it is convolutional_model
        failure.hint = failure.hint or public.model_root(submission, (8, 8, 1), 10)
        raise
    rows = len(X_train)
    keras_models.check_fit_steps(model, keras_models.Fit(rows, 12, batch_size=200), "fit_convolutional_model",
                                 tuple((public.BATCH_SIZE, keras_models.Fit(rows, 12, batch_size=size))
                                       for size in (32, 100, 400)))
    probabilities = keras_models.forward(model, X_test, "fit_convolutional_model")
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == test_labels))
    if accuracy < 0.6:  # the reference reaches 0.8-0.9
        fail(f"the returned model recognises {accuracy:.0%} of held-out digits; after 12 epochs the lab's model "
             "reaches well over 60%. Return the model you trained.")
    check_written_default(submission, "fit_convolutional_model", "epochs", 10, public.DEFAULT_EPOCHS)
