"""Is a mutant a different program? Run it and the reference on the same many inputs, in the sandbox.

Mutants are generated code, so they are treated as untrusted: every call runs in a sandbox child and
only plain data comes back. The inputs are the calls the checks make on the reference (recorded under
several seeds), widened with variants the checks never try (other magnitudes and signs, other sizes,
the documented defaults left out), so agreeing on them means more than passing the checks.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from grader.course.model import Exercise
from grader.sandbox.session import CallResult, CallStatus, Launcher, SandboxSession, SessionReport
from grader.sandbox.wire import Column, Frame, ModelDescription

# Appended to the file under test: each probe starts from the same random state, so functions that
# draw random numbers (initialize_network, a Keras model's initial weights) are compared fairly.
PROBE_ENTRY = "audit_probe_call"
_PROBE_HELPER = f'''

def {PROBE_ENTRY}(name, args, kwargs):
    import random as _random, sys as _sys
    _random.seed(0)
    if "numpy" in _sys.modules:
        _sys.modules["numpy"].random.seed(0)
    if "keras" in _sys.modules:
        _sys.modules["keras"].utils.set_random_seed(0)
    return globals()[name](*args, **kwargs)
'''
PROBE_SECONDS = 300.0   # for all probes of one file; a mutant that loops is stopped per call much earlier


@dataclass(frozen=True)
class Probe:
    """One call: a function of the exercise with plain-data arguments."""

    function: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    recorded: bool = field(default=True, repr=False, compare=False)   # a call the checks make (not a widened variant)


@dataclass(frozen=True)
class Answer:
    """What one probe gave: a value, or the kind of failure (the same kind counts as the same answer)."""

    ok: bool
    value: Any = None
    failure: str = ""


Behaviour = tuple[Answer, ...]   # one answer per probe, in the probes' order


class _RecordingSession:
    """Wraps a real session and remembers every call the checks make."""

    def __init__(self, inner: SandboxSession, calls: list[Probe]) -> None:
        self._inner, self._calls = inner, calls

    def call(self, function: str, args: tuple | list = (), kwargs: dict | None = None,
             *, return_args: bool = False) -> CallResult:
        self._calls.append(Probe(function, tuple(args), dict(kwargs or {})))
        return self._inner.call(function, args, kwargs, return_args=return_args)

    def close(self) -> SessionReport:
        return self._inner.close()


class RecordingLauncher:
    """A launcher for `engine.grade` that opens real sandbox sessions and records the calls made."""

    def __init__(self, launcher: Launcher) -> None:
        self._launcher = launcher
        self.isolation = launcher.isolation
        self.calls: list[Probe] = []

    def spawn(self, spec):   # the engine uses open_session; this keeps the Launcher shape
        return self._launcher.spawn(spec)

    def open_session(self, submission: Path, limits, deadline: float) -> _RecordingSession:
        return _RecordingSession(SandboxSession(submission, limits, self._launcher, deadline=deadline), self.calls)


def _widen_value(value: Any, rng: random.Random, scale: float) -> Any:
    """The same shape of data with other numbers: floats scaled and re-signed, small ints nudged."""
    if type(value) is float:
        return value * scale * rng.choice((1.0, -1.0)) + rng.uniform(-1.0, 1.0)
    if type(value) is int and 1 <= value <= 64:
        return max(1, value + rng.choice((-1, 1, 2)))
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        noise = np.array([rng.gauss(0.0, 1.0) for _ in range(value.size)]).reshape(value.shape)
        return value * scale + noise
    if type(value) is list and all(type(item) is float for item in value):
        return [_widen_value(item, rng, scale) for item in value]
    if type(value) is dict:
        return {key: _widen_value(item, rng, scale) for key, item in value.items()}
    if type(value) is tuple:
        return tuple(_widen_value(item, rng, scale) for item in value)
    return value


def widen(recorded: list[Probe], signatures: dict[str, list[str]], variants: int = 3, seed: int = 0) -> list[Probe]:
    """The recorded calls, deduplicated, then variants of each: other magnitudes, and defaults left out.

    `signatures` maps a function to its parameters that have defaults, last first."""
    rng = random.Random(seed)
    unique: dict[str, Probe] = {}
    for probe in recorded:
        unique.setdefault(repr(probe), probe)
    probes = list(unique.values())
    extra: list[Probe] = []
    for probe in probes:
        for scale in (1.0, 3.0, 1000.0)[:variants]:
            extra.append(Probe(probe.function, _widen_value(probe.args, rng, scale), _widen_value(probe.kwargs, rng, scale),
                               recorded=False))
        defaults = signatures.get(probe.function, [])
        if probe.kwargs and any(name in probe.kwargs for name in defaults):
            extra.append(Probe(probe.function, probe.args, {k: v for k, v in probe.kwargs.items() if k not in defaults},
                               recorded=False))
        positional = len(probe.args) - len(defaults)
        if defaults and len(probe.args) > positional >= 0:   # defaults given positionally: leave them out too
            extra.append(Probe(probe.function, probe.args[:positional], {}, recorded=False))
    seen = set(unique)
    for probe in extra:
        if repr(probe) not in seen:
            seen.add(repr(probe))
            probes.append(probe)
    return probes


def behaviour(path: Path, exercise: Exercise, probes: list[Probe], launcher: Launcher) -> Behaviour:
    """Every probe's answer from the file at `path` (untrusted), run in one sandbox session."""
    folder = Path(tempfile.mkdtemp(prefix="grader-audit-"))
    try:
        target = folder / exercise.entry
        target.write_text(path.read_text(encoding="utf-8") + _PROBE_HELPER, encoding="utf-8")
        limits = replace(exercise.limits, total_seconds=PROBE_SECONDS)
        session = SandboxSession(target, limits, launcher, deadline=time.monotonic() + PROBE_SECONDS)
        answers: list[Answer] = []
        try:
            for probe in probes:
                result = session.call(PROBE_ENTRY, [probe.function, list(probe.args), dict(probe.kwargs)])
                answers.append(_answer(result))
                if result.status in (CallStatus.NOT_IMPORTABLE, CallStatus.DEADLINE):
                    answers += [answers[-1]] * (len(probes) - len(answers))
                    break
        finally:
            session.close()
        return tuple(answers)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _answer(result: CallResult) -> Answer:
    if result.ok:
        return Answer(True, result.value)
    kind = result.error.type if result.error else ""
    return Answer(False, failure=f"{result.status.value}:{kind}")


