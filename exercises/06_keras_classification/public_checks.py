"""Public checks for exercise 06: the lab's data preparation and classifier, on the digits.

You may read these. Hidden checks use other sizes and a short real training run.
"""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import call_as_in_the_lab
from grader.authoring import Hint, Root, as_array, close, expect_close, expect_shape, fail, first_hint, show, wrong_root
from grader.authoring import digits_images

SIGMOID_OUTPUT = Hint("sigmoid-output-for-several-classes", "With several classes the output layer uses softmax, "
                      "so the outputs are probabilities that sum to 1; sigmoid treats every class on its own.")
WRONG_LOSS = Hint("wrong-loss-for-classification", "One-hot targets and a softmax output go with "
                  "loss='categorical_crossentropy'; binary_crossentropy is for a single yes/no output and the "
                  "mean squared error for regression.")
NOT_COMPILED = Hint("model-not-compiled", "Compile the model before returning it: model.compile(optimizer='adam', "
                    "loss='categorical_crossentropy', metrics=['accuracy']).")
WRONG_OPTIMIZER = Hint("wrong-optimizer", "The lab compiles the classifier with optimizer='adam'.")
OUTPUT_NOT_SOFTMAX = Hint("output-not-softmax", "The output layer turns scores into class probabilities: "
                          "Dense(num_classes, activation='softmax'). Without softmax the outputs need not sum to 1.")
HIDDEN_NOT_RELU = Hint("hidden-layers-relu", "Both hidden layers apply ReLU, activation='relu': without it (the "
                       "default is linear) two layers in a row are no better than one.")
MISSING_LAYER = Hint("missing-dense-layer", "The lab's classifier has three Dense layers: Dense(num_pixels, "
                     "activation='relu'), Dense(100, activation='relu') and Dense(num_classes, activation='softmax').")
WRONG_UNITS = Hint("dense-units", "The first hidden layer has as many units as there are pixels (num_pixels), the "
                   "second 100, and the output one per class (num_classes).")
MISSING_ACCURACY = Hint("missing-accuracy-metric", "Ask Keras to report accuracy while training: "
                        "metrics=['accuracy'] in compile.")
MISSING_INPUT_SHAPE = Hint("missing-input-shape", "The model does not know its input shape: give the first layer "
                           "input_shape=(num_pixels,) or start with keras.Input(shape=(num_pixels,)).")
NOT_NORMALIZED = Hint("pixels-not-normalized", "Divide the pixel values by 255 so they lie between 0 and 1.")
ARGMAX_AXIS = Hint("argmax-wrong-axis", "Each row holds one sample's probabilities: take the largest along the "
                   "row, np.argmax(probabilities, axis=1).")
ARGMAX_NO_AXIS = Hint("argmax-without-axis", "np.argmax without an axis gives one index into the whole flattened "
                      "array; take the largest of each row with np.argmax(probabilities, axis=1).")
EPOCHS_NOT_PASSED = Hint("epochs-not-passed-to-fit", "Pass the function's epochs to model.fit(..., epochs=epochs); "
                         "without it Keras trains for a single epoch.")
NOT_ONE_HOT = Hint("labels-not-one-hot", "categorical_crossentropy needs one-hot targets: to_categorical(labels) "
                   "turns 3 into [0, 0, 0, 1, 0, ...].")
DEFAULT_EPOCHS = Hint("fit-default-epochs", "Keep the documented default: def fit_classification_model(X_train, "
                      "y_train, X_test, y_test, epochs=10), so a call without epochs trains for 10 epochs as the lab does.")

USES_MODEL = Hint("uses-wrong-classification-model", "Your classification_model() builds a model unlike the lab's "
                  "(see its check), and fit_classification_model uses it: fix classification_model first; this may "
                  "then pass too.")


def sample_images(count=12):
    (images, labels), _ = digits_images()
    return images[:count], labels[:count]


