"""Seconds per training epoch of chapter 3's softmax regression on full Fashion-MNIST, by loader.

    python -m bench.loaders        (from the repository root; `make bench` runs it)

(a) torchvision's per-image ``ToTensor`` ``DataLoader`` with 4 workers, as the d2l book does;
(b) coursekit's ``load_data_fashion_mnist``;
(c) a bare loop over tensors already in memory (the floor).

Targets on a 2-core machine: a/b >= 15 and b/c <= 1.3 (printed as the last lines).
"""

from __future__ import annotations

import argparse
import warnings

import torch
from torch.utils.data import DataLoader

import coursekit
from bench.common import BATCH_SIZE, preloaded_batches, seconds, softmax_regression, train_epoch
from coursekit.data import FASHION_MNIST, load_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs of each loader (medians are printed)")
    args = parser.parse_args()
    coursekit.set_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    train_ds, _ = coursekit.fashion_mnist_datasets()
    train_iter, _ = coursekit.load_data_fashion_mnist(BATCH_SIZE)
    images, y = load_split(FASHION_MNIST, "train")
    X = images.float().div(255)  # the whole split converted once, before timing
    net, loss, opt = softmax_regression()

    with warnings.catch_warnings():
        # torch warns that 4 workers exceed this machine's 2 cores; d2l uses 4 all the same.
        warnings.filterwarnings("ignore", message="This DataLoader will create")
        per_image = DataLoader(train_ds, BATCH_SIZE, shuffle=True, num_workers=4)
        a = seconds({"a": lambda: train_epoch(net, loss, opt, per_image)}, args.repeats)["a"]
    # (a)'s worker processes take a moment to go; (b) and (c) take turns after that.
    t = seconds(
        {
            "b": lambda: train_epoch(net, loss, opt, train_iter),
            "c": lambda: train_epoch(net, loss, opt, preloaded_batches(X, y)),
        },
        args.repeats,
    )
    b, c = t["b"], t["c"]
    print(f"(a) torchvision DataLoader, 4 workers: {a:.3f} s/epoch")
    print(f"(b) coursekit load_data_fashion_mnist: {b:.3f} s/epoch")
    print(f"(c) preloaded tensors (floor):         {c:.3f} s/epoch")
    print(f"a/b = {a / b:.1f}  (target >= 15)")
    print(f"b/c = {b / c:.2f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
