"""The check authors' API (grader.authoring): expect_close and its family, the readers, cascade roots, the Keras
compile parts, and the reference page generated from the API's docstrings (docs/authoring-api.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import grader.authoring as api
from grader.authoring import (CheckFailed, Hint, Outcome, Root, SubmissionFailure, Wrong, as_array, as_is,
                              expect_close, expect_equal, expect_shape, keras_models, matching_hint, read_dict,
                              read_history, read_list, read_pair, when_raised, wrong_root)
from grader.grading.api_reference import markdown
from grader.sandbox.wire import ModelDescription

ROOT = Path(__file__).resolve().parents[1]
FORGOT_BIAS = Hint("forgot-bias", "The bias is missing.")
SIGN = Hint("sign", "The sign is flipped.")
OTHER = Hint("other", "Something else.")


def failure_of(call, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as caught:
        call(*args, **kwargs)
    return caught.value


# ----------------------------------------------------------------------------- the reference page

def test_the_reference_page_is_the_generated_one():
    page = (ROOT / "docs" / "authoring-api.md").read_text()
    assert page == markdown(api), "docs/authoring-api.md is out of date: python -m grader.authoring --markdown > docs/authoring-api.md"


def test_the_module_prints_the_reference_page():
    printed = subprocess.run([sys.executable, "-m", "grader.authoring", "--markdown"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    assert printed == markdown(api)
    assert "### `expect_close(got, want, what, *, hint=None, wrong=(), root=None" in printed


def test_every_public_name_is_documented_on_the_page():
    page = markdown(api)
    for name in api.__all__:
        assert f"`{name}" in page or f"`keras_models.{name}" in page, name
    assert "(no description)" not in page
    for name in keras_models.__all__:
        assert f"`keras_models.{name}" in page, name


# ----------------------------------------------------------------------------- expect_close

@pytest.mark.parametrize("form", [0.415, np.float64(0.415), np.float32(0.415), np.array(0.415), np.array([0.415]),
                                  [0.415], (0.415,), [np.array([0.415])]])
def test_expect_close_accepts_every_form_of_one_number(form):
    assert expect_close(form, 0.415, "f(x)") == pytest.approx(0.415, rel=1e-6)
    assert expect_close(0.415, np.float64(0.415), "f(x)") == 0.415          # and every form of the right value


def test_expect_close_accepts_an_int_where_a_float_is_expected():
    assert expect_close(3, 3.0, "f(x)") == 3.0
    assert expect_close(np.int64(3), 3.0, "f(x)") == 3.0


@pytest.mark.parametrize("wrong_form", ["0.415", None, [0.415, 0.415], {"a": 0.415}, np.array([0.415, 1.0])])
def test_expect_close_fails_a_value_that_is_no_number_saying_what_it_is(wrong_form):
    failure = failure_of(expect_close, wrong_form, 0.415, "f(x)")
    assert failure.message.startswith("f(x) should be a number, but it is")
    assert failure.hint is None


def test_expect_close_writes_the_message_with_the_digits_that_tell_the_values_apart():
    failure = failure_of(expect_close, 0.6023, 0.6022861768886306, "sigmoid(0.415)")
    assert failure.message == "sigmoid(0.415) returned 0.6023, expected 0.602286"
    failure = failure_of(expect_close, 0.12345651, 0.123456789, "f(x)", verb="gave", note=": the sigmoid")
    assert failure.message == "f(x) gave 0.12345651, expected 0.12345679: the sigmoid"   # 6 digits: 0.123457 twice
    shown, expected = failure.message.split(" gave ")[1].split(", expected ")
    assert shown != expected.split(":")[0]


def test_expect_close_compares_arrays_and_dicts():
    got = expect_close([0.1, 0.2], np.array([0.1, 0.2]), "f(x)")
    assert isinstance(got, np.ndarray) and got.shape == (2,)
    assert expect_close({"w": np.float64(1.0), "b": [2.0]}, {"w": 1.0, "b": 2.0}, "update(...)") == {"w": 1.0, "b": 2.0}
    failure = failure_of(expect_close, {"w": 1.0}, {"w": 1.0, "b": 2.0}, "update(...)")
    assert "without the key(s) 'b'" in failure.message
    failure = failure_of(expect_close, [0.1, 0.2, 0.3], np.array([0.1, 0.2]), "f(x)")
    assert failure.message.startswith("f(x) returned [0.1, 0.2, 0.3], expected [0.1, 0.2]")


def test_the_wrong_formulas_hint_fires_only_when_the_value_matches_it():
    wrong = {FORGOT_BIAS: 0.015, SIGN: -0.415}
    assert failure_of(expect_close, 0.015, 0.415, "z", wrong=wrong).hint == FORGOT_BIAS
    assert failure_of(expect_close, -0.415, 0.415, "z", wrong=wrong).hint == SIGN
    assert failure_of(expect_close, 0.016, 0.415, "z", wrong=wrong).hint is None       # near a mistake is not it
    assert failure_of(expect_close, 0.016, 0.415, "z", wrong=wrong, hint=OTHER).hint == OTHER
    seen = []
    assert failure_of(expect_close, [0.016], 0.415, "z", hint=lambda got: seen.append(got) or OTHER).hint == OTHER
    assert seen == [0.016]                                  # a hint-finding function gets the value as read
    assert expect_close(0.415, 0.415, "z", wrong={FORGOT_BIAS: 0.415}) == 0.415      # a right value always passes


def test_a_list_of_pairs_a_wrong_with_its_own_tolerance_and_lazy_formulas():
    asked = []

    def costly():
        asked.append(1)
        return 0.015

    assert expect_close(0.415, 0.415, "z", wrong=[(FORGOT_BIAS, costly)]) == 0.415
    assert asked == []                                                  # computed only when the check fails
    assert failure_of(expect_close, 0.015, 0.415, "z", wrong=[(FORGOT_BIAS, costly)]).hint == FORGOT_BIAS
    loose = [Wrong(FORGOT_BIAS, 0.015, rtol=1e-2)]
    assert failure_of(expect_close, 0.01505, 0.415, "z", wrong=loose).hint == FORGOT_BIAS
    assert failure_of(expect_close, 0.01505, 0.415, "z", wrong=[(FORGOT_BIAS, 0.015)]).hint is None


def test_no_hint_beats_a_wrong_one_when_formulas_of_different_mistakes_agree():
    assert matching_hint(0.0, [(FORGOT_BIAS, 0.0), (SIGN, 0.0)]) is None
    assert matching_hint(0.0, [(FORGOT_BIAS, 0.0), (FORGOT_BIAS, 0.0), (SIGN, 1.0)]) == FORGOT_BIAS
    assert failure_of(expect_close, 0.0, 1.0, "z", wrong=[(FORGOT_BIAS, 0.0), (SIGN, 0.0)], hint=OTHER).hint == OTHER


def test_a_wrong_root_comes_before_the_wrong_formulas():
    failure = failure_of(expect_close, 0.015, 0.415, "z", wrong={FORGOT_BIAS: 0.015}, root=lambda: SIGN)
    assert failure.hint == SIGN
    failure = failure_of(expect_close, 0.015, 0.415, "z", wrong={FORGOT_BIAS: 0.015}, root=lambda: None)
    assert failure.hint == FORGOT_BIAS


def test_expect_equal_and_expect_shape():
    assert expect_equal(["LSTM", "Dense"], ("LSTM", "Dense"), "the layers") == ["LSTM", "Dense"]
    assert expect_equal(np.int64(3), 3, "the count") == 3
    failure = failure_of(expect_equal, ["Dense"], ["LSTM", "Dense"], "the layers", verb="are",
                         wrong={FORGOT_BIAS: ["Dense"]})
    assert failure.message == "the layers are ['Dense'], expected ['LSTM', 'Dense']" and failure.hint == FORGOT_BIAS
    array = expect_shape([[1, 2], [3, 4]], (2, 2), "f(x)")
    assert array.shape == (2, 2)
    failure = failure_of(expect_shape, np.zeros((3, 28, 28)), (3, 28, 28, 1), "reshape(images)",
                         wrong={SIGN: (3, 28, 28)})
    assert failure.message == "reshape(images) returned shape (3, 28, 28); expected (3, 28, 28, 1)"
    assert failure.hint == SIGN
    assert failure_of(expect_shape, np.zeros(4), (3,), "f(x)", wrong={SIGN: (3, 28, 28)}).hint is None


# ----------------------------------------------------------------------------- readers

def test_read_pair_uses_the_readmes_names():
    assert read_pair((0.5, np.array([0.7])), "forward(...)", ("a1", "a2")) == (0.5, 0.7)
    assert failure_of(read_pair, 0.5, "forward(...)", ("a1", "a2")).message == \
        "forward(...) should return the pair (a1, a2), but it returned 0.5"
    assert failure_of(read_pair, (0.5, "x"), "forward(...)", ("a1", "a2")).message.startswith(
        "forward(...)[1] (a2) should be a number")
    model, X = read_pair(("model", [1, 2]), "fit(...)", ("model", "X"), read=(as_is, as_array))
    assert model == "model" and X.tolist() == [1.0, 2.0]


def test_read_dict_and_read_list():
    assert read_dict({"w1": 1, "b1": np.float64(2.0), "extra": 3}, "grads", ["w1", "b1"]) == {"w1": 1.0, "b1": 2.0}
    assert "without the key(s) 'b1'" in failure_of(read_dict, {"w1": 1}, "grads", ["w1", "b1"]).message
    assert failure_of(read_dict, [1, 2], "grads", ["w1"]).message.startswith("grads should return a dict with the keys w1")
    assert read_list((1, np.array([2.0])), "errors", "the list of errors") == [1.0, 2.0]
    assert failure_of(read_list, 3.0, "train(...)[1]", "the list of errors").message == \
        "train(...)[1] should be the list of errors, but it is 3"
    assert failure_of(read_list, [1.0, "x"], "errors", "the list of errors").message.startswith("errors[1] should be")


def test_read_history_names_a_missing_key_and_one_epoch():
    history = {"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.6, 0.3]}
    assert read_history(history, "fit(...)", ("loss", "val_loss"), epochs=3) is history
    failure = failure_of(read_history, {"loss": [1.0]}, "fit(...)", ("loss", "val_loss"), missing={"val_loss": SIGN})
    assert failure.hint == SIGN and "'val_loss'" in failure.message
    failure = failure_of(read_history, {"loss": [1.0]}, "fit(...)", ("loss",), epochs=3, one_epoch=OTHER)
    assert failure.hint == OTHER
    assert failure_of(read_history, {"loss": [1.0, 2.0]}, "fit(...)", ("loss",), epochs=3, one_epoch=OTHER).hint is None
    assert failure_of(read_history, [1.0], "fit(...)", ("loss",)).message.startswith("fit(...) should be history.history")


# ----------------------------------------------------------------------------- roots and failures

def raising(outcome, hint=None):
    def call():
        raise SubmissionFailure(outcome, "it failed", hint)
    return call


def judge_positive(value):
    if value <= 0:
        api.fail("not positive")


def test_wrong_root_asks_in_order_and_names_the_first_wrong_function():
    right, wrong = Root(SIGN, lambda: 1.0, want=1.0), Root(FORGOT_BIAS, lambda: 2.0, want=1.0)
    assert wrong_root(right, wrong, Root(OTHER, lambda: 0.0, want=1.0)) == FORGOT_BIAS
    assert wrong_root(right) is None
    assert Root(SIGN, raising(Outcome.TIMEOUT), want=1.0).is_wrong()       # as gives: no answer is wrong
    with pytest.raises(TypeError):
        Root(SIGN, lambda: 1.0)


def test_a_judged_root_is_wrong_when_it_raised_and_says_nothing_when_it_hung_or_cannot_be_called():
    assert Root(SIGN, lambda: -1.0, judge=judge_positive).is_wrong()
    assert not Root(SIGN, lambda: 1.0, judge=judge_positive).is_wrong()
    assert Root(SIGN, raising(Outcome.ERROR), judge=judge_positive).is_wrong()
    assert not Root(SIGN, raising(Outcome.TIMEOUT), judge=judge_positive).is_wrong()
    assert not Root(SIGN, raising(Outcome.CRASHED), judge=judge_positive).is_wrong()
    mismatch = Hint("signature-mismatch", "called otherwise")
    assert not Root(SIGN, raising(Outcome.ERROR, mismatch), judge=judge_positive).is_wrong()


def test_when_raised_names_a_mistake_only_when_the_call_raised():
    with pytest.raises(SubmissionFailure) as caught, when_raised(lambda: SIGN):
        raising(Outcome.ERROR)()
    assert caught.value.hint == SIGN
    with pytest.raises(SubmissionFailure) as caught, when_raised(SIGN):
        raising(Outcome.TIMEOUT)()
    assert caught.value.hint is None
    with pytest.raises(SubmissionFailure) as caught, when_raised(SIGN):
        raising(Outcome.ERROR, OTHER)()
    assert caught.value.hint == OTHER
    with pytest.raises(SubmissionFailure) as caught, when_raised(SIGN, replace=True):
        raising(Outcome.ERROR, OTHER)()
    assert caught.value.hint == SIGN


def test_the_outcome_type_is_exported():
    assert Outcome.ERROR == "error" and Outcome("error") is Outcome.ERROR


# ----------------------------------------------------------------------------- Keras compile parts

def model(compile_config):
    architecture = ('{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": '
                    '{"batch_shape": [null, 4]}}, {"class_name": "Dense", "config": {"name": "d", "units": 1, '
                    '"activation": "linear"}}]}}')
    return ModelDescription(architecture=architecture, compile=compile_config, weights=[], input_shape=[None, 4], output_shape=[None, 1])


COMPILE = keras_models.LabCompile("mean_squared_error", not_compiled=OTHER, wrong_loss=SIGN, wrong_optimizer=FORGOT_BIAS,
                                  missing_accuracy=OTHER)


def test_lab_compile_parts_accept_every_spelling_and_name_each_difference():
    right = model({"loss": "mse", "optimizer": {"class_name": "Adam", "config": {}}, "metrics": ["acc"]})
    for part in (COMPILE.check_loss, COMPILE.check_optimizer, COMPILE.check_metric):
        part(right, 4, "regression_model(4)")
    assert failure_of(COMPILE.check_loss, model({"loss": "mae", "optimizer": "adam"}), "m").hint == SIGN
    assert failure_of(COMPILE.check_loss, model({"optimizer": "adam"}), "m").hint == SIGN
    assert failure_of(COMPILE.check_optimizer, model({"loss": "mse", "optimizer": "sgd"}), "m").hint == FORGOT_BIAS
    assert failure_of(COMPILE.check_metric, model({"loss": "mse", "optimizer": "adam"}), "m").hint == OTHER
    not_compiled = failure_of(COMPILE.check_loss, model({}), 4, "regression_model(4)")
    assert not_compiled.hint == OTHER and not_compiled.message == "regression_model(4) returned a model that is not compiled"
    either = keras_models.LabCompile(("binary_crossentropy", "mean_squared_error"), OTHER, SIGN, None, without_loss=None)
    either.check_loss(model({"loss": "mse", "optimizer": "adam"}), "m")
    assert failure_of(either.check_loss, model({"optimizer": "adam"}), "m").hint is None
