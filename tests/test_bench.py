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


def test_the_speed_study_has_one_row_per_change_and_the_summary_shows_them(tmp_path, monkeypatch):
    from bench import part1_speed
    from lib.recurrent_train import RecurrentConfig
    from lib.report import bench_summary

    monkeypatch.setattr(part1_speed, "BASE", RecurrentConfig(model="lstm", seq_length=4, max_steps=20, eval_every=10,
                                                             patience=1))
    monkeypatch.setattr(part1_speed, "CHANGES", {"as is": {}, "hopeless rate": dict(learning_rate=1e-9)})
    rows = part1_speed.speed_study(tmp_path)
    assert [row["change"] for row in rows] == ["as is", "hopeless rate"]
    assert rows[1]["steps_to_99"] is None and rows[1]["seconds_to_99"] is None and rows[1]["steps"] == 20
    assert len(list((tmp_path / "runs").iterdir())) == 2
    bench = dict(environment=dict(date="2026-11-29", cpu="cpu", threads=1, torch="2"), repeats=1, gan={},
                 rows=[dict(benchmark="b", T=4, B=1, H=1, ours_ms=1, reference_ms=1, ratio=1, ratio_min=1, ratio_max=1)],
                 part1_speed=dict(study=rows, cores=dict(runs=4, threads=2, seconds=dict(processes=10.0, threads=15.0))))
    text = bench_summary(bench)
    assert "| hopeless rate | never | - |" in text
    assert "4 runs at T = 50 took 10 s as 2 single-threaded processes side by side, and 15 s" in text
