"""BatchNormalization at inference: the moving mean and variance it learned, its epsilon, its scale and center."""

from __future__ import annotations

import math

import numpy as np

from grader.grading.checklib import fail
from grader.grading.keras_models.budget import Deadline
from grader.grading.keras_models.description import LayerInfo
from grader.grading.keras_models.layer_types.base import (LayerType, Planned, Step, Weights, elements,
                                                          expect_weight_shapes, register)


@register
class BatchNormalization(LayerType):
    """gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta over one axis (the last by default).

    A trained model's predictions use the moving statistics, never the batch's own: that is what Keras' predict
    computes, and what the grader runs."""

    kind = "BatchNormalization"

    def weight_names(self, config: dict) -> tuple[str, ...]:
        return (("gamma",) if config.get("scale", True) is not False else ()) \
            + (("beta",) if config.get("center", True) is not False else ()) + ("moving_mean", "moving_variance")

    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        axis = self._axis(layer.config, shape, what)
        epsilon = layer.config.get("epsilon", 1e-3)
        if type(epsilon) not in (int, float) or not 0 <= epsilon < math.inf:
            fail(f"{what} returned a BatchNormalization layer whose epsilon is {epsilon!r}")
        size = (shape[axis - 1],)
        expect_weight_shapes(layer, weights, {name: size for name in self.weight_names(layer.config)}, what)
        return Planned(shape, 2 * elements(shape), elements(shape))

    def run(self, x: np.ndarray, step: Step, deadline: Deadline) -> np.ndarray:
        config, weights = step.layer.config, step.weights
        axis = self._axis(config, step.input_shape, "the model")
        along = [1] * x.ndim
        along[axis] = x.shape[axis]

        def weight(name: str, default: float) -> np.ndarray | float:
            return weights[name].reshape(along) if name in weights else default

        scale = weight("gamma", 1.0) / np.sqrt(weight("moving_variance", 1.0) + float(config.get("epsilon", 1e-3)))
        return (x - weight("moving_mean", 0.0)) * scale + weight("beta", 0.0)

    @staticmethod
    def _axis(config: dict, shape: tuple[int, ...], what: str) -> int:
        """The normalized axis of the batch (batch axis 0), which must be one of a sample's axes."""
        axis = config.get("axis", -1)
        if isinstance(axis, list) and len(axis) == 1:
            axis = axis[0]
        if type(axis) is not int:
            fail(f"this check can only run BatchNormalization over one axis, not {axis!r}")
        rank = len(shape) + 1
        if not -rank < axis < rank or axis % rank == 0:
            fail(f"{what} returned a BatchNormalization layer over the axis {axis}, which its input of shape "
                 f"{shape} does not have")
        return axis % rank
