"""Exercise 07: convolutional neural networks with Keras.

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/07_cnn
"""

from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from keras.models import Sequential


def reshape_for_conv(images):
    """(n, height, width) images -> an (n, height, width, 1) float32 array: one channel per pixel."""
    raise NotImplementedError("TODO: add the channel axis")


def convolutional_model(input_shape, num_classes):
    """A compiled Sequential model: Conv2D(16, (5, 5), strides=(1, 1), relu) taking input_shape,
    MaxPooling2D(pool_size=(2, 2), strides=(2, 2)), Flatten, Dense(100, relu), Dense(num_classes, softmax);
    adam, categorical_crossentropy, metrics ['accuracy']."""
    raise NotImplementedError("TODO: one convolution and pooling block")


def convolutional_model_two_blocks(input_shape, num_classes):
    """As convolutional_model, with a second block after the first pooling layer:
    Conv2D(8, (2, 2), relu) and MaxPooling2D(pool_size=(2, 2), strides=(2, 2))."""
    raise NotImplementedError("TODO: two convolution and pooling blocks")


def fit_convolutional_model(X_train, y_train, X_test, y_test, epochs=10):
    """Build convolutional_model for these images and classes, fit it with
    validation_data=(X_test, y_test), batch_size=200, and return (model, history.history)."""
    raise NotImplementedError("TODO: fit the convolutional model")
