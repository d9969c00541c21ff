"""A finished GAN run, ready to be looked at: its checkpoints, its classifier, labelled samples."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .evaluate import Classifier, nearest_distances, predict
from .gan import generator_from_state
from .mnist import load_mnist, to_unit_range
from .streams import Stream, generator_for
from .devices import resolve_device
from .files import load_json, load_torch, project_path, save_json

MOMENTS = ("start", "half", "final")


@dataclass
class TrainedGAN:
    generators: dict  # moment -> generator in eval mode
    classifier: Classifier
    metrics: dict  # 02's metrics.json
    steps: dict  # moment -> training step of that checkpoint

    @property
    def G(self):
        return self.generators["final"]

    @property
    def latent_dim(self) -> int:
        return self.G.latent_dim

    def describe(self) -> str:
        m = self.metrics
        return (f"{m['config']['variant']} GAN trained on {m['data']} for {self.steps['final']:,} steps; "
                f"classifier test accuracy {m['classifier']['test_accuracy']:.2%}")

    @torch.no_grad()
    def draw(self, moment: str, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (N, 1, 28, 28) in [0, 1] from the ``moment`` checkpoint, and their class probabilities (N, 10)."""
        G = self.generators[moment]
        images = G(z.to(next(G.parameters()).device)).cpu()
        return to_unit_range(images), predict(self.classifier, images)


def load_trained(checkpoint_dir: str | Path, device: str = "auto") -> TrainedGAN:
    """Everything ``02_gan_train`` left in ``checkpoint_dir``; a clear error if it has not run."""
    from .gan_runs import classifier_path, read_metrics  # the owner of 02's files

    checkpoint_dir, device = project_path(checkpoint_dir), resolve_device(device)
    metrics = read_metrics(checkpoint_dir)
    paths = {moment: checkpoint_dir / metrics["checkpoints"][moment] for moment in MOMENTS}
    classifier_file = classifier_path(checkpoint_dir, metrics["data_source"])
    missing = [str(p) for p in [*paths.values(), classifier_file] if not p.exists()]
    if missing:
        raise FileNotFoundError(f"02_gan_train's outputs are incomplete (missing: {', '.join(missing)}). "
                                f"Rerun notebooks/02_gan_train.ipynb (or `make all`).")
    classifier = Classifier().to(device)
    classifier.load_state_dict(load_torch(classifier_file, device)["state"])
    states = {moment: load_torch(path, device) for moment, path in paths.items()}
    return TrainedGAN({moment: generator_from_state(state, device) for moment, state in states.items()},
                      classifier.eval(), metrics, {moment: state["step"] for moment, state in states.items()})


def label_titles(probs: torch.Tensor) -> list[str]:
    """'7 98%': the predicted digit and the classifier's confidence, one per image."""
    confidence, label = probs.max(1)
    return [f"{int(digit)} {c:.0%}" for c, digit in zip(confidence.tolist(), label.tolist())]


GRIDS = "grids.json"
WEAKEST = 5  # the least confident samples of a grid that the report shows apart


def grid_record(step: int, probs: torch.Tensor, neighbours: tuple[list[int], float] | None = None) -> dict:
    """What ``grids.json`` keeps of one 25-sample grid: the step, the classifier's reading of each image, the
    images it reads with the least confidence (their places in the grid, least confident first) and, when given,
    the second reading of ``neighbour_reading`` and that rule's accuracy on the test digits."""
    confidence, predicted = probs.max(1)
    return dict(step=step, predicted=predicted.tolist(), confidence=confidence.tolist(),
                mean_confidence=confidence.mean().item(), weakest=confidence.argsort()[:WEAKEST].tolist(),
                **(dict(neighbour=neighbours[0], neighbour_accuracy=neighbours[1]) if neighbours else {}))


def neighbour_reading(trained: TrainedGAN, images: torch.Tensor) -> tuple[list[int], float]:
    """A second reading of ``images`` (N, 1, 28, 28) in [0, 1], independent of the classifier: the label of each
    one's nearest training digit over the pixels (1-nearest-neighbour, ``lib.evaluate.nearest_distances``), and
    the share of the test digits that the same rule names right."""
    data = load_mnist(trained.metrics["data_source"])
    train = to_unit_range(data.train_images)
    _, index = nearest_distances(images, train)
    _, test_index = nearest_distances(to_unit_range(data.test_images), train)
    accuracy = (data.train_labels[test_index] == data.test_labels).float().mean().item()
    return data.train_labels[index].tolist(), accuracy


