import dataclasses
import time

import pytest
import torch

from lib import recurrent_train
from lib.files import load_json, load_torch, save_json
from lib.palindrome import PalindromeDataset
from lib.recurrent import LSTM
from lib.recurrent_train import RecurrentConfig, checkpoint_path, learned, load_checkpoint, train
from lib.runs import identity, run_name
from lib.sweeps import read_metrics, save_metrics, train_runs


def test_lstm_learns_T5_within_1500_steps(tmp_path):
    config = RecurrentConfig(model="lstm", seq_length=5, max_steps=1500, seed=0)
    result = train(config, tmp_path)
    assert result["test_accuracy"] >= 0.99 and result["steps"] <= 1500 and result["stopped"] == "learned"
    assert result["steps_to_99"] is not None and result["steps_to_99"] <= result["steps"]
    model = load_checkpoint(checkpoint_path(tmp_path, result), device="cpu")
    assert isinstance(model, LSTM) and not model.training
    digits, targets = PalindromeDataset(5).test_set(500)
    assert (model.predict_digits(digits) == targets).float().mean() >= 0.99


def test_decisions_are_taken_on_the_validation_set_and_the_test_set_is_measured_once(tmp_path):
    """The curves (and so the early stop) hold validation accuracy only; the test accuracy is the final model's,
    on a held-out set drawn from another stream than the validation set."""
    config = RecurrentConfig(model="rnn", seq_length=12, max_steps=60, eval_every=20, hidden_dim=16)
    result = train(config, tmp_path)
    assert all(set(point) == {"step", "loss", "train_accuracy", "validation_accuracy"} for point in result["curves"])
    assert result["validation_accuracy"] == result["curves"][-1]["validation_accuracy"]
    data = PalindromeDataset(12)
    (v_digits, _), (t_digits, _) = data.validation_set(1000), data.test_set(1000)
    assert not torch.equal(v_digits, t_digits)
    model = load_checkpoint(checkpoint_path(tmp_path, result), device="cpu")
    t_digits, t_targets = data.test_set(config.test_size)
    assert result["test_accuracy"] == (model.predict_digits(t_digits) == t_targets).float().mean().item()


def test_scalar_encoding_trains_and_predicts(tmp_path):
    result = train(RecurrentConfig(model="rnn", seq_length=3, encoding="scalar", max_steps=60, eval_every=20), tmp_path)
    model = load_checkpoint(checkpoint_path(tmp_path, result), device="cpu")
    assert model.input_dim == 1 and model.predict_digits(torch.tensor([[4, 7]])).shape == (1,)


def test_checkpoint_round_trip(tmp_path):
    config = RecurrentConfig(model="lstm-chrono", seq_length=6, max_steps=30, eval_every=10)
    result = train(config, tmp_path)
    path = checkpoint_path(tmp_path, result)
    model, state = load_checkpoint(path, device="cpu"), load_torch(path)
    assert model.forget_bias_init == "chrono" and model.seq_length == 6
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, state["model_state"][name])


def test_interrupted_run_resumes_to_the_same_state(tmp_path):
    config = RecurrentConfig(model="lstm", seq_length=8, max_steps=120, eval_every=25, target_accuracy=1.0)
    whole = train(config, tmp_path / "whole")
    assert train(config, tmp_path / "resumed", stop_after=63) is None  # killed at step 63
    saved = load_torch(checkpoint_path(tmp_path / "resumed", whole))
    assert saved["train_state"]["step"] == 50  # the last evaluation before the kill
    resumed = train(config, tmp_path / "resumed")
    assert resumed["curves"] == whole["curves"] and resumed["steps"] == whole["steps"] == 120
    a = load_torch(checkpoint_path(tmp_path / "whole", whole))
    b = load_torch(checkpoint_path(tmp_path / "resumed", resumed))
    for name, tensor in a["model_state"].items():
        assert torch.equal(tensor, b["model_state"][name])


