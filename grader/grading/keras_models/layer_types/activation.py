"""Layers that only apply an activation: Activation, ReLU, LeakyReLU, Softmax.

Keras computes Dense(50) followed by Activation('relu') exactly as Dense(50, activation='relu'), so each of these
says which activation it applies (`applies`), and the checks' view folds it into the layer before it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grader.grading.checklib import CheckFailed, fail
from grader.grading.keras_models import activations
from grader.grading.keras_models.budget import Deadline
from grader.grading.keras_models.description import LayerInfo
from grader.grading.keras_models.layer_types.base import LayerType, Planned, Step, Weights, elements, register


def _number(config: dict, key: str, default: float | None, what: str, at_least: float | None = None) -> Any:
    value: Any = config.get(key, default)
    if value is None and default is None:
        return None
    if type(value) not in (int, float) or not math.isfinite(value) \
            or (at_least is not None and value < at_least):
        fail(f"{what} returned an activation layer whose {key} is {value!r}, which this check cannot run")
    return float(value)


def _with_arguments(name: str, given: dict[str, float | None], defaults: dict[str, float | None]) -> str:
    """'relu' for the defaults, 'relu(max_value=6.0)' otherwise: one name per function Keras computes."""
    changed = [f"{key}={value!r}" for key, value in given.items() if value != defaults[key]]
    return f"{name}({', '.join(changed)})" if changed else name


class _ActivationLayer(LayerType):
    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        self.function(layer.config, what)
        return Planned(shape, elements(shape), elements(shape))

    def run(self, x: np.ndarray, step: Step, deadline: Deadline) -> np.ndarray:
        return self.function(step.layer.config, "the model")(x)

    def function(self, config: dict, what: str) -> activations.Activation:
        raise NotImplementedError


@register
class Activation(_ActivationLayer):
    """Activation('relu'): any activation the grader runs by name."""

    kind = "Activation"

    def applies(self, config: dict, rank: int | None = None) -> str | None:
        name = LayerInfo(self.kind, "", config).activation
        return name if isinstance(name, str) else None

    def function(self, config: dict, what: str) -> activations.Activation:
        return activations.activation_of(LayerInfo(self.kind, str(config.get("name", "")), config), what)


_RELU_DEFAULTS: dict[str, float | None] = {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}


@register
class ReLU(_ActivationLayer):
    """ReLU(max_value=None, negative_slope=0.0, threshold=0.0): keras.activations.relu with those arguments."""

    kind = "ReLU"

    def _arguments(self, config: dict, what: str) -> dict[str, float | None]:
        return {"max_value": _number(config, "max_value", None, what, at_least=0.0),
                "negative_slope": _number(config, "negative_slope", 0.0, what, at_least=0.0),
                "threshold": _number(config, "threshold", 0.0, what, at_least=0.0)}

    def applies(self, config: dict, rank: int | None = None) -> str | None:
        try:
            return _with_arguments("relu", self._arguments(config, "the model"), _RELU_DEFAULTS)
        except CheckFailed:   # a config the grader cannot run is no activation it can name either
            return None

    def function(self, config: dict, what: str) -> activations.Activation:
        arguments = self._arguments(config, what)
        return lambda z: activations.relu(z, arguments["negative_slope"] or 0.0, arguments["max_value"],
                                          arguments["threshold"] or 0.0)


@register
class LeakyReLU(_ActivationLayer):
    """LeakyReLU(negative_slope=0.3). Named 'leaky_relu' only with the slope of keras.activations.leaky_relu (0.2),
    which is what activation='leaky_relu' computes: another slope is another model."""

    kind = "LeakyReLU"

    def _slope(self, config: dict, what: str) -> float:
        return _number(config, "negative_slope", 0.3, what, at_least=0.0)

    def applies(self, config: dict, rank: int | None = None) -> str | None:
        try:
            return _with_arguments("leaky_relu", {"negative_slope": self._slope(config, "the model")},
                                   {"negative_slope": 0.2})
        except CheckFailed:
            return None

    def function(self, config: dict, what: str) -> activations.Activation:
        slope = self._slope(config, what)
        return lambda z: activations.leaky_relu(z, slope)


@register
class Softmax(_ActivationLayer):
    """Softmax(axis=-1)."""

    kind = "Softmax"
    needs_rank = True

    def applies(self, config: dict, rank: int | None = None) -> str | None:
        given = config.get("axis", -1)
        axis = given[0] if isinstance(given, list) and len(given) == 1 else given
        last = type(axis) is int and (axis == -1 or (rank is not None and axis == rank - 1))   # axis=1 of (None, 10)
        return "softmax" if last else f"softmax(axis={given!r})"

    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        axis = self._axis(layer.config, what)
        if not -len(shape) - 1 <= axis <= len(shape):
            fail(f"{what} returned a Softmax layer over the axis {axis}, which its input of shape {shape} does not have")
        return Planned(shape, 3 * elements(shape), elements(shape))

    def function(self, config: dict, what: str) -> activations.Activation:
        axis = self._axis(config, what)
        return lambda z: activations.softmax(z, axis=axis)

    @staticmethod
    def _axis(config: dict, what: str) -> int:
        axis = config.get("axis", -1)
        if isinstance(axis, list) and len(axis) == 1:
            axis = axis[0]
        if type(axis) is not int:
            fail(f"this check can only run Softmax over one axis, not {axis!r}")
        return axis
