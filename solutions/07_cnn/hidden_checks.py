"""Hidden checks for exercise 07: other image sizes and classes, and a short real training run."""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import accuracy_at_least, as_is, check_written_default, fail, public_checks_of, read_pair, when_raised
from grader.authoring import digits_images

public = public_checks_of(__file__)


@pytest.mark.points(3)
def test_convolutional_models_other_sizes(submission, rng):
    """both models take the input shape (height, width, 1) and give one output per class, for other image sizes
    and numbers of classes"""
    # Sides up to 29 keep even a model without pooling (a mistake with its own hint) within what a model
    # description may carry (a million numbers per weight array).
    side, classes = int(rng.integers(16, 30)), int(rng.integers(2, 12))
    for function, sizes in (("convolutional_model", public.ONE_BLOCK_SIZES),
                            ("convolutional_model_two_blocks", public.TWO_BLOCK_SIZES)):
        model = getattr(submission, function)((side, side, 1), classes)
        public.check_input_shape(model, (side, side, 1), classes, *sizes, f"{function}(({side}, {side}, 1), {classes})")


@pytest.mark.points(5)
def test_fit_convolutional_model_learns_the_digits(submission, rng):
    """fit_convolutional_model learns to recognise held-out digits and returns the trained model"""
    (train_images, train_labels), (test_images, test_labels) = digits_images(seed=int(rng.integers(0, 1000)))
    X_train = train_images.reshape(-1, 8, 8, 1).astype("float32") / 255
    X_test = test_images.reshape(-1, 8, 8, 1).astype("float32") / 255
    y_train, y_test = np.eye(10)[train_labels], np.eye(10)[test_labels]
    with when_raised(lambda: public.model_root(submission, (8, 8, 1), 10)):   # name convolutional_model when it is wrong
        result = submission.fit_convolutional_model(X_train, y_train, X_test, y_test, epochs=12)
    model, history = read_pair(result, "fit_convolutional_model", ("model", "history.history"), read=as_is)
    keras_models.layers(model, "fit_convolutional_model")
    # Validation data shows in val_loss, or in the validation accuracy under the key the model's metric records
    # (val_accuracy, val_acc ...): the metric itself has checks of its own.
    key = "val_loss" if type(history) is dict and "val_loss" in history else keras_models.history_key(history, model)
    if type(history) is not dict or type(history.get(key)) is not list or len(history[key]) != 12:
        fail("the history should record val_loss for each of the 12 epochs: fit with validation_data=(X_test, y_test)",
             public.NO_VALIDATION if type(history) is dict and "loss" in history and key is None else None)
    rows = len(X_train)
    keras_models.check_fit_steps(model, keras_models.Fit(rows, 12, batch_size=200), "fit_convolutional_model",
                                 tuple((public.BATCH_SIZE, keras_models.Fit(rows, 12, batch_size=size))
                                       for size in (32, 100, 400)))
    # Only training is judged here (the model's parts have checks of their own): a model unlike the lab's that
    # learned passes, and one that did not is told the part of it a model check names, if any.
    def mistake():
        return (public.model_mistake(model, (8, 8, 1), 10, "fit_convolutional_model")
                or public.model_root(submission, (8, 8, 1), 10))

    probabilities = keras_models.forward(model, X_test, "fit_convolutional_model")
    if probabilities.shape != (len(X_test), 10):
        fail(f"the returned model gives {probabilities.shape[1:]} outputs per image; it needs one per class (10)",
             mistake())
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == test_labels))
    if not accuracy_at_least(accuracy, 0.6):  # the reference reaches 0.8-0.9
        fail(f"the returned model recognises {accuracy:.0%} of held-out digits; after 12 epochs the lab's model "
             "reaches well over 60%. Return the model you trained.", mistake())
    check_written_default(submission, "fit_convolutional_model", "epochs", 10, public.DEFAULT_EPOCHS)