def test_a_warm_start_begins_from_the_finished_shorter_run_and_needs_it_finished(tmp_path):
    short = RecurrentConfig(model="lstm-chrono", seq_length=4, max_steps=20, eval_every=10)
    longer = RecurrentConfig(model="lstm-chrono", seq_length=7, max_steps=1, eval_every=1,
                             init_from=run_name(short.name, short))
    with pytest.raises(FileNotFoundError, match=r"init_from: the run lstm-chrono_T4_seed0-\w+ has not finished"):
        train(longer, tmp_path)
    assert not (tmp_path / "runs").exists() or [p.name for p in (tmp_path / "runs").iterdir()] == []
    first = train(short, tmp_path)
    result = train(longer, tmp_path)
    assert result["init_from_length"] == 4 and first["init_from_length"] is None
    start = load_torch(checkpoint_path(tmp_path, first))["model_state"]
    warmed = load_torch(checkpoint_path(tmp_path, result))
    assert warmed["optimizer_state"]["state"][0]["step"] == 1, "a fresh optimiser, one step taken"
    moved = max((warmed["model_state"][name] - tensor).abs().max().item() for name, tensor in start.items())
    assert 0 < moved < 0.05, "one small RMSProp step away from the shorter run's weights, not a fresh initialisation"


def test_finished_run_is_reused_unless_retrained_and_then_retrained_once(tmp_path):
    config = RecurrentConfig(model="rnn", seq_length=4, max_steps=40, eval_every=20)
    first = train(config, tmp_path)
    result_file = checkpoint_path(tmp_path, first).with_name("result.json")
    stamp = result_file.stat().st_mtime_ns
    assert train(config, tmp_path) == first and result_file.stat().st_mtime_ns == stamp
    since = time.time()
    train(config, tmp_path, retrain_before=since)
    retrained = result_file.stat().st_mtime_ns
    assert retrained != stamp
    train(config, tmp_path, retrain_before=since)  # listed again by the same notebook run
    assert result_file.stat().st_mtime_ns == retrained, "a run retrained since `since` is reused"


def test_a_run_made_by_other_measuring_code_is_measured_again_without_training(tmp_path, monkeypatch):
    config = RecurrentConfig(model="rnn", seq_length=4, max_steps=40, eval_every=20)
    first = train(config, tmp_path)
    folder = checkpoint_path(tmp_path, first).parent
    stale = dict(first, code=dict(first["code"], measure={"lib/recurrent_measure.py": "older"}), test_accuracy=-1.0)
    save_json(stale, folder / "result.json")
    checkpoint_written = (folder / "checkpoint.pt").stat().st_mtime_ns
    again = train(config, tmp_path)
    assert again["test_accuracy"] == first["test_accuracy"], "recomputed from the checkpoint"
    assert (folder / "checkpoint.pt").stat().st_mtime_ns == checkpoint_written, "not trained again"
    assert load_json(folder / "result.json")["code"]["measure"] == recurrent_train.CODE["measure"]
    assert "note" not in again


def test_a_run_made_by_other_training_code_is_reused_and_says_so(tmp_path):
    config = RecurrentConfig(model="rnn", seq_length=4, max_steps=40, eval_every=20)
    first = train(config, tmp_path)
    folder = checkpoint_path(tmp_path, first).parent
    save_json(dict(first, code=dict(first["code"], train={"lib/bptt.py": "older"})), folder / "result.json")
    again = train(config, tmp_path)
    assert again["test_accuracy"] == first["test_accuracy"]
    assert "trained by earlier code" in again["note"] and "lib/bptt.py" in again["note"] and "force" in again["note"]


def test_every_field_of_a_config_is_declared_in_its_identity_or_set_apart(tmp_path):
    """A field added without a word (not in IDENTITY, ADDED or NOT_IDENTITY) would rename every existing run."""
    assert identity(RecurrentConfig())["model"] == "lstm"
    assert "init_from" not in identity(RecurrentConfig()), "an ADDED field at its default is left out"

    @dataclasses.dataclass(frozen=True)
    class Grown(RecurrentConfig):
        dropout: float = 0.0

    with pytest.raises(TypeError, match="dropout"):
        identity(Grown())