# The model is judged one part at a time, each with its own points (layers and units, activations, loss,
# optimizer, metric; the input shape and training in the hidden checks): a model with one part unlike the lab's
# keeps the others' points.

def check_layers(model, num_pixels, num_classes, what):
    """Three Dense layers of num_pixels, 100 and num_classes units."""
    layers = keras_models.layers(model, what)
    dense = [layer for layer in layers if layer.kind == "Dense"]
    if len(dense) != 3:
        fail(f"{what} returned the layers {[layer.kind for layer in layers]}; the lab's model has three Dense layers",
             MISSING_LAYER if len(dense) == 2 and len(layers) == 2 else None)
    units = [layer.units for layer in dense]
    if units != [num_pixels, 100, num_classes]:
        fail(f"{what} returned Dense layers of {units} units; expected [{num_pixels}, 100, {num_classes}]", WRONG_UNITS)


def check_activations(model, num_pixels, num_classes, what):
    """ReLU on every hidden Dense layer, softmax on the output (the last Dense layer, when it has one unit per class)."""
    dense = keras_models.dense_layers(model, what)
    if not dense:
        fail(f"{what} returned a model without Dense layers")
    output = dense[-1] if dense[-1].units == num_classes else None
    hidden = [layer.activation for layer in (dense[:-1] if output is not None else dense)]
    if output is not None and output.activation == "sigmoid":
        fail(f"the output layer uses {output.activation!r}", SIGMOID_OUTPUT)
    if output is not None and output.activation != "softmax":
        fail(f"the output layer uses {output.activation!r}; expected 'softmax'",
             OUTPUT_NOT_SOFTMAX if all(activation == "relu" for activation in hidden) else None)
    if any(activation != "relu" for activation in hidden):
        fail(f"the hidden layers' activations are {hidden}; expected {['relu'] * len(hidden)}",
             HIDDEN_NOT_RELU if all(a in ("relu", "linear", None) for a in hidden) else None)


def check_input_shape(model, num_pixels, num_classes, what):
    """The input shape (None, num_pixels), and the Dense layers that follow the sizes in the lab's model (the first
    has num_pixels units, the output num_classes) follow them."""
    layers = keras_models.layers(model, what)
    shape = keras_models.input_shape(model)
    if shape is None:
        fail(f"{what} returned a model without an input shape", MISSING_INPUT_SHAPE)
    if list(shape) != [None, num_pixels]:
        fail(f"{what} returned a model whose input shape is {shape}; expected (None, {num_pixels})", MISSING_INPUT_SHAPE)
    units = [layer.units for layer in layers if layer.kind == "Dense"]
    if units and (units[0] != num_pixels or units[-1] != num_classes):
        fail(f"{what} returned Dense layers of {units} units: the first has as many units as there are pixels "
             f"({num_pixels}) and the output one per class ({num_classes})", WRONG_UNITS)


COMPILE = keras_models.LabCompile("categorical_crossentropy", NOT_COMPILED, WRONG_LOSS, WRONG_OPTIMIZER, MISSING_ACCURACY)


MODEL_PARTS = (check_layers, check_activations, check_input_shape, COMPILE.check_loss, COMPILE.check_optimizer,
               COMPILE.check_metric)


def check_classifier(model, num_pixels, num_classes, what):
    """Every part of the model at once (a function that uses classification_model needs all of them)."""
    for check in MODEL_PARTS:
        check(model, num_pixels, num_classes, what)


def model_mistake(model, num_pixels, num_classes, what):
    """The first hint the model checks give this model (a mistake that is in it, and may explain what it did in
    training), or None."""
    return first_hint(MODEL_PARTS, model, num_pixels, num_classes, what)


def model_root(submission, num_pixels, num_classes):
    """USES_MODEL when the student's own classification_model fails the model check (asked here, judged here)."""
    return wrong_root(Root(USES_MODEL, lambda: submission.classification_model(num_pixels, num_classes), judge=lambda model:
                           check_classifier(model, num_pixels, num_classes, f"classification_model({num_pixels}, {num_classes})")))


