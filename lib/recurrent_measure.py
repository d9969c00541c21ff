"""Measuring a Part I model: accuracy on a held-out set, how the gradient of the loss (9) reaches each time
step, with the factor that carries the state from one step to the next, and how well the state still holds the
first digit at each step."""
from __future__ import annotations

import torch

from .palindrome import HELD_OUT_SEED, NUM_CLASSES, PalindromeDataset, encode
from .recurrent import LSTM, Recurrent, VanillaRNN, loss_fn
from .streams import Stream, generator_for

GRADIENT_EXAMPLES = 500  # held-out palindromes the gradient flow is averaged over
PROBE_EXAMPLES = 1000  # held-out palindromes a read-out is fitted on, and as many it is scored on
RIDGE = 1.0  # the read-out's ridge penalty on standardised units: keeps it well posed where units saturate or die


@torch.no_grad()
def accuracy(model: Recurrent, digits: torch.Tensor, targets: torch.Tensor) -> float:
    """The share of palindromes whose last digit ``model`` predicts (a fraction in [0, 1])."""
    return (model.predict_digits(digits).cpu() == targets).float().mean().item()


def final_measures(model: Recurrent, test_size: int) -> dict:
    """What a finished run reports: its accuracy on the length's test set, which no decision has seen."""
    was_training = model.training
    model.eval()
    digits, targets = PalindromeDataset(model.seq_length).test_set(test_size)
    measures = dict(test_accuracy=accuracy(model, digits, targets))
    model.train(was_training)
    return measures


def gradient_flow(model: Recurrent, examples: int = GRADIENT_EXAMPLES) -> dict:
    """How much the loss at the last step can still teach each step t = 1..T-1, on the reference path,
    where each h_t is a node of the autograd graph, over ``examples`` held-out palindromes:

    * ``norms``: ||dL/dh_t||, averaged over the examples (per-example gradients of the summed loss);
    * ``carry``: the mean of the element-wise factor that carries the state from t-1 to t (the RNN's tanh
      slope 1 - h_t^2, the LSTM's forget gate f_t, the GRU's update gate z_t: ``Recurrent.carry``);
    * ``weight_norm``: the RNN's spectral norm ||W_hh||_2, the other factor of its Jacobian (None otherwise);
    * ``kept``: per unit, the product of its carry factors from t = 2 to T-1, averaged over the examples: along
      the LSTM's cell path (5), the share of what the unit held at t = 1 that is still there at t = T-1. The
      mean factor raised to T-2 describes no unit when a few units keep almost everything and the rest forget;
    * ``cell_norms`` (LSTM only): ||dL/dc_t|| on the cell (``cell_gradients``), averaged like ``norms``;
    * ``readout``: ``first_digit_readout``, how well the state still names the first digit at each step;
    * ``readout_random``: the same on sequences whose digits after the first are random, the control that
      tells memory from the palindrome's mirror (its second half repeats the first).
    """
    x, hidden, grads = _state_gradients(model, examples)
    with torch.no_grad():
        factors = model.carry(x, hidden)  # (T-1, B, H)
        kept = factors[1:].prod(dim=0).mean(dim=0)  # (H,)
        weight = torch.linalg.matrix_norm(model.W_hh, ord=2).item() if hasattr(model, "W_hh") else None
        cells = cell_gradients(model, x, hidden, grads) if isinstance(model, LSTM) else None
    return dict(norms=_mean_norms(grads), carry=factors.mean(dim=(1, 2)).tolist(),
                weight_norm=weight, kept=kept.tolist(), readout=first_digit_readout(model),
                readout_random=first_digit_readout(model, mirrored=False),
                **({"cell_norms": _mean_norms(cells)} if cells else {}))


def _mean_norms(grads) -> list[float]:
    """Per step, the gradient's norm over the units (each (B, H)), averaged over the examples."""
    return [grad.norm(dim=1).mean().item() for grad in grads]


def cell_gradients(model: LSTM, x: torch.Tensor, hidden: list[torch.Tensor], grads: tuple) -> list[torch.Tensor]:
    """dL/dc_t for t = 1..T-1, each (B, H), from the gradients on h_t (``grads``, each the total derivative,
    every later path included). The cell c_t reaches the loss only through h_t (6) and c_(t+1) (5), so, going
    back from the last step,

        dL/dc_t = dL/dh_t * o_t * (1 - tanh(c_t)^2) + dL/dc_(t+1) * f_(t+1).

    The second term is the cell path, along which nothing but the forget gate scales the gradient."""
    o, _, f, _ = model.gates(x, hidden)
    cells = model.state(x, hidden)[:, :, model.hidden_dim:]  # (T-1, B, H)
    out, later = [], torch.zeros_like(cells[0])
    for t in reversed(range(len(grads))):
        later = grads[t] * o[t] * (1 - torch.tanh(cells[t]) ** 2) + (later * f[t + 1] if t + 1 < len(grads) else 0)
        out.append(later)
    return out[::-1]


