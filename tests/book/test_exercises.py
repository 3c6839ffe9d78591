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

    stubbed = check(square, stub, quiet=True).message
    assert "problem:  NotImplementedError" in stubbed and "hint:" in stubbed
    assert "expected" not in stubbed  # the page runs the stub: it must not print the answer
    divided = check(square, lambda x: 1 / 0, quiet=True).message
    assert "problem:  ZeroDivisionError: division by zero" in divided
    assert not check(square, lambda x: None, quiet=True)
    assert not check(square, lambda x: (x * x)[:1], quiet=True)  # wrong shape


def test_each_side_gets_its_own_copy_of_the_inputs(square):
    def mutating(x):
        x[:] = 0
        return x * x

    assert not check(square, mutating, quiet=True)
    assert check(square, lambda x: x * x, quiet=True)


def test_a_right_answer_that_changes_its_input_in_place_fails(square):
    """The hints forbid changing the inputs; the reader's copy is compared with a pristine one
    after the call (this answer used to pass: its return value is right)."""
    def squares_then_clobbers(x):
        y = x * x
        x *= 0
        return y

    result = check(square, squares_then_clobbers, quiet=True)
    assert not result
    assert "case 1" in result.message and "changed its input 'x' in place" in result.message
    assert "Multiply x" in result.message  # the hint still follows
    assert result.failures[0].case == 1 and "in place" in result.failures[0].error


def test_in_place_changes_are_found_in_every_kind_of_input():
    exid = "test.inputs"
    exercises._REGISTRY.pop(exid, None)
    exercise(exid, cases=lambda: [((np.ones(2), [np.ones(2)]), {"state": {"m": np.zeros(2)}})],
             hint="Return x.")(lambda x, extra, state: x)
    try:
        assert check(exid, lambda x, extra, state: x.copy(), quiet=True)

        def in_list(x, extra, state):
            extra[0] += 1
            return x

        def in_dict(x, extra, state):
            state["m"][0] = 5.0
            return x

        def reshaped(x, extra, state):
            x.shape = (1, 2)
            return x.reshape(2)

        assert "changed its input 'extra' in place" in check(exid, in_list, quiet=True).message
        assert "changed its input 'state' in place" in check(exid, in_dict, quiet=True).message
        assert "changed its input 'x' in place" in check(exid, reshaped, quiet=True).message
    finally:
        exercises._REGISTRY.pop(exid, None)


def test_the_momentum_exercise_refuses_an_in_place_update():
    def in_place(w, g, m, lr=0.01, momentum=0.9, nesterov=False):
        m *= momentum
        m -= lr * g
        return w + (momentum * m - lr * g if nesterov else m), m

    result = check("ch07.momentum_step", in_place, quiet=True)
    assert not result and "changed its input 'm' in place" in result.message


@pytest.fixture
def exact_number():
    exid = "test.tenth"
    exercises._REGISTRY.pop(exid, None)
    exercise(exid, cases=lambda: [((), {})], hint="Return 0.1.", rtol=1e-12, atol=0)(lambda: 0.1)
    yield exid
    exercises._REGISTRY.pop(exid, None)


def test_numbers_that_print_alike_are_shown_with_every_digit(exact_number):
    """0.1 and 0.10000001 both print as 0.1 at 4 digits: the message used to read
    "expected: 0.1, got: 0.1"."""
    message = check(exact_number, lambda: 0.10000001, quiet=True).message
    assert "case 1\n  expected: 0.1\n  got:      0.10000001\n" in message
    message = check(exact_number, lambda: np.float32(0.1), quiet=True).message
    assert "expected: 0.1  (float)" in message and "(float32)" in message


@pytest.mark.parametrize("answer, shown", [
    (3.0, "got:      3.  (float)"),
    (True, "got:      True  (bool)"),
    ("3", "got:      '3'  (str)"),  # a string used to print as 3, like the expected number
    (np.int64(4), "got:      4"),
], ids=["float", "bool", "str", "int64"])
def test_types_are_shown_where_they_differ(answer, shown):
    message = check("ch01.count_params", lambda sizes: answer, quiet=True).message
    assert "case 1 with input(s) (2, 1)" in message
    assert shown in message
    if not isinstance(answer, np.integer):
        assert "expected: 3  (int)" in message


