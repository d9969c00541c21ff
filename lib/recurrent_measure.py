"""Measuring a Part I model: accuracy on a held-out set, and how the gradient of the loss (9) reaches
each time step, with the factor that carries the state from one step to the next."""
from __future__ import annotations

import torch

from .palindrome import PalindromeDataset, encode
from .recurrent import Recurrent, loss_fn

GRADIENT_EXAMPLES = 500  # held-out palindromes the gradient flow is averaged over


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
    * ``weight_norm``: the RNN's spectral norm ||W_hh||_2, the other factor of its Jacobian (None otherwise).
    """
    device = model.W_ph.device
    digits, targets = PalindromeDataset(model.seq_length).validation_set(examples)
    x = encode(digits.to(device), model.input_dim)
    with torch.enable_grad():
        hidden = model.hidden_states_reference(x)
        loss = loss_fn(model.output(hidden[-1]), targets.to(device), reduction="sum")
        grads = torch.autograd.grad(loss, hidden)
    with torch.no_grad():
        carry = model.carry(x, hidden).mean(dim=(1, 2))
        weight = torch.linalg.matrix_norm(model.W_hh, ord=2).item() if hasattr(model, "W_hh") else None
    return dict(norms=[grad.norm(dim=1).mean().item() for grad in grads], carry=carry.tolist(), weight_norm=weight)
