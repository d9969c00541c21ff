import time

import pytest
import torch

from lib.palindrome import PalindromeDataset
from lib.recurrent import LSTM, load_checkpoint
from lib.recurrent_train import (RecurrentConfig, StepBudget, checkpoint, learned, read_metrics, save_metrics, train,
                                 train_many)
from lib.runs import load_torch


def test_lstm_learns_T5_within_1500_steps(tmp_path):
    config = RecurrentConfig(model="lstm", seq_length=5, max_steps=1500, seed=0)
    result = train(config, tmp_path, progress=False)
    assert result["test_accuracy"] >= 0.99 and result["steps"] <= 1500
    assert result["steps_to_99"] is not None and result["steps_to_99"] <= result["steps"]
    model = load_checkpoint(checkpoint(tmp_path, result), device="cpu")
    assert isinstance(model, LSTM) and not model.training
    digits, targets = PalindromeDataset(5).test_set(500, seed=99)  # palindromes it was never tested on
    assert (model.predict_digits(digits) == targets).float().mean() >= 0.99


def test_scalar_encoding_trains_and_predicts(tmp_path):
    result = train(RecurrentConfig(model="rnn", seq_length=3, encoding="scalar", max_steps=60, eval_every=20),
                   tmp_path, progress=False)
    model = load_checkpoint(checkpoint(tmp_path, result), device="cpu")
    assert model.input_dim == 1 and model.predict_digits(torch.tensor([[4, 7]])).shape == (1,)


def test_checkpoint_round_trip(tmp_path):
    config = RecurrentConfig(model="lstm", seq_length=6, forget_bias_init="chrono", max_steps=30, eval_every=10)
    result = train(config, tmp_path, progress=False)
    path = checkpoint(tmp_path, result)
    model, state = load_checkpoint(path, device="cpu"), load_torch(path)
    assert model.forget_bias_init == "chrono" and model.seq_length == 6
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, state["model_state"][name])


def test_interrupted_run_resumes_to_the_same_state(tmp_path):
    config = RecurrentConfig(model="lstm", seq_length=8, max_steps=120, eval_every=25, target_accuracy=1.0)
    whole = train(config, tmp_path / "whole", progress=False)
    assert train(config, tmp_path / "resumed", progress=False, stop_after=63) is None  # killed at step 63
    saved = load_torch(checkpoint(tmp_path / "resumed", whole))
    assert saved["train_state"]["step"] == 50  # the last evaluation before the kill
    resumed = train(config, tmp_path / "resumed", progress=False)
    assert resumed["curves"] == whole["curves"] and resumed["steps"] == whole["steps"] == 120
    a = load_torch(checkpoint(tmp_path / "whole", whole))
    b = load_torch(checkpoint(tmp_path / "resumed", resumed))
    for name, tensor in a["model_state"].items():
        assert torch.equal(tensor, b["model_state"][name])


def test_a_warm_start_begins_from_the_finished_shorter_run_and_needs_it_finished(tmp_path):
    from lib.runs import run_name

    short = RecurrentConfig(model="lstm", seq_length=4, max_steps=20, eval_every=10, forget_bias_init="chrono")
    longer = RecurrentConfig(model="lstm", seq_length=7, max_steps=1, eval_every=1, forget_bias_init="chrono",
                             init_from=run_name(short.name, short))
    with pytest.raises(FileNotFoundError, match=r"init_from: the run lstm_T4_seed0-\w+ has not finished"):
        train(longer, tmp_path, progress=False)
    assert not (tmp_path / "runs").exists() or [p.name for p in (tmp_path / "runs").iterdir()] == []
    first = train(short, tmp_path, progress=False)
    result = train(longer, tmp_path, progress=False)
    assert result["init_from_length"] == 4 and first["init_from_length"] is None
    start, warmed = load_torch(checkpoint(tmp_path, first))["model_state"], load_torch(checkpoint(tmp_path, result))
    assert warmed["optimizer_state"]["state"][0]["step"] == 1, "a fresh optimiser, one step taken"
    moved = max((warmed["model_state"][name] - tensor).abs().max().item() for name, tensor in start.items())
    assert 0 < moved < 0.05, "one small RMSProp step away from the shorter run's weights, not a fresh initialisation"


