"""Reading a Keras model description on the trusted side, and rebuilding it only from built-in parts.

Inspection (layers, units, activations, input shape, loss, optimizer, metrics) reads the
architecture JSON as data; nothing is deserialized. `rebuild` deserializes only after every object
in the JSON is checked to be a built-in Keras class (no Lambda layers, no custom objects), then
loads the submitted weights, so a check can run the model on data of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.checklib import fail
from grader.wire import ModelDescription

LOSS_ALIASES = {
    "mse": "mean_squared_error", "meansquarederror": "mean_squared_error", "mean_squared_error": "mean_squared_error",
    "mae": "mean_absolute_error", "meanabsoluteerror": "mean_absolute_error", "mean_absolute_error": "mean_absolute_error",
    "categoricalcrossentropy": "categorical_crossentropy", "categorical_crossentropy": "categorical_crossentropy",
    "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "binarycrossentropy": "binary_crossentropy", "binary_crossentropy": "binary_crossentropy",
}
FORBIDDEN_CLASSES = {"Lambda", "TFOpLambda", "SlicingOpLambda"}
ALLOWED_MODULE_PREFIXES = ("keras.", "keras")


@dataclass(frozen=True)
class LayerInfo:
    kind: str                      # the Keras class name: Dense, Conv2D, LSTM ...
    name: str
    config: dict = field(default_factory=dict)

    @property
    def units(self) -> int | None:
        return self.config.get("units")

    @property
    def activation(self) -> str | None:
        activation = self.config.get("activation")
        if isinstance(activation, dict):   # an Activation object serialized
            return str(activation.get("config", {}).get("name") or activation.get("class_name", "")).lower()
        return activation.lower() if isinstance(activation, str) else activation


def _as_description(value: Any, what: str) -> ModelDescription:
    if not isinstance(value, ModelDescription):
        fail(f"{what} should return a Keras model, but it returned {type(value).__name__}")
    return value


def architecture(value: Any, what: str) -> dict:
    description = _as_description(value, what)
    try:
        data = json.loads(description.architecture)
    except ValueError:
        fail(f"{what} returned a model whose architecture could not be read")
    if not isinstance(data, dict):
        fail(f"{what} returned a model whose architecture could not be read")
    return data


def layers(value: Any, what: str) -> list[LayerInfo]:
    """The model's layers in order, InputLayer excluded, read from the architecture JSON."""
    data = architecture(value, what)
    config = data.get("config", {}) if isinstance(data.get("config"), dict) else {}
    found = []
    for layer in config.get("layers", []) or []:
        if not isinstance(layer, dict):
            continue
        kind = str(layer.get("class_name", ""))
        if kind == "InputLayer":
            continue
        layer_config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        found.append(LayerInfo(kind, str(layer_config.get("name", "")), layer_config))
    return found


def model_class(value: Any, what: str) -> str:
    return str(architecture(value, what).get("class_name", ""))


def input_shape(value: Any) -> list | None:
    return value.input_shape if isinstance(value, ModelDescription) else None


def loss_name(value: Any) -> str | None:
    """The loss as a canonical name ('mean_squared_error' for 'mse' and MeanSquaredError()), or None."""
    compile_config = value.compile if isinstance(value, ModelDescription) else None
    if not compile_config:
        return None
    loss = compile_config.get("loss")
    if isinstance(loss, dict):
        loss = loss.get("class_name") or (loss.get("config") or {}).get("name")
    if not isinstance(loss, str):
        return None
    key = loss.replace(" ", "").lower()
    return LOSS_ALIASES.get(key, LOSS_ALIASES.get(key.replace("_", ""), loss.lower()))


def optimizer_name(value: Any) -> str | None:
    compile_config = value.compile if isinstance(value, ModelDescription) else None
    if not compile_config:
        return None
    optimizer = compile_config.get("optimizer")
    if isinstance(optimizer, dict):
        optimizer = optimizer.get("class_name") or (optimizer.get("config") or {}).get("name")
    return optimizer.lower() if isinstance(optimizer, str) else None


def metric_names(value: Any) -> list[str]:
    compile_config = value.compile if isinstance(value, ModelDescription) else None
    metrics = (compile_config or {}).get("metrics") or []
    names = []
    for metric in metrics if isinstance(metrics, list) else [metrics]:
        if isinstance(metric, dict):
            metric = metric.get("class_name") or (metric.get("config") or {}).get("name")
        if isinstance(metric, str):
            names.append({"acc": "accuracy"}.get(metric.lower(), metric.lower()))
    return names


_ACTIVATIONS = {
    None: lambda z: z, "linear": lambda z: z, "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
    "softmax": lambda z: _softmax(z),
}


