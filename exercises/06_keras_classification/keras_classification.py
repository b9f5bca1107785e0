"""Exercise 06: classification with Keras (the handwritten digits lab).

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/06_keras_classification

The data: `from grader.datasets import digits_images` gives (X_train, y_train), (X_test, y_test):
8x8 grayscale images with values 0..255 and their digit labels 0..9 (nothing is downloaded).
"""

import numpy as np
from keras.layers import Dense
from keras.models import Sequential
from keras.utils import to_categorical


def flatten_images(images):
    """(n, height, width) images -> an (n, height * width) float32 array: one row of pixels per image."""
    raise NotImplementedError("TODO: flatten the images")


def normalize_pixels(pixels):
    """Pixel values 0..255 -> 0..1."""
    raise NotImplementedError("TODO: normalize the pixels")


def one_hot(labels, num_classes=None):
    """Integer labels -> one-hot rows (to_categorical)."""
    raise NotImplementedError("TODO: one-hot encode the labels")


def classification_model(num_pixels, num_classes):
    """A compiled Sequential model: Dense(num_pixels, relu) with input shape (num_pixels,), Dense(100, relu),
    Dense(num_classes, softmax); optimizer 'adam', loss 'categorical_crossentropy', metrics ['accuracy']."""
    raise NotImplementedError("TODO: build and compile the classifier")


def predicted_classes(probabilities):
    """One row of class probabilities per sample -> the most probable class of each sample."""
    raise NotImplementedError("TODO: turn probabilities into classes")


def fit_classification_model(X_train, y_train, X_test, y_test, epochs=10):
    """Build a model with classification_model, fit it with validation_data=(X_test, y_test) and
    return (model, history.history). X are normalized flat pixels, y one-hot labels."""
    raise NotImplementedError("TODO: fit the classifier")
