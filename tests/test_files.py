"""Writes are atomic, and a full disk says so: the file, its size, the space left, and that nothing is lost."""
import os
import tempfile

import pytest

from lib import files
from lib.files import DiskFull, save_bytes, save_torch, shown_path
from lib.pipeline import PROJECT_ROOT


@pytest.fixture
def full_disk(monkeypatch, tmp_path):
    """Every new file of lib.files is written to /dev/full, as on a disk with no space left."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")

    def mkstemp(dir=None, prefix="", suffix=""):
        path = tmp_path / f"{prefix}pending{suffix}"
        path.write_bytes(b"")
        return os.open("/dev/full", os.O_WRONLY), str(path)

    monkeypatch.setattr(files.tempfile, "mkstemp", mkstemp)
    return tmp_path


def test_a_full_disk_is_named_with_the_file_its_size_and_the_space_left_and_the_old_file_survives(full_disk):
    target = full_disk / "checkpoint.pt"
    target.write_bytes(b"the previous checkpoint")
    with pytest.raises(DiskFull) as error:
        save_torch({"weights": list(range(1000))}, target)
    message = str(error.value)
    assert "No space left on the device holding" in message and "writing checkpoint.pt (" in message
    assert " MB free" in message and "resumes from its last checkpoint" in message
    assert target.read_bytes() == b"the previous checkpoint", "nothing already written is lost"
    assert not list(full_disk.glob("*pending*")), "the partial file is removed"


def test_a_training_run_on_a_full_disk_stops_with_that_message_and_resumes_later(full_disk, monkeypatch, tmp_path):
    from lib.recurrent_train import RecurrentConfig, train

    config = RecurrentConfig(model="rnn", seq_length=4, max_steps=40, eval_every=20)
    with pytest.raises(DiskFull, match="No space left"):
        train(config, tmp_path / "out")
    monkeypatch.undo()  # space again
    assert train(config, tmp_path / "out")["steps"] <= 40


def test_writes_replace_the_file_whole(tmp_path):
    target = save_bytes(b"one", tmp_path / "a" / "file.bin")
    save_bytes(b"two", target)
    assert target.read_bytes() == b"two" and not [p for p in target.parent.iterdir() if p.name != "file.bin"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~files._UMASK)


def test_paths_are_shown_without_this_machines_folders():
    assert shown_path(PROJECT_ROOT / "outputs" / "01_lstm") == "outputs/01_lstm"
    assert shown_path(os.path.expanduser("~/data/x")) == "~/data/x"
    assert shown_path(tempfile.gettempdir()).startswith("/")
