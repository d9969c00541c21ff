import shutil

import pytest
import torch


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

NOTEBOOKS = ("01_lstm", "02_gan_train", "03_gan_samples", "04_report")


@pytest.fixture(scope="session")
def executed_root(tmp_path_factory):
    """All four notebooks executed once per session, in order, with the smoke parameters,
    into a fresh output root (like `make all PROFILE=smoke`); returns that root."""
    import papermill
    import yaml

    from lib.runs import PROJECT_ROOT

    root = tmp_path_factory.mktemp("outputs")
    for name in NOTEBOOKS:
        parameters = yaml.safe_load((PROJECT_ROOT / "params" / "smoke" / f"{name}.yaml").read_text()) or {}
        papermill.execute_notebook(PROJECT_ROOT / "notebooks" / f"{name}.ipynb", root / f"{name}.ipynb",
                                   parameters=parameters | {"output_root": str(root)}, kernel_name="assignment3",
                                   cwd=PROJECT_ROOT / "notebooks", progress_bar=False)
    return root


@pytest.fixture(scope="session")
def exported_html(executed_root):
    """The session's executed notebooks exported to ``<root>/html/`` (tools.export_html)."""
    from tools.export_html import export_all

    return export_all(executed_root)
