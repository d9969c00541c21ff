"""Part II models: generator and discriminator, and the two sides of the minimax game (10).

Both networks work on images (B, 1, 28, 28) in [-1, 1]. The discriminator
returns a *logit* s, with D(x) = sigmoid(s): the losses are computed from logits
by ``binary_cross_entropy_with_logits``, which never takes the log of a
probability that has rounded to 0 or 1.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .runs import check_choice, check_int

# A small DCGAN-style pair was tried as a second variant and dropped: on 2 CPU cores it gave a lower
# classifier IS per minute than the template (see the closing note of the GAN issue).
VARIANTS = ("mlp",)
IMAGE_SHAPE = (1, 28, 28)


class MLPGenerator(nn.Module):
    """The course template: z (B, latent) -> 128 -> 256 -> 512 -> 1024 -> 784, tanh."""

    def __init__(self, latent_dim: int = 100):
        super().__init__()
        self.latent_dim = latent_dim

        def block(n_in, n_out, batch_norm=True):
            return [nn.Linear(n_in, n_out)] + ([nn.BatchNorm1d(n_out)] if batch_norm else []) + [nn.LeakyReLU(0.2)]

        self.net = nn.Sequential(*block(latent_dim, 128, batch_norm=False), *block(128, 256), *block(256, 512),
                                 *block(512, 1024), nn.Linear(1024, 784), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, *IMAGE_SHAPE)  # (B, 1, 28, 28)


class MLPDiscriminator(nn.Module):
    """The course template: 784 -> 512 -> 256 -> 1 logit, LeakyReLU(0.2)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.LeakyReLU(0.2),
                                 nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)  # (B,) logits


def build_gan(variant: str = "mlp", latent_dim: int = 100) -> tuple[nn.Module, nn.Module]:
    check_choice("variant", variant, VARIANTS)
    check_int("latent_dim", latent_dim)
    return MLPGenerator(latent_dim), MLPDiscriminator()


def sample_noise(n: int, latent_dim: int, generator: torch.Generator | None = None, device="cpu") -> torch.Tensor:
    """z ~ N(0, I), the noise distribution q of (10)."""
    return torch.randn(n, latent_dim, generator=generator).to(device)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-(log D(x) + log(1 - D(G(z)))): D ascends (10) by descending this."""
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(G(z)), the non-saturating form of G's side of (10).

    (10) asks G to minimise log(1 - D(G(z))), whose gradient vanishes exactly when
    D confidently rejects the fakes, which is the situation early in training.
    -log D(G(z)) has the same fixed point and a strong gradient there."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def parameter_table(module: nn.Module) -> list[tuple[str, str, int]]:
    """(name, layer, parameters) for every leaf layer: the architecture as the notebook shows it."""
    return [(name, repr(layer), sum(p.numel() for p in layer.parameters()))
            for name, layer in module.named_modules() if not list(layer.children())]


def architecture(variant: str = "mlp", latent_dim: int = 100) -> list[dict]:
    """Both networks in one line each, with their parameter counts (for metrics.json and the report)."""
    rows = []
    for name, net in zip(("generator", "discriminator"), build_gan(variant, latent_dim)):
        layers = [layer for _, layer, _ in parameter_table(net)]
        rows.append(dict(network=name, layers=" -> ".join(layers), parameters=sum(n for *_, n in parameter_table(net))))
    return rows
