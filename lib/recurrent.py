"""Part I models, from their equations: a vanilla RNN, the LSTM of equations (1)-(8), and a GRU; and
``MODELS``, the one table of everything that depends on which model a run trains.

Conventions. Inputs are batches of row vectors, so the assignment's ``W x`` is written ``x @ W`` here and
every weight is stored as the transpose of the matrix in the equations. The LSTM keeps its four gates
stacked along one axis,

    W_x (D, 4H),  W_h (H, 4H),  b (4H)   in the order  o | i | f | g,

so that one matrix product computes all pre-activations (the three sigmoid gates first, so that one
``sigmoid_`` covers them).

Each model's ``hidden_states_reference`` follows its equations line by line in a ``for`` loop over time
and is differentiated by autograd: the code to read. The RNN and the LSTM also have ``hidden_states``,
the same loop in ``lib.bptt`` with backpropagation through time written by hand, which training uses
(``fused=True``). The tests prove that both paths agree, in outputs and gradients, with each other and
with ``torch.nn.RNN``/``LSTM``/``GRU``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .bptt import lstm_hidden_states, rnn_hidden_states
from .checks import check_choice, check_int
from .palindrome import NUM_CLASSES, encode

FORGET_BIAS_INITS = ("zero", "one", "chrono")


class Recurrent(nn.Module):
    """What every model shares: h(0) = 0, the output layer (7), the loss (9) on the last step, prediction.
    A subclass defines ``hidden_states_reference`` (and, when it has a fast path, ``hidden_states``)."""

    kind = ""

    def __init__(self, seq_length: int, input_dim: int, hidden_dim: int, output_dim: int = NUM_CLASSES,
                 fused: bool = True):
        super().__init__()
        check_int("seq_length", seq_length, minimum=2)
        check_int("input_dim", input_dim)  # predict_digits needs 1 (scalar) or 10 (one-hot); forward takes any
        check_int("hidden_dim", hidden_dim)
        check_int("output_dim", output_dim)
        self.seq_length, self.input_dim, self.hidden_dim, self.output_dim = seq_length, input_dim, hidden_dim, output_dim
        self.fused = fused
        self.bound = 1 / math.sqrt(hidden_dim)  # the scale torch.nn.RNN/LSTM/GRU draw their weights from
        self.W_ph = nn.Parameter(torch.empty(hidden_dim, output_dim).uniform_(-self.bound, self.bound))
        self.b_p = nn.Parameter(torch.zeros(output_dim))

    def uniform(self, *shape: int) -> nn.Parameter:
        return nn.Parameter(torch.empty(*shape).uniform_(-self.bound, self.bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T-1, input_dim) -> logits p^(T) (B, output_dim)."""
        fast = self.fused and hasattr(self, "hidden_states")
        hidden = self.hidden_states(x) if fast else self.hidden_states_reference(x)
        return self.output(hidden[-1])

    def state(self, x: torch.Tensor, hidden: list[torch.Tensor]) -> torch.Tensor:
        """Everything the network carries from step to step, (T-1, B, S): here h_t; the LSTM adds its cell."""
        return torch.stack(hidden)

    def output(self, h: torch.Tensor) -> torch.Tensor:
        return h @ self.W_ph + self.b_p  # (7) p = W_ph h + b_p; the softmax (8) lives inside the loss (9)

    @torch.no_grad()
    def predict_digits(self, digits: torch.Tensor) -> torch.Tensor:
        """Digits (B, T-1), long -> predicted last digits (B,), encoding the input as in training."""
        x = encode(digits.to(self.W_ph.device), self.input_dim)
        return self(x).argmax(dim=1)

    @property
    def init_args(self) -> dict:
        return dict(seq_length=self.seq_length, input_dim=self.input_dim, hidden_dim=self.hidden_dim,
                    output_dim=self.output_dim, fused=self.fused)


