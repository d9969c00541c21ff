"""Part I models: a vanilla RNN and the LSTM of equations (1)-(8), from scratch.

Conventions. Inputs are batches of row vectors, so the assignment's ``W x`` is
written ``x @ W`` here and every weight is stored as the transpose of the matrix
in the equations. The LSTM keeps its four gates stacked along one axis,

    W_x (D, 4H),  W_h (H, 4H),  b (4H)   in the order  o | i | f | g,

so that one matrix product computes all pre-activations (the three sigmoid
gates first, so that one ``sigmoid_`` covers them).

Each model has two forward paths that compute the same function:

* ``hidden_states_reference``: the equations line by line in a ``for`` loop over
  time, differentiated by autograd. It is the reference, the one to read.
* ``hidden_states`` (the default): the same loop over time with a hand-written
  backward pass through time (``_LSTMRecurrence``/``_RNNRecurrence``): one
  matrix product per step into preallocated buffers, the element-wise rest of
  the step fused into one C loop on the CPU (``lib.cpu_kernels``), and the
  weight gradients of all steps as one product at the end.
  Tests prove that both paths agree, in outputs and gradients, with each other
  and with ``torch.nn.LSTM``/``torch.nn.RNN``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from . import cpu_kernels
from .palindrome import NUM_CLASSES, encode
from .runs import check_choice, check_int, load_torch, resolve_device

FORGET_BIAS_INITS = ("zero", "one", "chrono")


class _Recurrent(nn.Module):
    """What the RNN and the LSTM share: the output layer (7), the loss (9), prediction."""

    def __init__(self, seq_length: int, input_dim: int, hidden_dim: int, output_dim: int, fused: bool):
        super().__init__()
        check_int("seq_length", seq_length, minimum=2)
        check_int("input_dim", input_dim)  # predict_digits needs 1 (scalar) or 10 (one-hot); forward takes any
        check_int("hidden_dim", hidden_dim)
        check_int("output_dim", output_dim)
        self.seq_length, self.input_dim, self.hidden_dim, self.output_dim = seq_length, input_dim, hidden_dim, output_dim
        self.fused = fused
        bound = 1 / math.sqrt(hidden_dim)  # the scale torch.nn.RNN/LSTM use
        self.W_ph = nn.Parameter(torch.empty(hidden_dim, output_dim).uniform_(-bound, bound))
        self.b_p = nn.Parameter(torch.zeros(output_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T-1, input_dim) -> logits p^(T) (B, output_dim)."""
        hidden = self.hidden_states(x) if self.fused else self.hidden_states_reference(x)
        return self.output(hidden[-1])

    def output(self, h: torch.Tensor) -> torch.Tensor:
        return h @ self.W_ph + self.b_p  # (7) p = W_ph h + b_p; softmax (8) lives inside the loss (9)

    @torch.no_grad()
    def predict_digits(self, digits: torch.Tensor) -> torch.Tensor:
        """Digits (B, T-1), long -> predicted last digits (B,), encoding the input as in training."""
        x = encode(digits.to(self.W_ph.device), self.input_dim)
        return self(x).argmax(dim=1)

    @property
    def init_args(self) -> dict:
        return dict(seq_length=self.seq_length, input_dim=self.input_dim,
                    hidden_dim=self.hidden_dim, output_dim=self.output_dim)


