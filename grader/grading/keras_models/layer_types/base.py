"""The layer contract: what the grader must know of one Keras layer class to price, check and run it in numpy.

A supported layer is one small subclass of `LayerType`, registered under the Keras class name its description
carries (`@register`). The interpreter asks it, in order: which weight arrays it takes (`weight_names`), what it
makes of an input shape and what that costs (`plan`, before anything is computed), whether the sizes its config
declares are the ones its weights have (`check_declared`), and finally to `run` on a batch. An activation layer
also says which activation it applies (`applies`), so the checks' view can fold it into the layer before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from grader.grading.checklib import fail
from grader.grading.keras_models.budget import Deadline
from grader.grading.keras_models.description import LayerInfo

Weights = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Planned:
    """What a layer makes of one sample: its output shape, its multiply-adds and its largest array's elements."""

    output_shape: tuple[int, ...]
    multiply_adds: int = 0
    largest_elements: int = 0


@dataclass(frozen=True)
class Step:
    """One layer as the forward pass will run it: its type, its weights by name and what it costs on the batch."""

    layer: LayerInfo
    runs_as: LayerType
    weights: Weights
    input_shape: tuple[int, ...]     # without the batch axis
    output_shape: tuple[int, ...]
    multiply_adds: int
    largest_bytes: int


class LayerType:
    """One Keras layer class the grader can run. Subclasses set `kind` and override what their layer needs."""

    kind: ClassVar[str]
    # The layer applies its config's `activation` last (Dense, Conv2D): an activation layer right after it, while
    # its own activation is linear, is the same model as this layer with that activation.
    takes_activation: ClassVar[bool] = False
    needs_rank: ClassVar[bool] = False      # an activation layer whose function depends on its input's axes

    def weight_names(self, config: dict) -> tuple[str, ...]:
        """The weight arrays the layer takes from the description's list, in Keras' order (get_weights())."""
        return ()

    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        """The output shape and cost for one sample of `shape`; a failed check when the layer cannot take it."""
        raise NotImplementedError

    def check_declared(self, step: Step, what: str) -> None:
        """Fail when the sizes the config declares (which the checks read) are not the ones the weights run."""

    def run(self, x: np.ndarray, step: Step, deadline: Deadline) -> np.ndarray:
        raise NotImplementedError

    def applies(self, config: dict, rank: int | None = None) -> str | None:
        """For an activation layer: the name of the activation it applies (as a Dense layer's config would spell
        it), else None. `rank`: how many axes its input has (batch axis included), when known."""
        return None


REGISTRY: dict[str, LayerType] = {}


def register(cls: type[LayerType]) -> type[LayerType]:
    """Class decorator: the layer type is run wherever a description names its `kind`."""
    REGISTRY[cls.kind] = cls()
    return cls


def layer_type(kind: str) -> LayerType | None:
    return REGISTRY.get(kind)


# ----------------------------------------------------------------------------- helpers the layer types share

def positive_ints(value: Any, count: int, what: str) -> tuple[int, ...]:
    """A config entry such as strides=(2, 2) (or 2) as `count` positive ints, or a failure."""
    if type(value) is int:
        value = [value] * count
    if not isinstance(value, (list, tuple)) or len(value) != count or any(type(v) is not int or v < 1 for v in value):
        fail(f"{what} should be {count} positive whole numbers, but it is {value!r}")
    return tuple(value)


def expect_weight_shapes(layer: LayerInfo, weights: Weights, expected: Mapping[str, tuple], what: str) -> None:
    """Fail unless the layer's weights have the shapes its input needs."""
    shapes = [tuple(w.shape) for w in weights.values()]
    wanted = [tuple(shape) for name, shape in expected.items() if name in weights]
    if shapes != wanted:
        fail(f"{what} returned a model whose {layer.kind} layer {layer.name!r} has weights of the shapes {shapes}; "
             f"its input needs {wanted}")


def expect_declared(step: Step, declared: Mapping[str, Any], actual: Mapping[str, Any], what: str) -> None:
    """Fail when a size the config declares (units=50) is not the one the weights have (kernel of 10 columns)."""
    for key, value in declared.items():
        if value is not None and value != actual[key]:
            fail(f"{what} returned a model whose {step.layer.kind} layer {step.layer.name!r} declares "
                 f"{key}={value!r} but has weights for {actual[key]!r}")


def kernel_and_bias(config: dict) -> tuple[str, ...]:
    """The weights of a layer with a kernel and, unless use_bias=False, a bias (Dense, Conv2D)."""
    return ("kernel", "bias") if config.get("use_bias", True) is not False else ("kernel",)


def elements(shape: tuple[int, ...]) -> int:
    return math.prod(shape)