def test_a_dict_answer_shows_the_entry_that_differs():
    """The printed dict is cut at 200 characters, before the entry that differs; the
    "differs" line names that entry and its values."""
    exid = "test.grads"
    exercises._REGISTRY.pop(exid, None)
    rng = np.random.default_rng(0)
    cases = [((rng.normal(size=(6, 5)), rng.normal(size=(5, 4))), {})]
    exercise(exid, cases=lambda: cases, hint="Return both products.")(
        lambda a, b: {"ab": a @ b, "ba_t": (a @ b).T, "bias": (a @ b).sum(axis=0)})
    try:
        def wrong_bias(a, b):
            bias = (a @ b).sum(axis=0)
            bias[3] += 0.5
            return {"ab": a @ b, "ba_t": (a @ b).T, "bias": bias}

        message = check(exid, wrong_bias, quiet=True).message
        got_line = next(line for line in message.splitlines() if line.startswith("  got:"))
        assert "'bias'" not in got_line  # cut off before the entry that differs
        assert "differs:  ['bias'][3] (1 of 4 entries differ): expected " in message
        missing = check(exid, lambda a, b: {"ab": a @ b, "ba_t": (a @ b).T}, quiet=True).message
        assert "differs:  the key 'bias' is missing (got the keys ['ab', 'ba_t'])" in missing
    finally:
        exercises._REGISTRY.pop(exid, None)


def test_an_entry_hidden_by_the_summary_of_a_long_array_is_shown(square):
    exid = "test.long"
    exercises._REGISTRY.pop(exid, None)
    exercise(exid, cases=lambda: [((np.arange(40.0),), {})], hint="Double x.")(lambda x: 2 * x)
    try:
        def wrong_middle(x):
            y = 2 * x
            y[20] = -1.0
            return y

        message = check(exid, wrong_middle, quiet=True).message
        assert "..." in message  # the summary of a 40-entry array hides entry 20
        assert "differs:  [20] (1 of 40 entries differ): expected 40., got -1." in message
    finally:
        exercises._REGISTRY.pop(exid, None)


def test_keyword_inputs_are_shown():
    message = check("ch03.softmax", lambda z, T=1.0: np.full(np.shape(z), 1 / 3), quiet=True).message
    assert "case 1 with input(s) [1. 2. 3.]\n" in message
    forgot_t = exercises.get("ch03.softmax").reference  # called without T
    message = check("ch03.softmax", lambda z, T=1.0: forgot_t(z), quiet=True).message
    assert "case 2 with input(s) [1. 2. 3.], T=0.5" in message


def test_bad_calls(square):
    with pytest.raises(ValueError, match="unknown exercise"):
        check("ch99.nothing", lambda: 0)
    with pytest.raises(TypeError, match="string"):
        exercises.get(3)
    with pytest.raises(TypeError, match="needs a function"):
        check(square, 5)
    with pytest.raises(TypeError, match="quiet must be True or False"):
        check(square, lambda x: x * x, quiet="yes")


def test_duplicate_registration_is_refused(square):
    with pytest.raises(ValueError, match="twice"):
        exercise(square, cases=lambda: [], hint="Return x.")(lambda x: x)


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


def test_hints_come_in_tiers_and_the_message_names_the_next(capsys):
    exid = "test.tiers"
    exercises._REGISTRY.pop(exid, None)
    exercise(exid, cases=lambda: [((3.0,), {})], hint="Think of squares.",
             more=("Multiply x by itself.", "return x * x"))(lambda x: x * x)
    try:
        def my_square(x):
            raise NotImplementedError

        stub = check(exid, my_square)
        assert stub.message.endswith("  hint: Think of squares.\n  (more help: check('test.tiers', "
                                     "my_square, hint=2))")
        assert "9.0" not in stub.message  # a stub is shown no expected value
        wrong = check(exid, lambda x: x + x, hint=2, quiet=True)
        assert "hint: Multiply x by itself." in wrong.message and "Think of squares" not in wrong.message
        assert "check('test.tiers', your_function, hint=3)" in wrong.message
        last = check(exid, lambda x: x + x, hint=3, quiet=True)
        assert last.message.endswith("  hint: return x * x")  # the last tier names no next one
        for bad in (0, 4, True, 1.5):
            with pytest.raises(ValueError, match="hint must be a tier from 1 to 3"):
                check(exid, my_square, hint=bad)
        capsys.readouterr()
    finally:
        exercises._REGISTRY.pop(exid, None)


def test_exercise_rejects_bad_hints():
    with pytest.raises(TypeError, match="more a tuple"):
        exercise("test.bad_hints", cases=lambda: [], hint="a", more="b")
    with pytest.raises(TypeError, match="non-empty string"):
        exercise("test.bad_hints", cases=lambda: [], hint="")


def test_solution_shows_the_reference_without_its_decorator_and_returns_it(capsys, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    ref = exercises.solution("ch11.lstm_step")
    assert ref is exercises.get("ch11.lstm_step").reference
    (source,) = shown
    assert source.title == "nnbook.book.exercises.chapter11.lstm_step"
    assert "@exercise" not in source.code and "hint=" not in source.code
    # the private helper it calls comes first, then the reference itself, whole
    assert source.code.startswith("def _sigmoid(z):")
    assert source.code.rstrip().endswith("return o * np.tanh(c_new), c_new")
    assert "_lstm_cases" not in source.code
    with pytest.raises(ValueError, match="unknown exercise 'ch99.nothing'"):
        exercises.solution("ch99.nothing")
    with pytest.raises(TypeError, match="exercise id must be a string"):
        exercises.solution(7)

