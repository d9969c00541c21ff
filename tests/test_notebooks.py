"""End to end: the four notebooks, executed once per session with the smoke parameters
(conftest.executed_root), leave the files the later notebooks, the report and the tools read."""

import numpy as np
import papermill
import pytest
import yaml

from lib import outputs
from lib.files import load_json
from lib.params import NOTEBOOKS, LSTMParams
from lib.pipeline import PROJECT_ROOT
from lib.recurrent_train import folder_of
from lib.sweeps import failing, profiled
from lib.sweeps import read_metrics as read_lstm_metrics

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def smoke_params(name: str) -> dict:
    path = PROJECT_ROOT / "params" / "smoke" / f"{name}.yaml"
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_ran_without_errors_and_left_every_output_it_promises(executed_root, name):
    notebook = load_json(executed_root / f"{name}.ipynb")
    errors = [f"{output['ename']}: {output['evalue']}" for cell in notebook["cells"]
              for output in cell.get("outputs", []) if output["output_type"] == "error"]
    assert not errors, f"{name} has error outputs: {errors}"
    assert not notebook["metadata"]["papermill"]["exception"]
    assert outputs.missing(executed_root, name) == []
    for path in outputs.required(executed_root, name):
        if path.suffix == ".png":
            assert path.read_bytes().startswith(PNG_MAGIC)


def test_lstm_metrics_have_one_record_per_run_in_every_group_that_lists_it(executed_root):
    p = LSTMParams(**smoke_params("01_lstm"), output_root=str(executed_root))
    out, design = p.out_dir, p.design()
    metrics = read_lstm_metrics(out)
    rates = {model: choice["rate"] for model, choice in metrics["chosen_rates"].items()}
    assert all(choice["chosen_by"] == "validation" for choice in metrics["chosen_rates"].values())
    fields = {"model", "seq_length", "seed", "init", "lr", "steps", "test_accuracy", "validation_accuracy",
              "steps_to_99", "wall_seconds", "max_steps", "target_accuracy", "patience", "groups", "code"}
    for record in metrics["runs"]:
        assert fields <= record.keys(), f"missing {fields - record.keys()} in {record}"
        assert 0 <= record["test_accuracy"] <= 1 and record["steps"] <= record["max_steps"]
    study, by_dir = design.lr_study(), {r["run_dir"]: r for r in metrics["runs"]}
    for _ in range(p.study_widen):  # the study as widen_study grew it, from the records of each round
        past = design.past_edges([by_dir[folder_of(c, out).name] for c in study])
        if not past:
            break
        study += past
    profiled_from = design.gradient(rates)  # every seed at the gradient's T; the profiles pick from their results
    results = [by_dir[folder_of(c, out).name] for c in profiled_from]
    groups = dict(check=design.check(), lr_study=study, sweep=design.sweep(rates), long=design.long(rates),
                  budget=design.budget(rates), gradient=[c for c, _ in profiled(profiled_from, results)],
                  gradient_failed=[c for c, _ in failing(profiled_from, results)], gradient_seeds=profiled_from)
    expected = {group: {folder_of(c, out).name for c in configs} for group, configs in groups.items()}
    recorded = [record["run_dir"] for record in metrics["runs"]]
    assert len(set(recorded)) == len(recorded), "a run is recorded twice"
    assert set(recorded) == set().union(*expected.values()) == {f.name for f in (out / "runs").iterdir()}
    for record in metrics["runs"]:
        assert set(record["groups"]) == {g for g, names in expected.items() if record["run_dir"] in names}
    assert metrics["parameters"] == p.record() and metrics["learned_accuracy"] == 0.99
    assert set(metrics["gradient_flow"]["init"]) == set(metrics["gradient_flow"]["trained"]) == set(p.models)


def test_gan_metrics_checkpoints_samples_and_ablation(executed_root):
    out = executed_root / "02_gan_train"
    metrics = load_json(out / "metrics.json")
    assert {"config", "data_source", "classifier", "final", "final_raw", "real_baseline", "train_seconds",
            "eval_seconds", "cpu_seconds", "curves", "checkpoints", "architecture", "code"} <= metrics.keys()
    assert {"salt_noise", "D_train", "D_validation", "D_gap", "inception_score_sd"} <= metrics["final"].keys()
    ladder = load_json(out / "ablation.json")
    assert list(ladder["rungs"]) == ["template", "template+ema", "template+betas", "template+rates", "recipe"]
    assert ladder["rungs"]["template"]["run_dir"] == ladder["rungs"]["template+ema"]["run_dir"]
    assert ladder["rungs"]["recipe"]["config"]["steps"] == ladder["steps"] == metrics["config"]["steps"] // 2
    final_samples = smoke_params("02_gan_train")["final_samples"]
    assert metrics["final"]["n"] == final_samples and metrics["final"]["splits"] == final_samples // 1000
    images = np.load(out / "samples_final.npz")["images"]
    assert images.shape == (final_samples, 28, 28)
    assert images.min() >= 0 and images.max() <= 1


def test_interpolation_record_and_grids(executed_root):
    out = executed_root / "03_gan_samples"
    record = load_json(out / "interpolation.json")
    assert len(record["pairs"]) == smoke_params("03_gan_samples")["pairs"]
    for pair in record["pairs"]:
        start, end = pair["classes"]
        assert start != end and set(pair["modes"]) == {"lerp", "slerp"}
        for mode, walk in pair["modes"].items():
            assert len(walk["probs"]) == 9, f"{mode}: 7 steps between the endpoints plus the endpoints"
            for probs in walk["probs"]:
                assert len(probs) == 10 and sum(probs) == pytest.approx(1, abs=1e-4)
    grids = load_json(out / "grids.json")["grids"]
    assert list(grids) == ["start", "half", "final"] and all(len(g["weakest"]) == 5 for g in grids.values())


def test_samples_notebook_without_a_trained_gan_says_make_all(tmp_path):
    empty_root = tmp_path / "empty"
    empty_root.mkdir()
    with pytest.raises(papermill.PapermillExecutionError) as failure:
        papermill.execute_notebook(PROJECT_ROOT / "notebooks" / "03_gan_samples.ipynb", tmp_path / "03.ipynb",
                                   parameters={"output_root": str(empty_root)}, kernel_name="assignment3",
                                   cwd=PROJECT_ROOT / "notebooks", progress_bar=False)
    assert "make all" in str(failure.value)
