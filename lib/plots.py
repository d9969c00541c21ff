"""Figures shared by the notebooks and the report. Each function returns a Figure;
``save`` writes it atomically as PNG so the report can show exactly what the run drew."""
from __future__ import annotations

import io
import re
from collections import defaultdict
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .runs import save_bytes

MODEL_STYLE = {"rnn": dict(color="tab:red", label="vanilla RNN"), "lstm": dict(color="tab:blue", label="LSTM")}
CHANCE = 0.1


def save(fig, path: str | Path, dpi: int = 110) -> None:
    """Write ``fig`` as PNG (atomically); returns nothing, so a notebook cell ending here shows only the figure."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    save_bytes(buffer.getvalue(), path)


def _by(records, *keys):
    groups = defaultdict(list)
    for record in records:
        groups[tuple(record[key] for key in keys)].append(record)
    return groups


# ---------------------------------------------------------------- Part I

def accuracy_vs_length(records: list[dict]):
    """Final test accuracy against T: mean over seeds, min-max band, every seed as a dot."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for model, style in MODEL_STYLE.items():
        groups = _by([r for r in records if r["model"] == model], "seq_length")
        if not groups:
            continue
        lengths = sorted(T for (T,) in groups)
        accs = [np.array([r["test_accuracy"] for r in groups[(T,)]]) for T in lengths]
        ax.plot(lengths, [a.mean() for a in accs], "o-", color=style["color"], label=f"{style['label']} (mean)")
        ax.fill_between(lengths, [a.min() for a in accs], [a.max() for a in accs], color=style["color"], alpha=0.2)
        for T, a in zip(lengths, accs):
            ax.scatter([T] * len(a), a, s=10, color=style["color"], alpha=0.6)
    ax.axhline(CHANCE, ls="--", color="gray", label="chance (10%)")
    ax.set(xlabel="palindrome length T", ylabel="final test accuracy", ylim=(0, 1.05),
           title="Memory vs sequence length (band: min-max over seeds)")
    ax.legend(loc="center left")
    return fig


def steps_to_99_vs_length(records: list[dict]):
    """Steps until test accuracy first reached 99%; runs that never did are drawn at the top as x."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    budget = max(r["steps"] for r in records)
    for offset, (model, style) in zip((-0.3, 0.3), MODEL_STYLE.items()):  # side by side at each T
        runs = [r for r in records if r["model"] == model]
        hit = [r for r in runs if r["steps_to_99"] is not None]
        miss = [r for r in runs if r["steps_to_99"] is None]
        ax.scatter([r["seq_length"] + offset for r in hit], [r["steps_to_99"] for r in hit], color=style["color"],
                   label=f"{style['label']}")
        ax.scatter([r["seq_length"] + offset for r in miss], [budget * 1.15] * len(miss), marker="x",
                   color=style["color"], label=f"{style['label']}: never reached 99%" if miss else None)
    ax.axhline(budget, ls=":", color="gray", label="step budget")
    ax.set(xlabel="palindrome length T", ylabel="steps to 99% test accuracy", yscale="log",
           title="How long each model needs to learn")
    ax.legend(fontsize=8)
    return fig


def learning_curves(results: list[dict], metric: str = "test_accuracy"):
    """One panel per model: ``metric`` against step, one line per (T, seed), coloured by T."""
    models = [m for m in MODEL_STYLE if any(r["model"] == m for r in results)]
    fig, axes = plt.subplots(1, len(models), figsize=(6 * len(models), 3.8), sharey=True, squeeze=False)
    lengths = sorted({r["seq_length"] for r in results})
    colours = dict(zip(lengths, plt.cm.viridis(np.linspace(0, 0.9, len(lengths)))))
    for ax, model in zip(axes[0], models):
        for r in (r for r in results if r["model"] == model):
            steps = [p["step"] for p in r["curves"]]
            ax.plot(steps, [p[metric] for p in r["curves"]], color=colours[r["seq_length"]], alpha=0.8,
                    label=f"T={r['seq_length']}" if r["seed"] == min(x["seed"] for x in results) else None)
        if metric.endswith("accuracy"):
            ax.axhline(CHANCE, ls="--", color="gray")
        ax.set(title=MODEL_STYLE[model]["label"], xlabel="training step", ylabel=metric.replace("_", " "))
        ax.legend(fontsize=7, ncol=2)
    return fig


def long_memory_curves(results: list[dict]):
    """Test accuracy against step for the long-T LSTM runs, one colour per initialisation."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    colours = {"zero": "tab:gray", "one": "tab:orange", "chrono": "tab:green"}
    styles = dict(zip(sorted({r["seq_length"] for r in results}), ["-", "--", ":"]))
    for r in results:
        start = r.get("init_from_length")  # results from before the field existed lack it
        ax.plot([p["step"] for p in r["curves"]], [p["test_accuracy"] for p in r["curves"]], styles[r["seq_length"]],
                marker=".", color="tab:blue" if start else colours[r["init"]],
                label=f"T={r['seq_length']}, {r['init']} init" + (f", from T={start}" if start else ""))
    ax.axhline(CHANCE, ls="--", color="gray", lw=0.8)
    ax.set(xlabel="training step", ylabel="test accuracy", ylim=(0, 1.05), title="LSTM at long T: forget-gate init")
    ax.legend(fontsize=8)
    return fig


