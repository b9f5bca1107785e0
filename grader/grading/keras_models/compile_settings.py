"""A model's compile settings in every spelling Keras treats as the same: one name each.

Keras takes a loss, an optimizer or a metric as a string ('mse', 'Adam'), an object (MeanSquaredError(),
keras.optimizers.Adam()) or a function (keras.losses.mean_squared_error); get_compile_config() then holds the
string, the serialized object ({"class_name": "Adam", "config": {...}}) or {"class_name": "function", "config":
"mean_squared_error"}. Checks read them only through the functions below, so every spelling Keras treats as the
same is one name here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.sandbox.wire import ModelDescription

LOSS_ALIASES = {
    "mse": "mean_squared_error", "meansquarederror": "mean_squared_error", "mean_squared_error": "mean_squared_error",
    "mae": "mean_absolute_error", "meanabsoluteerror": "mean_absolute_error", "mean_absolute_error": "mean_absolute_error",
    "categoricalcrossentropy": "categorical_crossentropy", "categorical_crossentropy": "categorical_crossentropy",
    "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "binarycrossentropy": "binary_crossentropy", "binary_crossentropy": "binary_crossentropy",
}


def _compile_setting(value: Any, key: str) -> Any:
    compile_config = value.compile if isinstance(value, ModelDescription) else None
    return compile_config.get(key) if isinstance(compile_config, dict) else None


def _spelled(entry: Any) -> str | None:
    """The name a compile setting is spelled with: a string as given, a serialized object's class name, a
    function's own name."""
    if isinstance(entry, dict):
        kind, config = entry.get("class_name"), entry.get("config")
        if kind == "function" and isinstance(config, str):
            return config
        entry = kind if isinstance(kind, str) and kind else (config.get("name") if isinstance(config, dict) else None)
    return entry if isinstance(entry, str) else None


def _key(name: str) -> str:
    """'Mean_Squared Error' and 'meansquarederror' alike: lower case, without underscores and spaces."""
    return name.replace("_", "").replace(" ", "").lower()


def loss_name(value: Any) -> str | None:
    """The loss as a canonical name ('mean_squared_error' for 'mse', 'MeanSquaredError', MeanSquaredError() and
    keras.losses.mean_squared_error), or None when the model has no loss."""
    loss = _spelled(_compile_setting(value, "loss"))
    if loss is None:
        return None
    return LOSS_ALIASES.get(_key(loss), loss.lower())


def optimizer_name(value: Any) -> str | None:
    """The optimizer's class as a lower-case name ('adam' for 'adam', 'Adam' and keras.optimizers.Adam(...))."""
    optimizer = _spelled(_compile_setting(value, "optimizer"))
    return _key(optimizer) if optimizer is not None else None


ACCURACY = "accuracy"
EXACT_ACCURACY = "exact_accuracy"
_ACCURACY_KINDS = {"accuracy": ACCURACY, "acc": ACCURACY, "categoricalaccuracy": ACCURACY}


@dataclass(frozen=True)
class Metric:
    """One metric a model was compiled with: what it computes (`kind`) and the name Keras records it under in
    the history (`name`; `val_<name>` for the validation data)."""

    kind: str
    name: str


def metrics(value: Any) -> list[Metric]:
    """The model's metrics. 'accuracy' and 'acc' (in any case) are the accuracy that fits the targets, which for
    one-hot targets and softmax outputs is the categorical accuracy; so 'categorical_accuracy', CategoricalAccuracy()
    (with any name=) and keras.metrics.categorical_accuracy are ACCURACY too. keras.metrics.Accuracy() is not: it
    counts predictions equal to their labels (EXACT_ACCURACY), which probabilities never are."""
    found: list[Metric] = []
    _collect_metrics(_compile_setting(value, "metrics"), found, 0)
    return found


def _collect_metrics(entry: Any, found: list[Metric], depth: int) -> None:
    if depth > 4 or len(found) > 50:
        return
    if isinstance(entry, list):
        for item in entry:
            _collect_metrics(item, found, depth + 1)
        return
    if isinstance(entry, dict) and "class_name" not in entry:     # {output name: metrics} of a model with outputs
        for item in entry.values():
            _collect_metrics(item, found, depth + 1)
        return
    spelled = _spelled(entry)
    if spelled is None:
        return
    name = spelled
    if isinstance(entry, dict) and entry.get("class_name") != "function":
        config = entry.get("config")
        given = config.get("name") if isinstance(config, dict) else None
        name = given if isinstance(given, str) else spelled
    kind = EXACT_ACCURACY if isinstance(entry, dict) and spelled == "Accuracy" else _ACCURACY_KINDS.get(_key(spelled),
                                                                                                       spelled.lower())
    found.append(Metric(kind, name))


def metric_names(value: Any) -> list[str]:
    """What the model's metrics compute, one canonical name each ('accuracy' for every spelling of it)."""
    return [metric.kind for metric in metrics(value)]


def reports_accuracy(value: Any) -> bool:
    """Whether the model reports accuracy, in any spelling Keras treats as the same (see `metrics`)."""
    return ACCURACY in metric_names(value)


def history_key(history: Any, value: Any, kind: str = ACCURACY, validation: bool = True) -> str | None:
    """The key under which `history` (a History.history dict) records the model's metric `kind`: `val_acc` for
    metrics=['acc'], `val_categorical_accuracy` for CategoricalAccuracy(), ... None when it records none."""
    if type(history) is not dict:
        return None
    prefix = "val_" if validation else ""
    names = [metric.name for metric in metrics(value) if metric.kind == kind]
    if kind == ACCURACY:   # the model may have been compiled again after fitting: any spelling of accuracy will do
        names += ["accuracy", "acc", "categorical_accuracy"]
    return next((prefix + name for name in names if prefix + name in history), None)
