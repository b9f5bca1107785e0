"""The files `grade new` writes, as text with $placeholders ($id, $number, $title, $module, $entry).

Two templates: numpy (one function with a worked example) and Keras (a tiny Dense model, its compile settings and
a short fit). Each file says in comments what to change. The stub is not here: it is generated from the
reference's solution regions (`grader.course.regions`). A case file holds its change to the reference ($change).
"""

from __future__ import annotations

from dataclasses import dataclass

LAB_STYLE = """\
## Lab-style code

You may hand in your lab notebook or an exported `.py` script as it is, or a folder (or zip) with helper modules \
beside it. The grader keeps only what the graded functions need: their definitions and the top-level lines \
computing the globals they read. Training runs, plots and unused imports are left out, and the feedback names \
each left-out cell and why (`grade --all-cells` runs everything).
"""

README_NOTE = """\
<!-- AUTHOR: the task, in the course's words. Keep these sections: `grade notebooks` makes one notebook cell of
each (title and introduction, What to write, Examples, Grading, Lab-style code). Name every hint's mistake under
Grading. Comments like this one are invisible in the rendered README and notebook; delete them when you are done.
After changing this file, run `grade notebooks` (`grade validate` says when the notebook is stale). -->
"""

REFERENCE_NOTE = """\
# AUTHOR: The reference solution, and the source of the stub: `grade new --sync $id` writes
# AUTHOR: exercises/$id/$entry from it (each BEGIN SOLUTION ... END SOLUTION region becomes a
# AUTHOR: NotImplementedError with the text after BEGIN SOLUTION; `x = value  # SOLUTION` becomes `x = ...`;
# AUTHOR: lines starting `# AUTHOR:` are left out) and `grade validate` fails while the two differ.
# AUTHOR: Everything outside the regions is what students start from: the docstrings say what to write."""

CASE_NOTE = """\
# A named mistake: the reference with the change below (whole lines, `old` as it is in the reference), beside the
# verdict grading it must give. `grade validate` grades it and compares; `grade audit` takes it as what the hint's
# mistake looks like. Add one case per hint (the format is in grader/audit/cases.py). Change: the mistake in words,
# the change, the score, and every check that does not pass.
"""

AUDIT = """\
# How `grade audit` compares this exercise's functions with the reference (docs/authoring.md).
# Change: list functions that return random draws (compared by shape only), and changes the README accepts as
# right, e.g.
#   random: [initialize_weights]
#   accepted:
#     - function: $function
#       change: "Mult -> Div"          # as the audit's report words the mutant
#       why: "the README accepts ..."
random: []
accepted: []
"""


@dataclass(frozen=True)
class Template:
    """One kind of exercise: its files (path below the course -> text) and its course.yaml settings."""

    function: str                      # the example function, named in the audit.yaml comment
    requires: tuple[str, ...]
    limits: tuple[tuple[str, int], ...]
    points: int                        # what the template's checks are worth
    files: tuple[tuple[str, str], ...]
    case: str                          # the case file's name
    case_change: tuple[str, str]       # (old, new) whole lines: the case's submission is the reference so changed


def change_block(old: str, new: str) -> str:
    """A case's `change:` in the YAML of grader/audit/cases.py: `old` and `new` as block scalars keeping their
    own indentation."""
    def block(text: str) -> str:
        return "".join(f"    {line}\n" for line in text.splitlines())

    return f"change:\n- old: |2\n{block(old)}  new: |2\n{block(new)}"


NUMPY_README = README_NOTE + """\
# Exercise $number — $title

*$module.* Change: one paragraph on the concept, as the lecture puts it. The example: the **mean squared
error** of a prediction is the mean of the squared differences between the targets and the predictions,

```
mse = ((y1 - p1)^2 + (y2 - p2)^2 + ... + (yn - pn)^2) / n
```

## What to write (in `$entry`)

<!-- AUTHOR: one row per function, with the course's names and calling conventions. -->

| function | returns |
|---|---|
| `mean_squared_error(y_true, y_pred)` | the mean of `(y_true - y_pred) ** 2` for 1-D numpy arrays of the same length |

## Examples

<!-- AUTHOR: the worked examples the public checks use, with their numbers. -->

- `mean_squared_error(np.array([1, 2, 3]), np.array([1, 2, 5]))` is `4 / 3 = 1.3333...`: the differences are
  `0, 0, -2`, their squares `0, 0, 4`.

## Grading

```
grade exercises/$id
```

Public checks (`public_checks.py`) use the example above; hidden checks use random arrays from a recorded seed.
Hints name the usual mistakes: the sum of the squared differences instead of their mean.

""" + LAB_STYLE

