"""Figures shared by the notebooks and the report. Each function returns a Figure; ``save`` writes it
atomically as PNG so that the report shows exactly what the run drew. Part I's figures name and colour each
model as ``lib.recurrent.MODELS`` says, and draw every model a record mentions, however many there are."""
from __future__ import annotations

import io
import re
import textwrap
from collections import Counter, defaultdict
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .files import save_bytes
from .recurrent import MODELS

CHANCE = 0.1
WIDTH = 6.8  # inches: a figure across the text
plt.rcParams.update({"font.size": 8.5, "axes.titlesize": 9, "axes.labelsize": 8.5, "legend.fontsize": 7.5,
                     "xtick.labelsize": 7.5, "ytick.labelsize": 7.5, "figure.dpi": 100})


def save(fig, path: str | Path, dpi: int = 150) -> None:
    """Write ``fig`` as PNG (atomically); returns nothing, so a notebook cell ending here shows only the figure."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    save_bytes(buffer.getvalue(), path)


def legend_below(fig, axes, ncol: int) -> None:
    """One legend for the whole figure, under its panels, off every curve: the handles of ``axes`` in order."""
    handles, labels = [], []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    fig.tight_layout()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=ncol, frameon=False,
               handlelength=2.6)


def _by(records, *keys):
    groups = defaultdict(list)
    for record in records:
        groups[tuple(record[key] for key in keys)].append(record)
    return groups


def models_in(records: list[dict]) -> list[str]:
    """The models ``records`` mention, in the registry's order."""
    present = {r["model"] for r in records}
    return [m for m in MODELS if m in present]


def _style(model: str) -> dict:
    return dict(color=MODELS[model].colour, label=MODELS[model].label)


def _offsets(count: int, width: float = 0.6) -> list[float]:
    """Horizontal offsets that set ``count`` series side by side around each x."""
    return [0.0] if count == 1 else list(np.linspace(-width / 2, width / 2, count))


def _side_by_side(values: list, step: float) -> list[float]:
    """A horizontal offset for each of ``values``: equal values are set ``step`` apart around 0, so that runs
    with the same result (six seeds at 100%, two at step 250) each show a marker."""
    counts, placed, offsets = Counter(values), Counter(), []
    for v in values:
        offsets.append((placed[v] - (counts[v] - 1) / 2) * step)
        placed[v] += 1
    return offsets


def _lengths_axis(ax, lengths):
    ax.set_xticks(lengths)
    ax.set_xlabel("palindrome length T")


# ---------------------------------------------------------------- Part I

