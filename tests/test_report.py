"""Sentences and tables built from outputs, on hand-made records: every wording the numbers can choose."""
from lib.report import headline, sweep_table


def runs(model, accuracies_by_T, encoding="onehot"):
    """Records as lib.recurrent_train writes them: one per (T, seed)."""
    return [dict(model=model, seq_length=T, seed=seed, encoding=encoding, test_accuracy=acc,
                 steps_to_99=100 if acc >= 0.99 else None, max_steps=1000)
            for T, accs in accuracies_by_T.items() for seed, acc in enumerate(accs)]


def test_headline_when_every_length_is_learned_and_when_none_is():
    text = headline(runs("lstm", {5: [1, 1, 1], 50: [0.995, 1, 0.99]}) + runs("rnn", {5: [0.5, 0.2, 0.3], 50: [0.1, 0.1, 0.1]}))
    assert text == ("The LSTM reached 99% on every seed at every T tried, up to 50; the vanilla RNN reached 99% on "
                    "every seed at none of the lengths tried; at T = 5 its mean was 33.3% (worst seed 20.0%), and its mean "
                    "fell below 50% from T = 5 (3 seeds at each length).")


def test_headline_with_a_failure_then_a_gap_in_the_middle():
    text = headline(runs("rnn", {5: [1, 1], 10: [1, 0.98], 15: [0.7, 0.2], 20: [1, 1]}))
    assert text == ("The vanilla RNN reached 99% on every seed at every T up to 5; at T = 10 its mean was 99.0% (worst "
                    "seed 98.0%), though every seed learned again at T = 20, and its mean fell below 50% from T = 15 "
                    "(2 seeds at each length).")


def test_headline_counts_the_fewest_seeds_and_puts_the_lstm_first():
    text = headline(runs("rnn", {5: [1, 1, 1]}) + runs("lstm", {5: [1, 1]}))
    assert text.startswith("The LSTM") and text.endswith("(2 seeds at each length).")


def test_sweep_table_shows_spread_learned_seeds_and_budget():
    table = sweep_table(runs("lstm", {20: [1, 0.5, 0.995]}))
    row = table.loc[("lstm", 20)]
    assert row["worst seed"] == 0.5 and row["best seed"] == 1 and row["learned"] == "2/3"
    assert row["median steps to 99%"] == 100 and row["budget"] == 1000
    both = sweep_table(runs("lstm", {20: [1]}) + runs("lstm", {20: [0.2]}, encoding="scalar"))
    assert list(both.index.names) == ["model", "encoding", "seq_length"]


def rung(is_ratio, fd_ratio, salt, gap, cpu_seconds):
    return dict(final=dict(inception_score=9.6 * is_ratio, frechet_distance=10 * fd_ratio, salt_noise=salt, D_gap=gap,
                           class_histogram=[0.1] * 10),
                real_baseline=dict(inception_score=9.6, frechet_distance=10), config=dict(steps=100),
                train_seconds=cpu_seconds / 2, eval_seconds=0, cpu_seconds=cpu_seconds)


def test_ablation_findings_compare_only_the_rungs_that_were_trained():
    from lib.report import ablation_findings

    rungs = dict(template=rung(0.8, 9.0, 1.5, 0.30, 600), **{"template+ema": rung(0.81, 8.5, 0.05, 0.30, 600)},
                 recipe=rung(0.92, 1.5, 0.07, 0.01, 1200), **{"recipe-conv": rung(0.97, 0.9, 0.01, 0.0, 3600)})
    text = ablation_findings(rungs)
    assert "Salt noise (isolated bright pixels per image): 1.500 for `template`, 0.050 for `template+ema`." in text
    assert "Inception score relative to real data: 80.0% for `template`, 92.0% for `recipe`." in text
    assert "The conv pair on the same recipe: IS 97.0% and Fréchet 0.90x of real in 60 CPU minutes, against 92.0% " \
           "and 1.50x in 20 for the template's MLP." in text
    assert "held-out" not in text, "no augmentation rung was trained: no sentence about it"
    assert ablation_findings(dict(recipe=rungs["recipe"])) == ""
