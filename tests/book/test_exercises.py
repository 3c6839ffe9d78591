"""The exercise checker itself (each chapter's exercises are tested in test_exercises_chNN.py)."""

import numpy as np
import pytest

from nnbook.book import exercises
from nnbook.book.exercises import check, exercise


@pytest.fixture
def square():
    exid = "test.square"
    exercises._REGISTRY.pop(exid, None)

    @exercise(exid, cases=lambda: [((np.array([1.0, -2.0]),), {}), ((np.array([3.0]),), {})],
              hint="Multiply x by itself.")
    def _ref(x):
        return x * x

    yield exid
    exercises._REGISTRY.pop(exid, None)


def test_reference_passes(square, capsys):
    result = check(square, lambda x: x**2)
    assert result.passed and bool(result)
    assert "passed" in capsys.readouterr().out


def test_wrong_answer_gets_case_expected_got_and_hint(square, capsys):
    result = check(square, lambda x: 2 * x)
    assert not result
    out = capsys.readouterr().out
    assert "case 1" in out and "expected" in out and "got" in out and "Multiply x" in out
    assert "[ 2. -4.]" in out  # what the reader's function returned


def test_second_case_failure_is_reported(square):
    result = check(square, lambda x: np.abs(x) if len(x) == 1 else x * x, quiet=True)
    assert not result and "case 2" in result.message


def test_errors_and_stubs_are_reported_not_raised(square):
    def stub(x):
        raise NotImplementedError

    assert "NotImplementedError" in check(square, stub, quiet=True).message
    assert "ZeroDivisionError" in check(square, lambda x: 1 / 0, quiet=True).message
    assert not check(square, lambda x: None, quiet=True)
    assert not check(square, lambda x: (x * x)[:1], quiet=True)  # wrong shape


def test_each_side_gets_its_own_copy_of_the_inputs(square):
    def mutating(x):
        x[:] = 0
        return x * x

    assert not check(square, mutating, quiet=True)
    assert check(square, lambda x: x * x, quiet=True)


def test_bad_calls(square):
    with pytest.raises(ValueError, match="unknown exercise"):
        check("ch99.nothing", lambda: 0)
    with pytest.raises(TypeError, match="string"):
        exercises.get(3)
    with pytest.raises(TypeError, match="needs a function"):
        check(square, 5)


def test_duplicate_registration_is_refused(square):
    with pytest.raises(ValueError, match="twice"):
        exercise(square, cases=lambda: [], hint="")(lambda x: x)


def test_tuple_results_and_unprintable_answers():
    exid = "test.pair"
    exercises._REGISTRY.pop(exid, None)
    exercise(exid, cases=lambda: [((np.array([1.0, 2.0]), 3.0), {})], hint="Return (x + b, b).")(
        lambda x, b: (x + b, b))
    try:
        assert check(exid, lambda x, b: (x + b, b), quiet=True)
        wrong = check(exid, lambda x, b: (x - b, b), quiet=True)
        assert not wrong and "expected: ([4. 5.], 3.)" in wrong.message
        assert not check(exid, lambda x, b: (x + b,), quiet=True)
        assert not check(exid, lambda x, b: x + b, quiet=True)
        odd = check(exid, lambda x, b: {"x": x}, quiet=True)
        assert not odd and "{'x'" in odd.message
    finally:
        exercises._REGISTRY.pop(exid, None)
