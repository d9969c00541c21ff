"""The speed machinery behind ``lib.recurrent``: the recurrences over all steps with
backpropagation through time (BPTT) written by hand. Read ``lib.recurrent`` for the
models and their equations; this file computes the same function faster.

Why it is faster than autograd on the reference loop:

* one matrix product per step: the buffer ``xh`` (L+1, B, D+H) holds [x(t), h(t-1)]
  side by side in row t, so ``xh[t] @ W`` with W = [W_x; W_h] gives every gate's
  pre-activation, and each step writes its h straight into the next row;
* the element-wise rest of a step is one fused C loop on the CPU (``lib.cpu_kernels``),
  with the same step as PyTorch operations elsewhere;
* the weight gradients of all steps are one product at the end.

Shapes: x (L, B, D) with L = T-1 steps; the LSTM's W (D+H, 4H) and b (4H) hold the
gates in the order o | i | f | g. The tests check both functions against the
reference loop, against ``torch.nn.LSTM``/``torch.nn.RNN`` and with gradcheck.
"""
from __future__ import annotations

import torch

from . import cpu_kernels


def _threads() -> int:
    return torch.get_num_threads()


def _xh_buffer(x: torch.Tensor, H: int) -> torch.Tensor:
    """(L+1, B, D+H) with row t = [x(t), h(t-1)]: x copied in, h(0) = 0, later h's written by the steps."""
    L, B, D = x.shape
    xh = x.new_empty(L + 1, B, D + H)
    xh[:L, :, :D] = x
    xh[0, :, D:] = 0  # h(0) = 0
    return xh


def _pre_activations(xh: torch.Tensor, x: torch.Tensor, W: torch.Tensor, b: torch.Tensor, t: int,
                     out: torch.Tensor) -> None:
    """b + [x(t), h(t-1)] @ W into ``out``; at t = 0, h(0) = 0, so only the x-part of the product."""
    if t:
        torch.addmm(b, xh[t], W, out=out)
    else:
        torch.addmm(b, x[0], W[:x.shape[2]], out=out)


def _shared_gradients(ctx, xh: torch.Tensor, W: torch.Tensor, grad_pre: torch.Tensor, D: int):
    """What both backward passes end with, once dL/d(pre-activations) of every step is known:
    dL/dW = sum_t [x(t), h(t-1)]^T dL/dpre(t) as one product, dL/db, and dL/dx."""
    L, _, G = grad_pre.shape
    grad_W = xh[:L].reshape(-1, W.shape[0]).t() @ grad_pre.view(-1, G) if ctx.needs_input_grad[1] else None
    grad_b = grad_pre.sum((0, 1)) if ctx.needs_input_grad[2] else None
    grad_x = grad_pre @ W[:D].t() if ctx.needs_input_grad[0] else None
    return grad_x, grad_W, grad_b


# ---------------------------------------------------------------- LSTM

def _lstm_step_torch(z, c_prev, c, tanh_c, h):
    """(1)-(6) on one step with PyTorch operations: the fallback of the fused C kernel."""
    H = c.shape[1]
    z[:, :3 * H].sigmoid_()  # (4), (2), (3): o, i, f
    z[:, 3 * H:].tanh_()  # (1): g
    o, i, f, g = z.split(H, dim=1)
    torch.mul(g, i, out=c)  # (5)
    if c_prev is not None:
        c.addcmul_(c_prev, f)
    torch.mul(torch.tanh(c, out=tanh_c), o, out=h)  # (6)


def _lstm_step_backward_torch(gates, c_prev, tanh_c, dh, dc, grad_pre):
    """dL/d pre-activations of one step from dL/dh(t), and dc: dL/dc(t+1) f(t+1) -> dL/dc(t) f(t)."""
    o, i, f, g = gates.split(tanh_c.shape[1], dim=1)
    d_o, d_i, d_f, d_g = grad_pre.split(tanh_c.shape[1], dim=1)
    dc.addcmul_(dh, o * (1 - tanh_c * tanh_c))  # through (6) into c(t)
    torch.mul(dh * tanh_c, o * (1 - o), out=d_o)  # (6), (4)
    torch.mul(dc * g, i * (1 - i), out=d_i)  # (5), (2)
    if c_prev is None:
        d_f.zero_()
    else:
        torch.mul(dc * c_prev, f * (1 - f), out=d_f)  # (5), (3)
    torch.mul(dc * i, 1 - g * g, out=d_g)  # (5), (1)
    dc.mul_(f)  # (5): on to c(t-1)


def _lstm_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor, keep_every_step: bool):
    """Equations (1)-(6) over all steps. Returns ``xh`` and the gates, cells and tanh(cells).

    The last three are ring buffers: one slot per step when the backward pass needs them all,
    else one slot (two for c(t-1) and c(t)) that each step overwrites while it is still in cache,
    which is all that inference needs."""
    L, B, D = x.shape
    H = W.shape[1] // 4
    xh = _xh_buffer(x, H)
    gates = x.new_empty(L if keep_every_step else 1, B, 4 * H)  # pre-activations, then the activated o, i, f, g
    cells = x.new_empty(L if keep_every_step else 2, B, H)
    tanh_cells = x.new_empty(L if keep_every_step else 1, B, H)
    h_out = xh[1:, :, D:].unbind(0)
    z, c, tanh_c = gates.unbind(0), cells.unbind(0), tanh_cells.unbind(0)
    fused = cpu_kernels.usable(x, W)
    kernel, threads = cpu_kernels.kernels() if fused else None, _threads()
    for t in range(L):
        z_t, c_t, tanh_c_t = z[t % len(z)], c[t % len(c)], tanh_c[t % len(tanh_c)]
        c_prev = c[(t - 1) % len(c)] if t else None  # c(0) = 0
        _pre_activations(xh, x, W, b, t, out=z_t)
        if fused:
            kernel.lstm_forward_step(z_t.data_ptr(), c_prev.data_ptr() if t else None, c_t.data_ptr(),
                                     tanh_c_t.data_ptr(), h_out[t].data_ptr(), D + H, B, H, threads)
        else:
            _lstm_step_torch(z_t, c_prev, c_t, tanh_c_t, h_out[t])
    return xh, gates, cells, tanh_cells


