"""Exercises checked instantly: the reader passes a function, the checker runs hidden cases.

`check("ch02.step", my_step)` prints "passed" or the first failing case with a hint, and returns
a `Result` that is truthy when every case passed. Chapter modules (`chapter02.py`, ...) register
exercises with `@exercise(...)`; each supplies its cases, its reference solution and hints.

Hints come in tiers: `hint` is a nudge, `more` holds fuller hints in order (the last may all but
give the answer). The message shows one tier and says how to ask for the next:
`check("ch07.adam", my_adam, hint=2)`. A stub that still raises NotImplementedError is shown no
expected value, only the first tier.

A chapter's hidden solution cell runs `solution("ch07.adam")`: it shows the reference's code and
returns the function, so each solution is written once, in the lib, where its tests are.
"""

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass, field

import numpy as np

from ..._checks import flag
from ..show import Source

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
    more: tuple = ()

    @property
    def hints(self):
        """Every tier of hint, the nudge first."""
        return (self.hint, *self.more)


@dataclass
class Result:
    """The outcome of `check`: `passed`, the printed `message`, and on failure `failures` (a list
    holding the first failing case, a `Failure`)."""

    exercise: str
    passed: bool
    message: str
    failures: list = field(default_factory=list)

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return self.message


def exercise(id, *, cases, hint, more=(), rtol=1e-6, atol=1e-8, compare=None):
    """Decorator registering its function as the reference solution of exercise `id`; `hint` is
    the first tier of help, `more` a tuple of fuller ones."""
    if not isinstance(more, tuple) or not all(isinstance(h, str) and h for h in (hint, *more)):
        raise TypeError(f"exercise {id!r}: hint must be a non-empty string and more a tuple of them")

    def register(reference):
        if id in _REGISTRY:
            raise ValueError(f"exercise {id!r} is registered twice")
        _REGISTRY[id] = Exercise(id, reference, cases, hint, rtol, atol, compare, more)
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


def solution(id):
    """Show exercise `id`'s reference solution (the code `check` compares with, without its
    `@exercise` decorator, after the module's private helpers it calls) and return the function."""
    reference = get(id).reference
    module = inspect.getmodule(reference)
    code = inspect.getsource(reference)
    body = code[re.search(r"^def ", code, re.M).start():]
    helpers = [f for name, f in vars(module).items()
               if name.startswith("_") and inspect.isfunction(f) and f.__module__ == module.__name__
               and re.search(rf"\b{name}\(", body)]
    shown = Source("".join(inspect.getsource(f) + "\n\n" for f in helpers) + body,
                   f"{module.__name__}.{reference.__name__}")
    try:
        from IPython.display import display
    except ImportError:  # plain Python without IPython: print the code
        print(repr(shown))
    else:
        display(shown)
    return reference


def ids():
    """Every registered exercise id, sorted."""
    _load_all()
    return sorted(_REGISTRY)


def _same(expected, got, rtol, atol):
    """True if `got` is `expected` up to rtol/atol (tuples and lists entry by entry, dicts key by key)."""
    if got is None:
        return expected is None
    if isinstance(expected, (tuple, list)):  # several results: compare them one by one
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(_same(e, g, rtol, atol) for e, g in zip(expected, got)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and got.keys() == expected.keys()
                and all(_same(expected[k], got[k], rtol, atol) for k in expected))
    e, g = _as_array(expected), _as_array(got)
    if e is None or g is None or e.shape != g.shape:  # anything unconvertible is simply wrong
        return False
    if e.dtype.kind in "biuf" and g.dtype.kind in "biuf":
        return bool(np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=False))
    return bool(np.array_equal(e, g))


