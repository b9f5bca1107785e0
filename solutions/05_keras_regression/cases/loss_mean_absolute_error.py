"""Reference solution: regression with Keras, as in the concrete-strength lab."""

import keras
from keras.layers import Dense
from keras.models import Sequential


def split_predictors_target(concrete_data):
    concrete_data_columns = concrete_data.columns
    predictors = concrete_data[concrete_data_columns[concrete_data_columns != "Strength"]]
    target = concrete_data["Strength"]
    return predictors, target


def normalize(predictors):
    return (predictors - predictors.mean()) / predictors.std()


def regression_model(n_cols):
    model = Sequential()
    model.add(keras.Input(shape=(n_cols,)))
    model.add(Dense(50, activation="relu"))
    model.add(Dense(50, activation="relu"))
    model.add(Dense(1))
    model.compile(optimizer="adam", loss="mean_absolute_error")
    return model


def fit_regression_model(predictors_norm, target, epochs=100):
    model = regression_model(predictors_norm.shape[1])
    history = model.fit(predictors_norm, target, validation_split=0.3, epochs=epochs, verbose=0)
    return model, history.history