def lab_model(submission):
    """classification_model(64, 10), or the lab's classification_model() as the lab calls it (judged for MNIST's
    784 pixels and 10 classes): (model, num_pixels, num_classes, what)."""
    model, (num_pixels, num_classes) = call_as_in_the_lab(submission, "classification_model", (64, 10), (784, 10))
    return model, num_pixels, num_classes, f"classification_model({num_pixels}, {num_classes})"


@pytest.mark.points(2)
def test_flatten_and_normalize_pixels(submission):
    """flatten_images makes one row of 64 pixels per 8x8 image; normalize_pixels scales 0..255 to 0..1"""
    images, _ = sample_images()
    flat = expect_shape(submission.flatten_images(images), (len(images), 64), f"flatten_images of {len(images)} images of 8x8")
    if not close(flat, images.reshape(len(images), 64)):
        fail("flatten_images changed the pixel values or their order; reshape each image into one row")
    scaled = as_array(submission.normalize_pixels(images.reshape(len(images), 64).astype("float32")), "normalize_pixels(...)")
    if not close(scaled, images.reshape(len(images), 64) / 255, atol=1e-6):
        fail(f"normalize_pixels returned values from {scaled.min():.3g} to {scaled.max():.3g}; expected 0 to 1", NOT_NORMALIZED)


@pytest.mark.points(2)
def test_one_hot_labels(submission):
    """one_hot turns the labels 0..9 into rows with a single 1"""
    _, labels = sample_images()
    got = as_array(submission.one_hot(labels), "one_hot(labels)")
    want = np.eye(10)[labels]
    if got.shape != want.shape or not close(got, want):
        fail(f"one_hot({show(labels)}) returned shape {got.shape}; expected {want.shape} with a 1 at each label", NOT_ONE_HOT)


@pytest.mark.points(1)
def test_classification_model_as_in_the_lab(submission):
    """classification_model(64, 10) has the lab's layers: Dense 64, Dense 100, Dense 10

    A lab's `classification_model()` without arguments is called as the lab calls it and judged for MNIST's
    784 pixels and 10 classes, the sizes of the lab's data. This check and the four after it judge one part of
    the model each."""
    check_layers(*lab_model(submission))


@pytest.mark.points(1)
def test_classification_model_activations(submission):
    """classification_model(64, 10) applies ReLU in its hidden layers and softmax at the output"""
    check_activations(*lab_model(submission))


@pytest.mark.points(1)
def test_classification_model_loss(submission):
    """classification_model(64, 10) is compiled with the categorical cross-entropy"""
    COMPILE.check_loss(*lab_model(submission))


@pytest.mark.points(1)
def test_classification_model_optimizer(submission):
    """classification_model(64, 10) is compiled with adam"""
    COMPILE.check_optimizer(*lab_model(submission))


@pytest.mark.points(1)
def test_classification_model_metric(submission):
    """classification_model(64, 10) reports its accuracy"""
    COMPILE.check_metric(*lab_model(submission))


@pytest.mark.points(2)
def test_predicted_classes(submission):
    """predicted_classes picks the most probable class of each sample"""
    probabilities = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.05, 0.05, 0.9], [0.2, 0.2, 0.6]])
    expect_close(submission.predicted_classes(probabilities), [1, 0, 2, 2], "predicted_classes(probabilities)",
                 wrong={ARGMAX_AXIS: np.argmax(probabilities, axis=0)}, hint=lambda got: argmax_mistake(got, probabilities))


def argmax_mistake(got, probabilities):
    """ARGMAX_NO_AXIS when `got` is the one index np.argmax gives without an axis."""
    return ARGMAX_NO_AXIS if got.shape == () and close(got, np.argmax(probabilities)) else None
