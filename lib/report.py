"""Tables and sentences built from the runs' outputs, for the notebooks, the report and the README.

Nothing here holds a result: every number comes from a metrics file passed in,
and every sentence that states an outcome is chosen by the numbers.
"""
from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from . import gan_train, latent, recurrent_train, samples
from .params import GANTrainParams, LSTMParams, SamplesParams
from .recurrent_train import LEARNED, learned
from .runs import load_json, project_path

GAN_GOALS = dict(is_fraction=0.95, fd_multiple=3.0, salt_noise=0.1, class_low=0.07, class_high=0.13)


# What each notebook leaves for the report: its folder, and the file and its reader from the module that
# owns the format. `make bench` leaves bench.json (bench/run.py) beside them.
OUTPUTS = dict(lstm=(LSTMParams.FOLDER, recurrent_train.METRICS, recurrent_train.read_metrics),
               gan=(GANTrainParams.FOLDER, gan_train.METRICS, gan_train.read_metrics),
               ablation=(GANTrainParams.FOLDER, gan_train.ABLATION, gan_train.read_ablation),
               interpolation=(SamplesParams.FOLDER, latent.INTERPOLATION, latent.read_interpolation),
               grids=(SamplesParams.FOLDER, samples.GRIDS, samples.read_grids))
BENCH = "bench.json"
OUTPUT_FILES = {key: f"{folder}/{name}" for key, (folder, name, _) in OUTPUTS.items()} | dict(bench=BENCH)


def read_outputs(root: str | Path) -> dict:
    """Every output of OUTPUTS (and bench.json) found under ``root``, by its key."""
    root = project_path(root)
    found = {key: read(root / folder) for key, (folder, name, read) in OUTPUTS.items()
             if (root / folder / name).exists()}
    return found | ({"bench": load_json(root / BENCH)} if (root / BENCH).exists() else {})


def figure_markdown(path: str | Path, caption: str) -> str:
    """A figure as Markdown: the PNG at ``path`` inlined as a data URI, so that it shows wherever the
    notebook is opened, with ``caption`` (tools.report turns it back into a file)."""
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f"![{caption}](data:image/png;base64,{data})"


def table_markdown(frame: pd.DataFrame, caption: str) -> str:
    """A table with its caption above it, as Markdown that every format of the report keeps a table."""
    return f"*{caption}*\n\n{markdown_table(frame)}"


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a GitHub-flavoured Markdown table (index included when named)."""
    frame = frame.reset_index() if any(frame.index.names) else frame
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


# ---------------------------------------------------------------- Part I

def runs_of(metrics: dict, group: str) -> list[dict]:
    return [r for r in metrics["runs"] if r["group"] == group]


def _steps_or_never(steps) -> int | str:
    """Steps to 99% for a table cell: None or NaN (never reached) reads "never"."""
    return "never" if steps is None or pd.isna(steps) else int(steps)


def gradient_ratios(metrics: dict) -> dict[str, float]:
    """Per model, ||dL/dh_1|| / ||dL/dh_(T-1)|| in 01's gradient-flow measurement."""
    return {model: norms[0] / norms[-1] for model, norms in metrics["gradient_flow"]["norms"].items()}


def sweep_table(records: list[dict]) -> pd.DataFrame:
    """Per model (and encoding, when there are several) and T: test accuracy over seeds (mean, worst,
    best), how many seeds learned, the median steps to 99%, and the step budget."""
    frame = pd.DataFrame(records)
    keys = ["model", "encoding", "seq_length"] if frame.encoding.nunique() > 1 else ["model", "seq_length"]
    grouped = frame.groupby(keys)
    table = grouped.test_accuracy.agg(["mean", "min", "max"]).rename(
        columns={"mean": "mean acc", "min": "worst seed", "max": "best seed"})
    table["learned"] = grouped.test_accuracy.apply(lambda s: f"{(s >= LEARNED).sum()}/{len(s)}")
    table["median steps to 99%"] = grouped.steps_to_99.median().map(_steps_or_never)
    table["budget"] = grouped.max_steps.max()
    return table.round(3)


RUN_COLUMNS = ["model", "seq_length", "encoding", "init", "seed", "lr", "steps", "test_accuracy", "steps_to_99",
               "wall_seconds"]


