"""The layers as the checks read them: an activation layer folded into the layer before it.

Keras computes Dense(50) followed by Activation('relu'), layers.ReLU() or layers.Softmax() exactly as
Dense(50, activation='relu'): the same model in another spelling. So when an activation layer follows a layer
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
        applied = _applied_activation(layer)
        before = view[-1] if view else None
        if applied == "linear" and before is not None:   # Activation('linear') is the identity
            continue
        if applied is not None and before is not None and _takes_activation(before):
            view[-1] = replace(before, config={**before.config, "activation": applied})
        else:
            view.append(layer)
    return view


def _applied_activation(layer: LayerInfo) -> str | None:
    runs_as = layer_type(layer.kind)
    return runs_as.applies(layer.config) if runs_as is not None else None


def _takes_activation(layer: LayerInfo) -> bool:
    runs_as = layer_type(layer.kind)
    return runs_as is not None and runs_as.takes_activation and layer.activation in (None, "linear")
