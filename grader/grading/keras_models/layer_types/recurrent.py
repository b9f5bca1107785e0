"""SimpleRNN and LSTM over (timesteps, features), returning the last output or the whole sequence."""

from __future__ import annotations

import numpy as np

from grader.grading.checklib import fail
from grader.grading.keras_models.activations import ACTIVATIONS, Activation, activation_of
from grader.grading.keras_models.budget import Deadline
from grader.grading.keras_models.description import LayerInfo
from grader.grading.keras_models.layer_types.base import (LayerType, Planned, Step, Weights, elements,
                                                          expect_declared, expect_weight_shapes, register)


class _Recurrent(LayerType):
    gates = 1

    def weight_names(self, config: dict) -> tuple[str, ...]:
        names = ("kernel", "recurrent_kernel", "bias")
        return names if config.get("use_bias", True) is not False else names[:2]

    def plan(self, layer: LayerInfo, weights: Weights, shape: tuple[int, ...], what: str) -> Planned:
        self.activations(layer, what)
        for option in ("go_backwards", "return_state", "stateful"):
            if layer.config.get(option):
                fail(f"this check can only run {layer.kind} without {option}=True")
        if len(shape) != 2:
            fail(f"{what} returned a model whose {layer.kind} layer gets inputs of shape {shape}; it needs (timesteps, features)")
        recurrent = weights["recurrent_kernel"]
        width = self.gates * (recurrent.shape[0] if recurrent.ndim == 2 else -1)
        units = recurrent.shape[0] if recurrent.ndim == 2 else -1
        expect_weight_shapes(layer, weights, {"kernel": (shape[1], width), "recurrent_kernel": (units, width),
                                              "bias": (width,)}, what)
        out = (shape[0], units) if layer.config.get("return_sequences") else (units,)
        return Planned(out, shape[0] * (shape[1] + units) * width, max(width, elements(out)))

    def check_declared(self, step: Step, what: str) -> None:
        expect_declared(step, {"units": step.layer.config.get("units")},
                        {"units": step.weights["recurrent_kernel"].shape[0]}, what)

    def activations(self, layer: LayerInfo, what: str) -> tuple[Activation, ...]:
        return (activation_of(layer, what),)

    def run(self, x: np.ndarray, step: Step, deadline: Deadline) -> np.ndarray:
        kernel, recurrent = step.weights["kernel"], step.weights["recurrent_kernel"]
        bias = step.weights.get("bias", 0.0)
        units = recurrent.shape[0]
        state = (np.zeros((len(x), units)), np.zeros((len(x), units)))
        activations = self.activations(step.layer, "the model")
        outputs = []
        for t in range(x.shape[1]):
            deadline.check()
            state = self.cell(x[:, t] @ kernel + state[0] @ recurrent + bias, state, activations)
            if step.layer.config.get("return_sequences"):
                outputs.append(state[0])
        return np.stack(outputs, axis=1) if step.layer.config.get("return_sequences") else state[0]

    def cell(self, z: np.ndarray, state: tuple[np.ndarray, np.ndarray],
             activations: tuple[Activation, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The next (output, carry) from the summed inputs z = x_t @ kernel + h @ recurrent_kernel + bias."""
        raise NotImplementedError


@register
class SimpleRNN(_Recurrent):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)."""

    kind = "SimpleRNN"

    def cell(self, z, state, activations):
        h = activations[0](z)
        return h, h


@register
class LSTM(_Recurrent):
    """Keras' gate order i, f, c, o: c_t = f * c_{t-1} + i * activation(g), h_t = o * activation(c_t), the gates
    through recurrent_activation (sigmoid by default)."""

    kind = "LSTM"
    gates = 4

    def activations(self, layer: LayerInfo, what: str) -> tuple[Activation, ...]:
        gate = layer.config.get("recurrent_activation", "sigmoid")
        if not isinstance(gate, str) or gate.lower() not in ACTIVATIONS:
            fail(f"{what} returned an LSTM layer with the recurrent_activation {gate!r}, which this check cannot run")
        return activation_of(LayerInfo(layer.kind, layer.name, {"activation": layer.config.get("activation", "tanh")}),
                             what), ACTIVATIONS[gate.lower()]

    def cell(self, z, state, activations):
        activation, gate = activations
        units = state[1].shape[1]
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = gate(f) * state[1] + gate(i) * activation(g)
        return gate(o) * activation(c), c
