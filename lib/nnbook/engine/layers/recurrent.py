"""Recurrent layers, `SimpleRNN`, `LSTM` and `GRU`, with Keras 3's definitions, and the one
backpropagation-through-time (BPTT) driver they share.

x: (n, T, d) -> y = h_T: (n, units), or every h_t: (n, T, units) with `return_sequences=True`.
Each layer is a *cell* run over time: `step(xw_t, state) -> (new_state, cache)`, where
xw_t = x_t W + b is the input's part of the pre-activations (computed for all steps in one product)
and state = (h,) (LSTM: (h, c)), new_state[0] being the output h_t. `step_backward(dstate, cache)`
goes one step back: from dL/d(new_state) to (dL/d xw_t, dL/d rec_t, dL/d state), rec_t being what
the recurrent kernel U produced, so that dL/dU = sum_t h_{t-1}^T drec_t, again one product.

The fused kernels hold the blocks side by side as Keras stores them (u = units, sigma =
`recurrent_activation`, sigmoid by default, phi = `activation`, tanh by default):

    SimpleRNN  W (d, u), U (u, u), b (u,):      h_t = phi(x_t W + h_{t-1} U + b)
    LSTM       W (d, 4u), U (u, 4u), b (4u,), blocks i, f, g, o (Keras: i, f, c, o):
               [i, f, g, o] = [sigma, sigma, phi, sigma](x_t W + h_{t-1} U + b)
               c_t = f c_{t-1} + i g,  h_t = o phi(c_t);  b_f starts at 1 (`unit_forget_bias`)
    GRU        W (d, 3u), U (u, 3u), b (2, 3u) (row 0 for the input, row 1 for the recurrent
               side: Keras's `reset_after=True`), blocks z, r, h:
               [a_z, a_r, a_h] = x_t W + b[0],  [q_z, q_r, q_h] = h_{t-1} U + b[1]
               z = sigma(a_z + q_z),  r = sigma(a_r + q_r),  g = phi(a_h + r q_h)
               h_t = z h_{t-1} + (1 - z) g

Initial states: zeros, or `layer(x, initial_state=[h0])` (LSTM: `[h0, c0]`, each (n, units)).
Final states: every forward pass keeps them in `layer.last_state` (a tuple like `initial_state`);
with `return_state=True`, `layer(x)` also returns them, `(y, h_T)` (LSTM: `(y, h_T, c_T)`) as
Keras does, while `forward` (what `Sequential` calls, which carries one array between layers)
returns y alone. `backward(dy, dstate=None)` takes the gradients of the final states too, and
leaves those of the initial states in `layer.dinitial_state`.

Speed: the driver's loop makes a dozen NumPy calls per step, each on a small array, so Python's
overhead, not arithmetic, sets its pace. With Keras's default activations (tanh, sigmoid) the
LSTM runs a fused copy of the loop instead (`LSTM._fused_forward`, `LSTM._fused_backward`): all
four gates from one tanh per step, time-major work arrays kept from call to call, the weight
gradients one matrix product each after the loop. It is tested equal to the driver's loop over
`step` and `step_backward`, which stay the readable definition (and run for other activations).
"""

import numpy as np

from ... import _checks
from .. import activations as _act
from .. import initializers
from .base import Layer

_REFUSED = {"go_backwards": False, "stateful": False, "use_bias": True, "dropout": 0.0,
            "recurrent_dropout": 0.0}  # Keras options these layers do not have: the only value taken