def sweep_overview(records: list[dict]):
    """Left: final test accuracy against T per model (mean over seeds a line, every seed a dot, both set apart
    per model). Right: the steps until the validation accuracy first reached 99%, per run; a run that never did
    is a cross at its step budget, which is drawn for each T."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH, 2.6))
    lengths = sorted({r["seq_length"] for r in records})
    models = models_in(records)
    for model, spread in zip(models, _offsets(len(models), 2.4)):
        groups = _by([r for r in records if r["model"] == model], "seq_length")
        shown = [T for T in lengths if (T,) in groups]
        accs = [np.array([r["test_accuracy"] for r in groups[(T,)]]) * 100 for T in shown]
        style = _style(model)
        # the means beside the model's dots, so that models with equal means (every LSTM at 100%) each show
        left.plot([T + spread for T in shown], [a.mean() for a in accs], "-", marker="D", ms=3.5, mfc="white", lw=1.2,
                  zorder=4, **style)
        for T, a in zip(shown, accs):  # every seed, apart per model and from equal results of the same model
            left.scatter([T + spread + d for d in _side_by_side(list(np.round(a, 1)), 0.3)], a, s=14,
                         color=style["color"], alpha=0.8, linewidths=0, zorder=5)  # over the lines: none hidden
        runs = [r for r in records if r["model"] == model]
        hit = [r for r in runs if r["steps_to_99"] is not None]
        misses = _by([r for r in runs if r["steps_to_99"] is None], "seq_length", "max_steps")
        nudge = _side_by_side([(r["seq_length"], r["steps_to_99"]) for r in hit], 0.3)
        right.scatter([r["seq_length"] + spread + d for r, d in zip(hit, nudge)], [r["steps_to_99"] for r in hit],
                      s=12, **style)
        for (T, budget), missed in misses.items():  # one cross per budget, with the count of runs it stands for
            right.scatter([T + spread], [budget], marker="x", s=16, color=style["color"])
            right.annotate(str(len(missed)), (T + spread, budget), xytext=(0, 4), textcoords="offset points",
                           ha="center", fontsize=7, color=style["color"])
    left.axhline(CHANCE * 100, ls="--", color="gray", lw=0.8, label="chance (10%)")
    left.set(ylabel="final test accuracy (%)", ylim=(0, 104), title="accuracy")
    budget = {T: max(r["max_steps"] for r in records if r["seq_length"] == T) for T in lengths}
    right.plot(lengths, [budget[T] for T in lengths], "_", color="gray", ms=14, mew=1.2, label="step budget")
    right.set(ylabel="steps to 99% (log)", yscale="log", title="steps to 99% validation accuracy (x: never)")
    right.set_ylim(top=max(budget.values()) * 1.4)  # room for the counts above the crosses
    _plain_log_labels(right, DOUBLING)
    for ax in (left, right):
        _lengths_axis(ax, lengths)
    legend_below(fig, (left, right), ncol=len(models) + 2)
    return fig


def learning_curves(results: list[dict]):
    """One column per length T: validation accuracy (top) and training loss (bottom, log scale) against step (log
    scale), one line per run, in its model's colour (as in the other figures of Part I). Lengths at which every
    run learned at the first evaluation have no curve to show and no column (``lib.sweeps.curve_lengths``)."""
    from .sweeps import curve_lengths

    lengths = curve_lengths(results)
    fig, axes = plt.subplots(2, len(lengths), figsize=(WIDTH, 3.0), sharex=True, sharey="row", squeeze=False)
    for (top, bottom), T in zip(axes.T, lengths):
        for model in models_in(results):
            for k, r in enumerate(r for r in results if r["model"] == model and r["seq_length"] == T):
                steps = [p["step"] for p in r["curves"]]
                style = dict(color=MODELS[model].colour, alpha=0.8, lw=1.0, label=None if k else MODELS[model].label)
                top.plot(steps, [p["validation_accuracy"] * 100 for p in r["curves"]], **style)
                bottom.semilogy(steps, [p["loss"] for p in r["curves"]], **style)
        top.axhline(CHANCE * 100, ls="--", color="gray", lw=0.8)
        bottom.axhline(np.log(1 / CHANCE), ls="--", color="gray", lw=0.8)  # the loss of a uniform guess, ln 10
        top.set(title=f"T = {T}")
        bottom.set(xlabel="training step", xscale="log")  # the LSTMs learn in the first few evaluations
    axes[0][0].set_ylabel("validation accuracy (%)")
    axes[1][0].set_ylabel("training loss")
    _major_log_labels(axes[1][0])
    _plain_log_labels(axes[1][0], DOUBLING, axis="x")
    legend_below(fig, axes[0], ncol=len(models_in(results)))
    return fig


def long_memory_curves(results: list[dict]):
    """Validation accuracy against step for the long-T runs, one line each."""
    fig, ax = plt.subplots(figsize=(WIDTH * 0.5, 2.0))
    styles = dict(zip(sorted({r["seq_length"] for r in results}), ["-", "--", ":", "-."]))
    for r in results:
        start = r.get("init_from_length")
        ax.plot([p["step"] for p in r["curves"]], [p["validation_accuracy"] * 100 for p in r["curves"]],
                styles[r["seq_length"]], marker=".", ms=3, color=MODELS[r["model"]].colour,
                label=f"{MODELS[r['model']].label}, T={r['seq_length']}" + (f", from T={start}" if start else ""))
    ax.axhline(CHANCE * 100, ls="--", color="gray", lw=0.8)
    ax.set(xlabel="training step", ylabel="validation accuracy (%)", ylim=(0, 104))
    ax.legend()
    return fig


def lr_study(records: list[dict]):
    """Final validation accuracy against the learning rate, one panel per T: mean over seeds, and each seed."""
    lengths = sorted({r["seq_length"] for r in records})
    fig, axes = plt.subplots(1, len(lengths), figsize=(min(WIDTH, WIDTH * 0.5 * len(lengths)), 2.3), sharey=True,
                             squeeze=False)
    for ax, T in zip(axes[0], lengths):
        for model in models_in(records):
            groups = _by([r for r in records if r["model"] == model and r["seq_length"] == T], "lr")
            rates = sorted(lr for (lr,) in groups)
            accs = [np.array([r["validation_accuracy"] for r in groups[(lr,)]]) * 100 for lr in rates]
            ax.semilogx(rates, [a.mean() for a in accs], "o-", ms=3.5, **_style(model))
            for lr, a in zip(rates, accs):
                ax.scatter([lr] * len(a), a, s=7, color=MODELS[model].colour, alpha=0.6, linewidths=0)
        ax.axhline(CHANCE * 100, ls="--", color="gray", lw=0.8)
        ax.set(xlabel="RMSProp learning rate", title=f"T = {T}", ylim=(0, 104))
        ax.set_xticks(sorted({r["lr"] for r in records}), [f"{lr:g}" for lr in sorted({r["lr"] for r in records})])
        ax.minorticks_off()
    axes[0][0].set_ylabel("final validation accuracy (%)")
    axes[0][0].legend(loc="lower left")
    return fig


def gradient_flow(flows: dict[str, dict[str, dict]], seq_length: int):
    """Three panels: ||dL/dh_t|| against t at initialisation and after training (log scale), and how well a
    linear read-out names the first digit from the state at each t, after training (solid) and at
    initialisation (dashed), wider where they lie under others. ``flows[moment][model]`` is
    ``lib.recurrent_measure.gradient_flow``'s record, moment "init" or "trained", and optionally "failed": a seed
    of the same model that did not learn, dotted beside the trained one."""
    fig, axes = plt.subplots(1, 3, figsize=(WIDTH, 2.2))
    for ax, moment, title in ((axes[0], "init", "gradient at initialisation"),
                              (axes[1], "trained", "gradient after training")):
        for model, flow in flows[moment].items():
            ax.semilogy(range(1, len(flow["norms"]) + 1), flow["norms"], "o-", ms=2, lw=1, **_style(model))
            if "cell_norms" in flow:  # the LSTM's gradient on its cell, along the path (5)
                ax.semilogy(range(1, len(flow["cell_norms"]) + 1), flow["cell_norms"], "-.", lw=1.2,
                            color=MODELS[model].colour)
        ax.set(title=title, xlabel="time step t", ylabel=r"mean gradient norm")
    if any("cell_norms" in flow for flow in flows["trained"].values()):
        axes[1].plot([], [], "o-", ms=2, lw=1, color="0.35", label=r"on $h_t$")
        axes[1].plot([], [], "-.", lw=1.2, color="0.35", label=r"on the cell $c_t$ (LSTM)")
    failed = flows.get("failed", {})
    for model, flow in failed.items():  # a seed of the same model that did not learn
        axes[1].semilogy(range(1, len(flow["norms"]) + 1), flow["norms"], ":", lw=1.2, color=MODELS[model].colour,
                         label=f"{MODELS[model].label}, a seed that failed")
        axes[2].plot(range(1, len(flow["readout"]) + 1), [100 * a for a in flow["readout"]], ":", lw=1.2,
                     color=MODELS[model].colour)
    for moment, line, meaning in (("trained", "-", "read-out after training"),
                                  ("init", "--", "read-out at initialisation")):
        for k, (model, flow) in enumerate(flows[moment].items()):  # wider first: lines that coincide stay visible
            axes[2].plot(range(1, len(flow["readout"]) + 1), [100 * a for a in flow["readout"]], line,
                         lw=max(1.0, 2.6 - 0.8 * k), color=MODELS[model].colour)
        axes[2].plot([], [], line, lw=1.2, color="0.35", label=meaning)  # the line style's meaning, in the legend
    axes[2].axhline(10, color="grey", lw=0.8, label="chance, 10%")
    axes[2].set(title="first digit read from the state", xlabel="time step t", ylabel="test palindromes (%)",
                ylim=(0, 109))  # room above 100%, where the trained read-outs lie, so they do not merge with the frame
    for ax in axes[:2]:
        _major_log_labels(ax)
    legend_below(fig, [axes[1], axes[2]], ncol=3)
    return fig


def _major_log_labels(ax) -> None:
    """Label a log axis at its powers of ten only: the minor labels of a short range overlap."""
    from matplotlib.ticker import LogLocator, NullFormatter

    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _plain_log_labels(ax, ticks, axis: str = "y") -> None:
    """Label a short log axis ("x" or "y") at ``ticks`` (those within its limits), in plain numbers: its powers
    of ten alone would be one or two labels."""
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    low, high = getattr(ax, f"get_{axis}lim")()
    scale = getattr(ax, f"{axis}axis")
    scale.set_major_locator(FixedLocator([t for t in ticks if low <= t <= high]))
    scale.set_major_formatter(ScalarFormatter())
    scale.set_minor_formatter(NullFormatter())


ONE_TWO_FIVE = [m * 10.0 ** k for k in range(-3, 7) for m in (1, 2, 5)]  # a distance over a decade or two
DOUBLING = [25 * 2 ** k for k in range(16)]  # step counts: 25, 50, 100, 200, ...


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


def image_grid(images, ncols: int = 5, titles: list[str] | None = None, size: float = 0.9, fontsize: float = 7):
    """Images in [0, 1] (or uint8) in a grid, each with an optional title (e.g. the classifier's reading);
    ``size`` is each image's width in inches and ``fontsize`` the titles' in points."""
    images = _to_numpy_images(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * (1.25 if titles else 1.0)),
                             squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < len(images):
            ax.imshow(images[k], cmap="gray", vmin=0, vmax=1)
            if titles:
                ax.set_title(titles[k], fontsize=fontsize, pad=2)
    fig.tight_layout(pad=0.3)
    return fig


def neighbours(pictures, record: dict):
    """``lib.samples.nearest_training``'s four rows of pictures, one column per class: the closest sample
    (titled with its class and its distance to the training digit below it), then the closest test digit of
    the class (titled with its distance) above its training digit."""
    titles = ([f"{c}: {d:.1f}" for c, d in zip(record["closest_digits"], record["closest"])]
              + ["nearest"] * len(record["closest"])
              + [f"test: {d:.1f}" for d in record["closest_test"]] + ["nearest"] * len(record["closest"]))
    return image_grid(pictures, len(record["closest"]), titles, size=0.62, fontsize=9)  # shown at 3/4 width


def grids_side_by_side(grids: dict[str, tuple], ncols: int = 5, marked: dict[str, list[int]] | None = None):
    """The 25-sample grids of each moment side by side, each image titled with the classifier's reading:
    ``grids[moment] = (images (25, ...), titles, heading)``; the images of ``marked[moment]`` (indices) framed in
    red, so that a reader finds the samples the text names."""
    from matplotlib.patches import Rectangle

    fig = plt.figure(figsize=(WIDTH, WIDTH / len(grids) * 1.6))
    outer = fig.add_gridspec(1, len(grids), wspace=0.08)
    for column, (moment, (images, titles, heading)) in zip(outer, grids.items()):
        images = _to_numpy_images(images)
        inner = column.subgridspec(int(np.ceil(len(images) / ncols)), ncols, wspace=0.15, hspace=0.95)
        for k, image in enumerate(images):
            ax = fig.add_subplot(inner[divmod(k, ncols)])
            ax.imshow(image, cmap="gray", vmin=0, vmax=1)
            if k in (marked or {}).get(moment, ()):
                ax.add_patch(Rectangle((-0.5, -0.5), image.shape[1], image.shape[0], fill=False, ec="red", lw=1.6))
            ax.set_title(titles[k].replace(" ", "\n", 1), fontsize=7.5, pad=1, linespacing=0.95)  # two short lines
            ax.axis("off")
        fig.add_subplot(column, frameon=False, xticks=[], yticks=[]).set_title(heading, fontsize=8.5, pad=22)
    return fig


def gan_losses(losses: list[dict]):
    """Left: both losses; right: the discriminator's mean outputs on real and generated images."""
    steps = [p["step"] for p in losses]
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH, 2.2))
    left.plot(steps, [p["loss_D"] for p in losses], lw=1, label="D: -log D(x) - log(1 - D(G(z)))")
    left.plot(steps, [p["loss_G"] for p in losses], lw=1, label="G: -log D(G(z))")
    left.axhline(2 * np.log(2), ls=":", color="tab:blue", lw=0.9, label="D at the equilibrium, 2 log 2")
    left.axhline(np.log(2), ls=":", color="tab:orange", lw=0.9, label="G at the equilibrium, log 2")
    left.set(xlabel="step", ylabel="loss", title="losses")
    left.set_ylim(0.6, max(1.5, left.get_ylim()[1]))  # both equilibrium lines in view, clear of the frame
    right.plot(steps, [p["D_real"] for p in losses], lw=1, label="D(x), real")
    right.plot(steps, [p["D_fake"] for p in losses], lw=1, label="D(G(z)), generated")
    right.axhline(0.5, ls=":", color="gray", label="equilibrium, 1/2")
    right.set(xlabel="step", ylabel="mean output of D", ylim=(0, 1), title="the discriminator's outputs")
    fig.tight_layout()
    for ax in (left, right):  # each panel's legend under it: the two panels share colours, not meanings
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False, handlelength=2.2, fontsize="small")
    return fig


