"""A scalar computational graph with reverse-mode automatic differentiation (backpropagation).

Every `Node` holds a number `value`, the `parents` it was computed from, the *local* derivatives
d value / d parent (computed during the forward pass) and, after `backward()`, its `grad`:
d root / d node. `root.backward()` visits the graph from the root back to the inputs in reverse
topological order and applies the chain rule once per edge:

    parent.grad += local_derivative * node.grad

so a node used twice collects the sum of the gradients flowing back along both paths.

Build graphs with Python's operators (`+ - * / **`) and the functions `exp`, `log`, `sigmoid`,
`tanh`, `relu`; `named` labels a node. Those functions also accept TensorFlow tensors (they then
call `keras.ops`), so one Python function runs both on `Node`s (`value_and_grad`) and under
`tf.GradientTape` (`keras_value_and_grad`, the Keras twin). `nnbook.plots.draw_graph` draws a graph
with its values and gradients.
"""

import math
import numbers

import numpy as np

from .._checks import is_bool
from ..engine import activations as _act


def _is_real(x):
    """True for Python's and NumPy's ints and floats (not for bools)."""
    return isinstance(x, numbers.Real) and not is_bool(x)


def _finite(value, what):
    """`value` as a float, or a ValueError naming `what` if it is NaN or infinite."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


class Node:
    """One number in a computational graph: `value`, `grad` (0 until `backward`), `parents`,
    `local_grads` (d value / d parent, one per parent), `op` (the operation that made it, "" for
    an input) and an optional `label` used by `draw_graph`.
    """

    __slots__ = ("value", "grad", "parents", "local_grads", "op", "label")

    def __init__(self, value, label=None, *, parents=(), local_grads=(), op=""):
        if not _is_real(value):
            raise TypeError(f"a Node's value must be a real number, got {type(value).__name__}")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"label must be a string or None, got {type(label).__name__}")
        if len(parents) != len(local_grads):
            raise ValueError(f"need one local gradient per parent, got {len(parents)} parents "
                             f"and {len(local_grads)} local gradients")
        self.value = _finite(value, f"the value of {op or 'an input'}")
        self.grad = 0.0
        self.parents = tuple(parents)
        self.local_grads = tuple(_finite(g, f"the local derivative of {op}") for g in local_grads)
        self.op = op
        self.label = label

    def __repr__(self):
        name = f"{self.label}=" if self.label else ""
        return f"Node({name}{self.value:.6g}, grad={self.grad:.6g}{', op=' + self.op if self.op else ''})"

    # ---------------------------------------------------------------- the operations
    def _new(self, value, parents, local_grads, op):
        return Node(value, parents=parents, local_grads=local_grads, op=op)

    def __add__(self, other):
        other = as_node(other)
        return self._new(self.value + other.value, (self, other), (1.0, 1.0), "add")

    def __radd__(self, other):
        return as_node(other) + self

    def __sub__(self, other):
        other = as_node(other)
        return self._new(self.value - other.value, (self, other), (1.0, -1.0), "sub")

    def __rsub__(self, other):
        return as_node(other) - self

    def __neg__(self):
        return self._new(-self.value, (self,), (-1.0,), "neg")

    def __mul__(self, other):
        other = as_node(other)
        return self._new(self.value * other.value, (self, other), (other.value, self.value), "mul")

    def __rmul__(self, other):
        return as_node(other) * self

    def __truediv__(self, other):
        other = as_node(other)
        if other.value == 0.0:
            raise ValueError("division by a node whose value is 0")
        q = self.value / other.value
        return self._new(q, (self, other), (1.0 / other.value, -q / other.value), "div")

    def __rtruediv__(self, other):
        return as_node(other) / self

    def __pow__(self, p):
        """`node ** p` for a constant real exponent p (d/dx x^p = p x^(p-1))."""
        if not _is_real(p):
            raise TypeError(f"the exponent must be a constant real number, got {type(p).__name__}")
        p = _finite(p, "the exponent")
        if self.value == 0.0 and p < 1:
            raise ValueError(f"0 ** {p:g} has no finite derivative")
        if self.value < 0 and not p.is_integer():
            raise ValueError(f"a negative base ({self.value:g}) needs an integer exponent, got {p:g}")
        try:
            value, local = self.value**p, p * self.value ** (p - 1)
        except OverflowError:
            raise ValueError(f"{self.value:g} ** {p:g} overflows float64") from None
        return self._new(value, (self,), (local,), f"**{p:g}")

    def exp(self):
        if self.value > 709.0:
            raise ValueError(f"exp({self.value:g}) overflows float64 (the largest safe input is 709)")
        e = math.exp(self.value)
        return self._new(e, (self,), (e,), "exp")

    def log(self):
        if self.value <= 0:
            raise ValueError(f"log needs a positive input, got {self.value:g}")
        return self._new(math.log(self.value), (self,), (1.0 / self.value,), "log")

    def sigmoid(self):
        z = np.float64(self.value)
        return self._new(float(_act.sigmoid(z)), (self,), (float(_act.sigmoid_grad(z)),), "sigmoid")

    def tanh(self):
        z = np.float64(self.value)
        return self._new(float(_act.tanh(z)), (self,), (float(_act.tanh_grad(z)),), "tanh")

    def relu(self):
        z = np.float64(self.value)
        return self._new(float(_act.relu(z)), (self,), (float(_act.relu_grad(z)),), "relu")

    # ---------------------------------------------------------------- reverse mode
    def topological_order(self):
        """Every node this one depends on (itself included), each after all of its parents."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:  # iterative depth-first search: no recursion limit on long chains
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(node.parents) if id(p) not in seen)
        return order

    def backward(self):
        """Fill `grad` = d self / d node for every node of the graph (earlier grads are reset).

        Returns the nodes in topological order. Cost: one multiply-add per edge.
        """
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):  # the root first, the inputs last
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad
        return order


