"""A finished GAN run, ready to be looked at: its checkpoints, its classifier, labelled samples."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from .evaluate import Classifier, predict
from .gan_train import load_generator
from .mnist import to_unit_range
from .runs import load_json, load_torch, project_path, resolve_device

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
    def generate(self, moment: str, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images (N, 1, 28, 28) in [0, 1] from the ``moment`` checkpoint, and their class probabilities (N, 10)."""
        G = self.generators[moment]
        images = G(z.to(next(G.parameters()).device)).cpu()
        return to_unit_range(images), predict(self.classifier, images)


def load_trained(checkpoint_dir: str | Path, device: str = "auto") -> TrainedGAN:
    """Everything ``02_gan_train`` left in ``checkpoint_dir``; a clear error if it has not run."""
    checkpoint_dir, device = project_path(checkpoint_dir), resolve_device(device)
    metrics_path = checkpoint_dir / "metrics.json"
    if not metrics_path.exists():
        raise FileNotFoundError(f"{metrics_path} does not exist: the GAN has not been trained yet. Run `make all` "
                                f"(or execute notebooks/02_gan_train.ipynb with the same output_root) first.")
    metrics = load_json(metrics_path)
    paths = {moment: checkpoint_dir / metrics["checkpoints"][moment] for moment in MOMENTS}
    classifier_path = checkpoint_dir / f"classifier-{metrics['data_source']}.pt"
    missing = [str(p) for p in [*paths.values(), classifier_path] if not p.exists()]
    if missing:
        raise FileNotFoundError(f"02_gan_train's outputs are incomplete (missing: {', '.join(missing)}). "
                                f"Rerun notebooks/02_gan_train.ipynb (or `make all`).")
    classifier = Classifier().to(device)
    classifier.load_state_dict(load_torch(classifier_path, device)["state"])
    total = metrics["config"]["steps"]
    steps = dict(start=0, half=total // 2, final=total)  # where gan_train writes each checkpoint
    return TrainedGAN({m: load_generator(p, device) for m, p in paths.items()}, classifier.eval(), metrics, steps)


def label_titles(probs: torch.Tensor) -> list[str]:
    """'7 (98%)': the predicted digit and the classifier's confidence, one per image."""
    confidence, label = probs.max(1)
    return [f"{int(l)} ({c:.0%})" for c, l in zip(confidence.tolist(), label.tolist())]


def interpolation_record(ends: dict, walks: dict, parameters: dict) -> dict:
    """What ``interpolation.json`` holds: the endpoints and, per mode, the class probabilities of every frame."""
    return dict(parameters=parameters, classes=list(ends["classes"]), confidences=list(ends["confidences"]),
                modes={mode: dict(probs=walk["probs"].tolist(), predicted=walk["probs"].argmax(1).tolist(),
                                  latent_norms=walk["norms"].tolist())
                       for mode, walk in walks.items()})
