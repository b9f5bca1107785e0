"""The naive baseline's pytest plugin: the student's module imported straight into the checks' process.

This is how a hand-rolled grader works (no sandbox, no boundary): it exists only so the benchmark
can measure the engine against it in the same run. Never use it to grade.
"""

import functools
import importlib.util
import os
import zlib

import numpy as np
import pytest

from grader.labcode.signatures import keyword_arguments, signatures
from grader.sandbox import wire


def _plain(value):
    """The checks expect plain data; convert in-process, the way the wire would."""
    return wire.decode(wire.encode(value))


def _student(value):
    """Arguments as the student's code expects them (tables as pandas), the way the wire would."""
    return wire.decode(wire.encode(value), pandas=True)


class DirectSubmission:
    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        function = getattr(self._module, name)
        return lambda *args, **kwargs: _plain(function(*_student(args), **_student(kwargs)))

    def call(self, name, *args, **kwargs):
        return getattr(self, name)(*args, **kwargs)

    def signature_of(self, name):
        """The function as written, read from the file: checks of documented defaults need it."""
        return self._signatures.get(name)

    def note(self, text):
        pass

    def written_arguments(self, function, method, keyword):
        """What a check reads from the source as written (05's validation_split), read from the file here too."""
        return keyword_arguments(self._source, function, method, keyword)

    @functools.cached_property
    def _source(self):
        with open(self._module.__file__, encoding="utf-8") as stream:
            return stream.read()

    @functools.cached_property
    def _signatures(self):
        return signatures(self._source)

    def call_with_args(self, name, *args, **kwargs):
        args = _student(list(args))
        return _plain(getattr(self._module, name)(*args, **_student(kwargs))), _plain(args)


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): points")


@pytest.fixture(scope="session")
def submission():
    return DirectSubmission(_load(os.environ["NAIVE_SUBMISSION"], "student"))


@pytest.fixture(scope="session")
def reference():
    return _load(os.environ["NAIVE_REFERENCE"], "reference")


@pytest.fixture
def rng(request):
    return np.random.default_rng([1, zlib.crc32(request.node.name.encode())])