def loss_fn(logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """(9) L = -sum_k y_k log softmax(p^(T))_k, on the last time step only."""
    return F.cross_entropy(logits, targets, reduction=reduction)


class VanillaRNN(Recurrent):
    """h_t = tanh(W_hx x_t + W_hh h_{t-1} + b_h),  p_t = W_ph h_t + b_p."""

    kind = "rnn"

    def __init__(self, seq_length: int, input_dim: int, hidden_dim: int, output_dim: int = NUM_CLASSES,
                 fused: bool = True):
        super().__init__(seq_length, input_dim, hidden_dim, output_dim, fused)
        self.W_hx = self.uniform(input_dim, hidden_dim)
        self.W_hh = self.uniform(hidden_dim, hidden_dim)
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

    def carry(self, x: torch.Tensor, hidden: list[torch.Tensor]) -> torch.Tensor:
        """The element-wise factor of dh_t/dh_(t-1) = diag(1 - h_t^2) W_hh: the tanh's slope, (T-1, B, H)."""
        return 1 - torch.stack(hidden) ** 2


class LSTM(Recurrent):
    """The LSTM of equations (1)-(8) with h_0 = c_0 = 0.

    ``forget_bias_init``: ``"zero"`` (the plain equations: every bias starts at 0), ``"one"`` (b_f = 1,
    Gers et al. 2000), or ``"chrono"`` (Tallec & Ollivier 2018: b_f ~ log U(1, T_max - 1) and b_i = -b_f,
    so that the cells' time constants spread over the range of dependencies the task has). ``chrono_t_max``
    is that T_max; None takes the sequence's length T.
    """

    kind = "lstm"

    def __init__(self, seq_length: int, input_dim: int, hidden_dim: int, output_dim: int = NUM_CLASSES,
                 forget_bias_init: str = "zero", chrono_t_max: int | None = None, fused: bool = True):
        super().__init__(seq_length, input_dim, hidden_dim, output_dim, fused)
        check_choice("forget_bias_init", forget_bias_init, FORGET_BIAS_INITS)
        if chrono_t_max is not None:
            check_int("chrono_t_max", chrono_t_max, minimum=2)
        self.forget_bias_init, self.chrono_t_max = forget_bias_init, chrono_t_max
        H = hidden_dim
        self.W_x = self.uniform(input_dim, 4 * H)  # [W_ox W_ix W_fx W_gx]
        self.W_h = self.uniform(H, 4 * H)  # [W_oh W_ih W_fh W_gh]
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

    def gates(self, x: torch.Tensor, hidden: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """(o, i, f, g), each (T-1, B, H): the gates (4), (2), (3) and the input modulation (1) at every step,
        from the inputs and h_(t-1) of the reference path."""
        h_prev = torch.stack([torch.zeros_like(hidden[0]), *hidden[:-1]])  # h(0) = 0
        o, i, f, g = (x.transpose(0, 1) @ W_x + h_prev @ W_h + b for W_x, W_h, b in
                      zip(self.W_x.chunk(4, dim=1), self.W_h.chunk(4, dim=1), self.b.chunk(4)))
        return torch.sigmoid(o), torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g)

    def state(self, x: torch.Tensor, hidden: list[torch.Tensor]) -> torch.Tensor:
        """h_t and the cell c_t side by side, (T-1, B, 2H): the cell is rebuilt from the gates."""
        _, i, f, g = self.gates(x, hidden)
        cells, c = [], torch.zeros_like(hidden[0])  # c(0) = 0
        for t in range(len(hidden)):
            c = g[t] * i[t] + c * f[t]  # (5)
            cells.append(c)
        return torch.cat([torch.stack(hidden), torch.stack(cells)], dim=2)

    def carry(self, x: torch.Tensor, hidden: list[torch.Tensor]) -> torch.Tensor:
        """The forget gates f_t (3), which are dc_t/dc_(t-1) along the cell path (5): (T-1, B, H)."""
        return self.gates(x, hidden)[2]


class GRU(Recurrent):
    """The gated recurrent unit (Cho et al. 2014), in the form torch.nn.GRU computes, with h_0 = 0:

        r = sigmoid(W_rx x + W_rh h + b_rx + b_rh)           reset gate
        z = sigmoid(W_zx x + W_zh h + b_zx + b_zh)           update gate
        n = tanh(W_nx x + b_nx + r * (W_nh h + b_nh))        candidate state
        h' = (1 - z) * n + z * h

    One gate, z, both keeps the old state and admits the new one, where the LSTM has f and i apart.
    Weights are stacked in the order r | z | n, as torch.nn.GRU stacks them."""

    kind = "gru"

    def __init__(self, seq_length: int, input_dim: int, hidden_dim: int, output_dim: int = NUM_CLASSES,
                 fused: bool = True):
        super().__init__(seq_length, input_dim, hidden_dim, output_dim, fused)
        H = hidden_dim
        self.W_x, self.W_h = self.uniform(input_dim, 3 * H), self.uniform(H, 3 * H)  # [W_r W_z W_n]
        self.b_x, self.b_h = self.uniform(3 * H), self.uniform(3 * H)  # torch.nn.GRU draws its biases too

    def hidden_states_reference(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = x.new_zeros(x.shape[0], self.hidden_dim)
        hidden = []
        for t in range(x.shape[1]):
            x_r, x_z, x_n = (x[:, t] @ self.W_x + self.b_x).chunk(3, dim=1)  # (B, H) each
            h_r, h_z, h_n = (h @ self.W_h + self.b_h).chunk(3, dim=1)
            r = torch.sigmoid(x_r + h_r)  # reset gate
            z = torch.sigmoid(x_z + h_z)  # update gate
            n = torch.tanh(x_n + r * h_n)  # candidate state
            h = (1 - z) * n + z * h
            hidden.append(h)
        return hidden

    def carry(self, x: torch.Tensor, hidden: list[torch.Tensor]) -> torch.Tensor:
        """The update gates z_t, which carry h_(t-1) into h_t unchanged: (T-1, B, H)."""
        h_prev = torch.stack([torch.zeros_like(hidden[0]), *hidden[:-1]])
        x_z = (x.transpose(0, 1) @ self.W_x + self.b_x).chunk(3, dim=-1)[1]
        h_z = (h_prev @ self.W_h + self.b_h).chunk(3, dim=-1)[1]
        return torch.sigmoid(x_z + h_z)


# ---------------------------------------------------------------- the models a run can train

UNIFORM = "weights uniform in $\\pm 1/\\sqrt{H}$"  # how PyTorch draws them, in the report's words; H: hidden units


@dataclass(frozen=True)
class ModelSpec:
    """Everything that depends on which model a run trains, in one entry of ``MODELS``: the class, the
    constructor options that make its initialisation, RMSProp's learning rate when no study chose one, and
    how tables, figures and sentences name and colour it."""

    build: type
    label: str
    colour: str
    learning_rate: float
    options: dict = field(default_factory=dict)
    init: str = UNIFORM + ", zero biases"  # in words

    def model(self, **args) -> Recurrent:
        return self.build(**args, **self.options)


MODELS = {
    "rnn": ModelSpec(VanillaRNN, "vanilla RNN", "tab:red", 1e-3),
    "lstm": ModelSpec(LSTM, "zero-bias LSTM", "tab:blue", 3e-3, dict(forget_bias_init="zero"),
                      UNIFORM + ", every bias zero"),
    "lstm-chrono": ModelSpec(LSTM, "chrono LSTM", "tab:green", 3e-3, dict(forget_bias_init="chrono"),
                             "forget-gate bias $\\log \\mathcal U(1, T-1)$, input-gate bias its negative; weights as "
                             "above"),
    "gru": ModelSpec(GRU, "GRU", "tab:purple", 3e-3, init="weights and biases uniform in $\\pm 1/\\sqrt{H}$ (PyTorch's)"),
}


def spec(model: str) -> ModelSpec:
    check_choice("model", model, MODELS)
    return MODELS[model]


def build_model(model: str, **args) -> Recurrent:
    """The model ``model`` (a key of MODELS) with its registered initialisation."""
    return spec(model).model(**args)
