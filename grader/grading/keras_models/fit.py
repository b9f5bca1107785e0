"""The fit-step arithmetic: how many updates one model.fit makes, held against what the returned model made."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from grader.feedback.results import Hint
from grader.grading.checklib import fail
from grader.sandbox.wire import ModelDescription


def optimizer_steps(value: Any) -> int | None:
    """The updates the model's optimizer has made, when the model was compiled (Keras counts one per batch)."""
    return value.optimizer_steps if isinstance(value, ModelDescription) else None


@dataclass(frozen=True)
class Fit:
    """One call of model.fit as a check asks for it: on `rows` rows, for `epochs` epochs, in batches."""

    rows: int
    epochs: int
    batch_size: int = 32
    validation_split: float = 0.0

    @property
    def training_rows(self) -> int:
        """Keras trains on the first floor(rows * (1 - validation_split)) rows and validates on the rest."""
        if not self.validation_split:
            return self.rows
        return len(range(self.rows)[:int(math.floor(self.rows * (1.0 - self.validation_split)))])

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(self.training_rows / self.batch_size)

    @property
    def steps(self) -> int:
        return self.epochs * self.batches_per_epoch

    def shown(self) -> str:
        split = f", validation_split={self.validation_split}" if self.validation_split else ""
        return f"epochs={self.epochs}, batch_size={self.batch_size}{split}"


def check_fit_steps(value: Any, asked: Fit, what: str, mistakes: tuple[tuple[Hint, Fit], ...] = ()) -> None:
    """Fail unless the returned model's optimizer made exactly the updates one `model.fit` as asked makes.

    The count is read from the model the submission returned, like its weights, and can only fail a check
    (a model that also has to predict well), never pass one. A hint is given only when exactly one of the
    known `mistakes` (another epochs, batch size or split) makes that many updates. No count (an optimizer
    that counts otherwise, see the wire) or a count of 0 claims nothing: an optimizer compiled again after
    fitting starts from 0, and a model never fitted fails on what it predicts.
    """
    steps = optimizer_steps(value)
    if not steps or steps == asked.steps:
        return
    matching = [hint for hint, fit in mistakes if fit.steps == steps]
    hint = matching[0] if len(set(matching)) == 1 else None
    batches = asked.batches_per_epoch
    trains_on = f"trains on {asked.training_rows} of them, so it makes" if asked.validation_split else "makes"
    rule = (f"model.fit({asked.shown()}) on {asked.rows} rows {trains_on} {batches} batches per epoch: "
            f"{asked.epochs} x {batches} = {asked.steps} updates")
    fail(f"{what} returned a model whose optimizer made {steps} updates, but {rule}: fit it once, with the "
         "epochs and batch size the README gives", hint)
