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
    """All four notebooks executed once per session, in order, with the smoke parameters, by the runner
    that `make` uses, into a fresh output root (like `make all PROFILE=smoke OUT=...`); returns that root."""
    from tools.run_notebook import UPSTREAM, run

    root = tmp_path_factory.mktemp("outputs")
    for name in UPSTREAM:
        run(name, "smoke", str(root), progress=False)
    return root


@pytest.fixture(scope="session")
def exported_html(executed_root):
    """The session's executed notebooks exported to ``<root>/html/`` (tools.export_html)."""
    from tools.export_html import export_all

    return export_all(executed_root)