def runs_table(records: list[dict], columns: list[str] = RUN_COLUMNS) -> pd.DataFrame:
    """Runs as a table, one row each; a run that never reached 99% says so."""
    table = pd.DataFrame(records).reindex(columns=columns)  # runs from before a field existed lack it
    if "init_from_length" in columns:
        table["init_from_length"] = table["init_from_length"].astype("Int64")  # a length, or missing
    if "steps_to_99" in columns:
        table["steps_to_99"] = table["steps_to_99"].map(_steps_or_never)
    return table.round({"test_accuracy": 3})


MODEL_NAMES = {"lstm": "LSTM", "rnn": "vanilla RNN"}


def _model_sentence(model: str, by_length: dict[int, list[dict]]) -> str:
    """What one model did across T, by the one rule of ``lib.recurrent_train.learned``."""
    lengths = sorted(by_length)
    every = {T: all(learned(r) for r in by_length[T]) for T in lengths}
    mean = {T: sum(r["test_accuracy"] for r in by_length[T]) / len(by_length[T]) for T in lengths}
    failed = [T for T in lengths if not every[T]]
    name = f"the {MODEL_NAMES[model]}"
    if not failed:
        return f"{name} reached {LEARNED:.0%} on every seed at every T tried, up to {lengths[-1]}"
    first = failed[0]
    prefix = [T for T in lengths if T < first]
    text = (f"{name} reached {LEARNED:.0%} on every seed at every T up to {prefix[-1]}" if prefix else
            f"{name} reached {LEARNED:.0%} on every seed at none of the lengths tried")
    worst = min(r["test_accuracy"] for r in by_length[first])
    text += f"; at T = {first} its mean was {mean[first]:.1%} (worst seed {worst:.1%})"
    again = [T for T in lengths if T > first and every[T]]
    if again:
        text += f", though every seed learned again at T = {', '.join(map(str, again))}"
    below_half = [T for T in lengths if mean[T] < 0.5]
    if below_half:
        text += f", and its mean fell below 50% from T = {below_half[0]}"
    return text


def headline(records: list[dict]) -> str:
    """The sweep's result in one sentence, LSTM first: up to which T every seed learned, where that
    stopped and how far the mean fell. ``records`` are sweep runs of one encoding."""
    models = [m for m in MODEL_NAMES if any(r["model"] == m for r in records)]
    sentences = []
    for model in models:
        by_length = {}
        for r in records:
            if r["model"] == model:
                by_length.setdefault(r["seq_length"], []).append(r)
        sentences.append(_model_sentence(model, by_length))
    seeds = min(len({r["seed"] for r in records if r["model"] == m and r["seq_length"] == T})
                for m in models for T in {r["seq_length"] for r in records if r["model"] == m})
    text = "; ".join(sentences) + f" ({seeds} seeds at each length)."
    return text[0].upper() + text[1:]


def sweep_headline(metrics: dict) -> str:
    """``headline`` of the sweep's first (main) encoding."""
    encoding = metrics["parameters"]["encodings"][0]
    return headline([r for r in runs_of(metrics, "sweep") if r["encoding"] == encoding])