def gan_quality(evals: list[dict], baseline: dict):
    """IS and Fréchet distance to the validation digits during training beside the real baseline at the same
    sample size (dashed), and D's mean output on training and held-out (validation) digits."""
    steps = [e["step"] for e in evals]
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(WIDTH, 2.3))
    left.plot(steps, [e["inception_score"] for e in evals], "o-", ms=2.5, lw=1, label="generated")
    left.axhline(baseline["inception_score"], ls="--", color="tab:green", label="real test digits")
    left.set(xlabel="step", ylabel="classifier IS (at most 10)", title="Inception score")
    middle.semilogy(steps, [e["frechet_distance_validation"] for e in evals], "o-", ms=2.5, lw=1, label="generated")
    middle.axhline(baseline["frechet_distance_validation"], ls="--", color="tab:green", label="real test digits")
    middle.set(xlabel="step", ylabel="FD to validation digits", title="Fréchet distance (log scale)")
    _plain_log_labels(middle, ONE_TWO_FIVE)
    right.plot(steps, [e["D_train"] for e in evals], "o-", ms=2.5, lw=1, label="training digits")
    right.plot(steps, [e["D_validation"] for e in evals], "s--", ms=2.5, lw=1, label="validation digits")
    if all("D_generated" in e for e in evals):  # the same state of D on the raw generator's samples
        right.plot(steps, [e["D_generated"] for e in evals], "^:", ms=2.5, lw=1, color="tab:red",
                   label="generated (raw G)")
    right.set(xlabel="step", ylabel="mean output of D", ylim=(0, 1), title="D's mean output")
    fig.tight_layout()
    for ax in (left, middle, right):  # under each panel, off the curves and the baselines
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False, fontsize=7)
    return fig


