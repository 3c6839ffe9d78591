"""nnbook.lab.autodiff: every operation's value and gradient against centred differences and against
tf.GradientTape (the Keras twin); fan-out; the worked neuron example; topological order; resets;
stability at +-1e4; bad input; drawing."""

import math

import matplotlib
import numpy as np
import pytest

from nnbook import plots
from nnbook.lab import autodiff as G

matplotlib.use("Agg")

TOL = 1e-6  # NumPy vs Keras, float64 (the scalars here are float64 throughout)


def _centred(fn, inputs, name, h=1e-6):
    """d fn / d inputs[name] by centred differences, computed on plain floats via Nodes."""
    up, down = dict(inputs), dict(inputs)
    up[name] += h
    down[name] -= h
    return (G.value_and_grad(fn, **up)[0] - G.value_and_grad(fn, **down)[0]) / (2 * h)


UNARY = {
    "exp": (G.exp, math.exp, [-3.0, -0.5, 0.0, 0.7, 2.5]),
    "log": (G.log, math.log, [0.1, 0.5, 1.0, 3.0]),
    "sigmoid": (G.sigmoid, lambda z: 1 / (1 + math.exp(-z)), [-4.0, -1.0, 0.0, 0.3, 5.0]),
    "tanh": (G.tanh, math.tanh, [-2.0, -0.2, 0.0, 1.0, 3.0]),
    "relu": (G.relu, lambda z: max(z, 0.0), [-2.0, -0.1, 0.1, 2.0]),
}


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_value_gradient_and_keras(name):
    op, exact, points = UNARY[name]
    for x in points:
        value, grads = G.value_and_grad(lambda x: op(x), x=x)
        assert value == pytest.approx(exact(x), rel=1e-12, abs=1e-15)
        numeric = _centred(lambda x: op(x), {"x": x}, "x")
        assert grads["x"] == pytest.approx(numeric, rel=1e-7, abs=1e-9)
        k_value, k_grads = G.keras_value_and_grad(lambda x: op(x), x=x)
        assert k_value == pytest.approx(value, rel=TOL, abs=1e-12)
        assert k_grads["x"] == pytest.approx(grads["x"], rel=TOL, abs=1e-12)


BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x**3 * y,
    "neg": lambda x, y: -x * y,
    "const_left": lambda x, y: 2.0 * x - 3.0 / y + (1.0 - x) + (4.0 + y),
    "const_right": lambda x, y: x * 0.5 + y / 4.0 - 2.0,
    "sqrt": lambda x, y: (x * x + y * y) ** 0.5,
}


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradients_vs_centred_differences_and_keras(name):
    fn = BINARY[name]
    for x, y in [(1.5, -0.7), (-2.0, 3.0), (0.3, 0.9)]:
        value, grads = G.value_and_grad(fn, x=x, y=y)
        assert value == pytest.approx(fn(x, y), rel=1e-12)
        for k in ("x", "y"):
            assert grads[k] == pytest.approx(_centred(fn, {"x": x, "y": y}, k), rel=1e-7, abs=1e-9)
        k_value, k_grads = G.keras_value_and_grad(fn, x=x, y=y)
        assert k_value == pytest.approx(value, rel=TOL)
        for k in ("x", "y"):
            assert k_grads[k] == pytest.approx(grads[k], rel=TOL, abs=1e-12)


def _neuron_loss(w1, x1, w2, x2, b, y):
    z = G.named(w1 * x1 + w2 * x2 + b, "z")
    a = G.named(G.sigmoid(z), "a")
    return G.named((a - y) ** 2, "L")


def test_worked_neuron_example_by_hand():
    inputs = dict(w1=0.5, x1=1.0, w2=-1.0, x2=2.0, b=0.5, y=1.0)
    value, grads = G.value_and_grad(_neuron_loss, **inputs)
    z = 0.5 * 1.0 - 1.0 * 2.0 + 0.5
    a = 1 / (1 + math.exp(-z))
    dz = 2 * (a - 1.0) * a * (1 - a)  # the chain rule, by hand
    assert value == pytest.approx((a - 1.0) ** 2, rel=1e-14)
    expected = {"w1": dz * 1.0, "x1": dz * 0.5, "w2": dz * 2.0, "x2": dz * -1.0, "b": dz,
                "y": -2 * (a - 1.0)}
    for k, v in expected.items():
        assert grads[k] == pytest.approx(v, rel=1e-13)
    k_value, k_grads = G.keras_value_and_grad(_neuron_loss, **inputs)
    assert k_value == pytest.approx(value, rel=TOL)
    for k in expected:
        assert k_grads[k] == pytest.approx(grads[k], rel=TOL)


def test_trace_keeps_labels_and_intermediate_gradients():
    root, leaves = G.trace(_neuron_loss, w1=0.5, x1=1.0, w2=-0.5, x2=2.0, b=0.5, y=1.0)
    nodes = {n.label: n for n in root.topological_order() if n.label}
    assert nodes["z"].value == 0.0 and nodes["a"].value == 0.5 and root.value == 0.25
    assert nodes["a"].grad == pytest.approx(-1.0) and nodes["z"].grad == pytest.approx(-0.25)
    assert leaves["w2"].grad == pytest.approx(-0.5) and root.grad == 1.0
    assert set(leaves) == {"w1", "x1", "w2", "x2", "b", "y"}


