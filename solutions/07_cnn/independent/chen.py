# chen: CNN exercise with the functional API
import keras
from keras import layers as L


def reshape_for_conv(images):
    return images[..., None].astype("float32")


def convolutional_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = L.Conv2D(filters=16, kernel_size=(5, 5), activation="relu")(inputs)
    x = L.MaxPooling2D((2, 2))(x)
    x = L.Flatten()(x)
    x = L.Dense(100, activation="relu")(x)
    outputs = L.Dense(num_classes, activation="softmax")(x)
    cnn = keras.Model(inputs, outputs)
    cnn.compile("adam", "categorical_crossentropy", metrics=["acc"])
    return cnn


def convolutional_model_two_blocks(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = L.MaxPooling2D((2, 2))(L.Conv2D(16, (5, 5), activation="relu")(inputs))
    x = L.MaxPooling2D((2, 2))(L.Conv2D(8, (2, 2), activation="relu")(x))
    x = L.Dense(100, activation="relu")(L.Flatten()(x))
    cnn = keras.Model(inputs, L.Dense(num_classes, activation="softmax")(x))
    cnn.compile("adam", "categorical_crossentropy", metrics=["acc"])
    return cnn


def fit_convolutional_model(X_train, y_train, X_test, y_test, epochs=10):
    cnn = convolutional_model(X_train.shape[1:], y_train.shape[1])
    result = cnn.fit(X_train, y_train, epochs=epochs, batch_size=200, validation_data=(X_test, y_test), verbose=0)
    return cnn, result.history