def ablation(rows: dict[str, dict]):
    """One bar per configuration, labelled with its CPU minutes: IS relative to real data (left) and Fréchet
    distance to the validation digits relative to new (test) digits' (right); the dashed line is real data."""
    names = [f"{textwrap.fill(name, 26)}\n({row['CPU minutes']:.1f} min)" for name, row in rows.items()]
    fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 0.6 + 0.4 * len(rows)), sharey=True)
    for ax, key, xlabel in ((axes[0], "IS / real", "Inception score / real"),
                            (axes[1], "Fréchet / real", "Fréchet distance to validation digits / real")):
        y = np.arange(len(rows))
        ax.barh(y, [row[key] for row in rows.values()], height=0.6, color="tab:blue")
        ax.axvline(1, ls="--", color="tab:green", lw=0.8)
        ax.set(xlabel=xlabel, yticks=y, yticklabels=names)
        ax.invert_yaxis()
    fig.tight_layout()
    return fig


def sample_rows(rows: dict[str, object], size: float = 0.5):
    """One row of images per name, ``rows[name]`` (N, 1, 28, 28) in [0, 1], the name to its left: samples of
    several generators from the same noise, one generator per row."""
    n = max(len(images) for images in rows.values())
    fig, axes = plt.subplots(len(rows), 1, figsize=(WIDTH, len(rows) * size + 0.1), squeeze=False)
    for ax, (name, images) in zip(axes[:, 0], rows.items()):
        # nearest: the pixels as drawn, and a third of the smoothed file, since the template's speckle defeats PNG
        ax.imshow(tile(images, n), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_ylabel(textwrap.fill(name, 30), rotation=0, ha="right", va="center", fontsize=9)
        for side in ax.spines.values():
            side.set_visible(False)
    fig.subplots_adjust(left=0.25, right=0.99, top=0.99, bottom=0.01, hspace=0.08)
    return fig


def class_histogram(generated: list[float], real: list[float]):
    fig, ax = plt.subplots(figsize=(WIDTH * 0.5, 1.9))
    digits = np.arange(10)
    ax.bar(digits - 0.2, np.array(generated) * 100, width=0.4, label="generated")
    ax.bar(digits + 0.2, np.array(real) * 100, width=0.4, label="real test digits")
    ax.axhline(100 / len(digits), ls="--", color="gray", lw=0.8, zorder=3, label="equal shares (10%)")
    ax.set(xticks=digits, xlabel="digit the classifier reads", ylabel="share of samples (%)")
    ax.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, 1.25), fontsize=7, handlelength=1.2,
              columnspacing=0.8)
    return fig


