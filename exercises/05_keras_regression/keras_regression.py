"""Exercise 05: regression with Keras (the concrete compressive strength lab).

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/05_keras_regression

The lab's data: `from grader.datasets import load_concrete_data` gives a DataFrame with the lab's
columns (generated; pass the path of the lab's CSV if you have it).
"""

import keras
from keras.layers import Dense
from keras.models import Sequential


def split_predictors_target(concrete_data):
    """Return (predictors, target): every column but 'Strength', and the 'Strength' column."""
    raise NotImplementedError("TODO: split the DataFrame into predictors and target")


def normalize(predictors):
    """Return the predictors normalized column by column: subtract the mean, divide by the standard deviation."""
    raise NotImplementedError("TODO: normalize the predictors")


def regression_model(n_cols):
    """Return a compiled Sequential model: two hidden Dense layers of 50 ReLU units, one linear output,
    the adam optimizer and the mean squared error loss. n_cols is the number of predictors."""
    raise NotImplementedError("TODO: build and compile the model")


def fit_regression_model(predictors_norm, target, epochs=100):
    """Build a model with regression_model, fit it with validation_split=0.3 for `epochs` epochs,
    and return (model, history.history)."""
    raise NotImplementedError("TODO: fit the model")
