import json
import subprocess
import sys

from bench import minutes
from lib.pipeline import PROJECT_ROOT
from lib.report.speed import summary


def test_bench_runs_in_tiny_mode_and_writes_valid_json_that_the_summary_shows(tmp_path, executed_root):
    out = tmp_path / "bench.json"
    subprocess.run([sys.executable, "-m", "bench.run", "--tiny", "--root", str(executed_root), "--out", str(out)],
                   cwd=PROJECT_ROOT, check=True, capture_output=True, text=True, timeout=600)
    result = json.loads(out.read_text())
    assert {"cpu", "cores", "threads", "torch"} <= set(result["environment"])
    names = {(row["benchmark"], row["T"]) for row in result["rows"]}
    assert names == {(f"{m} {k}", 5) for m in ("LSTM", "RNN") for k in ("training step", "inference")}
    for row in result["rows"]:
        assert row["ratio_min"] <= row["ratio"] <= row["ratio_max"] and row["ours_ms"] > 0 < row["reference_ms"]
    assert [r["threads"] for r in result["gan_threads"]["rows"]][0] == 1
    assert result["gan_threads"]["rows"][0]["max_weight_difference"] == 0.0
    assert set(result["minutes"]["notebooks"]) == {"01_lstm", "02_gan_train", "03_gan_samples", "04_report"}
    assert result["engines"][0]["engine"] == "dask" and result["engines"][0]["per_unit_ms"] > 0
    rules = result["early_stop_rules"]
    assert [r["fraction"] for r in rules] == [0.25, 0.375, 0.5]
    for rule in rules:
        assert rule["cut_then_learned"] <= rule["cut_then_passed"] <= rule["cut"] <= rule["runs"] > 0
        assert 0 <= rule["steps_saved_share"] < 1 and (rule["cut"] > 0 or rule["steps_saved_share"] == 0)
    compute = result["compute"]["rows"]
    assert [r["work"].split()[0] for r in compute] == ["matrix", "GAN", "LSTM"]
    assert all(r["gflops"] > 0 and r["rate"] > 0 for r in compute), "every step does counted work at a measured rate"
    text = summary(result)
    assert "share of the product's rate" in text and "stop at this share of the budget" in text
    for rule in rules:
        rule["cut_then_passed"] = rule["cut_then_learned"] = 0  # a rule that cuts nothing that would have recovered
    assert "Stopping at 25.0%, 37.5% and 50.0% of the budget cut no run that would have gone on to pass it" in summary(result)
    assert "| 01_lstm |" in text and "| 01: sweep |" in text and result["environment"]["cpu"] in text


def test_the_scaling_on_paper_is_bounded_by_the_longest_run_and_by_the_summed_time():
    times = [60.0, 30.0, 30.0, 20.0, 10.0, 10.0]
    assert minutes.makespan(times, 1) == sum(times)
    assert minutes.makespan(times, 2) == 80.0  # 60+20 | 30+30+10+10: longest first
    assert minutes.makespan(times, 100) == 60.0, "no number of workers beats the longest run"
    assert minutes.makespan(times, 2, per_unit=1.0) == 84.0  # 61+31 is not free: 61+21 | 31+31+11+11


def test_the_transcript_shows_the_first_lines_each_notebooks_first_progress_and_the_last_lines_once():
    from bench.run import transcript

    lines = ["python -m tools.run_notebook 01_lstm", "[01_lstm] started", "[01_lstm] Part I: 80 runs",
             "[01_lstm] study: 33 runs", "[01_lstm] study: 3/33 runs done; about 2.8 min left",
             "[01_lstm] study: 9/33 runs done; about 2.1 min left",
             "[02_gan_train] GAN: 500/6,000 steps; about 3 min left", *[f"last {k}" for k in range(6)]]
    assert transcript(lines) == [*lines[:4], "...", lines[4], lines[6], "...", *lines[-6:]]