def part1_summary(metrics: dict) -> str:
    p = metrics["parameters"]
    lines = [f"**{sweep_headline(metrics)}**", ""]
    for encoding in sorted({r["encoding"] for r in runs_of(metrics, "check")}):
        runs = [r for r in runs_of(metrics, "check") if r["encoding"] == encoding]
        accs = [r["test_accuracy"] for r in runs]
        lines.append(f"- **T = 5, LSTM, course defaults, {encoding} input**: test accuracy "
                     f"{min(accs):.1%}-{max(accs):.1%} over {len(runs)} seeds, "
                     f"after at most {max(r['steps'] for r in runs):,} steps.")
    budget = p["step_budget"]
    lines.append(f"- **Sweep**: {p['encodings'][0]} input, RMSProp learning rate {p['lstm_learning_rate']:g} for the LSTM "
                 f"and {p['rnn_learning_rate']:g} for the RNN, LSTM forget-gate "
                 f"init '{p['forget_bias_init']}'; at length T each run may take {budget['base']:,} + "
                 f"{budget['per_length']} T steps" + (f" (the RNN {budget['rnn_factor']:g} times that)"
                                                      if budget["rnn_factor"] != 1 else " (both models alike)")
                 + ", and stops once it has learned.")
    for T in sorted({r["seq_length"] for r in runs_of(metrics, "long")}):  # warm-started lengths too
        parts = []
        for r in (r for r in runs_of(metrics, "long") if r["seq_length"] == T):
            reached = (f"reached {LEARNED:.0%} at step {r['steps_to_99']:,}" if r["steps_to_99"]
                       else f"never reached {LEARNED:.0%}")
            start = f", started from the T = {r['init_from_length']} run" if r.get("init_from_length") else ""
            parts.append(f"{r['init']} init (seed {r['seed']}{start}): {r['test_accuracy']:.1%} after "
                         f"{r['steps']:,} steps, {reached} ({r['wall_seconds'] / 60:.1f} min)")
        lines.append(f"- **LSTM at T = {T}**: " + "; ".join(parts) + ".")
    flow = metrics["gradient_flow"]
    lines.append(f"- **Gradient reaching step 1 relative to step T-1** at T = {flow['seq_length']}: " +
                 ", ".join(f"{m.upper()} {ratio:.1e}" for m, ratio in gradient_ratios(metrics).items()) + ".")
    training_minutes = sum(r["wall_seconds"] for r in metrics["runs"]) / 60
    lines.append(f"- Training time summed over the {len(metrics['runs'])} runs: {training_minutes:.1f} min. "
                 f"This execution of the notebook took {metrics['notebook_seconds'] / 60:.1f} min "
                 "(finished runs are reused).")
    return "\n".join(lines)


def lr_study_table(records: list[dict]) -> pd.DataFrame:
    """The learning-rate study: per model, T and rate, the mean and worst final accuracy and the seeds learned."""
    frame = pd.DataFrame(records)
    grouped = frame.groupby(["model", "seq_length", "lr"])
    table = grouped.test_accuracy.agg(["mean", "min"]).rename(columns={"mean": "mean acc", "min": "worst seed"})
    table["learned"] = grouped.test_accuracy.apply(lambda s: f"{(s >= LEARNED).sum()}/{len(s)}")
    table["median steps to 99%"] = grouped.steps_to_99.median().map(_steps_or_never)
    return table.round(3)


# ---------------------------------------------------------------- Part II

def gan_quality_table(metrics: dict) -> pd.DataFrame:
    """The final generated sample against the real baseline and the project's quality goals."""
    final, real, goals = metrics["final"], metrics["real_baseline"], GAN_GOALS
    hist, real_hist = final["class_histogram"], real["class_histogram"]
    rows = [
        ("classifier Inception score", final["inception_score"], real["inception_score"],
         f">= {goals['is_fraction']:.0%} of real = {goals['is_fraction'] * real['inception_score']:.2f}",
         final["inception_score"] >= goals["is_fraction"] * real["inception_score"]),
        ("Fréchet distance (classifier features)", final["frechet_distance"], real["frechet_distance"],
         f"<= {goals['fd_multiple']:g} x real = {goals['fd_multiple'] * real['frechet_distance']:.2f}",
         final["frechet_distance"] <= goals["fd_multiple"] * real["frechet_distance"]),
        ("salt noise (isolated bright pixels per image)", final["salt_noise"], real["salt_noise"],
         f"<= {goals['salt_noise']:g}", final["salt_noise"] <= goals["salt_noise"]),
        ("rarest class share", min(hist), min(real_hist), f">= {goals['class_low']:.0%}",
         min(hist) >= goals["class_low"]),
        ("commonest class share", max(hist), max(real_hist), f"<= {goals['class_high']:.0%}",
         max(hist) <= goals["class_high"]),
    ]
    table = pd.DataFrame(rows, columns=["measure", "generated", "real data", "goal", "met"]).set_index("measure")
    table["generated"], table["real data"] = table["generated"].round(3), table["real data"].round(3)
    table["met"] = table["met"].map({True: "yes", False: "no"})
    return table


