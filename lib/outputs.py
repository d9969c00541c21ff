"""Every file a notebook leaves for those after it, by name: the data files with their readers, and the
figures. The notebook that writes a file and the one that reads it both take its path from here.

    figure(root, "sweep")  ->  <root>/01_lstm/figures/sweep.png
"""
from __future__ import annotations

from pathlib import Path

from . import ablation, gan_runs, latent, samples, sweeps
from .files import load_json, project_path
from .params import GANTrainParams, LSTMParams, SamplesParams

# Data files: key -> (notebook folder, file name, reader of the folder). bench.json is `make bench`'s.
DATA = dict(lstm=(LSTMParams.FOLDER, sweeps.METRICS, sweeps.read_metrics),
            gan=(GANTrainParams.FOLDER, gan_runs.METRICS, gan_runs.read_metrics),
            ablation=(GANTrainParams.FOLDER, ablation.ABLATION, ablation.read_ablation),
            interpolation=(SamplesParams.FOLDER, latent.INTERPOLATION, latent.read_interpolation),
            grids=(SamplesParams.FOLDER, samples.GRIDS, samples.read_grids),
            neighbours=(SamplesParams.FOLDER, samples.NEIGHBOURS, samples.read_neighbours))
BENCH = "bench.json"
DATA_FILES = {key: f"{folder}/{name}" for key, (folder, name, _) in DATA.items()} | dict(bench=BENCH)

# Figures: key -> the notebook folder that draws it.
FIGURES = {
    "sweep": LSTMParams.FOLDER, "learning_curves": LSTMParams.FOLDER,
    "lr_study": LSTMParams.FOLDER, "long_memory": LSTMParams.FOLDER, "gradient_flow": LSTMParams.FOLDER,
    "losses": GANTrainParams.FOLDER, "quality": GANTrainParams.FOLDER, "class_histogram": GANTrainParams.FOLDER,
    "ablation": GANTrainParams.FOLDER, "ablation_samples": GANTrainParams.FOLDER, "fixed_noise": GANTrainParams.FOLDER,
    "grids": SamplesParams.FOLDER, "neighbours": SamplesParams.FOLDER, "interpolation": SamplesParams.FOLDER,
    "interpolation_diagnostics": SamplesParams.FOLDER,
}


def figure(root: str | Path, key: str) -> Path:
    """Where the figure ``key`` is drawn under the output root ``root``."""
    return project_path(root) / FIGURES[key] / "figures" / f"{key}.png"


def required(root: str | Path, notebook: str) -> list[Path]:
    """The files that ``notebook`` leaves under ``root`` for its readers: its data files, its figures, and (02)
    the checkpoints, samples and evaluator its metrics point to."""
    root = project_path(root)
    wanted = [root / folder / name for folder, name, _ in DATA.values() if folder == notebook]
    wanted += [figure(root, key) for key, folder in FIGURES.items() if folder == notebook and key not in OPTIONAL]
    if notebook == GANTrainParams.FOLDER and (root / notebook / gan_runs.METRICS).exists():
        wanted += gan_runs.referenced_files(root / notebook)
    return wanted


def missing(root: str | Path, notebook: str) -> list[Path]:
    """``required`` files that are not there. A run of the notebook that completed with any of them missing
    (say, a folder removed under it) has not finished."""
    return [path for path in required(root, notebook) if not path.exists()]


# Drawn only when the run has a learning-rate study, or an ablation of more than one configuration.
OPTIONAL = ("lr_study", "ablation", "ablation_samples")


def read_data(root: str | Path) -> dict:
    """Every data file of DATA (and bench.json) found under ``root``, by its key."""
    root = project_path(root)
    found = {key: read(root / folder) for key, (folder, name, read) in DATA.items() if (root / folder / name).exists()}
    return found | ({"bench": load_json(root / BENCH)} if (root / BENCH).exists() else {})
