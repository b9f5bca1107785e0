"""Public checks for exercise 07: the lab's convolutional models, layer by layer.

You may read these. Hidden checks use other image sizes and a short real training run.
"""

import numpy as np
import pytest

from grader.checks import keras_models
from grader.checks import call_as_in_the_lab
from grader.checks import CheckFailed, Hint, SubmissionFailure, as_array, close, fail

MISSING_INPUT_SHAPE = Hint("missing-input-shape", "The first Conv2D needs the images' shape: input_shape=(28, 28, 1) "
                           "(height, width, channels), or start with keras.Input(shape=...).")
MISSING_CHANNEL = Hint("missing-channel-axis", "Conv2D expects images with a channel axis: (height, width, 1) for "
                       "grayscale, so reshape to (n, height, width, 1).")
MISSING_FLATTEN = Hint("missing-flatten", "Flatten the feature maps before the Dense layers, so each image "
                       "becomes one vector.")
SIGMOID_OUTPUT = Hint("sigmoid-output-for-several-classes", "With several classes the output layer uses softmax.")
WRONG_LOSS = Hint("wrong-loss-for-classification", "One-hot targets and a softmax output go with "
                  "loss='categorical_crossentropy'.")
NOT_COMPILED = Hint("model-not-compiled", "Compile the model before returning it: model.compile(optimizer='adam', "
                    "loss='categorical_crossentropy', metrics=['accuracy']).")
WRONG_OPTIMIZER = Hint("wrong-optimizer", "The lab compiles its convolutional models with optimizer='adam'.")
MISSING_ACCURACY = Hint("missing-accuracy-metric", "Ask Keras to report accuracy while training: "
                        "metrics=['accuracy'] in compile.")
MISSING_POOLING = Hint("missing-pooling-layer", "Each convolution is followed by MaxPooling2D(pool_size=(2, 2), "
                       "strides=(2, 2)), which halves the feature maps' height and width.")
MISSING_DENSE = Hint("missing-dense-layer", "After Flatten the lab has two Dense layers: Dense(100, activation='relu') "
                     "and the output Dense(num_classes, activation='softmax').")
CONV_FILTERS = Hint("conv-filters-and-kernel", "Conv2D's first argument is the number of filters and its second the "
                    "kernel's size: the lab uses Conv2D(16, (5, 5)), and in the second block Conv2D(8, (2, 2)).")
POOLING_SIZE = Hint("pooling-2x2", "The lab pools 2x2 windows that do not overlap: "
                    "MaxPooling2D(pool_size=(2, 2), strides=(2, 2)).")
DENSE_RELU = Hint("dense-hidden-relu", "The hidden Dense layer applies ReLU, Dense(100, activation='relu'); only "
                  "the output layer uses softmax.")
RESHAPE_ORDER = Hint("reshape-axes-order", "Keep the axes in their order and add the channel last: "
                     "images.reshape(n, height, width, 1), with n = images.shape[0].")
USES_MODEL = Hint("uses-wrong-convolutional-model", "Your convolutional_model() builds a model unlike the lab's (see "
                  "its check), and fit_convolutional_model uses it: fix convolutional_model first; this may then "
                  "pass too.")
NO_VALIDATION = Hint("missing-validation-data", "Fit with validation_data=(X_test, y_test), as in the lab, so the "
                     "history also records val_loss and val_accuracy on the test images.")
DEFAULT_EPOCHS = Hint("fit-default-epochs", "Keep the documented default: def fit_convolutional_model(X_train, "
                      "y_train, X_test, y_test, epochs=10), so a call without epochs trains for 10 epochs as the lab does.")
BATCH_SIZE = Hint("fit-batch-size", "Fit in batches of 200 images, as the lab does: model.fit(..., batch_size=200) "
                  "(without batch_size Keras uses 32).")

ONE_BLOCK = ["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
TWO_BLOCKS = ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]


def _one_left_out(found, kinds, kind):
    """`found` is `kinds` with one layer of `kind` left out."""
    return any(found == kinds[:i] + kinds[i + 1:] for i, k in enumerate(kinds) if k == kind)


