"""The helpers checks use to read returned values: clear failures instead of crashing checks."""

import numpy as np
import pytest

from grader.grading.checklib import CheckFailed, accuracy_at_least, as_array, as_number, below, close, show


@pytest.mark.parametrize("value, expected", [(1, 1.0), (0.5, 0.5), (np.array([0.25]), 0.25), (np.array(2.0), 2.0), ([3.0], 3.0)])
def test_as_number_accepts_numbers_and_one_element_containers(value, expected):
    assert as_number(value, "f()") == expected


@pytest.mark.parametrize("value, words", [("0.5", "a str"), (None, "NoneType"), (np.array([1.0, 2.0]), "shape (2,)"), ([1, 2], "a list"), (True, "bool"),
                                          ([[1.0]], "a list")])
def test_as_number_fails_with_a_readable_message(value, words):
    with pytest.raises(CheckFailed) as caught:
        as_number(value, "f()")
    assert "f() should be a number" in caught.value.message and words in caught.value.message


def test_as_array_checks_the_shape():
    assert as_array([1, 2, 3], "g()").shape == (3,)
    with pytest.raises(CheckFailed, match="shape"):
        as_array([1, 2, 3], "g()", shape=(2,))
    with pytest.raises(CheckFailed, match="numbers"):
        as_array({"a": 1}, "g()")


def test_close_never_matches_nan_and_respects_shape():
    assert close(0.1 + 0.2, 0.3)
    assert not close(float("nan"), float("nan"))
    assert not close([1.0, 2.0], [1.0])
    assert close(float("inf"), float("inf"))
    assert not close(1.0, 1.1)


def test_learning_thresholds_are_strict_where_written_and_never_pass_nan():
    assert below(0.59, 0.6) and not below(0.6, 0.6) and not below(float("nan"), 0.6)
    assert accuracy_at_least(0.8, 0.8) and not accuracy_at_least(0.79, 0.8)
    assert not accuracy_at_least(float("nan"), 0.8), "a model that predicts NaN learned nothing"


def test_close_on_arrays_gives_np_allclose_verdicts():
    """close() computes allclose's formula itself (it runs thousands of times per batch): same verdict on
    random arrays mixing tiny, huge, infinite and NaN values, in either argument, at several tolerances."""
    def allclose_rule(got, want, rtol, atol):
        got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        if got.shape != want.shape:
            return False
        if not np.all(np.isfinite(got)):
            return bool(np.array_equal(got, want)) and not np.any(np.isnan(got))
        return bool(np.allclose(got, want, rtol=rtol, atol=atol))

    rng = np.random.default_rng(3)
    specials = np.array([0.0, -0.0, 1e-300, 1e308, -1e308, np.inf, -np.inf, np.nan, 1.0, 1.0 + 1e-7, 1.0 + 1e-5])
    agreed = disagreed = 0
    for _ in range(3000):
        shape = tuple(rng.integers(1, 4, size=rng.integers(0, 3)))
        want = rng.normal(size=shape) * 10.0 ** rng.integers(-8, 8)
        got = want + rng.normal(size=shape) * 10.0 ** rng.integers(-12, 0)
        for array in (got, want):
            if array.size and rng.random() < 0.4:
                array.flat[rng.integers(array.size)] = rng.choice(specials)
        if rng.random() < 0.2:
            got = want.copy()
        rtol, atol = rng.choice([1e-6, 1e-3, 0.0]), rng.choice([1e-9, 1e-4, 0.0])
        with np.errstate(all="ignore"):
            expected = allclose_rule(got, want, rtol, atol)
        if close(got, want, rtol=rtol, atol=atol) == expected:
            agreed += 1
        else:
            disagreed += 1
    assert disagreed == 0 and agreed == 3000


def test_show_keeps_messages_short():
    assert show(0.123456789) == "0.123457"
    assert show(np.zeros(100)) == "array of shape (100,)"
    assert show({"w1": 0.5}) == "{'w1': 0.5}"
    assert len(show("x" * 500)) <= 80


