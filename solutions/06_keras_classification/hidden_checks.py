"""Hidden checks for exercise 06: other sizes, other labels, and a short real training run."""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import (accuracy_at_least, as_array, as_is, check_written_default, close, expect_close, fail,
                              read_history, read_pair,
                              when_raised)
from grader.authoring import public_checks_of
from grader.authoring import digits_images

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


@pytest.mark.points(2)
def test_classification_model_other_sizes(submission, rng):
    """classification_model takes the input shape (None, num_pixels), and its layers follow the sizes, for any
    number of pixels and classes"""
    pixels, classes = int(rng.integers(10, 50)), int(rng.integers(2, 12))
    public.check_input_shape(submission.classification_model(pixels, classes), pixels, classes,
                             f"classification_model({pixels}, {classes})")


@pytest.mark.points(2)
def test_predicted_classes_random(submission, rng):
    """predicted_classes on random probabilities"""
    scores = rng.random((9, 5))
    probabilities = scores / scores.sum(axis=1, keepdims=True)
    expect_close(submission.predicted_classes(probabilities), np.argmax(probabilities, axis=1), "predicted_classes(...)",
                 hint=lambda got: public.ARGMAX_AXIS if got.shape == (5,) else public.argmax_mistake(got, probabilities))


@pytest.mark.points(5)
def test_fit_classification_model_learns_the_digits(submission, rng):
    """fit_classification_model learns to recognise held-out digits and returns the trained model"""
    (train_images, train_labels), (test_images, test_labels) = digits_images(seed=int(rng.integers(0, 1000)))
    # The training images three times over: enough updates in 5 epochs for a model of another width or depth than
    # the lab's to learn too (10 units in the second layer reached 66-87% on the images once, 93-96% three times):
    # training is what this check judges, the architecture has checks of its own.
    train_images, train_labels = np.concatenate([train_images] * 3), np.concatenate([train_labels] * 3)
    X_train = train_images.reshape(len(train_images), -1).astype("float32") / 255
    X_test = test_images.reshape(len(test_images), -1).astype("float32") / 255
    y_train, y_test = np.eye(10)[train_labels], np.eye(10)[test_labels]
    with when_raised(lambda: public.model_root(submission, 64, 10)):   # name classification_model when it is wrong
        result = submission.fit_classification_model(X_train, y_train, X_test, y_test, epochs=5)
    model, history = read_pair(result, "fit_classification_model", ("model", "history.history"), read=as_is)
    # One val_loss is what model.fit gives without epochs= (its default is 1): only the hint is chosen from the
    # submission's own history, never a pass. Without validation_data=(X_test, y_test) there is no val_loss.
    read_history(history, "fit_classification_model's second value", ("val_loss",), epochs=5,
                 one_epoch=public.EPOCHS_NOT_PASSED)
    keras_models.layers(model, "fit_classification_model")
    rows = len(X_train)
    keras_models.check_fit_steps(model, keras_models.Fit(rows, 5), "fit_classification_model",
                                 ((public.EPOCHS_NOT_PASSED, keras_models.Fit(rows, 1)),))
    # Only training is judged here (the model's parts have checks of their own): a model unlike the lab's that
    # learned passes, and one that did not is told the part of it a model check names, if any.
    def mistake():
        return public.model_mistake(model, 64, 10, "fit_classification_model") or public.model_root(submission, 64, 10)

    probabilities = keras_models.forward(model, X_test, "fit_classification_model")
    if probabilities.shape != (len(X_test), 10):
        fail(f"the returned model gives {probabilities.shape[1:]} outputs per image; it needs one per class (10)",
             mistake())
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == test_labels))
    if not accuracy_at_least(accuracy, 0.8):
        fail(f"the returned model recognises {accuracy:.0%} of held-out digits; a trained model of the lab's shape "
             "reaches over 80% after 5 epochs. Return the model you trained.", mistake())
    check_written_default(submission, "fit_classification_model", "epochs", 10, public.DEFAULT_EPOCHS)