NUMPY_REFERENCE = '''\
"""Exercise $number: $title.

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/$id
"""
''' + REFERENCE_NOTE + '''
# AUTHOR: Change: replace mean_squared_error with your exercise's functions (the course's names).

import numpy as np


def mean_squared_error(y_true, y_pred):
    """Return the mean of the squared differences between y_true and y_pred (1-D numpy arrays)."""
    # BEGIN SOLUTION: compute the mean squared error
    return np.mean((y_true - y_pred) ** 2)
    # END SOLUTION
'''

NUMPY_PUBLIC = '''\
"""Public checks for exercise $number: the README's worked example.

You may read these. They run against your file through `grade exercises/$id`;
hidden checks with random inputs run as well when your work is graded.
"""
# Change: one check per README example. A check is a module-level function test_* marked @pytest.mark.points(n)
# that asks for the grader's fixtures by name: submission (the student's module, each call run in the sandbox),
# rng or seed; never reference (hidden checks only: the student release has no solutions/). Its docstring's first
# line is its name in the feedback. A Hint names a known mistake: declare each in a case file
# (solutions/$id/cases/) and name it in README.md's Grading section. Import only from grader.authoring.

import numpy as np
import pytest

from grader.authoring import Hint, expect_close

SUM_NOT_MEAN = Hint("sum-not-mean", "Take the mean of the squared differences, not their sum: np.mean(...), "
                    "or divide the sum by the number of values.")

Y_TRUE = np.array([1.0, 2.0, 3.0])
Y_PRED = np.array([1.0, 2.0, 5.0])


def mse_mistakes(y_true, y_pred):
    """The known wrong formulas, each with its hint (the hidden checks use them too): expect_close names the one
    whose value the submission returned."""
    return {SUM_NOT_MEAN: np.sum((y_true - y_pred) ** 2)}


@pytest.mark.points(1)
def test_mse_worked_example(submission):
    """mean_squared_error of the README's worked example"""
    expect_close(submission.mean_squared_error(Y_TRUE, Y_PRED), 4 / 3, "mean_squared_error([1, 2, 3], [1, 2, 5])",
                 wrong=mse_mistakes(Y_TRUE, Y_PRED))
'''

NUMPY_HIDDEN = '''\
"""Hidden checks for exercise $number: random inputs from a recorded seed."""
# Change: checks with random inputs drawn from `rng` (seeded per check, the seed recorded in the feedback), so a
# hard-coded example earns only the public points. Hidden checks may ask for `reference`, the reference solution
# loaded in the grader's process. The grader adds "(hidden)" to these checks' names itself: do not write it.
# The points of all checks must add up to `points:` in course.yaml.

import pytest

from grader.authoring import expect_close, public_checks_of, show

public = public_checks_of(__file__)   # the public checks' hints and helpers


@pytest.mark.points(2)
def test_mse_random(submission, rng, reference):
    """mean_squared_error for random arrays"""
    for size in (3, 7):
        y_true = rng.normal(size=size).round(3)
        y_pred = rng.normal(size=size).round(3)
        expect_close(submission.mean_squared_error(y_true, y_pred), float(reference.mean_squared_error(y_true, y_pred)),
                     f"mean_squared_error({show(y_true)}, {show(y_pred)})", wrong=public.mse_mistakes(y_true, y_pred))
'''

NUMPY_CASE = CASE_NOTE + """\
kind: mistake
mistake: the sum of the squared differences instead of their mean
$change
status: graded
score: 0
checks:
  public/mse_worked_example: {outcome: failed, hint: sum-not-mean}
  hidden/mse_random: {outcome: failed, hint: sum-not-mean}
"""

