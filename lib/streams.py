"""Every random stream of the project, by name, and the generator for one draw of it.

Randomness is *stateless*: the generator for step ``s`` of a run is seeded from ``(seed, stream, s)``.
A run that is killed and resumed from its checkpoint therefore draws exactly the batches and noise
the uninterrupted run would have drawn, and the checkpoint needs no random state beyond the step
counter. Each stream has one named key here, so no two streams ever share draws.
"""
from __future__ import annotations

import enum
import hashlib

import torch


class Stream(enum.Enum):
    """A stream's draws depend on the seed, its name and its further keys (a step, an epoch, a class),
    and on nothing else."""

    PALINDROME_BATCH = "palindrome batch"  # keys: step
    PALINDROME_ITEM = "palindrome item"  # keys: index
    PALINDROME_VALIDATION = "palindrome validation set"  # keys: T
    PALINDROME_TEST = "palindrome test set"  # keys: T
    READOUT_CONTROL = "read-out control digits"  # keys: T, held-out set (0 validation, 1 test)
    MNIST5K_SPLIT = "mnist5k split"  # keys: digit
    MNIST_VALIDATION = "full MNIST validation digits"
    CLASSIFIER_ORDER = "classifier epoch order"  # keys: epoch
    CLASSIFIER_SHIFT = "classifier shifts"  # keys: epoch
    REAL_BASELINE = "real baseline sample"
    GAN_ORDER = "GAN epoch order"  # keys: epoch
    GAN_NOISE = "GAN training noise"  # keys: step
    GAN_AUGMENT = "GAN augmentation"  # keys: step
    GAN_EVAL = "GAN evaluation noise"
    GAN_FIXED = "GAN fixed-noise grid"
    GAN_FINAL = "GAN final samples"
    BATCHNORM = "BatchNorm statistics noise"
    GRID = "25-sample grids"
    ABLATION_SAMPLES = "samples of each ablation configuration"
    ENDPOINTS = "interpolation endpoint candidates"
    NEIGHBOURS = "samples compared with their nearest training digits"


def generator_for(seed: int, stream: Stream, *keys: int) -> torch.Generator:
    """A fresh CPU generator whose draws depend only on ``seed``, ``stream`` and ``keys`` (e.g. the step)."""
    if not isinstance(stream, Stream):
        raise TypeError(f"stream must be a lib.streams.Stream; got {stream!r}")
    digest = hashlib.sha256(repr((seed, stream.value, *keys)).encode()).digest()
    generator = torch.Generator()
    generator.manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))
    return generator