def check_conv_model(model, input_shape, num_classes, kinds, filters, kernels, what):
    layers = keras_models.layers(model, what)
    shape = keras_models.input_shape(model)
    if shape is None:
        fail(f"{what} returned a model without an input shape", MISSING_INPUT_SHAPE)
    if list(shape) != [None, *input_shape]:
        fail(f"{what} returned a model whose input shape is {shape}; expected (None, {', '.join(map(str, input_shape))})",
             MISSING_CHANNEL if len(shape) == len(input_shape) and list(shape[1:]) == list(input_shape[:-1]) else None)
    found = [layer.kind for layer in layers]
    if found != kinds:
        fail(f"{what} returned the layers {found}; expected {kinds}",
             MISSING_FLATTEN if "Flatten" not in found and "Dense" in found
             else MISSING_POOLING if _one_left_out(found, kinds, "MaxPooling2D")
             else MISSING_DENSE if _one_left_out(found, kinds, "Dense") else None)
    convs = [layer for layer in layers if layer.kind == "Conv2D"]
    for layer, count, size in zip(convs, filters, kernels):
        if layer.config.get("filters") != count or tuple(layer.config.get("kernel_size", ())) != size:
            fail(f"a Conv2D layer has {layer.config.get('filters')} filters of {tuple(layer.config.get('kernel_size', ()))}; "
                 f"expected {count} filters of {size}", CONV_FILTERS)
        if layer.activation != "relu":
            fail(f"a Conv2D layer uses the activation {layer.activation!r}; expected 'relu'")
    for layer in (layer for layer in layers if layer.kind == "MaxPooling2D"):
        if tuple(layer.config.get("pool_size", ())) != (2, 2) or tuple(layer.config.get("strides") or (2, 2)) != (2, 2):
            fail(f"a MaxPooling2D layer pools {layer.config.get('pool_size')} with strides {layer.config.get('strides')}; "
                 "expected pool_size=(2, 2), strides=(2, 2)", POOLING_SIZE)
    dense = [layer for layer in layers if layer.kind == "Dense"]
    if [d.units for d in dense] != [100, num_classes]:
        fail(f"the Dense layers have {[d.units for d in dense]} units; expected [100, {num_classes}]")
    if dense[-1].activation == "sigmoid":
        fail("the output layer uses 'sigmoid'", SIGMOID_OUTPUT)
    if [d.activation for d in dense] != ["relu", "softmax"]:
        fail(f"the Dense layers use {[d.activation for d in dense]}; expected ['relu', 'softmax']",
             DENSE_RELU if dense[-1].activation == "softmax" else None)
    if not model.compile:
        fail(f"{what} returned a model that is not compiled", NOT_COMPILED)
    loss = keras_models.loss_name(model)
    if loss is None:
        fail(f"{what} returned a model compiled without a loss", WRONG_LOSS)
    if loss != "categorical_crossentropy":
        fail(f"the model is compiled with the loss {loss!r}", WRONG_LOSS)
    optimizer = keras_models.optimizer_name(model)
    if optimizer != "adam":
        fail(f"the model is compiled with the optimizer {optimizer!r}; the lab uses 'adam'",
             WRONG_OPTIMIZER if optimizer is not None else None)
    if not keras_models.reports_accuracy(model):   # 'accuracy', 'acc', 'categorical_accuracy', CategoricalAccuracy()
        fail(f"the model reports the metrics {keras_models.metric_names(model)}", MISSING_ACCURACY)


def model_root(submission, input_shape, num_classes):
    """USES_MODEL when the student's own convolutional_model fails the model check (asked here, judged here);
    a call that did not answer (a crash, a time-out) names nothing."""
    try:
        check_conv_model(submission.convolutional_model(input_shape, num_classes), input_shape, num_classes,
                         ONE_BLOCK, [16], [(5, 5)], f"convolutional_model({input_shape}, {num_classes})")
    except CheckFailed:
        return USES_MODEL
    except SubmissionFailure as failure:
        return USES_MODEL if failure.outcome.value == "error" else None
    return None


@pytest.mark.points(2)
def test_reshape_for_conv(submission):
    """reshape_for_conv adds the channel axis: (n, 28, 28) -> (n, 28, 28, 1)"""
    images = np.arange(3 * 28 * 28, dtype="float64").reshape(3, 28, 28) % 255
    got = as_array(submission.reshape_for_conv(images), "reshape_for_conv(images)")
    if got.shape != (3, 28, 28, 1) or not close(got[..., 0], images):
        fail(f"reshape_for_conv of 3 images of 28x28 returned shape {got.shape}; expected (3, 28, 28, 1)",
             MISSING_CHANNEL if got.shape == images.shape
             else RESHAPE_ORDER if got.shape != (3, 28, 28, 1) and sorted(got.shape) == sorted((3, 28, 28, 1)) else None)


@pytest.mark.points(4)
def test_convolutional_model_as_in_the_lab(submission):
    """convolutional_model((28, 28, 1), 10): Conv2D 16 5x5, MaxPooling 2x2, Flatten, Dense 100, Dense 10 softmax"""
    model, _ = call_as_in_the_lab(submission, "convolutional_model", ((28, 28, 1), 10))
    check_conv_model(model, (28, 28, 1), 10, ONE_BLOCK, [16], [(5, 5)], "convolutional_model((28, 28, 1), 10)")


@pytest.mark.points(4)
def test_two_convolution_blocks(submission):
    """convolutional_model_two_blocks adds Conv2D 8 2x2 and a second pooling layer"""
    model, _ = call_as_in_the_lab(submission, "convolutional_model_two_blocks", ((28, 28, 1), 10))
    check_conv_model(model, (28, 28, 1), 10, TWO_BLOCKS, [16, 8], [(5, 5), (2, 2)],
                     "convolutional_model_two_blocks((28, 28, 1), 10)")