def first_step_share(model: Recurrent, examples: int = GRADIENT_EXAMPLES) -> float:
    """||dL/dh_1|| / ||dL/dh_(T-1)||, each averaged over ``examples`` held-out palindromes: the share of the last
    step's gradient that reaches the step where the first digit was read (``gradient_flow``'s norms, alone)."""
    _, _, grads = _state_gradients(model, examples)
    return (grads[0].norm(dim=1).mean() / grads[-1].norm(dim=1).mean()).item()


def _state_gradients(model: Recurrent, examples: int) -> tuple[torch.Tensor, list[torch.Tensor], tuple]:
    """The encoded held-out palindromes (B, T-1, D), the states h_t on the reference path (T-1 of (B, H)) and the
    gradients of the summed last-step loss (9) with respect to each of them."""
    device = model.W_ph.device
    digits, targets = PalindromeDataset(model.seq_length).validation_set(examples)
    x = encode(digits.to(device), model.input_dim)
    with torch.enable_grad():
        hidden = model.hidden_states_reference(x)
        loss = loss_fn(model.output(hidden[-1]), targets.to(device), reduction="sum")
        return x, hidden, torch.autograd.grad(loss, hidden)


@torch.no_grad()
def first_digit_readout(model: Recurrent, examples: int = PROBE_EXAMPLES, mirrored: bool = True) -> list[float]:
    """At each step t = 1..T-1, how well the first digit can be read from what the network carries (h_t, and the
    LSTM's cell c_t: ``Recurrent.state``) by a linear read-out, a "linear probe": ridge regression of the one-hot
    first digit on the state, fitted on ``examples`` validation palindromes and scored, as the share named
    right, on as many test palindromes. Chance is 10%; a state that still holds the digit at the last step
    reads near 100% there. It measures what the state holds, whatever the output layer (7) does with it.
    With ``mirrored=False`` every digit after the first is drawn afresh (``Stream.READOUT_CONTROL``): sequences
    with no second half that repeats the first, on which the state can name the first digit only by keeping it."""
    device = model.W_ph.device
    data = PalindromeDataset(model.seq_length)

    def control(digits: torch.Tensor, which: int) -> torch.Tensor:
        noise = torch.randint(0, NUM_CLASSES, digits.shape,
                              generator=generator_for(HELD_OUT_SEED, Stream.READOUT_CONTROL, model.seq_length, which))
        return torch.cat([digits[:, :1], noise[:, 1:]], dim=1)

    def states(digits: torch.Tensor) -> torch.Tensor:  # (T-1, B, S)
        x = encode(digits.to(device), model.input_dim)
        return model.state(x, model.hidden_states_reference(x)).cpu().double()

    (fit_digits, _), (score_digits, _) = data.validation_set(examples), data.test_set(examples)
    if not mirrored:
        fit_digits, score_digits = control(fit_digits, 0), control(score_digits, 1)
    fit, score = states(fit_digits), states(score_digits)
    # each unit standardised on the fitting set, so that the penalty weighs what a unit holds, not its scale
    # (a chrono LSTM's cells start small), and a constant for the intercept
    mean, std = fit.mean(dim=1, keepdim=True), fit.std(dim=1, keepdim=True).clamp_min(1e-6)
    fit, score = ((s - mean) / std for s in (fit, score))
    fit, score = (torch.cat([s, torch.ones(*s.shape[:2], 1, dtype=s.dtype)], dim=2) for s in (fit, score))
    targets = torch.nn.functional.one_hot(fit_digits[:, 0], NUM_CLASSES).double()  # (B, 10)
    accuracy = []
    for A, B in zip(fit, score):  # (B, S + 1) per step
        W = torch.linalg.solve(A.T @ A + RIDGE * torch.eye(A.shape[1], dtype=A.dtype), A.T @ targets)  # (S + 1, 10)
        accuracy.append(((B @ W).argmax(dim=1) == score_digits[:, 0]).float().mean().item())
    return accuracy


# ---------------------------------------------------------------- agreement with PyTorch's own layers