def test_finished_run_is_reused_unless_retrained_and_then_retrained_once(tmp_path):
    config = RecurrentConfig(model="rnn", seq_length=4, max_steps=40, eval_every=20)
    first = train(config, tmp_path, progress=False)
    result_file = checkpoint(tmp_path, first).with_name("result.json")
    stamp = result_file.stat().st_mtime_ns
    assert train(config, tmp_path, progress=False) == first and result_file.stat().st_mtime_ns == stamp
    since = time.time()
    train(config, tmp_path, progress=False, retrain_before=since)
    retrained = result_file.stat().st_mtime_ns
    assert retrained != stamp
    train(config, tmp_path, progress=False, retrain_before=since)  # listed again by the same notebook run
    assert result_file.stat().st_mtime_ns == retrained, "a run retrained since `since` is reused"


def test_parallel_runs_come_back_in_order_and_metrics_keep_one_record_per_run(tmp_path):
    base = dict(max_steps=20, eval_every=10, hidden_dim=16)
    configs = [RecurrentConfig(model=m, seq_length=T, seed=s, **base) for m in ("rnn", "lstm") for T in (3, 4)
               for s in (0, 1)]
    results = train_many(configs, tmp_path, workers=2, progress=False)
    assert [(r["model"], r["seq_length"], r["seed"]) for r in results] == [
        (c.model, c.seq_length, c.seed) for c in configs]
    assert {r["init"] for r in results if r["model"] == "rnn"} == {None}
    metrics = save_metrics(tmp_path, dict(sweep=results, gradient=results[:2]), note="kept as it is")
    assert read_metrics(tmp_path) == metrics and metrics["note"] == "kept as it is"
    assert len(metrics["runs"]) == len(configs), "a run listed in two groups is recorded once, in the first"
    assert all(r["group"] == "sweep" and "curves" not in r for r in metrics["runs"])
    assert all({"max_steps", "target_accuracy", "patience", "steps_to_99"} <= r.keys() for r in metrics["runs"])


def test_metrics_of_a_notebook_that_has_not_run_say_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="make all"):
        read_metrics(tmp_path)


def test_budget_grows_with_T_and_never_gives_the_rnn_less():
    budget = StepBudget(base=300, per_length=10, rnn_factor=2)
    assert budget.steps("lstm", 50) == 800 and budget.steps("rnn", 50) == 1600
    assert StepBudget(300, 10).steps("rnn", 50) == StepBudget(300, 10).steps("lstm", 50)
    for factor in (0.5, 0.99, 0, -1, True, "2"):
        with pytest.raises(ValueError, match="rnn_steps_factor must be a number >= 1, so that the RNN never gets fewer"):
            StepBudget(300, 10, factor)


def test_learned_is_the_99_percent_rule():
    assert learned(dict(test_accuracy=0.99)) and learned(dict(test_accuracy=1.0))
    assert not learned(dict(test_accuracy=0.989))


def test_T500_trains_without_overflow_in_bounded_memory(tmp_path):
    import resource

    config = RecurrentConfig(model="lstm", seq_length=500, forget_bias_init="chrono", max_steps=3, eval_every=3,
                             test_size=64, batch_size=32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = train(config, tmp_path, progress=False)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result["steps"] == 3 and 0 <= result["test_accuracy"] <= 1
    assert all(torch.isfinite(torch.tensor(c["loss"])) for c in result["curves"])
    model = load_checkpoint(checkpoint(tmp_path, result), device="cpu")
    assert all(torch.isfinite(p).all() for p in model.parameters())
    # the BPTT buffers at T = 500, batch 32, hidden 128: about 500 x 32 x (4 x 3 + 2) x 128 floats = 110 MB
    assert grown_mib < 600, f"resident memory grew by {grown_mib:.0f} MiB"


@pytest.mark.parametrize("bad, name", [
    (dict(seq_length=1), "seq_length"), (dict(seq_length=7.5), "seq_length"), (dict(model="gru"), "model"),
    (dict(forget_bias_init="big"), "forget_bias_init"), (dict(max_steps=0), "max_steps"),
    (dict(learning_rate=0), "learning_rate"), (dict(learning_rate=-1.0), "learning_rate"),
    (dict(encoding="binary"), "encoding"), (dict(batch_size=0), "batch_size"),
])
def test_bad_parameters_are_rejected_before_training(bad, name, tmp_path):
    with pytest.raises(ValueError, match=name):
        train(RecurrentConfig(**bad), tmp_path)
    assert not any(tmp_path.iterdir())
