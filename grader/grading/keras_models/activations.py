"""Keras' activation functions in numpy, by the name a layer's config gives them.

Each is the formula of keras.activations with that function's default arguments (tests compare every one with
Keras itself), so a model is run as Keras runs it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from grader.grading.checklib import fail
from grader.grading.keras_models.description import LayerInfo

Activation = Callable[[np.ndarray], np.ndarray]

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def relu(z: np.ndarray, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> np.ndarray:
    """keras.activations.relu with all its arguments (the ReLU layer's config), computed as Keras does: the part
    above the threshold (clipped to 0..max_value) less negative_slope times the part below it."""
    positive = np.where(z > threshold, z, 0.0) if threshold else np.maximum(z, 0)
    if max_value is not None:
        positive = np.clip(positive, 0, max_value)
    return positive - negative_slope * np.maximum(threshold - z, 0) if negative_slope else positive


def leaky_relu(z: np.ndarray, negative_slope: float = 0.2) -> np.ndarray:
    return np.where(z >= 0, z, negative_slope * z)


def elu(z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def _hard_sigmoid(z: np.ndarray) -> np.ndarray:
    return np.clip(z + 3, 0, 6) / 6


ACTIVATIONS: dict[str | None, Activation] = {
    None: lambda z: z, "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": sigmoid, "tanh": np.tanh, "softmax": softmax,
    "leaky_relu": leaky_relu, "elu": elu,
    "selu": lambda z: _SELU_SCALE * elu(z, _SELU_ALPHA),
    "softplus": lambda z: np.logaddexp(0, z), "softsign": lambda z: z / (np.abs(z) + 1),
    "silu": lambda z: z * sigmoid(z), "swish": lambda z: z * sigmoid(z),
    "relu6": lambda z: np.clip(z, 0, 6), "exponential": np.exp,
    "hard_sigmoid": _hard_sigmoid, "hard_silu": lambda z: z * _hard_sigmoid(z),
    "hard_swish": lambda z: z * _hard_sigmoid(z),
    "mish": lambda z: z * np.tanh(np.logaddexp(0, z)),
}


def activation_of(layer: LayerInfo, what: str) -> Activation:
    """The function a layer's `activation` names, or the student's failed check when this grader cannot run it."""
    activation = layer.activation
    if not (activation is None or isinstance(activation, str)) or activation not in ACTIVATIONS:
        fail(f"{what} returned a {layer.kind} layer with the activation {activation!r}, which this check cannot run")
    return ACTIVATIONS[activation]
