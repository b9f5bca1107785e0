"""Hidden checks for exercise 05: other data, other sizes, and a short real training run."""

import numpy as np
import pytest

from grader.authoring import keras_models
from grader.authoring import as_is, below, check_written_argument, check_written_default, fail, read_history, read_pair, when_raised
from grader.authoring import public_checks_of
from grader.authoring import Frame

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
    """regression_model(n_cols) takes the input shape (None, n_cols) for any number of predictors"""
    for n_cols in sorted({int(n) for n in rng.integers(2, 15, size=2)}):
        public.check_input_shape(submission.regression_model(n_cols), n_cols, f"regression_model({n_cols})")


@pytest.mark.points(5)
def test_fit_regression_model_learns(submission, rng):
    """fit_regression_model trains with a validation split and returns the trained model and its history"""
    # Few epochs over more rows: Keras spends most of a small fit on each epoch, not on each batch, so 3 epochs
    # over 12000 rows train the reference further than 40 over 300 did (to about 0.2 of the variance) in a fraction
    # of the time. The rows are as many as a model of another width or depth than the lab's needs to learn too
    # (two layers of 10 units, or one of 50, reach about 0.24 here; over 4000 rows they stayed above twice the
    # variance): training is what this check judges, the architecture has checks of its own.
    frame = public.concrete_frame(12000, int(rng.integers(1, 10**6)))
    predictors = Frame(tuple(public.PREDICTORS), {
        name: (frame.data[name] - frame.data[name].mean()) / frame.data[name].std() for name in public.PREDICTORS})
    target = frame.data["Strength"]
    epochs = 3
    with when_raised(lambda: public.model_root(submission, len(public.PREDICTORS))):   # name regression_model when it is wrong
        result = submission.fit_regression_model(predictors, public.Column("Strength", target), epochs=epochs)
    model, history = read_pair(result, "fit_regression_model", ("model", "history.history"), read=as_is)
    # One loss is what model.fit gives without epochs= (its default is 1): only the hint is chosen from the
    # submission's own history, never a pass.
    read_history(history, "fit_regression_model's second value", ("loss", "val_loss"), epochs=epochs,
                 missing={"val_loss": public.NO_VALIDATION}, one_epoch=public.EPOCHS_NOT_PASSED)
    keras_models.layers(model, "fit_regression_model")
    check_written_argument(submission, "fit_regression_model", "fit", "validation_split", 0.3, public.VALIDATION_FRACTION)
    rows = len(target)
    keras_models.check_fit_steps(model, keras_models.Fit(rows, epochs, validation_split=0.3), "fit_regression_model", (
        (public.EPOCHS_NOT_PASSED, keras_models.Fit(rows, 1, validation_split=0.3)),
        (public.NO_VALIDATION, keras_models.Fit(rows, epochs))))
    # What the model learned is measured here, from the weights it returned; the history is only the
    # submission's own report. Before training, a model of this shape predicts about 0. Only training is judged
    # here (the model's parts have checks of their own): a model unlike the lab's that learned passes, and one that
    # did not is told the part of it a model check names (a sigmoid output, another loss), if any.
    n_cols = len(public.PREDICTORS)
    outputs = keras_models.forward(model, predictors.matrix(), "fit_regression_model")
    if outputs.shape != (len(target), 1):
        fail(f"the returned model predicts {outputs.shape[1:]} values per row; a regression model predicts one "
             "strength per row", public.model_mistake(model, n_cols, "fit_regression_model")
             or public.model_root(submission, n_cols))
    predictions = outputs.reshape(-1)
    after = float(np.mean((predictions - target) ** 2))
    untrained, average = float(np.mean(target ** 2)), float(np.var(target))
    if not below(after, 0.6 * average):  # the reference reaches about 0.25 of it
        fail(f"the returned model's mean squared error on the data is {after:.4g}: an untrained model gets about "
             f"{untrained:.4g}, and always predicting the average strength gets {average:.4g}. After {epochs} epochs "
             "the lab's model does far better than the average: fit the model on (predictors, target) and return it.",
             public.model_mistake(model, n_cols, "fit_regression_model") or public.model_root(submission, n_cols))
    check_written_default(submission, "fit_regression_model", "epochs", 100, public.DEFAULT_EPOCHS)