def save_grids(out_dir: str | Path, sample_seed: int, grids: dict[str, dict]) -> dict:
    record = dict(sample_seed=sample_seed, grids=grids)
    save_json(record, project_path(out_dir) / GRIDS)
    return record


def read_grids(out_dir: str | Path) -> dict:
    return load_json(project_path(out_dir) / GRIDS)


# ---------------------------------------------------------------- copies of training digits?

NEIGHBOURS = "neighbours.json"


def nearest_training(trained: TrainedGAN, samples: int, seed: int) -> tuple[dict, torch.Tensor]:
    """The final generator's ``samples`` fresh samples and the run's test digits, each against its nearest
    training digit (``lib.evaluate.nearest_distances``): the record of ``neighbours.json`` and, for each digit
    class the samples are read as, four rows of pictures, (4 * C, 1, 28, 28) in [0, 1] for C classes: the sample
    closest to a training digit, that training digit, the test digit of the class closest to a training digit,
    and that training digit. The closest samples overall would all be 1s, whose strokes lie nearest one another;
    the test digits show how close new digits of the same class come to a training digit."""
    data = load_mnist(trained.metrics["data_source"])
    train, test = to_unit_range(data.train_images), to_unit_range(data.test_images)
    z = torch.randn(samples, trained.latent_dim, generator=generator_for(seed, Stream.NEIGHBOURS))
    images, probs = trained.draw("final", z)
    sample_d, sample_i = nearest_distances(images, train)
    test_d, test_i = nearest_distances(test, train)
    threshold = test_d.quantile(0.01).item()
    sample_class = probs.argmax(1)
    classes = [c for c in sample_class.unique().tolist() if (data.test_labels == c).any()]
    closest = torch.stack([torch.where(sample_class == c, sample_d, torch.inf).argmin() for c in classes])
    closest_test = torch.stack([torch.where(data.test_labels == c, test_d, torch.inf).argmin() for c in classes])
    record = dict(seed=seed, samples=samples, train=len(train), test=len(test),
                  median_sample=sample_d.median().item(), median_test=test_d.median().item(),
                  test_percentile_1=threshold, below=(sample_d < threshold).float().mean().item(),
                  closest=sample_d[closest].tolist(), closest_digits=classes,
                  closest_train_labels=data.train_labels[sample_i[closest]].tolist(),
                  closest_test=test_d[closest_test].tolist(),
                  by_class=_by_class(sample_d, sample_class, test_d, data.test_labels),
                  pooled=_copy_row(sample_d, test_d))
    return record, torch.cat([images[closest], train[sample_i[closest]], test[closest_test],
                              train[test_i[closest_test]]])


def _by_class(sample_d: torch.Tensor, sample_class: torch.Tensor, test_d: torch.Tensor,
              test_class: torch.Tensor) -> list[dict]:
    """The copy check within each digit class (samples by the classifier's reading, test digits by their
    label): some digits (1s) lie much nearer their neighbours than others, so a pooled threshold says little
    about the rest. ``below`` is the share of the class's samples closer to a training digit than 95% of
    the class's test digits; a generator that draws new digits puts about 5% there."""
    rows = []
    for digit in range(10):
        ours, real = sample_d[sample_class == digit], test_d[test_class == digit]
        if len(ours) and len(real):
            rows.append(dict(digit=digit, **_copy_row(ours, real)))
    return rows


def _copy_row(ours: torch.Tensor, real: torch.Tensor) -> dict:
    """One row of the copy check: samples' and test digits' distances to their nearest training digits, and the
    share of samples closer than 95% of the test digits."""
    threshold = real.quantile(0.05).item()
    return dict(samples=len(ours), test=len(real), median_sample=ours.median().item(),
                median_test=real.median().item(), test_percentile_5=threshold,
                below=(ours < threshold).float().mean().item())


def save_neighbours(out_dir: str | Path, record: dict) -> dict:
    save_json(record, project_path(out_dir) / NEIGHBOURS)
    return record


def read_neighbours(out_dir: str | Path) -> dict:
    return load_json(project_path(out_dir) / NEIGHBOURS)
