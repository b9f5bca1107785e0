"""Keras spellings of the same model earn the same marks (issue 23, item 1), graded end to end by the real
`grade batch` in the real sandbox: Dense(n) followed by Activation('relu'), layers.ReLU(), layers.Softmax() (over
the last axis, by any number) or Activation('softmax') is the lab's Dense(n, activation=...), as is
activation=tf.nn.softmax. Models with Dropout or BatchNormalization, which the
grader now runs, are graded without an error and lose only the point of the lab's layers where the exercise
asks for exactly those.
"""

from __future__ import annotations

import pytest

from test_right_answers import assert_full_marks, assert_loses_exactly, batch, rewritten

HIDDEN_05 = '    model.add(Dense(50, activation="relu"))\n'
IMPORT_05 = ("from keras.layers import Dense\n", "from keras.layers import Activation, BatchNormalization, Dense, Dropout, ReLU\n")


def _05(*changes):
    return rewritten("05_keras_regression", IMPORT_05, *changes, every=True)


@pytest.mark.slow
def test_05_activation_layers_earn_full_marks_and_dropout_or_batch_normalization_cost_only_the_layers_point(tmp_path):
    documents = batch(tmp_path, "05_keras_regression", {
        "activation-relu": _05((HIDDEN_05, '    model.add(Dense(50))\n    model.add(Activation("relu"))\n')),
        "relu-layer": _05((HIDDEN_05, "    model.add(Dense(50))\n    model.add(ReLU())\n")),
        "keras-layers-relu": _05((HIDDEN_05, "    model.add(Dense(50))\n    model.add(keras.layers.ReLU())\n")),
        "dropout": _05((HIDDEN_05, HIDDEN_05 + "    model.add(Dropout(0.2))\n")),
        "batch-normalization": _05((HIDDEN_05, HIDDEN_05 + "    model.add(BatchNormalization())\n")),
    })
    for name in ("activation-relu", "relu-layer", "keras-layers-relu"):
        assert documents[name]["isolation"]["mode"], documents[name]["isolation"]
        assert_full_marks(documents[name])
    # The lab's model is three Dense layers and nothing else; the fit check runs the model, Dropout as the
    # identity and BatchNormalization on its moving statistics, and the model learned.
    for name in ("dropout", "batch-normalization"):
        assert_loses_exactly(documents[name], 24.0, {"public/regression_model_as_in_the_lab": None})
        layers_check = next(c for c in documents[name]["checks"] if c["id"] == "public/regression_model_as_in_the_lab")
        assert "Dropout" in layers_check["message"] or "BatchNormalization" in layers_check["message"], layers_check


IMPORT_06 = ("from keras.layers import Dense, Input\n",
             "from keras.layers import Activation, Dense, Dropout, Input, ReLU, Softmax\n")
HIDDEN_06 = ('    model.add(Dense(num_pixels, activation="relu"))\n    model.add(Dense(100, activation="relu"))\n'
             '    model.add(Dense(num_classes, activation="softmax"))\n')


def _06(hidden: str, output: str) -> str:
    return rewritten("06_keras_classification", IMPORT_06, (HIDDEN_06, (
        f"    model.add(Dense(num_pixels))\n    model.add({hidden})\n    model.add(Dense(100))\n    model.add({hidden})\n"
        f"    model.add(Dense(num_classes))\n    model.add({output})\n")))


@pytest.mark.slow
def test_06_activation_layers_earn_full_marks_and_dropout_is_graded(tmp_path):
    documents = batch(tmp_path, "06_keras_classification", {
        "activation-layers": _06('Activation("relu")', 'Activation("softmax")'),
        "relu-and-softmax-layers": _06("ReLU()", "Softmax()"),
        # the last axis by its number, and TensorFlow's own function (its tutorials' spelling, 'softmax_v2' in the
        # model's description): both the lab's softmax
        "softmax-axis-1": _06("ReLU()", "Softmax(axis=1)"),
        "tf-nn-softmax": rewritten("06_keras_classification",
                                   ("import numpy as np\n", "import numpy as np\nimport tensorflow as tf\n"),
                                   ('activation="softmax"', "activation=tf.nn.softmax")),
        "dropout": rewritten("06_keras_classification", IMPORT_06, (
            '    model.add(Dense(100, activation="relu"))\n',
            '    model.add(Dropout(0.2))\n    model.add(Dense(100, activation="relu"))\n    model.add(Dropout(0.2))\n')),
    })
    for name in ("activation-layers", "relu-and-softmax-layers", "softmax-axis-1", "tf-nn-softmax"):
        assert_full_marks(documents[name])
    # 06's layer check counts the Dense layers and their units (Dropout between them is not among them), so a
    # classifier with Dropout keeps every point: it is graded, run and found to learn.
    assert_full_marks(documents["dropout"])
