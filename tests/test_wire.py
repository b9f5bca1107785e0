"""Unit tests for the wire format: what may cross the boundary, and the bounds on decoding."""

import json
import os
import time

import numpy as np
import pytest

from grader.sandbox import wire


def roundtrip(value):
    return wire.decode(wire.loads(wire.dumps({"v": wire.encode(value)})[4:])["v"])


def test_plain_values_roundtrip_with_their_types():
    value = {"a": [1, 2.5, None, True, "x"], "t": (1, (2, 3)), "nested": {"k": [{"d": 1}]}}
    assert roundtrip(value) == value
    assert type(roundtrip((1, 2))) is tuple


def test_non_finite_floats_roundtrip():
    got = roundtrip([float("inf"), float("-inf"), float("nan")])
    assert got[0] == float("inf") and got[1] == float("-inf") and np.isnan(got[2])


def test_arrays_roundtrip_as_base_class_arrays():
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    got = roundtrip(array)
    assert type(got) is np.ndarray and got.dtype == np.float32 and got.shape == (3, 4)
    assert np.array_equal(got, array)
    assert got.flags.writeable


def test_numpy_scalars_become_python_scalars():
    assert roundtrip(np.float64(0.5)) == 0.5 and type(roundtrip(np.float64(0.5))) is float
    assert type(roundtrip(np.int64(3))) is int
    assert roundtrip(np.bool_(True)) is True


def test_a_user_dict_cannot_pose_as_a_tag():
    value = {"ndarray": {"dtype": "float64", "shape": [1], "data": "AAAAAAAA8D8="}}
    assert roundtrip(value) == value


class LyingFloat(float):
    def __eq__(self, other):
        return True


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


def test_subclasses_of_builtins_are_refused():
    with pytest.raises(wire.Unsupported, match="LyingFloat"):
        wire.encode(LyingFloat(1.0))


def test_ndarray_subclasses_arrive_as_plain_arrays():
    lying = np.zeros(3).view(LyingArray)
    got = roundtrip(lying)
    assert type(got) is np.ndarray
    assert not np.array_equal(got, np.ones(3))


@pytest.mark.parametrize("value", [10**wire.MAX_INT_DIGITS, [-(10**5000)], object(), {1: "int key"}, np.array(["text"]), np.array([object()]), {1, 2}, b"bytes"])
def test_unsupported_values_are_refused(value):
    with pytest.raises(wire.Unsupported):
        wire.encode(value)


def test_encoding_refuses_deep_nesting():
    value = []
    for _ in range(wire.MAX_DEPTH + 5):
        value = [value]
    with pytest.raises(wire.Unsupported, match="nested"):
        wire.encode(value)


def test_decoding_refuses_deep_nesting_even_when_forged():
    data = []
    for _ in range(wire.MAX_DEPTH + 5):
        data = [data]
    with pytest.raises(wire.WireError, match="nested"):
        wire.decode(data)


def test_decoding_counts_elements():
    with pytest.raises(wire.WireError, match="elements"):
        wire.decode([0] * (wire.MAX_ITEMS + 1))


def test_decoding_checks_array_shape_against_data():
    forged = {"ndarray": {"dtype": "float64", "shape": [1000], "data": "AAAAAAAA8D8="}}
    with pytest.raises(wire.WireError, match="shape"):
        wire.decode(forged)


def test_decoding_refuses_huge_declared_arrays_before_allocating():
    forged = {"ndarray": {"dtype": "float64", "shape": [10**6, 10**6], "data": ""}}
    with pytest.raises(wire.WireError, match="elements"):
        wire.decode(forged)


@pytest.mark.parametrize("forged", [
    {"ndarray": {"dtype": "object", "shape": [1], "data": ""}},
    {"pickle": "gASVAAAAAAAAAAA="},
    {"dict": [[1, 2]]},
    {"tuple": "not a list"},
    {"a": 1, "b": 2},
])
def test_decoding_refuses_unknown_or_malformed_tags(forged):
    with pytest.raises(wire.WireError):
        wire.decode(forged)


def test_malformed_json_is_a_wire_error():
    with pytest.raises(wire.WireError):
        wire.loads(b"{not json")
    with pytest.raises(wire.WireError):
        wire.loads(b"[1, 2]")
    with pytest.raises(wire.WireError):
        wire.loads(b"[" * 100000 + b"]" * 100000)


def test_frames_travel_through_a_pipe_and_time_out():
    read_fd, write_fd = os.pipe()
    try:
        wire.write_frame(write_fd, {"x": 1})
        assert wire.read_frame(read_fd, time.monotonic() + 1) == {"x": 1}
        with pytest.raises(wire.FrameTimeout):
            wire.read_frame(read_fd, time.monotonic() + 0.05)
        os.write(write_fd, (2**31).to_bytes(4, "big"))
        with pytest.raises(wire.WireError, match="exceeds"):
            wire.read_frame(read_fd, time.monotonic() + 1)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_a_closed_channel_is_reported():
    read_fd, write_fd = os.pipe()
    os.close(write_fd)
    with pytest.raises(wire.ChannelClosed):
        wire.read_frame(read_fd, time.monotonic() + 1)
    os.close(read_fd)


# ---------------------------------------------------------------- hostile frames: only WireError may escape decode

def forged_array(**fields):
    return {"ndarray": {"dtype": "float64", "shape": [1], "data": "AAAAAAAA8D8=", **fields}}


