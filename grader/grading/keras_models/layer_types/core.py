"""Dense, and the layers that only move numbers around: Flatten, Reshape, Dropout."""

from __future__ import annotations

import math

import numpy as np

from grader.grading.checklib import fail
from grader.grading.keras_models.activations import activation_of
from grader.grading.keras_models.budget import Deadline
from grader.grading.keras_models.description import LayerInfo
from grader.grading.keras_models.layer_types.base import (LayerType, Planned, Step, Weights, elements,
                                                          expect_declared, expect_weight_shapes, kernel_and_bias, register)


@register
class Dense(LayerType):
    """activation(x @ kernel + bias) over the last axis."""

    kind = "Dense"
    takes_activation = True

    def weight_names(self, config: dict) -> tuple[str, ...]:
        return kernel_and_bias(config)

    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        activation_of(layer, what)
        if not shape:
            fail(f"{what} returned a model whose Dense layer {layer.name!r} gets no input features")
        kernel = weights["kernel"]
        units = kernel.shape[-1] if kernel.ndim == 2 else -1
        expect_weight_shapes(layer, weights, {"kernel": (shape[-1], units), "bias": (units,)}, what)
        out = (*shape[:-1], units)
        return Planned(out, elements(shape) * units, elements(out))

    def check_declared(self, step: Step, what: str) -> None:
        expect_declared(step, {"units": step.layer.config.get("units")}, {"units": step.weights["kernel"].shape[-1]},
                        what)

    def run(self, x: np.ndarray, step: Step, deadline: Deadline) -> np.ndarray:
        outputs = x @ step.weights["kernel"]
        if "bias" in step.weights:
            outputs = outputs + step.weights["bias"]
        return activation_of(step.layer, "the model")(outputs)


class _Reshaping(LayerType):
    """The same numbers in another shape per sample."""

    def run(self, x: np.ndarray, step: Step, deadline: Deadline) -> np.ndarray:
        return x.reshape(len(x), *step.output_shape)


@register
class Flatten(_Reshaping):
    kind = "Flatten"

    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        return Planned((elements(shape),))


@register
class Reshape(_Reshaping):
    kind = "Reshape"

    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        target = layer.config.get("target_shape")
        if not isinstance(target, (list, tuple)) or any(type(n) is not int or (n < 1 and n != -1) for n in target) \
                or list(target).count(-1) > 1:
            fail(f"{what} returned a Reshape layer with the target shape {target!r}")
        size, known = elements(shape), math.prod(n for n in target if n != -1)
        if -1 in target and known and size % known == 0:
            target = [size // known if n == -1 else n for n in target]
        if math.prod(target) != size:
            fail(f"{what} returned a Reshape layer that cannot turn {shape} into {tuple(target)}")
        return Planned(tuple(target))


@register
class Dropout(LayerType):
    """The identity at inference: Keras drops units only while it trains, which happens in the student's process."""

    kind = "Dropout"

    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        return Planned(shape)

    def run(self, x: np.ndarray, step: Step, deadline: Deadline) -> np.ndarray:
        return x
