"""Reading a Keras model description on the trusted side, and rebuilding it only from built-in parts.

Inspection (layers, units, activations, input shape, loss, optimizer, metrics) reads the
architecture JSON as data; nothing is deserialized. `rebuild` deserializes only after every object
in the JSON is checked to be a built-in Keras class (no Lambda layers, no custom objects), then
loads the submitted weights, so a check can run the model on data of its own.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from grader.feedback.results import Hint
from grader.grading.checklib import fail
from grader.sandbox.wire import ModelDescription

LOSS_ALIASES = {
    "mse": "mean_squared_error", "meansquarederror": "mean_squared_error", "mean_squared_error": "mean_squared_error",
    "mae": "mean_absolute_error", "meanabsoluteerror": "mean_absolute_error", "mean_absolute_error": "mean_absolute_error",
    "categoricalcrossentropy": "categorical_crossentropy", "categorical_crossentropy": "categorical_crossentropy",
    "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "binarycrossentropy": "binary_crossentropy", "binary_crossentropy": "binary_crossentropy",
}
FORBIDDEN_CLASSES = {"Lambda", "TFOpLambda", "SlicingOpLambda"}
ALLOWED_MODULE_PREFIXES = ("keras.", "keras")


@dataclass(frozen=True)
class LayerInfo:
    kind: str                      # the Keras class name: Dense, Conv2D, LSTM ...
    name: str
    config: dict = field(default_factory=dict)

    @property
    def units(self) -> int | None:
        return self.config.get("units")

    @property
    def activation(self) -> str | None:
        activation = self.config.get("activation")
        if isinstance(activation, dict):   # an Activation object serialized
            return str(activation.get("config", {}).get("name") or activation.get("class_name", "")).lower()
        return activation.lower() if isinstance(activation, str) else activation


def _as_description(value: Any, what: str) -> ModelDescription:
    if not isinstance(value, ModelDescription):
        fail(f"{what} should return a Keras model, but it returned {type(value).__name__}")
    return value


def architecture(value: Any, what: str) -> dict:
    description = _as_description(value, what)
    try:
        data = json.loads(description.architecture)
    except (ValueError, RecursionError):
        fail(f"{what} returned a model whose architecture could not be read")
    if not isinstance(data, dict):
        fail(f"{what} returned a model whose architecture could not be read")
    return data


def layers(value: Any, what: str) -> list[LayerInfo]:
    """The model's layers in order, InputLayer excluded, read from the architecture JSON."""
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


def input_shape(value: Any) -> list | None:
    return value.input_shape if isinstance(value, ModelDescription) else None


# ----------------------------------------------------------------------------- compile settings, in every spelling
#
# Keras takes a loss, an optimizer or a metric as a string ('mse', 'Adam'), an object (MeanSquaredError(),
# keras.optimizers.Adam()) or a function (keras.losses.mean_squared_error); get_compile_config() then holds the
# string, the serialized object ({"class_name": "Adam", "config": {...}}) or {"class_name": "function", "config":
# "mean_squared_error"}. Checks read them only through the functions below, so every spelling Keras treats as the
# same is one name here.

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
        name = config.get("name") if isinstance(config, dict) and isinstance(config.get("name"), str) else spelled
    kind = EXACT_ACCURACY if isinstance(entry, dict) and spelled == "Accuracy" else _ACCURACY_KINDS.get(_key(spelled),
                                                                                                       spelled.lower())
    found.append(Metric(kind, name))


def metric_names(value: Any) -> list[str]:
    """What the model's metrics compute, one canonical name each ('accuracy' for every spelling of it)."""
    return [metric.kind for metric in metrics(value)]


def reports_accuracy(value: Any) -> bool:
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


_ACTIVATIONS: dict[str | None, Callable[[np.ndarray], np.ndarray]] = {
    None: lambda z: z, "linear": lambda z: z, "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
    "softmax": lambda z: _softmax(z),
}


def _softmax(z: np.ndarray) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


# ----------------------------------------------------------------------------- budgets

