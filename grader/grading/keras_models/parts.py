"""The parts of a lab's model every Keras exercise judges alike: how it is compiled, and its layers without the
activation layers.

An exercise judges its model one part at a time (layers, activations, input shape, loss, optimizer, metric), each
with its own points, so a model with one part unlike the lab's keeps the others'. Every part check is called the
same way, `part(model, *sizes, what)` (the exercise's sizes, then the call as the message names it), so that one
tuple of them (`MODEL_PARTS`) serves `first_hint` and the check of the whole model. `LabCompile` gives the three
compile-setting parts in that form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.feedback.results import Hint
from grader.grading.keras_models.compile_settings import EXACT_ACCURACY, loss_name, metric_names, optimizer_name, \
    reports_accuracy
from grader.grading.keras_models.description import LayerInfo
from grader.grading.keras_models.view import layers
from grader.grading.verdicts import fail

__all__ = ["LabCompile", "structural_layers", "dense_layers"]


def structural_layers(model: Any, what: str) -> list[LayerInfo]:
    """The model's layers (as `layers` shows them) without Activation layers: an activation is judged as its
    layer's property, so a layer list is compared by what the lab asks of each layer (its kind and sizes)."""
    return [layer for layer in layers(model, what) if layer.kind != "Activation"]


def dense_layers(model: Any, what: str) -> list[LayerInfo]:
    """The model's Dense layers, in order."""
    return [layer for layer in layers(model, what) if layer.kind == "Dense"]


@dataclass(frozen=True)
class LabCompile:
    """How the lab compiles its model, with the hint for each way a model may differ; its methods are the
    compile-setting part checks, called as every part check is: `(model, *sizes, what)` (the sizes are not needed
    here, `what` is the last argument).

    `loss`: the loss's canonical name (`loss_name`), or a tuple of the names the README accepts; `wrong_loss` is
    the hint for another loss and `without_loss` for none (the same hint unless given); `missing_accuracy`: the
    hint when the lab reports accuracy and the model does not (None: the lab asks for no metric)."""

    loss: str | tuple[str, ...]
    not_compiled: Hint
    wrong_loss: Hint | None
    wrong_optimizer: Hint | None
    missing_accuracy: Hint | None = None
    optimizer: str = "adam"
    without_loss: Hint | None | bool = True    # True: the same hint as wrong_loss

    def check_compiled(self, model: Any, *sizes_and_what: Any) -> None:
        """The model is compiled (it is a model, and compile was called)."""
        what = sizes_and_what[-1]
        layers(model, what)
        if not model.compile:
            fail(f"{what} returned a model that is not compiled", self.not_compiled)

    def check_loss(self, model: Any, *sizes_and_what: Any) -> None:
        """Compiled with the lab's loss, in any spelling Keras treats as the same."""
        self.check_compiled(model, *sizes_and_what)
        what = sizes_and_what[-1]
        loss = loss_name(model)
        accepted = (self.loss,) if isinstance(self.loss, str) else self.loss
        if loss is None:
            fail(f"{what} returned a model compiled without a loss",
                 self.wrong_loss if self.without_loss is True else self.without_loss or None)
        if loss not in accepted:
            fail(f"the model is compiled with the loss {loss!r}", self.wrong_loss)

    def check_optimizer(self, model: Any, *sizes_and_what: Any) -> None:
        """Compiled with the lab's optimizer (a class name in any spelling: 'adam', 'Adam', Adam())."""
        self.check_compiled(model, *sizes_and_what)
        optimizer = optimizer_name(model)
        if optimizer != self.optimizer:
            fail(f"the model is compiled with the optimizer {optimizer!r}; the lab uses {self.optimizer!r}",
                 self.wrong_optimizer if optimizer is not None else None)

    def check_metric(self, model: Any, *sizes_and_what: Any) -> None:
        """Reports accuracy in any spelling Keras computes the same way for one-hot labels: 'accuracy', 'acc',
        'categorical_accuracy', CategoricalAccuracy() with any name."""
        self.check_compiled(model, *sizes_and_what)
        if not reports_accuracy(model):
            names = metric_names(model)
            exact = (": keras.metrics.Accuracy() counts outputs equal to their one-hot labels, which probabilities "
                     "never are; metrics=['accuracy'] (or CategoricalAccuracy()) counts the most probable class"
                     if EXACT_ACCURACY in names else "")
            fail(f"the model reports the metrics {names}{exact}", self.missing_accuracy)