def as_node(x):
    """`x` itself if it is a Node, else a constant input Node holding the number `x`."""
    if isinstance(x, Node):
        return x
    if not _is_real(x):
        raise TypeError(f"expected a Node or a real number, got {type(x).__name__}")
    return Node(x, label=f"{float(x):g}")


def named(x, label):
    """Give Node `x` a `label` (shown by `draw_graph`) and return it; anything else (a tensor) is
    returned unchanged, so the same expression also runs under `tf.GradientTape`."""
    if not isinstance(label, str):
        raise TypeError(f"label must be a string, got {type(label).__name__}")
    if isinstance(x, Node):
        x.label = label
    return x


def _unary(name, x):
    """Apply `name` to a Node (or a plain number, made a constant Node); tensors go to keras.ops."""
    if isinstance(x, Node) or _is_real(x):
        return getattr(as_node(x), name)()
    import keras

    return getattr(keras.ops, name)(x)


def exp(x):
    """e^x. Node -> Node (local gradient e^x); a TensorFlow tensor -> keras.ops.exp(x)."""
    return _unary("exp", x)


def log(x):
    """ln x for x > 0. Node -> Node (local gradient 1/x); tensor -> keras.ops.log(x)."""
    return _unary("log", x)


def sigmoid(x):
    """1 / (1 + e^-x), stable for any x. Node -> Node (local gradient s (1 - s)); tensor -> keras.ops."""
    return _unary("sigmoid", x)


def tanh(x):
    """tanh x. Node -> Node (local gradient 1 - tanh^2 x); tensor -> keras.ops.tanh(x)."""
    return _unary("tanh", x)


def relu(x):
    """max(0, x). Node -> Node (local gradient 1 if x > 0 else 0); tensor -> keras.ops.relu(x)."""
    return _unary("relu", x)


def _check_inputs(inputs):
    if not inputs:
        raise ValueError("give the inputs as keyword arguments, e.g. value_and_grad(f, x=2.0)")
    for name, v in inputs.items():
        if not _is_real(v):
            raise TypeError(f"input {name!r} must be a real number, got {type(v).__name__}")
        _finite(v, f"input {name!r}")


def value_and_grad(fn, **inputs):
    """Run `fn(**inputs)` on Nodes, backpropagate, return `(value, {name: d value / d input})`.

    `fn` takes scalars and returns one scalar, built from `+ - * / **` and this module's functions.
    Use `trace` instead to keep the graph (for `draw_graph`).
    """
    out, leaves = trace(fn, **inputs)
    return out.value, {name: leaf.grad for name, leaf in leaves.items()}


def trace(fn, **inputs):
    """Run `fn` on input Nodes (labelled by their names) and backpropagate.

    Returns `(root, {name: input node})`; `draw_graph(root)` draws the whole graph.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    _check_inputs(inputs)
    leaves = {name: Node(float(v), label=name) for name, v in inputs.items()}
    out = fn(**leaves)
    if not isinstance(out, Node):
        raise TypeError(f"fn must return a Node (built from its inputs), got {type(out).__name__}")
    out.backward()
    return out, leaves


def keras_value_and_grad(fn, **inputs):
    """The Keras twin of `value_and_grad`: `fn` on float64 `tf.Variable`s under `tf.GradientTape`.

    Returns `(value, {name: gradient})`; an input the output does not depend on gets 0.
    """
    import tensorflow as tf

    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    _check_inputs(inputs)
    variables = {name: tf.Variable(float(v), dtype=tf.float64) for name, v in inputs.items()}
    with tf.GradientTape() as tape:
        out = fn(**variables)
    grads = tape.gradient(out, list(variables.values()))
    return float(out), {name: 0.0 if g is None else float(g) for name, g in zip(variables, grads)}