def test_as_pair_names_the_expected_shape():
    from grader.grading.checklib import as_pair

    assert as_pair((1, 2), "f()", "(a, b)") == (1, 2)
    assert as_pair([1, 2], "f()", "(a, b)") == (1, 2)
    with pytest.raises(CheckFailed, match=r"f\(\) should return \(a, b\), but it returned 3"):
        as_pair(3, "f()", "(a, b)")
    with pytest.raises(CheckFailed):
        as_pair((1, 2, 3), "f()", "(a, b)")


class WrittenAs:
    """The one thing check_written_default asks of the submission: its functions' signatures as written."""

    def __init__(self, source):
        from grader.labcode.signatures import signatures

        self._source, self._signatures = source, signatures(source)

    def signature_of(self, name):
        return self._signatures.get(name)

    def written_arguments(self, function, method, keyword):
        from grader.labcode.signatures import keyword_arguments

        return keyword_arguments(self._source, function, method, keyword)


@pytest.mark.parametrize("written", ["def fit(X, epochs=100): pass", "EPOCHS = 7\ndef fit(X, epochs=EPOCHS): pass",
                                     "def other(X): pass", "def fit(X, *, epochs=100): pass",
                                     "def fit(X, epochs=None): pass", "def fit(X, epochs=" + "[" * 30 + "]" * 30 + "): pass",
                                     "def fit(X, epochs=" + "1" * 60 + "): pass"])
def test_a_documented_default_as_written_or_unreadable_passes(written):
    from grader.grading.checklib import check_written_default

    check_written_default(WrittenAs(written), "fit", "epochs", 100, None)   # an expression or no fit: nothing claimed


@pytest.mark.parametrize("written, says", [("def fit(X, epochs=50): pass", "written with epochs=50"),
                                           ("def fit(X, *, epochs=50): pass", "written with epochs=50"),
                                           ("def fit(X, epochs=100.0): pass", "written with epochs=100.0"),
                                           ("def fit(X, epochs): pass", "has no default")])
def test_another_default_as_written_fails_with_the_hint(written, says):
    from grader.feedback.results import Hint
    from grader.grading.checklib import check_written_default

    hint = Hint("fit-default-epochs", "Keep epochs=100.")
    with pytest.raises(CheckFailed, match=says) as failed:
        check_written_default(WrittenAs(written), "fit", "epochs", 100, hint)
    assert failed.value.hint is hint and "epochs=100" in str(failed.value)


def test_signature_default_of_reads_what_is_written():
    from grader.labcode.signatures import signatures

    signature = signatures("def f(a, b=2, *args, c, d='x', **kw): pass")["f"]
    assert [signature.default_of(name) for name in ("a", "b", "c", "d", "e")] == ["", "2", "", "'x'", None]


FIT = """
def fit(X, y, epochs=100):
    model = build()
    history = model.fit(X, y, validation_split={split}, epochs=epochs)
    return model, history.history
"""


@pytest.mark.parametrize("split", ["0.3", "SPLIT", "1 - 0.7", "0.30"])
def test_an_argument_written_as_documented_or_computed_passes(split):
    from grader.grading.checklib import check_written_argument

    check_written_argument(WrittenAs(FIT.format(split=split)), "fit", "fit", "validation_split", 0.3, None)


def test_another_number_written_as_an_argument_fails():
    from grader.grading.checklib import check_written_argument

    with pytest.raises(CheckFailed, match=r"fit\(\.\.\., validation_split=1\.3\) as written.*validation_split=0\.3"):
        check_written_argument(WrittenAs(FIT.format(split="1.3")), "fit", "fit", "validation_split", 0.3, None)
    # Another function's call, or a call of another method, is not this one's.
    source = FIT.format(split="0.3") + "\ndef other(model):\n    model.fit(1, 2, validation_split=0.5)\n"
    check_written_argument(WrittenAs(source), "fit", "fit", "validation_split", 0.3, None)
    assert WrittenAs(source).written_arguments("other", "fit", "validation_split") == ["0.5"]
    assert WrittenAs(source).written_arguments("fit", "evaluate", "validation_split") == []


