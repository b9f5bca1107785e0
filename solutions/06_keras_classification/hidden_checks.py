"""Hidden checks for exercise 06: other sizes, other labels, and a short real training run."""

import numpy as np
import pytest

from grader.checks import keras_models
from grader.checks import CheckFailed, SubmissionFailure, as_array, as_pair, check_written_default, close, fail
from grader.checks import public_checks_of, show
from grader.checks import digits_images

public = public_checks_of(__file__)


@pytest.mark.points(2)
def test_flatten_other_image_sizes(submission, rng):
    """flatten_images works for any image size"""
    height, width, count = int(rng.integers(2, 10)), int(rng.integers(2, 10)), int(rng.integers(2, 9))
    images = rng.integers(0, 256, size=(count, height, width)).astype("uint8")
    flat = as_array(submission.flatten_images(images), "flatten_images(images)")
    if flat.shape != (count, height * width) or not close(flat, images.reshape(count, -1)):
        fail(f"flatten_images of {count} images of {height}x{width} returned shape {flat.shape}; "
             f"expected ({count}, {height * width}) with the pixels in order")


@pytest.mark.points(2)
def test_one_hot_with_a_class_count(submission, rng):
    """one_hot honours num_classes even when the largest class is missing from the labels"""
    classes = int(rng.integers(4, 12))
    labels = rng.integers(0, classes - 1, size=15)
    got = as_array(submission.one_hot(labels, classes), f"one_hot(labels, {classes})")
    if got.shape != (15, classes) or not close(got, np.eye(classes)[labels]):
        fail(f"one_hot(labels, {classes}) returned shape {got.shape}; expected (15, {classes})", public.NOT_ONE_HOT)


@pytest.mark.points(3)
def test_classification_model_other_sizes(submission, rng):
    """classification_model adapts to any number of pixels and classes"""
    pixels, classes = int(rng.integers(10, 50)), int(rng.integers(2, 12))
    public.check_classifier(submission.classification_model(pixels, classes), pixels, classes,
                            f"classification_model({pixels}, {classes})")


@pytest.mark.points(2)
def test_predicted_classes_random(submission, rng):
    """predicted_classes on random probabilities"""
    scores = rng.random((9, 5))
    probabilities = scores / scores.sum(axis=1, keepdims=True)
    got = as_array(submission.predicted_classes(probabilities), "predicted_classes(...)")
    if got.shape != (9,) or not close(got, np.argmax(probabilities, axis=1)):
        fail(f"predicted_classes returned {show(got)}, expected {show(np.argmax(probabilities, axis=1))}",
             public.ARGMAX_AXIS if got.shape == (5,)
             else public.ARGMAX_NO_AXIS if got.shape == () and close(got, np.argmax(probabilities)) else None)


@pytest.mark.points(5)
def test_fit_classification_model_learns_the_digits(submission, rng):
    """fit_classification_model learns to recognise held-out digits and returns the trained model"""
    (train_images, train_labels), (test_images, test_labels) = digits_images(seed=int(rng.integers(0, 1000)))
    X_train = train_images.reshape(len(train_images), -1).astype("float32") / 255
    X_test = test_images.reshape(len(test_images), -1).astype("float32") / 255
    y_train, y_test = np.eye(10)[train_labels], np.eye(10)[test_labels]
    try:
        result = submission.fit_classification_model(X_train, y_train, X_test, y_test, epochs=5)
    except SubmissionFailure as failure:   # it raised: name classification_model when that is what is wrong
        if failure.outcome.value == "error":
            failure.hint = failure.hint or public.model_root(submission, 64, 10)
        raise
    model, history = as_pair(result, "fit_classification_model", "(model, history.history)")
    if type(history) is not dict or "val_accuracy" not in history:
        keys = sorted(history) if type(history) is dict else show(history)
        fail(f"the history has the keys {keys}; fit with validation_data=(X_test, y_test) and metrics=['accuracy'] "
             "so it records val_accuracy", public.MISSING_ACCURACY if type(history) is dict and "val_loss" in history else None)
    if type(history["val_accuracy"]) is not list or len(history["val_accuracy"]) != 5:
        # One entry is what model.fit gives without epochs= (its default is 1): only the hint is chosen from
        # the submission's own history, never a pass.
        fail(f"fit_classification_model(..., epochs=5) should train for 5 epochs and return history.history, one "
             f"val_accuracy per epoch; its 'val_accuracy' is {show(history['val_accuracy'])}",
             public.EPOCHS_NOT_PASSED if type(history["val_accuracy"]) is list and len(history["val_accuracy"]) == 1
             else None)
    try:
        public.check_classifier(model, 64, 10, "fit_classification_model")
    except CheckFailed as failure:   # without a hint of its own: the root, when it is classification_model
        failure.hint = failure.hint or public.model_root(submission, 64, 10)
        raise
    rows = len(X_train)
    keras_models.check_fit_steps(model, keras_models.Fit(rows, 5), "fit_classification_model",
                                 ((public.EPOCHS_NOT_PASSED, keras_models.Fit(rows, 1)),))
    probabilities = keras_models.forward(model, X_test, "fit_classification_model")
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == test_labels))
    if accuracy < 0.8:
        fail(f"the returned model recognises {accuracy:.0%} of held-out digits; a trained model of the lab's shape "
             "reaches over 80% after 5 epochs. Return the model you trained.")
    check_written_default(submission, "fit_classification_model", "epochs", 10, public.DEFAULT_EPOCHS)
