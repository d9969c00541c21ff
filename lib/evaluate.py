"""The evaluator: a classifier trained on the same MNIST source, and the scores computed from it.

* classifier Inception score (Salimans et al. 2016): exp(E_x KL(p(y|x) || p(y))), between 1 (one class,
  or no confident class) and 10 (confident, all ten classes equally often);
* Fréchet distance (Heusel et al. 2017) between Gaussians fitted to the classifier's penultimate
  features of two sets of images;
* the histogram of predicted classes;
* salt noise: isolated bright pixels per image, a defect the classifier barely sees.

The classifier is the domain-appropriate stand-in for the Inception network of the usual IS/FID: it is
trained here, on the same data, so nothing is downloaded. The scores come from torchmetrics
(``InceptionScore`` and ``FrechetInceptionDistance``, both with this classifier as the feature extractor).
``lib.gan_measure`` applies them to samples and to real digits alike.
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .augment import translation
from .devices import resolve_device
from .files import load_torch, save_torch
from .mnist import MNIST
from .streams import Stream, generator_for

NUM_CLASSES = 10


class Classifier(nn.Module):
    """LeNet-style: two conv-pool stages, a 128-unit feature layer, ten logits."""

    num_features = 128  # read by torchmetrics' Fréchet distance

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # (B, 16, 14, 14)
            nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # (B, 32, 7, 7)
            nn.Flatten(), nn.Linear(32 * 7 * 7, self.num_features), nn.ReLU())  # (B, 128)
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(self.num_features, NUM_CLASSES))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))  # (B, 10) logits


# How the evaluator is trained. Measured on mnist5k, 3 seeds, 2 cores: 98.4-98.5% test accuracy in 9 s,
# where the previous recipe (32/64 channels, batch 64, one shift per batch) took 20 s for 98.2-98.4%.
CLASSIFIER_RECIPE = dict(batch_size=128, max_lr=4e-3, max_shift=2, architecture="lenet-16-32-128")
# The recorded architecture names in words, for the report: the layers of ``Classifier``.
ARCHITECTURE_WORDS = {"lenet-16-32-128": "two 5 × 5 convolutions (16 and 32 channels, each followed by ReLU and 2 × 2 "
                                         "max-pooling), a 128-unit ReLU layer whose outputs are the features of the "
                                         "Fréchet distance, dropout 0.3 and a linear layer to 10 logits"}


class _Precomputed(nn.Module):
    """torchmetrics calls its "feature extractor" on what it is given; the classifier has
    already run once per image, so the extractor only passes its outputs through."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, features):
        return features