# ----------------------------------------------------------------------------- one rule for "a number"

@pytest.mark.parametrize("value", [0.5, np.array(0.5), np.array([0.5]), np.array([[0.5]]), [0.5], (0.5,), [np.array([0.5])]])
def test_every_form_of_one_number_is_that_number(value):
    """int, float (numpy scalars arrive as these), a 0-d array (which arrives as shape (1,)), a one-element array or
    list: one rule, in as_number, close and gives alike."""
    from grader.grading.checklib import gives, number_of

    assert number_of(value) == 0.5 and as_number(value, "f()") == 0.5
    assert close(value, 0.5) and close(value, np.float64(0.5)) and close(value, np.array(0.5))
    assert gives(lambda: value, 0.5) and gives(lambda: {"w": value}, {"w": 0.5}) and not close(value, 0.6)


def test_where_an_array_is_expected_its_shape_counts_and_a_lists_one_element_arrays_are_numbers():
    assert not close(np.array([0.5]), np.array([0.5, 0.5])) and not close(0.5, [0.5])
    assert not close(np.array([[1.0], [2.0]]), [1.0, 2.0])            # a column is not a vector
    assert close([np.array([1.0]), np.array(2.0)], [1.0, 2.0])      # but a list of one-element arrays is
    assert as_array([np.array([1.0]), 2.0], "f()").shape == (2,)
    assert as_array([np.array([1.0, 2.0]), np.array([3.0, 4.0])], "f()").shape == (2, 2)
    assert as_array([np.ones((1, 1)), np.ones((1, 1))], "f()").shape == (2, 1, 1)
    assert not close((np.array([0.6]), np.array([0.7])), [0.6, 0.8]) and close((np.array([0.6]), 0.7), [0.6, 0.7])


def test_two_different_values_never_look_the_same():
    from grader.grading.checklib import compared, show_apart

    assert show_apart(0.6023, 0.6022861768886306) == ("0.6023", "0.602286")
    assert compared(0.1 + 1e-9, 0.1) == "0.100000001, expected 0.1"
    assert show_apart((0.6825, 0.90262), (0.682532, 0.9026)) == ("(0.6825, 0.90262)", "(0.682532, 0.9026)")
    assert show_apart({"w": 0.5000001}, {"w": 0.5}) == ("{'w': 0.5000001}", "{'w': 0.5}")
    shown, expected = show_apart(np.array([0.60231, 1.0]), np.array([0.60232, 1.0]))
    assert shown != expected


@pytest.mark.parametrize("got, want, places", [
    (0.6023, 0.6022861768886306, 4), (np.array([0.6023]), 0.6022861768886306, 4), (0.602, 0.6022861768886306, 3),
    ([0.1082, 0.1033], [0.10822956, 0.10329792], 4), ({"w1": 0.1496, "b1": 0.3959}, {"w1": 0.14959144, "b1": 0.39591441}, 4),
    (0.6022861768886306, 0.6022861768886306, None), (np.float64(0.6023), np.float64(0.6022861768886306), 4), (0.61, 0.6022861768886306, None), (0.0, 0.00102, None),
    (1.0, 0.73, None), ("0.6023", 0.6022861768886306, None), ([0.1082, 0.2], [0.10822956, 0.3], None)])
def test_rounded_to_finds_a_rounding_and_nothing_else(got, want, places):
    from grader.grading.checklib import rounded_to

    assert rounded_to(got, want) == places


def test_text_is_never_a_number():
    assert not close("0.5", 0.5) and not close(["0.5"], [0.5]) and not close(np.array(["0.5"]), [0.5])
    with pytest.raises(CheckFailed):
        as_number("0.5", "f()")


def test_first_hint_passes_over_failures_without_one():
    from grader.feedback.results import Hint
    from grader.grading.checklib import fail, first_hint

    named = Hint("named", "a named mistake")

    def passes(value):
        pass

    def unnamed(value):
        fail("wrong, no hint")

    def hinted(value):
        fail("wrong", named)

    assert first_hint((passes, unnamed, hinted), 1) is named
    assert first_hint((passes, unnamed), 1) is None
