"""Public checks for exercise 07: the lab's convolutional models, layer by layer.

You may read these. Hidden checks use other image sizes and a short real training run.
"""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import call_as_in_the_lab
from grader.authoring import CheckFailed, Hint, SubmissionFailure, as_array, close, fail, first_hint

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


# The model is judged one part at a time, each with its own points (layers with their filters, kernels, pooling
# and units; activations; loss; optimizer; metric; the input shape and training in the hidden checks): a model
# with one part unlike the lab's keeps the others' points. A layer list is compared by what the lab asks of each
# layer (its kind and sizes); an activation is a property of its layer, judged by check_activations.

def structural_layers(model, what):
    """The model's layers without Activation layers (an activation is judged as its layer's property)."""
    return [layer for layer in keras_models.layers(model, what) if layer.kind != "Activation"]


def check_layers(model, input_shape, num_classes, kinds, filters, kernels, what):
    """The lab's layers in order: Conv2D with its filters and kernel (strides 1, no padding), 2x2 pooling,
    Flatten, Dense 100 and one unit per class."""
    layers = structural_layers(model, what)
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
        if tuple(layer.config.get("strides") or (1, 1)) != (1, 1) or layer.config.get("padding", "valid") != "valid":
            fail(f"a Conv2D layer moves with strides {layer.config.get('strides')} and padding "
                 f"{layer.config.get('padding')!r}; the lab's slide one pixel at a time without padding: strides=(1, 1), "
                 "padding='valid' (the defaults)")
    for layer in (layer for layer in layers if layer.kind == "MaxPooling2D"):
        if tuple(layer.config.get("pool_size", ())) != (2, 2) or tuple(layer.config.get("strides") or (2, 2)) != (2, 2):
            fail(f"a MaxPooling2D layer pools {layer.config.get('pool_size')} with strides {layer.config.get('strides')}; "
                 "expected pool_size=(2, 2), strides=(2, 2)", POOLING_SIZE)
    dense = [layer for layer in layers if layer.kind == "Dense"]
    if [d.units for d in dense] != [100, num_classes]:
        fail(f"the Dense layers have {[d.units for d in dense]} units; expected [100, {num_classes}]")


def check_activations(model, input_shape, num_classes, kinds, filters, kernels, what):
    """ReLU on every Conv2D and hidden Dense layer, softmax on the output (the last Dense layer, when it has one
    unit per class)."""
    layers = structural_layers(model, what)
    dense = [layer for layer in layers if layer.kind == "Dense"]
    output = dense[-1] if dense and dense[-1].units == num_classes else None
    if output is not None and output.activation == "sigmoid":
        fail("the output layer uses 'sigmoid'", SIGMOID_OUTPUT)
    hidden_dense = [layer.activation for layer in (dense[:-1] if output is not None else dense)]
    if output is not None and output.activation != "softmax":
        fail(f"the output layer uses {output.activation!r}; expected 'softmax'")
    for layer in (layer for layer in layers if layer.kind == "Conv2D"):
        if layer.activation != "relu":
            fail(f"a Conv2D layer uses the activation {layer.activation!r}; expected 'relu'")
    if any(activation != "relu" for activation in hidden_dense):
        fail(f"the hidden Dense layers use {hidden_dense}; expected {['relu'] * len(hidden_dense)}",
             DENSE_RELU if output is not None and output.activation == "softmax" else None)


def check_input_shape(model, input_shape, num_classes, kinds, filters, kernels, what):
    """The input shape (None, height, width, channels), and an output of one unit per class."""
    keras_models.layers(model, what)
    shape = keras_models.input_shape(model)
    if shape is None:
        fail(f"{what} returned a model without an input shape", MISSING_INPUT_SHAPE)
    if list(shape) != [None, *input_shape]:
        fail(f"{what} returned a model whose input shape is {shape}; expected (None, {', '.join(map(str, input_shape))})",
             MISSING_CHANNEL if len(shape) == len(input_shape) and list(shape[1:]) == list(input_shape[:-1]) else None)
    dense = [layer for layer in structural_layers(model, what) if layer.kind == "Dense"]
    if dense and dense[-1].units != num_classes:
        fail(f"{what} returned an output layer of {dense[-1].units} units; expected one per class ({num_classes})")


def check_compiled(model, what):
    keras_models.layers(model, what)
    if not model.compile:
        fail(f"{what} returned a model that is not compiled", NOT_COMPILED)


def check_loss(model, input_shape, num_classes, kinds, filters, kernels, what):
    check_compiled(model, what)
    loss = keras_models.loss_name(model)
    if loss is None:
        fail(f"{what} returned a model compiled without a loss", WRONG_LOSS)
    if loss != "categorical_crossentropy":
        fail(f"the model is compiled with the loss {loss!r}", WRONG_LOSS)


def check_optimizer(model, input_shape, num_classes, kinds, filters, kernels, what):
    check_compiled(model, what)
    optimizer = keras_models.optimizer_name(model)
    if optimizer != "adam":
        fail(f"the model is compiled with the optimizer {optimizer!r}; the lab uses 'adam'",
             WRONG_OPTIMIZER if optimizer is not None else None)


def check_metric(model, input_shape, num_classes, kinds, filters, kernels, what):
    """Accuracy in any spelling Keras computes the same way for one-hot labels: 'accuracy', 'acc',
    'categorical_accuracy', CategoricalAccuracy() with any name."""
    check_compiled(model, what)
    if not keras_models.reports_accuracy(model):
        names = keras_models.metric_names(model)
        exact = (": keras.metrics.Accuracy() counts outputs equal to their one-hot labels, which probabilities never "
                 "are; metrics=['accuracy'] (or CategoricalAccuracy()) counts the most probable class"
                 if keras_models.EXACT_ACCURACY in names else "")
        fail(f"the model reports the metrics {names}{exact}", MISSING_ACCURACY)


