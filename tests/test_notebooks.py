"""End to end: the four notebooks, executed once per session with the smoke parameters
(conftest.executed_root), leave the files the later notebooks, the report and the tools read."""

import numpy as np
import papermill
import pytest
import yaml

from lib.params import NOTEBOOKS, LSTMParams
from lib.recurrent_train import read_metrics as read_lstm_metrics
from lib.recurrent_train import runs_folder
from lib.runs import PROJECT_ROOT, load_json, run_dir

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def smoke_params(name: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / "params" / "smoke" / f"{name}.yaml").read_text()) or {}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_ran_without_errors(executed_root, name):
    notebook = load_json(executed_root / f"{name}.ipynb")
    errors = [f"{output['ename']}: {output['evalue']}" for cell in notebook["cells"]
              for output in cell.get("outputs", []) if output["output_type"] == "error"]
    assert not errors, f"{name} has error outputs: {errors}"
    assert not notebook["metadata"]["papermill"]["exception"]


def test_lstm_metrics_have_one_record_per_run(executed_root):
    p = LSTMParams(**smoke_params("01_lstm"), output_root=str(executed_root))
    out = p.out_dir
    metrics = read_lstm_metrics(out)
    fields = {"model", "seq_length", "seed", "init", "lr", "steps", "test_accuracy", "steps_to_99", "wall_seconds",
              "max_steps", "target_accuracy", "patience", "group"}
    for record in metrics["runs"]:
        assert fields <= record.keys(), f"missing {fields - record.keys()} in {record}"
        assert 0 <= record["test_accuracy"] <= 1 and record["steps"] <= record["max_steps"]
    expected = {group: {run_dir(runs_folder(out), c.name, c).name for c in configs}
                for group, configs in dict(check=p.check_configs(), sweep=p.sweep_configs(), long=p.long_configs(),
                                           lr_study=p.lr_study_configs(), gradient=p.gradient_configs()).items()}
    recorded = [record["run_dir"] for record in metrics["runs"]]
    assert len(set(recorded)) == len(recorded), "a run is recorded twice"
    assert set(recorded) == set().union(*expected.values()) == {f.name for f in runs_folder(out).iterdir()}
    assert all(record["run_dir"] in expected[record["group"]] for record in metrics["runs"])
    assert metrics["parameters"] == p.record() and metrics["learned_accuracy"] == 0.99


def test_gan_metrics_checkpoints_and_samples(executed_root):
    out = executed_root / "02_gan_train"
    metrics = load_json(out / "metrics.json")
    assert {"config", "data_source", "classifier", "final", "real_baseline", "train_seconds", "eval_seconds",
            "cpu_seconds", "curves", "checkpoints"} <= metrics.keys()
    assert {"salt_noise", "D_train", "D_test", "D_gap"} <= metrics["final"].keys()
    ablation = load_json(out / "ablation.json")
    assert list(ablation) == ["template", "recipe"], "the smoke profile trains one rung beside the recipe"
    assert ablation["template"]["config"]["ema_decay"] == 0 and ablation["template"]["config"]["augment"] == []
    for moment in ("start", "half", "final"):
        assert (out / metrics["checkpoints"][moment]).is_file(), f"no {moment} checkpoint"
    final_samples = smoke_params("02_gan_train")["final_samples"]
    assert metrics["final"]["n"] == final_samples
    images = np.load(out / "samples_final.npz")["images"]
    assert images.shape == (final_samples, 28, 28)
    assert images.min() >= 0 and images.max() <= 1


def test_interpolation_record_and_grids(executed_root):
    out = executed_root / "03_gan_samples"
    record = load_json(out / "interpolation.json")
    start, end = record["classes"]
    assert start != end
    assert set(record["modes"]) == {"lerp", "slerp"}
    for mode, walk in record["modes"].items():
        assert len(walk["probs"]) == 9, f"{mode}: 7 steps between the endpoints plus the endpoints"
        for probs in walk["probs"]:
            assert len(probs) == 10 and sum(probs) == pytest.approx(1, abs=1e-4)
    for moment in ("start", "half", "final"):
        assert (out / f"grid_{moment}.png").read_bytes().startswith(PNG_MAGIC)


def test_samples_notebook_without_a_trained_gan_says_make_all(tmp_path):
    empty_root = tmp_path / "empty"
    empty_root.mkdir()
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        papermill.execute_notebook(PROJECT_ROOT / "notebooks" / "03_gan_samples.ipynb", tmp_path / "03.ipynb",
                                   parameters={"output_root": str(empty_root)}, kernel_name="assignment3",
                                   cwd=PROJECT_ROOT / "notebooks", progress_bar=False)
    assert "make all" in str(failure.value)
