"""The layers as the checks read them: an activation layer folded into the layer before it.

Keras computes Dense(50) followed by Activation('relu'), layers.ReLU() or layers.Softmax() exactly as
Dense(50, activation='relu'): the same model in another spelling (a Softmax over the last axis is one whether it
says axis=-1 or gives that axis's number, when the layer before records the shape it was built for). So when an activation layer follows a layer
that applies its activation last (Dense, Conv2D) and whose own activation is linear, the view shows one layer
with that activation, and every check reading the view accepts both spellings. An activation layer anywhere else
(after a ReLU Dense layer, first in the model, a LeakyReLU where the lab has ReLU) stays, or folds under its own
name, so a different model still reads as different.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from grader.grading.keras_models.description import LayerInfo, described_layers
from grader.grading.keras_models.layer_types import layer_type


def layers(value: Any, what: str) -> list[LayerInfo]:
    """The model's layers in order, InputLayer excluded and activation layers folded where Keras computes the same."""
    view: list[LayerInfo] = []
    for layer in described_layers(value, what):
        before = view[-1] if view else None
        applied = _applied_activation(layer, before)
        if applied == "linear" and before is not None:   # Activation('linear') is the identity
            continue
        if applied is not None and before is not None and _takes_activation(before):
            view[-1] = replace(before, config={**before.config, "activation": applied})
        else:
            view.append(layer)
    return view


def _applied_activation(layer: LayerInfo, before: LayerInfo | None) -> str | None:
    runs_as = layer_type(layer.kind)
    return runs_as.applies(layer.config, _output_rank(before)) if runs_as is not None else None


def _output_rank(layer: LayerInfo | None) -> int | None:
    """How many axes the output of a layer that takes an activation has: as many as its input (Dense, Conv2D)."""
    if layer is None or layer.input_shape is None or not _takes_activation(layer):
        return None
    return len(layer.input_shape)


def _takes_activation(layer: LayerInfo) -> bool:
    runs_as = layer_type(layer.kind)
    return runs_as is not None and runs_as.takes_activation and layer.activation in (None, "linear")
