"""Running a submitted model in numpy from its description: planned and priced first, then run layer by layer.

The trusted side needs no TensorFlow for it: checks stay fast and never load anything the submission wrote.
Each layer is run by its class in the registry (`layers`), looked up by the Keras class name its description
carries; a layer with no class there is the student's failed check ("this check cannot run"), never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.grading.checklib import fail
from grader.grading.keras_models.budget import FORWARD_PASS_COST, ForwardPassCost, Deadline
from grader.grading.keras_models.description import as_description, check_one_chain, described_layers
from grader.grading.keras_models.layer_types import Step, layer_type


@dataclass(frozen=True)
class Cost:
    """What one forward pass costs: its multiply-adds, its largest array's bytes and the layer that makes it."""

    multiply_adds: int
    largest_bytes: int
    largest_layer: str


def plan(value: Any, input_shape: tuple, what: str, budget: ForwardPassCost | None = None) -> list[Step]:
    """The layers as the forward pass would run them on `input_shape` (batch axis first), each with
    its output shape and cost, read from the description alone: nothing is computed yet. With a
    budget, refused at the first layer that takes the total over it."""
    description = as_description(value, what)
    check_one_chain(value, what)
    batch, shape = int(input_shape[0]), tuple(int(n) for n in input_shape[1:])
    weights, steps = list(description.weights), []
    for layer in described_layers(value, what):
        runs_as = layer_type(layer.kind)
        if runs_as is None:
            fail(f"{what} returned a model with a {layer.kind} layer, which this check cannot run")
        names = runs_as.weight_names(layer.config)
        if len(weights) < len(names):
            fail(f"{what} returned a model whose weights do not match its layers")
        try:
            own = {name: np.asarray(array, dtype=float) for name, array in zip(names, weights)}
        except (TypeError, ValueError):
            fail(f"{what} returned a model whose weights are not numbers")
        weights = weights[len(names):]
        planned = runs_as.plan(layer, own, shape, what)
        steps.append(Step(layer, runs_as, own, shape, planned.output_shape, batch * planned.multiply_adds,
                          batch * 8 * max(planned.largest_elements, 1)))
        if budget is not None:
            _refuse_over_budget(steps, budget, what)
        shape = planned.output_shape
    return steps


def cost(steps: list[Step]) -> Cost:
    """What running `plan`'s steps costs: multiply-adds in all, and the largest array with its layer."""
    largest = max(steps, key=lambda step: step.largest_bytes, default=None)
    return Cost(sum(step.multiply_adds for step in steps), largest.largest_bytes if largest else 0,
                f"{largest.layer.kind} layer {largest.layer.name!r}" if largest else "")


def _refuse_over_budget(steps: list[Step], budget: ForwardPassCost, what: str) -> None:
    total = cost(steps)
    if total.largest_bytes > budget.max_array_mb * 2 ** 20:
        fail(f"your model is too large for this exercise: on the check's data its {total.largest_layer} "
             f"(from {what}) would make an array of {total.largest_bytes / 2 ** 20:,.0f} MB, at most "
             f"{budget.max_array_mb:,.0f} MB. Use the layer sizes the exercise asks for.")
    if total.multiply_adds > budget.max_multiply_adds:
        fail(f"your model is too large for this exercise: on the check's data it (from {what}) needs "
             f"{total.multiply_adds:,.0f} multiply-adds, at most {budget.max_multiply_adds:,.0f}. "
             "Use the layer sizes the exercise asks for.")


def forward(value: Any, inputs: np.ndarray, what: str, budget: ForwardPassCost = FORWARD_PASS_COST) -> np.ndarray:
    """The model's outputs on `inputs`, as Keras' predict computes them, from the submitted weights.

    The whole cost is computed from the description first and a model over `budget` is refused (the student's
    failed check) before any large array exists; then every layer's declared sizes are held to its weights."""
    outputs = np.asarray(inputs, dtype=float)
    steps = plan(value, outputs.shape, what, budget)
    for step in steps:
        step.runs_as.check_declared(step, what)
    deadline = Deadline(budget, what)
    for step in steps:
        deadline.check()
        outputs = step.runs_as.run(outputs, step, deadline)
    deadline.check()
    return outputs
