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
* ``hidden_states`` (the default, ``fused=True``): the same loop over time in
  ``lib.bptt``, with backpropagation through time written by hand. Tests prove
  that both paths agree, in outputs and gradients, with each other and with
  ``torch.nn.LSTM``/``torch.nn.RNN``.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .bptt import lstm_hidden_states, rnn_hidden_states
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
        return rnn_hidden_states(x.transpose(0, 1), torch.cat([self.W_hx, self.W_hh]), self.b_h)  # (T-1, B, H)


class LSTM(_Recurrent):
    """The LSTM of equations (1)-(8) with h_0 = c_0 = 0.

    ``forget_bias_init``: ``"zero"`` (the plain equations: every bias starts at 0),
    ``"one"`` (b_f = 1, Gers et al. 2000), or ``"chrono"`` (Tallec & Ollivier 2018:
    b_f ~ log U(1, T_max - 1) and b_i = -b_f, so that the cell's time constants spread
    over the range of dependencies the task has). ``chrono_t_max`` is that T_max;
    None takes the sequence's length T.
    """

    kind = "lstm"

    def __init__(self, seq_length: int, input_dim: int, hidden_dim: int, output_dim: int = NUM_CLASSES,
                 forget_bias_init: str = "zero", chrono_t_max: int | None = None, fused: bool = True):
        super().__init__(seq_length, input_dim, hidden_dim, output_dim, fused)
        check_choice("forget_bias_init", forget_bias_init, FORGET_BIAS_INITS)
        if chrono_t_max is not None:
            check_int("chrono_t_max", chrono_t_max, minimum=2)
        self.forget_bias_init, self.chrono_t_max = forget_bias_init, chrono_t_max
        H, bound = hidden_dim, 1 / math.sqrt(hidden_dim)
        self.W_x = nn.Parameter(torch.empty(input_dim, 4 * H).uniform_(-bound, bound))  # [W_ox W_ix W_fx W_gx]
        self.W_h = nn.Parameter(torch.empty(H, 4 * H).uniform_(-bound, bound))  # [W_oh W_ih W_fh W_gh]
        self.b = nn.Parameter(torch.zeros(4 * H))  # [b_o b_i b_f b_g]
        with torch.no_grad():
            _, b_i, b_f, _ = self.b.view(4, H)
            if forget_bias_init == "one":
                b_f.fill_(1.0)
            elif forget_bias_init == "chrono":
                t_max = chrono_t_max or seq_length
                b_f.copy_(torch.empty(H).uniform_(1, max(t_max - 1, 1)).log())
                b_i.copy_(-b_f)

    @property
    def init_args(self) -> dict:
        return super().init_args | dict(forget_bias_init=self.forget_bias_init, chrono_t_max=self.chrono_t_max)

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
        return lstm_hidden_states(x.transpose(0, 1), torch.cat([self.W_x, self.W_h]), self.b)  # (T-1, B, H)


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