def test_fan_out_adds_the_gradients_of_both_paths():
    assert G.value_and_grad(lambda x: x * x, x=3.0)[1]["x"] == 6.0
    assert G.value_and_grad(lambda x: x + x + x, x=3.0)[1]["x"] == 3.0
    # SiLU: z is used twice, the two paths give sigma(z) and z sigma'(z)
    z = 1.5
    s = 1 / (1 + math.exp(-z))
    g = G.value_and_grad(lambda z: z * G.sigmoid(z), z=z)[1]["z"]
    assert g == pytest.approx(s + z * s * (1 - s), rel=1e-13)
    # a diamond: q = x y feeds two branches
    fn = lambda x, y: G.exp(x * y) + G.tanh(x * y) * x  # noqa: E731
    _, grads = G.value_and_grad(fn, x=0.4, y=-1.2)
    _, k_grads = G.keras_value_and_grad(fn, x=0.4, y=-1.2)
    for k in grads:
        assert grads[k] == pytest.approx(k_grads[k], rel=TOL)
        assert grads[k] == pytest.approx(_centred(fn, {"x": 0.4, "y": -1.2}, k), rel=1e-7)


def test_backward_resets_earlier_gradients():
    x = G.Node(2.0, "x")
    out = x * x + 1.0
    out.backward()
    out.backward()  # a second call must not accumulate
    assert x.grad == 4.0
    mid = x * 3.0
    mid.backward()  # backward from an inner node: d mid / d x
    assert x.grad == 3.0


def test_topological_order_parents_first_and_long_chains():
    x = G.Node(0.5, "x")
    a = G.sigmoid(x)
    b = a * x
    c = b + a
    order = c.topological_order()
    index = {id(n): i for i, n in enumerate(order)}
    assert len(order) == 4 and order[-1] is c
    for n in order:
        assert all(index[id(p)] < index[id(n)] for p in n.parents)
    node = G.Node(0.0, "x")  # a chain far longer than Python's recursion limit
    leaf = node
    for _ in range(5000):
        node = node + 1e-3
    node.backward()
    assert node.value == pytest.approx(5.0) and leaf.grad == 1.0


def test_stable_for_large_inputs():
    for z in (-1e4, -800.0, 800.0, 1e4):
        for op in (G.sigmoid, G.tanh, G.relu):
            value, grads = G.value_and_grad(lambda z, op=op: op(z), z=z)
            assert math.isfinite(value) and math.isfinite(grads["z"])
    assert G.value_and_grad(lambda z: G.sigmoid(z), z=-1e4)[0] == 0.0
    assert G.value_and_grad(lambda z: G.sigmoid(z), z=-40.0)[1]["z"] > 0  # no 1 - s cancellation
    value, grads = G.value_and_grad(lambda z: G.log(G.sigmoid(z)), z=30.0)
    assert math.isfinite(value) and math.isfinite(grads["z"])
    assert G.value_and_grad(lambda z: G.relu(z), z=0.0)[1]["z"] == 0.0  # as TensorFlow
    assert G.keras_value_and_grad(lambda z: G.relu(z), z=0.0)[1]["z"] == 0.0


def test_keras_twin_gives_zero_for_unused_inputs():
    value, grads = G.keras_value_and_grad(lambda x, y: x * 2.0, x=1.0, y=5.0)
    assert value == 2.0 and grads == {"x": 2.0, "y": 0.0}
    assert G.value_and_grad(lambda x, y: x * 2.0, x=1.0, y=5.0)[1] == {"x": 2.0, "y": 0.0}