class Recurrent(Layer):
    """The BPTT driver: x: (n, T, d) -> (n, units) or (n, T, units). Subclasses set `gates` (blocks
    in the fused kernels) and `state_size`, and define `step` and `step_backward`."""

    gates, state_size = 1, 1
    activation_args = ("activation", "recurrent_activation")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 return_sequences=False, return_state=False, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", trainable=True):
        super().__init__(trainable)
        self.units = _checks.positive_int(units, "units")
        self.activation = _act.get(activation)
        self.recurrent_activation = _act.get(recurrent_activation)
        for act in (self.activation, self.recurrent_activation):
            if act.name == _act.SOFTMAX:
                raise ValueError(f"{type(self).__name__} takes elementwise activations, not 'softmax'")
        self.return_sequences = _checks.flag(return_sequences, "return_sequences")
        self.return_state = _checks.flag(return_state, "return_state")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.last_state = self.dinitial_state = None

    def __repr__(self):
        return f"{type(self).__name__}({self.units}, return_sequences={self.return_sequences})"

    # --- shapes and parameters ----------------------------------------------------------------------

    def init_params(self, input_shape, rng):
        if len(input_shape) != 2 or input_shape[1] is None:
            raise ValueError(f"{type(self).__name__} needs inputs (n, T, d) with a known d: "
                             f"input_shape (T, d), got {input_shape}")
        k = self.gates * self.units
        return {"kernel": self.kernel_initializer((input_shape[1], k), rng),
                "recurrent_kernel": self.recurrent_initializer((self.units, k), rng),
                "bias": self.init_bias(rng)}

    def init_bias(self, rng):
        return self.bias_initializer((self.gates * self.units,), rng)

    def output_shape(self, input_shape):
        T = _checks.shape(input_shape)[0]
        return (T, self.units) if self.return_sequences else (self.units,)

    def input_bias(self):
        """The bias added to x_t W (GRU: row 0 of its two)."""
        return self.params["bias"]

    def bias_gradient(self, dxw, drec):
        """dL/db from the pre-activation gradients of every step, dxw and drec: (n, T, gates u)."""
        return dxw.sum(axis=(0, 1))

    # --- the driver -----------------------------------------------------------------------------------

    def forward(self, x, training=False, initial_state=None):
        """x: (n, T, d) -> h_T: (n, units), or all h_t: (n, T, units) if `return_sequences`."""
        n, T, _ = x.shape
        if initial_state is None:
            initial_state = tuple(np.zeros((n, self.units), x.dtype) for _ in range(self.state_size))
        state = initial_state
        xw = x @ self.params["kernel"] + self.input_bias()  # every step's x_t W + b at once
        hs = np.empty((n, T, self.units), x.dtype)
        self.caches = []
        for t in range(T):
            state, cache = self.step(xw[:, t], state)
            hs[:, t] = state[0]
            self.caches.append(cache)
        self.x, self.h0, self.hs, self.last_state = x, initial_state[0], hs, state
        return hs if self.return_sequences else hs[:, -1]

    def backward(self, dy, dstate=None):
        """dy = dL/dy -> dL/dx: (n, T, d); fills `grads` and `dinitial_state`. `dstate`: dL/d of the
        final states (default zeros), for a loss that reads them (`return_state`)."""
        n, T, _ = self.x.shape
        if not self.return_sequences:  # only h_T reaches the output
            dy_last, dy = dy, np.zeros_like(self.hs)
            dy[:, -1] = dy_last
        if dstate is None:
            dstate = tuple(np.zeros_like(self.h0) for _ in range(self.state_size))
        dxw = np.empty((n, T, self.gates * self.units), self.hs.dtype)
        drec = np.empty_like(dxw)
        for t in reversed(range(T)):
            dstate = (dstate[0] + dy[:, t], *dstate[1:])
            dxw[:, t], drec[:, t], dstate = self.step_backward(dstate, self.caches[t])
        self.dinitial_state = dstate
        h_prev = np.concatenate([self.h0[:, None], self.hs[:, :-1]], axis=1)
        k = dxw.shape[-1]
        self.grads["kernel"] = self.x.reshape(n * T, -1).T @ dxw.reshape(n * T, k)
        self.grads["recurrent_kernel"] = h_prev.reshape(n * T, -1).T @ drec.reshape(n * T, k)
        self.grads["bias"] = self.bias_gradient(dxw, drec)
        return dxw @ self.params["kernel"].T

    # --- the guarded entry point ---------------------------------------------------------------------

    def __call__(self, x, training=False, initial_state=None):
        """y = layer(x) ((y, *final states) with `return_state`), x: (n, T, d) checked, and the
        initial states if given: a list of `state_size` arrays (n, units)."""
        self.check_built("calling it")
        x = self.check_input(x, f"{type(self).__name__} input x")
        if initial_state is not None:
            initial_state = self._check_state(initial_state, len(x))
        y = self.forward(x, training=training, initial_state=initial_state)
        return (y, *self.last_state) if self.return_state else y

    def _check_state(self, state, n):
        """`state` as a tuple of `state_size` arrays (n, units) in the layer's dtype."""
        names = ["h0", "c0"][:self.state_size]
        if isinstance(state, np.ndarray) and self.state_size == 1:
            state = [state]
        if not isinstance(state, (list, tuple)) or len(state) != self.state_size:
            raise ValueError(f"initial_state must be a list of {self.state_size} arrays "
                             f"[{', '.join(names)}], got {_checks.describe(state)}")
        checked = tuple(_checks.batch(s, (self.units,), self.dtype, f"initial_state {name}")
                        for name, s in zip(names, state))
        for name, s in zip(names, checked):
            if len(s) != n:
                raise ValueError(f"initial_state {name} must have shape ({n}, {self.units}) for "
                                 f"{n} sequences, got {s.shape}")
        return checked

    # --- the Keras twin --------------------------------------------------------------------------------

    def keras_kwargs(self):
        return {**{name: getattr(self, name).keras_argument() for name in self.activation_args},
                "return_sequences": self.return_sequences, "return_state": self.return_state}

    def keras_layer(self):
        import keras

        return getattr(keras.layers, self.keras_class)(self.units, **self.keras_kwargs(),
                                                       dtype=self.dtype.name)

    def check_keras_config(self, keras_layer):
        kind = type(keras_layer).__name__
        if keras_layer.units != self.units:
            raise ValueError(f"the Keras {kind} has {keras_layer.units} units, this one {self.units}")
        for name in self.activation_args:
            theirs = _act.from_keras(getattr(keras_layer, name))
            if theirs != getattr(self, name).name:
                raise ValueError(f"the Keras {kind} has {name} {theirs!r}, this one "
                                 f"{getattr(self, name).name!r}")
        for name in ("return_sequences", "return_state"):
            if getattr(keras_layer, name) != getattr(self, name):
                raise ValueError(f"the Keras {kind} has {name}={getattr(keras_layer, name)}, this "
                                 f"one {getattr(self, name)}")
        for name, value in _REFUSED.items():
            if getattr(keras_layer, name) != value:
                raise ValueError(f"the Keras {kind} has {name}={getattr(keras_layer, name)!r}; "
                                 f"nnbook's {type(self).__name__} computes only {name}={value!r}")
        for name in ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer"):
            if getattr(keras_layer.cell, name) is not None:
                raise ValueError(f"the Keras {kind} has a {name}, which nnbook's recurrent layers "
                                 f"do not have")

    @classmethod
    def from_keras(cls, keras_layer):
        activations = {name: _act.from_keras(getattr(keras_layer, name)) for name in cls.activation_args}
        obj = cls(keras_layer.units, **activations, return_sequences=keras_layer.return_sequences,
                  return_state=keras_layer.return_state, trainable=keras_layer.trainable)
        obj.check_keras_config(keras_layer)
        return obj


