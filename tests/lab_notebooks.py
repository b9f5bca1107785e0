"""Lab-style notebooks written for the tests: definitions mixed with data loading, training, plots, old Keras
spellings and zero-argument model builders, in the manner of the course's labs (written here, not copied)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CONCRETE_URL = ("https://s3-api.us-geo.objectstorage.softlayer.net/cf-courses-data/CognitiveClass/DL0101EN/"
                "labs/data/concrete_data.csv")


def notebook(*cells: str) -> nbformat.NotebookNode:
    """Code cells, with a markdown cell (the lab's prose) before every third one."""
    built = []
    for number, source in enumerate(cells):
        if number % 3 == 0:
            built.append(new_markdown_cell(f"## Step {number // 3 + 1}\nRun the cells below."))
        built.append(new_code_cell(source))
    return new_notebook(cells=built)


def write(folder: Path, name: str, cells: nbformat.NotebookNode) -> Path:
    path = folder / name
    nbformat.write(cells, path)
    return path


def regression_lab() -> nbformat.NotebookNode:
    return notebook(
        "!pip install numpy==1.26.4 pandas keras\n%matplotlib inline",
        "import pandas as pd\nimport numpy as np\nimport seaborn as sns\nimport matplotlib.pyplot as plt",
        f"concrete_data = pd.read_csv('{CONCRETE_URL}')\nconcrete_data.head()",
        "print(concrete_data.shape)\nconcrete_data.describe()\nconcrete_data.isnull().sum()",
        "sns.pairplot(concrete_data)\nplt.show()",
        "concrete_data_columns = concrete_data.columns\n"
        "predictors = concrete_data[concrete_data_columns[concrete_data_columns != 'Strength']]\n"
        "target = concrete_data['Strength']",
        "def split_predictors_target(data):\n"
        "    columns = data.columns\n"
        "    return data[columns[columns != 'Strength']], data['Strength']\n\n"
        "def normalize(frame):\n"
        "    return (frame - frame.mean()) / frame.std()",
        "predictors_norm = normalize(predictors)\npredictors_norm.head()",
        "n_cols = predictors_norm.shape[1]  # number of predictors",
        "import keras\nfrom keras.models import Sequential\nfrom keras.layers.core import Dense",
        "# define regression model\n"
        "def regression_model():\n"
        "    # create model\n"
        "    model = Sequential()\n"
        "    model.add(Dense(50, activation='relu', input_shape=(n_cols,)))\n"
        "    model.add(Dense(50, activation='relu'))\n"
        "    model.add(Dense(1))\n"
        "    # compile model\n"
        "    model.compile(optimizer='adam', loss='mean_squared_error')\n"
        "    return model",
        "# build the model\nmodel = regression_model()\n"
        "model.fit(predictors_norm, target, validation_split=0.3, epochs=100, verbose=2)",
        "def fit_regression_model(predictors_norm, target, epochs=100):\n"
        "    model = regression_model()\n"
        "    history = model.fit(predictors_norm, target, validation_split=0.3, epochs=epochs, verbose=0)\n"
        "    return model, history.history",
        "from flask import Flask, request\napp = Flask(__name__)\n\n"
        "@app.route('/predict')\ndef predict():\n    return str(model.predict(predictors_norm[:1]))",
    )


def classification_lab() -> nbformat.NotebookNode:
    return notebook(
        "import keras\nfrom keras.models import Sequential\nfrom keras.layers import Dense\n"
        "from keras.utils.np_utils import to_categorical\nimport matplotlib.pyplot as plt",
        "from keras.datasets import mnist\n(X_train, y_train), (X_test, y_test) = mnist.load_data()\nX_train.shape",
        "plt.imshow(X_train[0])\nplt.show()",
        "num_pixels = X_train.shape[1] * X_train.shape[2]\n"
        "X_train = X_train.reshape(X_train.shape[0], num_pixels).astype('float32')\n"
        "X_test = X_test.reshape(X_test.shape[0], num_pixels).astype('float32')",
        "X_train = X_train / 255\nX_test = X_test / 255",
        "y_train = to_categorical(y_train)\ny_test = to_categorical(y_test)\nnum_classes = y_test.shape[1]\n"
        "print(num_classes)",
        "def classification_model():\n"
        "    model = Sequential()\n"
        "    model.add(Dense(num_pixels, activation='relu', input_shape=(num_pixels,)))\n"
        "    model.add(Dense(100, activation='relu'))\n"
        "    model.add(Dense(num_classes, activation='softmax'))\n"
        "    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
        "    return model",
        "model = classification_model()\n"
        "model.fit(X_train, y_train, validation_data=(X_test, y_test), epochs=10, verbose=2)\n"
        "scores = model.evaluate(X_test, y_test, verbose=0)\nprint('Accuracy: {}'.format(scores[1]))",
        "model.save('classification_model.h5')",
        "def flatten_images(images):\n    return images.reshape(len(images), -1).astype('float32')\n\n"
        "def normalize_pixels(pixels):\n    return pixels / 255\n\n"
        "def one_hot(labels, num_classes=None):\n    return to_categorical(labels, num_classes)\n\n"
        "def predicted_classes(probabilities):\n    return np.argmax(probabilities, axis=1)",
        "import numpy as np",
    )


def cnn_lab() -> nbformat.NotebookNode:
    one_block = (
        "def convolutional_model():\n"
        "    model = Sequential()\n"
        "    model.add(Conv2D(16, (5, 5), strides=(1, 1), activation='relu', input_shape=(28, 28, 1)))\n"
        "    model.add(MaxPooling2D(pool_size=(2, 2), strides=(2, 2)))\n"
        "{second}"
        "    model.add(Flatten())\n"
        "    model.add(Dense(100, activation='relu'))\n"
        "    model.add(Dense(num_classes, activation='softmax'))\n"
        "    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
        "    return model")
    second = ("    model.add(Conv2D(8, (2, 2), activation='relu'))\n"
              "    model.add(MaxPooling2D(pool_size=(2, 2), strides=(2, 2)))\n")
    return notebook(
        "import keras\nfrom keras.models import Sequential\nfrom keras.layers import Dense\nfrom keras.layers import Flatten",
        "from keras.layers.convolutional import Conv2D\nfrom keras.layers.convolutional import MaxPooling2D",
        "from keras.utils import to_categorical\nfrom keras.datasets import mnist\n"
        "(X_train, y_train), (X_test, y_test) = mnist.load_data()",
        "X_train = X_train.reshape(X_train.shape[0], 28, 28, 1).astype('float32')\n"
        "X_test = X_test.reshape(X_test.shape[0], 28, 28, 1).astype('float32')",
        "X_train = X_train / 255\nX_test = X_test / 255\n"
        "y_train = to_categorical(y_train)\ny_test = to_categorical(y_test)\nnum_classes = y_test.shape[1]",
        "def reshape_for_conv(images):\n    return images.reshape(images.shape + (1,)).astype('float32')",
        one_block.format(second=""),
        "model = convolutional_model()\n"
        "model.fit(X_train, y_train, validation_data=(X_test, y_test), epochs=10, batch_size=200, verbose=2)\n"
        "scores = model.evaluate(X_test, y_test, verbose=0)\n"
        "print('Accuracy: {} \\n Error: {}'.format(scores[1], 100 - scores[1] * 100))",
        one_block.format(second=second),
        "model = convolutional_model()\n"
        "model.fit(X_train, y_train, validation_data=(X_test, y_test), epochs=10, batch_size=200, verbose=2)",
    )


def rnn_lab() -> nbformat.NotebookNode:
    return notebook(
        "import numpy as np\nimport matplotlib.pyplot as plt\nfrom keras.models import Sequential\n"
        "from keras.layers.recurrent import LSTM\nfrom keras.layers.core import Dense\nfrom keras.optimizers import Adam",
        "def rnn_step(x_t, h_prev, W_x, W_h, b):\n    return np.tanh(W_x @ x_t + W_h @ h_prev + b)\n\n"
        "def rnn_forward(xs, h0, W_x, W_h, b):\n    h, outputs = h0, []\n    for x_t in xs:\n"
        "        h = rnn_step(x_t, h, W_x, W_h, b)\n        outputs.append(h)\n    return np.array(outputs)",
        "series = np.sin(np.linspace(0, 20 * np.pi, 1000))\nplt.plot(series)\nplt.show()",
        "timesteps = 10\nfeatures = 1\nunits = 16",
        "def make_windows(series, timesteps):\n"
        "    X = np.array([series[i:i + timesteps] for i in range(len(series) - timesteps)])\n"
        "    y = np.array(series[timesteps:])\n    return X.reshape(len(X), timesteps, 1), y",
        "X, y = make_windows(series, timesteps)",
        "def lstm_model():\n    model = Sequential()\n    model.add(LSTM(units, input_shape=(timesteps, features)))\n"
        "    model.add(Dense(1))\n    model.compile(optimizer=Adam(lr=0.01), loss='mean_squared_error')\n    return model",
        "model = lstm_model()\nhistory = model.fit(X, y, epochs=20, batch_size=16, verbose=2)\n"
        "plt.plot(history.history['loss'])",
    )


def autoencoder_lab() -> nbformat.NotebookNode:
    return notebook(
        "import numpy as np\nimport matplotlib.pyplot as plt\nfrom keras.models import Sequential\n"
        "from keras.layers import Dense\nfrom keras.datasets import mnist",
        "(x_train, _), (x_test, _) = mnist.load_data()\n"
        "x_train = x_train.astype('float32') / 255.\nx_test = x_test.astype('float32') / 255.\n"
        "x_train = x_train.reshape((len(x_train), np.prod(x_train.shape[1:])))\n"
        "x_test = x_test.reshape((len(x_test), np.prod(x_test.shape[1:])))",
        "input_dim = x_train.shape[1]\nencoding_dim = 32  # the compressed representation",
        "def autoencoder_model():\n    autoencoder = Sequential()\n"
        "    autoencoder.add(Dense(encoding_dim, activation='relu', input_shape=(input_dim,)))\n"
        "    autoencoder.add(Dense(input_dim, activation='sigmoid'))\n"
        "    autoencoder.compile(optimizer='adam', loss='binary_crossentropy')\n    return autoencoder",
        "autoencoder = autoencoder_model()\n"
        "autoencoder.fit(x_train, x_train, epochs=50, batch_size=256, shuffle=True, validation_data=(x_test, x_test))",
        "def add_noise(images, noise_factor, seed=0):\n    rng = np.random.default_rng(seed)\n"
        "    return np.clip(images + noise_factor * rng.normal(size=images.shape), 0, 1)",
        "x_test_noisy = add_noise(x_test, 0.5)\nplt.imshow(x_test_noisy[0].reshape(28, 28))\nplt.show()",
    )


LABS = {
    "05_keras_regression": regression_lab,
    "06_keras_classification": classification_lab,
    "07_cnn": cnn_lab,
    "08_rnn": rnn_lab,
    "09_autoencoder": autoencoder_lab,
}