@pytest.mark.parametrize("forged, says", [
    (forged_array(shape=[0, 2**62], data=""), "shape"),              # product 0, yet numpy refuses the dimension
    (forged_array(shape=[0, 2**100], data=""), "shape"),
    (forged_array(shape=[2**62, 2**62, 0], data=""), "shape"),
    (forged_array(shape=[-1], data=""), "shape"),
    (forged_array(shape=[0] * (wire.MAX_DEPTH + 1), data=""), "shape"),
    (forged_array(shape=[True]), "shape"),
    (forged_array(shape=[1.0]), "shape"),
    (forged_array(shape="1"), "shape"),
    (forged_array(shape=None), "shape"),
    (forged_array(dtype=["float64"]), "dtype"),                      # unhashable: `in` on a set raised TypeError
    (forged_array(dtype={"a": 1}), "dtype"),
    (forged_array(dtype="<f8"), "dtype"),
    (forged_array(dtype="float64\x00"), "dtype"),
    (forged_array(dtype=None), "dtype"),
    (forged_array(dtype=10**5000), "dtype"),                         # str() of it raises ValueError
    (forged_array(data="é" * 8), "data"),                           # non-ASCII: .encode("ascii") raised
    (forged_array(data="A"), "base64"),                              # bad padding: binascii.Error
    (forged_array(data="!!!!"), "base64"),
    (forged_array(data=12), "data"),
    ({"ndarray": ["float64", [1], ""]}, "unexpected"),
    ({"series": {"name": None, "data": {"ndarray": "x"}}}, "array"),
    ({"series": {"name": "\ud800", "data": forged_array()}}, "valid text"),
    ({"dataframe": {"columns": ["a"], "data": [{"ndarray": 5}]}}, "array"),
    ({"dataframe": {"columns": ["\udfff"], "data": [forged_array()]}}, "valid text"),
    ({"model": {"architecture": "{}", "weights": [{"ndarray": [1]}]}}, "array"),
    ({"model": {"architecture": "\ud800", "weights": []}}, "valid text"),
    ({"model": {"architecture": "{}", "weights": [], "optimizer_steps": -1}}, "step count"),
    ({"model": {"architecture": "{}", "weights": [], "optimizer_steps": True}}, "step count"),
    ({"model": {"architecture": "{}", "weights": [], "optimizer_steps": 2.0}}, "step count"),
    ({"model": {"architecture": "{}", "weights": [], "optimizer_steps": 2**60}}, "step count"),
    ({"float": ["nan"]}, "unexpected"),
    ({"float": "NaN"}, "unexpected"),
    ({"dict": [["\ud800", 1]]}, "valid text"),
    ({"dict": [["k" * (wire.MAX_STR_CHARS + 1), 1]]}, "characters"),
    ("\udc80", "valid text"),
    ([10**wire.MAX_INT_DIGITS], "integer"),
])
def test_decoding_any_forged_frame_raises_only_a_wire_error(forged, says):
    with pytest.raises(wire.WireError, match=says):
        wire.decode(forged)


def mutations(value, rng):
    """Replace one random node of a tagged value with something hostile, many times over."""
    hostile = [None, True, -1, 2**62, 10**400, 10**5000, 1.5, float("nan"), "", "é", "\ud800", [], {}, [[[]]], {"a": 1, "b": 2},
               {"ndarray": {}}, {"tuple": {}}, {"dict": [[1]]}, ["float64"], [0, 2**62], "float64", "A"]

    def paths(node, path=()):
        yield path
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            yield from paths(child, path + (key,))

    all_paths = list(paths(value))
    for _ in range(3000):
        copy = json.loads(json.dumps(value))
        path = all_paths[rng.integers(len(all_paths))]
        replacement = hostile[rng.integers(len(hostile))]
        if not path:
            yield replacement
            continue
        node = copy
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = replacement
        yield copy


def test_decoding_thousands_of_mutated_frames_raises_nothing_but_wire_error():
    sample = wire.encode({"table": wire.Frame(("a", "b"), {"a": np.arange(3.0), "b": np.ones(3, dtype=np.int32)}),
                          "column": wire.Column("c", np.zeros((2,), dtype=np.uint8)),
                          "array": np.arange(6, dtype=np.float32).reshape(2, 3), "pair": (1, [2.5, "x"]),
                          "nan": float("nan")})
    sample["dict"].append(["model", {"model": {"architecture": "{}", "compile": {"dict": []}, "weights": [
        wire.encode(np.zeros((2, 2)))], "input_shape": [None, 2], "output_shape": [None, 2]}}])
    decoded = 0
    for forged in mutations(sample, np.random.default_rng(9)):
        try:
            wire.decode(forged)
            decoded += 1
        except wire.WireError as exc:
            assert "could not be read" not in str(exc), f"only the backstop caught {forged!r:.300}"
    assert 0 < decoded < 3000   # the mutations hit both harmless and malformed places


def test_the_backstop_turns_an_unforeseen_failure_into_a_wire_error(monkeypatch):
    def broken(body, budget):
        raise IndexError("a malformation no check foresaw")

    monkeypatch.setattr(wire, "_decode_array", broken)
    with pytest.raises(wire.WireError, match="could not be read"):
        wire.decode(forged_array())


def test_integers_up_to_the_digit_bound_roundtrip():
    big = 10**wire.MAX_INT_DIGITS - 1
    assert roundtrip([big, -big]) == [big, -big]
