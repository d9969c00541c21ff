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
