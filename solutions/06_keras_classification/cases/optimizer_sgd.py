"""Case: compiled with the sgd optimizer instead of adam."""

import keras
import numpy as np
from keras.layers import Dense, Input
from keras.models import Sequential
from keras.utils import to_categorical


def flatten_images(images):
    return images.reshape(images.shape[0], -1).astype("float32")


def normalize_pixels(pixels):
    return pixels / 255


def one_hot(labels, num_classes=None):
    return to_categorical(labels, num_classes)


def classification_model(num_pixels, num_classes):
    model = Sequential()
    model.add(Input(shape=(num_pixels,)))
    model.add(Dense(num_pixels, activation="relu"))
    model.add(Dense(100, activation="relu"))
    model.add(Dense(num_classes, activation="softmax"))
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def predicted_classes(probabilities):
    return np.argmax(probabilities, axis=1)


def fit_classification_model(X_train, y_train, X_test, y_test, epochs=10):
    keras.utils.set_random_seed(0)   # sgd learns more slowly than adam, close to the check's bar: fixed, so
    model = classification_model(X_train.shape[1], y_train.shape[1])   # the case is graded the same way every time
    history = model.fit(X_train, y_train, validation_data=(X_test, y_test), epochs=epochs, verbose=0)
    return model, history.history
