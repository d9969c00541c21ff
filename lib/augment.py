"""Differentiable augmentation for the discriminator (DiffAugment, Zhao et al. 2020).

On a few thousand training digits the discriminator memorises the real images within a few
thousand steps. Its verdict then rests on the particular images it has seen, not on
what makes a digit, and the generator is pushed towards those images or away from
everything. DiffAugment shows D only randomly transformed images, real and generated
alike, in both D's and G's update. The transforms are differentiable, so G's
gradient passes through them. D can no longer memorise exact pixels, and since
fakes are transformed exactly like reals, G is not taught to produce the
transformations themselves.

Images are (B, 1, 28, 28) in [-1, 1]. The area a transform uncovers is filled with
the background value -1: MNIST's border is black, so a shifted or cut-out digit still
looks like an MNIST image. (The paper's colour images are filled with 0.)
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from .checks import check_choice

BACKGROUND = -1.0
TRANSLATION_RATIO = 1 / 8  # at most 28/8, rounded: 4 pixels, in each direction
CUTOUT_RATIO = 1 / 2  # a 14x14 square


def translation(images: torch.Tensor, generator: torch.Generator, ratio: float = TRANSLATION_RATIO) -> torch.Tensor:
    """Each image shifted by its own whole-pixel offset in [-s, s]^2, s = round(ratio * size)."""
    B, C, H, W = images.shape
    s = round(H * ratio)
    dy, dx = (torch.randint(-s, s + 1, (2, B, 1, 1), generator=generator)).to(images.device)
    rows = (torch.arange(H, device=images.device).view(1, H, 1) + dy + s)  # (B, H, 1) rows of the padded image
    cols = (torch.arange(W, device=images.device).view(1, 1, W) + dx + s)  # (B, 1, W)
    padded = F.pad(images, (s, s, s, s), value=BACKGROUND)  # (B, C, H+2s, W+2s)
    batch = torch.arange(B, device=images.device).view(B, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)  # (B, C, H, W)


def cutout(images: torch.Tensor, generator: torch.Generator, ratio: float = CUTOUT_RATIO) -> torch.Tensor:
    """Each image with one square of side ratio * size, centred anywhere in it, set to the background."""
    B, C, H, W = images.shape
    size = round(H * ratio)
    cy, cx = (torch.randint(0, H + (1 - size % 2), (2, B, 1, 1), generator=generator)).to(images.device)
    top, left = cy - size // 2, cx - size // 2  # (B, 1, 1) each; the square may reach over the edge
    rows = torch.arange(H, device=images.device).view(1, H, 1)
    cols = torch.arange(W, device=images.device).view(1, 1, W)
    inside = (rows >= top) & (rows < top + size) & (cols >= left) & (cols < left + size)  # (B, H, W)
    return images.masked_fill(inside.unsqueeze(1), BACKGROUND)


POLICIES = {"translation": translation, "cutout": cutout}


def check_policy(name: str, policy) -> tuple[str, ...]:
    """``policy`` as a tuple of transform names, or ValueError naming ``name`` and the allowed transforms."""
    if isinstance(policy, str) or not isinstance(policy, (list, tuple)):
        raise ValueError(f"{name} must be a list of transform names from {', '.join(map(repr, POLICIES))} "
                         f"(an empty list for none); got {policy!r}")
    for transform in policy:
        check_choice(f"each transform in {name}", transform, POLICIES)
    return tuple(policy)


def diff_augment(images: torch.Tensor, policy: tuple[str, ...], generator: torch.Generator) -> torch.Tensor:
    """``images`` through every transform of ``policy`` in order; the identity for an empty policy."""
    for transform in policy:
        images = POLICIES[transform](images, generator)
    return images
