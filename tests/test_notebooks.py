"""End to end: the four notebooks, executed once per session with the smoke parameters
(conftest.executed_root), leave the files the later notebooks, the report and the tools read."""
from collections import Counter

import numpy as np
import papermill
import pytest
import yaml

from lib.runs import PROJECT_ROOT, load_json

NOTEBOOKS = ("01_lstm", "02_gan_train", "03_gan_samples", "04_report")
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
    p = smoke_params("01_lstm")
    out = executed_root / "01_lstm"
    runs = load_json(out / "metrics.json")["runs"]
    fields = {"model", "seq_length", "seed", "init", "lr", "steps", "test_accuracy", "steps_to_99", "wall_seconds"}
    for record in runs:
        assert fields <= record.keys(), f"missing {fields - record.keys()} in {record}"
        assert 0 <= record["test_accuracy"] <= 1
    run_dirs = [record["run_dir"] for record in runs]
    assert len(set(run_dirs)) == len(run_dirs), "a run is recorded twice"
    assert set(run_dirs) == {folder.name for folder in (out / "runs").iterdir()}, "every trained run is recorded"
    groups = Counter(record["group"] for record in runs)
    assert groups["check"] == len(p["check_encodings"]) * len(p["seeds"])
    assert groups["sweep"] == len(p["models"]) * len(p["seq_lengths"]) * len(p["seeds"])
    assert groups["long"] == len(p["long_seq_lengths"]) * len(p["long_inits"]) * len(p["long_seeds"])


def test_gan_metrics_checkpoints_and_samples(executed_root):
    out = executed_root / "02_gan_train"
    metrics = load_json(out / "metrics.json")
    assert {"config", "data_source", "classifier", "final", "real_baseline", "wall_seconds", "curves",
            "checkpoints"} <= metrics.keys()
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