def lr_study(records: list[dict]):
    """Final test accuracy against the learning rate, one panel per T: mean over seeds, and each seed as a dot."""
    lengths = sorted({r["seq_length"] for r in records})
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.2 * len(lengths), 3.6), sharey=True, squeeze=False)
    for ax, T in zip(axes[0], lengths):
        for model, style in MODEL_STYLE.items():
            groups = _by([r for r in records if r["model"] == model and r["seq_length"] == T], "lr")
            if not groups:
                continue
            rates = sorted(lr for (lr,) in groups)
            accs = [np.array([r["test_accuracy"] for r in groups[(lr,)]]) for lr in rates]
            ax.semilogx(rates, [a.mean() for a in accs], "o-", color=style["color"], label=style["label"])
            for lr, a in zip(rates, accs):
                ax.scatter([lr] * len(a), a, s=10, color=style["color"], alpha=0.6)
        ax.axhline(CHANCE, ls="--", color="gray", lw=0.8)
        ax.set(xlabel="RMSProp learning rate", title=f"T = {T}", ylim=(0, 1.05))
    axes[0][0].set_ylabel("final test accuracy")
    axes[0][0].legend(fontsize=8)
    return fig


def gradient_flow(norms: dict[str, list[float]], seq_length: int):
    """||dL/dh_t|| against t for each model (log scale)."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for model, values in norms.items():
        ax.semilogy(range(1, len(values) + 1), values, "o-", ms=3, **MODEL_STYLE[model])
    ax.set(xlabel="time step t (the first digit is read at t = 1)", ylabel="mean ||dL/dh_t||",
           title=f"Gradient reaching each step, trained models, T={seq_length}")
    ax.legend()
    return fig


# ---------------------------------------------------------------- Part II

def _to_numpy_images(images) -> np.ndarray:
    """(N, 1, 28, 28) or (N, 28, 28), in [0, 1] or uint8 -> (N, 28, 28) floats in [0, 1]."""
    array = np.asarray(images.cpu() if hasattr(images, "cpu") else images)
    array = array.reshape(len(array), 28, 28)
    return array / 255.0 if array.dtype == np.uint8 else array


def tile(images, ncols: int) -> np.ndarray:
    """Images as one mosaic array, ``ncols`` per row, with a 1-pixel gap."""
    images = _to_numpy_images(images)
    nrows = int(np.ceil(len(images) / ncols))
    mosaic = np.ones((nrows * 29 - 1, ncols * 29 - 1))
    for k, image in enumerate(images):
        r, c = divmod(k, ncols)
        mosaic[r * 29:r * 29 + 28, c * 29:c * 29 + 28] = image
    return mosaic


def image_grid(images, ncols: int = 5, titles: list[str] | None = None, suptitle: str | None = None,
               size: float = 1.3):
    """Images in [0, 1] (or uint8) in a grid, each with an optional title (e.g. predicted class)."""
    images = _to_numpy_images(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * (1.2 if titles else 1.0)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            ax.imshow(images[k], cmap="gray", vmin=0, vmax=1)
            if titles:
                ax.set_title(titles[k], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def gan_losses(losses: list[dict]):
    """Left: both losses; right: the discriminator's mean outputs on real and generated images."""
    steps = [p["step"] for p in losses]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.8))
    left.plot(steps, [p["loss_D"] for p in losses], label="discriminator: -log D(x) - log(1 - D(G(z)))")
    left.plot(steps, [p["loss_G"] for p in losses], label="generator: -log D(G(z))")
    left.axhline(2 * np.log(2), ls=":", color="gray", label="D loss at equilibrium (2 log 2)")
    left.set(xlabel="step", ylabel="loss", title="Losses")
    left.legend(fontsize=8)
    right.plot(steps, [p["D_real"] for p in losses], label="D(x), real")
    right.plot(steps, [p["D_fake"] for p in losses], label="D(G(z)), generated")
    right.axhline(0.5, ls=":", color="gray", label="equilibrium (1/2)")
    right.set(xlabel="step", ylabel="mean discriminator output", ylim=(0, 1), title="Discriminator outputs")
    right.legend(fontsize=8)
    return fig


