"""The course's ``train.py``: train the LSTM (or the vanilla RNN) on palindromes, with the skeleton's flags and
defaults, through ``lib`` (no second implementation). It prints the validation curve as it trains and writes the
run (configuration, checkpoint, result) under ``outputs/course/train/``; a rerun with the same flags reuses it.

    python course/train.py --input_length 10
    python course/train.py --input_length 20 --model lstm-chrono --learning_rate 0.003

``--input_length`` is the number of digits the network reads: the palindrome has one more, T = input_length + 1.
Batches are drawn afresh at every step (``lib.palindrome``), so ``--data_size`` and ``--portion_train`` set the
length of an epoch (``data_size * portion_train`` palindromes) and the size of the validation set (the rest); a
run stops early once its validation accuracy has reached 99% twice in a row, and the final accuracy is measured on
a separate test set.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere: this checkout's lib
from lib.palindrome import INPUT_DIMS  # noqa: E402
from lib.recurrent import MODELS  # noqa: E402
from lib.recurrent_train import RecurrentConfig, train  # noqa: E402

OUT = "outputs/course/train"
ENCODINGS = {dim: name for name, dim in INPUT_DIMS.items()}


def config_from(args: argparse.Namespace) -> RecurrentConfig:
    """The run the flags describe; ValueError, naming the flag, for a value it cannot take."""
    if args.input_dim not in ENCODINGS:
        raise ValueError(f"--input_dim must be 1 (the digit's value) or 10 (one-hot); got {args.input_dim}")
    if args.num_classes != 10:
        raise ValueError(f"--num_classes must be 10, the ten digits; got {args.num_classes}")
    if not 0 < args.portion_train < 1:
        raise ValueError(f"--portion_train must lie strictly between 0 and 1; got {args.portion_train}")
    per_epoch = max(1, int(args.data_size * args.portion_train) // args.batch_size)
    return RecurrentConfig(model=args.model, seq_length=args.input_length + 1, encoding=ENCODINGS[args.input_dim],
                           hidden_dim=args.num_hidden, batch_size=args.batch_size, learning_rate=args.learning_rate,
                           max_steps=args.max_epoch * per_epoch, max_norm=args.max_norm, seed=args.seed,
                           validation_size=max(1, args.data_size - int(args.data_size * args.portion_train)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # the skeleton's flags and defaults
    parser.add_argument("--input_length", type=int, default=19, help="digits the network reads (T - 1)")
    parser.add_argument("--input_dim", type=int, default=1, help="1: each digit as its value; 10: one-hot")
    parser.add_argument("--num_classes", type=int, default=10, help="output classes (the ten digits)")
    parser.add_argument("--num_hidden", type=int, default=128, help="hidden units")
    parser.add_argument("--batch_size", type=int, default=128, help="palindromes per batch")
    parser.add_argument("--learning_rate", type=float, default=0.001, help="RMSProp's learning rate")
    parser.add_argument("--max_epoch", type=int, default=20, help="epochs at most (a run stops once it has learned)")
    parser.add_argument("--max_norm", type=float, default=10.0, help="gradient-norm clipping")
    parser.add_argument("--data_size", type=int, default=100000, help="palindromes per epoch and validation set")
    parser.add_argument("--portion_train", type=float, default=0.8, help="the epoch's share; the rest validates")
    # beyond the skeleton
    parser.add_argument("--model", default="lstm", choices=list(MODELS), help="lib.recurrent.MODELS (default: lstm)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=OUT, help=f"where the run is kept (default: {OUT})")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    args = parser.parse_args(argv)
    try:
        config = config_from(args)
    except ValueError as error:
        parser.error(str(error))
    print(f"{MODELS[config.model].label}: palindromes of T = {config.seq_length}, {config.encoding} input, at most "
          f"{config.max_steps:,} steps; the run lives in {args.out}/runs/", flush=True)

    def report(point: dict) -> None:
        print(f"step {point['step']:>6,}: loss {point['loss']:.4f}, training accuracy {point['train_accuracy']:.1%}, "
              f"validation accuracy {point['validation_accuracy']:.1%}", flush=True)

    result = train(config, args.out, device=args.device, on_evaluation=report)
    reached = f"reached 99% validation accuracy at step {result['steps_to_99']:,}" if result["steps_to_99"] else \
        "never reached 99% validation accuracy"
    print(f"done: {result['steps']:,} steps, {reached}; test accuracy {result['test_accuracy']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
