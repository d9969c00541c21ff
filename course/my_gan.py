"""The course's ``my_gan.py``: train the template GAN on MNIST with the skeleton's flags and defaults, through
``lib`` (no second implementation). It prints its progress, measures the result, and writes the run under
``outputs/course/my_gan/`` with the 25 samples of each ``--save_interval`` as ``images/<step>.png`` (as the
skeleton saves them); a rerun with the same flags reuses the run.

    python course/my_gan.py                     # the course's template: batch 64, Adam 2e-4, 200 epochs
    python course/my_gan.py --n_epochs 20 --ema_decay 0.9995 --batch_size 128 --lr 0.0004   # nearer this project's

With the skeleton's defaults the generator is sampled raw (``--ema_decay 0``), D sees no augmentation and Adam keeps
PyTorch's default betas, as in the template (this project's recipe sets beta1 to 0.5, for which the skeleton has no
flag); an epoch is one pass over the training digits (3,500 of mnist5k where full MNIST is unavailable).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: this checkout's lib
from lib import plots  # noqa: E402
from lib.ablation import TEMPLATE  # noqa: E402
from lib.files import load_torch, project_path  # noqa: E402
from lib.gan_runs import train  # noqa: E402
from lib.gan_train import GANConfig  # noqa: E402
from lib.mnist import DATA_SOURCES, load_mnist  # noqa: E402

OUT = "outputs/course/my_gan"


def config_from(args: argparse.Namespace) -> GANConfig:
    data = load_mnist(args.data_source)
    if args.batch_size > len(data.train_images):
        raise ValueError(f"--batch_size must be at most the {len(data.train_images):,} training digits; "
                         f"got {args.batch_size}")
    steps = args.n_epochs * (len(data.train_images) // args.batch_size)
    config = GANConfig(data_source=data.source, steps=steps, **TEMPLATE | dict(batch_size=args.batch_size,
                       lr_G=args.lr, lr_D=args.lr), latent_dim=args.latent_dim, ema_decay=args.ema_decay,
                       eval_every=min(args.save_interval, steps), checkpoint_every=args.save_interval)
    return replace(config, **{k: v for k, v in dict(final_samples=args.final_samples,
                                                     classifier_epochs=args.classifier_epochs).items() if v})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # the skeleton's flags and defaults
    parser.add_argument("--n_epochs", type=int, default=200, help="passes over the training digits")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.0002, help="Adam's learning rate, for G and D alike")
    parser.add_argument("--latent_dim", type=int, default=100, help="the size of the noise z")
    parser.add_argument("--save_interval", type=int, default=500, help="steps between saved samples and checkpoints")
    # beyond the skeleton
    parser.add_argument("--ema_decay", type=float, default=0.0, help="sample a moving average of G (0: the raw G)")
    parser.add_argument("--data_source", default="auto", choices=DATA_SOURCES)
    parser.add_argument("--final_samples", type=int, default=None, help="images of the final measurement")
    parser.add_argument("--classifier_epochs", type=int, default=None, help="the evaluator's training")
    parser.add_argument("--out", default=OUT, help=f"where the run is kept (default: {OUT})")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    try:
        config = config_from(args)
    except ValueError as error:
        parser.error(str(error))
    print(f"GAN on {config.data_source}: {config.steps:,} steps of batch {config.batch_size}, Adam {config.lr_G:g}; "
          f"the run lives in {args.out}/runs/", flush=True)
    out = project_path(args.out)
    result = train(config, out, device=args.device, progress=True)
    history = load_torch(out / result["checkpoints"]["final"])["history"]
    for step, grid in zip(history["fixed_grid_steps"], history["fixed_grids"]):
        plots.save(plots.image_grid(grid[:25], 5), out / "images" / f"{step}.png")
    final, real = result["final"], result["real_baseline"]
    print(f"done: Inception score {final['inception_score']:.2f} (real digits {real['inception_score']:.2f}), "
          f"Fréchet distance {final['frechet_distance']:.1f} (real digits {real['frechet_distance']:.1f}); "
          f"samples in {args.out}/images/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
