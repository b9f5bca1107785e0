"""End to end: the Keras exercises graded by the real `grade` command, lab-style code included."""

import pytest

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
    """Each mistake costs the points of the check that judges its part, with its hint; the model's other parts
    (its layers, loss, optimizer ('Adam'), input shape) keep theirs."""
    document = grade_source("05_keras_regression", LAB_STYLE_WITH_MISTAKES).document
    hints = {check["id"]: check.get("hint_id") for check in document["checks"] if check["outcome"] != "passed"}
    assert hints == {
        "public/split_predictors_and_target": "target-among-predictors",
        "public/normalize_predictors": "min-max-instead-of-standardizing",
        "public/regression_model_activations": "regression-output-activation",
        "hidden/split_with_other_columns_order": "target-among-predictors",
        "hidden/normalize_other_data": "min-max-instead-of-standardizing",
        "hidden/fit_regression_model_learns": "missing-validation-split",
    }
    assert document["score"] == 25 - 3 - 3 - 1 - 3 - 3 - 5 and document["status"] == "graded"


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


KERAS_MISTAKES = [
    ("06_keras_classification", 'model.add(Dense(num_classes, activation="softmax"))',
     'model.add(Dense(num_classes, activation="sigmoid"))', "public/classification_model_activations",
     "sigmoid-output-for-several-classes"),
    ("06_keras_classification", 'loss="categorical_crossentropy", metrics=["accuracy"]', 'loss="mse", metrics=["accuracy"]',
     "public/classification_model_loss", "wrong-loss-for-classification"),
    ("06_keras_classification", ', metrics=["accuracy"])', ")", "public/classification_model_metric",
     "missing-accuracy-metric"),
    ("06_keras_classification", "return np.argmax(probabilities, axis=1)", "return np.argmax(probabilities, axis=0)",
     "public/predicted_classes", "argmax-wrong-axis"),
    ("07_cnn", "    model.add(MaxPooling2D(pool_size=(2, 2), strides=(2, 2)))\n    model.add(Flatten())\n    model.add(Dense(100",
     "    model.add(MaxPooling2D(pool_size=(2, 2), strides=(2, 2)))\n    model.add(Dense(100", "public/convolutional_model_as_in_the_lab",
     "missing-flatten"),
    ("08_rnn", "return np.tanh(W_x @ x_t + W_h @ h_prev + b)", "return np.tanh(W_x @ x_t + b)", "public/one_recurrent_step",
     "ignores-previous-output"),
    ("08_rnn", "y = series[timesteps:]", "y = series[timesteps - 1:-1]", "public/windows_for_next_value",
     "window-target-off-by-one"),
    ("09_autoencoder", 'model.add(Dense(input_dim, activation="sigmoid"))', 'model.add(Dense(input_dim, activation="relu"))',
     "public/autoencoder_activations", "decoder-output-activation"),
    ("09_autoencoder", "return np.clip(noisy, 0.0, 1.0)", "return noisy", "public/add_noise_is_seeded_and_clipped",
     "noise-not-clipped"),
]


@pytest.mark.parametrize("exercise, old, new, check_id, hint_id", KERAS_MISTAKES, ids=[m[4] for m in KERAS_MISTAKES])
def test_keras_mistake_is_named(grade_source, exercise, old, new, check_id, hint_id):
    from conftest import assert_mistake_named

    assert_mistake_named(grade_source, exercise, old, new, check_id, hint_id, ("failed", "error"), "--public-only")


def test_the_concrete_loader_reads_the_labs_csv_when_there_is_one(tmp_path):
    from grader.datasets import CONCRETE_COLUMNS, concrete_data, load_concrete_data

    path = tmp_path / "concrete_data.csv"
    concrete_data(25, seed=3).to_csv(path, index=False)
    loaded = load_concrete_data(path)
    assert list(loaded.columns) == list(CONCRETE_COLUMNS) and len(loaded) == 25
    generated = load_concrete_data()
    assert generated.shape == (1030, 9) and generated["Strength"].between(2, 83).all()


def test_a_forged_update_count_cannot_pass_an_untrained_model(grade_source):
    """The optimizer's count is the submission's own report: it can fail a fit check, never pass one. A model
    that claims the 250 updates of the README's fit but was never trained still fails on what it predicts."""
    from pathlib import Path

    reference = (Path(__file__).resolve().parents[1] / "solutions/08_rnn/rnn.py").read_text()
    forged = reference.replace("    history = model.fit(X, y, epochs=epochs, batch_size=16, verbose=0)\n",
                               "    model.optimizer.iterations.assign(250)\n"
                               "    history = type('H', (), {'history': {'loss': [0.0] * epochs}})()\n")
    assert forged != reference
    document = grade_source("08_rnn", forged).document
    fit = next(check for check in document["checks"] if check["id"] == "hidden/fit_lstm_predicts_a_sine_wave")
    assert fit["outcome"] == "failed" and "squared error" in fit["message"], fit
    assert document["score"] < document["max_score"]
