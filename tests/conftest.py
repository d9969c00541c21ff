import os
import shutil
import sys
from pathlib import Path

import pytest
import torch

from lib.pipeline import PROJECT_ROOT

# The notebooks the tests execute run on this checkout's kernel and import this checkout's code, however
# pytest was started (the Makefile exports the same two variables).
os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(Path(sys.prefix) / "share" / "jupyter"),
                                                           os.environ.get("JUPYTER_PATH")]))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def mnist5k():
    from lib.mnist import load_mnist5k

    return load_mnist5k()


@pytest.fixture(scope="session")
def trained_classifier(mnist5k, tmp_path_factory):
    """The evaluator trained once for the whole session: (classifier, info, checkpoint path)."""
    from lib.evaluate import train_classifier

    path = tmp_path_factory.mktemp("classifier") / "classifier-mnist5k.pt"
    classifier, info = train_classifier(mnist5k, path, progress=False)
    return classifier, info, path


@pytest.fixture
def gan_dir(tmp_path, trained_classifier):
    """Makes output folders for GAN runs that already hold the session's classifier."""
    def make(name):
        folder = tmp_path / name
        folder.mkdir()
        shutil.copy(trained_classifier[2], folder / "classifier-mnist5k.pt")
        return folder
    return make


# ---------------------------------------------------------------- end-to-end notebook runs

@pytest.fixture(scope="session")
def executed_root(tmp_path_factory):
    """All four notebooks executed once per session with the smoke parameters, and the report rendered, as a
    user runs them: ``make -j4 all PROFILE=smoke OUT=<a fresh root>``; returns that root. Make must leave every
    tracked file as it was (the README's tables are refreshed only by ``make readme``)."""
    import subprocess

    root = tmp_path_factory.mktemp("outputs") / "smoke"
    tracked = {path: path.read_bytes() for path in (PROJECT_ROOT / "README.md", PROJECT_ROOT / "Makefile")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}  # no outer make's jobserver
    result = subprocess.run(["make", "-j4", "all", "PROFILE=smoke", f"OUT={root}"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert all(path.read_bytes() == text for path, text in tracked.items()), "make all rewrote a tracked file"
    return root


@pytest.fixture(scope="session")
def exported_html(executed_root):
    """The session's executed notebooks exported to ``<root>/html/`` (tools.export_html)."""
    from tools.export_html import export_all

    return export_all(executed_root)