def ablation_row(result: dict) -> dict:
    """One rung's measures relative to real data, its discriminator's train-test gap, and its cost."""
    final, real = result["final"], result["real_baseline"]
    hist = final["class_histogram"]
    return {"IS / real": final["inception_score"] / real["inception_score"],
            "Fréchet / real": final["frechet_distance"] / real["frechet_distance"],
            "salt noise": final["salt_noise"], "classes": f"{min(hist):.1%}-{max(hist):.1%}",
            "D train-test gap": final["D_gap"], "steps": result["config"]["steps"],
            "minutes": (result["train_seconds"] + result["eval_seconds"]) / 60,
            "CPU minutes": result["cpu_seconds"] / 60}


def ablation_table(rungs: dict[str, dict]) -> pd.DataFrame:
    """The ladder, one row per rung that has been trained (``ablation.json``, ``lib.gan_train.save_ablation``)."""
    table = pd.DataFrame({rung: ablation_row(result) for rung, result in rungs.items()}).T
    table.index.name = "rung"
    return table.astype({"IS / real": float, "Fréchet / real": float, "salt noise": float, "D train-test gap": float,
                         "minutes": float, "CPU minutes": float}).round(
        {"IS / real": 3, "Fréchet / real": 2, "salt noise": 3, "D train-test gap": 3, "minutes": 1, "CPU minutes": 1})


def recipe_text(config: dict) -> str:
    """The run's recipe in words: what it adds to the course template."""
    parts = [f"{config['variant']} networks", f"batch {config['batch_size']}",
             f"Adam {config['lr_G']:g} (G) / {config['lr_D']:g} (D)"]
    parts.append(f"EMA of G's weights, decay {config['ema_decay']:g}" if config["ema_decay"] else "no EMA")
    parts.append(f"DiffAugment ({', '.join(config['augment'])})" if config["augment"] else "no augmentation")
    return ", ".join(parts)


def part2_summary(metrics: dict) -> str:
    final, real, cfg = metrics["final"], metrics["real_baseline"], metrics["config"]
    hist = final["class_histogram"]
    quality = gan_quality_table(metrics)
    return "\n".join([
        f"- **Data**: {metrics['data']}. **Recipe**: {recipe_text(cfg)}; {cfg['steps']:,} steps in "
        f"{metrics['train_seconds'] / 60:.1f} min of training and {metrics['eval_seconds'] / 60:.1f} min of "
        f"measuring ({metrics['cpu_seconds'] / 60:.1f} CPU minutes in all).",
        f"- **Evaluator**: test accuracy {metrics['classifier']['test_accuracy']:.2%}, trained in "
        f"{metrics['classifier']['train_seconds']:.0f} s.",
        f"- **Inception score** of {final['n']:,} samples: {final['inception_score']:.2f}, "
        f"{final['inception_score'] / real['inception_score']:.1%} of the real test set's "
        f"{real['inception_score']:.2f}.",
        f"- **Fréchet distance**: {final['frechet_distance']:.2f}, {final['frechet_distance'] / real['frechet_distance']:.1f}x "
        f"the real baseline of {real['frechet_distance']:.2f}.",
        f"- **Salt noise**: {final['salt_noise']:.3f} isolated bright pixels per image (real test digits: "
        f"{real['salt_noise']:.3f}).",
        f"- **Classes**: from {min(hist):.1%} (digit {hist.index(min(hist))}) to {max(hist):.1%} "
        f"(digit {hist.index(max(hist))}).",
        f"- **The discriminator** gives training digits {final['D_train']:.2f} and held-out test digits "
        f"{final['D_test']:.2f} on average (gap {final['D_gap']:+.3f}).",
        f"- **Quality goals met**: {(quality['met'] == 'yes').sum()} of {len(quality)}.",
    ])


def interpolation_summary(record: dict) -> str:
    """Where along each path the classifier's reading changes, how unsure it gets, and the latent norm."""
    lines = []
    for mode, walk in record["modes"].items():
        probs, norms, predicted = walk["probs"], walk["latent_norms"], walk["predicted"]
        t = [k / (len(probs) - 1) for k in range(len(probs))]
        confidence = [max(p) for p in probs]
        weakest = confidence.index(min(confidence))
        changes = [k for k in range(1, len(predicted)) if predicted[k] != predicted[k - 1]]
        change_text = (f"the reading changes {len(changes)} time(s), first between t = {t[changes[0] - 1]:.2f} and "
                       f"{t[changes[0]]:.2f}" if changes else "the reading never changes")
        lines.append(f"- **{mode}**: {change_text}; the least confident frame is t = {t[weakest]:.2f} "
                     f"(read as {predicted[weakest]} at {confidence[weakest]:.1%}); the latent norm goes from "
                     f"{norms[0]:.2f} to {norms[-1]:.2f}, and is {min(norms):.2f} at its lowest.")
    return "\n".join(lines)