def gan_metrics(evals: list[dict], baseline: dict):
    """IS and Fréchet distance against step, with the real-data baselines as dashed lines."""
    steps = [e["step"] for e in evals]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.8))
    left.plot(steps, [e["inception_score"] for e in evals], "o-", label="generated")
    left.axhline(baseline["inception_score"], ls="--", color="tab:green", label="real test images")
    left.set(xlabel="step", ylabel="classifier IS (max 10)", title="Inception score")
    right.semilogy(steps, [e["frechet_distance"] for e in evals], "o-", label="generated vs test")
    right.axhline(baseline["frechet_distance"], ls="--", color="tab:green", label="real train vs test")
    right.set(xlabel="step", ylabel="Fréchet distance (log)", title="Fréchet distance, classifier features")
    for ax in (left, right):
        ax.legend(fontsize=8)
    return fig


def discriminator_gauge(evals: list[dict]):
    """D's mean output on training digits and on held-out test digits against step: the gap is memorisation."""
    steps = [e["step"] for e in evals]
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.plot(steps, [e["D_train"] for e in evals], "o-", label="D(x), training digits")
    ax.plot(steps, [e["D_test"] for e in evals], "s--", label="D(x), held-out test digits")
    ax.set(xlabel="step", ylabel="mean discriminator output", ylim=(0, 1),
           title="Does D memorise its training set?")
    ax.legend(fontsize=8)
    return fig