@torch.no_grad()
def predict(classifier: Classifier, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Class probabilities (N, 10) for images in [-1, 1]."""
    device = next(classifier.parameters()).device
    classifier.eval()
    return torch.cat([F.softmax(classifier(images[i:i + batch_size].to(device)), dim=1).cpu()
                      for i in range(0, len(images), batch_size)])


def classifier_accuracy(classifier: Classifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of ``images`` whose label the classifier predicts (a fraction in [0, 1])."""
    return (predict(classifier, images).argmax(1) == labels).float().mean().item()


def train_classifier(data: MNIST, path: str | Path, epochs: int | None = None, seed: int = 0,
                     device: str = "auto", progress: bool = True) -> tuple[Classifier, dict]:
    """Train the evaluator on ``data``'s train split, or load it from ``path`` when that holds one
    trained on the same digits (the same source and split) with the same recipe.

    Each image is shifted by up to 2 pixels in each direction (its own shift) at every epoch: the
    cheap augmentation that makes 3,500 digits enough for 98% test accuracy.
    Returns the classifier in eval mode and ``{"test_accuracy", "source", "epochs", ...}``."""
    device = resolve_device(device)
    path = Path(path)
    epochs = epochs or (4 if len(data.train_images) > 10_000 else 20)  # about the same number of steps
    recipe = CLASSIFIER_RECIPE | dict(source=data.source, data=data.describe(), epochs=epochs, seed=seed)
    if path.exists():
        saved = load_torch(path, device)
        if all(saved["info"].get(key) == value for key, value in recipe.items()):
            classifier = Classifier().to(device)
            classifier.load_state_dict(saved["state"])
            return classifier.eval(), saved["info"]

    torch.manual_seed(seed)
    classifier = Classifier().to(device)
    batch_size, shift = recipe["batch_size"], recipe["max_shift"] / 28
    steps_per_epoch = len(data.train_images) // batch_size
    optimizer = torch.optim.Adam(classifier.parameters())
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe["max_lr"],
                                                    total_steps=epochs * steps_per_epoch)
    started = time.perf_counter()
    for epoch in tqdm(range(epochs), desc="classifier", disable=not progress, leave=False):
        classifier.train()
        order = torch.randperm(len(data.train_images), generator=generator_for(seed, Stream.CLASSIFIER_ORDER, epoch))
        shifts = generator_for(seed, Stream.CLASSIFIER_SHIFT, epoch)
        for batch in order[:steps_per_epoch * batch_size].view(-1, batch_size):
            images = translation(data.train_images[batch], shifts, ratio=shift).to(device)
            loss = F.cross_entropy(classifier(images), data.train_labels[batch].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
    classifier.eval()
    info = recipe | dict(train_seconds=round(time.perf_counter() - started, 1),
                         test_accuracy=classifier_accuracy(classifier, data.test_images, data.test_labels))
    save_torch(dict(state=classifier.state_dict(), info=info), path)
    return classifier, info


@torch.no_grad()
def classifier_outputs(classifier: Classifier, images: torch.Tensor, batch_size: int = 1000):
    """One pass of the classifier: penultimate features (N, 128) and logits (N, 10), on the CPU."""
    device = next(classifier.parameters()).device
    classifier.eval()
    features, logits = [], []
    for i in range(0, len(images), batch_size):
        f = classifier.features(images[i:i + batch_size].to(device))
        features.append(f.cpu())
        logits.append(classifier.head(f).cpu())
    return torch.cat(features), torch.cat(logits)


def inception_score_of_logits(logits: torch.Tensor) -> float:
    """exp(E KL(p(y|x) || p(y))) over all of ``logits`` (one split), by torchmetrics."""
    from torchmetrics.image.inception import InceptionScore  # here: importing torchmetrics takes seconds

    # torchmetrics shuffles the logits with the global generator, which changes the order of the sums:
    # a fixed private seed makes the score reproducible and leaves the caller's random stream alone.
    with warnings.catch_warnings(), torch.random.fork_rng():
        # torchmetrics warns that it keeps the logits and, with one split, that their std is undefined
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        metric = InceptionScore(feature=_Precomputed(NUM_CLASSES), splits=1)
        metric.update(logits.double())
        return metric.compute()[0].item()


def frechet_distance_of_features(features: torch.Tensor, real_features: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets, by torchmetrics."""
    from torchmetrics.image.fid import FrechetInceptionDistance  # here: importing torchmetrics takes seconds

    metric = FrechetInceptionDistance(feature=_Precomputed(features.shape[1]))
    metric.update(real_features.double(), real=True)
    metric.update(features.double(), real=False)
    return metric.compute().item()


def histogram_of_logits(logits: torch.Tensor) -> list[float]:
    """Fraction of images predicted as each class."""
    return (torch.bincount(logits.argmax(1), minlength=NUM_CLASSES).float() / len(logits)).tolist()


SALT_BRIGHT, SALT_DARK = 0.5, 0.25  # an isolated pixel: above the first, its 8 neighbours all below the second


def salt_noise(images: torch.Tensor, bright: float = SALT_BRIGHT, dark: float = SALT_DARK) -> float:
    """Isolated bright pixels per image: pixels above ``bright`` whose 8 neighbours are all below
    ``dark``. ``images`` (N, 1, 28, 28) or (N, 28, 28) in [0, 1]; outside the image counts as dark.
    Real digits have strokes several pixels wide, so they score close to 0."""
    x = images.reshape(-1, 1, 28, 28).float()
    patches = F.unfold(F.pad(x, (1, 1, 1, 1)), 3)  # (N, 9, 784): each pixel's 3x3 neighbourhood
    neighbours = torch.cat([patches[:, :4], patches[:, 5:]], dim=1).amax(1)  # (N, 784), the centre left out
    isolated = (x.flatten(1) > bright) & (neighbours < dark)
    return isolated.sum(1).float().mean().item()


@torch.no_grad()
def nearest_distances(images: torch.Tensor, reference: torch.Tensor, chunk: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """For each of ``images`` (N, 1, 28, 28), the Euclidean distance over the 784 pixels (on the [0, 1] scale)
    to its nearest image of ``reference`` (M, 1, 28, 28), and that image's index: ((N,), (N,)). A generator that
    copies its training digits puts samples much closer to a training digit than new digits of the test set are."""
    flat = reference.flatten(1)
    found = [torch.cdist(part.flatten(1), flat).min(dim=1) for part in images.split(chunk)]
    return torch.cat([f.values for f in found]), torch.cat([f.indices for f in found])