def bench_summary(bench: dict) -> str:
    """The benchmark's results as Markdown: the recurrent pairs' table, GAN throughput, make times."""
    env, rows = bench["environment"], bench["rows"]
    table = pd.DataFrame(rows)[["benchmark", "T", "ours_ms", "reference_ms", "ratio", "ratio_min", "ratio_max"]]
    table.columns = ["benchmark", "T", "from scratch (ms)", "PyTorch (ms)", "ratio", "min", "max"]
    lines = [f"Measured on {env['date']}: {env['cpu']}, {env['threads']} threads, torch {env['torch']}; batch "
             f"{rows[0]['B']}, hidden {rows[0]['H']}, one-hot input. Ratio = from-scratch time / PyTorch time "
             f"(`torch.nn.LSTM`/`RNN` plus a linear head), pair by pair over {bench['repeats']} interleaved "
             f"repeats: median, min and max.", "", markdown_table(table), ""]
    for variant, gan in bench["gan"].items():
        epochs = ", ".join(f"{source} {seconds:.0f} s" if seconds is not None else f"{source}: not on this machine"
                           for source, seconds in gan["seconds_per_epoch"].items())
        lines.append(f"GAN training step ({variant}, the recipe: D, G, EMA, augmentation; batch {gan['batch']}): "
                     f"{gan['steps_per_second']:.1f} steps per second; one epoch: {epochs}.")
    make = bench.get("make", {})
    if make:
        lines.append("Wall time: " + ", ".join(
            f"`make {'smoke' if key == 'smoke_seconds' else 'all'}` {seconds / 60:.1f} min"
            for key, seconds in make.items()) + " (fresh output folder, nothing reused).")
    if "part1_speed" in bench:
        study, cores = bench["part1_speed"]["study"], bench["part1_speed"]["cores"]
        table = pd.DataFrame(study)[["change", "steps_to_99", "seconds_to_99", "ms_per_step", "final_accuracy"]]
        table["steps_to_99"] = table["steps_to_99"].map(_steps_or_never)
        table["seconds_to_99"] = table["seconds_to_99"].map(lambda s: "-" if s is None or s != s else f"{s:.0f}")
        lines += ["", f"Part I's speed study: the chrono LSTM at T = 100, one change at a time, one thread, until its "
                      f"first evaluation at {LEARNED:.0%} or 3,000 steps (bench/part1_speed.py):", "",
                  markdown_table(table), "",
                  f"Sharing the cores: {cores['runs']} runs at T = 50 took {cores['seconds']['processes']:.0f} s as "
                  f"{cores['threads']} single-threaded processes side by side, and {cores['seconds']['threads']:.0f} s "
                  f"one after the other on {cores['threads']} threads."]
    return "\n".join(lines)


# ---------------------------------------------------------------- analysis sentences

def part1_findings(metrics: dict) -> str:
    """The measured facts the Part I analysis rests on, as Markdown bullets (the sweep's main encoding)."""
    encoding = metrics["parameters"]["encodings"][0]
    sweep = [r for r in runs_of(metrics, "sweep") if r["encoding"] == encoding]
    lines = []
    high = sum(r["test_accuracy"] >= LEARNED for r in sweep)
    low = sum(r["test_accuracy"] <= 0.2 for r in sweep)
    lines.append(f"- Of the {len(sweep)} sweep runs, {high} ended at or above {LEARNED:.0%} test accuracy, {low} at or "
                 f"below 20% (chance is 10%), and {len(sweep) - high - low} in between.")
    table = sweep_table(sweep)
    for model in sorted({r["model"] for r in sweep}):
        rows = table.loc[model]
        steps = ", ".join(f"T={T}: {s:,}" for T, s in rows["median steps to 99%"].items() if s != "never")
        means = ", ".join(f"T={T}: {a:.0%}" for T, a in rows["mean acc"].items())
        lines.append(f"- **{model.upper()}**: mean final accuracy {means}. Median steps to 99% where reached: "
                     f"{steps or 'never'}.")
    flow = metrics["gradient_flow"]
    ratios = gradient_ratios(metrics)
    if {"rnn", "lstm"} <= set(ratios):
        lines.append(f"- In the trained models at T = {flow['seq_length']}, the gradient reaching step 1 is "
                     f"{ratios['lstm']:.1e} times the one at the last step in the LSTM and {ratios['rnn']:.1e} times "
                     f"in the RNN; the LSTM's share is {ratios['lstm'] / ratios['rnn']:.1e} times the RNN's.")
    return "\n".join(lines)