TORCH_GATES = [3, 0, 1, 2]  # our gate k (o, i, f, g) is gate TORCH_GATES[k] of torch.nn.LSTM (i, f, g, o)


def torch_gates(w: torch.Tensor) -> torch.Tensor:
    """A stacked-gate tensor of torch.nn.LSTM, (4H, ...) in its order i | f | g | o, in ours, o | i | f | g."""
    H = w.shape[0] // 4
    return torch.cat([w.view(4, H, -1)[k] for k in TORCH_GATES]).squeeze(-1)


def lstm_from_torch(reference: torch.nn.LSTM, head: torch.nn.Linear, seq_length: int, fused: bool = True) -> LSTM:
    """Our LSTM with the weights of a one-layer ``torch.nn.LSTM`` and a linear head (our weights are the
    transposes of the equations' matrices, and torch's two biases add up to our one)."""
    model = LSTM(seq_length, reference.input_size, reference.hidden_size, head.out_features, fused=fused)
    with torch.no_grad():
        model.W_x.copy_(torch_gates(reference.weight_ih_l0).T)
        model.W_h.copy_(torch_gates(reference.weight_hh_l0).T)
        model.b.copy_(torch_gates(reference.bias_ih_l0 + reference.bias_hh_l0))
        model.W_ph.copy_(head.weight.T)
        model.b_p.copy_(head.bias)
    return model


def rnn_from_torch(reference: torch.nn.RNN, head: torch.nn.Linear, seq_length: int, fused: bool = True) -> VanillaRNN:
    """Our vanilla RNN with the weights of a one-layer tanh ``torch.nn.RNN`` and a linear head."""
    model = VanillaRNN(seq_length, reference.input_size, reference.hidden_size, head.out_features, fused=fused)
    with torch.no_grad():
        model.W_hx.copy_(reference.weight_ih_l0.T)
        model.W_hh.copy_(reference.weight_hh_l0.T)
        model.b_h.copy_(reference.bias_ih_l0 + reference.bias_hh_l0)
        model.W_ph.copy_(head.weight.T)
        model.b_p.copy_(head.bias)
    return model


def torch_agreement(seq_length: int = 20, batch: int = 64, hidden_dim: int = 128, seed: int = 0) -> list[dict]:
    """How far our LSTM and RNN lie from ``torch.nn.LSTM``/``RNN`` given the same weights (drawn by PyTorch from
    ``seed``), on ``batch`` one-hot validation palindromes of length ``seq_length``: the largest absolute
    difference of the logits, and of any gradient of the loss (9), on each of our two paths (the reference loop
    and the hand-written BPTT). One row per model and path: {model, path, seq_length, output, gradient}."""
    digits, targets = PalindromeDataset(seq_length).validation_set(batch)
    x = encode(digits, NUM_CLASSES)  # (B, T-1, 10)
    rows = []
    for kind, layer, build in (("lstm", torch.nn.LSTM, lstm_from_torch), ("rnn", torch.nn.RNN, rnn_from_torch)):
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            reference, head = layer(NUM_CLASSES, hidden_dim), torch.nn.Linear(hidden_dim, NUM_CLASSES)
        theirs = head(reference(x.transpose(0, 1))[0][-1])  # (B, 10)
        their_grads = torch.autograd.grad(loss_fn(theirs, targets), [*reference.parameters(), *head.parameters()])
        grads = dict(zip([name for name, _ in reference.named_parameters()] + ["head.weight", "head.bias"],
                         their_grads))
        for fused, path in ((False, "reference loop"), (True, "hand-written BPTT")):
            model = build(reference, head, seq_length, fused)
            ours = model(x)
            mine = dict(zip([name for name, _ in model.named_parameters()],
                            torch.autograd.grad(loss_fn(ours, targets), list(model.parameters()))))
            if kind == "lstm":
                pairs = [(mine["W_x"], torch_gates(grads["weight_ih_l0"]).T),
                         (mine["W_h"], torch_gates(grads["weight_hh_l0"]).T),
                         (mine["b"], torch_gates(grads["bias_ih_l0"]))]
            else:
                pairs = [(mine["W_hx"], grads["weight_ih_l0"].T), (mine["W_hh"], grads["weight_hh_l0"].T),
                         (mine["b_h"], grads["bias_ih_l0"])]
            pairs += [(mine["W_ph"], grads["head.weight"].T), (mine["b_p"], grads["head.bias"])]
            rows.append(dict(model=kind, path=path, seq_length=seq_length, output=(ours - theirs).abs().max().item(),
                             gradient=max((a - b).abs().max().item() for a, b in pairs)))
    return rows