KERAS_README = README_NOTE + """\
# Exercise $number — $title

*$module.* Change: one paragraph on the concept, as the lecture puts it. The example: a small **regression
network** of Dense layers, compiled with the Adam optimizer and the mean squared error, then fitted.

## What to write (in `$entry`)

<!-- AUTHOR: one row per function, with the course's names and calling conventions. -->

| function | returns |
|---|---|
| `dense_model(n_inputs)` | a compiled `Sequential` model: `Input(shape=(n_inputs,))`, `Dense(8, activation='relu')`, `Dense(1)`; `optimizer='adam'`, `loss='mean_squared_error'` |
| `fit_dense_model(X, y, epochs=5)` | `(model, history.history)`: `dense_model` for `X`'s columns, fitted with `model.fit(X, y, epochs=epochs, verbose=0)` |

## Examples

<!-- AUTHOR: what the public checks call, and what they expect. -->

- `dense_model(4)` has the layers `Dense(8)` (ReLU) and `Dense(1)` (linear), and the input shape `(None, 4)`.

## Grading

```
grade exercises/$id
```

Public checks (`public_checks.py`) read the model's layers and compile settings; hidden checks build it for
other inputs and fit it briefly on generated data. Hints name the usual mistakes: a loss other than the mean
squared error.

""" + LAB_STYLE

KERAS_REFERENCE = '''\
"""Exercise $number: $title.

Read README.md in this folder, replace each `raise NotImplementedError(...)` with your code,
then run:  grade exercises/$id
"""
''' + REFERENCE_NOTE + '''
# AUTHOR: Change: replace dense_model and fit_dense_model with your exercise's functions (the course's names).

from keras.layers import Dense, Input
from keras.models import Sequential


def dense_model(n_inputs):
    """A compiled Sequential model: Input(shape=(n_inputs,)), Dense(8, activation='relu'), Dense(1);
    optimizer='adam', loss='mean_squared_error'."""
    # BEGIN SOLUTION: build and compile the model
    model = Sequential()
    model.add(Input(shape=(n_inputs,)))
    model.add(Dense(8, activation="relu"))
    model.add(Dense(1))
    model.compile(optimizer="adam", loss="mean_squared_error")
    return model
    # END SOLUTION


def fit_dense_model(X, y, epochs=5):
    """Build dense_model for X's columns, fit it with model.fit(X, y, epochs=epochs, verbose=0) and return
    (model, history.history)."""
    # BEGIN SOLUTION: fit the model
    model = dense_model(X.shape[1])
    history = model.fit(X, y, epochs=epochs, verbose=0)
    return model, history.history
    # END SOLUTION
'''

KERAS_PUBLIC = '''\
"""Public checks for exercise $number: the model's layers and compile settings.

You may read these. They run against your file through `grade exercises/$id`;
hidden checks build the model for other inputs and fit it when your work is graded.
"""
# Change: one check per part of the model the README asks for, each with its own points, so a model with one part
# unlike the README's keeps the others' points. A Keras model crosses as data: keras_models reads its layers
# (kind, units, activation, config), input shape, loss, optimizer and metrics in every spelling Keras accepts. A
# check asks for the grader's fixtures by name (submission, rng, seed; never reference: hidden checks only). Its
# docstring's first line is its name in the feedback. Declare each Hint in a case file (solutions/$id/cases/)
# and name it in README.md's Grading section. Import only from grader.authoring.

import pytest

from grader.authoring import Hint, fail, keras_models

WRONG_LOSS = Hint("wrong-loss-for-regression", "A regression network is compiled with loss='mean_squared_error'.")
NOT_COMPILED = Hint("model-not-compiled", "Compile the model before returning it: "
                    "model.compile(optimizer='adam', loss='mean_squared_error').")
# The compile settings the README asks for; its check_compiled/check_loss/check_optimizer read every spelling.
COMPILE = keras_models.LabCompile(loss="mean_squared_error", not_compiled=NOT_COMPILED, wrong_loss=WRONG_LOSS,
                                  wrong_optimizer=None)


def check_layers(model, n_inputs, what):
    """Dense(8, relu) then Dense(1, linear), taking n_inputs values (the hidden checks ask here too)."""
    layers = keras_models.layers(model, what)
    found = [(layer.kind, layer.units, layer.activation) for layer in layers]
    want = [("Dense", 8, "relu"), ("Dense", 1, "linear")]
    if found != want:
        fail(f"{what} returned the layers {found} (kind, units, activation); expected {want}")
    shape = keras_models.input_shape(model)
    if shape is None or list(shape) != [None, n_inputs]:
        fail(f"{what} returned a model whose input shape is {shape}; expected (None, {n_inputs})")


@pytest.mark.points(1)
def test_dense_model_layers(submission):
    """dense_model(4) has the README's layers and input shape"""
    check_layers(submission.dense_model(4), 4, "dense_model(4)")


@pytest.mark.points(1)
def test_dense_model_compiled(submission):
    """dense_model(4) is compiled with adam and the mean squared error"""
    model = submission.dense_model(4)
    COMPILE.check_loss(model, "dense_model(4)")
    COMPILE.check_optimizer(model, "dense_model(4)")
'''