def loss_fn(logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """(9) L = -sum_k y_k log softmax(p^(T))_k, on the last time step only."""
    return F.cross_entropy(logits, targets, reduction=reduction)


class VanillaRNN(_Recurrent):
    """h_t = tanh(W_hx x_t + W_hh h_{t-1} + b_h),  p_t = W_ph h_t + b_p."""

    kind = "rnn"

    def __init__(self, seq_length: int, input_dim: int, hidden_dim: int, output_dim: int = NUM_CLASSES,
                 fused: bool = True):
        super().__init__(seq_length, input_dim, hidden_dim, output_dim, fused)
        bound = 1 / math.sqrt(hidden_dim)
        self.W_hx = nn.Parameter(torch.empty(input_dim, hidden_dim).uniform_(-bound, bound))
        self.W_hh = nn.Parameter(torch.empty(hidden_dim, hidden_dim).uniform_(-bound, bound))
        self.b_h = nn.Parameter(torch.zeros(hidden_dim))

    def hidden_states_reference(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = x.new_zeros(x.shape[0], self.hidden_dim)  # h_0 = 0
        hidden = []
        for t in range(x.shape[1]):
            h = torch.tanh(x[:, t] @ self.W_hx + h @ self.W_hh + self.b_h)  # (B, H)
            hidden.append(h)
        return hidden

    def hidden_states(self, x: torch.Tensor) -> torch.Tensor:
        return _RNNRecurrence.apply(x.transpose(0, 1), torch.cat([self.W_hx, self.W_hh]), self.b_h)  # (T-1, B, H)


class LSTM(_Recurrent):
    """The LSTM of equations (1)-(8) with h_0 = c_0 = 0.

    ``forget_bias_init``: ``"zero"`` (the plain equations: every bias starts at 0),
    ``"one"`` (b_f = 1, Gers et al. 2000), or ``"chrono"`` (Tallec & Ollivier 2018:
    b_f ~ log U(1, T-1) and b_i = -b_f, so that the cell's time constants spread
    over the range of dependencies the task has).
    """

    kind = "lstm"

    def __init__(self, seq_length: int, input_dim: int, hidden_dim: int, output_dim: int = NUM_CLASSES,
                 forget_bias_init: str = "zero", fused: bool = True):
        super().__init__(seq_length, input_dim, hidden_dim, output_dim, fused)
        check_choice("forget_bias_init", forget_bias_init, FORGET_BIAS_INITS)
        self.forget_bias_init = forget_bias_init
        H, bound = hidden_dim, 1 / math.sqrt(hidden_dim)
        self.W_x = nn.Parameter(torch.empty(input_dim, 4 * H).uniform_(-bound, bound))  # [W_ox W_ix W_fx W_gx]
        self.W_h = nn.Parameter(torch.empty(H, 4 * H).uniform_(-bound, bound))  # [W_oh W_ih W_fh W_gh]
        self.b = nn.Parameter(torch.zeros(4 * H))  # [b_o b_i b_f b_g]
        with torch.no_grad():
            _, b_i, b_f, _ = self.b.view(4, H)
            if forget_bias_init == "one":
                b_f.fill_(1.0)
            elif forget_bias_init == "chrono":
                b_f.copy_(torch.empty(H).uniform_(1, max(seq_length - 1, 1)).log())
                b_i.copy_(-b_f)

    @property
    def init_args(self) -> dict:
        return super().init_args | dict(forget_bias_init=self.forget_bias_init)

    def hidden_states_reference(self, x: torch.Tensor) -> list[torch.Tensor]:
        W_ox, W_ix, W_fx, W_gx = self.W_x.chunk(4, dim=1)
        W_oh, W_ih, W_fh, W_gh = self.W_h.chunk(4, dim=1)
        b_o, b_i, b_f, b_g = self.b.chunk(4)
        h = c = x.new_zeros(x.shape[0], self.hidden_dim)  # h(0) = c(0) = 0
        hidden = []
        for t in range(x.shape[1]):
            x_t = x[:, t]
            g = torch.tanh(x_t @ W_gx + h @ W_gh + b_g)  # (1) input modulation
            i = torch.sigmoid(x_t @ W_ix + h @ W_ih + b_i)  # (2) input gate
            f = torch.sigmoid(x_t @ W_fx + h @ W_fh + b_f)  # (3) forget gate
            o = torch.sigmoid(x_t @ W_ox + h @ W_oh + b_o)  # (4) output gate
            c = g * i + c * f  # (5)
            h = torch.tanh(c) * o  # (6)
            hidden.append(h)
        return hidden

    def hidden_states(self, x: torch.Tensor) -> torch.Tensor:
        x, W = x.transpose(0, 1), torch.cat([self.W_x, self.W_h])  # (T-1, B, D), (D+H, 4H)
        if torch.is_grad_enabled() and any(t.requires_grad for t in (x, W, self.b)):
            return _LSTMRecurrence.apply(x, W, self.b)  # (T-1, B, H)
        xh = _lstm_forward(x, W, self.b, keep_every_step=False)[0]
        return xh[1:, :, x.shape[2]:]  # h(1), ..., h(T-1)


def _threads() -> int:
    return torch.get_num_threads()


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
    """Equations (1)-(6) over all steps: x (L, B, D), W = [W_x; W_h] (D+H, 4H), b (4H).

    Returns the buffer ``xh`` (L+1, B, D+H), whose row t holds [x(t), h(t-1)] side by side,
    so that one product ``xh[t] @ W`` gives all four gates' pre-activations and each step
    writes its h straight into the next row; and the gates, cells and tanh(cells). These
    last three are ring buffers: one slot per step when the backward pass needs them all,
    else one slot (two for c(t-1) and c(t)) that each step overwrites while it is still in
    cache, which is what inference needs. The element-wise part of a step runs in one fused C loop on
    the CPU (``lib.cpu_kernels``) and as PyTorch operations elsewhere.
    """
    L, B, D = x.shape
    H = W.shape[1] // 4
    xh = x.new_empty(L + 1, B, D + H)
    xh[:L, :, :D] = x
    xh[0, :, D:] = 0  # h(0) = 0
    gates = x.new_empty(L if keep_every_step else 1, B, 4 * H)  # pre-activations, then the activated o, i, f, g
    cells = x.new_empty(L if keep_every_step else 2, B, H)
    tanh_cells = x.new_empty(L if keep_every_step else 1, B, H)
    rows, h_out = xh.unbind(0), xh[1:, :, D:].unbind(0)
    z, c, tanh_c = gates.unbind(0), cells.unbind(0), tanh_cells.unbind(0)
    fused = cpu_kernels.usable(x, W)
    kernel, threads = cpu_kernels.kernels() if fused else None, _threads()
    for t in range(L):
        z_t, c_t, tanh_c_t = z[t % len(z)], c[t % len(c)], tanh_c[t % len(tanh_c)]
        c_prev = c[(t - 1) % len(c)] if t else None  # c(0) = 0
        if t:
            torch.addmm(b, rows[t], W, out=z_t)  # pre-activations of (1)-(4)
        else:  # h(0) = 0: only the x-part of the product
            torch.addmm(b, x[0], W[:D], out=z_t)
        if fused:
            kernel.lstm_forward_step(z_t.data_ptr(), c_prev.data_ptr() if t else None, c_t.data_ptr(),
                                     tanh_c_t.data_ptr(), h_out[t].data_ptr(), D + H, B, H, threads)
        else:
            _lstm_step_torch(z_t, c_prev, c_t, tanh_c_t, h_out[t])
    return xh, gates, cells, tanh_cells


class _LSTMRecurrence(torch.autograd.Function):
    """Equations (1)-(6) over all steps (``_lstm_forward``), with backpropagation through time
    written by hand: x (L, B, D), W (D+H, 4H), b (4H)  ->  h (L, B, H)."""

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
        # All steps' weight gradients as one product: sum_t [x(t), h(t-1)]^T dL/dpre(t).
        grad_W = xh[:L].reshape(-1, D + H).t() @ grad_pre.view(-1, H4) if ctx.needs_input_grad[1] else None
        grad_b = grad_pre.sum((0, 1)) if ctx.needs_input_grad[2] else None
        grad_x = grad_pre @ W[:D].t() if ctx.needs_input_grad[0] else None
        return grad_x, grad_W, grad_b


class _RNNRecurrence(torch.autograd.Function):
    """h(t) = tanh([x(t), h(t-1)] @ [W_hx; W_hh] + b_h) over all steps, with a hand-written backward.

    forward: x (L, B, D), W (D+H, H), b (H)  ->  h (L, B, H); the ``xh`` buffer as in the LSTM."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        L, B, D = x.shape
        H = W.shape[1]
        xh = x.new_empty(L + 1, B, D + H)
        xh[:L, :, :D] = x
        xh[0, :, D:] = 0  # h_0 = 0
        pre = x.new_empty(B, H)
        rows, h_out = xh.unbind(0), xh[1:, :, D:].unbind(0)
        fused = cpu_kernels.usable(x, W)
        kernel, threads = cpu_kernels.kernels() if fused else None, _threads()
        for t in range(L):
            if t:
                torch.addmm(b, rows[t], W, out=pre)
            else:  # h_0 = 0: only the x-part of the product
                torch.addmm(b, x[0], W[:D], out=pre)
            if fused:
                kernel.rnn_forward_step(pre.data_ptr(), h_out[t].data_ptr(), D + H, B, H, threads)
            else:
                torch.tanh(pre, out=h_out[t])
        ctx.save_for_backward(W, xh)
        return xh[1:, :, D:]

    @staticmethod
    def backward(ctx, grad_hidden: torch.Tensor):
        W, xh = ctx.saved_tensors
        L, B, _ = grad_hidden.shape
        H, D = W.shape[1], W.shape[0] - W.shape[1]
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
        grad_W = xh[:L].reshape(-1, D + H).t() @ grad_pre.view(-1, H) if ctx.needs_input_grad[1] else None
        grad_b = grad_pre.sum((0, 1)) if ctx.needs_input_grad[2] else None
        grad_x = grad_pre @ W[:D].t() if ctx.needs_input_grad[0] else None
        return grad_x, grad_W, grad_b


MODELS = {"rnn": VanillaRNN, "lstm": LSTM}


def build_model(kind: str, **init_args) -> _Recurrent:
    check_choice("model", kind, MODELS)
    return MODELS[kind](**init_args)


def hidden_gradient_norms(model: _Recurrent, digits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """||dL/dh_t|| for t = 1..T-1, averaged over the batch: how much the loss at the
    last step can still teach step t. Computed on the reference path, where each
    h_t is a node of the autograd graph."""
    device = model.W_ph.device
    x = encode(digits.to(device), model.input_dim)
    with torch.enable_grad():
        hidden = model.hidden_states_reference(x)
        loss = loss_fn(model.output(hidden[-1]), targets.to(device), reduction="sum")  # per-example gradients
        grads = torch.autograd.grad(loss, hidden)
    return torch.stack([grad.norm(dim=1).mean() for grad in grads]).cpu()


def load_checkpoint(path, device: str = "auto") -> _Recurrent:
    """A trained model in eval mode from a checkpoint written by ``lib.recurrent_train``."""
    device = resolve_device(device)
    state = load_torch(path, device)
    model = build_model(state["model"], **state["init_args"])
    model.load_state_dict(state["model_state"])
    return model.to(device).eval()
