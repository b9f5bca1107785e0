"""The layers as the checks read them: an activation layer folded into the layer before it.

Keras computes Dense(50) followed by Activation('relu'), layers.ReLU() or layers.Softmax() exactly as
Dense(50, activation='relu'): the same model in another spelling (a Softmax over the last axis is one whether it
says axis=-1 or gives that axis's number, as the forward pass plans the shapes from the model's input). So when
an activation layer follows a layer that applies its activation last (Dense, Conv2D) and whose own activation is
linear, the view shows one layer with that activation, and every check reading the view accepts both spellings.
An activation layer anywhere else (after a ReLU Dense layer, first in the model, a LeakyReLU where the lab has
ReLU) stays, or folds under its own name, so a different model still reads as different.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from grader.grading.checklib import CheckFailed
from grader.grading.keras_models.description import LayerInfo, described_layers, input_shape
from grader.grading.keras_models.interpreter import plan
from grader.grading.keras_models.layer_types import layer_type


def layers(value: Any, what: str) -> list[LayerInfo]:
    """The model's layers in order, InputLayer excluded and activation layers folded where Keras computes the same."""
    view: list[LayerInfo] = []
    described = described_layers(value, what)
    ranks: list[int | None] | None = None   # planned only when an activation layer asks
    origin: list[int] = []                   # the described layer each entry of the view starts from
    for index, layer in enumerate(described):
        before = view[-1] if view else None
        folds = before is not None and _takes_activation(before)   # an activation layer here is before's activation
        runs_as = layer_type(layer.kind)
        rank = None
        if runs_as is not None and runs_as.needs_rank and folds:
            ranks = ranks if ranks is not None else _output_ranks(value, what, len(described))
            rank = ranks[origin[-1]]
        applied = runs_as.applies(layer.config, rank) if runs_as is not None else None
        if applied == "linear" and before is not None:   # Activation('linear') is the identity
            continue
        if applied is not None and before is not None and folds:
            view[-1] = replace(before, config={**before.config, "activation": applied})
        else:
            view.append(layer)
            origin.append(index)
    return view


def _output_ranks(value: Any, what: str, count: int) -> list[int | None]:
    """How many axes (batch included) each described layer's output has, as the forward pass plans it from the
    model's input shape; None for all when the model cannot be planned (then no axis is taken for the last)."""
    shape = input_shape(value)
    if not (isinstance(shape, list) and len(shape) >= 2 and all(type(size) is int and size > 0 for size in shape[1:])):
        return [None] * count
    try:
        steps = plan(value, (1, *shape[1:]), what)
    except CheckFailed:
        return [None] * count
    return [len(step.output_shape) + 1 for step in steps]


def _takes_activation(layer: LayerInfo) -> bool:
    runs_as = layer_type(layer.kind)
    return runs_as is not None and runs_as.takes_activation and layer.activation in (None, "linear")
