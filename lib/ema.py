"""An exponential moving average (EMA) of the generator's weights.

In a GAN the generator never settles: every discriminator update moves its target,
so its weights keep circling the equilibrium. One snapshot of them shows the
circling: stray bright pixels here, a broken stroke there. The average of the
recent weights sits nearer the centre of that orbit (Yazıcı et al. 2019, "The
Unusual Effectiveness of Averaging in GAN Training"; Karras et al. 2018 sample
from such an average). The raw generator keeps training; the average only follows
it and is what we sample from.

    ema <- decay_t * ema + (1 - decay_t) * raw,   decay_t = min(decay, (1 + t) / (10 + t))

The warm-up ``decay_t`` lets the average forget the random initial weights quickly.
Buffers (BatchNorm's running statistics) are copied from the raw generator at every
update, so ``decay = 0`` makes the average an exact copy of it, statistics included.

With a real average, the raw weights' statistics do not fit the averaged weights:
``refresh_batchnorm`` measures them again on the averaged network before it is sampled.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from .checks import check_unit_interval
from .streams import Stream, generator_for


def warmup_decay(decay: float, step: int) -> float:
    """The decay used at update number ``step`` (0-based): small at first, ``decay`` from then on."""
    return min(decay, (1 + step) / (10 + step))


class EMA:
    """The moving average of ``net``'s parameters, kept in a copy of ``net`` (``self.average``)."""

    def __init__(self, net: nn.Module, decay: float):
        self.decay = check_unit_interval("ema_decay", decay, "0: no averaging")
        self.average = copy.deepcopy(net).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, net: nn.Module, step: int) -> None:
        """One update after optimiser step number ``step`` (0-based) of ``net``."""
        weight = 1 - warmup_decay(self.decay, step)
        torch._foreach_lerp_(list(self.average.parameters()), list(net.parameters()), weight)
        for mine, theirs in zip(self.average.buffers(), net.buffers()):
            mine.copy_(theirs)

    def state_dict(self) -> dict:
        return self.average.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.average.load_state_dict(state)


@torch.no_grad()
def refresh_batchnorm(G: nn.Module, seed: int, batches: int = 8, batch_size: int = 512) -> nn.Module:
    """Re-measure the running mean and variance of every BatchNorm layer of ``G`` on its own
    outputs for ``batches`` batches of standard-normal noise (drawn under ``seed``), as an
    equal-weight average; leaves ``G`` in eval mode. A network without BatchNorm is unchanged."""
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return G.eval()
    device = next(G.parameters()).device
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    G.train()
    generator = generator_for(seed, Stream.BATCHNORM)
    for _ in range(batches):
        G(torch.randn(batch_size, G.latent_dim, generator=generator).to(device))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
    return G.eval()