def interpolation_rows(rows: dict[str, tuple], size: float = 0.66):
    """One row of images per path: ``rows[label] = (images (N, 28, 28), probs (N, 10))``, each image titled
    with the digit the classifier reads and its confidence, each column named by its place t on the path."""
    from fractions import Fraction

    ncols = max(len(images) for images, _ in rows.values())
    fig, axes = plt.subplots(len(rows), ncols, figsize=(ncols * size + 0.8, len(rows) * size * 1.25 + 0.2),
                             squeeze=False)
    for k, ax in enumerate(axes[-1]):
        ax.text(0.5, -0.08, f"t = {Fraction(k, ncols - 1)}", transform=ax.transAxes, ha="center", va="top",
                fontsize=8)
    for ax_row, (label, (images, probs)) in zip(axes, rows.items()):
        images = _to_numpy_images(images)
        for k, ax in enumerate(ax_row):
            ax.axis("off")
            if k < len(images):
                ax.imshow(images[k], cmap="gray", vmin=0, vmax=1)
                p = np.asarray(probs[k])
                ax.set_title(f"{p.argmax()} ({p.max():.0%})", fontsize=8, pad=1.5)
        ax_row[0].text(-0.12, 0.5, label, transform=ax_row[0].transAxes, ha="right", va="center", fontsize=8)
    fig.tight_layout(pad=0.2, h_pad=0.4, w_pad=0.2)
    return fig


def interpolation_diagnostics(paths: dict[str, dict], classes: tuple[int, int]):
    """Left: the classifier's probability of each endpoint's class along each path. Right: the latent norm."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(WIDTH, 2.4))
    for (mode, info), colour, hollow in zip(paths.items(), ["tab:blue", "tab:orange"], [False, True]):
        probs, t = np.asarray(info["probs"]), np.linspace(0, 1, len(info["probs"]))
        marks = dict(color=colour, ms=4 if hollow else 3, mfc="none" if hollow else colour, clip_on=False)
        # the second path's markers hollow and larger, so that where the two paths coincide both stay visible
        left.plot(t, probs[:, classes[0]], "o-", label=f"{mode}: p({classes[0]})", **marks)
        left.plot(t, probs[:, classes[1]], "s--", label=f"{mode}: p({classes[1]})", **marks)
        right.plot(t, info["norms"], "o-", label=f"{mode}: ||z||", **marks)
    left.set(xlabel="position t along the path", ylabel="classifier probability", ylim=(-0.04, 1.06))
    right.set(xlabel="position t along the path", ylabel="||z||")
    legend_below(fig, (left, right), ncol=6)
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
