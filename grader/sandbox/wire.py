"""The only format that crosses the trust boundary: plain data as length-prefixed JSON.

Why JSON and not pickle: unpickling runs code chosen by whoever wrote the bytes, and the bytes
come from the student's process. Every JSON object on the wire is a type tag, so a student's
dict can never be mistaken for an array or a tuple. Decoding is bounded in bytes, depth,
element count and array size, and yields only fresh builtins and base-class numpy arrays.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import select
import struct
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_FRAME_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32
MAX_ITEMS = 1_000_000
MAX_ARRAY_ELEMENTS = 4_000_000
MAX_STR_CHARS = 1_000_000
MAX_INT_DIGITS = 1000   # far below the 4300 digits JSON (Python's int/str conversion) refuses to write or read
MAX_OPTIMIZER_STEPS = 2**53   # a step count JSON carries exactly
_INT_BOUND = 10 ** MAX_INT_DIGITS

# Dtypes a check may receive. Object, string, void and datetime arrays are refused.
ALLOWED_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64"]
)

_HEADER = struct.Struct(">I")
# The first frame of every child, written after the sandbox's set-up and before any student code runs.
SANDBOX_READY = {"sandbox": "ready"}


class WireError(ValueError):
    """The bytes are not a well-formed, bounded message."""


class Unsupported(TypeError):
    """A value has a type that may not cross the boundary."""


@dataclass(frozen=True)
class Frame:
    """A table (a pandas DataFrame on the student's side): column names and one array per column."""

    columns: tuple[str, ...]
    data: dict[str, np.ndarray]

    def column(self, name: str) -> np.ndarray:
        return self.data[name]

    def matrix(self) -> np.ndarray:
        return np.column_stack([self.data[name] for name in self.columns]) if self.columns else np.zeros((0, 0))

    @property
    def shape(self) -> tuple[int, int]:
        rows = len(self.data[self.columns[0]]) if self.columns else 0
        return rows, len(self.columns)


@dataclass(frozen=True)
class Column:
    """A named column (a pandas Series on the student's side)."""

    name: str | None
    values: np.ndarray


@dataclass(frozen=True)
class ModelDescription:
    """A Keras model as data: its architecture JSON, compile settings and weights. The trusted side never
    deserializes it: grader.grading.keras_models reads the JSON as data and runs the weights in numpy."""

    architecture: str
    compile: dict | None
    weights: list
    input_shape: list | None
    output_shape: list | None
    # How many updates its optimizer has made (Keras counts every batch of every fit): an exact reading of how
    # the returned model was trained, which a check may hold against the epochs and batch size it asked for.
    optimizer_steps: int | None = None


# ---------------------------------------------------------------- encoding (either side)

def encode(value: Any) -> Any:
    """Turn a plain value into tagged JSON-ready data, or raise Unsupported."""
    return _encode(value, 0)


def _encode(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Unsupported(f"the value is nested more than {MAX_DEPTH} levels deep")
    # Exact type checks: subclasses of builtins (a float whose __eq__ lies) are not plain data.
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return _bounded_int(value, Unsupported)
    if kind is float:
        return _encode_float(value)
    if isinstance(value, np.generic) and not isinstance(value, np.ndarray):
        return _encode_numpy_scalar(value)
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if kind is list:
        return [_encode(item, depth + 1) for item in value]
    if kind is tuple:
        return {"tuple": [_encode(item, depth + 1) for item in value]}
    if type(value) is Frame:
        return {"dataframe": {"columns": list(value.columns), "data": [_encode_array(value.data[c]) for c in value.columns]}}
    if type(value) is Column:
        return {"series": {"name": value.name, "data": _encode_array(value.values)}}
    module = getattr(kind, "__module__", "") or ""
    if module == "pandas" or module.startswith("pandas."):
        return _encode_pandas(value)
    if module.startswith(("keras", "tensorflow", "tf_keras")) and hasattr(value, "to_json") and hasattr(value, "get_weights"):
        return _encode_model(value)
    if kind is dict:
        items = []
        for key, item in value.items():
            if type(key) is not str:
                raise Unsupported(f"a dict key is a {type(key).__name__}; only str keys are allowed")
            items.append([key, _encode(item, depth + 1)])
        return {"dict": items}
    raise Unsupported(f"returned an unsupported type: {_type_name(value)}")


def _bounded_int(value: int, error: type[Exception]) -> int:
    if not -_INT_BOUND < value < _INT_BOUND:
        raise error(f"returned an integer with more than {MAX_INT_DIGITS} digits")
    return value


def _type_name(value: Any) -> str:
    kind = type(value)
    module = getattr(kind, "__module__", "")
    name = getattr(kind, "__qualname__", kind.__name__)
    return name if module in ("builtins", "") else f"{module}.{name}"


def _encode_float(value: float) -> Any:
    if math.isfinite(value):
        return value
    return {"float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}


def _encode_numpy_scalar(value: np.generic) -> Any:
    dtype = np.dtype(type(value))
    if dtype.name not in ALLOWED_DTYPES:
        raise Unsupported(f"returned an unsupported type: numpy {dtype.name} scalar")
    if dtype.kind == "b":
        return bool(value)
    if dtype.kind in "iu":
        return int(value)
    return _encode_float(float(value))


def _encode_pandas(value: Any) -> Any:
    """DataFrames and Series become tables of numeric columns; anything else pandas is refused."""
    kind = type(value).__name__
    if kind == "DataFrame":
        columns = [str(c) for c in value.columns]
        if len(set(columns)) != len(columns):
            raise Unsupported("returned a DataFrame with repeated column names")
        return {"dataframe": {"columns": columns,
                              "data": [_encode_array(np.asarray(value.iloc[:, i].to_numpy())) for i in range(len(columns))]}}
    if kind == "Series":
        name = value.name if value.name is None or type(value.name) is str else str(value.name)
        return {"series": {"name": name, "data": _encode_array(np.asarray(value.to_numpy()))}}
    raise Unsupported(f"returned an unsupported type: pandas {kind}")


def _encode_model(model: Any) -> Any:
    """A Keras model as a description: architecture JSON, compile settings, weights as arrays."""
    try:
        architecture = model.to_json()
        compile_config = model.get_compile_config() if getattr(model, "compiled", False) else None
        compile_json = json.loads(json.dumps(compile_config, default=str)) if compile_config is not None else None
        weights = [_encode_array(np.asarray(w)) for w in model.get_weights()]
        input_shape = _shape_list(getattr(model, "input_shape", None)) if getattr(model, "built", False) else None
        output_shape = _shape_list(getattr(model, "output_shape", None)) if getattr(model, "built", False) else None
        steps = _optimizer_steps(model) if compile_config is not None else None
    except Unsupported:
        raise
    except Exception as exc:  # noqa: BLE001 - a model that cannot describe itself is the submission's problem
        raise Unsupported(f"returned a Keras model that could not be described ({type(exc).__name__}: {exc})") from None
    return {"model": {"architecture": architecture, "compile": _encode(compile_json, 1) if compile_json is not None else None,
                      "weights": weights, "input_shape": input_shape, "output_shape": output_shape,
                      "optimizer_steps": steps}}


def _optimizer_steps(model: Any) -> int | None:
    """One per batch of every fit; None where Keras counts otherwise (gradient accumulation counts a step
    per accumulated group, a loss-scale optimizer skips steps whose gradients overflowed)."""
    optimizer = getattr(model, "optimizer", None)
    counter = getattr(optimizer, "iterations", None)
    if counter is None or getattr(optimizer, "gradient_accumulation_steps", None) \
            or getattr(optimizer, "loss_scale_factor", None) is not None \
            or type(optimizer).__name__ == "LossScaleOptimizer":
        return None
    steps = np.asarray(counter)
    return int(steps) if steps.shape == () and np.issubdtype(steps.dtype, np.integer) and steps >= 0 else None


def _shape_list(shape: Any) -> Any:
    if shape is None:
        return None
    if isinstance(shape, list):
        return [_shape_list(s) for s in shape]
    return [None if s is None else int(s) for s in tuple(shape)]


def _encode_array(value: np.ndarray) -> Any:
    # Copy into a base-class array: subclasses and their overridden methods stay behind.
    array = np.array(value, copy=True, subok=False)
    if array.dtype.name not in ALLOWED_DTYPES:
        raise Unsupported(f"returned an unsupported type: numpy array of dtype {array.dtype}")
    if array.size > MAX_ARRAY_ELEMENTS:
        raise Unsupported(f"returned an array with {array.size} elements (at most {MAX_ARRAY_ELEMENTS})")
    array = np.ascontiguousarray(array.astype(array.dtype.newbyteorder("<"), copy=False))
    return {"ndarray": {"dtype": array.dtype.name, "shape": list(array.shape),
                        "data": base64.b64encode(array.tobytes()).decode("ascii")}}


# ---------------------------------------------------------------- decoding (trusted side)

@dataclass
class _DecodedItems:
    items: int = 0

    def spend(self, count: int = 1) -> None:
        self.items += count
        if self.items > MAX_ITEMS:
            raise WireError(f"the value has more than {MAX_ITEMS} elements")


def decode(data: Any, pandas: bool = False) -> Any:
    """Rebuild a value from tagged data, checking every bound. Raises WireError, and only WireError.

    The data comes from the student's process, so anything it holds is the student's doing: a failure
    to build a value from it is reported as a value the grader cannot read, never as a grader bug.
    With `pandas` (the student's side), tables arrive as pandas objects, as students expect.
    """
    try:
        return _decode(data, 0, _DecodedItems(), pandas)
    except WireError:
        raise
    except RecursionError:
        raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, TypeError, ArithmeticError, LookupError) as exc:
        # Each known malformation is refused by name below; this is the backstop for any we missed.
        raise WireError(f"the value could not be read ({type(exc).__name__})") from None


def _text(data: Any, what: str) -> str:
    """A string within the size bound that is valid Unicode (a lone surrogate cannot be printed or saved)."""
    if type(data) is not str:
        raise WireError(f"{what} is not a string")
    if len(data) > MAX_STR_CHARS:
        raise WireError(f"{what} has {len(data)} characters (at most {MAX_STR_CHARS})")
    try:
        data.encode("utf-8")
    except UnicodeEncodeError:
        raise WireError(f"{what} is not valid text (it holds a lone surrogate character)") from None
    return data


def _decode(data: Any, depth: int, budget: _DecodedItems, pandas: bool = False) -> Any:
    if depth > MAX_DEPTH + 1:
        raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep")
    budget.spend()
    kind = type(data)
    if data is None or kind is bool or kind is float:
        return data
    if kind is int:
        return _bounded_int(data, WireError)
    if kind is str:
        return _text(data, "a string")
    if kind is list:
        return [_decode(item, depth + 1, budget, pandas) for item in data]
    if kind is dict and len(data) == 1:
        (tag, body), = data.items()
        if tag == "tuple" and type(body) is list:
            return tuple(_decode(item, depth + 1, budget, pandas) for item in body)
        if tag == "dict" and type(body) is list:
            result: dict[str, Any] = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                    raise WireError("a dict entry is malformed")
                result[_text(pair[0], "a dict key")] = _decode(pair[1], depth + 1, budget, pandas)
            return result
        if tag == "dataframe" and type(body) is dict:
            return _decode_frame(body, budget, pandas)
        if tag == "series" and type(body) is dict:
            name, values = body.get("name"), body.get("data")
            if not (name is None or type(name) is str) or type(values) is not dict or "ndarray" not in values:
                raise WireError("a series is malformed")
            array = _decode_array(values["ndarray"], budget)
            name = None if name is None else _text(name, "a series name")
            if pandas:
                import pandas as pd
                return pd.Series(array, name=name)
            return Column(name, array)
        if tag == "model" and type(body) is dict:
            return _decode_model(body, depth, budget)
        if tag == "float" and type(body) is str and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "ndarray" and type(body) is dict:
            return _decode_array(body, budget)
    raise WireError(f"unexpected data of type {kind.__name__} on the wire")


def _decode_frame(body: dict, budget: _DecodedItems, pandas: bool) -> Any:
    columns, arrays = body.get("columns"), body.get("data")
    if type(columns) is not list or type(arrays) is not list or len(columns) != len(arrays) \
            or any(type(c) is not str for c in columns) or len(set(columns)) != len(columns):
        raise WireError("a table is malformed")
    data = {}
    for name, array in zip(columns, arrays):
        _text(name, "a column name")
        if type(array) is not dict or "ndarray" not in array:
            raise WireError("a table column is malformed")
        data[name] = _decode_array(array["ndarray"], budget)
        if data[name].ndim != 1 or len(data[name]) != len(data[columns[0]]):
            raise WireError("a table's columns differ in length")
    if pandas:
        import pandas as pd
        return pd.DataFrame(data, columns=columns)
    return Frame(tuple(columns), data)


def _decode_model(body: dict, depth: int, budget: _DecodedItems) -> ModelDescription:
    architecture, weights = body.get("architecture"), body.get("weights")
    if type(architecture) is not str or type(weights) is not list:
        raise WireError("a model description is malformed")
    _text(architecture, "a model's architecture")
    arrays = []
    for item in weights:
        if type(item) is not dict or "ndarray" not in item:
            raise WireError("a model's weights are malformed")
        arrays.append(_decode_array(item["ndarray"], budget))
    compile_config = _decode(body.get("compile"), depth + 1, budget)
    shapes = [_decode(body.get(key), depth + 1, budget) for key in ("input_shape", "output_shape")]
    if compile_config is not None and type(compile_config) is not dict:
        raise WireError("a model's compile settings are malformed")
    steps = body.get("optimizer_steps")
    if steps is not None and (type(steps) is not int or not 0 <= steps <= MAX_OPTIMIZER_STEPS):
        raise WireError("a model's optimizer step count is malformed")
    return ModelDescription(architecture, compile_config, arrays, shapes[0], shapes[1], steps)


def _decode_array(body: Any, budget: _DecodedItems) -> np.ndarray:
    if type(body) is not dict:
        raise WireError("an array is malformed")
    dtype_name, shape, text = body.get("dtype"), body.get("shape"), body.get("data")
    if type(dtype_name) is not str or dtype_name not in ALLOWED_DTYPES:
        shown = repr(dtype_name[:40]) if type(dtype_name) is str else f"of type {type(dtype_name).__name__}"
        raise WireError(f"an array's dtype {shown} is not allowed")
    count = _element_count(shape)
    budget.spend(count)
    if type(text) is not str or not text.isascii():
        raise WireError("an array's data is malformed")
    dtype = np.dtype(dtype_name).newbyteorder("<")
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise WireError("an array's data is not valid base64") from None
    if len(raw) != count * dtype.itemsize:
        raise WireError("an array's data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).astype(np.dtype(dtype_name), copy=True).reshape(shape)


def _element_count(shape: Any) -> int:
    """Checked before anything is allocated. Each dimension is bounded on its own too: with a zero
    elsewhere the product stays 0, yet numpy still refuses a dimension like 2**62 with its own error."""
    if type(shape) is not list or len(shape) > MAX_DEPTH \
            or any(type(n) is not int or not 0 <= n <= MAX_ARRAY_ELEMENTS for n in shape):
        raise WireError(f"an array's shape is malformed (at most {MAX_DEPTH} dimensions, "
                        f"each from 0 to {MAX_ARRAY_ELEMENTS})")
    count = math.prod(shape)
    if count > MAX_ARRAY_ELEMENTS:
        raise WireError(f"an array has {count} elements (at most {MAX_ARRAY_ELEMENTS})")
    return count


# ---------------------------------------------------------------- framing

def dumps(message: dict) -> bytes:
    body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(body) > MAX_FRAME_BYTES:
        raise Unsupported(f"the value is {len(body)} bytes encoded (at most {MAX_FRAME_BYTES})")
    return _HEADER.pack(len(body)) + body


def loads(body: bytes) -> dict:
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"malformed message: {type(exc).__name__}") from None
    if type(message) is not dict:
        raise WireError("a message must be a JSON object")
    return message


def write_frame(fd: int, message: dict) -> None:
    data = dumps(message)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class FrameTimeout(Exception):
    """No complete frame arrived before the deadline."""


class ChannelClosed(Exception):
    """The other side closed the channel (the child exited)."""


def read_frame(fd: int, deadline: float | None) -> dict:
    """Read one frame, waiting at most until `deadline` (time.monotonic())."""
    header = _read_exact(fd, _HEADER.size, deadline)
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise WireError(f"a message of {length} bytes exceeds the limit of {MAX_FRAME_BYTES}")
    return loads(_read_exact(fd, length, deadline))


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FrameTimeout()
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise FrameTimeout()
        chunk = os.read(fd, min(size - len(chunks), 1 << 20))
        if not chunk:
            raise ChannelClosed()
        chunks += chunk
    return bytes(chunks)