def test_runs_side_by_side_come_back_in_order_identical_to_serial_and_metrics_keep_every_group(tmp_path):
    base = dict(max_steps=20, eval_every=10, hidden_dim=16)
    configs = [RecurrentConfig(model=m, seq_length=T, seed=s, **base) for m in ("rnn", "lstm") for T in (3, 4)
               for s in (0, 1)]
    parallel = train_runs(configs, tmp_path / "parallel", "test", workers=2)
    serial = train_runs(configs, tmp_path / "serial", "test", workers=1)
    assert [(r["model"], r["seq_length"], r["seed"]) for r in parallel] == [
        (c.model, c.seq_length, c.seed) for c in configs]
    strip = lambda runs: [{k: v for k, v in r.items() if k != "wall_seconds"} for r in runs]  # noqa: E731
    assert strip(parallel) == strip(serial), "the same numbers on 1 and 2 workers"
    metrics = save_metrics(tmp_path, dict(sweep=parallel, gradient=parallel[:2]), note="kept as it is")
    assert read_metrics(tmp_path) == metrics and metrics["note"] == "kept as it is"
    assert len(metrics["runs"]) == len(configs), "a run listed in two groups is recorded once"
    assert [r["groups"] for r in metrics["runs"][:3]] == [["sweep", "gradient"], ["sweep", "gradient"], ["sweep"]]
    assert all("curves" not in r for r in metrics["runs"])
    assert all({"max_steps", "target_accuracy", "patience", "steps_to_99"} <= r.keys() for r in metrics["runs"])


def test_metrics_of_a_notebook_that_has_not_run_say_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="make all"):
        read_metrics(tmp_path)


def test_learned_is_the_99_percent_rule():
    assert learned(dict(test_accuracy=0.99)) and learned(dict(test_accuracy=1.0))
    assert not learned(dict(test_accuracy=0.989))


def test_T500_trains_without_overflow_in_bounded_memory(tmp_path):
    import resource

    config = RecurrentConfig(model="lstm-chrono", seq_length=500, max_steps=3, eval_every=3, validation_size=64,
                             test_size=64, batch_size=32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = train(config, tmp_path)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result["steps"] == 3 and 0 <= result["test_accuracy"] <= 1
    assert all(torch.isfinite(torch.tensor(c["loss"])) for c in result["curves"])
    model = load_checkpoint(checkpoint_path(tmp_path, result), device="cpu")
    assert all(torch.isfinite(p).all() for p in model.parameters())
    # the BPTT buffers at T = 500, batch 32, hidden 128: about 500 x 32 x (4 x 3 + 2) x 128 floats = 110 MB
    assert grown_mib < 600, f"resident memory grew by {grown_mib:.0f} MiB"


@pytest.mark.parametrize("bad, name", [
    (dict(seq_length=1), "seq_length"), (dict(seq_length=7.5), "seq_length"), (dict(model="transformer"), "model"),
    (dict(max_steps=0), "max_steps"), (dict(learning_rate=0), "learning_rate"),
    (dict(learning_rate=-1.0), "learning_rate"), (dict(encoding="binary"), "encoding"), (dict(batch_size=0), "batch_size"),
    (dict(validation_size=0), "validation_size"),
])
def test_bad_parameters_are_rejected_before_training(bad, name, tmp_path):
    with pytest.raises(ValueError, match=name):
        train(RecurrentConfig(**bad), tmp_path)
    assert not any(tmp_path.iterdir())


def test_the_plan_counts_the_sweep_at_the_rates_the_last_run_chose(tmp_path, monkeypatch):
    from lib import sweeps
    from lib.params import LSTMParams

    counted = []
    monkeypatch.setattr(sweeps, "announce", lambda label, costs, *rest: counted.append(list(costs)))
    design = LSTMParams(models=["rnn"], seq_lengths=[5], seeds=[0], extra_seeds=[], long_models=["rnn"],
                        budget_models=[], study_rates=[], study_lengths=[]).design()
    sweeps.announce_plan(design, tmp_path)
    save_json(dict(runs=[], chosen_rates=dict(rnn=dict(rate=0.5, chosen_by="validation"))), tmp_path / sweeps.METRICS)
    sweeps.announce_plan(design, tmp_path)
    before, after = ({c.learning_rate for c in configs if c.model == "rnn" and c.seq_length == 5} for configs in counted)
    assert 0.5 not in before and after == {0.5}, "a rerun announces the runs it will reuse, not the registered rate's"