def _short(x, exact=False):
    """`x` as text of at most ~200 characters; `exact` prints every digit that tells floats apart."""
    if isinstance(x, (tuple, list)):
        text = "(" + ", ".join(_short(v, exact) for v in x) + ")"
    elif isinstance(x, dict):
        text = "{" + ", ".join(f"{k!r}: {_short(v, exact)}" for k, v in x.items()) + "}"
    elif isinstance(x, str):
        text = repr(x)
    else:
        digits = {"floatmode": "unique"} if exact else {"precision": 4}
        try:
            text = np.array2string(np.asarray(x), threshold=8, **digits).replace("\n", "")
        except (ValueError, TypeError):  # not array-like: show it as Python would
            text = repr(x)
    return text if len(text) < 200 else text[:200] + "..."


def _kind(x):
    """The type of `x` in words: "float", "int64", "array of shape (3,), float32", "list of 2"."""
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape}, {x.dtype}"
    if isinstance(x, (tuple, list, dict)):
        return f"{type(x).__name__} of {len(x)}"
    return type(x).__name__


def _pair(expected, got):
    """The texts of `expected` and `got`: with every digit where 4 would print them alike, and with
    their types where those differ or the texts still look the same (1 vs 1.0 vs True, 1 vs '1')."""
    e, g = _short(expected), _short(got)
    if e == g:
        e, g = _short(expected, exact=True), _short(got, exact=True)
    if e == g or _kind(expected) != _kind(got):
        e, g = f"{e}  ({_kind(expected)})", f"{g}  ({_kind(got)})"
    return e, g


def _difference(expected, got, ex, where=""):
    """Where `got` first differs from `expected`, e.g. "['bias'][2]: expected 0.5, got 0.25" (an
    entry a shortened print may hide), or None if that is not more telling than the whole."""
    if isinstance(expected, dict) and isinstance(got, dict):
        at = f"{where}: " if where else ""
        for key in expected:
            if key not in got:
                return f"{at}the key {key!r} is missing (got the keys {sorted(map(str, got))})"
            if not _same(expected[key], got[key], ex.rtol, ex.atol):
                return _difference(expected[key], got[key], ex, f"{where}[{key!r}]")
        extra = sorted(map(str, got.keys() - expected.keys()))
        return f"{at}unexpected keys {extra}" if extra else None
    if isinstance(expected, (tuple, list)) and isinstance(got, (tuple, list)) and len(expected) == len(got):
        for n, (e, g) in enumerate(zip(expected, got)):
            if not _same(e, g, ex.rtol, ex.atol):
                return _difference(e, g, ex, f"{where}[{n}]")
        return None
    e, g = _as_array(expected), _as_array(got)
    numeric = e is not None and g is not None and e.dtype.kind in "biuf" and g.dtype.kind in "biuf"
    if numeric and e.shape == g.shape and e.size > 1:
        bad = ~np.isclose(g, e, rtol=ex.rtol, atol=ex.atol)
        if bad.any():
            index = tuple(int(k) for k in np.argwhere(bad)[0])
            e_text, g_text = _pair(e[index], g[index])
            return (f"{where}[{', '.join(map(str, index))}] ({int(bad.sum())} of {bad.size} entries "
                    f"differ): expected {e_text}, got {g_text}")
    if where:
        e_text, g_text = _pair(expected, got)
        return f"{where}: expected {e_text}, got {g_text}"
    return None


def _as_array(x):
    """`x` as an array, or None if it is not array-like (a ragged list, say)."""
    try:
        return np.asarray(x)
    except Exception:  # noqa: BLE001  (whatever the reader returned)
        return None


def _identical(a, b):
    """True if input `b` still equals `a` exactly (same types, shapes, dtypes and values)."""
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_identical, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    return True  # numbers and strings cannot change in place


def _changed_inputs(ex, args, kwargs, given_args, given_kwargs):
    """The names of the inputs the reader's function changed in place (compared with pristine copies)."""
    names = list(inspect.signature(ex.reference).parameters)
    changed = [names[k] if k < len(names) else f"input {k + 1}"
               for k, (a, b) in enumerate(zip(args, given_args)) if not _identical(a, b)]
    return changed + [k for k in kwargs if not _identical(kwargs[k], given_kwargs[k])]