@dataclass(frozen=True)
class Budget:
    """What one trusted forward pass may cost. A submitted model is untrusted data: a few numbers in
    its description can ask for gigabytes, so its cost is computed first and refused above these."""

    max_array_mb: float = 64.0         # the largest array any layer makes (output or padded input)
    max_multiply_adds: float = 3e8     # all layers together, on the check's data
    max_seconds: float = 10.0          # wall time, checked between layers, chunks and time steps


BUDGET = Budget()   # the default for every exercise; a check passes its own to forward() if it needs to


@dataclass(frozen=True)
class Step:
    """One layer as the forward pass will run it: its weights and what it costs."""

    layer: LayerInfo
    weights: tuple
    input_shape: tuple               # without the batch axis
    output_shape: tuple
    multiply_adds: int
    largest_bytes: int


@dataclass(frozen=True)
class Cost:
    multiply_adds: int
    largest_bytes: int
    largest_layer: str


def _positive_ints(value: Any, count: int, what: str) -> tuple[int, ...]:
    """A config entry such as strides=(2, 2) (or 2) as `count` positive ints, or a failure."""
    if type(value) is int:
        value = [value] * count
    if not isinstance(value, (list, tuple)) or len(value) != count or any(type(v) is not int or v < 1 for v in value):
        fail(f"{what} should be {count} positive whole numbers, but it is {value!r}")
    return tuple(value)


def _weight_shapes(layer: LayerInfo, own: list, expected: list, what: str) -> None:
    shapes = [tuple(w.shape) for w in own]
    if shapes != [tuple(s) for s in expected]:
        fail(f"{what} returned a model whose {layer.kind} layer {layer.name!r} has weights of the shapes {shapes}; "
             f"its input needs {[tuple(s) for s in expected]}")


def _activation(layer: LayerInfo, what: str):
    activation = layer.activation
    if not (activation is None or isinstance(activation, str)) or activation not in _ACTIVATIONS:
        fail(f"{what} returned a {layer.kind} layer with the activation {activation!r}, which this check cannot run")
    return _ACTIVATIONS[activation]


