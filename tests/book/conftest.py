"""Helpers shared by the exercise tests."""

import pytest

from nnbook.book.exercises import get


@pytest.fixture
def fails_at():
    """`fails_at(result, case)`: `result` (from `check`) failed first at hidden case `case`, and its
    message shows that exercise's own first hint."""

    def assert_fails_at(result, case):
        assert not result.passed, result.message
        assert result.failures[0].case == case, result.message
        assert result.message.startswith(f"{result.exercise}: not yet - case {case}"), result.message
        assert f"\n  hint: {get(result.exercise).hint}" in result.message, result.message
        return result

    return assert_fails_at