def ablation(rows: dict[str, dict]):
    """Quality against CPU minutes, one point per rung: IS relative to real data (left) and
    Fréchet distance relative to real data (right, log scale)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.8))
    for rung, row in rows.items():
        for ax, key in ((left, "IS / real"), (right, "Fréchet / real")):
            ax.scatter(row["CPU minutes"], row[key], s=30)
            ax.annotate(rung, (row["CPU minutes"], row[key]), fontsize=7, xytext=(4, 3), textcoords="offset points")
    left.axhline(1, ls="--", color="tab:green", label="real test digits")
    right.axhline(1, ls="--", color="tab:green", label="real data")
    left.set(xlabel="CPU minutes (training and evaluation)", ylabel="IS / real", title="Inception score")
    right.set(xlabel="CPU minutes (training and evaluation)", ylabel="Fréchet distance / real", yscale="log",
              title="Fréchet distance")
    for ax in (left, right):
        ax.legend(fontsize=8)
    return fig


def class_histogram(generated: list[float], real: list[float]):
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    digits = np.arange(10)
    ax.bar(digits - 0.2, generated, width=0.4, label="generated")
    ax.bar(digits + 0.2, real, width=0.4, label="real test set")
    ax.axhspan(0.07, 0.13, color="gray", alpha=0.15, label="7%-13% band")
    ax.set(xticks=digits, xlabel="predicted class", ylabel="fraction", title="Which digits come out")
    ax.legend(fontsize=8)
    return fig


def interpolation_rows(rows: dict[str, tuple], titles_fn=None):
    """One row of images per mode: ``rows[mode] = (images (N, 28, 28), probs (N, 10))``."""
    ncols = max(len(images) for images, _ in rows.values())
    fig, axes = plt.subplots(len(rows), ncols, figsize=(ncols * 1.25, len(rows) * 1.6), squeeze=False)
    for ax_row, (mode, (images, probs)) in zip(axes, rows.items()):
        images = _to_numpy_images(images)
        for k, ax in enumerate(ax_row):
            ax.axis("off")
            if k < len(images):
                ax.imshow(images[k], cmap="gray", vmin=0, vmax=1)
                p = np.asarray(probs[k])
                ax.set_title(f"{p.argmax()} ({p.max():.0%})", fontsize=8)
        ax_row[0].text(-0.25, 0.5, mode, transform=ax_row[0].transAxes, ha="right", va="center", fontsize=10)
    fig.tight_layout()
    return fig


def interpolation_diagnostics(paths: dict[str, dict], classes: tuple[int, int]):
    """Left: the classifier's probability of each endpoint's class along each path.
    Right: the latent norm along each path."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.6))
    for (mode, info), colour in zip(paths.items(), ["tab:blue", "tab:orange"]):
        probs, t = np.asarray(info["probs"]), np.linspace(0, 1, len(info["probs"]))
        left.plot(t, probs[:, classes[0]], "o-", color=colour, label=f"{mode}: p({classes[0]})")
        left.plot(t, probs[:, classes[1]], "s--", color=colour, label=f"{mode}: p({classes[1]})")
        right.plot(t, info["norms"], "o-", color=colour, label=mode)
    left.set(xlabel="position t along the path", ylabel="classifier probability", ylim=(0, 1.02),
             title="Which digit the classifier sees")
    right.set(xlabel="position t along the path", ylabel="||z||", title="Latent norm along the path")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return fig


def stepper_animation(walks: dict[str, dict], classes: tuple[int, int]) -> str:
    """The interpolation as a self-contained HTML/JavaScript player (matplotlib's ``to_jshtml``):
    one frame per point of the path, every mode side by side. Needs no kernel and no network."""
    from matplotlib import animation

    modes = list(walks)
    frames = len(next(iter(walks.values()))["images"])
    fig, axes = plt.subplots(1, len(modes), figsize=(2.4 * len(modes), 2.7), squeeze=False)
    shown = []
    for ax, mode in zip(axes[0], modes):
        ax.axis("off")
        shown.append(ax.imshow(_to_numpy_images(walks[mode]["images"])[0], cmap="gray", vmin=0, vmax=1))

    def draw(k):
        for ax, image, mode in zip(axes[0], shown, modes):
            image.set_data(_to_numpy_images(walks[mode]["images"])[k])
            p = np.asarray(walks[mode]["probs"][k])
            ax.set_title(f"{mode}, t={k / (frames - 1):.2f}\n{p.argmax()} ({p.max():.0%}); "
                         f"p({classes[1]})={p[classes[1]]:.2f}", fontsize=8)
        return shown

    player = animation.FuncAnimation(fig, draw, frames=frames, interval=600)
    html = player.to_jshtml(default_mode="once")
    plt.close(fig)
    # The player's buttons take their icons from a font on a CDN; use text glyphs so that it needs no network.
    html = re.sub(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">', "", html)
    return re.sub(r'<i class="fa ([^"]*)"></i>', lambda m: _PLAYER_GLYPHS[m.group(1)], html)


_PLAYER_GLYPHS = {"fa-minus": "&minus;", "fa-fast-backward": "&#8676;", "fa-step-backward": "&lsaquo;",
                  "fa-play fa-flip-horizontal": "&#9664;", "fa-pause": "&#10074;&#10074;", "fa-play": "&#9654;",
                  "fa-step-forward": "&rsaquo;", "fa-fast-forward": "&#8677;", "fa-plus": "+"}