def ablation_findings(rungs: dict[str, dict]) -> str:
    """What each step of the ablation ladder changed, as Markdown bullets, for the pairs that were trained:
    EMA against speckle, augmentation against memorisation, the recipe against the template, and the
    conv pair's quality per CPU minute."""
    rows = {rung: ablation_row(result) for rung, result in rungs.items()}
    lines = []

    def pair(a, b, key, label, fmt):
        if a in rows and b in rows:
            lines.append(f"- {label}: {fmt.format(rows[a][key])} for `{a}`, {fmt.format(rows[b][key])} for `{b}`.")

    pair("template", "template+ema", "salt noise", "Salt noise (isolated bright pixels per image)", "{:.3f}")
    pair("template", "template+augment", "D train-test gap", "D's mean output, training minus held-out digits",
         "{:+.3f}")
    pair("template", "template+augment", "Fréchet / real", "Fréchet distance relative to real data", "{:.2f}x")
    pair("template", "recipe", "IS / real", "Inception score relative to real data", "{:.1%}")
    pair("template", "recipe", "Fréchet / real", "Fréchet distance relative to real data", "{:.2f}x")
    if "recipe" in rows and "recipe-conv" in rows:
        mlp, conv = rows["recipe"], rows["recipe-conv"]
        lines.append(f"- The conv pair on the same recipe: IS {conv['IS / real']:.1%} and Fréchet {conv['Fréchet / real']:.2f}x "
                     f"of real in {conv['CPU minutes']:.0f} CPU minutes, against {mlp['IS / real']:.1%} and "
                     f"{mlp['Fréchet / real']:.2f}x in {mlp['CPU minutes']:.0f} for the template's MLP.")
    return "\n".join(lines)


def part2_findings(gan: dict, grids: dict | None) -> str:
    """The measured facts the Part II analysis rests on, as Markdown bullets."""
    losses, evals = gan["curves"]["losses"], gan["curves"]["evals"]
    tail = losses[-max(1, len(losses) // 10):]
    mean = lambda key: sum(p[key] for p in tail) / len(tail)  # noqa: E731
    lines = [f"- Over the last {len(tail) * gan['config']['log_every']:,} steps: D(x) = {mean('D_real'):.2f}, "
             f"D(G(z)) = {mean('D_fake'):.2f}, D's loss {mean('loss_D'):.3f} (2 log 2 = 1.386 at the equilibrium), "
             f"G's loss {mean('loss_G'):.3f}."]
    final_is = evals[-1]["inception_score"]
    reached = next(e["step"] for e in evals if e["inception_score"] >= 0.9 * final_is)
    lines.append(f"- The IS reached 90% of its final value ({final_is:.2f}) at step {reached:,} of "
                 f"{gan['config']['steps']:,}; between the last two measurements it moved by "
                 f"{evals[-1]['inception_score'] - evals[-2]['inception_score']:+.2f}, and the Fréchet distance by "
                 f"{evals[-1]['frechet_distance'] - evals[-2]['frechet_distance']:+.1f}.")
    if grids:
        lines.append("- The 25 grid samples, as the classifier reads them: " + "; ".join(
            f"{moment} (step {g['step']:,}): mean confidence {g['mean_confidence']:.0%}, "
            f"{len(set(g['predicted']))} different digits" for moment, g in grids.items()) + ".")
    return "\n".join(lines)