class LSTMRecurrence(torch.autograd.Function):
    """x (L, B, D), W (D+H, 4H), b (4H)  ->  h(1), ..., h(L) as (L, B, H), with a hand-written backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        xh, gates, cells, tanh_cells = _lstm_forward(x, W, b, keep_every_step=True)
        ctx.save_for_backward(W, xh, gates, cells, tanh_cells)
        return xh[1:, :, x.shape[2]:]

    @staticmethod
    def backward(ctx, grad_hidden: torch.Tensor):
        W, xh, gates, cells, tanh_cells = ctx.saved_tensors
        L, B, H4 = gates.shape
        H, D = H4 // 4, xh.shape[2] - H4 // 4
        grad_hidden = grad_hidden.contiguous()
        grad_pre = torch.empty_like(gates)  # dL/d pre-activations of (1)-(4), every step
        gp, gate, c, tanh_c = grad_pre.unbind(0), gates.unbind(0), cells.unbind(0), tanh_cells.unbind(0)
        fused = cpu_kernels.usable(gates)
        kernel, threads = cpu_kernels.kernels() if fused else None, _threads()
        W_h_T = W[D:].t()
        dh = grad_hidden[L - 1].clone()  # dL/dh(t)
        dc = torch.zeros_like(dh)  # dL/dc(t+1) * f(t+1): what (5) at t+1 sends back to c(t)
        for t in range(L - 1, -1, -1):
            c_prev = c[t - 1] if t else None
            if fused:
                kernel.lstm_backward_step(gate[t].data_ptr(), c_prev.data_ptr() if t else None,
                                          tanh_c[t].data_ptr(), dh.data_ptr(), dc.data_ptr(), gp[t].data_ptr(),
                                          B, H, threads)
            else:
                _lstm_step_backward_torch(gate[t], c_prev, tanh_c[t], dh, dc, gp[t])
            if t > 0:
                torch.addmm(grad_hidden[t - 1], gp[t], W_h_T, out=dh)  # dL/dh(t-1)
        return _shared_gradients(ctx, xh, W, grad_pre, D)


def lstm_hidden_states(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """h(1), ..., h(L) (L, B, H) of the LSTM for x (L, B, D); differentiable when any input needs it."""
    if torch.is_grad_enabled() and any(t.requires_grad for t in (x, W, b)):
        return LSTMRecurrence.apply(x, W, b)
    return _lstm_forward(x, W, b, keep_every_step=False)[0][1:, :, x.shape[2]:]


# ---------------------------------------------------------------- vanilla RNN

class RNNRecurrence(torch.autograd.Function):
    """h(t) = tanh([x(t), h(t-1)] @ [W_hx; W_hh] + b_h) over all steps, with a hand-written backward.

    x (L, B, D), W (D+H, H), b (H)  ->  h (L, B, H)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        L, B, D = x.shape
        H = W.shape[1]
        xh = _xh_buffer(x, H)
        pre = x.new_empty(B, H)
        h_out = xh[1:, :, D:].unbind(0)
        fused = cpu_kernels.usable(x, W)
        kernel, threads = cpu_kernels.kernels() if fused else None, _threads()
        for t in range(L):
            _pre_activations(xh, x, W, b, t, out=pre)
            if fused:
                kernel.rnn_forward_step(pre.data_ptr(), h_out[t].data_ptr(), D + H, B, H, threads)
            else:
                torch.tanh(pre, out=h_out[t])
        ctx.save_for_backward(W, xh)
        return xh[1:, :, D:]

    @staticmethod
    def backward(ctx, grad_hidden: torch.Tensor):
        W, xh = ctx.saved_tensors
        L = grad_hidden.shape[0]
        D = W.shape[0] - W.shape[1]
        hidden = xh[1:, :, D:]
        dtanh = 1 - hidden * hidden  # (L, B, H), all steps at once
        grad_pre = torch.empty_like(dtanh)
        gp, k, W_hh_T = grad_pre.unbind(0), dtanh.unbind(0), W[D:].t()
        grad_hidden = grad_hidden.contiguous()
        dh = grad_hidden[L - 1].clone()
        for t in range(L - 1, -1, -1):
            torch.mul(dh, k[t], out=gp[t])
            if t > 0:
                torch.addmm(grad_hidden[t - 1], gp[t], W_hh_T, out=dh)
        return _shared_gradients(ctx, xh, W, grad_pre, D)


def rnn_hidden_states(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """h(1), ..., h(L) (L, B, H) of the vanilla RNN for x (L, B, D)."""
    return RNNRecurrence.apply(x, W, b)
