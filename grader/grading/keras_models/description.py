"""A Keras model description read as data: its architecture JSON, its layers, its input shape.

The trusted side never deserializes a submitted model: it reads names and numbers from the JSON the
sandbox sent (see grader.sandbox.wire.ModelDescription) and nothing in it is ever loaded or imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from grader.grading.checklib import fail
from grader.sandbox.wire import ModelDescription


# TensorFlow's own functions Keras serializes by their Python name rather than an activation's ("softmax_v2" for
# `activation=tf.nn.softmax`, the spelling of TensorFlow's tutorials): the activation each computes. Keras writes
# a student's own function named softmax_v2 alike, as it writes one named relu as 'relu': a name is all it keeps.
TENSORFLOW_NAMES = {"softmax_v2": "softmax", "log_softmax_v2": "log_softmax", "exp": "exponential",
                    "identity": "linear"}


@dataclass(frozen=True)
class LayerInfo:
    """One layer as the description lists it: its Keras class name, its name and its config."""

    kind: str                      # the Keras class name: Dense, Conv2D, LSTM ...
    name: str
    config: dict = field(default_factory=dict)

    @property
    def units(self) -> int | None:
        return self.config.get("units")

    @property
    def activation(self) -> str | None:
        activation = self.config.get("activation")
        if isinstance(activation, dict):
            inner = activation.get("config")
            if isinstance(inner, str):     # a function Keras does not name: tf.nn.softmax is 'softmax_v2'
                return TENSORFLOW_NAMES.get(inner, inner).lower()
            named = inner.get("name") if isinstance(inner, dict) else None   # an Activation object serialized
            return str(named or activation.get("class_name", "")).lower()
        return activation.lower() if isinstance(activation, str) else activation


def as_description(value: Any, what: str) -> ModelDescription:
    if not isinstance(value, ModelDescription):
        fail(f"{what} should return a Keras model, but it returned {type(value).__name__}")
    return value


def architecture(value: Any, what: str) -> dict:
    """The model's architecture JSON as a dict, read as data (never deserialized); a failure when it is no model."""
    description = as_description(value, what)
    try:
        data = json.loads(description.architecture)
    except (ValueError, RecursionError):
        fail(f"{what} returned a model whose architecture could not be read")
    if not isinstance(data, dict):
        fail(f"{what} returned a model whose architecture could not be read")
    return data


def described_layers(value: Any, what: str) -> list[LayerInfo]:
    """Every layer in the order the description lists it, InputLayer excluded (keras.Input is the input shape)."""
    data = architecture(value, what)
    config = data.get("config", {}) if isinstance(data.get("config"), dict) else {}
    found = []
    for layer in config.get("layers", []) or []:
        if not isinstance(layer, dict):
            continue
        kind = str(layer.get("class_name", ""))
        if kind == "InputLayer":
            continue
        given = layer.get("config")
        layer_config: dict = given if isinstance(given, dict) else {}
        found.append(LayerInfo(kind, str(layer_config.get("name", "")), layer_config))
    return found


def check_one_chain(value: Any, what: str) -> None:
    """A model of the Functional API runs as a list only when each layer takes the output of the one before it.

    Sequential models are chains by construction; a Functional model with branches (two heads, a skip) is
    refused rather than run in the wrong order."""
    data = architecture(value, what)
    given = data.get("config")
    config: dict = given if isinstance(given, dict) else {}
    described = config.get("layers")
    listed = [layer for layer in described if isinstance(layer, dict)] if isinstance(described, list) else []
    if not any("inbound_nodes" in layer for layer in listed):
        return
    previous = None
    for layer in listed:
        nodes = layer.get("inbound_nodes") or []
        sources = [_source(argument) for node in nodes if isinstance(node, dict)
                   for argument in (node.get("args") or [])] if isinstance(nodes, list) else [None]
        if previous is not None and sources != [previous]:
            fail(f"{what} returned a model whose layers are not one chain ({layer.get('name')!r} does not take the "
                 f"output of {previous!r}), which this check cannot run: build it as one stack of layers")
        previous = layer.get("name")
    outputs = config.get("output_layers")
    if isinstance(outputs, list) and len(outputs) == 1 and isinstance(outputs[0], list):
        outputs = outputs[0]
    if not (isinstance(outputs, list) and outputs and outputs[0] == previous):
        fail(f"{what} returned a model whose output is not its last layer {previous!r}, which this check cannot run: "
             "build it as one stack of layers")


def _source(argument: Any) -> Any:
    """The layer name a Functional node's argument comes from (its keras_history), or None."""
    config = argument.get("config") if isinstance(argument, dict) else None
    history = config.get("keras_history") if isinstance(config, dict) else None
    return history[0] if isinstance(history, list) and history else None


def input_shape(value: Any) -> list | None:
    """The model's input shape as the description gives it ([None, 8] for 8 predictors), or None when it has none."""
    return value.input_shape if isinstance(value, ModelDescription) else None
