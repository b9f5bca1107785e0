"""Ben: convolutional models as layer lists, built by one helper."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def reshape_for_conv(images):
    return np.expand_dims(np.asarray(images), axis=-1).astype(np.float32)


def _classifier(input_shape, num_classes, blocks):
    stack = [keras.Input(shape=tuple(input_shape))]
    for filters, kernel in blocks:
        stack.append(layers.Conv2D(filters, kernel_size=kernel, activation="relu"))
        stack.append(layers.MaxPooling2D(pool_size=2, strides=2))
    stack += [layers.Flatten(), layers.Dense(100, activation="relu"), layers.Dense(num_classes, activation="softmax")]
    net = keras.Sequential(stack)
    net.compile(loss=keras.losses.CategoricalCrossentropy(), optimizer=keras.optimizers.Adam(),
                metrics=[keras.metrics.CategoricalAccuracy()])
    return net


def convolutional_model(input_shape, num_classes):
    return _classifier(input_shape, num_classes, [(16, 5)])


def convolutional_model_two_blocks(input_shape, num_classes):
    return _classifier(input_shape, num_classes, [(16, 5), (8, 2)])


def fit_convolutional_model(X_train, y_train, X_test, y_test, epochs=10):
    net = convolutional_model(X_train.shape[1:], y_train.shape[-1])
    log = net.fit(X_train, y_train, batch_size=200, epochs=epochs, validation_data=(X_test, y_test), verbose=0)
    return net, log.history
