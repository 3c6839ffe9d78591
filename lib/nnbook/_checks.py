"""The lib's input validators, in one place: every public function checks its arguments with these,
once, and raises `TypeError` (wrong kind of thing) or `ValueError` (wrong shape, range or name) with
a message that says what was expected and what was given. Imports NumPy only.

Numbers: Python and NumPy ints and floats are numbers; `True`/`False` are not (a flag is not 1).
"""

import math
from numbers import Integral, Real

import numpy as np


def describe(value):
    """A short description of `value` for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) < 60 else text[:57] + '...'}"


def is_bool(value):
    """True for Python's and NumPy's booleans."""
    return isinstance(value, (bool, np.bool_))


def as_float_array(x, name="x"):
    """`x` as a float array (float32 kept, anything else float64); refuses non-numeric and
    NaN/inf entries."""
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be numeric, got a string")
    try:
        arr = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers, got rows of different "
                         f"lengths ({err})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got an array of dtype {arr.dtype}")
    arr = arr.astype(np.float32 if arr.dtype == np.float32 else np.float64, copy=False)
    if not np.isfinite(arr).all():
        bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{name} must be finite, got {bad} NaN/inf entries")
    return arr


def positive_int(value, name, minimum=1):
    """`value` as an int >= `minimum` (Python or NumPy integers; not bools)."""
    if is_bool(value) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def number_in(value, name, low=-math.inf, high=math.inf, low_open=False, high_open=False):
    """`value` as a finite float in [low, high] (an end is excluded if `*_open`)."""
    if is_bool(value) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {describe(value)}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or too_low or too_high:
        left = "(" if low_open or low == -math.inf else "["
        right = ")" if high_open or high == math.inf else "]"
        raise ValueError(f"{name} must lie in {left}{low:g}, {high:g}{right}, got {value!r}")
    return value


def flag(value, name):
    """`value` as a bool (Python or NumPy booleans only)."""
    if not is_bool(value):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def one_of(value, name, choices):
    """`value` if it is one of `choices` (strings compared exactly)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def float_dtype(dtype):
    """`dtype` as np.dtype float32 or float64."""
    if dtype is None:
        raise TypeError("dtype must be float32 or float64, got None")
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from err
    if dt not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt


def shape(value, name="input_shape"):
    """`value` (without the batch axis) as a non-empty tuple of positive ints (None: any size)."""
    if isinstance(value, Integral) and not is_bool(value):
        value = (value,)
    if not isinstance(value, (tuple, list)) or not value or not all(
        s is None or (isinstance(s, Integral) and not is_bool(s) and s >= 1) for s in value
    ):
        raise ValueError(f"{name} must be a non-empty tuple of positive integers (no batch axis), "
                         f"got {value!r}")
    return tuple(None if s is None else int(s) for s in value)


def batch(x, input_shape, dtype, name="x"):
    """`x` as a finite array of `dtype` with shape (n, *input_shape), n >= 1 (None: any size)."""
    x = as_float_array(x, name).astype(dtype, copy=False)
    if x.ndim != len(input_shape) + 1 or x.shape[0] == 0 or any(
        want is not None and want != got for want, got in zip(input_shape, x.shape[1:])
    ):
        want = ", ".join("any" if s is None else str(s) for s in input_shape)
        raise ValueError(f"{name} must have shape (n, {want}) with n >= 1, got {x.shape}")
    return x


def generator(seed, name="seed"):
    """A `numpy.random.Generator` from `seed`: a Generator is used as it is, an int seeds a new
    one, None gives NumPy's fresh unseeded generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(positive_int(seed, name, minimum=0))
