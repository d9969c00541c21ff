"""The course's ``dataset.py``: ``PalindromeDataset``, as the skeleton of Part I names it, over ``lib.palindrome``.

    dataset = PalindromeDataset(input_length=10, total_len=100000)
    x, y = dataset[0]   # the first 10 digits of a palindrome of 11, and its last digit (which is its first)
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: this checkout's lib
from lib import palindrome  # noqa: E402


class PalindromeDataset(palindrome.PalindromeDataset):
    """``total_len`` palindromes of ``input_length + 1`` digits; item ``idx`` is ``(digits[:-1], digits[-1])``,
    always the same for the same ``seed`` (``lib.palindrome.PalindromeDataset``, whose length is T itself)."""

    def __init__(self, input_length: int, total_len: int, seed: int = 0):
        super().__init__(input_length + 1, seed)
        self.total_len = total_len

    def __len__(self) -> int:
        return self.total_len
