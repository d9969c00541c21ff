"""The pipeline's shape, in one place: the notebooks in the order they run, what each one reads, and
where a profile writes. Standard library only: the Makefile asks this module before ``.venv`` exists.

    python3 -m lib.pipeline notebooks        # 01_lstm 02_gan_train 03_gan_samples 04_report
    python3 -m lib.pipeline reads 04_report  # the notebooks whose outputs 04_report reads
    python3 -m lib.pipeline root full        # outputs/full: where PROFILE=full writes
"""
from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OUTPUTS = "outputs"
DEFAULT_PROFILE = "default"

# Each notebook, and the notebooks whose outputs it reads; in the order they run.
NOTEBOOKS = {
    "01_lstm": (),
    "02_gan_train": (),
    "03_gan_samples": ("02_gan_train",),
    "04_report": ("01_lstm", "02_gan_train", "03_gan_samples"),
}


def output_root(profile: str) -> str:
    """Where ``make all PROFILE=<profile>`` writes, relative to the project: the default profile to
    ``outputs/``, any other to ``outputs/<profile>/``."""
    return OUTPUTS if profile == DEFAULT_PROFILE else f"{OUTPUTS}/{profile}"


def profile_of(root: str | Path) -> str | None:
    """The profile whose output root is ``root`` (the inverse of ``output_root``), or None."""
    root = Path(root) if Path(root).is_absolute() else PROJECT_ROOT / root
    outputs = PROJECT_ROOT / OUTPUTS
    root = root.resolve()
    if root == outputs.resolve():
        return DEFAULT_PROFILE
    return root.name if root.parent == outputs.resolve() else None


def profiles() -> list[str]:
    """Every profile: a folder under ``params/`` (its YAML files hold what it changes)."""
    return sorted(path.name for path in (PROJECT_ROOT / "params").iterdir() if path.is_dir())


def params_file(profile: str, notebook: str) -> Path:
    """The profile's parameters for ``notebook``; a profile that changes nothing there needs no file."""
    return PROJECT_ROOT / "params" / profile / f"{notebook}.yaml"


def make_all_command(root: str | Path) -> str:
    """The command that fills ``root`` with executed notebooks."""
    profile = profile_of(root)
    if profile == DEFAULT_PROFILE:
        return "make all"
    return f"make all PROFILE={profile}" if profile else f"make all OUT={root}"


def main(argv: list[str]) -> int:
    command, *rest = argv or ["notebooks"]
    if command == "notebooks":
        print(" ".join(NOTEBOOKS))
    elif command == "reads" and len(rest) == 1 and rest[0] in NOTEBOOKS:
        print(" ".join(NOTEBOOKS[rest[0]]))
    elif command == "root" and len(rest) == 1:
        print(output_root(rest[0]))
    else:
        print(f"usage: python3 -m lib.pipeline notebooks | reads <notebook> | root <profile>; got {argv}",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
