"""Public checks for exercise 07: the lab's convolutional models, layer by layer.

You may read these. Hidden checks use other image sizes and a short real training run.
"""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import call_as_in_the_lab
from grader.authoring import Hint, Root, close, expect_shape, fail, first_hint, wrong_root

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

def check_layers(model, input_shape, num_classes, kinds, filters, kernels, what):
    """The lab's layers in order: Conv2D with its filters and kernel (strides 1, no padding), 2x2 pooling,
    Flatten, Dense 100 and one unit per class."""
    layers = keras_models.structural_layers(model, what)
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
    layers = keras_models.structural_layers(model, what)
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
    dense = [layer for layer in keras_models.structural_layers(model, what) if layer.kind == "Dense"]
    if dense and dense[-1].units != num_classes:
        fail(f"{what} returned an output layer of {dense[-1].units} units; expected one per class ({num_classes})")


COMPILE = keras_models.LabCompile("categorical_crossentropy", NOT_COMPILED, WRONG_LOSS, WRONG_OPTIMIZER, MISSING_ACCURACY)


MODEL_PARTS = (check_layers, check_activations, check_input_shape, COMPILE.check_loss, COMPILE.check_optimizer,
               COMPILE.check_metric)
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
    """USES_MODEL when the student's own convolutional_model fails the model check (asked here, judged here)."""
    return wrong_root(Root(USES_MODEL, lambda: submission.convolutional_model(input_shape, num_classes), judge=lambda model:
                           check_conv_model(model, input_shape, num_classes, *ONE_BLOCK_SIZES,
                                            f"convolutional_model({input_shape}, {num_classes})")))


def lab_model(submission, function, sizes):
    """function((28, 28, 1), 10), or the lab's builder without arguments as the lab calls it: the arguments of
    every part's check."""
    model, _ = call_as_in_the_lab(submission, function, ((28, 28, 1), 10))
    return model, (28, 28, 1), 10, *sizes, f"{function}((28, 28, 1), 10)"


def part_checks(function, sizes, names, layers_doc, activations_doc):
    """The five checks of one builder's model, one part each, worth a point each: its layers, activations, loss,
    optimizer and metric, named `names` (test_... in that order) and described `layers_doc`, `activations_doc`
    and, for the compile settings, "<function> is compiled with ..." and "<function> reports its accuracy"."""
    called = f"{function}((28, 28, 1), 10)" if function == "convolutional_model" else function
    docs = (layers_doc, activations_doc, f"{called} is compiled with the categorical cross-entropy",
            f"{called} is compiled with adam", f"{called} reports its accuracy")
    parts = (check_layers, check_activations, COMPILE.check_loss, COMPILE.check_optimizer, COMPILE.check_metric)
    checks = []
    for name, doc, part in zip(names, docs, parts):
        def check(submission, part=part):
            part(*lab_model(submission, function, sizes))
        check.__name__ = check.__qualname__ = name
        check.__doc__ = doc
        checks.append(pytest.mark.points(1)(check))
    return checks


@pytest.mark.points(2)
def test_reshape_for_conv(submission):
    """reshape_for_conv adds the channel axis: (n, 28, 28) -> (n, 28, 28, 1)"""
    images = np.arange(3 * 28 * 28, dtype="float64").reshape(3, 28, 28) % 255
    got = expect_shape(submission.reshape_for_conv(images), (3, 28, 28, 1), "reshape_for_conv of 3 images of 28x28",
                       wrong={MISSING_CHANNEL: images.shape},
                       hint=lambda got: RESHAPE_ORDER if sorted(got.shape) == sorted((3, 28, 28, 1)) else None)
    if not close(got[..., 0], images):
        fail("reshape_for_conv changed the pixel values or their order; keep them and add the channel axis last")


(test_convolutional_model_as_in_the_lab, test_convolutional_model_activations, test_convolutional_model_loss,
 test_convolutional_model_optimizer, test_convolutional_model_metric) = part_checks(
    "convolutional_model", ONE_BLOCK_SIZES,
    ("test_convolutional_model_as_in_the_lab", "test_convolutional_model_activations", "test_convolutional_model_loss",
     "test_convolutional_model_optimizer", "test_convolutional_model_metric"),
    "convolutional_model((28, 28, 1), 10) has the lab's layers: Conv2D 16 5x5, MaxPooling 2x2, Flatten, Dense 100,\n"
    "Dense 10\n\nThis check and the four after it judge one part of the model each.",
    "convolutional_model((28, 28, 1), 10) applies ReLU in its convolution and hidden layer, softmax at the output")

(test_two_convolution_blocks, test_two_convolution_blocks_activations, test_two_convolution_blocks_loss,
 test_two_convolution_blocks_optimizer, test_two_convolution_blocks_metric) = part_checks(
    "convolutional_model_two_blocks", TWO_BLOCK_SIZES,
    ("test_two_convolution_blocks", "test_two_convolution_blocks_activations", "test_two_convolution_blocks_loss",
     "test_two_convolution_blocks_optimizer", "test_two_convolution_blocks_metric"),
    "convolutional_model_two_blocks adds Conv2D 8 2x2 and a second pooling layer\n\nThis check and the four after it "
    "judge one part of the two-block model each.",
    "convolutional_model_two_blocks applies ReLU in its convolutions and hidden layer, softmax at the output")
