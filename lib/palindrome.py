"""Part I data: palindromes of decimal digits.

The course contract: a palindrome of length T; the input is its first T-1 digits and the target is the
T-th digit. Because the sequence is a palindrome, the target equals the *first* digit, so the task is
pure memory: carry one digit across T-2 distracting steps.

Digits are drawn directly (never as one big integer, which overflows int64 for T > 36), on the fly from
a seeded generator. Two fixed held-out sets are drawn from streams of their own: the *validation* set,
on which every decision is made (when to stop, which learning rate), and the *test* set, which no
decision sees and which gives the reported accuracy.
"""
from __future__ import annotations

import math

import torch
from torch.utils.data import Dataset

from .checks import check_choice, check_int
from .streams import Stream, generator_for

NUM_CLASSES = 10
INPUT_DIMS = {"scalar": 1, "onehot": NUM_CLASSES}  # encoding -> input_dim
HELD_OUT_SEED = 12345  # the held-out sets depend on T only, so every run at a length is scored alike


def palindromes(seq_length: int, batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """A LongTensor (batch_size, seq_length) of random digit palindromes."""
    half = (seq_length + 1) // 2
    left = torch.randint(0, NUM_CLASSES, (batch_size, half), generator=generator)
    right = left[:, : seq_length // 2].flip(1)  # the middle digit of an odd T is not repeated
    return torch.cat([left, right], dim=1)


def distinct_palindromes(seq_length: int) -> int:
    """How many palindromes of length T there are: the first ceil(T/2) digits fix one."""
    return NUM_CLASSES ** ((seq_length + 1) // 2)


def share_seen_in_training(seq_length: int, draws: int) -> float:
    """The expected share of held-out palindromes that also appear among ``draws`` uniform training draws:
    1 - (1 - 1/N)^draws for N distinct palindromes. Near 1 at small T, where no held-out set can be unseen."""
    return -math.expm1(draws * math.log1p(-1 / distinct_palindromes(seq_length)))


def encode(digits: torch.Tensor, input_dim: int) -> torch.Tensor:
    """Digits (B, L) -> network input (B, L, input_dim): the digit value itself (input_dim 1, the course
    default) or a one-hot vector (input_dim 10)."""
    check_choice("input_dim", input_dim, INPUT_DIMS.values())
    if input_dim == 1:
        return digits.float().unsqueeze(-1)
    return torch.nn.functional.one_hot(digits, NUM_CLASSES).float()


class PalindromeDataset(Dataset):
    """Endless palindromes of length ``seq_length``; item ``idx`` is always the same.

    ``dataset[idx]`` returns ``(digits[:-1], digits[-1])`` as the course's dataset does; training uses
    :meth:`batch`, which draws a whole batch at once.
    """

    def __init__(self, seq_length: int, seed: int = 0):
        check_int("seq_length", seq_length, minimum=2)
        self.seq_length = seq_length
        self.seed = seed

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        digits = palindromes(self.seq_length, 1, generator_for(self.seed, Stream.PALINDROME_ITEM, idx))[0]
        return digits[:-1], digits[-1]

    def batch(self, batch_size: int, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The training batch of ``step``: inputs (B, T-1) and targets (B,), both long."""
        digits = palindromes(self.seq_length, batch_size, generator_for(self.seed, Stream.PALINDROME_BATCH, step))
        return digits[:, :-1], digits[:, -1]

    def held_out(self, stream: Stream, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """A fixed held-out set (``Stream.PALINDROME_VALIDATION`` or ``PALINDROME_TEST``): the same for
        every run of this length, whatever its seed."""
        check_choice("stream", stream, (Stream.PALINDROME_VALIDATION, Stream.PALINDROME_TEST))
        digits = palindromes(self.seq_length, size, generator_for(HELD_OUT_SEED, stream, self.seq_length))
        return digits[:, :-1], digits[:, -1]

    def validation_set(self, size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
        return self.held_out(Stream.PALINDROME_VALIDATION, size)

    def test_set(self, size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
        return self.held_out(Stream.PALINDROME_TEST, size)
