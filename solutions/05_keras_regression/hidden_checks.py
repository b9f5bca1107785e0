"""Hidden checks for exercise 05: other data, other sizes, and a short real training run."""

import numpy as np
import pytest

from grader.checks import keras_models
from grader.checks import SubmissionFailure, as_pair, check_written_argument, check_written_default, fail
from grader.checks import public_checks_of, show
from grader.checks import Frame

public = public_checks_of(__file__)


@pytest.mark.points(3)
def test_split_with_other_columns_order(submission, rng):
    """split_predictors_target works for any column order and size (it selects 'Strength' by name)"""
    order = list(public.CONCRETE_COLUMNS)
    rng.shuffle(order)
    public.check_split(submission, public.concrete_frame(int(rng.integers(20, 80)), int(rng.integers(1, 10**6)), order))


@pytest.mark.points(3)
def test_normalize_other_data(submission, rng):
    """normalize standardizes other data column by column"""
    frame = public.concrete_frame(int(rng.integers(30, 90)), int(rng.integers(1, 10**6)))
    public.check_normalized(submission, Frame(tuple(public.PREDICTORS), {n: frame.data[n] for n in public.PREDICTORS}))


@pytest.mark.points(4)
def test_regression_model_other_sizes(submission, rng):
    """regression_model(n_cols) adapts its input to any number of predictors"""
    for n_cols in sorted({int(n) for n in rng.integers(2, 15, size=2)}):
        public.check_regression_model(submission.regression_model(n_cols), n_cols, f"regression_model({n_cols})")


@pytest.mark.points(5)
def test_fit_regression_model_learns(submission, rng):
    """fit_regression_model trains with a validation split and returns the trained model and its history"""
    # Few epochs over more rows: Keras spends most of a small fit on each epoch, not on each batch, so 3 epochs
    # over 4000 rows train the reference as far as 40 over 300 did (about 0.24 of the variance) in a third of the time.
    frame = public.concrete_frame(4000, int(rng.integers(1, 10**6)))
    predictors = Frame(tuple(public.PREDICTORS), {
        name: (frame.data[name] - frame.data[name].mean()) / frame.data[name].std() for name in public.PREDICTORS})
    target = frame.data["Strength"]
    epochs = 3
    try:
        result = submission.fit_regression_model(predictors, public.Column("Strength", target), epochs=epochs)
    except SubmissionFailure as failure:   # it raised: name regression_model when that is what is wrong
        if failure.outcome.value == "error":
            failure.hint = failure.hint or public.model_root(submission, len(public.PREDICTORS))
        raise
    model, history = as_pair(result, "fit_regression_model", "(model, history.history)")
    if type(history) is not dict or "loss" not in history:
        fail(f"the second value should be history.history, a dict with 'loss', but it is {show(history)}")
    if "val_loss" not in history:
        fail(f"the history has the keys {sorted(history)}", public.NO_VALIDATION)
    if type(history["loss"]) is not list or len(history["loss"]) != epochs:
        # One loss is what model.fit gives without epochs= (its default is 1): only the hint is chosen from the
        # submission's own history, never a pass.
        fail(f"fit_regression_model(..., epochs={epochs}) should train for {epochs} epochs and return history.history, "
             f"one loss per epoch; its 'loss' is {show(history['loss'])}",
             public.EPOCHS_NOT_PASSED if type(history["loss"]) is list and len(history["loss"]) == 1 else None)
    public.check_trained_model(submission, model, len(public.PREDICTORS), "fit_regression_model")
    check_written_argument(submission, "fit_regression_model", "fit", "validation_split", 0.3, public.VALIDATION_FRACTION)
    rows = len(target)
    keras_models.check_fit_steps(model, keras_models.Fit(rows, epochs, validation_split=0.3), "fit_regression_model", (
        (public.EPOCHS_NOT_PASSED, keras_models.Fit(rows, 1, validation_split=0.3)),
        (public.NO_VALIDATION, keras_models.Fit(rows, epochs))))
    # What the model learned is measured here, from the weights it returned; the history is only the
    # submission's own report. Before training, a model of this shape predicts about 0.
    predictions = keras_models.forward(model, predictors.matrix(), "fit_regression_model").reshape(-1)
    after = float(np.mean((predictions - target) ** 2))
    untrained, average = float(np.mean(target ** 2)), float(np.var(target))
    if not after < 0.6 * average:  # the reference reaches about 0.25 of it
        fail(f"the returned model's mean squared error on the data is {after:.4g}: an untrained model gets about "
             f"{untrained:.4g}, and always predicting the average strength gets {average:.4g}. After {epochs} epochs "
             "the lab's model does far better than the average: fit the model on (predictors, target) and return it.")
    check_written_default(submission, "fit_regression_model", "epochs", 100, public.DEFAULT_EPOCHS)