MODEL_PARTS = (check_layers, check_activations, check_input_shape, check_loss, check_optimizer, check_metric)
ONE_BLOCK_SIZES = (ONE_BLOCK, [16], [(5, 5)])
TWO_BLOCK_SIZES = (TWO_BLOCKS, [16, 8], [(5, 5), (2, 2)])


def check_conv_model(model, input_shape, num_classes, kinds, filters, kernels, what):
    """Every part of the model at once (a function that uses convolutional_model needs all of them)."""
    for check in MODEL_PARTS:
        check(model, input_shape, num_classes, kinds, filters, kernels, what)


def model_mistake(model, input_shape, num_classes, what):
    """The first hint the one-block model's checks give this model (a mistake that is in it, and may explain what
    it did in training), or None."""
    return first_hint(MODEL_PARTS, model, input_shape, num_classes, *ONE_BLOCK_SIZES, what)


def model_root(submission, input_shape, num_classes):
    """USES_MODEL when the student's own convolutional_model fails the model check (asked here, judged here);
    a call that did not answer (a crash, a time-out, a lab builder without parameters) names nothing."""
    try:
        check_conv_model(submission.convolutional_model(input_shape, num_classes), input_shape, num_classes,
                         *ONE_BLOCK_SIZES, f"convolutional_model({input_shape}, {num_classes})")
    except CheckFailed:
        return USES_MODEL
    except SubmissionFailure as failure:
        signature = failure.hint is not None and failure.hint.id == "signature-mismatch"
        return USES_MODEL if failure.outcome.value == "error" and not signature else None
    return None


def lab_model(submission, function, sizes):
    """function((28, 28, 1), 10), or the lab's builder without arguments as the lab calls it: the arguments of
    every part's check."""
    model, _ = call_as_in_the_lab(submission, function, ((28, 28, 1), 10))
    return model, (28, 28, 1), 10, *sizes, f"{function}((28, 28, 1), 10)"


@pytest.mark.points(2)
def test_reshape_for_conv(submission):
    """reshape_for_conv adds the channel axis: (n, 28, 28) -> (n, 28, 28, 1)"""
    images = np.arange(3 * 28 * 28, dtype="float64").reshape(3, 28, 28) % 255
    got = as_array(submission.reshape_for_conv(images), "reshape_for_conv(images)")
    if got.shape != (3, 28, 28, 1) or not close(got[..., 0], images):
        fail(f"reshape_for_conv of 3 images of 28x28 returned shape {got.shape}; expected (3, 28, 28, 1)",
             MISSING_CHANNEL if got.shape == images.shape
             else RESHAPE_ORDER if got.shape != (3, 28, 28, 1) and sorted(got.shape) == sorted((3, 28, 28, 1)) else None)


@pytest.mark.points(1)
def test_convolutional_model_as_in_the_lab(submission):
    """convolutional_model((28, 28, 1), 10) has the lab's layers: Conv2D 16 5x5, MaxPooling 2x2, Flatten, Dense 100,
    Dense 10

    This check and the four after it judge one part of the model each."""
    check_layers(*lab_model(submission, "convolutional_model", ONE_BLOCK_SIZES))


@pytest.mark.points(1)
def test_convolutional_model_activations(submission):
    """convolutional_model((28, 28, 1), 10) applies ReLU in its convolution and hidden layer, softmax at the output"""
    check_activations(*lab_model(submission, "convolutional_model", ONE_BLOCK_SIZES))


@pytest.mark.points(1)
def test_convolutional_model_loss(submission):
    """convolutional_model((28, 28, 1), 10) is compiled with the categorical cross-entropy"""
    check_loss(*lab_model(submission, "convolutional_model", ONE_BLOCK_SIZES))


@pytest.mark.points(1)
def test_convolutional_model_optimizer(submission):
    """convolutional_model((28, 28, 1), 10) is compiled with adam"""
    check_optimizer(*lab_model(submission, "convolutional_model", ONE_BLOCK_SIZES))


@pytest.mark.points(1)
def test_convolutional_model_metric(submission):
    """convolutional_model((28, 28, 1), 10) reports its accuracy"""
    check_metric(*lab_model(submission, "convolutional_model", ONE_BLOCK_SIZES))


@pytest.mark.points(1)
def test_two_convolution_blocks(submission):
    """convolutional_model_two_blocks adds Conv2D 8 2x2 and a second pooling layer

    This check and the four after it judge one part of the two-block model each."""
    check_layers(*lab_model(submission, "convolutional_model_two_blocks", TWO_BLOCK_SIZES))


@pytest.mark.points(1)
def test_two_convolution_blocks_activations(submission):
    """convolutional_model_two_blocks applies ReLU in its convolutions and hidden layer, softmax at the output"""
    check_activations(*lab_model(submission, "convolutional_model_two_blocks", TWO_BLOCK_SIZES))


@pytest.mark.points(1)
def test_two_convolution_blocks_loss(submission):
    """convolutional_model_two_blocks is compiled with the categorical cross-entropy"""
    check_loss(*lab_model(submission, "convolutional_model_two_blocks", TWO_BLOCK_SIZES))


@pytest.mark.points(1)
def test_two_convolution_blocks_optimizer(submission):
    """convolutional_model_two_blocks is compiled with adam"""
    check_optimizer(*lab_model(submission, "convolutional_model_two_blocks", TWO_BLOCK_SIZES))


@pytest.mark.points(1)
def test_two_convolution_blocks_metric(submission):
    """convolutional_model_two_blocks reports its accuracy"""
    check_metric(*lab_model(submission, "convolutional_model_two_blocks", TWO_BLOCK_SIZES))
