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

from .checks import check_choice, check_int
from .devices import resolve_device
from .files import load_torch, project_path

IMAGE_SHAPE = (1, 28, 28)


class MLPGenerator(nn.Module):
    """The course template: z (B, latent) -> 128 -> 256 -> 512 -> 1024 -> 784, tanh."""

    def __init__(self, latent_dim: int):
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


class ConvGenerator(nn.Module):
    """A DCGAN-style reference (Radford et al. 2016) sized for 28x28: z -> (128, 7, 7) -> (64, 14, 14)
    -> (1, 28, 28), transposed convolutions with BatchNorm and ReLU, tanh. Not the course's template:
    it shows what the template's MLP leaves on the table."""

    def __init__(self, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, 128 * 7 * 7), nn.Unflatten(1, (128, 7, 7)), nn.BatchNorm2d(128), nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),  # (B, 64, 14, 14)
            nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh())  # (B, 1, 28, 28)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class ConvDiscriminator(nn.Module):
    """The DCGAN-style pair's discriminator: (1, 28, 28) -> (64, 14, 14) -> (128, 7, 7) -> 1 logit."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(64, 128, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
                                 nn.Flatten(), nn.Linear(128 * 7 * 7, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)  # (B,) logits


VARIANTS = {"mlp": (MLPGenerator, MLPDiscriminator), "conv": (ConvGenerator, ConvDiscriminator)}


def build_gan(variant: str, latent_dim: int) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) of ``variant``: "mlp" (the course template) or "conv" (DCGAN-style)."""
    check_choice("variant", variant, VARIANTS)
    check_int("latent_dim", latent_dim)
    G, D = VARIANTS[variant]
    return G(latent_dim), D()


def generator_from_state(state: dict, device: str = "auto", ema: bool = True) -> nn.Module:
    """The generator of a checkpoint's contents (``lib.gan_train``), in eval mode: its moving average
    (what samples are drawn from) by default, the raw trained weights with ``ema=False``."""
    G, _ = build_gan(state["config"]["variant"], state["config"]["latent_dim"])
    G.load_state_dict(state["generator_ema" if ema else "generator"])
    return G.to(resolve_device(device)).eval()


def load_generator(path, device: str = "auto", ema: bool = True) -> nn.Module:
    """``generator_from_state`` of the checkpoint file at ``path``."""
    return generator_from_state(load_torch(project_path(path), device), device, ema)


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


def layer_table(net: nn.Module, input_shape: tuple[int, ...]) -> list[dict]:
    """Every leaf layer of ``net`` in the order it runs: its name, its output shape for one example of
    ``input_shape`` (without the batch axis) and its parameter count; measured by running two examples."""
    rows, hooks = [], []
    for name, layer in net.named_modules():
        if not list(layer.children()):
            hooks.append(layer.register_forward_hook(lambda layer, _, out, name=name: rows.append(dict(
                layer=type(layer).__name__ + _arguments(layer), output=list(out.shape[1:]),
                parameters=sum(p.numel() for p in layer.parameters())))))
    was_training = net.training
    with torch.no_grad():
        net.eval()(torch.zeros(2, *input_shape, device=next(net.parameters()).device))
    net.train(was_training)
    for hook in hooks:
        hook.remove()
    return rows


def _arguments(layer: nn.Module) -> str:
    """The arguments that tell layers of one kind apart, as a reader writes them: Linear(784, 512)."""
    if isinstance(layer, nn.Linear):
        return f"({layer.in_features}, {layer.out_features})"
    if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
        return f"({layer.in_channels}, {layer.out_channels}, {layer.kernel_size[0]}, stride {layer.stride[0]})"
    if isinstance(layer, nn.LeakyReLU):
        return f"({layer.negative_slope:g})"
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return f"({layer.num_features})"
    return ""


def architecture(variant: str, latent_dim: int) -> dict[str, list[dict]]:
    """Both networks' layer tables (``layer_table``): what metrics.json and the report show."""
    G, D = build_gan(variant, latent_dim)
    return dict(generator=layer_table(G, (latent_dim,)), discriminator=layer_table(D, IMAGE_SHAPE))
