import pytest
import torch

from lib.palindrome import PalindromeDataset, distinct_palindromes, encode, palindromes, share_seen_in_training
from lib.streams import Stream, generator_for


@pytest.mark.parametrize("T", [2, 3, 5, 10, 37, 300])
def test_sequences_are_palindromes_and_target_is_first_digit(T):
    data = PalindromeDataset(T, seed=3)
    inputs, targets = data.batch(64, step=0)
    assert inputs.shape == (64, T - 1) and targets.shape == (64,)
    full = torch.cat([inputs, targets[:, None]], dim=1)
    assert torch.equal(full, full.flip(1))
    assert torch.equal(targets, inputs[:, 0])
    assert inputs.min() >= 0 and inputs.max() <= 9


def test_long_palindromes_use_all_digits():
    # a version built on one big integer overflows past T=36 and leaves leading zeros
    digits = palindromes(300, 2000, generator_for(0, Stream.PALINDROME_BATCH, 0))
    counts = torch.bincount(digits.flatten(), minlength=10).float()
    assert (counts / counts.sum() - 0.1).abs().max() < 0.01
    assert (digits[:, 0] == 0).float().mean() < 0.15


def test_held_out_sets_are_fixed_per_length_and_differ_from_each_other_and_from_training():
    a, b = PalindromeDataset(12, seed=0), PalindromeDataset(12, seed=7)
    assert torch.equal(a.test_set(100)[0], b.test_set(100)[0])  # held-out sets independent of the training seed
    assert torch.equal(a.validation_set(100)[0], b.validation_set(100)[0])
    assert not torch.equal(a.validation_set(100)[0], a.test_set(100)[0])
    assert not torch.equal(a.test_set(100)[0], PalindromeDataset(14).test_set(100)[0][:, :11])
    assert not torch.equal(a.batch(100, 0)[0], a.test_set(100)[0])
    assert torch.equal(a.batch(32, 5)[0], a.batch(32, 5)[0])
    assert not torch.equal(a.batch(32, 5)[0], a.batch(32, 6)[0])


def test_dataset_items_follow_the_course_contract():
    data = PalindromeDataset(7, seed=1)
    x, y = data[3]
    assert x.shape == (6,) and y.item() == x[0].item()
    assert torch.equal(data[3][0], x)


def test_encodings():
    digits = torch.tensor([[3, 0, 9]])
    assert encode(digits, 1).tolist() == [[[3.0], [0.0], [9.0]]]
    onehot = encode(digits, 10)
    assert onehot.shape == (1, 3, 10) and onehot[0, 2, 9] == 1 and onehot.sum() == 3
    with pytest.raises(ValueError, match="input_dim"):
        encode(digits, 4)


@pytest.mark.parametrize("T", [1, 0, -3, 2.5, "5", True])
def test_bad_length_is_rejected(T):
    with pytest.raises(ValueError, match="seq_length"):
        PalindromeDataset(T)


def test_test_set_at_T500_is_palindromic():
    inputs, targets = PalindromeDataset(500).test_set(200)
    full = torch.cat([inputs, targets[:, None]], dim=1)
    assert full.shape == (200, 500) and torch.equal(full, full.flip(1))


def test_at_small_T_every_palindrome_is_seen_in_training():
    assert distinct_palindromes(5) == 1000 and distinct_palindromes(6) == 1000 and distinct_palindromes(20) == 10**10
    assert share_seen_in_training(5, 800 * 128) > 0.999
    assert share_seen_in_training(10, 800 * 128) == pytest.approx(1 - (1 - 1e-5) ** 102400)
    assert share_seen_in_training(20, 800 * 128) < 1e-4
