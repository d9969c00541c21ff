import pytest
import torch

from lib.palindrome import PalindromeDataset
from lib.recurrent import LSTM, load_checkpoint
from lib.recurrent_train import RecurrentConfig, metrics_records, sweep, train
from lib.runs import load_torch


def test_lstm_learns_T5_within_1500_steps(tmp_path):
    config = RecurrentConfig(model="lstm", seq_length=5, max_steps=1500, seed=0)
    result = train(config, tmp_path, progress=False)
    assert result["test_accuracy"] >= 0.99 and result["steps"] <= 1500
    assert result["steps_to_99"] is not None and result["steps_to_99"] <= result["steps"]
    model = load_checkpoint(tmp_path / result["run_dir"] / "checkpoint.pt", device="cpu")
    assert isinstance(model, LSTM) and not model.training
    digits, targets = PalindromeDataset(5).test_set(500, seed=99)  # palindromes it was never tested on
    assert (model.predict_digits(digits) == targets).float().mean() >= 0.99


def test_scalar_encoding_trains_and_predicts(tmp_path):
    result = train(RecurrentConfig(model="rnn", seq_length=3, encoding="scalar", max_steps=60, eval_every=20),
                   tmp_path, progress=False)
    model = load_checkpoint(tmp_path / result["run_dir"] / "checkpoint.pt", device="cpu")
    assert model.input_dim == 1 and model.predict_digits(torch.tensor([[4, 7]])).shape == (1,)


def test_checkpoint_round_trip(tmp_path):
    config = RecurrentConfig(model="lstm", seq_length=6, forget_bias_init="chrono", max_steps=30, eval_every=10)
    result = train(config, tmp_path, progress=False)
    path = tmp_path / result["run_dir"] / "checkpoint.pt"
    model, state = load_checkpoint(path, device="cpu"), load_torch(path)
    assert model.forget_bias_init == "chrono" and model.seq_length == 6
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, state["model_state"][name])


def test_interrupted_run_resumes_to_the_same_state(tmp_path):
    config = RecurrentConfig(model="lstm", seq_length=8, max_steps=120, eval_every=25, target_accuracy=1.0)
    whole = train(config, tmp_path / "whole", progress=False)
    assert train(config, tmp_path / "resumed", progress=False, stop_after=63) is None  # killed at step 63
    checkpoint = load_torch(tmp_path / "resumed" / whole["run_dir"] / "checkpoint.pt")
    assert checkpoint["train_state"]["step"] == 50  # the last evaluation before the kill
    resumed = train(config, tmp_path / "resumed", progress=False)
    assert resumed["curves"] == whole["curves"] and resumed["steps"] == whole["steps"] == 120
    a = load_torch(tmp_path / "whole" / whole["run_dir"] / "checkpoint.pt")
    b = load_torch(tmp_path / "resumed" / resumed["run_dir"] / "checkpoint.pt")
    for name, tensor in a["model_state"].items():
        assert torch.equal(tensor, b["model_state"][name])


def test_finished_run_is_reused_unless_forced(tmp_path):
    config = RecurrentConfig(model="rnn", seq_length=4, max_steps=40, eval_every=20)
    first = train(config, tmp_path, progress=False)
    result_file = tmp_path / first["run_dir"] / "result.json"
    stamp = result_file.stat().st_mtime_ns
    assert train(config, tmp_path, progress=False) == first and result_file.stat().st_mtime_ns == stamp
    train(config, tmp_path, progress=False, force=True)
    assert result_file.stat().st_mtime_ns != stamp


def test_parallel_sweep_matches_its_records(tmp_path):
    base = RecurrentConfig(max_steps=20, eval_every=10, hidden_dim=16)
    results = sweep(base, tmp_path, models=["rnn", "lstm"], seq_lengths=[3, 4], seeds=[0, 1], workers=2)
    records = metrics_records(results, "sweep")
    assert [(r["model"], r["seq_length"], r["seed"]) for r in records] == [
        (m, T, s) for m in ("rnn", "lstm") for T in (3, 4) for s in (0, 1)]
    assert all(set(r) >= {"model", "seq_length", "seed", "init", "lr", "steps", "test_accuracy", "steps_to_99",
                          "wall_seconds", "group"} for r in records)
    assert {r["init"] for r in records if r["model"] == "rnn"} == {None}


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
