"""Exercises checked instantly: the reader passes a function, the checker runs hidden cases.

`check("ch02.step", my_step)` prints "passed" or the first failing case with a hint, and returns
a `Result` that is truthy when every case passed. Chapter modules (`chapter02.py`, ...) register
exercises with `@exercise(...)`; each supplies its cases, its reference solution and hints.
"""

import importlib
import pkgutil
from dataclasses import dataclass, field

import numpy as np

_REGISTRY = {}


@dataclass
class Exercise:
    """An exercise: `cases()` yields `(args, kwargs)`; `reference(*args, **kwargs)` is the answer."""

    id: str
    reference: callable
    cases: callable
    hint: str
    rtol: float = 1e-6
    atol: float = 1e-8
    compare: callable = None


@dataclass
class Result:
    """The outcome of `check`: `passed`, and on failure the case, expected, got and a hint."""

    exercise: str
    passed: bool
    message: str
    failures: list = field(default_factory=list)

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return self.message


def exercise(id, *, cases, hint, rtol=1e-6, atol=1e-8, compare=None):
    """Decorator registering its function as the reference solution of exercise `id`."""

    def register(reference):
        if id in _REGISTRY:
            raise ValueError(f"exercise {id!r} is registered twice")
        _REGISTRY[id] = Exercise(id, reference, cases, hint, rtol, atol, compare)
        return reference

    return register


def _load_all():
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("chapter"):
            importlib.import_module(f"{__name__}.{info.name}")


def get(id):
    """The registered `Exercise` called `id`."""
    _load_all()
    if not isinstance(id, str):
        raise TypeError(f"exercise id must be a string, got {type(id).__name__}")
    if id not in _REGISTRY:
        raise ValueError(f"unknown exercise {id!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[id]


def ids():
    """Every registered exercise id, sorted."""
    _load_all()
    return sorted(_REGISTRY)


def _same(expected, got, ex):
    if ex.compare is not None:
        return bool(ex.compare(expected, got))
    if got is None:
        return expected is None
    if isinstance(expected, (tuple, list)):  # several results: compare them one by one
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(_same(e, g, ex) for e, g in zip(expected, got)))
    try:
        e = np.asarray(expected)
        g = np.asarray(got)
    except Exception:  # noqa: BLE001  (anything unconvertible is simply wrong)
        return False
    if e.shape != g.shape:
        return False
    if e.dtype.kind in "biuf" and g.dtype.kind in "biuf":
        return bool(np.allclose(g, e, rtol=ex.rtol, atol=ex.atol, equal_nan=False))
    return bool(np.array_equal(e, g))


def _short(x):
    if isinstance(x, (tuple, list)):
        text = "(" + ", ".join(_short(v) for v in x) + ")"
    else:
        try:
            text = np.array2string(np.asarray(x), precision=4, threshold=8)
        except (ValueError, TypeError):  # not array-like: show it as Python would
            text = repr(x)
    return text if len(text) < 200 else text[:200] + "..."


def check(id, fn, *, quiet=False):
    """Run the reader's `fn` on exercise `id`'s hidden cases; print and return a `Result`."""
    ex = get(id)
    if not callable(fn):
        raise TypeError(f"check({id!r}, fn) needs a function, got {type(fn).__name__}")
    failures = []
    for i, (args, kwargs) in enumerate(ex.cases(), start=1):
        expected = ex.reference(*_copy(args), **_copy(kwargs))
        try:
            got = fn(*_copy(args), **_copy(kwargs))
        except NotImplementedError:
            failures.append((i, args, expected, "NotImplementedError"))
            break
        except Exception as err:  # noqa: BLE001  (the reader's error is reported, not raised)
            failures.append((i, args, expected, f"{type(err).__name__}: {err}"))
            break
        if not _same(expected, got, ex):
            failures.append((i, args, expected, got))
            break
    if not failures:
        message = f"{id}: passed"
    else:
        i, args, expected, got = failures[0]
        inputs = ", ".join(_short(a) for a in args)
        got_text = got if isinstance(got, str) else _short(got)
        message = (
            f"{id}: not yet - case {i} with input(s) {inputs}\n"
            f"  expected: {_short(expected)}\n  got:      {got_text}\n  hint: {ex.hint}"
        )
    if not quiet:
        print(message)
    return Result(id, not failures, message, failures)


def _copy(x):
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, tuple):
        return tuple(_copy(v) for v in x)
    if isinstance(x, list):
        return [_copy(v) for v in x]
    if isinstance(x, dict):
        return {k: _copy(v) for k, v in x.items()}
    return x
