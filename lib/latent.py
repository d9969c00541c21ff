"""Walking through the generator's latent space: endpoints, lerp and slerp paths.

In d dimensions a standard-normal z lies, almost surely, near the sphere of radius sqrt(d), and two
independent draws are nearly orthogonal. The straight line between two of them (lerp) passes closer to
the origin (its midpoint has norm about sqrt(d/2)), through latents the generator rarely saw in training.
The great-circle path (slerp, White 2016) keeps the norm between the endpoints' norms.
"""
from __future__ import annotations

import torch

from .evaluate import predict
from .checks import check_choice, check_fraction, check_int
from .files import load_json, project_path, save_json
from .streams import Stream, generator_for

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
def choose_pairs(G, classifier, seed: int, pairs: int = 1, start_class: int | None = None,
                 end_class: int | None = None, min_confidence: float = 0.99, candidates: int = 2000) -> list[dict]:
    """``pairs`` pairs of latents whose images are clean digits of different classes, each digit in one pair
    at most. Among ``candidates`` draws under ``seed``, each class is represented by the image the classifier
    reads with the highest confidence, which must reach ``min_confidence``; the classes are paired from the
    most confident down. ``start_class`` and ``end_class``, when given, make the first pair."""
    for name, value in (("start_class", start_class), ("end_class", end_class)):
        if value is not None:
            check_choice(name, value, range(10))
    if start_class is not None and start_class == end_class:
        raise ValueError(f"start_class and end_class must differ; both are {start_class}")
    check_int("pairs", pairs)
    check_fraction("min_confidence", min_confidence)
    check_int("candidates", candidates, minimum=2)
    device = next(G.parameters()).device
    z = torch.randn(candidates, G.latent_dim, generator=generator_for(seed, Stream.ENDPOINTS))
    probs = predict(classifier, G.eval()(z.to(device)).cpu())
    confidence, label = probs.max(1)
    best = {}  # class -> the index of its most confident candidate
    for digit in range(10):
        members = torch.nonzero((label == digit) & (confidence >= min_confidence)).flatten()
        if len(members):
            best[digit] = int(members[confidence[members].argmax()])
    wanted = [c for c in (start_class, end_class) if c is not None]
    missing = [c for c in wanted if c not in best]
    order = wanted + sorted((c for c in best if c not in wanted), key=lambda c: -float(confidence[best[c]]))
    if missing or len(order) < 2 * pairs:
        raise ValueError(f"{pairs} pair(s) need {2 * pairs} digits read with confidence >= {min_confidence} among "
                         f"{candidates} candidates under seed {seed}; found {len(best)} ({sorted(best)})"
                         f"{f', none of class {missing}' if missing else ''}: lower min_confidence, raise candidates, "
                         f"ask for fewer pairs or try another seed")
    chosen = []
    for a, b in zip(order[0:2 * pairs:2], order[1:2 * pairs:2]):
        i, j = best[a], best[b]
        chosen.append(dict(z0=z[i], z1=z[j], classes=(a, b), confidences=(float(confidence[i]), float(confidence[j])),
                           candidate_indices=(i, j)))
    return chosen


def choose_endpoints(G, classifier, seed: int, start_class: int | None = None, end_class: int | None = None,
                     min_confidence: float = 0.99, candidates: int = 2000) -> dict:
    """The first pair of ``choose_pairs``: two clean digits of different classes."""
    return choose_pairs(G, classifier, seed, 1, start_class, end_class, min_confidence, candidates)[0]


def walk_record(ends: dict, walks: dict) -> dict:
    """What ``interpolation.json`` keeps of one pair: the endpoints' classes and confidences and, per mode,
    the class probabilities, predicted digits, latent norms and ink (mean brightness on [0, 1]) of every frame
    (``walks[mode]``: probs (F, 10), norms (F,), images (F, 1, 28, 28) in [0, 1])."""
    return dict(classes=list(ends["classes"]), confidences=list(ends["confidences"]),
                modes={mode: dict(probs=walk["probs"].tolist(), predicted=walk["probs"].argmax(1).tolist(),
                                  latent_norms=walk["norms"].tolist(), ink=walk["images"].mean(dim=(1, 2, 3)).tolist())
                       for mode, walk in walks.items()})


def save_interpolation(out_dir, pairs: list[dict], parameters: dict) -> dict:
    """Write ``interpolation.json``: the parameters and one ``walk_record`` per pair."""
    record = dict(parameters=parameters, pairs=pairs)
    save_json(record, project_path(out_dir) / INTERPOLATION)
    return record


def read_interpolation(out_dir) -> dict:
    return load_json(project_path(out_dir) / INTERPOLATION)