@dataclass
class Failure:
    """A failing case: its number, inputs and expected answer, and either the reader's answer
    (`got`) or what went wrong instead (`error`: an exception, or inputs changed in place)."""

    case: int
    args: tuple
    kwargs: dict
    expected: object
    got: object = None
    error: str = None


def _run(ex, fn, i, args, kwargs):
    """Case `i` of exercise `ex` on the reader's `fn`: a `Failure`, or None if it passed."""
    expected = ex.reference(*_copy(args), **_copy(kwargs))
    given_args, given_kwargs = _copy(args), _copy(kwargs)
    try:
        got = fn(*given_args, **given_kwargs)
    except NotImplementedError:
        return Failure(i, args, kwargs, expected, error="NotImplementedError")
    except Exception as err:  # noqa: BLE001  (the reader's error is reported, not raised)
        return Failure(i, args, kwargs, expected, error=f"{type(err).__name__}: {err}")
    changed = _changed_inputs(ex, args, kwargs, given_args, given_kwargs)
    if changed:
        names = " and ".join(repr(name) for name in changed)
        return Failure(i, args, kwargs, expected, got, error=(
            f"your function changed its input {names} in place (e.g. with w -= ..., m *= ... or "
            f"w[...] = ...); leave the inputs as they are and return new arrays (w = w - ...)"))
    same = bool(ex.compare(expected, got)) if ex.compare is not None else _same(
        expected, got, ex.rtol, ex.atol)
    return None if same else Failure(i, args, kwargs, expected, got)


def _hint(ex, tier, fn_name):
    """The hint lines for `tier` (1 = the nudge), with how to ask for the next tier."""
    hints = ex.hints
    lines = [f"  hint: {hints[tier - 1]}"]
    if tier < len(hints):
        lines.append(f"  (more help: check({ex.id!r}, {fn_name}, hint={tier + 1}))")
    return lines


def _message(ex, failure, tier=1, fn_name="your_function"):
    if failure.error == "NotImplementedError":  # the stub as given: no answer to give away
        return "\n".join([f"{ex.id}: not yet - case {failure.case}", "  problem:  NotImplementedError",
                          "  (write the function, then run the cell again)", *_hint(ex, tier, fn_name)])
    inputs = ", ".join([*(_short(a) for a in failure.args),
                        *(f"{k}={_short(v)}" for k, v in failure.kwargs.items())])
    lines = [f"{ex.id}: not yet - case {failure.case}" + (f" with input(s) {inputs}" if inputs else "")]
    if failure.error is None:
        expected, got = _pair(failure.expected, failure.got)
        lines += [f"  expected: {expected}", f"  got:      {got}"]
        where = _difference(failure.expected, failure.got, ex)
        if where:
            lines.append(f"  differs:  {where}")
    else:
        lines += [f"  expected: {_short(failure.expected)}", f"  problem:  {failure.error}"]
    return "\n".join([*lines, *_hint(ex, tier, fn_name)])


def check(id, fn, *, quiet=False, hint=1):
    """Run the reader's `fn` on exercise `id`'s hidden cases; print and return a `Result`.

    A case fails if `fn` raises, changes an input array in place, or returns something else
    than the reference solution (within the exercise's tolerance); the first failure is reported,
    with hint tier `hint` (1 = the nudge; the message names the next tier if there is one).
    """
    ex = get(id)
    if not callable(fn):
        raise TypeError(f"check({id!r}, fn) needs a function, got {type(fn).__name__}")
    quiet = flag(quiet, "quiet")
    if isinstance(hint, bool) or not isinstance(hint, (int, np.integer)) or not 1 <= hint <= len(ex.hints):
        raise ValueError(f"check({id!r}, ...): hint must be a tier from 1 to {len(ex.hints)}, got {hint!r}")
    failures = []
    for i, (args, kwargs) in enumerate(ex.cases(), start=1):
        failure = _run(ex, fn, i, args, kwargs)
        if failure is not None:
            failures.append(failure)
            break
    name = getattr(fn, "__name__", "")
    name = name if name.isidentifier() else "your_function"
    message = f"{id}: passed" if not failures else _message(ex, failures[0], int(hint), name)
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
