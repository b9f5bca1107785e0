"""End to end: the Keras exercises graded by the real `grade` command, lab-style code included."""

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

LAB_STYLE_WITH_MISTAKES = '''
import keras
from keras.models import Sequential
from keras.layers import Dense

def split_predictors_target(concrete_data):
    return concrete_data, concrete_data["Strength"]

def normalize(predictors):
    return (predictors - predictors.min()) / (predictors.max() - predictors.min())

def regression_model(n_cols):
    model = Sequential()
    model.add(Dense(50, activation='relu', input_shape=(n_cols,)))
    model.add(Dense(50, activation='relu'))
    model.add(Dense(1, activation='sigmoid'))
    model.compile(optimizer='Adam', loss='mean_squared_error')
    return model

def fit_regression_model(predictors_norm, target, epochs=100):
    model = regression_model(predictors_norm.shape[1])
    history = model.fit(predictors_norm, target, epochs=epochs, verbose=2)
    return model, history.history
'''


def test_lab_style_regression_grades_and_names_its_mistakes(grade_source):
    document = grade_source("05_keras_regression", LAB_STYLE_WITH_MISTAKES).document
    hints = {check["id"]: check.get("hint_id") for check in document["checks"]}
    assert hints == {
        "public/split_predictors_and_target": "target-among-predictors",
        "public/normalize_predictors": "min-max-instead-of-standardizing",
        "public/regression_model_as_in_the_lab": "regression-output-activation",
        "hidden/split_with_other_columns_order": "target-among-predictors",
        "hidden/normalize_other_data": "min-max-instead-of-standardizing",
        "hidden/regression_model_other_sizes": "regression-output-activation",
        "hidden/fit_regression_model_learns": "missing-validation-split",
    }
    assert document["score"] == 0 and document["status"] == "graded"


def test_lab_style_regression_written_right_earns_full_marks(grade_source):
    source = (LAB_STYLE_WITH_MISTAKES
              .replace('return concrete_data, concrete_data["Strength"]',
                       'cols = concrete_data.columns\n    return concrete_data[cols[cols != "Strength"]], concrete_data["Strength"]')
              .replace("(predictors - predictors.min()) / (predictors.max() - predictors.min())",
                       "(predictors - predictors.mean()) / predictors.std()")
              .replace("Dense(1, activation='sigmoid')", "Dense(1)")
              .replace("epochs=epochs, verbose=2", "validation_split=0.3, epochs=epochs, verbose=2")
              .replace("import keras\n", "from tensorflow import keras\n"))
    document = grade_source("05_keras_regression", source).document
    assert document["score"] == document["max_score"] == 25, [c["message"] for c in document["checks"] if c["outcome"] != "passed"]
