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
