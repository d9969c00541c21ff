"""Walking through the generator's latent space: endpoints, lerp and slerp paths.

In 100 dimensions a standard-normal z lies, almost surely, near the sphere of
radius sqrt(100) = 10, and two independent draws are nearly orthogonal. The
straight line between two of them (lerp) passes much closer to the origin (its
midpoint has norm about 10/sqrt(2)), through latents the generator never saw in
training. The great-circle path (slerp, White 2016) keeps the norm between the
endpoints' norms.
"""
from __future__ import annotations

import torch

from .evaluate import predict
from .runs import Stream, check_choice, check_fraction, check_int, generator_for, load_json, project_path, save_json

MODES = ("lerp", "slerp")
INTERPOLATION = "interpolation.json"


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """(1 - t) z0 + t z1 for each t: (len(t), latent)."""
    t = t[:, None]
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation: along the great circle through z0 and z1, norms interpolated too."""
    n0, n1 = z0.norm(), z1.norm()
    omega = torch.arccos(torch.clamp(torch.dot(z0 / n0, z1 / n1), -1.0, 1.0))
    if omega.abs() < 1e-4:  # (anti)parallel endpoints: the circle is undefined, the line is fine
        return lerp(z0, z1, t)
    t = t[:, None]
    direction = (torch.sin((1 - t) * omega) * z0 / n0 + torch.sin(t * omega) * z1 / n1) / torch.sin(omega)
    return direction * ((1 - t) * n0 + t * n1)


def path(z0: torch.Tensor, z1: torch.Tensor, steps: int = 7, mode: str = "lerp") -> torch.Tensor:
    """``steps`` interpolation points between z0 and z1, endpoints included: (steps + 2, latent)."""
    check_int("steps", steps, minimum=0)
    check_choice("mode", mode, MODES)
    t = torch.linspace(0, 1, steps + 2, dtype=z0.dtype)
    return (lerp if mode == "lerp" else slerp)(z0, z1, t)


@torch.no_grad()
def choose_endpoints(G, classifier, seed: int, start_class: int | None = None, end_class: int | None = None,
                     min_confidence: float = 0.95, candidates: int = 1000) -> dict:
    """Two latents whose images the classifier puts, each with at least ``min_confidence``,
    in different classes: ``start_class``/``end_class`` when given, else the first
    confident pair of different classes among ``candidates`` draws under ``seed``."""
    for name, value in (("start_class", start_class), ("end_class", end_class)):
        if value is not None:
            check_choice(name, value, range(10))
    if start_class is not None and start_class == end_class:
        raise ValueError(f"start_class and end_class must differ; both are {start_class}")
    check_fraction("min_confidence", min_confidence)
    check_int("candidates", candidates, minimum=2)
    device = next(G.parameters()).device
    z = torch.randn(candidates, G.latent_dim, generator=generator_for(seed, Stream.ENDPOINTS))
    probs = predict(classifier, G.eval()(z.to(device)).cpu())
    confidence, label = probs.max(1)
    confident = confidence >= min_confidence

    def first(wanted, exclude):
        for i in torch.nonzero(confident).flatten().tolist():
            if (wanted is None or label[i] == wanted) and label[i] != exclude:
                return i
        wanted_text = f"class {wanted}" if wanted is not None else f"a class other than {exclude}"
        raise ValueError(f"none of {candidates} candidates under seed {seed} is {wanted_text} with confidence "
                         f">= {min_confidence}: lower min_confidence, raise candidates or try another seed")

    i = first(start_class, exclude=end_class)
    j = first(end_class, exclude=int(label[i]))
    return dict(z0=z[i], z1=z[j], classes=(int(label[i]), int(label[j])),
                confidences=(float(confidence[i]), float(confidence[j])), candidate_indices=(i, j))


def save_interpolation(out_dir, ends: dict, walks: dict, parameters: dict) -> dict:
    """Write ``interpolation.json``: the endpoints' classes and confidences and, per mode, the class
    probabilities, predicted digits and latent norms of every frame (``walks[mode]``: probs, norms)."""
    record = dict(parameters=parameters, classes=list(ends["classes"]), confidences=list(ends["confidences"]),
                  modes={mode: dict(probs=walk["probs"].tolist(), predicted=walk["probs"].argmax(1).tolist(),
                                    latent_norms=walk["norms"].tolist())
                         for mode, walk in walks.items()})
    save_json(record, project_path(out_dir) / INTERPOLATION)
    return record


def read_interpolation(out_dir) -> dict:
    return load_json(project_path(out_dir) / INTERPOLATION)
