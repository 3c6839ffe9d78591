"""The fast 2-D convolution training runs: im2col, one matrix product, and col2im.

im2col copies the patch under every output position into one row of a matrix,
cols: (n h_out w_out, kh kw c_in); the convolution is then the single product
z = cols @ W.reshape(kh kw c_in, f) + b, which BLAS runs at full speed. The backward pass is two
more products, dW = cols^T dz and dcols = dz W^T, and col2im, which adds each row of dcols back
onto the patch it came from (a loop over the kh kw kernel offsets, not over positions).
Same arguments and results as `convolution.conv2d_forward` / `conv2d_backward`, tested equal.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _offset(p, d, s, m):
    """The input rows kernel row p reads at the m output rows: p d, p d + s, ..."""
    return slice(p * d, p * d + s * (m - 1) + 1, s)


def im2col(x_pad, kernel_size, strides, dilation):
    """x_pad: (n, h, w, c) -> cols: (n, h_out, w_out, kh, kw, c), every patch copied out.
    `sliding_window_view` gives every (dilated) patch without copying, as
    (n, positions, positions, c, span_h, span_w); the strides and the dilation pick from it, and
    one transposing copy puts each patch's entries in the kernel's (kh, kw, c) order."""
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, strides, dilation
    spans = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    patches = sliding_window_view(x_pad, spans, axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]
    return np.ascontiguousarray(patches.transpose(0, 1, 2, 4, 5, 3))


def col2im(dcols, x_shape, strides, dilation):
    """The adjoint of im2col: dcols: (n, h_out, w_out, kh, kw, c) -> dx_pad: x_shape, each
    patch's entries added back where im2col took them from."""
    _, ho, wo, kh, kw, _ = dcols.shape
    (sh, sw), (dh, dw) = strides, dilation
    dx_pad = np.zeros(x_shape, dtype=dcols.dtype)
    for p in range(kh):
        for q in range(kw):
            dx_pad[:, _offset(p, dh, sh, ho), _offset(q, dw, sw, wo), :] += dcols[:, :, :, p, q, :]
    return dx_pad


def conv2d_forward(x_pad, W, b, strides=(1, 1), dilation=(1, 1)):
    """(z, cols): z = x_pad (*) W + b: (n, h_out, w_out, f) and the im2col matrix that backward
    needs. x_pad: (n, h, w, c_in) already padded, W: (kh, kw, c_in, f), b: (f,)."""
    n, h, w, _ = x_pad.shape
    kh, kw, _, f = W.shape
    ho = (h - dilation[0] * (kh - 1) - 1) // strides[0] + 1
    wo = (w - dilation[1] * (kw - 1) - 1) // strides[1] + 1
    cols = im2col(x_pad, (kh, kw), strides, dilation).reshape(n * ho * wo, -1)
    z = cols @ W.reshape(-1, f) + b
    return z.reshape(n, ho, wo, f), cols


def conv2d_backward(dz, cols, x_shape, W, strides=(1, 1), dilation=(1, 1)):
    """(dL/dx_pad: x_shape, dL/dW, dL/db) from dz: (n, h_out, w_out, f) and forward's cols."""
    n, ho, wo, f = dz.shape
    dz2 = dz.reshape(-1, f)
    dW = (cols.T @ dz2).reshape(W.shape)
    dcols = (dz2 @ W.reshape(-1, f).T).reshape(n, ho, wo, *W.shape[:3])
    db = np.ones(len(dz2), dtype=dz2.dtype) @ dz2  # the column sums, by BLAS: 6x faster than sum(axis=0)
    return col2im(dcols, x_shape, strides, dilation), dW, db