class SimpleRNN(Recurrent):
    """h_t = phi(x_t W + h_{t-1} U + b). x: (n, T, d) -> (n, units) or (n, T, units)."""

    keras_class = "SimpleRNN"
    activation_args = ("activation",)

    def __init__(self, units, activation="tanh", return_sequences=False, return_state=False,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", trainable=True):
        super().__init__(units, activation, None, return_sequences, return_state,
                         kernel_initializer, recurrent_initializer, bias_initializer, trainable)
        self.recurrent_activation = None  # a SimpleRNN has no gates

    def step(self, xw, state):
        """xw = x_t W + b: (n, u), state (h_{t-1},) -> ((h_t,), cache)."""
        (h_prev,) = state
        a = xw + h_prev @ self.params["recurrent_kernel"]
        h = self.activation.f(a)
        return (h,), (a, h)

    def step_backward(self, dstate, cache):
        """(dL/dh_t,) -> (dL/dxw, dL/drec, (dL/dh_{t-1},))."""
        (dh,), (a, h) = dstate, cache
        da = self.activation.backward(a, h, dh)
        return da, da, (da @ self.params["recurrent_kernel"].T,)



class LSTM(Recurrent):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997) with a forget gate (Gers et al.,
    2000), as Keras computes it; state (h, c). x: (n, T, d) -> (n, units) or (n, T, units)."""

    keras_class = "LSTM"
    gates, state_size = 4, 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 return_sequences=False, return_state=False, unit_forget_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", trainable=True):
        super().__init__(units, activation, recurrent_activation, return_sequences, return_state,
                         kernel_initializer, recurrent_initializer, bias_initializer, trainable)
        self.unit_forget_bias = _checks.flag(unit_forget_bias, "unit_forget_bias")
        self.fused, self._buffers = None, {}  # the fused loop's saved arrays and its work arrays

    def init_bias(self, rng):
        b = super().init_bias(rng)
        if self.unit_forget_bias:  # the forget gate starts open: sigma(1) = 0.73
            b[self.units:2 * self.units] = 1.0
        return b

    def step(self, xw, state):
        """xw = x_t W + b: (n, 4u), state (h_{t-1}, c_{t-1}) -> ((h_t, c_t), cache)."""
        h_prev, c_prev = state
        u = self.units
        a = xw + h_prev @ self.params["recurrent_kernel"]  # (n, 4u): blocks i, f, g, o
        s = self.recurrent_activation.f(a)  # the gates i, f, o are read from it
        i, f, o = s[:, :u], s[:, u:2 * u], s[:, 3 * u:]
        g = self.activation.f(a[:, 2 * u:3 * u])
        c = f * c_prev + i * g
        phi_c = self.activation.f(c)
        return (o * phi_c, c), (c_prev, a, s, g, c, phi_c)

    def step_backward(self, dstate, cache):
        """(dL/dh_t, dL/dc_t) -> (dL/dxw, dL/drec, (dL/dh_{t-1}, dL/dc_{t-1}))."""
        (dh, dc), (c_prev, a, s, g, c, phi_c) = dstate, cache
        u = self.units
        i, f, o = s[:, :u], s[:, u:2 * u], s[:, 3 * u:]
        dc = dc + self.activation.backward(c, phi_c, dh * o)
        ds = np.concatenate([dc * g, dc * c_prev, np.zeros_like(g), dh * phi_c], axis=1)
        da = self.recurrent_activation.backward(a, s, ds)  # the g block is replaced just below
        da[:, 2 * u:3 * u] = self.activation.backward(a[:, 2 * u:3 * u], g, dc * i)
        return da, da, (da @ self.params["recurrent_kernel"].T, dc * f)

    @classmethod
    def from_keras(cls, keras_layer):
        obj = super().from_keras(keras_layer)
        obj.unit_forget_bias = bool(keras_layer.unit_forget_bias)
        return obj

    # --- the fused loop: what `forward`/`backward` run with Keras's default activations ---------------

    def forward(self, x, training=False, initial_state=None):
        """x: (n, T, d) -> h_T: (n, units), or all h_t: (n, T, units): the driver's loop over `step`,
        or, with activation tanh and recurrent_activation sigmoid, `_fused_forward` (the same
        numbers to rounding, a fraction of the NumPy calls)."""
        if self.activation.name != "tanh" or self.recurrent_activation.name != "sigmoid":
            self.fused = None
            return super().forward(x, training, initial_state)
        return self._fused_forward(x, initial_state)

    def backward(self, dy, dstate=None):
        if self.fused is None:
            return super().backward(dy, dstate)
        return self._fused_backward(dy, dstate)

    def _fused_forward(self, x, initial_state):
        """`step` over time in time-major arrays kept between calls (`_scratch`). sigma(a) =
        (1 + tanh(a / 2)) / 2, so one tanh per step gives all four blocks; the halving of the gate
        blocks is folded into copies of W, U and b (multiplying by 1/2 is exact)."""
        n, T, d = x.shape
        u, dt = self.units, x.dtype
        scale = np.full(4 * u, 0.5, dt)  # [i, f, g, o] = scale tanh(scale a) + shift
        scale[2 * u:3 * u] = 1.0
        shift = 0.5 * (scale != 1.0).astype(dt)
        W, U, b = (self.params[k] * scale for k in ("kernel", "recurrent_kernel", "bias"))
        xt = self._scratch("xt", (T * n, d), dt)
        xt.reshape(T, n, d)[...] = x.transpose(1, 0, 2)  # time-major rows: step t is xt[t n:(t+1) n]
        A = self._scratch("A", (T, n, 4 * u), dt)  # every step's pre-activations, then its gates
        np.matmul(xt, W, out=A.reshape(T * n, 4 * u))
        A += b
        H, C = self._scratch("H", (T + 1, n, u), dt), self._scratch("C", (T + 1, n, u), dt)
        TC = self._scratch("TC", (T, n, u), dt)  # tanh(c_t); H[t] = h_t and C[t] = c_t, t = 0..T
        if initial_state is None:
            H[0], C[0] = 0.0, 0.0
        else:
            H[0], C[0] = initial_state
        for t in range(T):
            a = A[t]
            a += H[t] @ U
            np.tanh(a, out=a)
            a *= scale
            a += shift  # a = [i, f, g, o]
            np.multiply(a[:, u:2 * u], C[t], out=C[t + 1])  # c = f c_prev + i g
            C[t + 1] += a[:, :u] * a[:, 2 * u:3 * u]
            np.tanh(C[t + 1], out=TC[t])
            np.multiply(a[:, 3 * u:], TC[t], out=H[t + 1])  # h = o tanh(c)
        self.fused = (xt, A, H, C, TC)
        self.x, self.h0, self.last_state = x, H[0].copy(), (H[T].copy(), C[T].copy())
        self.hs = None  # in H; `hs` is for the driver's backward
        if self.return_sequences:
            return H[1:].transpose(1, 0, 2).copy()  # a copy: H is reused by the next call
        return self.last_state[0]

    def _fused_backward(self, dy, dstate):
        """`step_backward` over time on the arrays `_fused_forward` kept; dL/dW, dL/dU and dL/dx are
        one matrix product each after the loop."""
        xt, A, H, C, TC = self.fused
        T, n, u = TC.shape
        i, f, g, o = (A[..., k * u:(k + 1) * u] for k in range(4))
        D = self._scratch("D", A.shape, A.dtype)  # d gate / d pre-activation:
        np.subtract(1, A, out=D)
        D *= A  # sigma' = s (1 - s) for i, f, o, ...
        np.multiply(g, g, out=D[..., 2 * u:3 * u])
        np.subtract(1, D[..., 2 * u:3 * u], out=D[..., 2 * u:3 * u])  # ... tanh' = 1 - g^2 for g
        P = self._scratch("P", TC.shape, A.dtype)  # d h_t / d c_t = o (1 - tanh(c_t)^2)
        np.multiply(TC, TC, out=P)
        np.subtract(1, P, out=P)
        P *= o
        U_T = self.params["recurrent_kernel"].T
        dA = self._scratch("dA", A.shape, A.dtype)
        if dstate is None:
            dh, dc = np.zeros((n, u), A.dtype), np.zeros((n, u), A.dtype)
        else:
            dh, dc = dstate
        dY = dy.transpose(1, 0, 2) if self.return_sequences else None
        if dY is None:
            dh = dh + dy
        for t in reversed(range(T)):
            if dY is not None:
                dh = dh + dY[t]
            dc = dc + dh * P[t]
            da = dA[t]
            np.multiply(dc, g[t], out=da[:, :u])  # dL/di
            np.multiply(dc, C[t], out=da[:, u:2 * u])  # dL/df, C[t] = c_{t-1}
            np.multiply(dc, i[t], out=da[:, 2 * u:3 * u])  # dL/dg
            np.multiply(dh, TC[t], out=da[:, 3 * u:])  # dL/do
            da *= D[t]  # dL/d pre-activations
            dc = dc * f[t]
            dh = da @ U_T
        self.dinitial_state = (dh, dc)
        flat = dA.reshape(T * n, 4 * u)
        self.grads["kernel"] = xt.T @ flat
        self.grads["recurrent_kernel"] = H[:-1].reshape(T * n, u).T @ flat
        self.grads["bias"] = flat.sum(axis=0)
        dx = (flat @ self.params["kernel"].T).reshape(T, n, -1)
        return dx.transpose(1, 0, 2).copy()

    def _scratch(self, name, shape, dtype):
        """A work array kept from call to call, new only when the shape or dtype changes (freshly
        allocated memory is slow to touch the first time, and these arrays are large)."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._buffers[name] = np.empty(shape, dtype)
        return buf


