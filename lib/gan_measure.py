"""Measuring a generator: every measure of its samples in one table (``MEASURES``), computed the same way on
real digits, at the same sample size, so that each number has a baseline it can be compared with.

Samples are measured in splits of ``SPLIT`` images (Salimans et al. 2016 score their Inception score the
same way): a measure computed per split gives the mean and the standard deviation over the splits. The
real baseline uses splits of the same size: held-out test digits for every measure but the Fréchet
distance to the test digits, whose reference *is* the test set, so its baseline is the distance of
training-digit splits to the test set (digits the classifier was trained on, so a flattering reference).
The Fréchet distance to the validation digits is the one that decisions and the curves during training use
(the ablation, notebook 02's figures), so that the test digits only score the final samples; its baseline
is the test digits' distance to the validation digits, that of new digits, unseen by the classifier too.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Callable

import torch

from .evaluate import (Classifier, classifier_outputs, frechet_distance_of_features, histogram_of_logits,
                       inception_score_of_logits, salt_noise)
from .mnist import MNIST, to_unit_range
from .streams import Stream, generator_for

SPLIT = 1000  # images per split
GAUGE_IMAGES = 1000  # real images of each split on which D's mean output is logged
CLASS_BAND = (0.07, 0.13)  # the share of each digit a generator that covers every class evenly stays within


@dataclass
class Sample:
    """Images (N, 1, 28, 28) in [-1, 1] and the classifier's view of them, computed once."""

    images: torch.Tensor
    features: torch.Tensor  # (N, 128), the classifier's penultimate layer
    logits: torch.Tensor  # (N, 10)

    @classmethod
    def of(cls, classifier: Classifier, images: torch.Tensor) -> "Sample":
        return cls(images, *classifier_outputs(classifier, images))

    def split(self, size: int) -> list["Sample"]:
        return [Sample(self.images[i:i + size], self.features[i:i + size], self.logits[i:i + size])
                for i in range(0, len(self.images) - size + 1, size)]


@dataclass(frozen=True)
class Goal:
    """What a sample as good as real digits reaches on a measure: in words, and as a test of (generated, real)."""

    text: str
    met: Callable[[float, float], bool]


@dataclass(frozen=True)
class Measure:
    """One measure of a sample: ``compute(sample, reference)`` with ``reference`` the Sample of the real digits
    named by ``against`` ("test" or "validation"); ``per_split`` measures are averaged over splits of SPLIT images. A
    list-valued measure (the share of each digit) is shown by its smallest and largest entry. ``digits`` and
    ``percent`` say how tables write it."""

    label: str
    compute: Callable[[Sample, Sample], float | list]
    goal: Goal
    per_split: bool = False
    digits: int = 2
    percent: bool = False
    against: str = "test"


def confident_share(logits: torch.Tensor, threshold: float = 0.9) -> float:
    """The share of images the classifier reads as one digit with at least ``threshold`` confidence."""
    return (logits.softmax(1).amax(1) >= threshold).float().mean().item()


# Every measure of a sample, in the order tables show them. A measure added here is computed for every run
# (finished runs are measured again from their checkpoints: lib.gan_runs), and shown in 02, the README and the report.
MEASURES = {
    "inception_score": Measure("Inception score", lambda s, ref: inception_score_of_logits(s.logits),
                               Goal("at least 95% of real", lambda g, r: g >= 0.95 * r), per_split=True),
    "frechet_distance": Measure("Fréchet distance to the test digits",
                                lambda s, ref: frechet_distance_of_features(s.features, ref.features),
                                Goal("at most 3 times real", lambda g, r: g <= 3 * r), per_split=True, digits=1),
    # The one for decisions and for the curves during training: it leaves the test digits to the final result.
    "frechet_distance_validation": Measure("Fréchet distance to the validation digits",
                                           lambda s, ref: frechet_distance_of_features(s.features, ref.features),
                                           Goal("at most 3 times real", lambda g, r: g <= 3 * r), per_split=True,
                                           digits=1, against="validation"),
    "confident_share": Measure("share read with 90% confidence or more", lambda s, ref: confident_share(s.logits),
                               Goal("at least 95% of real", lambda g, r: g >= 0.95 * r), percent=True),
    "salt_noise": Measure("isolated bright pixels per image", lambda s, ref: salt_noise(to_unit_range(s.images)),
                          Goal("at most 0.1", lambda g, r: g <= 0.1), digits=3),
    "class_histogram": Measure("share of each digit", lambda s, ref: histogram_of_logits(s.logits),
                               Goal(f"each within {CLASS_BAND[0]:.0%} to {CLASS_BAND[1]:.0%}",
                                    lambda g, r: CLASS_BAND[0] <= min(g) and max(g) <= CLASS_BAND[1]), percent=True),
}