KERAS_HIDDEN = '''\
"""Hidden checks for exercise $number: the model for other inputs, and a short fit on generated data."""
# Change: checks with inputs drawn from `rng` (seeded per check, the seed recorded in the feedback). Generate small
# data here: nothing is downloaded at grading time. Fits cost time: keep them tiny (rows, epochs), and judge what
# the fit must change (the history, the optimizer's updates, the weights' predictions run in numpy by
# keras_models.forward). The grader adds "(hidden)" to these checks' names itself: do not write it. The points
# of all checks must add up to `points:` in course.yaml.

import numpy as np
import pytest

from grader.authoring import as_is, expect_shape, keras_models, public_checks_of, read_history, read_pair

public = public_checks_of(__file__)   # the public checks' hints and helpers

ROWS, EPOCHS = 64, 3


@pytest.mark.points(1)
def test_dense_model_other_inputs(submission, rng):
    """dense_model for another number of inputs"""
    n_inputs = int(rng.integers(2, 9))
    public.check_layers(submission.dense_model(n_inputs), n_inputs, f"dense_model({n_inputs})")


@pytest.mark.points(2)
def test_fit_dense_model(submission, rng):
    """fit_dense_model trains for the epochs it is given"""
    X = rng.normal(size=(ROWS, 3)).astype("float32")
    y = (X @ np.array([1.0, -2.0, 0.5])).astype("float32")
    what = f"fit_dense_model(X, y, epochs={EPOCHS})"
    model, history = read_pair(submission.fit_dense_model(X, y, epochs=EPOCHS), what, ("model", "history.history"),
                               as_is)
    read_history(history, what, ("loss",), epochs=EPOCHS)
    keras_models.check_fit_steps(model, keras_models.Fit(ROWS, EPOCHS), what)
    expect_shape(keras_models.forward(model, X, what), (ROWS, 1), "the returned model, run on X,")
'''

KERAS_CASE = CASE_NOTE + """\
kind: mistake
mistake: the model is compiled with the mean absolute error
$change
status: graded
score: 4
checks:
  public/dense_model_compiled: {outcome: failed, hint: wrong-loss-for-regression}
"""

NUMPY = Template(
    function="mean_squared_error", requires=("numpy",), limits=(("call_seconds", 5),), points=3,
    files=(("exercises/$id/README.md", NUMPY_README), ("exercises/$id/public_checks.py", NUMPY_PUBLIC),
           ("solutions/$id/$entry", NUMPY_REFERENCE), ("solutions/$id/hidden_checks.py", NUMPY_HIDDEN),
           ("solutions/$id/cases/sum_not_mean.yaml", NUMPY_CASE), ("solutions/$id/audit.yaml", AUDIT)),
    case="sum_not_mean", case_change=("    return np.mean((y_true - y_pred) ** 2)\n",
                                      "    return np.sum((y_true - y_pred) ** 2)\n"),
)

KERAS = Template(
    function="dense_model", requires=("numpy", "tensorflow"),
    limits=(("call_seconds", 60), ("total_seconds", 240), ("memory_mb", 2048)), points=5,
    files=(("exercises/$id/README.md", KERAS_README), ("exercises/$id/public_checks.py", KERAS_PUBLIC),
           ("solutions/$id/$entry", KERAS_REFERENCE), ("solutions/$id/hidden_checks.py", KERAS_HIDDEN),
           ("solutions/$id/cases/loss_mean_absolute_error.yaml", KERAS_CASE), ("solutions/$id/audit.yaml", AUDIT)),
    case="loss_mean_absolute_error",
    case_change=('    model.compile(optimizer="adam", loss="mean_squared_error")\n',
                 '    model.compile(optimizer="adam", loss="mean_absolute_error")\n'),
)