class GRU(Recurrent):
    """Gated recurrent unit (Cho et al., 2014) in Keras's default form, the reset gate applied
    after the recurrent product (`reset_after=True`, two bias rows); state (h,).
    x: (n, T, d) -> (n, units) or (n, T, units)."""

    keras_class = "GRU"
    gates = 3

    def init_bias(self, rng):
        return self.bias_initializer((2, 3 * self.units), rng)

    def input_bias(self):
        return self.params["bias"][0]

    def bias_gradient(self, dxw, drec):
        return np.stack([dxw.sum(axis=(0, 1)), drec.sum(axis=(0, 1))])

    def step(self, xw, state):
        """xw = x_t W + b[0]: (n, 3u), state (h_{t-1},) -> ((h_t,), cache)."""
        (h_prev,) = state
        u = self.units
        q = h_prev @ self.params["recurrent_kernel"] + self.params["bias"][1]  # blocks z, r, h
        a_zr = xw[:, :2 * u] + q[:, :2 * u]
        s = self.recurrent_activation.f(a_zr)
        z, r = s[:, :u], s[:, u:]
        a_h = xw[:, 2 * u:] + r * q[:, 2 * u:]
        g = self.activation.f(a_h)
        h = z * h_prev + (1 - z) * g
        return (h,), (h_prev, q, a_zr, s, a_h, g)

    def step_backward(self, dstate, cache):
        """(dL/dh_t,) -> (dL/dxw, dL/drec, (dL/dh_{t-1},))."""
        (dh,), (h_prev, q, a_zr, s, a_h, g) = dstate, cache
        u = self.units
        z, r = s[:, :u], s[:, u:]
        da_h = self.activation.backward(a_h, g, dh * (1 - z))
        ds = np.concatenate([dh * (h_prev - g), da_h * q[:, 2 * u:]], axis=1)
        da_zr = self.recurrent_activation.backward(a_zr, s, ds)
        dxw = np.concatenate([da_zr, da_h], axis=1)
        drec = np.concatenate([da_zr, da_h * r], axis=1)
        return dxw, drec, (dh * z + drec @ self.params["recurrent_kernel"].T,)

    def check_keras_config(self, keras_layer):
        if not keras_layer.reset_after:
            raise ValueError("the Keras GRU has reset_after=False; nnbook's GRU computes Keras's "
                             "default, reset_after=True")
        super().check_keras_config(keras_layer)