def same(a: Any, b: Any, rtol: float = 1e-7, atol: float = 1e-10) -> bool:
    """Equal as a check could tell: numbers within a tight tolerance (NaN equals NaN), containers item by item."""
    if isinstance(a, Answer) and isinstance(b, Answer):
        return a.ok == b.ok and (same(a.value, b.value, rtol, atol) if a.ok else a.failure == b.failure)
    if type(a) is dict and type(b) is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k], rtol, atol) for k in a)
    numbers = _numeric(a), _numeric(b)
    x, y = numbers
    if x is not None and y is not None:
        if x.shape != y.shape:
            return False
        return bool(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, Frame) and isinstance(b, Frame):               # a table: its columns, in order, and their values
        return a.columns == b.columns and all(_same_values(a.data[c], b.data[c], rtol, atol) for c in a.columns)
    if isinstance(a, Column) and isinstance(b, Column):
        return a.name == b.name and _same_values(a.values, b.values, rtol, atol)
    if isinstance(a, ModelDescription) and isinstance(b, ModelDescription):
        return _same_model(a, b)
    return type(a) is type(b) and a == b


def _same_values(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """A column's values: numbers within the tolerance, anything else (text) exactly."""
    if _numeric(a) is not None and _numeric(b) is not None:
        return same(a, b, rtol, atol)
    return bool(np.shape(a) == np.shape(b) and np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))


def _same_model(a: Any, b: Any) -> bool:
    """Two model descriptions: the same architecture and compile settings, and the same weights' shapes."""
    return (_unnamed(a.architecture) == _unnamed(b.architecture) and a.compile == b.compile
            and [np.shape(w) for w in a.weights] == [np.shape(w) for w in b.weights])


def _unnamed(architecture: str) -> Any:
    """The architecture with its layers' and model's names replaced by their order of appearance. Keras numbers
    automatic names per process (dense_3, input_layer_2), so a probe that built one layer more or less earlier in
    the same sandbox would otherwise make every later model look different."""
    try:
        tree = json.loads(architecture)
    except ValueError:
        return architecture
    names: dict[str, str] = {}

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            config = node.get("config")
            if isinstance(config, dict) and isinstance(config.get("name"), str):
                names.setdefault(config["name"], f"#{len(names)}")
            for item in node.values():
                collect(item)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    def rename(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: rename(item) for key, item in node.items()}
        if isinstance(node, list):
            return [rename(item) for item in node]
        return names.get(node, node) if isinstance(node, str) else node

    collect(tree)
    return rename(tree)


def _numeric(value: Any) -> np.ndarray | None:
    if type(value) in (int, float, bool) or (isinstance(value, np.ndarray) and value.dtype.kind in "biuf"):
        return np.asarray(value, dtype=float)
    if type(value) in (list, tuple) and value and all(type(item) in (int, float) for item in value):
        return np.asarray(value, dtype=float)
    return None


def skeleton(answer: Answer) -> Answer:
    """An answer reduced to its shape (keys, array shapes, kinds of value): how a function that returns
    random values is compared, since any draw is right."""
    def shape(value: Any) -> Any:
        if type(value) is dict:
            return {key: shape(item) for key, item in value.items()}
        if isinstance(value, np.ndarray):
            return f"array{value.shape}"
        if type(value) in (list, tuple):
            return [shape(item) for item in value]
        return type(value).__name__
    return Answer(True, shape(answer.value)) if answer.ok else answer


def differing(reference: Behaviour, other: Behaviour, probes: list[Probe]) -> set[str]:
    """The functions on which `other` answers any probe differently from `reference`."""
    return {probe.function for probe, a, b in zip(probes, reference, other) if not same(a, b)}


def agrees_on(function: str, first: Behaviour, second: Behaviour, probes: list[Probe]) -> bool:
    """Both files answer every probe of `function` alike."""
    return all(same(a, b) for probe, a, b in zip(probes, first, second) if probe.function == function)


def stable(reference: Behaviour, again: Behaviour) -> list[bool]:
    """Probes whose answer the reference repeats (a probe that varies from run to run cannot judge a mutant)."""
    return [same(a, b) for a, b in zip(reference, again)]
