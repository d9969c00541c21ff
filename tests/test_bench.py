import json
import subprocess
import sys

from lib.runs import PROJECT_ROOT


def test_bench_runs_in_tiny_mode_and_writes_valid_json(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run([sys.executable, "-m", "bench.run", "--tiny", "--out", str(out)], cwd=PROJECT_ROOT, check=True,
                   capture_output=True, text=True, timeout=300)
    result = json.loads(out.read_text())
    assert {"cpu", "threads", "torch"} <= set(result["environment"])
    names = {(row["benchmark"], row["T"]) for row in result["rows"]}
    assert names == {(f"{m} {k}", 5) for m in ("LSTM", "RNN") for k in ("training step", "inference")}
    for row in result["rows"]:
        assert row["ratio_min"] <= row["ratio"] <= row["ratio_max"] and row["ours_ms"] > 0 < row["reference_ms"]
    gan = result["gan"]["mlp"]
    assert gan["steps_per_second"] > 0 and gan["seconds_per_epoch"]["mnist5k"] > 0 and gan["batch"] == 128
