"""Chapter 2 exercises: the references pass, typical wrong answers fail."""

import numpy as np
import pytest

from nnbook.book.exercises import check, get, ids


def test_registered():
    assert {"ch02.update", "ch02.predict", "ch02.epoch"} <= set(ids())


def test_update_reference_passes():
    assert check("ch02.update", get("ch02.update").reference, quiet=True).passed


def test_update_accepts_the_lib_update_and_a_list():
    from nnbook.lab.perceptron import update

    def via_lib(w, x_i, y_i, eta):
        w2, b2 = update(w[:-1], w[-1], x_i, y_i, eta)
        return np.append(w2, b2)

    assert check("ch02.update", via_lib, quiet=True).passed
    assert check("ch02.update", lambda *a: via_lib(*a).tolist(), quiet=True).passed


def _x1(x):
    return np.append(x, 1.0)


@pytest.mark.parametrize(
    "wrong, case",
    [
        # strict > instead of >=: z = 0 predicted as 0
        (lambda w, x, y, eta: w + eta * (y - float(w @ _x1(x) > 0)) * _x1(x), 3),
        # forgot to update the bias
        (lambda w, x, y, eta: w + eta * (y - float(w @ _x1(x) >= 0)) * np.append(x, 0.0), 1),
        # forgot the bias in the prediction
        (lambda w, x, y, eta: w + eta * (y - float(w[:-1] @ x >= 0)) * _x1(x), 5),
        # error with the wrong sign
        (lambda w, x, y, eta: w + eta * (float(w @ _x1(x) >= 0) - y) * _x1(x), 1),
        # updates on every example, using the label alone
        (lambda w, x, y, eta: w + eta * (2 * y - 1) * _x1(x), 2),
        # forgot eta
        (lambda w, x, y, eta: w + (y - float(w @ _x1(x) >= 0)) * _x1(x), 1),
        # returned only the weights, without the bias
        (lambda w, x, y, eta: (w + eta * (y - float(w @ _x1(x) >= 0)) * _x1(x))[:-1], 1),
        # returned the old weights unchanged
        (lambda w, x, y, eta: w, 1),
    ],
)
def test_update_wrong_answers_fail(wrong, case, fails_at):
    result = check("ch02.update", wrong, quiet=True)
    fails_at(result, case)


def test_update_stub_fails_with_hint(fails_at):
    def stub(w, x_i, y_i, eta):
        raise NotImplementedError

    result = check("ch02.update", stub, quiet=True)
    fails_at(result, 1)
    assert "\n  problem:  NotImplementedError\n" in result.message


def test_predict_reference_passes():
    ref = get("ch02.predict").reference
    assert check("ch02.predict", ref, quiet=True).passed
    np.testing.assert_array_equal(ref(np.array([[1.0, -1.0]]), np.array([1.0, 1.0]), 0.0), [1])


def test_predict_accepts_the_lib_perceptron_and_booleans():
    from nnbook.lab.perceptron import Perceptron

    assert check("ch02.predict", lambda x, w, b: Perceptron(len(w), w=w, b=b).predict(x),
                 quiet=True).passed
    assert check("ch02.predict", lambda x, w, b: x @ w + b >= 0, quiet=True).passed


@pytest.mark.parametrize(
    "wrong, case",
    [
        (lambda x, w, b: np.where(x @ w + b > 0, 1, 0), 2),  # strict >
        (lambda x, w, b: np.sign(x @ w + b), 1),  # -1/+1 labels
        (lambda x, w, b: np.where(x @ w >= 0, 1, 0), 3),  # forgot the bias
        (lambda x, w, b: x @ w + b, 1),  # no step
        (lambda x, w, b: 1.0 / (1.0 + np.exp(-(x @ w + b))), 1),  # sigmoid, not step
        (lambda x, w, b: np.where(x @ w + b >= 0, 1, 0)[:1], 1),  # only the first example
        (lambda x, w, b: np.where(x @ w - b >= 0, 1, 0), 3),  # bias with the wrong sign
    ],
)
def test_predict_wrong_answers_fail(wrong, case, fails_at):
    result = check("ch02.predict", wrong, quiet=True)
    fails_at(result, case)


# --- ch02.epoch ----------------------------------------------------------------------------------


def test_epoch_reference_passes_and_matches_the_library():
    from nnbook.lab.perceptron import Perceptron

    ref = get("ch02.epoch").reference
    assert check("ch02.epoch", ref, quiet=True).passed
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 3)), rng.integers(0, 2, size=30)
    one = Perceptron(3).fit(x, y, epochs=1, shuffle=False)
    w, b, mistakes = ref(np.zeros(3), 0.0, x, y, 1.0)
    np.testing.assert_allclose(w, one.w)
    np.testing.assert_allclose(b, one.b)
    assert mistakes == one.history[0]


def _batch_epoch(w, b, x, y, eta):
    # every prediction made with the starting weights, then all the updates at once
    error = y - (x @ w + b >= 0)
    return w + eta * error @ x, b + eta * error.sum(), int(np.count_nonzero(error))


def _strict_step(w, b, x, y, eta):
    mistakes = 0
    for x_i, y_i in zip(x, y):
        error = y_i - (1 if x_i @ w + b > 0 else 0)  # step(0) = 0: the wrong convention
        if error:
            mistakes, w, b = mistakes + 1, w + eta * error * x_i, b + eta * error
    return w, b, mistakes


def _no_bias_update(w, b, x, y, eta):
    mistakes = 0
    for x_i, y_i in zip(x, y):
        error = y_i - (1 if x_i @ w + b >= 0 else 0)
        if error:
            mistakes, w = mistakes + 1, w + eta * error * x_i
    return w, b, mistakes


def _in_place(w, b, x, y, eta):
    mistakes = 0
    for x_i, y_i in zip(x, y):
        error = y_i - (1 if x_i @ w + b >= 0 else 0)
        if error:
            mistakes += 1
            w += eta * error * x_i  # changes the caller's array
            b = b + eta * error
    return w, b, mistakes


def _counts_steps_after(w, b, x, y, eta):
    w, b, _ = get("ch02.epoch").reference(w, b, x, y, eta)
    return w, b, int(np.sum((x @ w + b >= 0) != y))  # mistakes of the new weights, not during


@pytest.mark.parametrize(
    "wrong, case",
    [(_batch_epoch, 1), (_strict_step, 1), (_no_bias_update, 1), (_in_place, 1),
     (_counts_steps_after, 1)],
)
def test_epoch_wrong_answers_fail(wrong, case, fails_at):
    result = fails_at(check("ch02.epoch", wrong, quiet=True), case)
    if wrong is _in_place:
        assert "changed its input 'w' in place" in result.message