def _plan_layer(layer: LayerInfo, own: list, shape: tuple, what: str) -> tuple[tuple, int, int]:
    """(output shape, multiply-adds per sample, elements of the largest array per sample)."""
    config, kind = layer.config, layer.kind
    if kind == "Dense":
        if not shape:
            fail(f"{what} returned a model whose Dense layer {layer.name!r} gets no input features")
        units = own[0].shape[-1] if own[0].ndim == 2 else -1
        _weight_shapes(layer, own, [(shape[-1], units), (units,)], what)
        out = (*shape[:-1], units)
        return out, math.prod(shape) * units, math.prod(out)
    if kind == "Conv2D":
        if len(shape) != 3:
            fail(f"{what} returned a model whose Conv2D layer gets inputs of shape {shape}; it needs (height, width, channels)")
        if config.get("data_format") not in (None, "channels_last"):
            fail("this check can only run Conv2D with data_format='channels_last'")
        if _positive_ints(config.get("dilation_rate") or 1, 2, "dilation_rate") != (1, 1):
            fail("this check can only run Conv2D without dilation")
        filters = own[0].shape[-1] if own[0].ndim == 4 else -1
        kh, kw = (own[0].shape[:2] if own[0].ndim == 4 else (-1, -1))
        _weight_shapes(layer, own, [(kh, kw, shape[2], filters), (filters,)], what)
        strides = _positive_ints(config.get("strides") or 1, 2, "the Conv2D strides")
        padding = config.get("padding", "valid")
        (height, width, channels) = shape
        if padding == "same":
            out_h, out_w = -(-height // strides[0]), -(-width // strides[1])
            padded = (max((out_h - 1) * strides[0] + kh, height), max((out_w - 1) * strides[1] + kw, width))
        elif padding == "valid":
            if height < kh or width < kw:
                fail(f"{what} returned a model whose {kh}x{kw} convolution does not fit its {height}x{width} input")
            out_h, out_w = (height - kh) // strides[0] + 1, (width - kw) // strides[1] + 1
            padded = (height, width)
        else:
            fail(f"this check can only run Conv2D with padding 'valid' or 'same', not {padding!r}")
        out = (out_h, out_w, filters)
        per_sample = out_h * out_w * filters
        return out, per_sample * kh * kw * channels, max(per_sample, padded[0] * padded[1] * channels)
    if kind == "MaxPooling2D":
        if len(shape) != 3:
            fail(f"{what} returned a model whose MaxPooling2D layer gets inputs of shape {shape}")
        if config.get("padding", "valid") != "valid":
            fail("this check can only run MaxPooling2D with padding='valid'")
        pool = _positive_ints(config.get("pool_size") or 2, 2, "the pool_size")
        strides = _positive_ints(config.get("strides") or pool, 2, "the pooling strides")
        if shape[0] < pool[0] or shape[1] < pool[1]:
            fail(f"{what} returned a model whose {pool} pooling does not fit its {shape[:2]} input")
        out = ((shape[0] - pool[0]) // strides[0] + 1, (shape[1] - pool[1]) // strides[1] + 1, shape[2])
        return out, math.prod(out) * pool[0] * pool[1], math.prod(out)
    if kind in ("LSTM", "SimpleRNN"):
        if len(shape) != 2:
            fail(f"{what} returned a model whose {kind} layer gets inputs of shape {shape}; it needs (timesteps, features)")
        gates = 4 if kind == "LSTM" else 1
        units = own[1].shape[0] if own[1].ndim == 2 else -1
        _weight_shapes(layer, own, [(shape[1], gates * units), (units, gates * units), (gates * units,)], what)
        out = (shape[0], units) if config.get("return_sequences") else (units,)
        return out, shape[0] * (shape[1] + units) * gates * units, max(gates * units, math.prod(out))
    if kind == "Flatten":
        return (math.prod(shape),), 0, 0
    if kind == "Reshape":
        target = config.get("target_shape")
        if not isinstance(target, (list, tuple)) or any(type(n) is not int or (n < 1 and n != -1) for n in target) \
                or list(target).count(-1) > 1:
            fail(f"{what} returned a Reshape layer with the target shape {target!r}")
        size, known = math.prod(shape), math.prod(n for n in target if n != -1)
        if -1 in target and known and size % known == 0:
            target = [size // known if n == -1 else n for n in target]
        if math.prod(target) != size:
            fail(f"{what} returned a Reshape layer that cannot turn {shape} into {tuple(target)}")
        return tuple(target), 0, 0
    if kind == "Dropout":
        return shape, 0, 0
    fail(f"{what} returned a model with a {kind} layer, which this check cannot run")


_WEIGHT_COUNTS = {"Dense": 2, "Conv2D": 2, "LSTM": 3, "SimpleRNN": 3}


def plan(value: Any, input_shape: tuple, what: str, budget: Budget | None = None) -> list[Step]:
    """The layers as the forward pass would run them on `input_shape` (batch axis first), each with
    its output shape and cost, read from the description alone: nothing is computed yet. With a
    budget, refused at the first layer that takes the total over it."""
    description = _as_description(value, what)
    batch, shape = int(input_shape[0]), tuple(int(n) for n in input_shape[1:])
    weights, steps = list(description.weights), []
    for layer in layers(value, what):
        own: list = []
        if layer.kind in _WEIGHT_COUNTS:
            use_bias = layer.config.get("use_bias", True) is not False
            count = _WEIGHT_COUNTS[layer.kind] - (0 if use_bias else 1)
            if len(weights) < count:
                fail(f"{what} returned a model whose weights do not match its layers")
            try:
                own, weights = [np.asarray(w, dtype=float) for w in weights[:count]], weights[count:]
            except (TypeError, ValueError):
                fail(f"{what} returned a model whose weights are not numbers")
            if not use_bias:
                own.append(np.zeros(own[-1].shape[-1] if own[-1].ndim else 0))
            _activation(layer, what)
        out, multiply_adds, largest = _plan_layer(layer, own, shape, what)
        steps.append(Step(layer, tuple(own), shape, out, batch * multiply_adds, batch * 8 * max(largest, 1)))
        if budget is not None:
            _refuse_over_budget(steps, budget, what)
        shape = out
    return steps


def cost(steps: list[Step]) -> Cost:
    largest = max(steps, key=lambda step: step.largest_bytes, default=None)
    return Cost(sum(step.multiply_adds for step in steps), largest.largest_bytes if largest else 0,
                f"{largest.layer.kind} layer {largest.layer.name!r}" if largest else "")


def _refuse_over_budget(steps: list[Step], budget: Budget, what: str) -> None:
    total = cost(steps)
    if total.largest_bytes > budget.max_array_mb * 2 ** 20:
        fail(f"your model is too large for this exercise: on the check's data its {total.largest_layer} "
             f"(from {what}) would make an array of {total.largest_bytes / 2 ** 20:,.0f} MB, at most "
             f"{budget.max_array_mb:,.0f} MB. Use the layer sizes the exercise asks for.")
    if total.multiply_adds > budget.max_multiply_adds:
        fail(f"your model is too large for this exercise: on the check's data it (from {what}) needs "
             f"{total.multiply_adds:,.0f} multiply-adds, at most {budget.max_multiply_adds:,.0f}. "
             "Use the layer sizes the exercise asks for.")


_DECLARED = {"Dense": ("units",), "Conv2D": ("filters", "kernel_size"), "LSTM": ("units",), "SimpleRNN": ("units",)}


def _config_matches_weights(step: Step, what: str) -> None:
    """The layer sizes the checks read from the architecture are the ones the weights run."""
    kind, config = step.layer.kind, step.layer.config
    if kind not in _DECLARED:
        return
    kernel, recurrent = step.weights[0].shape, step.weights[1].shape
    actual = {"units": recurrent[0] if kind in ("LSTM", "SimpleRNN") else kernel[-1], "filters": kernel[-1],
              "kernel_size": list(kernel[:2])}
    for key in _DECLARED[kind]:
        declared = config.get(key)
        if key == "kernel_size" and type(declared) is int:
            declared = [declared, declared]
        if declared is not None and (list(declared) if isinstance(declared, (list, tuple)) else declared) != actual[key]:
            fail(f"{what} returned a model whose {kind} layer {step.layer.name!r} declares {key}={declared!r} "
                 f"but has weights for {actual[key]!r}")


class _Deadline:
    def __init__(self, budget: Budget, what: str) -> None:
        self.seconds, self.what = budget.max_seconds, what
        self.end = time.monotonic() + budget.max_seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            fail(f"your model is too large for this exercise: running {self.what}'s model on the check's data "
                 f"took more than {self.seconds:g} s, at most {self.seconds:g} s")


def _conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, config: dict, deadline: _Deadline) -> np.ndarray:
    strides = _positive_ints(config.get("strides") or 1, 2, "the Conv2D strides")
    if config.get("padding", "valid") == "same":
        kh, kw = kernel.shape[:2]
        out_h, out_w = -(-x.shape[1] // strides[0]), -(-x.shape[2] // strides[1])
        pad_h = max((out_h - 1) * strides[0] + kh - x.shape[1], 0)
        pad_w = max((out_w - 1) * strides[1] + kw - x.shape[2], 0)
        x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    patches = np.lib.stride_tricks.sliding_window_view(x, kernel.shape[:2], axis=(1, 2))
    patches = patches[:, ::strides[0], ::strides[1]]                  # (n, H', W', C, kh, kw)
    result = np.empty((*patches.shape[:3], kernel.shape[-1]))
    chunk = max(1, int(2e7 // max(1, patches[0].size * kernel.shape[-1])))   # a few samples at a time
    for start in range(0, len(x), chunk):
        deadline.check()
        np.einsum("nhwcij,ijcf->nhwf", patches[start:start + chunk], kernel, out=result[start:start + chunk])
    return result + bias


def _max_pool(x: np.ndarray, config: dict) -> np.ndarray:
    pool = _positive_ints(config.get("pool_size") or 2, 2, "the pool_size")
    strides = _positive_ints(config.get("strides") or pool, 2, "the pooling strides")
    windows = np.lib.stride_tricks.sliding_window_view(x, pool, axis=(1, 2))[:, ::strides[0], ::strides[1]]
    return windows.max(axis=(-2, -1))


def _lstm(x: np.ndarray, weights: tuple, config: dict, deadline: _Deadline) -> np.ndarray:
    kernel, recurrent, bias = weights
    units = recurrent.shape[0]
    h = np.zeros((len(x), units))
    c = np.zeros((len(x), units))
    outputs = []
    sigmoid = _ACTIVATIONS["sigmoid"]
    for t in range(x.shape[1]):
        deadline.check()
        gates = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (gates[:, k * units:(k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        if config.get("return_sequences"):
            outputs.append(h)
    return np.stack(outputs, axis=1) if config.get("return_sequences") else h


def _simple_rnn(x: np.ndarray, weights: tuple, config: dict, activation, deadline: _Deadline) -> np.ndarray:
    kernel, recurrent, bias = weights
    h = np.zeros((len(x), recurrent.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        deadline.check()
        h = activation(x[:, t] @ kernel + h @ recurrent + bias)
        if config.get("return_sequences"):
            outputs.append(h)
    return np.stack(outputs, axis=1) if config.get("return_sequences") else h


def forward(value: Any, inputs: np.ndarray, what: str, budget: Budget = BUDGET) -> np.ndarray:
    """Run the model in numpy from the submitted weights: Dense, Conv2D, MaxPooling2D, Flatten,
    Dropout, Reshape, SimpleRNN and LSTM layers.

    The trusted side needs no TensorFlow for it: checks stay fast and never load anything the
    submission wrote. The whole cost is computed from the description first and a model over
    `budget` is refused (the student's failed check) before any large array exists.
    """
    outputs = np.asarray(inputs, dtype=float)
    steps = plan(value, outputs.shape, what, budget)
    for step in steps:
        _config_matches_weights(step, what)
    deadline = _Deadline(budget, what)
    for step in steps:
        deadline.check()
        layer, config, kind = step.layer, step.layer.config, step.layer.kind
        if kind in ("Flatten", "Reshape"):
            outputs = outputs.reshape(len(outputs), *step.output_shape)
        elif kind == "MaxPooling2D":
            outputs = _max_pool(outputs, config)
        elif kind == "Dense":
            outputs = _activation(layer, what)(outputs @ step.weights[0] + step.weights[1])
        elif kind == "Conv2D":
            kernel, bias = step.weights
            outputs = _activation(layer, what)(_conv2d(outputs, kernel, bias, config, deadline))
        elif kind == "LSTM":
            outputs = _lstm(outputs, step.weights, config, deadline)
        elif kind == "SimpleRNN":
            outputs = _simple_rnn(outputs, step.weights, config, _activation(layer, what), deadline)
    deadline.check()
    return outputs


def _check_builtin(node: Any, path: str = "model") -> None:
    """Every serialized object must be a built-in Keras class: no Lambda, no custom objects."""
    if isinstance(node, dict):
        if "class_name" in node:
            kind, module = str(node.get("class_name")), node.get("module")
            registered = node.get("registered_name")
            if kind in FORBIDDEN_CLASSES:
                fail(f"the model uses a {kind} layer, which the grader never loads; use built-in layers only")
            if module is not None and not str(module).startswith(ALLOWED_MODULE_PREFIXES):
                fail(f"the model uses {kind} from {module}; only built-in Keras layers can be graded")
            if registered not in (None, kind):
                fail(f"the model uses a custom object ({registered}); only built-in Keras layers can be graded")
        for key, item in node.items():
            _check_builtin(item, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            _check_builtin(item, path)


def rebuild(value: Any, what: str):
    """A Keras model with the submitted architecture and weights, built only from built-in classes."""
    description = _as_description(value, what)
    _check_builtin(architecture(value, what))
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras

    try:
        model = keras.models.model_from_json(description.architecture)
        if description.weights:
            model.set_weights([np.asarray(w) for w in description.weights])
    except Exception as exc:  # noqa: BLE001 - a description that does not load is the submission's problem
        fail(f"{what} returned a model that could not be rebuilt ({type(exc).__name__}: {str(exc)[:200]})")
    return model