def _softmax(z: np.ndarray) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, config: dict) -> np.ndarray:
    strides = tuple(config.get("strides") or (1, 1))
    if config.get("padding", "valid") == "same":
        kh, kw = kernel.shape[:2]
        out_h, out_w = -(-x.shape[1] // strides[0]), -(-x.shape[2] // strides[1])
        pad_h = max((out_h - 1) * strides[0] + kh - x.shape[1], 0)
        pad_w = max((out_w - 1) * strides[1] + kw - x.shape[2], 0)
        x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    patches = np.lib.stride_tricks.sliding_window_view(x, kernel.shape[:2], axis=(1, 2))
    patches = patches[:, ::strides[0], ::strides[1]]                  # (n, H', W', C, kh, kw)
    return np.einsum("nhwcij,ijcf->nhwf", patches, kernel) + bias


def _max_pool(x: np.ndarray, config: dict) -> np.ndarray:
    pool = tuple(config.get("pool_size") or (2, 2))
    strides = tuple(config.get("strides") or pool)
    if config.get("padding", "valid") != "valid":
        fail("this check can only run MaxPooling2D with padding='valid'")
    windows = np.lib.stride_tricks.sliding_window_view(x, pool, axis=(1, 2))[:, ::strides[0], ::strides[1]]
    return windows.max(axis=(-2, -1))


def _lstm(x: np.ndarray, weights: list, config: dict) -> np.ndarray:
    kernel, recurrent, bias = (np.asarray(w, dtype=float) for w in weights)
    units = recurrent.shape[0]
    h = np.zeros((len(x), units))
    c = np.zeros((len(x), units))
    outputs = []
    sigmoid = _ACTIVATIONS["sigmoid"]
    for t in range(x.shape[1]):
        gates = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (gates[:, k * units:(k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1) if config.get("return_sequences") else h


def _simple_rnn(x: np.ndarray, weights: list, config: dict) -> np.ndarray:
    kernel, recurrent, bias = (np.asarray(w, dtype=float) for w in weights)
    activation = _ACTIVATIONS.get(config.get("activation", "tanh"))
    h = np.zeros((len(x), recurrent.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        h = activation(x[:, t] @ kernel + h @ recurrent + bias)
        outputs.append(h)
    return np.stack(outputs, axis=1) if config.get("return_sequences") else h


_WEIGHT_COUNTS = {"Dense": 2, "Conv2D": 2, "LSTM": 3, "SimpleRNN": 3}


def forward(value: Any, inputs: np.ndarray, what: str) -> np.ndarray:
    """Run the model in numpy from the submitted weights: Dense, Conv2D, MaxPooling2D, Flatten,
    Dropout, Reshape, SimpleRNN and LSTM layers.

    The trusted side needs no TensorFlow for it: checks stay fast and never load anything the
    submission wrote.
    """
    description = _as_description(value, what)
    outputs = np.asarray(inputs, dtype=float)
    weights = list(description.weights)
    for layer in layers(value, what):
        config = layer.config
        if layer.kind == "Dropout":
            continue
        if layer.kind == "Flatten":
            outputs = outputs.reshape(len(outputs), -1)
            continue
        if layer.kind == "Reshape":
            outputs = outputs.reshape(len(outputs), *config["target_shape"])
            continue
        if layer.kind == "MaxPooling2D":
            outputs = _max_pool(outputs, config)
            continue
        if layer.kind not in _WEIGHT_COUNTS:
            fail(f"{what} returned a model with a {layer.kind} layer, which this check cannot run")
        count = _WEIGHT_COUNTS[layer.kind] - (0 if config.get("use_bias", True) else 1)
        if len(weights) < count:
            fail(f"{what} returned a model whose weights do not match its layers")
        own, weights = [np.asarray(w, dtype=float) for w in weights[:count]], weights[count:]
        if not config.get("use_bias", True):
            own.append(np.zeros(own[0].shape[-1]))
        try:
            if layer.kind == "Dense":
                outputs = outputs @ own[0] + own[1]
            elif layer.kind == "Conv2D":
                outputs = _conv2d(outputs, own[0], own[1], config)
            elif layer.kind == "LSTM":
                outputs = _lstm(outputs, own, config)
                continue
            else:
                outputs = _simple_rnn(outputs, own, config)
                continue
        except ValueError as exc:
            fail(f"{what} returned a model whose layers do not fit together ({exc})")
        activation = _ACTIVATIONS.get(layer.activation, None) if layer.activation in _ACTIVATIONS else None
        if activation is None:
            fail(f"{what} returned a {layer.kind} layer with the activation {layer.activation!r}, which this check cannot run")
        outputs = activation(outputs)
    return outputs


def _check_builtin(node: Any, path: str = "model") -> None:
    """Every serialized object must be a built-in Keras class: no Lambda, no custom objects."""
    if isinstance(node, dict):
        if "class_name" in node:
            kind, module = str(node.get("class_name")), node.get("module")
            registered = node.get("registered_name")
            if kind in FORBIDDEN_CLASSES:
                fail(f"the model uses a {kind} layer, which the grader never loads; use built-in layers only")
            if module is not None and not str(module).startswith(ALLOWED_MODULE_PREFIXES):
                fail(f"the model uses {kind} from {module}; only built-in Keras layers can be graded")
            if registered not in (None, kind):
                fail(f"the model uses a custom object ({registered}); only built-in Keras layers can be graded")
        for key, item in node.items():
            _check_builtin(item, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            _check_builtin(item, path)


def rebuild(value: Any, what: str):
    """A Keras model with the submitted architecture and weights, built only from built-in classes."""
    description = _as_description(value, what)
    _check_builtin(architecture(value, what))
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras

    try:
        model = keras.models.model_from_json(description.architecture)
        if description.weights:
            model.set_weights([np.asarray(w) for w in description.weights])
    except Exception as exc:  # noqa: BLE001 - a description that does not load is the submission's problem
        fail(f"{what} returned a model that could not be rebuilt ({type(exc).__name__}: {str(exc)[:200]})")
    return model