def test_numbers_become_constant_nodes():
    c = G.as_node(3)
    assert isinstance(c, G.Node) and c.value == 3.0 and c.label == "3" and not c.parents
    assert G.as_node(c) is c
    assert isinstance(G.exp(0.0), G.Node) and G.exp(0.0).value == 1.0
    assert G.named(5.0, "tensor-like") == 5.0  # non-nodes pass through unchanged


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: G.Node("2"), TypeError, "real number"),
        (lambda: G.Node(True), TypeError, "real number"),
        (lambda: G.Node(float("nan")), ValueError, "finite"),
        (lambda: G.Node(1.0, label=3), TypeError, "label"),
        (lambda: G.Node(1.0, parents=(G.Node(1.0),), local_grads=()), ValueError, "one local"),
        (lambda: G.Node(2.0) + "a", TypeError, "Node or a real number"),
        (lambda: G.Node(2.0) * [1.0], TypeError, "Node or a real number"),
        (lambda: G.Node(2.0) ** G.Node(2.0), TypeError, "constant real"),
        (lambda: G.Node(0.0) ** -1, ValueError, "no finite derivative"),
        (lambda: G.Node(-2.0) ** 0.5, ValueError, "integer exponent"),
        (lambda: G.Node(1.0) / 0.0, ValueError, "is 0"),
        (lambda: G.exp(G.Node(1e4)), ValueError, "overflows"),
        (lambda: G.log(G.Node(0.0)), ValueError, "positive"),
        # these used to raise OverflowError, or to store an infinite local derivative
        (lambda: G.Node(10.0) ** 400, ValueError, "10 \\*\\* 400 overflows float64"),
        (lambda: G.log(G.Node(1e-320)), ValueError, "local derivative of log must be a finite number"),
        (lambda: G.Node(np.bool_(True)), TypeError, "real number"),
        (lambda: G.value_and_grad(lambda x: x, x=np.bool_(False)), TypeError, "'x'"),
        (lambda: G.log(-1.0), ValueError, "positive"),
        (lambda: G.named(G.Node(1.0), 7), TypeError, "label"),
        (lambda: G.value_and_grad(lambda: G.Node(1.0)), ValueError, "keyword"),
        (lambda: G.value_and_grad(lambda x: x, x="1"), TypeError, "'x'"),
        (lambda: G.value_and_grad(lambda x: x, x=math.inf), ValueError, "finite"),
        (lambda: G.value_and_grad(lambda x: 1.0, x=1.0), TypeError, "return a Node"),
        (lambda: G.value_and_grad(3.0, x=1.0), TypeError, "callable"),
        (lambda: G.keras_value_and_grad(lambda x: x, x=[1.0]), TypeError, "'x'"),
        (lambda: G.keras_value_and_grad(None, x=1.0), TypeError, "callable"),
        (lambda: plots.draw_graph(1.0), TypeError, "root Node"),
    ],
)
def test_bad_input_raises_clear_errors(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_draw_graph_labels_values_and_gradients():
    import matplotlib.pyplot as plt

    root, _ = G.trace(_neuron_loss, w1=0.5, x1=1.0, w2=-0.5, x2=2.0, b=0.5, y=1.0)
    fig = plots.draw_graph(root, show_local=True, title="a neuron")
    texts = [t.get_text() for t in fig.axes[0].texts if t.get_text()]  # arrows have no text
    n_nodes, n_edges = len(root.topological_order()), sum(
        len(n.parents) for n in root.topological_order())
    assert len(texts) == 3 * n_nodes + n_edges  # head, value, grad per node; one label per edge
    assert "L = ^2" in texts and "a = \u03c3" in texts and "w1" in texts
    assert "grad -0.25" in texts and "grad 1" in texts
    assert fig.axes[0].get_title() == "a neuron"
    plt.close(fig)
    fig, ax = plt.subplots()
    assert plots.draw_graph(root, ax=ax, show_grad=False) is fig
    assert not any(t.get_text().startswith("grad") for t in ax.texts)
    plt.close(fig)
    big = G.Node(0.0)
    for _ in range(70):
        big = big + 1.0
    with pytest.raises(ValueError, match="small graphs"):
        plots.draw_graph(big)


def test_layout_places_inputs_next_to_their_first_use():
    root, leaves = G.trace(_neuron_loss, w1=0.5, x1=1.0, w2=-0.5, x2=2.0, b=0.5, y=1.0)
    _, pos = plots._layout(root)
    depth = {name: pos[id(leaf)][0] for name, leaf in leaves.items()}
    assert depth["w1"] == depth["x1"] == 0
    assert depth["b"] == 2 and depth["y"] == 4  # one column before their add and subtraction
    assert pos[id(root)][0] == 6
    assert len({pos[id(n)] for n in root.topological_order()}) == len(root.topological_order())
    assert np.isfinite([p for xy in pos.values() for p in xy]).all()


def test_layout_separates_nodes_sharing_a_column_and_arcs_over_skipped_columns():
    import matplotlib.pyplot as plt

    root, _ = G.trace(lambda x: G.exp(x * x) + G.tanh(x * x) * x + x, x=0.5)
    _, pos = plots._layout(root)
    nodes = root.topological_order()
    assert len({pos[id(n)] for n in nodes}) == len(nodes)  # no two boxes on the same spot
    for a in nodes:
        for b in nodes:
            if a is not b and pos[id(a)][0] == pos[id(b)][0]:
                assert abs(pos[id(a)][1] - pos[id(b)][1]) >= 1.0 - 1e-12
    silu, _ = G.trace(lambda z: z * G.sigmoid(z), z=1.5)
    fig = plots.draw_graph(silu)
    assert len(fig.axes[0].lines) == 1  # z -> product skips the sigmoid's column: one arc
    plt.close(fig)
    fig = plots.draw_graph(G.trace(lambda x, y: x * y, x=1.0, y=2.0)[0])
    assert len(fig.axes[0].lines) == 0  # neighbouring columns only: straight arrows
    plt.close(fig)


def test_numpy_scalars_are_numbers():
    value, grads = G.value_and_grad(lambda x, y: x * y + x ** np.int64(2), x=np.float32(2.0), y=np.int64(3))
    assert value == 10.0 and grads == {"x": 7.0, "y": 2.0}
    assert (G.Node(1.5) * np.float64(2.0)).value == 3.0