def measure_sample(sample: Sample, references: dict[str, Sample], split: int = SPLIT) -> dict:
    """Every measure of ``sample``, each against ``references[measure.against]``; a per-split one as its mean,
    with ``<name>_sd`` over the splits. A sample smaller than two splits is one split."""
    splits = sample.split(split) if len(sample.images) >= 2 * split else [sample]
    result = dict(n=len(sample.images), splits=len(splits))
    for name, measure in MEASURES.items():
        reference = references[measure.against]
        if measure.per_split:
            values = [measure.compute(part, reference) for part in splits]
            result[name] = statistics.fmean(values)
            result[f"{name}_sd"] = statistics.stdev(values) if len(values) > 1 else 0.0
        else:
            result[name] = measure.compute(sample, reference)
    return result


class Evaluator:
    """The measurements of a run: its classifier, the real data, and the Samples of the test and the validation
    digits as references."""

    def __init__(self, classifier: Classifier, data: MNIST):
        self.classifier, self.data = classifier, data
        self.references = dict(test=Sample.of(classifier, data.test_images),
                               validation=Sample.of(classifier, data.validation_images))

    def __call__(self, images: torch.Tensor) -> dict:
        """Every measure of ``images`` (N, 1, 28, 28) in [-1, 1]."""
        return measure_sample(Sample.of(self.classifier, images), self.references)

    def real_baseline(self, seed: int = 0) -> dict:
        """The same measures on real digits in splits of SPLIT: test digits (so the distance to the validation
        digits is that of new digits), and for the distance to the test digits, disjoint splits of training
        digits (as many as fit, at most ten)."""
        test_digits = self.references["test"]
        test = measure_sample(test_digits, self.references, split=min(SPLIT, len(self.data.test_images)))
        count = min(10, len(self.data.train_images) // SPLIT)
        order = torch.randperm(len(self.data.train_images), generator=generator_for(seed, Stream.REAL_BASELINE))
        train = Sample.of(self.classifier, self.data.train_images[order[:count * SPLIT]])
        distances = [MEASURES["frechet_distance"].compute(part, test_digits) for part in train.split(SPLIT)]
        return test | dict(frechet_distance=statistics.fmean(distances),
                           frechet_distance_sd=statistics.stdev(distances) if len(distances) > 1 else 0.0,
                           frechet_distance_splits=len(distances))


@torch.no_grad()
def generate(G, n: int, seed: int, stream: Stream, batch_size: int = 1000) -> torch.Tensor:
    """``n`` images in [-1, 1] (N, 1, 28, 28) from ``G`` in eval mode, from the noise stream ``(seed, stream)``."""
    from .gan import sample_noise

    device = next(G.parameters()).device
    was_training = G.training
    G.eval()
    z = sample_noise(n, G.latent_dim, generator_for(seed, stream))
    images = torch.cat([G(z[i:i + batch_size].to(device)).cpu() for i in range(0, n, batch_size)])
    G.train(was_training)
    return images


@torch.no_grad()
def discriminator_gauge(D, data: MNIST, G=None, seed: int = 0) -> dict:
    """D's mean output D(x) on training digits and on held-out validation digits and, given the raw generator
    ``G`` that D trains against, on its samples (``D_generated``, from the noise stream ``Stream.GAN_EVAL``),
    all from the same state of D. A discriminator that memorises its training digits rates them above the
    held-out ones; a gap near zero says it does not; held-out digits rated below generated ones say that what
    D has learned of "real" is its training digits."""
    device = next(D.parameters()).device
    was_training = D.training
    D.eval()
    mean = lambda images: D(images[:GAUGE_IMAGES].to(device)).sigmoid().mean().item()  # noqa: E731
    D_train, D_validation = mean(data.train_images), mean(data.validation_images)
    generated = {} if G is None else dict(D_generated=mean(generate(G, GAUGE_IMAGES, seed, Stream.GAN_EVAL)))
    D.train(was_training)
    return dict(D_train=D_train, D_validation=D_validation, D_gap=D_train - D_validation, **generated)

