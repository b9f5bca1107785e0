"""Keras models on the trusted side, read as data: what check files use of a submitted model.

One module per job, behind this one import path (`from grader.authoring import keras_models`):
- description: the architecture JSON, the layers as described, the input shape;
- view: the layers as the checks read them (an activation layer folded into the layer before it);
- compile_settings: loss, optimizer and metrics, one name for every spelling Keras treats as the same;
- fit: the updates one model.fit makes, held against what the returned model made;
- layers: the registry, one small class per Keras layer the grader runs (planning its cost, checking its
  weights, running it in numpy);
- interpreter: the model run in numpy from its weights, priced against a budget first;
- parts: what every exercise judges alike (the compile settings as part checks, the layers without activations).
Nothing here deserializes or loads what the submission sent.
"""

from grader.grading.keras_models.budget import FORWARD_PASS_COST, ForwardPassCost
from grader.grading.keras_models.compile_settings import (ACCURACY, EXACT_ACCURACY, LOSS_ALIASES, Metric,
                                                          history_key, loss_name, metric_names, metrics,
                                                          optimizer_name, reports_accuracy)
from grader.grading.keras_models.description import LayerInfo, architecture, described_layers, input_shape
from grader.grading.keras_models.fit import Fit, check_fit_steps, optimizer_steps
from grader.grading.keras_models.interpreter import Cost, cost, forward, plan
from grader.grading.keras_models.layer_types import Step
from grader.grading.keras_models.parts import LabCompile, dense_layers, structural_layers
from grader.grading.keras_models.view import layers

__all__ = ["ACCURACY", "FORWARD_PASS_COST", "ForwardPassCost", "Cost", "EXACT_ACCURACY", "Fit", "LOSS_ALIASES", "LabCompile", "LayerInfo", "Metric",
           "Step", "architecture", "check_fit_steps", "cost", "dense_layers", "described_layers", "forward", "history_key",
           "input_shape", "layers", "loss_name", "metric_names", "metrics", "optimizer_name", "optimizer_steps",
           "plan", "reports_accuracy", "structural_layers"]
